"""A python-telegram-bot request backend on aiohttp, for the Application's bot (replies, long polls) and the push bot.

Why: httpx costs about 1.3 ms of CPU per request on this machine and gets slower with many requests in flight
(encode/httpx#3215), which capped the paid broadcast far below Telegram's 1000/s; aiohttp's client is several
times cheaper. The interface and error mapping follow PTB 22's HTTPXRequest, so the Bot above it behaves the same:

* timeouts -> telegram.error.TimedOut (aiohttp's ConnectionTimeoutError as the cause when nothing was sent:
  a full pool or a slow connect, which aiohttp does not tell apart);
* any other client error (refused, reset, server disconnected, truncated body) -> telegram.error.NetworkError,
  with the aiohttp exception as ``__cause__`` (bot/common/errors.py reads it: may a request have arrived?);
* HTTP answers (429, 403, 400, 502, ...) are returned as (status, body) and PTB's BaseRequest maps them.

Timeouts. aiohttp has no per-write timeout and a single "connect" timeout that includes waiting for a pooled
connection, so: ``connect`` = pool_timeout + connect_timeout, ``sock_connect`` = connect_timeout, ``sock_read`` =
read_timeout (armed once the request is written), and ``total`` = the sum of all four, which bounds a stalled
write the way httpx's write timeout does. A None among them means no limit for that part (and no total).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

# The parameters go as one JSON object of the JSON-encoded values PTB gives (json_parameters: every value a string).
# The Bot API server takes a JSON object's string values as they are, exactly as the fields of a form
# (tdlib/td tdnet/td/net/HttpReader.cpp, parse_json_parameters); json.dumps encodes a reply of Chinese HTML in C,
# where percent-encoding it as a form (what httpx does with data=) cost a tenth of the bot's CPU per reply.
_JSON = {"Content-Type": "application/json"}


def _sum(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """BaseRequest on one aiohttp ClientSession (created in initialize(), inside the running event loop)."""

    __slots__ = (
        "_connect_timeout", "_media_write_timeout", "_pool_size", "_pool_timeout", "_read_timeout", "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (see BaseRequest.read_timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            # PTB sets its own User-Agent; no cookies are ever needed for the Bot API.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), skip_auto_headers=("User-Agent",)
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is None or self._session.closed:
            log.debug("This AiohttpRequest is already shut down. Returning.")
            return
        await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request: one HTTP request, answered with (status code, body)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write: float | None = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        timeout = aiohttp.ClientTimeout(
            total=_sum(pool, connect, write, read), connect=_sum(pool, connect), sock_connect=connect,
            sock_read=read,
        )

        headers = {"User-Agent": self.USER_AGENT}
        data: Any = None
        if files:
            # Same parts as httpx's data= plus files=: the JSON-encoded parameters, then the files.
            # Unquoted names, as httpx sends them (aiohttp would percent-encode a Chinese file name).
            form = aiohttp.FormData(quote_fields=False)
            assert request_data is not None
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        elif request_data is not None:
            data = json.dumps(request_data.json_parameters).encode("ascii")
            headers.update(_JSON)

        try:
            async with session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                # Read inside the try: a connection dropped mid-body must map like any other network error.
                body = await response.read()
                return response.status, body
        except TimeoutError as err:
            # aiohttp's timeouts all derive from it: ConnectionTimeoutError (full pool or slow connect, which
            # aiohttp does not tell apart; nothing was sent), SocketTimeoutError (no answer), or the total.

            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

