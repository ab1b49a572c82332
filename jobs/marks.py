"""Handling marks on messages: an internal (内部资料) issue carries a visible mark and is sent protected."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from bulletin.i18n import t
from bulletin.render import MAX_MESSAGE_UTF16, Rendered, esc, utf16_len
from storage.publishing_repo import MarkRepository

_TAG = re.compile(r"<[^>]*>")


def is_internal(session: Session, issue_id: int) -> bool:
    """True when stored issue ISSUE_ID is marked internal."""
    return MarkRepository(session).is_internal(issue_id)


def with_internal_mark(rendered: Rendered, lang: str) -> Rendered:
    """RENDERED with the visible internal mark as its first line."""
    return Rendered(f"<b>{esc(t(lang, 'desk_internal_mark'))}</b>\n" + rendered.text, rendered.keyboard)


def mark_parts(parts: Sequence[Rendered], lang: str) -> list[Rendered]:
    """The parts of a split article with the mark on the first one, or as a message of its own when that part has
    no room left for it (Telegram's 4096 UTF-16 units, counted on the visible text)."""
    if not parts:
        return []
    first = with_internal_mark(parts[0], lang)
    visible = html.unescape(_TAG.sub("", first.text))
    if utf16_len(visible) <= MAX_MESSAGE_UTF16:
        return [first, *parts[1:]]
    return [Rendered(f"<b>{esc(t(lang, 'desk_internal_mark'))}</b>"), *parts]
