"""Conversion of the pure Keyboard (bulletin.render) into Telegram's inline keyboard markup."""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardMarkup

from bulletin.render import Button, Keyboard


def is_private(chat_id: int | None) -> bool:
    """Whether CHAT_ID is a private chat (Telegram gives users positive ids, groups and channels negative ones); an
    unknown chat (None: a message the bot cannot see) is not taken for one."""
    return chat_id is not None and chat_id > 0


def _button_dict(button: Button, private: bool) -> dict[str, Any]:
    """BUTTON as the Bot API's InlineKeyboardButton object (what PTB's to_dict gives), in a private chat or not."""
    if button.web_app is not None:
        # Telegram accepts web_app buttons in private chats only (BUTTON_TYPE_INVALID elsewhere) and with https URLs
        # only (a loopback http [web] base_url, for a demo, is refused); otherwise the reader opens as a page in the
        # browser, where the member signs in with /web.
        mini_app = private and button.web_app.startswith("https://")
        return {"text": button.label, "web_app": {"url": button.web_app}} if mini_app else {
            "text": button.label, "url": button.web_app
        }
    if button.url is not None:
        return {"text": button.label, "url": button.url}
    if button.callback_data is None:
        return {"text": button.label}  # to_dict leaves out what is None
    return {"text": button.label, "callback_data": button.callback_data}


def _rows(keyboard: Keyboard, chat_id: int | None) -> list[list[dict[str, Any]]]:
    private = is_private(chat_id)
    return [[_button_dict(b, private) for b in row] for row in keyboard if row]


def to_markup(keyboard: Keyboard, chat_id: int | None) -> InlineKeyboardMarkup | None:
    """The inline keyboard for KEYBOARD in chat CHAT_ID (None: unknown, so no Mini App buttons), or None when it has
    no buttons."""
    rows = _rows(keyboard, chat_id)
    return InlineKeyboardMarkup.de_json({"inline_keyboard": rows}, None) if rows else None


def markup_json(keyboard: Keyboard, chat_id: int | None) -> str | None:
    """The reply_markup PTB would post for to_markup(KEYBOARD, CHAT_ID) (json.dumps of its to_dict), built without
    making PTB's objects (per reply, that cost more than the rest of the rendering); None when it has no buttons."""
    rows = _rows(keyboard, chat_id)
    return json.dumps({"inline_keyboard": rows}) if rows else None
