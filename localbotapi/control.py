"""The control interface: tests and the sandbox set up bots, users and chats, act as users (write, send
files, press buttons, block the bot, leave groups) and read what chats received - as Python methods, or from
other processes as POST /_control/<name> with a JSON body of the same keyword arguments."""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .faults import LimitsAndFaults
from .files import FilesApi
from .limits import Limits
from .members import chat_member
from .model import Bot, CallbackQuery, Chat, SentMessage, User
from .params import json_response
from .shapes import document_dict, sent_message_json, user_text
from .updates import UpdatesApi

log = logging.getLogger(__name__)

# Telegram's service notifications account: ChatMemberUpdated.from when no user removed or added the bot.
SERVICE_USER: dict[str, Any] = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


CHAT_STATES = frozenset({None, "left", "deleted", "no_send", "not_admin"})


CONTROL_METHODS = frozenset(
    {
        "add_bot", "add_user", "add_group", "send_text", "send_document", "press_button", "block", "unblock",
        "deactivate_user", "kick", "unkick", "edit_text", "migrate_group", "messages", "user_messages",
        "callback_answers",
        "commands", "method_counts", "inject_faults", "clear_faults", "faults", "set_limits", "reset_counts",
        "pending_updates", "webhook_info", "wait_messages", "chats", "polling", "message_counts",
        "sent_count", "set_chat_member", "set_chat_state", "advance_clock",
        "set_inline", "inline_query", "inline_answer", "choose_inline_result",  # inline.py
    }
)  # fmt: skip


