"""Taking in a document the parser could not fully read: the office's corrections (desk 修改 button, `import --set`)
and the corrections remembered per series (series_aliases). The validation itself is bulletin.corrections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bulletin.corrections import REMEMBERED, Value, parse_value, with_values
from bulletin.model import Issue
from jobs.uow import UnitOfWork


@dataclass(frozen=True)
class Taken:
    """An issue with the remembered corrections of its series applied; APPLIED is [(field, value)] of those."""

    issue: Issue
    applied: tuple[tuple[str, str], ...]


def apply_remembered(uow: UnitOfWork, issue: Issue, *, skip: Sequence[str] = ()) -> Taken:
    """ISSUE with the masthead / publisher the office gave this series before (keyed by the parsed masthead);
    fields in SKIP (set explicitly this time) are left alone."""
    remembered = uow.aliases.for_masthead(issue.masthead)
    values: dict[str, Value] = {
        f: v for f, v in remembered.items() if f in REMEMBERED and f not in skip and getattr(issue, f) != v
    }
    return Taken(with_values(issue, values), tuple((f, str(v)) for f, v in values.items()))


def remember(
    uow: UnitOfWork, parsed_masthead: str, corrections: Sequence[tuple[str, str]], *, by: int | None
) -> None:
    """Remember corrected masthead / publisher values for the series whose parsed masthead is PARSED_MASTHEAD."""
    aliases = uow.aliases
    for name, text in corrections:
        if name in REMEMBERED and parsed_masthead:
            value = parse_value(name, text)
            if isinstance(value, str) and not (name == "masthead" and value == parsed_masthead):
                aliases.remember(parsed_masthead, name, value, by=by)


def corrections_detail(corrections: Sequence[tuple[str, str]]) -> str:
    """How corrections read in the audit log: "set number=3, date=2023-06-01" (empty when there are none)."""
    if not corrections:
        return ""
    return "set " + ", ".join(f"{name}={text.strip()}" for name, text in corrections)


def forget(uow: UnitOfWork, parsed_masthead: str, field: str | None, *, actor: str) -> int:
    """Forget the remembered corrections of PARSED_MASTHEAD (only FIELD's, when given); audited; how many."""
    removed = uow.aliases.remove(parsed_masthead, field)
    if removed:
        what = f"{actor}: {parsed_masthead} {field or 'masthead and publisher'}"
        uow.audit.record(actor_id=None, action="alias_remove", detail=what[:1000])
    return removed
