"""The webhook listener: Telegram's POSTs in, updates onto the Application's queue; everyone else out early.

PTB's own webhook server (telegram/ext/_utils/webhookhandler.py) reads a request's whole body before it looks at
the secret header, and puts no limit on its size: eight 95 MB POSTs without the secret took a running bot from
101 MB to a 1342 MB peak (bench/bench_webhook_flood.py). This is PTB's documented custom-webhook pattern instead
(the Application's update queue fed by our own server) on the same tornado: the handler streams the request body,
so `prepare()` runs on the headers alone and refuses a request without the right secret (403) or with a
Content-Length over the cap (413) before a byte of the body is read.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from tornado.web import HTTPError, RequestHandler, stream_request_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# The largest request body accepted, with the right secret. An update is JSON about one event: a message carries at
# most 4096 characters of text (1024 of caption) with its entities, a reply or quote of one more message, at most
# 100 buttons of 64-byte data, and files only by id; such updates stay far below 100 KB. 1 MiB leaves a wide margin
# for fields Telegram adds later, while a request can never make the bot hold more than that per connection.
MAX_UPDATE_BYTES = 1 << 20
# Seconds a request's body may take to arrive, and a kept-alive connection may sit idle, before it is closed.
BODY_TIMEOUT = 30.0
IDLE_TIMEOUT = 120.0


class _Refusing(RequestHandler):
    """Shared by the handlers: answers errors with the status line only (no HTML page, no traceback)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        """A refused request's body is dropped, never stored."""


@stream_request_body
class _NotFound(_Refusing):
    """Any other path: 404 from the headers, body unread."""

    def prepare(self) -> None:
        raise HTTPError(404)


@stream_request_body
class _UpdateHandler(_Refusing):
    """The webhook path: checks the secret and the size on the headers, then reads the update and queues it."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any], secret_token: str) -> None:
        self._application = bot_app
        self._secret = secret_token.encode()
        self._chunks: list[bytes] = []
        self._size = 0

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        # Constant time: how long the comparison takes says nothing about how much of a guess was right.
        if not hmac.compare_digest(given, self._secret):
            log.debug("webhook: refused a request from %s without the right secret", self.request.remote_ip)
            raise HTTPError(403)
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_UPDATE_BYTES):
            raise HTTPError(413)
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise HTTPError(415)

    def data_received(self, chunk: bytes) -> None:
        # Without a Content-Length (chunked), the size is known only as it arrives; the server's max_body_size
        # closes such a connection too, this keeps the handler honest on its own.
        if self._finished:  # already refused: what still arrives is dropped
            return
        self._size += len(chunk)
        if self._size > MAX_UPDATE_BYTES:
            raise HTTPError(413)
        self._chunks.append(chunk)

    async def post(self) -> None:
        """One update from Telegram onto the Application's queue."""
        try:
            await update_deliverer(self._application)(json.loads(b"".join(self._chunks)))
        except ValueError as exc:  # any malformed body: the sender gets 400, the bot goes on
            log.warning("webhook: a request with the right secret carried no valid update: %s", exc)
            raise HTTPError(400) from None
        self.set_status(200)


def update_deliverer(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Callable[[Any], Awaitable[None]]:
    """What a webhook server (this one, or the reader's: web/webhook.py) does with a request's JSON: make it an
    update and put it on APPLICATION's queue. JSON that is not an update raises ValueError."""

    async def deliver(data: Any) -> None:
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:
            raise ValueError(str(exc)) from None
        if update is None:
            raise ValueError("no update")
        bot = application.bot
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        await application.update_queue.put(update)

    return deliver


class _WebhookApp(TornadoApplication):
    def log_request(self, handler: RequestHandler) -> None:
        """No access log: a flood of refused requests would otherwise flood the log."""


class WebhookListener:
    """The HTTP listener for one Application's webhook, at URL_PATH, accepting only requests with SECRET_TOKEN."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], *, url_path: str, secret_token: str
    ) -> None:
        if not secret_token:
            raise ValueError("a webhook listener needs a secret token")
        path = "/" + url_path.strip("/")
        self._app = _WebhookApp(
            [(rf"{path}/?", _UpdateHandler, {"bot_app": application, "secret_token": secret_token})],
            default_handler_class=_NotFound,
        )
        self._server: HTTPServer | None = None

    async def start(self, listen: str, port: int) -> None:
        """Bind LISTEN:PORT and serve in the running event loop."""
        self._server = HTTPServer(
            self._app, max_body_size=MAX_UPDATE_BYTES, body_timeout=BODY_TIMEOUT, idle_connection_timeout=IDLE_TIMEOUT
        )
        self._server.listen(port, address=listen)

    async def stop(self) -> None:
        """Stop accepting, then close the open connections."""
        if self._server is not None:
            server, self._server = self._server, None
            server.stop()
            await server.close_all_connections()
