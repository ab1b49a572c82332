"""The one error type the parser raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulletin.model import Issue


class BulletinParseError(Exception):
    """A document could not be read as a bulletin; the message is fit to show a user.

    `code` is a stable machine-readable reason (e.g. "empty", "encoding", "scan", "not_bulletin") so that
    a chat UI can show its own translated text; the message itself is English and never names the file.

    `partial` is what could be read when only the issue line is missing (code "not_bulletin"): an Issue with
    number None (and year/date None where not printed), masthead, articles and warnings as found, so that an admin
    can supply the missing fields. It is None when nothing bulletin-like was found.
    """

    def __init__(self, message: str, code: str = "invalid", partial: Issue | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.partial = partial

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps code and partial when the error crosses a process boundary (parsing runs in a child process).
        return (type(self), (self.message, self.code, self.partial))
