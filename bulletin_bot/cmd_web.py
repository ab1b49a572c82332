"""`bulletin-bot web`: the web reader (web/) on its own; any number of these may share one PostgreSQL database."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

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
    from storage.db import open_database
    from web.app import build_app
    from web.server import WebServer

    _engine, session_factory = open_database(config.database.url)
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

