"""The one error type the parser raises."""

from __future__ import annotations


class BulletinParseError(Exception):
    """A document could not be read as a bulletin; the message is fit to show a user.

    `code` is a stable machine-readable reason (e.g. "empty", "encoding", "scan", "not_bulletin") so that
    a chat UI can show its own translated text; the message itself is English and never names the file.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
