"""The bot's webhook as a route of the reader's ASGI server, so that in webhook mode both share one port.

It keeps every property of the bot's own listener (bot/webhook.py): the secret header is compared in constant time
and a request without it is answered 403 from its headers, before a byte of its body is received; a Content-Length
over the cap gets 413 at once, and a chunked body is read only up to the cap (413, and the connection is closed,
since the rest of the body is never read); a method other than POST gets 405, a content type other than JSON 415, a
body that is not an update 400. ASGI hands the body over in pieces as the app asks for them (`receive`), and
uvicorn stops reading the socket while the app does not ask, so a refused body is never held in memory.

This module knows nothing of Telegram's types: DELIVER (bot/webhook.py's `update_deliverer`) turns the JSON into
an update and queues it, raising ValueError for JSON that is not an update.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

SECRET_HEADER = b"x-telegram-bot-api-secret-token"
# The same cap as bot/webhook.py's MAX_UPDATE_BYTES (why 1 MiB: see there).
MAX_UPDATE_BYTES = 1 << 20

Deliver = Callable[[Any], Awaitable[None]]


async def _status(send: Send, status: int, *, close: bool = False) -> None:
    """An empty answer with STATUS (and Connection: close when the request's body is left unread)."""
    headers = [(b"content-length", b"0")]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


class WebhookEndpoint:
    """A raw ASGI app for the webhook path: checks on the headers, then the body streamed up to the cap."""

    def __init__(self, deliver: Deliver, secret_token: str) -> None:
        if not secret_token:
            raise ValueError("a webhook endpoint needs a secret token")
        self._deliver = deliver
        self._secret = secret_token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        # Constant time: how long the comparison takes says nothing about how much of a guess was right.
        if not hmac.compare_digest(headers.get(SECRET_HEADER, b""), self._secret):
            log.debug("webhook: refused a request without the right secret")
            await _status(send, 403, close=True)
            return
        if scope.get("method") != "POST":
            await _status(send, 405, close=True)
            return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_UPDATE_BYTES):
            await _status(send, 413, close=True)
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            await _status(send, 415, close=True)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_UPDATE_BYTES:  # chunked, without a Content-Length: stop at the cap
                await _status(send, 413, close=True)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        try:
            data = json.loads(b"".join(chunks))
            await self._deliver(data)
        except ValueError as exc:  # any malformed body: the sender gets 400, the bot goes on
            log.warning("webhook: a request with the right secret carried no valid update: %s", exc)
            await _status(send, 400)
            return
        await _status(send, 200)
