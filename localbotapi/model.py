"""State records of the local Bot API server (kept compact: the push benchmark stores 100,000 messages)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .limits import SlidingWindow


class ApiError(Exception):
    """A Bot API error response: HTTP status, Telegram's description and optional parameters."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None, *, wait: float = 0.0
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        self.wait = wait  # a flood wait's exact seconds (retry_after is rounded up); see Limits.flood_hold

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent, in its current state.

    ``text`` is the plain text after entity parsing (for documents/photos: None, see ``caption``), ``html`` the
    text as sent (with parse_mode HTML; else the raw text), ``edits`` the plain texts set by each successful
    editMessageText/editMessageCaption, in order (the first version is not in it).
    """

    message_id: int
    chat_id: int
    text: str | None
    html: str | None
    entities: tuple[dict[str, Any], ...]
    reply_markup: dict[str, Any] | None
    date: int
    method: str
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    document: tuple[str, bytes] | None = None
    protect_content: bool = False
    caption: str | None = None
    caption_entities: tuple[dict[str, Any], ...] = ()
    edit_date: int | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    paid_broadcast: bool = False
    parse_mode: str | None = None
    file_id: str | None = None
    photo: bytes | None = None


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    language_code: str | None
    username: str | None
    last_name: str | None = None
    is_bot: bool = False
    started: bool = True
    blocked: bool = False
    deactivated: bool = False

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d


_NO_MESSAGES: dict[int, SentMessage] = {}
_NO_USER_MESSAGES: dict[int, dict[str, Any]] = {}


@dataclass(slots=True)
class Chat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    next_message_id: int = 1
    # Shared empty dicts until the first message: 100,000 subscribers' chats stay small. Write only through
    # add_message / add_user_message.
    messages: dict[int, SentMessage] = field(default_factory=lambda: _NO_MESSAGES)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=lambda: _NO_USER_MESSAGES)
    kicked: bool = False
    migrated_to: int | None = None
    # set_chat_state(): None (the bot is a member that may send), "left" (not a member), "deleted" (basic group
    # deleted), "no_send" (a member without the right to send), "not_admin" (a channel member without admin rights)
    state: str | None = None
    _dict: dict[str, Any] | None = None

    def add_message(self, m: SentMessage) -> None:
        if self.messages is _NO_MESSAGES:
            self.messages = {}
        self.messages[m.message_id] = m

    def add_user_message(self, d: dict[str, Any]) -> None:
        if self.user_messages is _NO_USER_MESSAGES:
            self.user_messages = {}
        self.user_messages[d["message_id"]] = d

    def as_dict(self) -> dict[str, Any]:
        if self._dict is None:
            d: dict[str, Any] = {"id": self.id}
            if self.type == "private":
                d["first_name"] = self.first_name or ""
                if self.last_name:
                    d["last_name"] = self.last_name
                if self.username:
                    d["username"] = self.username
            else:
                d["title"] = self.title or ""
                if self.username:
                    d["username"] = self.username
            d["type"] = self.type
            self._dict = d
        return self._dict


@dataclass(slots=True)
class Update:
    update_id: int
    kind: str
    payload: dict[str, Any]
    chat_id: int | None
    attempts: int = 0
    retry_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass(slots=True)
class CallbackQuery:
    id: str
    created: float
    chat_id: int
    message_id: int
    user_id: int
    data: str
    answered: bool = False


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Poll:
    """One getUpdates request in progress (to answer the older of two with 409)."""

    conflict: bool = False


@dataclass
class Bot:
    token: str
    id: int
    username: str
    first_name: str
    updates: deque[Update] = field(default_factory=deque)
    next_update_id: int = 1
    allowed_updates: list[str] | None = None
    webhook: Webhook | None = None
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    active_poll: Poll | None = None
    callback_queries: dict[str, CallbackQuery] = field(default_factory=dict)
    next_callback_id: int = 1
    overall: SlidingWindow | None = None
    paid: SlidingWindow | None = None
    chat_windows: dict[int, SlidingWindow] = field(default_factory=dict)
    sends_since_sweep: int = 0
    webhook_inflight_chats: set[int] = field(default_factory=set)
    webhook_inflight_ids: set[int] = field(default_factory=set)
    _dict: dict[str, Any] | None = None

    def as_user_dict(self) -> dict[str, Any]:
        if self._dict is None:
            self._dict = {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}
        return self._dict
