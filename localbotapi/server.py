"""The local Telegram Bot API server: real HTTP on 127.0.0.1, Telegram's JSON shapes, errors and limits.

All state lives behind one lock so that tests (in their own thread) and the aiohttp handlers (in the
server's thread) can both act on it. Control methods act as users and read what chats received.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import json
import logging
import math
import mimetypes
import random
import re
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from multidict import MultiDictProxy

from .limits import Limits, SlidingWindow, per_second_window, retry_after_seconds
from .model import (
    ApiError,
    Bot,
    CallbackQuery,
    Chat,
    Poll,
    SentMessage,
    StoredFile,
    Update,
    User,
    Webhook,
)
from .tghtml import EntityParseError, ParsedText, clean_and_trim, parse_html, parse_text, utf16_len

log = logging.getLogger(__name__)

MAX_TEXT_UTF16 = 4096
MAX_RAW_TEXT_BYTES = 32768
MAX_CAPTION_UTF16 = 1024
MAX_DOWNLOAD = 20 << 20
MAX_UPLOAD = 50 << 20
MAX_PHOTO = 10 << 20
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_TEXT = 200

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)
DEFAULT_ALLOWED = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
        "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media",
        "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANG_RE = re.compile(r"^[a-z]{2}$")

_METHODS = (
    "getMe", "logOut", "close", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands",
    "getMyCommands", "deleteMyCommands", "sendMessage", "editMessageText", "editMessageReplyMarkup",
    "editMessageCaption", "deleteMessage", "deleteMessages", "answerCallbackQuery", "sendChatAction",
    "sendDocument", "sendPhoto", "copyMessage", "getFile", "getChat", "setMyDescription",
    "setMyShortDescription", "setMyName", "setChatMenuButton",
)  # fmt: skip
CANONICAL = {m.lower(): m for m in _METHODS}

CONTROL_METHODS = frozenset(
    {
        "add_bot", "add_user", "add_group", "send_text", "send_document", "press_button", "block", "unblock",
        "deactivate_user", "kick", "unkick", "edit_text", "migrate_group", "messages", "user_messages",
        "callback_answers",
        "commands", "method_counts", "inject_faults", "clear_faults", "faults", "set_limits", "reset_counts",
        "pending_updates", "webhook_info", "wait_messages", "chats", "polling", "message_counts",
        "sent_count",
    }
)  # fmt: skip


class _Params:
    """Request parameters from query string, form, multipart or JSON, read with Telegram's leniency."""

    __slots__ = ("d",)

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d

    def raw(self, name: str) -> Any:
        v = self.d.get(name)
        if v is None or (isinstance(v, str) and v == ""):
            return None
        return v

    def get_str(self, name: str) -> str | None:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, web.FileField):
            raise ApiError(400, f'Bad Request: parameter "{name}" must be a string')
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        return json.dumps(v, ensure_ascii=False)

    def get_int(self, name: str) -> int | None:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, float) and math.isfinite(v):
            return int(v)
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                pass
            try:
                f = float(v.strip())  # "10.0", as clients may serialize a float timeout
            except ValueError:
                pass
            else:
                if math.isfinite(f):
                    return int(f)
        raise ApiError(400, f'Bad Request: field "{name}" must be a valid Number')

    def get_bool(self, name: str) -> bool:
        v = self.raw(name)
        if v is None:
            return False
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            return v != 0
        if isinstance(v, str):
            return v.strip().lower() in ("true", "1")
        return False

    def get_json(self, name: str, what: str) -> Any:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, str):
            try:
                return json.loads(v)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
        if isinstance(v, web.FileField):
            raise ApiError(400, f"Bad Request: can't parse {what} JSON object")
        return v


class _Fault:
    __slots__ = ("count", "deliver_before_fault", "hang_seconds", "kinds", "methods", "rate", "retry_after", "rng")

    def __init__(
        self,
        rate: float,
        kinds: tuple[str, ...],
        methods: set[str] | None,
        seed: int,
        count: int | None,
        deliver_before_fault: float,
        hang_seconds: float,
        retry_after: int,
    ) -> None:
        for k in kinds:
            if k not in ("502", "hang", "drop", "429"):
                raise ValueError(f"unknown fault kind {k!r}")
        self.rate = rate
        self.kinds = kinds
        self.methods = {m.lower() for m in methods} if methods is not None else None
        self.rng = random.Random(seed)
        self.count = count
        self.deliver_before_fault = deliver_before_fault
        self.hang_seconds = hang_seconds
        self.retry_after = retry_after


