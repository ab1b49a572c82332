"""Push benchmark against the local Bot API server (run in its own process, so it has its own core).

    .venv/bin/python bench/bench_push.py                 # the full run (about 20 minutes)
    .venv/bin/python bench/bench_push.py --quick         # 1/10 of the sizes, for a smoke test
    .venv/bin/python bench/bench_push.py --only-paid     # paid broadcast only, 5 trials per setting (medians)

Prints one table:
  * our engine, N subscribers, server enforcing Telegram's 30/s: elapsed / (N/30 s) (target <= 1.05), 429s (target 0);
  * python-telegram-bot baselines on the same server, same N, in the same run: a plain `send_message` loop, and the
    same loop through PTB's AIORateLimiter (its defaults: 30/s overall, 20/min per group, no retries);
  * paid broadcast to 20,000 subscribers with the server enforcing Telegram's 1000/s paid limit: messages per
    second from the first to the last delivery (target >= 1,000) and 429s (must be 0);
  * peak memory (ru_maxrss of a fresh child process) pushing to 100,000 subscribers (target <= 200 MB).
Repeated trials are too long for the 30/s scenarios (each is N/30 seconds), so each figure is one run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench_push_million.py's baseline child puts another checkout ahead of ROOT
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bulletin.model import Article, Issue, TocEntry  # noqa: E402
from bulletin.render import render_contents  # noqa: E402
from bulletin_bot.eventloop import use_uvloop  # noqa: E402
from jobs.push import PushSettings, publish, utcnow  # noqa: E402
from jobs.runner import PushRunner  # noqa: E402
from jobs.uow import UnitOfWork  # noqa: E402
from storage.archive import IssueRepository  # noqa: E402
from storage.db import open_database, transaction  # noqa: E402
from storage.models import SubscriberRow  # noqa: E402
from storage.push_models import Delivery  # noqa: E402

TOKEN = "424242:bench"
FIRST_USER = 1_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the server process


def serve(port: int, users: int) -> None:
    """Child process: the local server with USERS private chats, until stdin closes."""
    from localbotapi import LocalBotApi

    server = LocalBotApi(port=port)
    server.add_bot(TOKEN)
    for uid in range(FIRST_USER, FIRST_USER + users):
        server.add_user(uid, "u")
    server.start()
    print("ready", flush=True)
    sys.stdin.read()
    server.stop()


class Server:
    """Handle on the server process and its control endpoints."""

    def __init__(self, users: int) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.port), "--users", str(users)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if line != "ready":
            raise RuntimeError(f"server did not start: {line!r}")
        self.api_base_url = f"http://127.0.0.1:{self.port}/bot"

    def control(self, name: str, **body: Any) -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_control/{name}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())["result"]

    def counts(self) -> dict[tuple[str, int], int]:
        return {(c["method"], c["status"]): c["count"] for c in self.control("method_counts")}

    def limits(self, *, enabled: bool = True) -> None:
        self.control("set_limits", enabled=enabled)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def diff(after: dict[tuple[str, int], int], before: dict[tuple[str, int], int], status: int) -> int:
    return sum(n - before.get(k, 0) for k, n in after.items() if k[1] == status and k[0] == "sendMessage")


# ---- data


def bench_issue() -> Issue:
    titles = [f"第{i}项工作动态：某市推进重点项目建设" for i in range(1, 7)]
    return Issue(
        masthead="某市工作简报", year=2024, number=12, total_number=88, publisher="某市人民政府办公室",
        date=dt.date(2024, 6, 3), toc=tuple(TocEntry(t) for t in titles),
        articles=tuple(Article(t, ("正文。",)) for t in titles),
    )


def seeded_db(tmp: str, name: str, users: int) -> tuple[Any, Any, int]:
    """A migrated SQLite database with USERS active subscribers and a push of one issue, due now."""
    engine, factory = open_database(f"sqlite:///{os.path.join(tmp, name)}.sqlite3")
    now = utcnow()
    with transaction(factory) as s:
        rows = [
            {"chat_id": FIRST_USER + i, "chat_type": "private", "user_id": FIRST_USER + i, "display_name": "u",
             "language_code": "zh-hans", "department": "d", "active": True, "subscribed_at": now, "updated_at": now}
            for i in range(users)
        ]
        for start in range(0, len(rows), 5000):
            s.execute(insert(SubscriberRow), rows[start : start + 5000])
        stored, _ = IssueRepository(s).add(bench_issue())
        publish(UnitOfWork(s), stored.id, now, now)
    return engine, factory, stored.id


# ---- scenarios


async def run_engine(server: Server, factory: Any, settings: PushSettings) -> float:
    from bot.common.outbox import TelegramSender, make_push_bot

    bot = make_push_bot(TOKEN, server.api_base_url)
    async with bot:
        runner = PushRunner(factory, TelegramSender(bot), settings, worker="bench")
        start = time.perf_counter()
        await runner.tick()
        return time.perf_counter() - start


def ours(
    server: Server, tmp: str, n: int, *, paid: bool, concurrency: int = 32, trial: int = 0,
    paid_rate: float = 1000.0, server_limits: bool = True,
) -> dict[str, Any]:
    # Limits stay on for paid broadcasts too: the server then enforces Telegram's 1000/s paid limit, and a
    # push that went over it would show 429s in the table.
    server.limits(enabled=server_limits)
    time.sleep(1.1)  # let the previous scenario's window drain
    engine, factory, _ = seeded_db(tmp, f"ours-{'paid' if paid else '30'}-{n}-{concurrency}-{paid_rate}-{trial}", n)
    before = server.counts()
    settings = PushSettings(
        rate_per_second=30, paid_broadcast=paid, concurrency=concurrency, paid_rate_per_second=paid_rate
    )
    elapsed = asyncio.run(run_engine(server, factory, settings))
    after = server.counts()
    with transaction(factory) as s:
        first, last = s.execute(select(func.min(Delivery.sent_at), func.max(Delivery.sent_at))).one()
    engine.dispose()
    # Sustained: between the first and the last delivery, i.e. without loading the push and writing its ledger.
    span = (last - first).total_seconds() if first is not None and last is not None else 0.0
    sustained = (n - 1) / span if span > 0 else 0.0
    return {"elapsed": elapsed, "ok": diff(after, before, 200), "429": diff(after, before, 429), "n": n,
            "sustained": sustained}


async def ptb_loop(server: Server, n: int, *, rate_limited: bool) -> dict[str, Any]:
    from telegram import error
    from telegram.constants import ParseMode
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    from bot.common.keyboards import to_markup

    rendered = render_contents(1, bench_issue(), lang="zh", previous_issue_id=None)
    bot: ExtBot[Any] = ExtBot(
        TOKEN, base_url=server.api_base_url, request=HTTPXRequest(connection_pool_size=8),
        rate_limiter=AIORateLimiter() if rate_limited else None,
    )
    ok = failed = 0
    async with bot:
        start = time.perf_counter()
        for i in range(n):
            try:
                await bot.send_message(FIRST_USER + i, rendered.text, parse_mode=ParseMode.HTML,
                                       reply_markup=to_markup(rendered.keyboard))
                ok += 1
            except error.TelegramError:
                failed += 1
        elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "ok": ok, "failed": failed}


def baseline(server: Server, n: int, *, rate_limited: bool) -> dict[str, Any]:
    # AIORateLimiter logs every 429 it passes on with its traceback; the table counts them instead.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    server.limits(enabled=True)
    time.sleep(1.1)  # let the previous scenario's window drain
    before = server.counts()
    result = asyncio.run(ptb_loop(server, n, rate_limited=rate_limited))
    after = server.counts()
    result.update({"429": diff(after, before, 429), "n": n})
    return result


def memory_child(port: int, users: int) -> None:
    """Child process: push to USERS subscribers (paid, limits off) and print ru_maxrss in MB."""
    server = Server.__new__(Server)
    server.port = port
    server.api_base_url = f"http://127.0.0.1:{port}/bot"
    with tempfile.TemporaryDirectory() as tmp:
        engine, factory, _ = seeded_db(tmp, "memory", users)
        elapsed = asyncio.run(run_engine(server, factory, PushSettings(paid_broadcast=True)))
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak_mb, "elapsed": elapsed}), flush=True)


def memory(server: Server, n: int) -> dict[str, Any]:
    server.limits(enabled=False)
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(server.port), "--users", str(n)],
        check=True, capture_output=True, cwd=ROOT,
    ).stdout.decode().strip().splitlines()[-1]
    return dict(json.loads(out), n=n)


def only_paid(n: int, trials: int = 5) -> int:
    """Paid broadcast with the server enforcing Telegram's 1000/s paid limit: median of TRIALS runs per setting.

    The last setting switches the server's limits off and raises the push's limiter (not a real setting) to show
    what the client itself can do on this machine.
    """
    server = Server(n)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for concurrency, paid_rate in ((32, 1000.0), (16, 1000.0), (32, 5000.0)):
                capacity = paid_rate != 1000.0
                runs = [
                    ours(server, tmp, n, paid=True, concurrency=concurrency, trial=t, paid_rate=paid_rate,
                         server_limits=not capacity)
                    for t in range(trials)
                ]
                rates = sorted(n / r["elapsed"] for r in runs)
                sustained = sorted(r["sustained"] for r in runs)
                delivered = min(r["ok"] for r in runs)
                too_many = sum(r["429"] for r in runs)
                label = (" [server limits off, limiter raised to 5000/s: client capacity]" if capacity
                         else ", server enforcing 1000/s")
                print(f"paid broadcast, {n} subscribers, {concurrency} open requests{label}: "
                      f"median {sustained[len(runs) // 2]:.0f} msg/s from first to last delivery "
                      f"(trials {', '.join(f'{r:.0f}' for r in sustained)}), "
                      f"median {rates[len(runs) // 2]:.0f} msg/s including loading and ledger "
                      f"(trials {', '.join(f'{r:.0f}' for r in rates)}), "
                      f"delivered {delivered}/{n} at least, {too_many} 429s in all", flush=True)
    finally:
        server.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--users", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="a tenth of every size")
    ap.add_argument("--skip-baselines", action="store_true", help="skip the two PTB loops")
    ap.add_argument("--only-paid", action="store_true",
                    help="only the paid-broadcast scenario: 5 trials (median) at 32 open requests (the default) "
                         "and 16 with the server enforcing 1000/s, and the client's capacity (limits off)")
    args = ap.parse_args()
    if args.serve:
        # The server keeps asyncio's own loop in every scenario, as in the tests.
        serve(args.serve, args.users)
        return 0
    # Everything pushing below runs on the loop `bulletin-bot run` and `push-worker` use (uvloop when installed),
    # the PTB baselines included.
    loop_name = "uvloop" if use_uvloop() else "asyncio"
    print(f"event loop: {loop_name}", flush=True)
    if args.memory_child:
        memory_child(args.memory_child, args.users)
        return 0
    scale = 10 if args.quick else 1
    n30, npaid, nmem = 10_000 // scale, 20_000 // scale, 100_000 // scale
    if args.only_paid:
        return only_paid(npaid)
    server = Server(max(n30, npaid, nmem))
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            r = ours(server, tmp, n30, paid=False)
            ideal = n30 / 30
            rows.append((f"bulletin-bot push, 30/s, {n30}", f"{r['elapsed']:.1f} s", f"{r['elapsed'] / ideal:.3f}",
                         f"{r['ok']}/{n30}", str(r["429"])))
            print(rows[-1], flush=True)
            if not args.skip_baselines:
                for limited, label in ((False, "PTB plain send_message loop"), (True, "PTB loop + AIORateLimiter")):
                    b = baseline(server, n30, rate_limited=limited)
                    rows.append((f"{label}, {n30}", f"{b['elapsed']:.1f} s", f"{b['elapsed'] / ideal:.3f}",
                                 f"{b['ok']}/{n30}", str(b["429"])))
                    print(rows[-1], flush=True)
            p = ours(server, tmp, npaid, paid=True)
            rows.append((f"bulletin-bot paid broadcast, server enforcing 1000/s, {npaid}", f"{p['elapsed']:.1f} s",
                         f"{p['sustained']:.0f} msg/s first to last delivery, {npaid / p['elapsed']:.0f} overall",
                         f"{p['ok']}/{npaid}", str(p["429"])))
            print(rows[-1], flush=True)
        m = memory(server, nmem)
        rows.append((f"bulletin-bot peak memory (ru_maxrss), {nmem}", f"{m['elapsed']:.1f} s",
                     f"{m['peak_mb']:.0f} MB", "-", "-"))
    finally:
        server.close()
    header = ("scenario", "elapsed", "ratio to N/30 s | rate | memory", "delivered", "429s")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
