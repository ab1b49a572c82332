"""Memory of a real `bulletin-bot run` in webhook mode while eight large POSTs without the secret arrive.

    .venv/bin/python bench/bench_webhook_flood.py [--posts 8] [--mb 95]

Starts the bot as a process against the local Bot API server (webhook mode, with a secret), reads its resident
memory (VmRSS) from /proc, sends POSTS concurrent requests of MB megabytes each to the webhook URL without the
secret header, and prints the memory after them, the peak (VmHWM), each request's status and the time it took.
An unauthenticated request should be refused from its headers alone, so the memory should not move.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from localbotapi import Limits, LocalBotApi

TOKEN = "777:bench-flood-token"
SECRET = "bench_flood_secret"
CHUNK = b"\0" * (1 << 20)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of PID in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def big_post(port: int, path: str, megabytes: int) -> tuple[str, float]:
    """POST MEGABYTES of zeros without the secret; the status line the bot answered (or why none) and seconds."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {megabytes << 20}\r\n\r\n".encode()
        )
        try:
            for _ in range(megabytes):
                sock.sendall(CHUNK)
        except OSError:
            pass  # the bot closed the connection early: what it should do
        try:
            status = sock.recv(200).split(b"\r\n", 1)[0].decode() or "connection closed"
        except OSError as exc:
            status = f"connection error: {exc}"
    return status, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=8)
    parser.add_argument("--mb", type=int, default=95)
    parser.add_argument("--reader", action="store_true",
                        help="with [web] enabled: the webhook served by the web reader's server (web/webhook.py)")
    args = parser.parse_args()
    with LocalBotApi(limits=Limits(enabled=False), local_mode=True) as server, tempfile.TemporaryDirectory() as tmp:
        server.add_bot(TOKEN, username="bench_flood_bot")
        port = free_port()
        config = Path(tmp) / "bot.toml"
        config.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{server.api_base_url()}"\nmode = "webhook"\n'
            f'webhook_url = "http://127.0.0.1:{port}/hook"\nlisten_port = {port}\nsecret_token = "{SECRET}"\n'
            f'[database]\nurl = "sqlite:///{Path(tmp) / "bot.sqlite3"}"\n'
            + ("[web]\nenabled = true\n" if args.reader else ""),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            if not server.wait_for(lambda: bool(server.webhook_info(TOKEN)["url"]), timeout=60):
                print("the bot did not set its webhook", file=sys.stderr)
                return 1
            time.sleep(1.0)
            before, _ = memory_mb(process.pid)
            results: list[tuple[str, float]] = []
            threads = [
                threading.Thread(target=lambda: results.append(big_post(port, "/hook", args.mb)))
                for _ in range(args.posts)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(1.0)
            after, peak = memory_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            # the stopped bot leaves its webhook set; remove it so the local server stops at once
            httpx.post(f"{server.api_base_url()}{TOKEN}/deleteWebhook", timeout=10)
    print(f"{args.posts} POSTs of {args.mb} MB without the secret")
    print(f"  bot memory before: {before:.0f} MB, after: {after:.0f} MB, peak: {peak:.0f} MB")
    for status, seconds in sorted(results):
        print(f"  {status!r} after {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
