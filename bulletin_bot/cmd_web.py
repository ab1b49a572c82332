"""`bulletin-bot web`: the web reader (web/) on its own; any number of these may share one PostgreSQL database."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bulletin_bot.eventloop import use_uvloop
from config import Config, ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default [web] listen_host)")
    parser.add_argument("--port", type=int, help="port to listen on (default [web] listen_port)")


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Serve the reader until SIGINT or SIGTERM."""
    config = load()
    if not config.telegram.token:
        # The token is the key of the Mini App's initData and of the session cookies.
        raise ConfigError("telegram.token: required by the web reader (it checks Telegram's initData with it)")
    from jobs.publications import configure as configure_publications
    from storage.db import open_database
    from web.app import build_app
    from web.server import WebServer

    _engine, session_factory = open_database(config.database.url)
    # [publications]' short names, which the reader shows, as `bulletin-bot run` writes them (the same values from
    # the same config: any number of processes may write them).
    configure_publications(session_factory, config)
    host = args.host or config.web.listen_host
    port = args.port if args.port is not None else config.web.listen_port
    server = WebServer(build_app(config, session_factory), host=host, port=port)
    use_uvloop()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await server.start()
        print(f"bulletin-bot web: serving on http://{host}:{server.port}/", flush=True)
        await stopping.wait()
        await server.stop()

    asyncio.run(main())
    return 0



class ReaderInRun:
    """The reader inside `bulletin-bot run`: its server, and in webhook mode the bot's webhook as one of its
    routes. The webhook route needs the Application, which is built after the reader: `attach` hands it over."""

    def __init__(self, config: Config, session_factory: sessionmaker[Session], *, webhook: bool) -> None:
        from starlette.routing import Route

        from web.app import build_app
        from web.server import WebServer
        from web.webhook import WebhookEndpoint

        self._deliver: Any = None
        routes = []
        if webhook:
            path = "/" + urlsplit(config.telegram.webhook_url).path.strip("/")
            routes.append(Route(path, WebhookEndpoint(self._delivered, config.telegram.secret_token),
                                methods=None))
            host, port = config.telegram.listen_host, config.telegram.listen_port
        else:
            host, port = config.web.listen_host, config.web.listen_port
        self.server = WebServer(build_app(config, session_factory, extra_routes=routes), host=host, port=port)

    def attach(self, application: Any) -> None:
        """The Application whose update queue the webhook feeds."""
        from bot.webhook import update_deliverer

        self._deliver = update_deliverer(application)

    async def _delivered(self, data: Any) -> None:
        if self._deliver is None:
            raise ValueError("the bot is not running yet")
        await self._deliver(data)


def reader_extension(
    config: Config, session_factory: sessionmaker[Session], *, webhook: bool
) -> tuple[ReaderInRun, Any]:
    """The reader for `bulletin-bot run`, and (polling) the extension that starts and stops it with the bot; in
    webhook mode the reader's server is the webhook's listener, started by bot.app.running_webhook (no extension)."""
    from bot.common.feature import Extension

    reader = ReaderInRun(config, session_factory, webhook=webhook)
    if webhook:
        return reader, None
    return reader, lambda _config, _factory: Extension(services=[reader.server])
