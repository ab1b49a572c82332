"""The narrow interface through which pushes talk to Telegram, and the errors it raises.

jobs/ never imports telegram or bot/: bot/common/outbox.py implements `PushPort` with python-telegram-bot, and
bot/common/errors.py maps its exceptions onto the ones below, so the push engine can be exercised with a fake
port as well.
"""

from __future__ import annotations

from typing import Protocol

from bulletin.render import Rendered


class SendError(Exception):
    """Base of every error a PushPort raises; `reason` is Telegram's description (for the ledger)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(SendError):
    """429 Too Many Requests: wait `seconds`, then send again."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"Too Many Requests: retry after {seconds:g}")
        self.seconds = seconds


class ChatGone(SendError):
    """403 (blocked, user deactivated, kicked, not a member) or 400 chat not found: never retry this chat."""


class ChatMigrated(SendError):
    """400 group upgraded to a supergroup: the chat now lives at `new_chat_id`."""

    def __init__(self, new_chat_id: int, reason: str = "") -> None:
        super().__init__(reason or f"group chat was upgraded to a supergroup chat {new_chat_id}")
        self.new_chat_id = new_chat_id


class TransientError(SendError):
    """5xx, timeout or dropped connection: retry with backoff.

    `ambiguous` is True when the request may have reached Telegram (read timeout, connection dropped after the
    request was written): a retry can then duplicate the message, which is the documented in-flight case.
    """

    def __init__(self, reason: str, *, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.ambiguous = ambiguous


class PermanentError(SendError):
    """Any other 400 (or 401/404/409): retrying will not help."""


class NotDeletable(PermanentError):
    """400 message can't be deleted (for everyone): too old (48 hours) or not the bot's to delete; it stays."""


class PushPort(Protocol):
    """What a push needs from Telegram."""

    async def send(self, chat_id: int, rendered: Rendered, *, protect: bool = False, paid: bool = False) -> int:
        """Send RENDERED to CHAT_ID and return the message id, or raise a SendError subclass."""
        ...

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        """Replace the text and keyboard of a message the bot sent (a 'not modified' answer is not an error)."""
        ...
