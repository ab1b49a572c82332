"""Latency of the web reader's pages with 10,000 issues stored, served by a real `bulletin-bot web` process.

The archive is seeded as bench_reply.py seeds it (10,000 issues of three ~500-character articles). The reader runs
private (`[web] public = false`), and every request carries a subscriber's session cookie, so each page does what
production does: checks the cookie's signature, looks the subscriber up and reads the page's data in one unit of
work, renders the template and hashes it for the ETag. Requests go over real HTTP from this process (httpx, one
connection per client), CLIENTS at a time, back to back.

Measured per page kind: an article page of one of the newest 100 issues (what a push sends people to; the reader
keeps recently read issues, checked against the database's version on every request) and of any of the 10,000
(mostly read afresh), an issue page, the home page (each publication with its issue count), a publication's page
of issues, a search page; the baselines in the same
run are /healthz (the server and HTTP alone, no database, no template) and the same article page answered 304 from
If-None-Match (everything but sending the body). Each figure is the median of ROUNDS rounds; "cpu ms" is the
reader process's CPU time (user + system) per request, which carries over from a busy machine where latencies do
not, and each line ends with the load average when it was printed.

    .venv/bin/python bench/bench_web.py [--issues 10000] [--requests 2000] [--clients 1 8] [--db URL]

Target: p99 <= 50 ms for the article page with 10,000 issues.
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
from pathlib import Path

import httpx
from bench_reply import seed

from storage.db import open_database, transaction
from storage.subscribers import SubscriberRepository
from web.auth import session_key, sign_session

TOKEN = "5151:bench-web-token"
SUBSCRIBER = 900_001


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_reader(config: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "web", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("bulletin-bot web did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process PID so far (Linux /proc): what a request costs the server, whatever else
    the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(base: str, paths: list[str], clients: int, headers: dict[str, str]) -> list[float]:
    """Latencies (ms) of PATHS fetched by CLIENTS threads, each with its own keep-alive connection."""
    latencies: list[float] = []
    lock = threading.Lock()
    share = [paths[i::clients] for i in range(clients)]

    def client(mine: list[str]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            local = []
            for path in mine:
                extra = {}
                if path.startswith("304:"):
                    path = path[4:]
                    extra = {"If-None-Match": etags[path]}
                started = time.perf_counter()
                response = http.get(path, headers=extra)
                local.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (200, 304):
                    raise SystemExit(f"{path}: {response.status_code}")
            with lock:
                latencies.extend(local)

    etags: dict[str, str] = {}
    with httpx.Client(base_url=base, headers=headers) as http:
        for path in {p[4:] for p in paths if p.startswith("304:")}:
            etags[path] = http.get(path).headers["etag"]
    threads = [threading.Thread(target=client, args=(mine,)) for mine in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per page kind and round")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = args.db or f"sqlite:///{tmp / 'bench.sqlite3'}"
    engine, factory = open_database(url)
    with transaction(factory) as session:
        have = session.execute(__import__("sqlalchemy").text("SELECT count(*) FROM issues")).scalar() or 0
    if have < args.issues:
        print(f"seeding {args.issues - have} issues ...", flush=True)
        seconds = seed(factory, args.issues - have)
        print(f"seeded in {seconds:.0f} s", flush=True)
    with transaction(factory) as session:
        SubscriberRepository(session).subscribe(SUBSCRIBER, chat_type="private", user_id=SUBSCRIBER,
                                                display_name="bench", language_code="zh", department="办公室")
        ids = [row[0] for row in session.execute(__import__("sqlalchemy").text("SELECT id FROM issues"))]
        publications = [row[0] for row in session.execute(
            __import__("sqlalchemy").text("SELECT DISTINCT publication_id FROM issues"))]
    engine.dispose()
    config = tmp / "web.toml"
    config.write_text(f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "{url}"\n[logging]\nlevel = "WARNING"\n',
                      encoding="utf-8")
    config.chmod(0o600)
    cookie = sign_session(session_key(TOKEN), SUBSCRIBER, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    headers = {"Cookie": f"session={cookie}"}
    port = 18000 + os.getpid() % 1000
    reader = start_reader(config, port)
    base = f"http://127.0.0.1:{port}"
    print(f"load average at start: {os.getloadavg()[0]:.1f}; {len(ids)} issues stored; {url.split(':')[0]}")
    rng = random.Random(11)
    newest = sorted(ids)[-100:]  # bench_reply's issues are dated in id order
    kinds = {
        "/healthz (baseline: HTTP only)": lambda: "/healthz",
        "article page, 304 (baseline: all but the body)": lambda: "304:/i/1/2",
        "article page, newest 100 issues (after a push)": lambda: f"/i/{rng.choice(newest)}/{rng.randint(1, 3)}",
        "article page, any of all issues (cache missing)": lambda: f"/i/{rng.choice(ids)}/{rng.randint(1, 3)}",
        "issue page (要目), newest 100 issues": lambda: f"/i/{rng.choice(newest)}",
        "home page (publications, issue counts)": lambda: "/",
        "publication page (20 issues), pages 1-5": lambda: f"/p/{rng.choice(publications)}?page={rng.randint(1, 5)}",
        "search page": lambda: "/search?q=" + rng.choice(["景区", "安全 检查", "春耕", "审批 改革", "环境整治"]),
    }
    try:
        for clients in args.clients:
            print(f"\n{clients} client(s), {args.requests} requests per page kind, median of {args.rounds} rounds")
            print(f"{'page':50} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'cpu ms':>8}")
            for name, make in kinds.items():
                p50s, p99s, rates, cpus = [], [], [], []
                for _ in range(args.rounds):
                    paths = [make() for _ in range(args.requests)]
                    started, cpu = time.perf_counter(), cpu_seconds(reader.pid)
                    lat = run_load(base, paths, clients, headers)
                    elapsed = time.perf_counter() - started
                    cpus.append((cpu_seconds(reader.pid) - cpu) * 1000 / len(lat))
                    p50s.append(pct(lat, 0.50))
                    p99s.append(pct(lat, 0.99))
                    rates.append(len(lat) / elapsed)
                print(f"{name:50} {statistics.median(p50s):8.1f} {statistics.median(p99s):8.1f} "
                      f"{statistics.median(rates):8.0f} {statistics.median(cpus):8.2f}  "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        reader.terminate()
        reader.wait(timeout=15)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
