"""Serving the reader with uvicorn inside a running event loop (`bulletin-bot web`, and `bulletin-bot run` with
`[web] enabled = true`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the process embedding it (the bot, `bulletin-bot web`) owns them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebServer:
    """uvicorn serving APP on HOST:PORT as a task of the running loop; `stop()` closes it gracefully."""

    def __init__(self, app: ASGIApp, *, host: str, port: int) -> None:
        # No access log: a flood of requests would flood the log.
        self._config = uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None,
                                      lifespan="off", server_header=False, timeout_graceful_shutdown=5)
        self._server = _EmbeddedServer(self._config)
        self._task: asyncio.Task[Any] | None = None

    @property
    def started(self) -> bool:
        return self._server.started

    @property
    def port(self) -> int:
        """The port bound (the configured one, unless that was 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self._config.port

    async def start(self, *_args: Any) -> None:
        """Bind and serve in the background; returns once the socket is listening (raises if it cannot bind)."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raises the bind error
                raise OSError(f"web reader: could not listen on {self._config.host}:{self._config.port}")
            await asyncio.sleep(0.01)
        log.info("web reader listening on %s:%s", self._config.host, self._config.port)

    async def stop(self) -> None:
        """Stop accepting, finish the open requests (at most 5 s), and end the task."""
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(Exception):
            await self._task
        self._task = None

    async def serve_forever(self) -> None:
        """Serve until the task ends (stop(), or a signal the caller handles)."""
        await self.start()
        assert self._task is not None
        await self._task
