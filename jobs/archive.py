"""Import use case: one bulletin file into the archive, in its own transaction."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulletin.corrections import FieldError, correct, identifiable
from bulletin.errors import BulletinParseError
from bulletin.i18n import ZH
from bulletin.parser.bounded import parse_path_bounded
from bulletin.render import issue_label
from jobs.intake import apply_remembered, corrections_detail, remember
from jobs.uow import UnitOfWork
from storage.archive import ArchiveError, ImportOutcome, StoredIssue
from storage.db import transaction

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What importing one file did; MESSAGE is one line fit for a user (without the file name)."""

    path: str
    ok: bool
    message: str
    stored: StoredIssue | None
    outcome: ImportOutcome | None


def describe(stored: StoredIssue) -> str:
    """The identity of a stored issue as shown to a user: label and masthead."""
    return f"{issue_label(stored.issue, ZH)} {stored.issue.masthead}"


_MESSAGES = {
    ImportOutcome.ADDED: "added {issue}",
    ImportOutcome.REPLACED: "replaced {issue}",
    ImportOutcome.UNCHANGED: "unchanged (already stored): {issue}",
    ImportOutcome.CONFLICT: "{issue} is already stored with different content; nothing changed (use --replace)",
}


def import_file(
    factory: sessionmaker[Session],
    path: str | os.PathLike[str],
    *,
    replace: bool = False,
    audit: str | None = None,
    corrections: Sequence[tuple[str, str]] = (),
) -> ImportResult:
    """Parse PATH (in a child process under the default ParseLimits) and store it in one transaction: all of it
    or nothing.

    The series' remembered masthead / publisher (jobs.intake) are applied, then CORRECTIONS ([(field, typed
    value)], validated by bulletin.corrections; `import --set`), which a document without an issue line needs
    (a number, or a date). Corrected mastheads and publishers are remembered for the series. With AUDIT (who did
    it, e.g. "command line"), a stored or replaced issue is recorded in the audit log (with the corrections) in
    the same transaction.
    """
    name = os.fspath(path)
    try:
        issue = parse_path_bounded(path)  # in a child process under time and memory limits
    except BulletinParseError as exc:
        # Without an issue line the office must say what identifies the issue; a date read elsewhere in the
        # document does not make a bulletin a dated report.
        if exc.partial is None or not any(f in ("number", "date") for f, _ in corrections):
            hint = "; give --set number=N, or --set date=YYYY-MM-DD for a dated report" if exc.partial else ""
            return ImportResult(path=name, ok=False, message=str(exc) + hint, stored=None, outcome=None)
        issue = exc.partial
    notes: tuple[tuple[str, str], ...] = ()
    try:
        with transaction(factory) as session:
            uow = UnitOfWork(session)
            parsed_masthead = issue.masthead
            taken = apply_remembered(uow, issue, skip=[f for f, _ in corrections])
            issue, notes = correct(taken.issue, corrections), taken.applied
            if not identifiable(issue):
                raise ArchiveError("no issue number or date: give --set number=N, or --set date=YYYY-MM-DD")
            stored, outcome = uow.issues.add(issue, replace=replace)
            if outcome in (ImportOutcome.ADDED, ImportOutcome.REPLACED):
                remember(uow, parsed_masthead, corrections, by=None)
                if audit is not None:
                    action = "import" if outcome is ImportOutcome.ADDED else "replace"
                    detail = "; ".join(
                        p for p in (f"{audit}: {os.path.basename(name)}", corrections_detail(corrections)) if p
                    )
                    uow.audit.record(actor_id=None, action=action, issue_id=stored.id, detail=detail[:1000])
    except FieldError as exc:
        return ImportResult(path=name, ok=False, message=str(exc), stored=None, outcome=None)
    except ArchiveError as exc:
        return ImportResult(path=name, ok=False, message=str(exc), stored=None, outcome=None)
    except SQLAlchemyError as exc:
        log.debug("storing %s failed", name, exc_info=True)
        return ImportResult(
            path=name, ok=False, message=f"database error ({type(exc).__name__})", stored=None, outcome=None
        )
    remembered = "".join(f" ({field} as corrected before: {value})" for field, value in notes)
    return ImportResult(
        path=name,
        ok=outcome is not ImportOutcome.CONFLICT,
        message=_MESSAGES[outcome].format(issue=describe(stored)) + remembered,
        stored=stored,
        outcome=outcome,
    )
