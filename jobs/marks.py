"""Handling marks on messages: an internal (内部资料) issue carries a visible mark and is sent protected."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bulletin.i18n import t
from bulletin.render import Rendered, esc
from storage.publishing_repo import MarkRepository


def is_internal(session: Session, issue_id: int) -> bool:
    """True when stored issue ISSUE_ID is marked internal."""
    return MarkRepository(session).is_internal(issue_id)


def with_internal_mark(rendered: Rendered, lang: str) -> Rendered:
    """RENDERED with the visible internal mark as its first line."""
    return Rendered(f"<b>{esc(t(lang, 'desk_internal_mark'))}</b>\n" + rendered.text, rendered.keyboard)
