"""Reply latency of the bot through the local Bot API server, with 10,000 issues stored.

The bot runs as in production: its own process (`bulletin-bot run`, polling), on an SQLite archive seeded
through the storage repository. This process holds the local Bot API server and the users. Latency is measured
from the moment a user's command is queued at the server (what Telegram does when a user sends it) to the
moment the bot's answer reaches the server's sendMessage:
  * 1 user, back to back;
  * 50 concurrent users, each sending its next command as soon as the answer arrives (closed loop, no think
    time): this is the saturation throughput, "commands/s sustained";
  * 50 concurrent users at a paced offered load (each user thinks ~2.5 s between commands, exponential),
    i.e. a busy office, reported against the target;
  * the same paced users while the bot pushes an issue to 10,000 subscribers at [push] rate_per_second = 30/s
    (replies and the push share Telegram's 30 messages per second: replies go first and the push slows down by
    as much); reported with the push's own rate during the phase and the most messages (replies and push) the
    server saw in any one-second window, which must stay <= 30.
Baselines from the same run: the raw HTTP round trip of the local server (getMe), and /help, which touches no
database. Each phase also reports the bot process's CPU time per command (Linux /proc), which depends less than
latency on what else the machine is running, but does follow the virtual machine's speed: that drifts by 10-20%
within minutes here, so compare with --baseline and --rounds (baseline and this checkout alternate, and the
medians of the figures and of the per-round ratios are reported). The load average is printed at start and end.

    .venv/bin/python bench/bench_reply.py [--issues 10000] [--commands 2000] [--db sqlite|URL]
                                          [--push-subscribers 10000]   (0: no push phase)
                                          [--phases 1user,saturation,paced,push] [--baseline CHECKOUT [--rounds N]]

Target: p99 <= 100 ms at 50 concurrent users.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, insert

from bulletin.model import Article, Issue, TocEntry
from jobs.push import publish
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.archive import IssueRepository
from storage.db import open_database, transaction
from storage.models import SubscriberRow
from storage.push_models import Push

TOKEN = "5555:bench-token"
FIRST_USER = 700_000
FIRST_SUBSCRIBER = 3_000_000
Figures = tuple[float, float, float | None]  # one phase: commands/s, p99 ms, bot CPU ms per command (None: unknown)


class TimedServer(LocalBotApi):
    """The local server, noting when each bot message arrives so waiting users wake at once (no polling)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.arrivals: dict[int, list[float]] = defaultdict(list)
        self.lock = threading.Lock()
        # One condition per waiting user on the one lock: an arrival wakes only the user it is for (a single
        # condition woke all 50 user threads on every message, which cost this process more CPU than the server).
        self._conditions: dict[int, threading.Condition] = {}

    def condition(self, chat_id: int) -> threading.Condition:
        """The condition notified when a message for CHAT_ID arrives (call with the lock held)."""
        found = self._conditions.get(chat_id)
        if found is None:
            found = self._conditions[chat_id] = threading.Condition(self.lock)
        return found

    # The server dispatches through its method table (localbotapi/server.py METHODS), not by attribute, so the
    # hook is on _call, which every Bot API method goes through.
    async def _call(self, bot: Any, method: str, p: Any, request: Any = None) -> Any:
        result = await super()._call(bot, method, p, request)
        if method == "sendMessage":
            now = time.perf_counter()
            chat_id = int(result["chat"]["id"])
            with self.lock:
                self.arrivals[chat_id].append(now)
                waiting = self._conditions.get(chat_id)
                if waiting is not None:
                    waiting.notify_all()
        return result


def synthetic_issue(n: int, rng: random.Random) -> Issue:
    words = ["景区", "安全", "检查", "春耕", "审批", "改革", "环境", "整治", "会议", "调研", "项目", "服务"]
    articles = []
    for k in range(1, 4):
        body = "".join(rng.choice(words) + "工作稳步推进，" for _ in range(40)) + "成效明显。"
        articles.append(Article(f"第{n}期第{k}篇：{rng.choice(words)}{rng.choice(words)}工作动态", (body, body[:80])))
    return Issue(
        masthead="某市工作简报",
        year=1990 + n // 400,
        number=n % 400 + 1,
        total_number=n,
        publisher="某市人民政府办公室",
        date=dt.date(1990, 1, 1) + dt.timedelta(days=n),
        toc=tuple(TocEntry(a.title, "工作动态") for a in articles),
        articles=tuple(articles),
    )


