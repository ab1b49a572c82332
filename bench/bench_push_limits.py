"""How long replies wait for a permit during a 30/s push: the RateLimiter alone, on the real event loop clock.

    .venv/bin/python bench/bench_push_limits.py [--seconds 60] [--users 50] [--think 2.5] [--before 20] [--gap 5]
                                                [--baseline /work/main]

The bot's shared limiter (rate 30, reserve 30 // 6 = 5, as bot/app.py builds it) carries a push that always has
more to send (32 open requests, as PushEngine.paced takes permits) while USERS each think ~THINK s (exponential)
and then send a reply (SharedSendBudget: urgent, off the grid), as bench_reply.py's paced users do, in its order:
the users first write for BEFORE seconds with no push running (their replies take no permits; SharedSendBudget
notes them to a limiter that has note_reply), stop, the push starts, and GAP seconds later the users start again
and write for SECONDS while the push runs: that last phase is measured. Every request
takes a few milliseconds to reach the "server" (uniform 1-6 ms) and is answered at once. Printed per limiter: how
many replies waited for a permit at all, their wait p50 / p99 / max, the push's messages per second, and the most
requests (replies and push) the server saw in any one-second window (must stay <= 30). With --baseline, the
limiter of that checkout (jobs/push_limits.py) runs at the same time on the same loop with the same users' random
schedule, so the two see the same timer slack; the machine's load hardly matters, since only waits for permits are
measured, not CPU. The most replies the users asked for in any one second is printed too: above 30 (when they all
start at once), some replies must wait whatever the limiter does.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import importlib.util
import os
import random
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def limiter_module(checkout: Path, name: str) -> ModuleType:
    """jobs/push_limits.py of CHECKOUT, imported under NAME (so two versions can run side by side)."""
    spec = importlib.util.spec_from_file_location(name, checkout / "jobs" / "push_limits.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def most_in_one_window(stamps: list[float], window: float = 1.0) -> int:
    """The most STAMPS inside any half-open window [t, t + window)."""
    stamps = sorted(stamps)
    return max((bisect.bisect_left(stamps, t + window) - i for i, t in enumerate(stamps)), default=0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run(
    limiter: Any, seconds: float, users: int, think: float, seed: int, before: float = 0.0, gap: float = 0.0
) -> dict[str, Any]:
    """The users alone for BEFORE seconds, then the push, GAP seconds later the users again for SECONDS, against
    LIMITER; the figures above for the last phase."""
    loop = asyncio.get_running_loop()
    handled: list[float] = []
    waits: list[float] = []
    asked_at: list[float] = []
    pushed = 0
    note = getattr(limiter, "note_reply", lambda: None)

    async def user_alone(k: int, until: float) -> None:
        rng = random.Random(seed * 1000 + 900 + k)
        await asyncio.sleep(rng.uniform(0, think))
        while loop.time() < until:
            note()
            await asyncio.sleep(rng.expovariate(1 / think))

    if before:
        until = loop.time() + before
        await asyncio.gather(*(user_alone(k, until) for k in range(users)))
    end = loop.time() + gap + seconds

    async def request(ticket: Any, rng: random.Random) -> None:
        try:
            await asyncio.sleep(rng.uniform(0.001, 0.006))  # on its way: the server counts it on arrival
            handled.append(loop.time())
        finally:
            limiter.done(ticket)

    async def push_worker(k: int) -> None:
        nonlocal pushed
        rng = random.Random(seed * 1000 + k)
        while loop.time() < end:
            await request(await limiter.acquire(), rng)
            pushed += 1

    async def user(k: int) -> None:
        rng = random.Random(seed * 1000 + 500 + k)
        await asyncio.sleep(gap + rng.uniform(0, think))
        while loop.time() < end:
            asked = loop.time()
            asked_at.append(asked)
            ticket = await limiter.acquire(paced=False, urgent=True)
            waits.append((loop.time() - asked) * 1000)
            await request(ticket, rng)
            await asyncio.sleep(rng.expovariate(1 / think))

    with limiter.engaged():
        await asyncio.gather(*(push_worker(k) for k in range(32)), *(user(k) for k in range(users)))
    waited = [w for w in waits if w > 2.0]  # (a process preempted on a busy machine shows ~1 ms)
    return {
        "replies": len(waits), "waited": len(waited), "p50": statistics.median(waits), "p99": pct(waits, 0.99),
        "max": max(waits), "push_rate": pushed / (gap + seconds), "most": most_in_one_window(handled),
        "most_asked": most_in_one_window(asked_at),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--think", type=float, default=2.5, help="mean think time (s) between a user's replies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--before", type=float, default=20.0, help="seconds the users write before the push starts")
    ap.add_argument("--gap", type=float, default=5.0, help="seconds between the push's start and the users' return")
    ap.add_argument("--baseline", metavar="CHECKOUT", help="also run that checkout's limiter, at the same time")
    args = ap.parse_args()
    print(f"start: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    checkouts = ([("baseline", Path(args.baseline))] if args.baseline else []) + [("this checkout", ROOT)]

    async def both() -> list[dict[str, Any]]:
        runs = []
        for label, checkout in checkouts:
            module = limiter_module(checkout, f"push_limits_{label.replace(' ', '_')}")
            limiter = module.RateLimiter(30, reserve=30 // 6)
            runs.append(run(limiter, args.seconds, args.users, args.think, args.seed, args.before, args.gap))
        return list(await asyncio.gather(*runs))

    results = asyncio.run(both())
    for (label, _), r in zip(checkouts, results, strict=True):
        print(f"{label}: {r['replies']} replies, {r['waited']} waited for a permit "
              f"({100 * r['waited'] / r['replies']:.1f}%); wait p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"max {r['max']:.1f} ms; push {r['push_rate']:.1f} msg/s; at most {r['most']} requests in any "
              f"one second (limit 30); the users asked for up to {r['most_asked']} replies in one second")
    if len(results) == 2:
        b, r = results
        print(f"ratios, this checkout / baseline: replies that waited {r['waited'] / max(1, b['waited']):.2f}x, "
              f"wait p99 {r['p99'] / max(0.001, b['p99']):.2f}x, push rate {r['push_rate'] / b['push_rate']:.2f}x")
    print(f"end: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
