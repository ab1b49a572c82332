"""Import use case: one bulletin file into the archive, in its own transaction."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulletin.errors import BulletinParseError
from bulletin.parser.bounded import parse_path_bounded
from storage.access_repo import AuditLog
from storage.archive import ArchiveError, ImportOutcome, IssueRepository, StoredIssue
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
    return f"{stored.label} {stored.issue.masthead}"


_MESSAGES = {
    ImportOutcome.ADDED: "added {issue}",
    ImportOutcome.REPLACED: "replaced {issue}",
    ImportOutcome.UNCHANGED: "unchanged (already stored): {issue}",
    ImportOutcome.CONFLICT: "{issue} is already stored with different content; nothing changed (use --replace)",
}


def import_file(
    factory: sessionmaker[Session], path: str | os.PathLike[str], *, replace: bool = False, audit: str | None = None
) -> ImportResult:
    """Parse PATH (in a child process under the default ParseLimits) and store it in one transaction: all of it
    or nothing.

    With AUDIT (who did it, e.g. "command line"), a stored or replaced issue is recorded in the audit log in the
    same transaction.
    """
    name = os.fspath(path)
    try:
        issue = parse_path_bounded(path)  # in a child process under time and memory limits
    except BulletinParseError as exc:
        return ImportResult(path=name, ok=False, message=str(exc), stored=None, outcome=None)
    try:
        with transaction(factory) as session:
            stored, outcome = IssueRepository(session).add(issue, replace=replace)
            if audit is not None and outcome in (ImportOutcome.ADDED, ImportOutcome.REPLACED):
                action = "import" if outcome is ImportOutcome.ADDED else "replace"
                AuditLog(session).record(actor_id=None, action=action, issue_id=stored.id,
                                         detail=f"{audit}: {os.path.basename(name)}")
    except ArchiveError as exc:
        return ImportResult(path=name, ok=False, message=str(exc), stored=None, outcome=None)
    except SQLAlchemyError as exc:
        log.debug("storing %s failed", name, exc_info=True)
        return ImportResult(
            path=name, ok=False, message=f"database error ({type(exc).__name__})", stored=None, outcome=None
        )
    return ImportResult(
        path=name,
        ok=outcome is not ImportOutcome.CONFLICT,
        message=_MESSAGES[outcome].format(issue=describe(stored)),
        stored=stored,
        outcome=outcome,
    )
