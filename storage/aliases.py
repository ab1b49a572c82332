"""The office's remembered corrections of a series' masthead or publisher (series_aliases). Never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import SeriesAliasRow
from storage.types import utcnow


@dataclass(frozen=True)
class SeriesAlias:
    """Documents whose parsed masthead is PARSED_MASTHEAD get VALUE for FIELD ("masthead" or "publisher")."""

    parsed_masthead: str
    field: str
    value: str
    set_by: int | None


class SeriesAliasRepository:
    """Remembered corrections; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def for_masthead(self, parsed_masthead: str) -> dict[str, str]:
        """{field: value} remembered for documents whose parsed masthead is PARSED_MASTHEAD."""
        rows = self._session.scalars(select(SeriesAliasRow).where(SeriesAliasRow.parsed_masthead == parsed_masthead))
        return {row.field: row.value for row in rows}

    def remember(self, parsed_masthead: str, field: str, value: str, *, by: int | None) -> None:
        """Set (or change) what FIELD becomes for documents whose parsed masthead is PARSED_MASTHEAD."""
        row = self._session.scalar(
            select(SeriesAliasRow).where(
                SeriesAliasRow.parsed_masthead == parsed_masthead, SeriesAliasRow.field == field
            )
        )
        if row is None:
            self._session.add(SeriesAliasRow(parsed_masthead=parsed_masthead, field=field, value=value, set_by=by))
        else:
            row.value, row.set_by, row.updated_at = value, by, utcnow()
        self._session.flush()

    def all(self) -> list[SeriesAlias]:
        """Every remembered correction, by parsed masthead then field."""
        rows = self._session.scalars(
            select(SeriesAliasRow).order_by(SeriesAliasRow.parsed_masthead, SeriesAliasRow.field)
        )
        return [SeriesAlias(r.parsed_masthead, r.field, r.value, r.set_by) for r in rows]

    def remove(self, parsed_masthead: str, field: str | None = None) -> int:
        """Forget the corrections of PARSED_MASTHEAD (only FIELD's, when given); how many were removed."""
        stmt = delete(SeriesAliasRow).where(SeriesAliasRow.parsed_masthead == parsed_masthead)
        if field is not None:
            stmt = stmt.where(SeriesAliasRow.field == field)
        return int(getattr(self._session.execute(stmt), "rowcount", 0) or 0)
