"""The local Telegram Bot API server: real HTTP on 127.0.0.1, Telegram's JSON shapes, errors and limits.

This module is the transport: the server's lifecycle (its own thread and event loop), routing, reading
parameters, the method table that dispatches /bot<token>/<method>, and injected faults on the way out. Each
Bot API area is a class of its own module (updates.py, content.py, messages.py, files.py, commands.py,
faults.py, control.py; shared state and lookups in state.py); LocalBotApi inherits them all. README.md in this
folder maps each area to its file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from .commands import CommandsApi
from .control import ControlApi
from .faults import BAD_GATEWAY_HTML
from .files import MAX_UPLOAD, FilesApi
from .inline import InlineApi
from .members import MembersApi
from .messages import MessagesApi
from .model import ApiError, Bot
from .params import Params, json_response
from .updates import UpdatesApi

log = logging.getLogger(__name__)

Handler = Callable[[Any, Bot, Params], Any]

# The Bot API methods: name -> handler(server, bot, params), called under the server's lock. A new method is one
# entry here (and its handler in its area's class). getUpdates long-polls, so it is the one method _call awaits
# outside the lock instead.
METHODS: dict[str, Handler] = {
    # the bot itself, its commands and callback queries (commands.py)
    "getMe": InlineApi._m_getMe,  # CommandsApi's, with supports_inline_queries as set_inline left it
    "logOut": CommandsApi._m_logOut,
    "close": CommandsApi._m_close,
    "setMyDescription": CommandsApi._m_setMyDescription,
    "setMyShortDescription": CommandsApi._m_setMyShortDescription,
    "setMyName": CommandsApi._m_setMyName,
    "setChatMenuButton": CommandsApi._m_setChatMenuButton,
    "setMyCommands": CommandsApi._m_setMyCommands,
    "getMyCommands": CommandsApi._m_getMyCommands,
    "deleteMyCommands": CommandsApi._m_deleteMyCommands,
    "answerCallbackQuery": CommandsApi._m_answerCallbackQuery,
    # updates and webhooks (updates.py)
    "setWebhook": UpdatesApi._m_setWebhook,
    "deleteWebhook": UpdatesApi._m_deleteWebhook,
    "getWebhookInfo": UpdatesApi._m_getWebhookInfo,
    # messages, edits and chats (messages.py)
    "sendMessage": MessagesApi._m_sendMessage,
    "copyMessage": MessagesApi._m_copyMessage,
    "editMessageText": MessagesApi._m_editMessageText,
    "editMessageCaption": MessagesApi._m_editMessageCaption,
    "editMessageReplyMarkup": MessagesApi._m_editMessageReplyMarkup,
    "deleteMessage": MessagesApi._m_deleteMessage,
    "deleteMessages": MessagesApi._m_deleteMessages,
    "sendChatAction": MessagesApi._m_sendChatAction,
    "getChat": MessagesApi._m_getChat,
    # chat members (members.py)
    "getChatMember": MembersApi._m_getChatMember,
    "getChatAdministrators": MembersApi._m_getChatAdministrators,
    # inline mode (inline.py)
    "answerInlineQuery": InlineApi._m_answerInlineQuery,
    # files (files.py)
    "sendDocument": FilesApi._m_sendDocument,
    "sendPhoto": FilesApi._m_sendPhoto,
    "getFile": FilesApi._m_getFile,
}
LONG_POLL = "getUpdates"
CANONICAL = {m.lower(): m for m in (*METHODS, LONG_POLL)}


class LocalBotApi(InlineApi, ControlApi, MessagesApi, CommandsApi, MembersApi):
    """A local Telegram Bot API server for tests and the sandbox (see README.md in this folder)."""

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
        return json_response(ApiError(404, "Not Found").payload(), 404)

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
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        lower = method_raw.lower()
        method = CANONICAL.get(lower)
        if method is None:
            with self._lock:
                self._counts[(method_raw, 404)] += 1
            return json_response(ApiError(404, "Not Found").payload(), 404)
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
                return json_response(err.payload(), 429, {"Retry-After": str(retry_after)})
        slow = fault is not None and fault[0] == "slow"
        if fault is not None and not slow:
            kind, deliver, retry_after = fault
            result_info: Any = None
            if deliver:
                try:
                    params = await self._read_params(request)
                    result_info = await self._call(bot, method, Params(params), request)
                except ApiError as exc:
                    result_info = {"error": exc.description}
            self._count(method, 0)
            self._log_fault(method, kind, deliver, result_info)
            if kind == "hang":
                assert self._stopping is not None
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._hang_seconds())
                except TimeoutError:
                    pass
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError  # nothing may be written on the aborted connection
        try:
            params = await self._read_params(request)
            if slow:  # received, then answered late (the client may have given up by then)
                self._log_fault(method, "slow", True, None)
                await self._hold(self._hang_seconds())
            held = 0.0
            while True:
                try:
                    result = await self._call(bot, method, Params(params), request)
                    break
                except ApiError as exc:
                    # TDLib resends a request that met a flood wait while the waits add up to at most 8 s
                    if exc.code != 429 or exc.wait <= 0 or held + exc.wait > self.limits.flood_hold:
                        raise
                    held += exc.wait
                    await self._hold(exc.wait)
        except ApiError as exc:
            self._count(method, exc.code)
            headers = None
            if exc.code == 429 and exc.parameters:
                headers = {"Retry-After": str(exc.parameters.get("retry_after", 1))}
            return json_response(exc.payload(), exc.code, headers)
        except web.HTTPRequestEntityTooLarge:
            self._count(method, 413)
            return json_response(ApiError(413, "Request Entity Too Large").payload(), 413)
        self._count(method, 200)
        body: dict[str, Any] = {"ok": True, "result": result}
        if method == "setWebhook":
            body["description"] = "Webhook was set"
        elif method == "deleteWebhook":
            body["description"] = "Webhook was deleted"
        return json_response(body, 200)

    async def _hold(self, seconds: float) -> None:
        """Keep a request waiting SECONDS (cut short by stop())."""
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def _count(self, method: str, status: int) -> None:
        with self._lock:
            self._counts[(method, status)] += 1

    async def _call(self, bot: Bot, method: str, p: Params, request: web.Request | None = None) -> Any:
        if method == LONG_POLL:
            return await self._get_updates(bot, p, request)
        handler = METHODS[method]
        with self._lock:
            return handler(self, bot, p)
