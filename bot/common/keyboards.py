"""Conversion of the pure Keyboard (bulletin.render) into Telegram's inline keyboard markup."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bulletin.render import Button, Keyboard


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.label, url=button.url)
    return InlineKeyboardButton(button.label, callback_data=button.callback_data)


def to_markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The inline keyboard for KEYBOARD, or None when it has no buttons."""
    rows = [[_button(b) for b in row] for row in keyboard if row]
    return InlineKeyboardMarkup(rows) if rows else None
