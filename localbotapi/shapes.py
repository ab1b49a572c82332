"""JSON shapes of the Bot API that need no server state: files, photos, command entities, and the
control interface's view of a sent message."""

from __future__ import annotations

import base64
import re
from typing import Any

from .model import SentMessage, StoredFile
from .tghtml import utf16_len

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def user_text(text: str, *, caption: bool = False) -> dict[str, Any]:
    """A user's text (or caption) as Message fields: "/cmd" or "/cmd@bot" at the start is a bot_command entity."""
    d: dict[str, Any] = {"caption" if caption else "text": text}
    m = _COMMAND_RE.match(text)
    if m is not None:
        d["caption_entities" if caption else "entities"] = [
            {"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}
        ]
    return d


def document_dict(f: StoredFile) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if f.file_name:
        d["file_name"] = f.file_name
    if f.mime_type:
        d["mime_type"] = f.mime_type
    d.update(file_id=f.file_id, file_unique_id=f.file_unique_id, file_size=len(f.data))
    return d


def photo_size(f: StoredFile) -> dict[str, Any]:
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": len(f.data),
        "width": f.width,
        "height": f.height,
    }


def sent_message_json(m: SentMessage) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "chat_id": m.chat_id,
        "text": m.text,
        "html": m.html,
        "entities": list(m.entities),
        "reply_markup": m.reply_markup,
        "edits": list(m.edits),
        "deleted": m.deleted,
        "date": m.date,
        "method": m.method,
        "document": (
            {"file_name": m.document[0], "data_b64": base64.b64encode(m.document[1]).decode()}
            if m.document is not None
            else None
        ),
        "protect_content": m.protect_content,
        "caption": m.caption,
        "edit_date": m.edit_date,
        "paid_broadcast": m.paid_broadcast,
    }
