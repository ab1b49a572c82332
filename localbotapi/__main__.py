"""Run the local Bot API server standalone: ``python -m localbotapi --port 8081 --token T``."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .limits import Limits
from .server import LocalBotApi


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM; control it over POST /_control/<name>."""
    ap = argparse.ArgumentParser(prog="python -m localbotapi", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--token", action="append", default=[], help="bot token to accept (repeatable)")
    ap.add_argument("--username", default="bulletin_test_bot", help="the bot's username")
    ap.add_argument("--no-limits", action="store_true", help="switch the rate limits off")
    ap.add_argument(
        "--local", action="store_true", help="as telegram-bot-api --local: webhooks may use http and any port"
    )
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    server = LocalBotApi(
        host=args.host, port=args.port, limits=Limits(enabled=not args.no_limits), local_mode=args.local
    )
    for token in args.token:
        server.add_bot(token, username=args.username)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    server.start()
    print(f"localbotapi listening on {server.url} (api base {server.api_base_url()})", flush=True)
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
