"""A push to a million subscribers on PostgreSQL: time to the ledger and to the first message, and peak memory.

    .venv/bin/python bench/bench_push_million.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_million
        [--subscribers 1000000] [--seconds 30]

The database at --db is emptied of subscribers and pushes and seeded with N active subscribers (in SQL). The local
Bot API server runs in its own process with N private chats (bench_push.Server). A fresh child process then runs
the push runner, as `push-worker` does, with paid broadcast and the server's limits off (so the push sends as fast
as this machine allows), for --seconds after its first message, and prints:
  * seconds from the start of the push to its first message delivered (target <= 60 s): after the whole ledger
    (N rows) was written before the ledger was written in batches, after its first batch since;
  * messages delivered in the following --seconds;
  * seconds from the start of the push to its whole ledger written (the child runs until then, if that is later);
  * the child's peak memory, ru_maxrss (target < 300 MB), against a baseline in the same run: the same child
    process with everything imported and connected, before the push.
The push is then stopped (a running push resumes from its ledger; here the next run deletes it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# The baseline's child imports that checkout's packages (its PYTHONPATH) ahead of this one's: without this, ROOT
# came first and both runs measured this checkout's code.
for _entry in reversed(os.environ.get("PYTHONPATH", "").split(os.pathsep)):
    if _entry:
        sys.path.insert(0, _entry)

from bench_push import FIRST_USER, TOKEN, Server, bench_issue  # noqa: E402
from sqlalchemy import delete, func, select, text  # noqa: E402

from storage.archive import IssueRepository  # noqa: E402
from storage.db import open_database, transaction  # noqa: E402
from storage.models import IssueRow, SubscriberRow  # noqa: E402
from storage.push_models import Delivery, Push  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(url: str, n: int) -> None:
    """N active subscribers (chat ids FIRST_USER..), the bench issue, and its push due now."""
    from jobs.push import publish
    from jobs.uow import UnitOfWork

    engine, factory = open_database(url)
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as s:
        s.execute(delete(Push))
        s.execute(delete(SubscriberRow))
        s.execute(delete(IssueRow))
        s.execute(
            text(
                "INSERT INTO subscribers (chat_id, chat_type, user_id, display_name, language_code, department, "
                "active, subscribed_at, updated_at) "
                "SELECT g, 'private', g, 'u', CASE WHEN g % 10 = 0 THEN 'en' ELSE 'zh-hans' END, 'd', true, :now, :now "
                "FROM generate_series(:first, :last) AS g"
            ),
            {"first": FIRST_USER, "last": FIRST_USER + n - 1, "now": now.replace(tzinfo=None)},
        )
        stored, _ = IssueRepository(s).add(bench_issue())
        publish(UnitOfWork(s), stored.id, now, now)
    with engine.connect() as c:
        c.execute(text("ANALYZE subscribers"))
        c.commit()
    engine.dispose()


def child(port: int, url: str, seconds: float) -> None:
    """The pushing process: run the push; report when the ledger and the first message were there, and memory."""
    from bot.common.outbox import TelegramSender, make_push_bot
    from bulletin_bot.eventloop import use_uvloop
    from jobs.push import PushSettings
    from jobs.runner import PushRunner
    from storage.db import create_db_engine, make_session_factory

    use_uvloop()
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        s.execute(select(1))
    baseline = rss_mb()

    async def run() -> dict[str, Any]:
        bot = make_push_bot(TOKEN, f"http://127.0.0.1:{port}/bot")
        async with bot:
            sender = TelegramSender(bot)
            first: list[float] = []
            sent = 0
            original = sender.send

            async def send(chat_id: int, rendered: Any, *, protect: bool = False, paid: bool = False) -> int:
                nonlocal sent
                message_id = await original(chat_id, rendered, protect=protect, paid=paid)
                sent += 1
                if not first:
                    first.append(time.perf_counter())
                return message_id

            sender.send = send  # type: ignore[method-assign]
            runner = PushRunner(factory, sender, PushSettings(paid_broadcast=True), worker="bench")
            start = time.perf_counter()
            task = asyncio.create_task(runner.tick())
            complete: list[float] = []

            async def watch_ledger() -> None:
                while not await asyncio.to_thread(lambda: _in(factory, ledger_complete)):
                    await asyncio.sleep(0.5)
                complete.append(time.perf_counter())

            watcher = asyncio.create_task(watch_ledger())
            while not first and not task.done():
                await asyncio.sleep(0.01)
            if task.done():
                task.result()
                raise RuntimeError("the push ended before its first message")
            sent_at_first = sent
            await asyncio.sleep(seconds)
            sent_after = sent - sent_at_first
            await asyncio.wait([watcher, task], return_when=asyncio.FIRST_COMPLETED)
            complete_s = (complete[0] if complete else time.perf_counter()) - start
            task.cancel()
            watcher.cancel()
            await asyncio.gather(task, return_exceptions=True)

        def ledger(s: Any) -> int:
            return int(s.scalar(select(func.count()).select_from(Delivery)) or 0)

        rows = await asyncio.to_thread(lambda: _in(factory, ledger))
        return {"first_s": first[0] - start, "ledger_rows": rows, "sent_after": sent_after,
                "complete_s": complete_s}

    result = asyncio.run(run())
    engine.dispose()
    print(json.dumps(dict(result, baseline_mb=baseline, peak_mb=rss_mb(), seconds=seconds)), flush=True)


def ledger_complete(s: Any) -> bool:
    """Whether the push's ledger is complete (materialized_at is set in the transaction of its last rows)."""
    return bool(s.scalar(select(func.count()).select_from(Push).where(Push.materialized_at.is_not(None))))


