"""Chat rendering: the contents message and article messages as Telegram HTML (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and its callback data (at most 64 bytes) or URL."""

    label: str
    callback_data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One chat message: HTML text (Telegram's subset) and its inline keyboard."""

    text: str
    keyboard: Keyboard = ()
