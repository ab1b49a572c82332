"""What watching costs: CPU of polling N sources (default 200) whose index pages answer 304 Not Modified.

    .venv/bin/python bench/bench_watch.py [--sources 200] [--rounds 5] [--every 30m]

The test website (tests/support/website.py) runs in a child process, so only the watch's own CPU is measured
(process time of this process: the event loop, httpx, the worker threads of the database). Each round makes every
source due and runs one Watcher.tick(): 200 conditional GETs through the address guard, each answered 304, and
the poll recorded in SQLite. The baseline, measured in the same run, is the same 200 conditional GETs with a plain
httpx.AsyncClient (no guard, no database). CPU per hour = CPU per round x polls per hour at --every.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from support.website import OfficeSite, index_page, serve  # noqa: E402

from config.values import parse_duration  # noqa: E402
from jobs.netguard import NetworkPolicy  # noqa: E402
from jobs.watch import Watcher, WatchSettings  # noqa: E402
from jobs.watch_fetch import HttpFetcher  # noqa: E402
from storage.db import open_database, transaction  # noqa: E402
from storage.watch_repo import SourceSpec, WatchRepository  # noqa: E402


def _site(count: int, queue: multiprocessing.Queue[str], stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    site = OfficeSite()
    for i in range(count):
        site.put(f"/s{i}/", index_page([(f"/s{i}/{n}.html", f"工作简报第{n}期") for n in range(1, 21)]))
    with serve(site):
        queue.put(site.base)
        stop.wait()


async def _plain(urls: list[str], etags: dict[str, str]) -> float:
    start = time.process_time()
    async with httpx.AsyncClient(headers={"Accept-Encoding": "identity"}) as client:
        for url in urls:
            response = await client.get(url, headers={"If-None-Match": etags[url]})
            assert response.status_code == 304, response.status_code
    return time.process_time() - start


async def _run(base: str, count: int, rounds: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = open_database(f"sqlite:///{tmp}/bench.sqlite3")
        now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        urls = [f"{base}/s{i}/" for i in range(count)]
        with transaction(factory) as session:
            repo = WatchRepository(session)
            for url in urls:
                repo.add(SourceSpec(url, dt.timedelta(minutes=30)), now)
        clock = [now]
        fetcher = HttpFetcher(NetworkPolicy(allow_private=True), timeout=20, max_bytes=20 * 1024 * 1024,
                              per_host_interval=0.0)
        watcher = Watcher(factory, fetcher, None, WatchSettings(), clock=lambda: clock[0])
        await watcher.tick()  # first poll: baselines and validators
        watch_cpu: list[float] = []
        plain_cpu: list[float] = []
        with transaction(factory) as session:
            etags = {s.url: s.etag or "" for s in WatchRepository(session).all()}
        for _ in range(rounds):
            clock[0] += dt.timedelta(hours=1)
            start = time.process_time()
            reports = await watcher.tick()
            watch_cpu.append(time.process_time() - start)
            assert len(reports) == count and all(r.unchanged for r in reports), "not every poll was a 304"
            plain_cpu.append(await _plain(urls, etags))
        await fetcher.close()
        engine.dispose()
        return watch_cpu, plain_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--every", default="30m", help="each source's poll interval (for the per-hour figure)")
    args = parser.parse_args()
    polls_per_hour = dt.timedelta(hours=1) / parse_duration(args.every)
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_site, args=(args.sources, queue, stop), daemon=True)
    server.start()
    try:
        base = queue.get(timeout=60)
        watch_cpu, plain_cpu = asyncio.run(_run(base, args.sources, args.rounds))
    finally:
        stop.set()
        server.join(10)
    watch = statistics.median(watch_cpu)
    plain = statistics.median(plain_cpu)
    print(f"{args.sources} sources, all 304, median of {args.rounds} rounds")
    print(f"watch tick:           {watch * 1000:8.1f} ms CPU per round, {watch / args.sources * 1000:.2f} ms per poll")
    print(f"plain httpx baseline: {plain * 1000:8.1f} ms CPU per round, {plain / args.sources * 1000:.2f} ms per poll")
    print(f"ratio watch / baseline: {watch / plain:.2f}")
    print(f"every {args.every}: {polls_per_hour * args.sources:.0f} polls per hour = "
          f"{watch * polls_per_hour:.2f} s CPU per hour ({watch * polls_per_hour / 36:.3f}% of one core)")


if __name__ == "__main__":
    main()