def _in(factory: Any, fn: Any) -> Any:
    with transaction(factory) as s:
        return fn(s)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a PostgreSQL URL (its subscribers, issues and pushes are replaced)")
    ap.add_argument("--subscribers", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to keep pushing after the first message")
    ap.add_argument("--baseline", metavar="CHECKOUT",
                    help="first push with another checkout's code (e.g. /work/main), for same-run ratios")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.db, args.seconds)
        return 0
    print(f"start: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
          flush=True)
    t0 = time.perf_counter()
    server = Server(args.subscribers)
    print(f"local server with {args.subscribers} chats up in {time.perf_counter() - t0:.1f} s", flush=True)
    runs: dict[str, dict[str, Any]] = {}
    try:
        server.limits(enabled=False)
        for label, code in ([("baseline", args.baseline)] if args.baseline else []) + [("this checkout", None)]:
            t0 = time.perf_counter()
            seed(args.db, args.subscribers)
            print(f"{label}: seeded {args.subscribers} subscribers in {time.perf_counter() - t0:.1f} s", flush=True)
            env = dict(os.environ)
            if code is not None:
                env["PYTHONPATH"] = code  # the child imports that checkout's packages ahead of this one's
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(server.port), "--db", args.db, "--seconds",
                 str(args.seconds)],
                check=True, capture_output=True, cwd=ROOT, env=env,
            ).stdout.decode().strip().splitlines()[-1]
            r = runs[label] = json.loads(out)
            print(f"{label}: push to {args.subscribers} subscribers: first message delivered {r['first_s']:.1f} s "
                  f"after the push started (target <= 60 s: {'met' if r['first_s'] <= 60 else 'NOT met'}); "
                  f"ledger of {r['ledger_rows']} rows complete {r['complete_s']:.1f} s after the start; "
                  f"{r['sent_after']} messages in the {r['seconds']:g} s after the first; pushing process peak memory "
                  f"(ru_maxrss) {r['peak_mb']:.0f} MB (target < "
                  f"300 MB: {'met' if r['peak_mb'] < 300 else 'NOT met'}), {r['baseline_mb']:.0f} MB before the "
                  f"push", flush=True)
    finally:
        server.close()
    if "baseline" in runs:
        b, r = runs["baseline"], runs["this checkout"]
        print(f"ratios, this checkout / baseline: time to first message {r['first_s'] / b['first_s']:.2f}x, "
              f"peak memory {r['peak_mb'] / b['peak_mb']:.2f}x, growth over the process before the push "
              f"{(r['peak_mb'] - r['baseline_mb']) / max(1.0, b['peak_mb'] - b['baseline_mb']):.2f}x")
    print(f"end: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
