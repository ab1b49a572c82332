"""The server's state and the lookups every area shares: chats, write permission, bot messages and their
JSON shape, and the wake-ups of long polls and webhook workers.

All state lives behind one lock so that tests (in their own thread) and the aiohttp handlers (in the
server's thread) can both act on it."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web

from .limits import Limits
from .model import ApiError, Bot, Chat, SentMessage, StoredFile, User
from .params import Params
from .shapes import document_dict, photo_size
from .tghtml import ParsedText

if TYPE_CHECKING:
    from .faults import Fault  # faults.py builds on this module


class ServerState:
    """State of one local Bot API server; the area classes (updates, messages, files, ...) add its methods."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None, local_mode: bool = False
    ) -> None:
        self.host = host
        self.port = port
        self.limits = limits if limits is not None else Limits()
        # As telegram-bot-api's --local flag: webhooks may use plain http and any port (see updates.py).
        self.local_mode = local_mode
        # Seconds added to the wall clock: advance_clock() ages messages (deleteMessage's 48-hour rule).
        self._clock_offset = 0.0
        self._lock = threading.RLock()
        self._bots: dict[str, Bot] = {}
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._counts: collections.Counter[tuple[str, int]] = collections.Counter()
        self._callback_answers: list[dict[str, Any]] = []
        self._fault: Fault | None = None
        self._fault_log: list[dict[str, Any]] = []
        self._parse_cache: dict[tuple[str, str | None, bool], tuple[str, ParsedText]] = {}
        self._markup_cache: dict[str, dict[str, Any]] = {}
        self._next_file = 1
        self._next_migrated = 1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._bot_events: dict[str, asyncio.Event] = {}
        self._webhook_tasks: dict[str, asyncio.Task[None]] = {}
        self._session: ClientSession | None = None
        self._start_error: BaseException | None = None
        self._member_status: dict[tuple[int, int], str] = {}  # (chat id, user id) -> status; see members.py

    def _now(self) -> int:
        """The server's unix time (the wall clock plus what advance_clock() added)."""
        return int(time.time() + self._clock_offset)

    def _event(self, token: str) -> asyncio.Event:
        ev = self._bot_events.get(token)
        if ev is None:
            ev = self._bot_events[token] = asyncio.Event()
        return ev

    def _wake_in_loop(self, token: str) -> None:
        ev = self._bot_events.pop(token, None)
        if ev is not None:
            ev.set()

    def _notify(self, token: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake_in_loop, token)

    def _chat(self, p: Params, name: str = "chat_id") -> Chat:
        raw = p.raw(name)
        if raw is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat: Chat | None = None
        if isinstance(raw, str) and raw.strip().startswith("@"):
            uname = raw.strip()[1:].lower()
            chat = next((c for c in self._chats.values() if (c.username or "").lower() == uname), None)
        else:
            try:
                cid = p.get_int(name)
            except ApiError:
                raise ApiError(400, "Bad Request: chat not found") from None
            chat = self._chats.get(cid) if cid is not None else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _check_can_write(self, chat: Chat, method: str = "sendMessage", *, send: bool = True) -> None:
        """Raise the error Telegram answers when the bot may not write to CHAT with METHOD; with send=False (edits)
        only access is checked (Client::check_chat_access), not the right to send (can_send_message_to_dialog)."""
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            user = self._users[chat.id]
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            self._check_membership(chat)
            if send and chat.state == "no_send":
                what = {"sendDocument": "documents", "sendPhoto": "photos"}.get(method, "text messages")
                raise ApiError(400, f"Bad Request: not enough rights to send {what} to the chat")
            if send and chat.state == "not_admin" and chat.type == "channel":
                raise ApiError(400, "Bad Request: need administrator rights in the channel chat")

    def _check_membership(self, chat: Chat) -> None:
        """The bot's access to a group or channel as Client::check_chat_access sees it (kicked, left, deleted)."""
        if chat.state == "deleted":
            if chat.type == "group":
                raise ApiError(403, "Forbidden: the group chat was deleted")
            raise ApiError(400, "Bad Request: chat not found")
        if chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if chat.state == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def _bot_message(self, chat: Chat, p: Params, name: str = "message_id", *, what: str) -> SentMessage:
        mid = p.get_int(name)
        if mid is None or mid <= 0:
            # Client::check_message: a missing or non-positive id is "<message_type> not found"
            raise ApiError(400, f"Bad Request: message to {what} not found")
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            if mid in chat.user_messages and what == "edit":
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return msg

    def _new_message_id(self, chat: Chat) -> int:
        mid = chat.next_message_id
        chat.next_message_id = mid + 1
        return mid

    def _message_dict(self, bot: Bot, chat: Chat, m: SentMessage) -> dict[str, Any]:
        d: dict[str, Any] = {"message_id": m.message_id}
        if chat.type == "channel":
            d["sender_chat"] = chat.as_dict()
        else:
            d["from"] = bot.as_user_dict()
        d["chat"] = chat.as_dict()
        d["date"] = m.date
        if m.edit_date is not None:
            d["edit_date"] = m.edit_date
        if m.protect_content:
            d["has_protected_content"] = True
        if m.reply_to_message_id is not None:
            replied = self._any_message_dict(bot, chat, m.reply_to_message_id)
            if replied is not None:
                d["reply_to_message"] = replied
        if m.text is not None:
            d["text"] = m.text
            if m.entities:
                d["entities"] = list(m.entities)
            if m.link_preview_options is not None:
                d["link_preview_options"] = m.link_preview_options
        if m.document is not None and m.file_id is not None:
            f = self._files[m.file_id]
            d["document"] = document_dict(f)
        if m.photo is not None and m.file_id is not None:
            f = self._files[m.file_id]
            d["photo"] = [photo_size(f)]
        if m.caption is not None:
            d["caption"] = m.caption
            if m.caption_entities:
                d["caption_entities"] = list(m.caption_entities)
        if m.reply_markup is not None and "inline_keyboard" in m.reply_markup:
            d["reply_markup"] = m.reply_markup
        return d

    def _any_message_dict(self, bot: Bot, chat: Chat, message_id: int) -> dict[str, Any] | None:
        m = chat.messages.get(message_id)
        if m is not None and not m.deleted:
            return self._message_dict(bot, chat, m)
        return chat.user_messages.get(message_id)