def seed(factory: Any, count: int) -> float:
    """Store COUNT synthetic issues, unless the database (a --db given again) holds them already."""
    rng = random.Random(7)
    started = time.perf_counter()
    with transaction(factory) as session:
        if IssueRepository(session).count() >= count:
            return 0.0
    n = 1
    while n <= count:
        with transaction(factory) as session:
            repo = IssueRepository(session)
            for _ in range(min(500, count - n + 1)):
                repo.add(synthetic_issue(n, rng))
                n += 1
    return time.perf_counter() - started


def seed_subscribers(factory: Any, count: int) -> None:
    """COUNT active private subscribers (none of them a bench user), replacing any left by an earlier run."""
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as session:
        session.execute(delete(Push))
        session.execute(delete(SubscriberRow))
        rows = [
            {"chat_id": FIRST_SUBSCRIBER + i, "chat_type": "private", "user_id": FIRST_SUBSCRIBER + i,
             "display_name": "s", "language_code": "zh-hans", "department": "d", "active": True,
             "subscribed_at": now, "updated_at": now}
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            session.execute(insert(SubscriberRow), rows[start : start + 5000])


def start_push(factory: Any) -> None:
    """Schedule the push of the newest issue now (the bot's push runner picks it up within its poll interval)."""
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as session:
        latest = IssueRepository(session).latest()
        assert latest is not None
        publish(UnitOfWork(session), latest.id, now, now)


def busiest_second(stamps: list[float]) -> int:
    """The most STAMPS (seconds) inside any one-second window."""
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def commands_for(rng: random.Random, issues: int) -> list[str]:
    pool: list[Callable[[], str]] = [
        lambda: "/latest",
        lambda: f"/issue {rng.randint(1, issues)}",
        lambda: f"/article {rng.randint(1, issues)} {rng.randint(1, 3)}",
        lambda: f"/issues {rng.randint(1, 50)}",
        lambda: "/search " + rng.choice(["景区", "安全 检查", "春耕", "审批 改革", "环境整治"]),
        lambda: "/help",
    ]
    return [rng.choice(pool)() for _ in range(100_000)]


class Load:
    def __init__(self, server: TimedServer) -> None:
        self.server = server
        self.stamped: list[tuple[str, float, float]] = []

    def one(self, user: int, command: str) -> float:
        with self.server.lock:
            expected = len(self.server.arrivals[user]) + 1
        started = time.perf_counter()
        self.server.send_text(TOKEN, user, user, command)
        with self.server.lock:
            answered = self.server.condition(user).wait_for(
                lambda: len(self.server.arrivals[user]) >= expected, timeout=30
            )
            if not answered:
                raise RuntimeError(f"no reply to {command!r}")
            return self.server.arrivals[user][expected - 1] - started

    def run(
        self, users: list[int], commands: list[str], think: float = 0.0
    ) -> tuple[list[tuple[str, float]], float]:
        results: list[tuple[str, float]] = []
        lock = threading.Lock()
        queue = iter(commands)

        def worker(user: int) -> None:
            rng = random.Random(user)
            if think:
                # Users who think Exp(think) between commands are, at any instant, an Exp(think) wait away from
                # their next one (memorylessness): starting each after such a wait puts the phase in its steady
                # state from the first second. A uniform(0, think) start (until session 6) sent every user's
                # first command within one think time on top of the early starters' second ones, ~1.4x the
                # steady load for the first seconds.
                time.sleep(rng.expovariate(1 / think))
            while True:
                with lock:
                    command = next(queue, None)
                if command is None:
                    return
                at = time.perf_counter() - started
                latency = self.one(user, command)
                with lock:
                    results.append((command.split()[0], latency))
                    self.stamped.append((command.split()[0], latency, at))
                if think:
                    time.sleep(rng.expovariate(1 / think))

        threads = [threading.Thread(target=worker, args=(u,)) for u in users]
        self.stamped = []
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results, time.perf_counter() - started


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time used so far by process PID (Linux /proc), None where that cannot be read."""
    try:
        # Fields after the ")" that ends the command name start at field 3; utime and stime are fields 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def database_cpu_seconds(engine: Any) -> float:
    """CPU seconds so far of the PostgreSQL server on this machine: every postgres process, plus what its ended
    backends used (the postmaster's children's time; the bot's pool may close and open connections); 0.0 on SQLite.
    Every database of the server counts, so the figure is the bot's only on an otherwise quiet machine."""
    if engine.dialect.name != "postgresql":
        return 0.0
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue  # ended meanwhile
        if not head.endswith("(postgres"):
            continue
        fields = tail.split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if not Path(f"/proc/{fields[1]}/stat").read_text().rsplit(")", 1)[0].endswith("(postgres"):
            total += int(fields[13]) + int(fields[14])  # the postmaster: cutime, cstime of its ended children
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def report(
    title: str,
    results: list[tuple[str, float]],
    elapsed: float,
    cpu: float | None = None,
    harness: float = 0.0,
    database: float = 0.0,
) -> None:
    ms = [lat * 1000 for _, lat in results]
    per_command = f"; bot CPU {cpu * 1000 / len(ms):.1f} ms/command" if cpu is not None else ""
    # The server and the users run in this process: when it needs a core of its own, it is the bench that limits.
    per_command += f", bench process CPU {harness * 1000 / len(ms):.1f} ms/command"
    if database:
        per_command += f", database server CPU {database * 1000 / len(ms):.1f} ms/command"
    print(f"{title}: {len(ms)} commands in {elapsed:.1f} s = {len(ms) / elapsed:.0f} commands/s; "
          f"p50 {statistics.median(ms):.1f} ms, p90 {pct(ms, 0.9):.1f} ms, p99 {pct(ms, 0.99):.1f} ms, "
          f"max {max(ms):.1f} ms{per_command}")
    by: dict[str, list[float]] = defaultdict(list)
    for name, lat in results:
        by[name].append(lat * 1000)
    for name in sorted(by):
        v = by[name]
        print(f"    {name:<9} n={len(v):<5} p50 {statistics.median(v):6.1f} ms   p99 {pct(v, 0.99):6.1f} ms")


def start_bot(tmp: str, server: TimedServer, db_url: str, code: str | None = None) -> subprocess.Popen[bytes]:
    """`bulletin-bot run` on DB_URL; CODE: another checkout whose packages the bot imports instead of this one's."""
    config = Path(tmp) / "bench.toml"
    config.touch(mode=0o600)  # it holds the token: private, as `bulletin-bot run` asks
    config.write_text(
        "[telegram]\n"
        f'token = "{TOKEN}"\n'
        f'api_base_url = "{server.api_base_url()}"\n'
        "poll_timeout = 10\n"
        "[database]\n"
        f'url = "{db_url}"\n'
        # The users here send far more than a person does; the per-user command limit would answer "wait".
        "[access]\n"
        "rate_limit_per_minute = 0\n"
        "[logging]\n"
        'level = "WARNING"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    if code is not None:
        env["PYTHONPATH"] = code  # ahead of this checkout's editable install
    process = subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"], env=env, cwd=tmp
    )
    if not server.wait_for(lambda: process.poll() is not None or bool(server.commands(TOKEN)), timeout=120):
        raise RuntimeError("the bot did not start")
    if process.poll() is not None:
        raise RuntimeError(f"the bot exited with {process.returncode}")
    return process


def at_head_of(engine: Any, checkout: str) -> None:
    """Downgrade the database to the newest migration CHECKOUT knows, so that its bot can start on it."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory(str(Path(checkout) / "storage" / "migrations")).get_current_head()
    assert head is not None, f"{checkout} has no migrations"
    with engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, head)


def reset_pushes(factory: Any) -> None:
    """Forget every push (and its ledger), so that the next bot can push the newest issue again."""
    with transaction(factory) as session:
        session.execute(delete(Push))


def run_bot(
    args: argparse.Namespace, tmp: str, server: TimedServer, url: str, factory: Any, code: str | None,
    subscribers: range,
) -> dict[str, Figures]:
    """Every phase against one bot process; phase -> (commands/s, p99 ms, bot CPU ms per command)."""
    users = [FIRST_USER + i for i in range(args.users)]
    figures: dict[str, Figures] = {}
    reset_pushes(factory)
    engine = factory.kw["bind"]
    bot = start_bot(tmp, server, url, code)
    try:
        rng = random.Random(11)
        commands = commands_for(rng, args.issues)
        load = Load(server)
        load.run(users[:10], commands[:100])  # warm-up: connections, caches, first-call imports

        def phase(key: str, title: str, phase_users: list[int], phase_commands: list[str], think: float = 0.0) -> float:
            """Run one phase, report it, and return its p99 in ms."""
            before = cpu_seconds(bot.pid)
            database_before = database_cpu_seconds(engine)
            harness_before = time.process_time()
            results, elapsed = load.run(phase_users, phase_commands, think=think)
            if os.environ.get("BENCH_DUMP"):
                with open(f"{os.environ['BENCH_DUMP']}-{key.replace(' ', '_')}.txt", "w") as dump:
                    for name, lat, at in load.stamped:
                        dump.write(f"{at:.4f} {lat * 1000:.1f} {name}\n")
            after = cpu_seconds(bot.pid)
            harness = time.process_time() - harness_before
            database_after = database_cpu_seconds(engine)
            database = database_after - database_before
            cpu = None if before is None or after is None else after - before
            report(title, results, elapsed, cpu, harness, database)
            p99 = pct([lat * 1000 for _, lat in results], 0.99)
            figures[key] = (len(results) / elapsed, p99, None if cpu is None else cpu * 1000 / len(results))
            return p99

        wanted = set(args.phases.split(","))
        if "1user" in wanted:
            phase("1 user", "1 user, back to back", users[:1], commands[100:400])
        n = args.commands
        if "saturation" in wanted:
            phase("saturation", f"{args.users} users, closed loop (saturation)", users, commands[400 : 400 + n])
        if "paced" in wanted:
            p99 = phase("paced", f"{args.users} users, ~{args.think:g} s think time", users,
                        commands[400 + n : 400 + 2 * n], think=args.think)
            print(f"target p99 <= 100 ms at {args.users} concurrent users: {'met' if p99 <= 100 else 'NOT met'} "
                  f"({p99:.1f} ms)")
        if args.push_subscribers and "push" in wanted:
            start_push(factory)

            def pushed() -> list[float]:
                with server.lock:
                    return [t for chat in subscribers for t in server.arrivals.get(chat, ())]

            already = len(pushed())
            deadline = time.monotonic() + 60
            while len(pushed()) == already and time.monotonic() < deadline:
                time.sleep(0.2)
            if len(pushed()) == already:
                raise RuntimeError("the push did not start")
            time.sleep(2)  # let it reach its full rate
            started = time.perf_counter()
            p99 = phase("push", f"{args.users} users, ~{args.think:g} s think time, during a 30/s push to "
                        f"{args.push_subscribers} subscribers", users, commands[400 + 2 * n : 400 + 3 * n],
                        think=args.think)
            ended = time.perf_counter()
            push_times = [t for t in pushed() if started <= t <= ended]
            with server.lock:
                every = [t for times in server.arrivals.values() for t in times if started <= t <= ended]
            print(f"    push during the phase: {len(push_times) / (ended - started):.1f} messages/s; "
                  f"replies and push together: at most {busiest_second(every)} messages in any one second")
            print(f"target p99 <= 100 ms during a push: {'met' if p99 <= 100 else 'NOT met'} ({p99:.1f} ms)")
    finally:
        bot.terminate()
        bot.wait(timeout=30)
    return figures


def print_ratios(title: str, rounds: list[dict[str, dict[str, Figures]]]) -> None:
    """TITLE, then per phase the median over ROUNDS of this checkout's figures divided by the baseline's."""
    print(title)
    for key in rounds[0]["this"]:
        if key not in rounds[0]["baseline"]:
            continue
        pairs = [(r["this"][key], r["baseline"][key]) for r in rounds]
        rate = statistics.median(t[0] / b[0] for t, b in pairs)
        p99 = statistics.median(t[1] / b[1] for t, b in pairs)
        cpus = [t[2] / b[2] for t, b in pairs if t[2] and b[2]]
        cpu_ratio = f", bot CPU per command {statistics.median(cpus):.2f}x" if cpus else ""
        print(f"    {key:<10} commands/s {rate:.2f}x, p99 {p99:.2f}x{cpu_ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=2000, help="commands in each 50-user phase")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--push-subscribers", type=int, default=10_000,
                        help="subscribers of the push during the last phase (0: no push phase)")
    parser.add_argument("--think", type=float, default=2.5, help="mean think time (s) in the paced phase")
    parser.add_argument("--phases", default="1user,saturation,paced,push",
                        help="the phases to run, comma-separated (default: all)")
    parser.add_argument("--db", default="sqlite", help='"sqlite" (a temporary file) or a database URL (seeded once, '
                        'kept for the next run)')
    parser.add_argument("--baseline", metavar="CHECKOUT",
                        help="first run every phase against the bot of another checkout (e.g. /work/main), for "
                             "same-run ratios")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --baseline: alternate baseline and this checkout this many times and report the "
                             "median of each figure and of the per-round ratios (this machine's speed drifts by "
                             "10-20%% within minutes; alternating puts both under the same drift)")
    args = parser.parse_args()
    print(f"start: {load_average()} on {os.cpu_count()} CPUs")

    server = TimedServer(limits=Limits(enabled=False))  # (LocalBotApi.__enter__ is typed as the base class)
    with tempfile.TemporaryDirectory(prefix="bench-reply-") as tmp, server:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}" if args.db == "sqlite" else args.db
        engine, factory = open_database(url)
        seconds = seed(factory, args.issues)
        seed_subscribers(factory, args.push_subscribers)
        print(f"stored {args.issues} issues ({args.issues * 3} articles) in {seconds:.1f} s on {engine.dialect.name}")
        server.add_bot(TOKEN, username="bench_bot")
        for u in range(FIRST_USER, FIRST_USER + args.users):
            server.add_user(u, f"用户{u}", language_code="zh-hans")
        subscribers = range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + args.push_subscribers)
        for u in subscribers:
            server.add_user(u, "订阅者", language_code="zh-hans")
        with httpx.Client() as client:
            raw = []
            for _ in range(200):
                t0 = time.perf_counter()
                client.post(f"{server.api_base_url()}{TOKEN}/getMe").raise_for_status()
                raw.append((time.perf_counter() - t0) * 1000)
        print(f"baseline: local server getMe round trip p50 {statistics.median(raw):.2f} ms, "
              f"p99 {pct(raw, 0.99):.2f} ms")
        rounds: list[dict[str, dict[str, Figures]]] = []
        try:
            for n in range(args.rounds if args.baseline else 1):
                runs: dict[str, dict[str, Figures]] = {}
                if args.baseline:
                    print(f"--- round {n + 1}, baseline: the bot of {args.baseline}")
                    at_head_of(engine, args.baseline)  # this checkout's bot migrates it forward again at its start
                    runs["baseline"] = run_bot(args, tmp, server, url, factory, args.baseline, subscribers)
                    print(f"--- round {n + 1}, this checkout")
                runs["this"] = run_bot(args, tmp, server, url, factory, None, subscribers)
                rounds.append(runs)
                if args.baseline:
                    print_ratios("ratios, this checkout / baseline, same round:", [runs])
        finally:
            engine.dispose()
        if len(rounds) > 1:
            print(f"medians of {len(rounds)} rounds (commands/s, p99 ms, bot CPU ms/command):")
            for side in ("baseline", "this"):
                for key in rounds[0][side]:
                    rate, p99, cpu = (statistics.median(f) if None not in f else None
                                      for f in zip(*(r[side][key] for r in rounds), strict=True))
                    cpu_text = f", bot CPU {cpu:.2f}" if cpu is not None else ""
                    print(f"    {side:<8} {key:<10} {rate:.0f}/s, p99 {p99:.1f}{cpu_text}")
            print_ratios(f"median ratios over {len(rounds)} rounds, this checkout / baseline:", rounds)
        print(f"end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