class ControlApi(UpdatesApi, FilesApi, LimitsAndFaults):
    """Control methods (public: the tests' and the sandbox's interface) and their HTTP endpoint."""

    def add_bot(self, token: str, *, username: str = "bulletin_test_bot", first_name: str = "Bulletin") -> dict:
        """Register a bot token; the bot id is the number before ':' in the token when there is one."""
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 7_000_000_000 + len(self._bots) + 1
        with self._lock:
            bot = self._bots.get(token)
            if bot is None:
                bot = Bot(token=token, id=bot_id, username=username, first_name=first_name)
                self._bots[token] = bot
            return dict(bot.as_user_dict())

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "zh-hans",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = True,
    ) -> dict:
        """Add a user and their private chat (id == user id). ``started=False`` makes the bot unable to write
        to them (403 can't initiate conversation) until they send it something."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        with self._lock:
            user = User(
                id=user_id,
                first_name=first_name,
                language_code=language_code,
                username=username,
                last_name=last_name,
                started=started,
            )
            self._users[user_id] = user
            if user_id not in self._chats:
                self._chats[user_id] = Chat(
                    id=user_id, type="private", first_name=first_name, last_name=last_name, username=username
                )
            return user.as_dict()

    def add_group(self, chat_id: int, title: str, *, type: str = "group", username: str | None = None) -> dict:
        """Add a group (negative id), supergroup or channel (-100… ids) the bot is a member/admin of."""
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        with self._lock:
            chat = Chat(id=chat_id, type=type, title=title, username=username)
            self._chats[chat_id] = chat
            return chat.as_dict()

    def _bot(self, token: str) -> Bot:
        bot = self._bots.get(token)
        if bot is None:
            raise ValueError(f"unknown bot token {token!r}; call add_bot first")
        return bot

    def _user(self, user_id: int) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user first")
        return user

    def _acting(self, token: str, chat_id: int, user_id: int) -> tuple[Bot, User, Chat]:
        """The bot, the user and the chat of a control method that acts as USER_ID in CHAT_ID."""
        bot = self._bot(token)
        user = self._user(user_id)
        return bot, user, self._user_chat(chat_id, user)

    def _user_chat(self, chat_id: int, user: User) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if chat.type == "private" and chat_id != user.id:
            raise ValueError("a private chat's id is the user's id")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        if user.deactivated:
            raise ValueError(f"user {user.id} is deactivated")
        if chat.type == "private" and user.blocked:
            raise ValueError(f"user {user.id} blocked the bot; call unblock first")
        return chat

    def _user_message(self, bot: Bot, chat: Chat, user: User, extra: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": self._new_message_id(chat)}
        if chat.type == "channel":
            msg["sender_chat"] = chat.as_dict()
        else:
            msg["from"] = user.as_dict()
        msg["chat"] = chat.as_dict()
        msg["date"] = self._now()
        msg.update(extra)
        chat.add_user_message(msg)
        if chat.type == "private":
            user.started = True
        self._enqueue(bot, "channel_post" if chat.type == "channel" else "message", msg, chat.id)
        return msg

    def send_text(
        self, token: str, chat_id: int, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> dict:
        """A user writes ``text`` in a chat; "/cmd" or "/cmd@bot" at the start gets a bot_command entity."""
        if not text:
            raise ValueError("empty text")
        with self._lock:
            bot, user, chat = self._acting(token, chat_id, user_id)
            extra = user_text(text)
            if reply_to_message_id is not None:
                replied = self._any_message_dict(bot, chat, reply_to_message_id)
                if replied is None:
                    raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
                extra["reply_to_message"] = replied
            return copy.deepcopy(self._user_message(bot, chat, user, extra))

    def edit_text(self, token: str, chat_id: int, user_id: int, message_id: int, text: str) -> dict:
        """A user edits their earlier text message: the bot gets an edited_message update."""
        if not text:
            raise ValueError("empty text")
        with self._lock:
            bot, _user, chat = self._acting(token, chat_id, user_id)
            msg = chat.user_messages.get(message_id)
            if msg is None or msg.get("from", {}).get("id") != user_id or "text" not in msg:
                raise ValueError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
            msg = dict(msg, edit_date=self._now())
            msg.pop("entities", None)
            msg.update(user_text(text))
            chat.add_user_message(msg)
            kind = "edited_channel_post" if chat.type == "channel" else "edited_message"
            self._enqueue(bot, kind, msg, chat.id)
            return copy.deepcopy(msg)

    def send_document(
        self,
        token: str,
        chat_id: int,
        user_id: int,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> dict:
        """A user sends a file; the bot can getFile and download it."""
        with self._lock:
            bot, user, chat = self._acting(token, chat_id, user_id)
            f = self._new_file("documents", bytes(data), filename, mime_type)
            extra: dict[str, Any] = {"document": document_dict(f)}
            if caption:
                extra.update(user_text(caption, caption=True))
            return copy.deepcopy(self._user_message(bot, chat, user, extra))

    def press_button(self, token: str, chat_id: int, message_id: int, callback_data: str, user_id: int) -> dict:
        """A user presses an inline button the bot sent; ValueError if that message has no such button."""
        with self._lock:
            bot, user, chat = self._acting(token, chat_id, user_id)
            msg = chat.messages.get(message_id)
            if msg is None or msg.deleted:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            buttons = [
                b
                for row in (msg.reply_markup or {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data") == callback_data
            ]
            if not buttons:
                raise ValueError(f"message {message_id} has no button with callback_data {callback_data!r}")
            qid = str(bot.id * 1_000_000 + bot.next_callback_id)
            bot.next_callback_id += 1
            bot.callback_queries[qid] = CallbackQuery(
                id=qid,
                created=time.monotonic(),
                chat_id=chat.id,
                message_id=message_id,
                user_id=user.id,
                data=callback_data,
            )
            query = {
                "id": qid,
                "from": user.as_dict(),
                "message": self._message_dict(bot, chat, msg),
                "chat_instance": str((chat.id * 1_000_003 + bot.id) % (1 << 63)),
                "data": callback_data,
            }
            self._enqueue(bot, "callback_query", query, chat.id)
            return copy.deepcopy(query)

    def buttons(self, chat_id: int, message_id: int) -> list[list[dict[str, Any]]]:
        """The inline keyboard of a bot message (empty if none)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            msg = chat.messages.get(message_id) if chat else None
            if msg is None or msg.reply_markup is None:
                return []
            return copy.deepcopy(msg.reply_markup.get("inline_keyboard", []))

    def _member_update(self, chat: Chat, actor: dict[str, Any], old: str, new: str) -> None:
        """Queue my_chat_member for every bot: a ChatMemberUpdated with its required fields (chat, from, date, both
        ChatMember objects in full, as members.chat_member builds them)."""
        for bot in self._bots.values():
            me = bot.as_user_dict()
            payload: dict[str, Any] = {
                "chat": chat.as_dict(),
                "from": actor,
                "date": self._now(),
                "old_chat_member": chat_member(chat, me, old),
                "new_chat_member": chat_member(chat, me, new),
            }
            self._enqueue(bot, "my_chat_member", payload, chat.id)

    def _group_actor(self, chat: Chat, by: int | None) -> dict[str, Any]:
        """Who removed or added the bot: BY, else the group's creator or an administrator (set_chat_member), else
        Telegram's service account (777000), so that ChatMemberUpdated.from is never missing."""
        if by is not None:
            return self._user(by).as_dict()
        for role in ("creator", "administrator"):
            for (chat_id, user_id), status in sorted(self._member_status.items()):
                if chat_id == chat.id and status == role and user_id in self._users:
                    return self._users[user_id].as_dict()
        return dict(SERVICE_USER)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends get 403 "bot was blocked by the user"."""
        with self._lock:
            user = self._user(user_id)
            if not user.blocked:
                user.blocked = True
                self._member_update(self._chats[user_id], user.as_dict(), "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks (restarts) the bot."""
        with self._lock:
            user = self._user(user_id)
            if user.blocked:
                user.blocked = False
                user.started = True
                self._member_update(self._chats[user_id], user.as_dict(), "kicked", "member")

    def deactivate_user(self, user_id: int) -> None:
        """The user deletes their account: sends get 403 "user is deactivated"."""
        with self._lock:
            self._user(user_id).deactivated = True

    def kick(self, chat_id: int, *, by: int | None = None) -> None:
        """The bot is removed from a group/supergroup/channel (by user BY, see _group_actor): sends get 403
        "bot was kicked…"."""
        with self._lock:
            chat = self._group_or_channel(chat_id)
            chat.kicked = True
            before = "administrator" if chat.type == "channel" else "member"
            self._member_update(chat, self._group_actor(chat, by), before, "kicked")

    def unkick(self, chat_id: int, *, by: int | None = None) -> None:
        """The bot is added back to the group."""
        with self._lock:
            chat = self._group_or_channel(chat_id)
            chat.kicked = False
            after = "administrator" if chat.type == "channel" else "member"
            self._member_update(chat, self._group_actor(chat, by), "left", after)

    def set_chat_state(self, chat_id: int, state: str | None, *, by: int | None = None) -> None:
        """The bot's standing in a group or channel: None (a member that may send), "left" (403 bot is not a
        member of the … chat), "deleted" (403 the group chat was deleted; 400 chat not found for supergroups and
        channels), "no_send" (400 not enough rights to send text messages to the chat), "not_admin" (channels:
        400 need administrator rights in the channel chat). Leaving and rejoining queue my_chat_member."""
        if state not in CHAT_STATES:
            raise ValueError(f"unknown chat state {state!r}; one of {sorted(s for s in CHAT_STATES if s)} or None")
        with self._lock:
            chat = self._group_or_channel(chat_id)
            before, chat.state = chat.state, state
            member = "administrator" if chat.type == "channel" else "member"
            if state == "left" and before != "left":
                self._member_update(chat, self._group_actor(chat, by), member, "left")
            elif before == "left" and state != "left":
                self._member_update(chat, self._group_actor(chat, by), "left", member)

    def advance_clock(self, seconds: float) -> int:
        """Move the server's clock forward by SECONDS (message dates, the 48-hour limit of deleteMessage); returns
        the server's new unix time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._clock_offset += seconds
            return self._now()

    def _group_or_channel(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"no group or channel {chat_id}")
        return chat

    def migrate_group(self, chat_id: int) -> int:
        """Upgrade a group to a supergroup; returns the new id (-100…). Sends to the old id then fail with
        400 and parameters.migrate_to_chat_id; service messages are queued as Telegram does."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or chat.type != "group":
                raise ValueError(f"no basic group {chat_id}")
            if chat.migrated_to is not None:
                return chat.migrated_to
            new_id = -(10**12) - abs(chat_id)
            while new_id in self._chats:
                new_id -= 1
            new_chat = Chat(id=new_id, type="supergroup", title=chat.title)
            self._chats[new_id] = new_chat
            chat.migrated_to = new_id
            for bot in self._bots.values():
                old_msg: dict[str, Any] = {
                    "message_id": self._new_message_id(chat),
                    "chat": chat.as_dict(),
                    "date": self._now(),
                    "migrate_to_chat_id": new_id,
                }
                chat.add_user_message(old_msg)
                self._enqueue(bot, "message", old_msg, chat.id)
                new_msg: dict[str, Any] = {
                    "message_id": self._new_message_id(new_chat),
                    "sender_chat": new_chat.as_dict(),
                    "chat": new_chat.as_dict(),
                    "date": self._now(),
                    "migrate_from_chat_id": chat.id,
                }
                new_chat.add_user_message(new_msg)
                self._enqueue(bot, "message", new_msg, new_id)
            return new_id

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in a chat, in order, in their current state (deleted ones flagged)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            out = []
            for m in chat.messages.values():
                c = copy.copy(m)
                c.edits = list(m.edits)
                out.append(c)
            return out

    def user_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What users (and Telegram's service messages) wrote in a chat, as Message dicts."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return copy.deepcopy(list(chat.user_messages.values())) if chat else []

    def message_dict(self, token: str, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A bot message as the Bot API returns it (None if missing or deleted)."""
        with self._lock:
            bot = self._bot(token)
            chat = self._chats.get(chat_id)
            if chat is None:
                return None
            m = chat.messages.get(message_id)
            if m is None or m.deleted:
                return None
            return copy.deepcopy(self._message_dict(bot, chat, m))

    def sent_count(self, chat_id: int | None = None) -> int:
        """Number of bot messages (not deleted) in one chat, or in all chats."""
        with self._lock:
            chats = [self._chats[chat_id]] if chat_id is not None and chat_id in self._chats else (
                [] if chat_id is not None else list(self._chats.values())
            )
            return sum(1 for c in chats for m in c.messages.values() if not m.deleted)

    def message_counts(self, method: str | None = None) -> dict[int, int]:
        """chat_id -> number of bot messages (deleted ones included: they were delivered) for every chat that
        received any, optionally only those sent with ``method``; cheap enough for 100,000 chats."""
        with self._lock:
            out: dict[int, int] = {}
            for cid, chat in self._chats.items():
                n = sum(1 for m in chat.messages.values() if method is None or m.method == method)
                if n:
                    out[cid] = n
            return out

    def chats(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c.as_dict()) for c in self._chats.values()]

    def callback_answers(self) -> list[dict]:
        """Every successful answerCallbackQuery, in order."""
        with self._lock:
            return [dict(a) for a in self._callback_answers]

    def commands(self, token: str) -> dict[str, list[dict]]:
        """setMyCommands of the default scope per language code ("" = no language)."""
        with self._lock:
            bot = self._bot(token)
            return {lang: list(cmds) for (scope, lang), cmds in bot.commands.items() if scope == "default"}

    def all_commands(self, token: str) -> dict[tuple[str, str], list[dict]]:
        """Commands for every (scope, language_code) key; scope keys look like "default", "chat:-100"."""
        with self._lock:
            return {k: list(v) for k, v in self._bot(token).commands.items()}

    def method_counts(self) -> collections.Counter[tuple[str, int]]:
        """(method, HTTP status) -> count; status 0 = no HTTP response (injected hang/drop)."""
        with self._lock:
            return collections.Counter(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def polling(self, token: str) -> bool:
        """True while a getUpdates request of this bot is waiting for updates."""
        with self._lock:
            return self._bot(token).active_poll is not None

    def pending_updates(self, token: str) -> int:
        with self._lock:
            return len(self._bot(token).updates)

    def webhook_info(self, token: str) -> dict[str, Any]:
        with self._lock:
            return self._webhook_info(self._bot(token))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass (for tests in a plain thread)."""
        deadline = time.monotonic() + timeout
        while (settled := _settled(predicate, deadline)) is None:
            time.sleep(0.01)
        return settled

    async def await_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Async version of wait_for (for tests running an event loop)."""
        deadline = time.monotonic() + timeout
        while (settled := _settled(predicate, deadline)) is None:
            await asyncio.sleep(0.01)
        return settled

    async def _handle_control(self, request: web.Request, name: str) -> web.StreamResponse:
        if name not in CONTROL_METHODS:
            return json_response({"ok": False, "error": f"unknown control method {name!r}"}, 404)
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            return json_response({"ok": False, "error": "body must be a JSON object"}, 400)
        if not isinstance(body, dict):
            return json_response({"ok": False, "error": "body must be a JSON object"}, 400)
        try:
            if name == "wait_messages":
                result: Any = await self._control_wait_messages(**body)
            else:
                result = await asyncio.get_running_loop().run_in_executor(None, self._control_call, name, body)
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"ok": False, "error": str(exc)}, 400)
        except Exception as exc:  # reported to the controlling process instead of a bare 500 page
            log.exception("control call %s failed", name)
            return json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 500)
        return json_response({"ok": True, "result": result}, 200)

    def _control_call(self, name: str, body: dict[str, Any]) -> Any:
        if name == "send_document":
            body = dict(body)
            body["data"] = base64.b64decode(body.pop("data_b64", ""))
        if name == "inject_faults":
            body = dict(body)
            if "kinds" in body:
                body["kinds"] = tuple(body["kinds"])
            if body.get("methods") is not None:
                body["methods"] = set(body["methods"])
        if name == "set_limits":
            self.set_limits(Limits(**body))
            return True
        result = getattr(self, name)(**body)
        if name in ("messages",):
            return [sent_message_json(m) for m in result]
        if name == "method_counts":
            return [{"method": m, "status": s, "count": c} for (m, s), c in sorted(result.items())]
        if name == "commands":
            return result
        if name == "message_counts":
            return {str(k): v for k, v in result.items()}
        return True if result is None else result

    async def _control_wait_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until chat_id has at least ``count`` bot messages; returns them (possibly fewer on timeout)."""
        await self.await_for(lambda: len(self.messages(chat_id)) >= count, timeout)
        return [sent_message_json(m) for m in self.messages(chat_id)]


def _settled(predicate: Callable[[], bool], deadline: float) -> bool | None:
    """True once PREDICATE holds, False once the monotonic DEADLINE has passed, None while the wait goes on."""
    if predicate():
        return True
    if time.monotonic() >= deadline:
        return False
    return None
