"""Throughput of the local Bot API server (sendMessage per second, limits off).

Runs the server in a subprocess (``python -m localbotapi``) so that the client and the server each get a
core, and, for comparison, a bare aiohttp server answering a constant JSON body (the baseline: what the client
and HTTP stack alone can do on this machine). Two clients: httpx (what python-telegram-bot uses; it is known to
slow down with many concurrent requests, encode/httpx#3215) and aiohttp (shows the server's own capacity).
Prints the median of several rounds per case.

    .venv/bin/python bench/bench_localbotapi.py --n 5000 --concurrency 16 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import textwrap
import time
from typing import Any

import aiohttp
import httpx

TOKEN = "100000:BENCHtoken"
USERS = 500

CONTENTS_HTML = (
    "<b>某市工作简报</b>\n2023年第5期（总第120期）\n某市人民政府办公室　2023年5月8日\n\n<b>要目</b>\n"
    + "\n".join(f"{i}. 关于推进第{i}项重点工作的情况报告" for i in range(1, 9))
)
CONTENTS_MARKUP = json.dumps(
    {
        "inline_keyboard": [
            [{"text": f"{i}", "callback_data": f"a:120:{i}"} for i in range(1, 5)],
            [{"text": f"{i}", "callback_data": f"a:120:{i}"} for i in range(5, 9)],
            [{"text": "上一期", "callback_data": "i:119"}],
        ]
    },
    ensure_ascii=False,
)

BASELINE_SERVER = textwrap.dedent(
    """
    import sys
    from aiohttp import web
    BODY = b'{"ok":true,"result":{"message_id":1,"chat":{"id":1,"type":"private"},"date":0,"text":"x"}}'
    async def handle(request):
        await request.read()
        return web.Response(body=BODY, content_type="application/json")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async def on_startup(app):
        print("ready", flush=True)
    app.on_startup.append(on_startup)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
    """
)


def rss_mb(pid: int, field: str) -> float:
    """VmRSS / VmHWM of a process from /proc (Linux), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_localbotapi() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "localbotapi", "--port", "0", "--token", TOKEN, "--no-limits"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.split("listening on ")[1].split()[0]
    with httpx.Client() as c:
        for uid in range(1, USERS + 1):
            c.post(f"{url}/_control/add_user", json={"user_id": uid, "first_name": f"U{uid}"}).raise_for_status()
    return proc, url


def start_baseline() -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc, f"http://127.0.0.1:{port}"


async def run_round(
    client_kind: str, url: str, method: str, params: dict[str, Any] | None, n: int, concurrency: int
) -> float:
    """Send n form-encoded requests (as PTB does) with `concurrency` workers; returns requests per second."""
    counter = iter(range(n))
    failures = 0

    def data_for(i: int) -> dict[str, str] | None:
        return None if params is None else dict(params, chat_id=str(i % USERS + 1))

    if client_kind == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def worker() -> None:
                nonlocal failures
                for i in counter:
                    r = await client.post(f"{url}/bot{TOKEN}/{method}", data=data_for(i))
                    failures += r.status_code != 200

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
    else:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def aworker() -> None:
                nonlocal failures
                for i in counter:
                    async with session.post(f"{url}/bot{TOKEN}/{method}", data=data_for(i)) as resp:
                        await resp.read()
                        failures += resp.status != 200

            start = time.perf_counter()
            await asyncio.gather(*(aworker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{failures} of {n} {method} requests failed")
    return n / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="requests per round")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--clients", default="httpx,aiohttp", help="comma-separated: httpx (what PTB uses), aiohttp")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    cases: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("baseline: bare aiohttp, constant JSON", "sendMessage", {"text": "x"}, "baseline"),
        ("localbotapi getMe", "getMe", None, "local"),
        ("localbotapi sendMessage, plain text", "sendMessage", {"text": "第5期已发布"}, "local"),
        (
            "localbotapi sendMessage, contents HTML + keyboard",
            "sendMessage",
            {"text": CONTENTS_HTML, "parse_mode": "HTML", "reply_markup": CONTENTS_MARKUP},
            "local",
        ),
    ]
    base_proc, base_url = start_baseline()
    local_proc, local_url = start_localbotapi()
    try:
        print(f"n={args.n} concurrency={args.concurrency} rounds={args.rounds} (median of rounds)")
        for client_kind in args.clients.split(","):
            for label, method, params, which in cases:
                url = base_url if which == "baseline" else local_url
                rates = [
                    asyncio.run(run_round(client_kind, url, method, params, args.n, args.concurrency))
                    for _ in range(args.rounds)
                ]
                print(
                    f"[{client_kind:7s}] {label:50s} median {statistics.median(rates):7.0f} req/s   "
                    f"(rounds: {', '.join(f'{r:.0f}' for r in rates)})"
                )
        with httpx.Client() as c:
            counts = c.post(f"{local_url}/_control/method_counts", json={}).json()["result"]
        print("server counts:", {f"{x['method']} {x['status']}": x["count"] for x in counts})
        print(f"server process: {rss_mb(local_proc.pid, 'VmRSS'):.0f} MB resident, "
              f"{rss_mb(local_proc.pid, 'VmHWM'):.0f} MB peak (messages stored: "
              f"{sum(x['count'] for x in counts if x['method'] == 'sendMessage')})")
    finally:
        for p in (base_proc, local_proc):
            p.terminate()
            p.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