class LocalBotApi:
    """A local Telegram Bot API server for tests and the sandbox (see interfaces.md)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None) -> None:
        self.host = host
        self.port = port
        self.limits = limits if limits is not None else Limits()
        self._lock = threading.RLock()
        self._bots: dict[str, Bot] = {}
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._counts: collections.Counter[tuple[str, int]] = collections.Counter()
        self._callback_answers: list[dict[str, Any]] = []
        self._fault: _Fault | None = None
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

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def api_base_url(self) -> str:
        return f"{self.url}/bot"

    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    def start(self) -> None:
        """Start serving in a background thread; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="localbotapi", daemon=True)
        self._thread.start()
        ready.wait()
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"local Bot API server failed to start: {self._start_error}")

    def stop(self) -> None:
        """Stop the server; hanging requests and long polls are cut off, not waited for."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            fut.result(timeout=10)
        except Exception:  # shutdown must not raise into tests' teardown
            log.exception("error while stopping the local Bot API server")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None
        with self._lock:
            for bot in self._bots.values():
                bot.active_poll = None
                if bot.webhook is not None:
                    # a webhook survives a restart, as on Telegram: delivery resumes on the next start()
                    bot.webhook_inflight_ids.clear()
                    bot.webhook_inflight_chats.clear()

    def __enter__(self) -> LocalBotApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # reported to start()'s caller
            self._start_error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        # events and tasks of a previous start() belong to a closed loop
        self._bot_events = {}
        self._webhook_tasks = {}
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD + (1 << 20))
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024, reuse_address=True)
        await site.start()
        for bot in self._bots.values():
            if bot.webhook is not None:
                self._webhook_tasks[bot.token] = asyncio.get_running_loop().create_task(self._webhook_worker(bot))
        server: Any = site._server
        if server is not None and getattr(server, "sockets", None):
            self.port = int(server.sockets[0].getsockname()[1])
        self._runner = runner

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        for ev in self._bot_events.values():
            ev.set()
        for task in list(self._webhook_tasks.values()):
            task.cancel()
        self._webhook_tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ wake-ups for long polls / webhooks

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

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/bot"):
            token, _, method = path[4:].partition("/")
            return await self._handle_api(request, token, method)
        if path.startswith("/file/bot"):
            token, _, file_path = path[9:].partition("/")
            return self._handle_file(token, file_path)
        if path.startswith("/_control/"):
            return await self._handle_control(request, path[10:])
        return _json_response(ApiError(404, "Not Found").payload(), 404)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = json.loads(await request.read())
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON object") from None
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                post: MultiDictProxy[Any] = await request.post()
                params.update(post.items())
        return params

    async def _handle_api(self, request: web.Request, token: str, method_raw: str) -> web.StreamResponse:
        with self._lock:
            bot = self._bots.get(token)
        if bot is None:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        lower = method_raw.lower()
        method = CANONICAL.get(lower)
        if method is None:
            with self._lock:
                self._counts[(method_raw, 404)] += 1
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        fault = self._pick_fault(lower)
        if fault is not None:
            kind, deliver, retry_after = fault
            if kind == "502":
                self._count(method, 502)
                self._log_fault(method, kind, False, None)
                return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
            if kind == "429":
                self._count(method, 429)
                self._log_fault(method, kind, False, None)
                err = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
                return _json_response(err.payload(), 429, {"Retry-After": str(retry_after)})
            result_info: Any = None
            if deliver:
                try:
                    params = await self._read_params(request)
                    result_info = await self._call(bot, method, _Params(params), request)
                except ApiError as exc:
                    result_info = {"error": exc.description}
            self._count(method, 0)
            self._log_fault(method, kind, deliver, result_info)
            if kind == "hang":
                assert self._stopping is not None
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=fault_hang(self))
                except TimeoutError:
                    pass
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError  # nothing may be written on the aborted connection
        try:
            params = await self._read_params(request)
            result = await self._call(bot, method, _Params(params), request)
        except ApiError as exc:
            self._count(method, exc.code)
            headers = None
            if exc.code == 429 and exc.parameters:
                headers = {"Retry-After": str(exc.parameters.get("retry_after", 1))}
            return _json_response(exc.payload(), exc.code, headers)
        except web.HTTPRequestEntityTooLarge:
            self._count(method, 413)
            return _json_response(ApiError(413, "Request Entity Too Large").payload(), 413)
        self._count(method, 200)
        body: dict[str, Any] = {"ok": True, "result": result}
        if method == "setWebhook":
            body["description"] = "Webhook was set"
        elif method == "deleteWebhook":
            body["description"] = "Webhook was deleted"
        return _json_response(body, 200)

    def _handle_file(self, token: str, file_path: str) -> web.StreamResponse:
        with self._lock:
            if token not in self._bots:
                return _json_response(ApiError(401, "Unauthorized").payload(), 401)
            f = self._files_by_path.get(file_path)
        if f is None:
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    def _count(self, method: str, status: int) -> None:
        with self._lock:
            self._counts[(method, status)] += 1

    async def _call(self, bot: Bot, method: str, p: _Params, request: web.Request | None = None) -> Any:
        if method == "getUpdates":
            return await self._get_updates(bot, p, request)
        handler: Callable[[Bot, _Params], Any] = getattr(self, "_m_" + method)
        with self._lock:
            return handler(bot, p)

    # ------------------------------------------------------------------ faults

    def _pick_fault(self, method_lower: str) -> tuple[str, bool, int] | None:
        with self._lock:
            f = self._fault
            if f is None or f.rate <= 0:
                return None
            if f.methods is not None and method_lower not in f.methods:
                return None
            if f.count is not None and f.count <= 0:
                return None
            if f.rng.random() >= f.rate:
                return None
            kind = f.rng.choice(f.kinds)
            deliver = kind in ("drop", "hang") and f.rng.random() < f.deliver_before_fault
            if f.count is not None:
                f.count -= 1
            return kind, deliver, f.retry_after

    def _log_fault(self, method: str, kind: str, delivered: bool, result: Any) -> None:
        entry: dict[str, Any] = {"method": method, "kind": kind, "delivered": delivered}
        if isinstance(result, dict):
            if "message_id" in result:
                entry["message_id"] = result["message_id"]
                entry["chat_id"] = result["chat"]["id"]
            if "error" in result:
                entry["error"] = result["error"]
        with self._lock:
            self._fault_log.append(entry)

    # ------------------------------------------------------------------ lookups and checks

    def _chat(self, p: _Params, name: str = "chat_id") -> Chat:
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

    def _check_can_write(self, chat: Chat) -> None:
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
        elif chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")

    def _rate_check(self, bot: Bot, chat: Chat, paid: bool) -> None:
        lim = self.limits
        if not lim.enabled:
            return
        now = time.monotonic()
        if paid:
            if bot.paid is None:
                bot.paid = SlidingWindow(*per_second_window(lim.paid_per_second))
            global_w = bot.paid
        else:
            if bot.overall is None:
                bot.overall = SlidingWindow(*per_second_window(lim.overall_per_second))
            global_w = bot.overall
        chat_w = bot.chat_windows.get(chat.id)
        if chat_w is None:
            if chat.type == "private":
                chat_w = SlidingWindow(*per_second_window(lim.private_per_second))
            else:
                chat_w = SlidingWindow(lim.group_per_minute, 60.0)
            bot.chat_windows[chat.id] = chat_w
        wait = max(global_w.wait_time(now), chat_w.wait_time(now))
        if wait > 0:
            n = retry_after_seconds(wait)
            raise ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n})
        global_w.record(now)
        chat_w.record(now)
        bot.sends_since_sweep += 1
        if bot.sends_since_sweep >= 4096:
            # forget idle chats' windows so that a 100,000-chat broadcast does not keep 100,000 deques
            bot.sends_since_sweep = 0
            idle = [cid for cid, w in bot.chat_windows.items() if w.idle(now)]
            for cid in idle:
                del bot.chat_windows[cid]

    def _parse(
        self, text: str | None, parse_mode: str | None, *, caption: bool = False, entities: Any = None
    ) -> tuple[str, ParsedText]:
        """Check and parse a text or caption; returns (the raw text, interned, and the parsed text). Results are
        cached because a broadcast sends the same text thousands of times. ``entities`` is the raw
        entities/caption_entities parameter, used when there is no parse_mode."""
        key = (text or "", parse_mode, caption)
        cached = self._parse_cache.get(key) if entities is None else None
        if cached is not None:
            return cached
        raw = text or ""
        if not caption and not raw:
            raise ApiError(400, "Bad Request: message text is empty")
        if not caption and len(raw.encode("utf-8")) > MAX_RAW_TEXT_BYTES:
            raise ApiError(400, "Bad Request: text is too long")
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(raw)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode == "" and entities is not None:
            parsed = clean_and_trim(raw, _explicit_entities(raw, entities))
        elif mode == "":
            parsed = parse_text(raw)
        else:
            # The local server implements only HTML; refusing is stricter than guessing.
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        if caption:
            if utf16_len(parsed.text) > MAX_CAPTION_UTF16:
                raise ApiError(400, "Bad Request: message caption is too long")
        else:
            if not parsed.text:
                raise ApiError(400, "Bad Request: message text is empty")
            if utf16_len(parsed.text) > MAX_TEXT_UTF16:
                raise ApiError(400, "Bad Request: message is too long")
        if len(self._parse_cache) > 4096:
            self._parse_cache.clear()
        if entities is None:
            self._parse_cache[key] = (raw, parsed)
        return raw, parsed

    def _markup(self, p: _Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        raw = p.raw("reply_markup")
        if raw is None:
            return None
        key = raw if isinstance(raw, str) else None
        if key is not None:
            cached = self._markup_cache.get(key)
            if cached is not None:
                return cached
        value = p.get_json("reply_markup", "reply keyboard markup")
        markup = _validate_markup(value, inline_only=inline_only)
        if key is not None:
            if len(self._markup_cache) > 4096:
                self._markup_cache.clear()
            self._markup_cache[key] = markup
        return markup

    def _bot_message(self, chat: Chat, p: _Params, name: str = "message_id", *, what: str) -> SentMessage:
        mid = p.get_int(name)
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            if mid in chat.user_messages and what == "edit":
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return msg

    # ------------------------------------------------------------------ JSON shapes

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
            d["document"] = _document_dict(f)
        if m.photo is not None and m.file_id is not None:
            f = self._files[m.file_id]
            d["photo"] = [_photo_size(f)]
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

    # ------------------------------------------------------------------ Bot API methods

    def _m_getMe(self, bot: Bot, p: _Params) -> dict[str, Any]:
        d = dict(bot.as_user_dict())
        d.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return d

    def _m_logOut(self, bot: Bot, p: _Params) -> bool:
        return True

    def _m_close(self, bot: Bot, p: _Params) -> bool:
        return True

    def _m_setMyDescription(self, bot: Bot, p: _Params) -> bool:
        d = p.get_str("description") or ""
        if len(d) > 512:
            raise ApiError(400, "Bad Request: description is too long")
        return True

    def _m_setMyShortDescription(self, bot: Bot, p: _Params) -> bool:
        d = p.get_str("short_description") or ""
        if len(d) > 120:
            raise ApiError(400, "Bad Request: short description is too long")
        return True

    def _m_setMyName(self, bot: Bot, p: _Params) -> bool:
        return True

    def _m_setChatMenuButton(self, bot: Bot, p: _Params) -> bool:
        return True

    async def _get_updates(
        self, bot: Bot, p: _Params, request: web.Request | None = None
    ) -> list[dict[str, Any]]:
        offset = p.get_int("offset") or 0
        limit = p.get_int("limit")
        limit = 100 if limit is None else min(100, max(1, limit))
        timeout = p.get_int("timeout") or 0
        timeout = min(max(0, timeout), self.limits.max_long_poll)
        allowed = p.get_json("allowed_updates", "allowed updates")
        poll = Poll()
        with self._lock:
            if bot.webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
            if allowed is not None:
                if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                    raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
                bot.allowed_updates = list(allowed)
            self._confirm(bot, offset)
            previous = bot.active_poll
            bot.active_poll = poll
        if previous is not None:
            previous.conflict = True
            self._wake_in_loop(bot.token)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        assert self._stopping is not None
        try:
            while True:
                ev = self._event(bot.token)
                with self._lock:
                    if poll.conflict:
                        raise ApiError(409, CONFLICT_POLL)
                    if bot.webhook is not None:
                        raise ApiError(409, CONFLICT_WEBHOOK)
                    items = [u.as_dict() for u in _take(bot.updates, offset, limit)]
                if items or self._stopping.is_set():
                    return items
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return items
                if request is not None and (request.transport is None or request.transport.is_closing()):
                    return items  # the client gave up (e.g. a stopped poller): stop counting it as polling
                try:
                    await asyncio.wait_for(ev.wait(), timeout=min(remaining, 0.5))
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                if bot.active_poll is poll:
                    bot.active_poll = None

    def _confirm(self, bot: Bot, offset: int) -> None:
        q = bot.updates
        if offset < 0:
            while len(q) > -offset:
                q.popleft()
        elif offset > 0:
            while q and q[0].update_id < offset:
                q.popleft()

    def _m_setWebhook(self, bot: Bot, p: _Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            return self._m_deleteWebhook(bot, p)
        if not re.match(r"^https?://[^\s/]+", url):
            raise ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_conn = p.get_int("max_connections") or 40
        if not 1 <= max_conn <= 100:
            raise ApiError(400, "Bad Request: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates", "allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
            bot.allowed_updates = [str(a) for a in allowed]
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = Webhook(
            url=url, secret_token=secret, max_connections=max_conn, ip_address=p.get_str("ip_address")
        )
        self._restart_webhook_worker(bot)
        self._notify(bot.token)
        return True

    def _m_deleteWebhook(self, bot: Bot, p: _Params) -> bool:
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        bot.webhook_inflight_ids.clear()
        bot.webhook_inflight_chats.clear()
        task = self._webhook_tasks.pop(bot.token, None)
        if task is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(task.cancel)
        return True

    def _m_getWebhookInfo(self, bot: Bot, p: _Params) -> dict[str, Any]:
        return self._webhook_info(bot)

    def _webhook_info(self, bot: Bot) -> dict[str, Any]:
        wh = bot.webhook
        info: dict[str, Any] = {
            "url": wh.url if wh else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if wh is not None:
            info["max_connections"] = wh.max_connections
            if wh.ip_address:
                info["ip_address"] = wh.ip_address
            if wh.last_error_date is not None:
                info["last_error_date"] = wh.last_error_date
                info["last_error_message"] = wh.last_error_message
            if bot.allowed_updates is not None:
                info["allowed_updates"] = bot.allowed_updates
        return info

    # --- commands

    def _scope_key(self, p: _Params) -> str:
        scope = p.get_json("scope", "bot command scope")
        if scope is None:
            return "default"
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse bot command scope JSON object")
        stype = scope["type"]
        if stype in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return str(stype)
        if stype in ("chat", "chat_administrators"):
            if "chat_id" not in scope:
                raise ApiError(400, "Bad Request: chat_id is empty")
            chat = self._chat(_Params({"chat_id": scope["chat_id"]}))
            return f"{stype}:{chat.id}"
        if stype == "chat_member":
            chat = self._chat(_Params({"chat_id": scope.get("chat_id")}))
            return f"chat_member:{chat.id}:{scope.get('user_id')}"
        raise ApiError(400, "Bad Request: unsupported bot command scope type")

    def _lang(self, p: _Params) -> str:
        lang = p.get_str("language_code") or ""
        if lang and not _LANG_RE.match(lang):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return lang

    def _m_setMyCommands(self, bot: Bot, p: _Params) -> bool:
        commands = p.get_json("commands", "bot commands")
        if commands is None:
            commands = []
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse bot commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        clean: list[dict[str, str]] = []
        for c in commands:
            if not isinstance(c, dict) or not isinstance(c.get("command"), str):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            name = c["command"]
            desc = c.get("description")
            if name.startswith("/"):
                name = name[1:]
            if not _BOT_COMMAND_NAME.match(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        key = (self._scope_key(p), self._lang(p))
        if clean:
            bot.commands[key] = clean
        else:
            bot.commands.pop(key, None)
        return True

    def _m_getMyCommands(self, bot: Bot, p: _Params) -> list[dict[str, str]]:
        key = (self._scope_key(p), self._lang(p))
        return list(bot.commands.get(key, []))

    def _m_deleteMyCommands(self, bot: Bot, p: _Params) -> bool:
        bot.commands.pop((self._scope_key(p), self._lang(p)), None)
        return True

    # --- sending

    def _reply_to(self, chat: Chat, p: _Params) -> int | None:
        rp = p.get_json("reply_parameters", "reply parameters")
        mid: int | None
        allow_without = p.get_bool("allow_sending_without_reply")
        if rp is not None:
            if not isinstance(rp, dict) or "message_id" not in rp:
                raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
            mid = _Params(rp).get_int("message_id")
            allow_without = bool(rp.get("allow_sending_without_reply", False))
            if rp.get("chat_id") not in (None, chat.id):
                raise ApiError(400, "Bad Request: message to be replied not found")
        else:
            mid = p.get_int("reply_to_message_id")
        if mid is None:
            return None
        exists = (mid in chat.messages and not chat.messages[mid].deleted) or mid in chat.user_messages
        if not exists:
            if allow_without:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return mid

    def _new_message_id(self, chat: Chat) -> int:
        mid = chat.next_message_id
        chat.next_message_id = mid + 1
        return mid

    def _m_sendMessage(self, bot: Bot, p: _Params) -> dict[str, Any]:
        chat = self._chat(p)
        self._check_can_write(chat)
        parse_mode = _intern(p.get_str("parse_mode"))
        html, parsed = self._parse(p.get_str("text"), parse_mode, entities=p.get_json("entities", "entities"))
        markup = self._markup(p)
        lpo = p.get_json("link_preview_options", "link preview options")
        if lpo is not None and not isinstance(lpo, dict):
            raise ApiError(400, "Bad Request: can't parse link preview options JSON object")
        reply_to = self._reply_to(chat, p)
        paid = p.get_bool("allow_paid_broadcast")
        self._rate_check(bot, chat, paid)
        msg = SentMessage(
            message_id=self._new_message_id(chat),
            chat_id=chat.id,
            text=parsed.text,
            html=html,
            entities=parsed.entities,
            reply_markup=markup,
            date=int(time.time()),
            method="sendMessage",
            protect_content=p.get_bool("protect_content"),
            link_preview_options=lpo,
            reply_to_message_id=reply_to,
            paid_broadcast=paid,
            parse_mode=parse_mode,
        )
        chat.add_message(msg)
        return self._message_dict(bot, chat, msg)

    def _m_copyMessage(self, bot: Bot, p: _Params) -> dict[str, Any]:
        chat = self._chat(p)
        from_chat = self._chat(p, "from_chat_id")
        self._check_can_write(chat)
        src_id = p.get_int("message_id")
        src = from_chat.messages.get(src_id) if src_id is not None else None
        if src is None or src.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        markup = self._markup(p)
        self._rate_check(bot, chat, p.get_bool("allow_paid_broadcast"))
        msg = copy.copy(src)
        msg.message_id = self._new_message_id(chat)
        msg.chat_id = chat.id
        msg.edits = []
        msg.edit_date = None
        msg.date = int(time.time())
        msg.method = "copyMessage"
        msg.reply_markup = markup
        chat.add_message(msg)
        return {"message_id": msg.message_id}

    def _m_editMessageText(self, bot: Bot, p: _Params) -> dict[str, Any]:
        if p.raw("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(p)
        self._check_can_write(chat)
        msg = self._bot_message(chat, p, what="edit")
        parse_mode = _intern(p.get_str("parse_mode"))
        html, parsed = self._parse(p.get_str("text"), parse_mode, entities=p.get_json("entities", "entities"))
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._markup(p, inline_only=True)
        lpo = p.get_json("link_preview_options", "link preview options")
        if parsed.text == msg.text and parsed.entities == msg.entities and markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.text = parsed.text
        msg.html = html
        msg.entities = parsed.entities
        msg.parse_mode = parse_mode
        msg.reply_markup = markup
        if lpo is not None:
            msg.link_preview_options = lpo
        msg.edits.append(parsed.text)
        msg.edit_date = int(time.time())
        return self._message_dict(bot, chat, msg)

    def _m_editMessageCaption(self, bot: Bot, p: _Params) -> dict[str, Any]:
        if p.raw("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(p)
        self._check_can_write(chat)
        msg = self._bot_message(chat, p, what="edit")
        if msg.text is not None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        _, parsed = self._parse(
            p.get_str("caption"),
            p.get_str("parse_mode"),
            caption=True,
            entities=p.get_json("caption_entities", "caption entities"),
        )
        markup = self._markup(p, inline_only=True)
        if (
            parsed.text == (msg.caption or "")
            and parsed.entities == msg.caption_entities
            and markup == msg.reply_markup
        ):
            raise ApiError(400, NOT_MODIFIED)
        msg.caption = parsed.text or None
        msg.caption_entities = parsed.entities
        msg.reply_markup = markup
        msg.edits.append(parsed.text)
        msg.edit_date = int(time.time())
        return self._message_dict(bot, chat, msg)

    def _m_editMessageReplyMarkup(self, bot: Bot, p: _Params) -> dict[str, Any]:
        if p.raw("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(p)
        self._check_can_write(chat)
        msg = self._bot_message(chat, p, what="edit")
        markup = self._markup(p, inline_only=True)
        if markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return self._message_dict(bot, chat, msg)

    def _m_deleteMessage(self, bot: Bot, p: _Params) -> bool:
        chat = self._chat(p)
        mid = p.get_int("message_id")
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        if chat.migrated_to is not None:
            self._check_can_write(chat)
        msg = chat.messages.get(mid)
        if msg is not None and not msg.deleted:
            msg.deleted = True
            return True
        if mid in chat.user_messages:
            if chat.type == "private":
                del chat.user_messages[mid]
                return True
            raise ApiError(400, "Bad Request: message can't be deleted")
        raise ApiError(400, "Bad Request: message to delete not found")

    def _m_deleteMessages(self, bot: Bot, p: _Params) -> bool:
        chat = self._chat(p)
        ids = p.get_json("message_ids", "message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: message_ids must be a non-empty list of at most 100 identifiers")
        for mid in ids:
            msg = chat.messages.get(int(mid))
            if msg is not None:
                msg.deleted = True
            chat.user_messages.pop(int(mid), None)
        return True

    def _m_answerCallbackQuery(self, bot: Bot, p: _Params) -> bool:
        qid = p.get_str("callback_query_id")
        text = p.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        q = bot.callback_queries.get(qid or "")
        now = time.monotonic()
        if q is None or q.answered or now - q.created > self.limits.callback_query_timeout:
            raise ApiError(400, QUERY_TOO_OLD)
        q.answered = True
        self._callback_answers.append(
            {
                "callback_query_id": q.id,
                "text": text,
                "show_alert": p.get_bool("show_alert"),
                "url": p.get_str("url"),
                "cache_time": p.get_int("cache_time") or 0,
                "user_id": q.user_id,
                "chat_id": q.chat_id,
                "message_id": q.message_id,
                "data": q.data,
            }
        )
        return True

    def _m_sendChatAction(self, bot: Bot, p: _Params) -> bool:
        chat = self._chat(p)
        self._check_can_write(chat)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_getChat(self, bot: Bot, p: _Params) -> dict[str, Any]:
        chat = self._chat(p)
        if chat.migrated_to is not None:
            self._check_can_write(chat)
        if chat.type == "private":
            user = self._users[chat.id]
            if user.deactivated:
                raise ApiError(400, "Bad Request: chat not found")
        elif chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        d = dict(chat.as_dict())
        d["accent_color_id"] = 0
        d["max_reaction_count"] = 11
        return d

    # --- files

    def _new_file(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None, width: int = 0, height: int = 0
    ) -> StoredFile:
        n = self._next_file
        self._next_file += 1
        packed = base64.urlsafe_b64encode(struct.pack(">QI", n, len(data) & 0xFFFFFFFF)).decode().rstrip("=")
        prefix = "BQACAgIAAxkBAA" if kind == "documents" else "AgACAgIAAxkBAA"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:10]
        elif kind == "photos":
            ext = ".jpg"
        f = StoredFile(
            file_id=prefix + packed,
            file_unique_id="AgAD" + packed[:12],
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{kind}/file_{n}{ext}",
            width=width,
            height=height,
        )
        self._files[f.file_id] = f
        self._files_by_path[f.file_path] = f
        return f

    def _input_file(self, p: _Params, name: str, kind: str) -> StoredFile:
        v = p.raw(name)
        if v is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        if isinstance(v, str) and v.startswith("attach://"):
            v = p.raw(v[len("attach://") :])
            if v is None:
                raise ApiError(400, f"Bad Request: there is no {name} in the request")
        if isinstance(v, web.FileField):
            data = v.file.read()
            limit = MAX_PHOTO if kind == "photos" else MAX_UPLOAD
            if len(data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if not data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_name = v.filename or name
            mime = v.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            if kind == "photos":
                dims = _image_size(data)
                if dims is None:
                    raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
                return self._new_file(kind, data, None, None, *dims)
            return self._new_file(kind, data, file_name, mime)
        if isinstance(v, str):
            f = self._files.get(v)
            if f is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return f
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_file(self, bot: Bot, p: _Params, field: str, kind: str, method: str) -> dict[str, Any]:
        chat = self._chat(p)
        self._check_can_write(chat)
        f = self._input_file(p, field, kind)
        caption = p.get_str("caption")
        _, parsed = self._parse(
            caption,
            p.get_str("parse_mode"),
            caption=True,
            entities=p.get_json("caption_entities", "caption entities"),
        )
        markup = self._markup(p)
        reply_to = self._reply_to(chat, p)
        paid = p.get_bool("allow_paid_broadcast")
        self._rate_check(bot, chat, paid)
        msg = SentMessage(
            message_id=self._new_message_id(chat),
            chat_id=chat.id,
            text=None,
            html=None,
            entities=(),
            reply_markup=markup,
            date=int(time.time()),
            method=method,
            document=(f.file_name or "", f.data) if kind == "documents" else None,
            photo=f.data if kind == "photos" else None,
            protect_content=p.get_bool("protect_content"),
            caption=parsed.text or None,
            caption_entities=parsed.entities,
            reply_to_message_id=reply_to,
            paid_broadcast=paid,
            file_id=f.file_id,
        )
        chat.add_message(msg)
        return self._message_dict(bot, chat, msg)

    def _m_sendDocument(self, bot: Bot, p: _Params) -> dict[str, Any]:
        return self._send_file(bot, p, "document", "documents", "sendDocument")

    def _m_sendPhoto(self, bot: Bot, p: _Params) -> dict[str, Any]:
        return self._send_file(bot, p, "photo", "photos", "sendPhoto")

    def _m_getFile(self, bot: Bot, p: _Params) -> dict[str, Any]:
        fid = p.get_str("file_id")
        f = self._files.get(fid or "")
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(f.data) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
            "file_path": f.file_path,
        }

    # ------------------------------------------------------------------ webhook delivery

    def _restart_webhook_worker(self, bot: Bot) -> None:
        bot.webhook_inflight_ids.clear()
        bot.webhook_inflight_chats.clear()
        loop = self._loop
        if loop is None:
            return

        def start() -> None:
            old = self._webhook_tasks.pop(bot.token, None)
            if old is not None:
                old.cancel()
            self._webhook_tasks[bot.token] = loop.create_task(self._webhook_worker(bot))

        loop.call_soon_threadsafe(start)

    async def _webhook_worker(self, bot: Bot) -> None:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        session = self._session
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                ev = self._event(bot.token)
                now = time.monotonic()
                next_retry: float | None = None
                with self._lock:
                    wh = bot.webhook
                    if wh is None:
                        return
                    for u in bot.updates:
                        if len(tasks) >= wh.max_connections:
                            break
                        if u.update_id in bot.webhook_inflight_ids:
                            continue
                        if u.chat_id is not None and u.chat_id in bot.webhook_inflight_chats:
                            continue
                        if u.retry_at > now:
                            next_retry = u.retry_at if next_retry is None else min(next_retry, u.retry_at)
                            if u.chat_id is not None:
                                # keep per-chat order: later updates of this chat wait for this one
                                bot.webhook_inflight_chats.add(u.chat_id)
                                self._loop_call_later_release(bot, u.chat_id, u.retry_at - now)
                            continue
                        bot.webhook_inflight_ids.add(u.update_id)
                        if u.chat_id is not None:
                            bot.webhook_inflight_chats.add(u.chat_id)
                        t = asyncio.create_task(self._deliver(session, bot, wh, u))
                        tasks.add(t)
                        t.add_done_callback(tasks.discard)
                timeout = 1.0 if next_retry is None else max(0.01, min(1.0, next_retry - now))
                try:
                    await asyncio.wait_for(ev.wait(), timeout=timeout)
                except TimeoutError:
                    pass
        finally:
            for t in tasks:
                t.cancel()

    def _loop_call_later_release(self, bot: Bot, chat_id: int, delay: float) -> None:
        assert self._loop is not None

        def release() -> None:
            with self._lock:
                bot.webhook_inflight_chats.discard(chat_id)
            self._wake_in_loop(bot.token)

        self._loop.call_later(max(0.0, delay), release)

    async def _deliver(self, session: ClientSession, bot: Bot, wh: Webhook, u: Update) -> None:
        headers = {"Content-Type": "application/json"}
        if wh.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = wh.secret_token
        body = json.dumps(u.as_dict(), ensure_ascii=False).encode()
        error: str | None = None
        try:
            async with session.post(wh.url, data=body, headers=headers) as resp:
                await resp.read()
                if not 200 <= resp.status < 300:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any delivery failure is retried, as Telegram does
            error = f"Connection failed: {type(exc).__name__}"
        with self._lock:
            bot.webhook_inflight_ids.discard(u.update_id)
            if error is None:
                try:
                    bot.updates.remove(u)
                except ValueError:
                    pass
                if u.chat_id is not None:
                    bot.webhook_inflight_chats.discard(u.chat_id)
            else:
                u.attempts += 1
                u.retry_at = time.monotonic() + min(5.0, 0.1 * (2 ** min(u.attempts, 6)))
                wh.last_error_date = int(time.time())
                wh.last_error_message = error
                if u.chat_id is not None:
                    bot.webhook_inflight_chats.discard(u.chat_id)
        self._wake_in_loop(bot.token)

    # ------------------------------------------------------------------ control: setup

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

    def set_limits(self, limits: Limits) -> None:
        """Replace the limits (windows restart empty)."""
        with self._lock:
            self.limits = limits
            for bot in self._bots.values():
                bot.overall = None
                bot.paid = None
                bot.chat_windows.clear()

    # ------------------------------------------------------------------ control: acting as users

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

    def _enqueue(self, bot: Bot, kind: str, payload: dict[str, Any], chat_id: int | None) -> None:
        allowed = bot.allowed_updates
        if allowed is not None:
            permitted = set(allowed) if allowed else DEFAULT_ALLOWED
            if kind not in permitted:
                return
        elif kind not in DEFAULT_ALLOWED:
            return
        u = Update(update_id=bot.next_update_id, kind=kind, payload=payload, chat_id=chat_id)
        bot.next_update_id += 1
        bot.updates.append(u)
        self._notify(bot.token)

    def _user_message(self, bot: Bot, chat: Chat, user: User, extra: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": self._new_message_id(chat)}
        if chat.type == "channel":
            msg["sender_chat"] = chat.as_dict()
        else:
            msg["from"] = user.as_dict()
        msg["chat"] = chat.as_dict()
        msg["date"] = int(time.time())
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
            bot = self._bot(token)
            user = self._user(user_id)
            chat = self._user_chat(chat_id, user)
            extra: dict[str, Any] = {"text": text}
            ents = _command_entities(text)
            if ents:
                extra["entities"] = ents
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
            bot = self._bot(token)
            user = self._user(user_id)
            chat = self._user_chat(chat_id, user)
            msg = chat.user_messages.get(message_id)
            if msg is None or msg.get("from", {}).get("id") != user_id or "text" not in msg:
                raise ValueError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
            msg = dict(msg, text=text, edit_date=int(time.time()))
            msg.pop("entities", None)
            ents = _command_entities(text)
            if ents:
                msg["entities"] = ents
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
            bot = self._bot(token)
            user = self._user(user_id)
            chat = self._user_chat(chat_id, user)
            f = self._new_file("documents", bytes(data), filename, mime_type)
            extra: dict[str, Any] = {"document": _document_dict(f)}
            if caption:
                extra["caption"] = caption
                ents = _command_entities(caption)
                if ents:
                    extra["caption_entities"] = ents
            return copy.deepcopy(self._user_message(bot, chat, user, extra))

    def press_button(
        self, token: str, chat_id: int, message_id: int, callback_data: str, user_id: int, *, forged: bool = False
    ) -> dict:
        """A user presses an inline button the bot sent; ValueError if that message has no such button.

        FORGED: the press carries CALLBACK_DATA although the message has no such button, as a modified client can
        send (Telegram does not check callback data against the keyboard; bots must not trust it).
        """
        with self._lock:
            bot = self._bot(token)
            user = self._user(user_id)
            chat = self._user_chat(chat_id, user)
            msg = chat.messages.get(message_id)
            if msg is None or msg.deleted:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            buttons = [
                b
                for row in (msg.reply_markup or {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data") == callback_data
            ]
            if not buttons and not forged:
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

    def _member_update(self, chat: Chat, user: User | None, old: str, new: str) -> None:
        for bot in self._bots.values():
            payload: dict[str, Any] = {"chat": chat.as_dict()}
            if user is not None:
                payload["from"] = user.as_dict()
            payload.update(
                date=int(time.time()),
                old_chat_member={"status": old, "user": bot.as_user_dict()},
                new_chat_member=(
                    {"status": new, "user": bot.as_user_dict(), "until_date": 0}
                    if new == "kicked"
                    else {"status": new, "user": bot.as_user_dict()}
                ),
            )
            self._enqueue(bot, "my_chat_member", payload, chat.id)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends get 403 "bot was blocked by the user"."""
        with self._lock:
            user = self._user(user_id)
            if not user.blocked:
                user.blocked = True
                self._member_update(self._chats[user_id], user, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks (restarts) the bot."""
        with self._lock:
            user = self._user(user_id)
            if user.blocked:
                user.blocked = False
                user.started = True
                self._member_update(self._chats[user_id], user, "kicked", "member")

    def deactivate_user(self, user_id: int) -> None:
        """The user deletes their account: sends get 403 "user is deactivated"."""
        with self._lock:
            self._user(user_id).deactivated = True

    def kick(self, chat_id: int) -> None:
        """The bot is removed from a group/supergroup/channel: sends get 403 "bot was kicked…"."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or chat.type == "private":
                raise ValueError(f"no group or channel {chat_id}")
            chat.kicked = True
            self._member_update(chat, None, "member" if chat.type != "channel" else "administrator", "kicked")

    def unkick(self, chat_id: int) -> None:
        """The bot is added back to the group."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or chat.type == "private":
                raise ValueError(f"no group or channel {chat_id}")
            chat.kicked = False
            self._member_update(chat, None, "left", "member")

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
                    "date": int(time.time()),
                    "migrate_to_chat_id": new_id,
                }
                chat.add_user_message(old_msg)
                self._enqueue(bot, "message", old_msg, chat.id)
                new_msg: dict[str, Any] = {
                    "message_id": self._new_message_id(new_chat),
                    "sender_chat": new_chat.as_dict(),
                    "chat": new_chat.as_dict(),
                    "date": int(time.time()),
                    "migrate_from_chat_id": chat.id,
                }
                new_chat.add_user_message(new_msg)
                self._enqueue(bot, "message", new_msg, new_id)
            return new_id

    # ------------------------------------------------------------------ control: reading

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

    # ------------------------------------------------------------------ control: faults and waiting

    def inject_faults(
        self,
        *,
        rate: float = 0.0,
        kinds: tuple[str, ...] = ("502",),
        methods: set[str] | None = None,
        seed: int = 0,
        count: int | None = None,
        deliver_before_fault: float = 0.5,
        hang_seconds: float = 60.0,
        retry_after: int = 1,
    ) -> None:
        """Fail a fraction ``rate`` of requests (of ``methods``, case-insensitive; None = all) with a fault
        drawn from ``kinds``: "502" (nginx page, nothing delivered), "429" (forced, nothing delivered), "drop"
        (connection aborted) and "hang" (no answer for ``hang_seconds``, then aborted). For drop/hang the
        request is processed first (message delivered, response lost) with probability ``deliver_before_fault``.
        ``count`` caps the number of faults; rate=0 switches faults off."""
        with self._lock:
            self._fault = _Fault(
                rate, tuple(kinds), methods, seed, count, deliver_before_fault, hang_seconds, retry_after
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._fault = None

    def faults(self) -> list[dict[str, Any]]:
        """Every injected fault: method, kind, delivered (and chat_id/message_id when a message was sent)."""
        with self._lock:
            return [dict(f) for f in self._fault_log]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass (for tests in a plain thread)."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    async def await_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Async version of wait_for (for tests running an event loop)."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ HTTP control endpoints

    async def _handle_control(self, request: web.Request, name: str) -> web.StreamResponse:
        if name not in CONTROL_METHODS:
            return _json_response({"ok": False, "error": f"unknown control method {name!r}"}, 404)
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            return _json_response({"ok": False, "error": "body must be a JSON object"}, 400)
        if not isinstance(body, dict):
            return _json_response({"ok": False, "error": "body must be a JSON object"}, 400)
        try:
            if name == "wait_messages":
                result: Any = await self._control_wait_messages(**body)
            else:
                result = await asyncio.get_running_loop().run_in_executor(None, self._control_call, name, body)
        except (ValueError, TypeError, KeyError) as exc:
            return _json_response({"ok": False, "error": str(exc)}, 400)
        except Exception as exc:  # reported to the controlling process instead of a bare 500 page
            log.exception("control call %s failed", name)
            return _json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 500)
        return _json_response({"ok": True, "result": result}, 200)

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
            return [_sent_message_json(m) for m in result]
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
        return [_sent_message_json(m) for m in self.messages(chat_id)]


def _intern(s: str | None) -> str | None:
    return sys.intern(s) if s is not None else None


def fault_hang(server: LocalBotApi) -> float:
    f = server._fault
    return f.hang_seconds if f is not None else 60.0


def _sent_message_json(m: SentMessage) -> dict[str, Any]:
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


def _json_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        # \u escapes are the same JSON to every client, and the ASCII encoder is twice as fast
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _take(updates: collections.deque[Update], offset: int, limit: int) -> list[Update]:
    out: list[Update] = []
    for u in updates:
        if u.update_id < offset:
            continue
        out.append(u)
        if len(out) >= limit:
            break
    return out


_ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "mention": (), "hashtag": (), "cashtag": (), "bot_command": (), "url": (), "email": (), "phone_number": (),
    "bold": (), "italic": (), "underline": (), "strikethrough": (), "spoiler": (), "blockquote": (),
    "expandable_blockquote": (), "code": (), "pre": ("language",), "text_link": ("url",),
    "text_mention": ("user",), "custom_emoji": ("custom_emoji_id",), "date_time": ("unix_time", "date_time_format"),
}  # fmt: skip
_REQUIRED_FIELD = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}


def _explicit_entities(text: str, value: Any) -> list[dict[str, Any]]:
    """Validate an entities parameter (instead of parse_mode) against the text, in UTF-16 code units."""
    if not isinstance(value, list):
        raise ApiError(400, "Bad Request: can't parse entities JSON object")
    total = utf16_len(text)
    out: list[dict[str, Any]] = []
    for e in value:
        if not isinstance(e, dict):
            raise ApiError(400, "Bad Request: can't parse MessageEntity: MessageEntity must be an Object")
        kind, offset, length = e.get("type"), e.get("offset"), e.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_FIELDS:
            raise ApiError(400, f"Bad Request: can't parse MessageEntity: unsupported type \"{kind}\"")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise ApiError(400, "Bad Request: can't parse MessageEntity: wrong offset or length")
        required = _REQUIRED_FIELD.get(kind)
        if required is not None and not e.get(required):
            raise ApiError(400, f"Bad Request: can't parse MessageEntity: field \"{required}\" must be specified")
        if offset + length > total:
            raise ApiError(
                400,
                f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end of the text at UTF-16 "
                f"offset {offset + length}",
            )
        if length == 0:
            continue
        ent = {"type": kind, "offset": offset, "length": length}
        for f in _ENTITY_FIELDS[kind]:
            if e.get(f) is not None:
                ent[f] = e[f]
        out.append(ent)
    return out


def _command_entities(text: str) -> list[dict[str, Any]]:
    m = _COMMAND_RE.match(text)
    if m is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}]


def _document_dict(f: StoredFile) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if f.file_name:
        d["file_name"] = f.file_name
    if f.mime_type:
        d["mime_type"] = f.mime_type
    d.update(file_id=f.file_id, file_unique_id=f.file_unique_id, file_size=len(f.data))
    return d


def _photo_size(f: StoredFile) -> dict[str, Any]:
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": len(f.data),
        "width": f.width,
        "height": f.height,
    }


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG or GIF image, from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + seg_len
    return None


_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
)  # fmt: skip


def _validate_markup(value: Any, *, inline_only: bool) -> dict[str, Any]:
    """Validate a reply_markup object; returns the normalized markup. Limits are PTB's (stricter)."""
    bad = ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if not isinstance(value, dict):
        raise bad
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
        total = 0
        out_rows: list[list[dict[str, Any]]] = []
        for row in rows:
            if not isinstance(row, list):
                raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be "
                                    "an Array of Arrays")
            if len(row) > MAX_BUTTONS_PER_ROW:
                raise ApiError(400, "Bad Request: too many buttons in a row of the inline keyboard")
            total += len(row)
            out_row: list[dict[str, Any]] = []
            for b in row:
                out_row.append(_validate_button(b))
            if out_row:
                out_rows.append(out_row)
        if total > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: too many buttons in the inline keyboard")
        return {"inline_keyboard": out_rows}
    if inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    if "keyboard" in value or "remove_keyboard" in value or "force_reply" in value:
        return dict(value)
    raise bad


def _validate_button(b: Any) -> dict[str, Any]:
    if not isinstance(b, dict):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = b.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String")
    if not text.strip():
        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
    # An empty string counts as absent, as in the real Bot API (so "" gives "Text buttons are unallowed").
    actions = [k for k in _BUTTON_ACTIONS if b.get(k) is not None and b.get(k) != ""]
    if not actions:
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        )
    out: dict[str, Any] = {"text": text}
    if "callback_data" in actions:
        data = b["callback_data"]
        if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        out["callback_data"] = data
    if "url" in actions:
        url = b["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        out["url"] = url
    for k in actions:
        if k not in out:
            out[k] = b[k]
    return out
