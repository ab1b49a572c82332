"""Crash safety and leadership with real processes: `bulletin-bot push-worker` killed with SIGKILL mid-push, and
started before the Bot API can be reached.

The bound under test (README): after a crash, only deliveries that were in flight ('sending' in the ledger at the
moment of the kill) can reach a chat twice; no chat is missed.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.api import bot_api, free_port
from support.db import needs_pg, pg_schema_url
from support.issues import make_issue

from jobs.leader import Leadership, LeadershipError
from jobs.push import publish, utcnow
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.archive import IssueRepository
from storage.db import create_db_engine, open_database, transaction
from storage.push_models import DeliveryState
from storage.push_repo import LedgerRepository, PushRepository
from storage.subscribers import SubscriberRepository

TOKEN = "654321:crash-test"
ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(overall_per_second=1000, private_per_second=100, group_per_minute=1000, paid_per_second=5000)


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with bot_api(TOKEN, limits=LIMITS) as api:
        yield api


def write_config(path: Path, server: LocalBotApi, db_url: str, rate: float) -> Path:
    path.write_text(
        "\n".join([
            "[telegram]",
            f'token = "{TOKEN}"',
            f'api_base_url = "{server.api_base_url()}"',
            "[database]",
            f'url = "{db_url}"',
            "[push]",
            f"rate_per_second = {rate}",
            "[logging]",
            'level = "WARNING"',
        ]),
        encoding="utf-8",
    )
    return path


def seed(factory: sessionmaker[Session], server: LocalBotApi, n_users: int, n_groups: int) -> tuple[int, list[int]]:
    chats = list(range(10_001, 10_001 + n_users)) + [-(20_001 + i) for i in range(n_groups)]
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        for chat in chats:
            if chat > 0:
                server.add_user(chat, f"u{chat}")
            else:
                server.add_group(chat, f"g{chat}")
            subs.subscribe(chat, chat_type="private" if chat > 0 else "group", user_id=chat if chat > 0 else None,
                           display_name=str(chat), language_code="zh", department="d")
        stored, _ = IssueRepository(s).add(make_issue(2))
        now = utcnow()
        push_id = publish(UnitOfWork(s), stored.id, now, now).push.id
    return push_id, chats


def worker(config: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "push-worker", "--exit-when-idle", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def delivered(server: LocalBotApi, chats: list[int]) -> int:
    return sum(len(server.messages(c)) for c in chats)


def in_flight(factory: sessionmaker[Session], push_id: int) -> set[int]:
    with transaction(factory) as s:
        return {d.chat_id for d in LedgerRepository(s).rows(push_id, DeliveryState.SENDING)}


def check_bound(server: LocalBotApi, factory: sessionmaker[Session], push_id: int, chats: list[int],
                flights: list[set[int]]) -> None:
    counts = {c: len(server.messages(c)) for c in chats}
    assert min(counts.values()) >= 1, "a chat was missed"
    for chat, n in counts.items():
        if n > 1:
            times_in_flight = sum(chat in f for f in flights)
            assert n <= 1 + times_in_flight, f"chat {chat} got {n} messages but was in flight {times_in_flight}x"
    with transaction(factory) as s:
        assert LedgerRepository(s).counts(push_id)["sent"] == len(chats)
        push = PushRepository(s).get(push_id)
        assert push is not None and push.state == "done"


def test_sigkill_at_random_points_then_restart_misses_nobody_and_duplicates_only_in_flight(
    tmp_path: Path, server: LocalBotApi, random_seed: int
) -> None:
    """The kill points come from random_seed (printed on failure; BULLETIN_BOT_TEST_SEED replays it)."""
    db_url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    engine, factory = open_database(db_url)
    push_id, chats = seed(factory, server, 190, 10)
    config = write_config(tmp_path / "bot.toml", server, db_url, rate=60)
    rng = random.Random(random_seed)
    flights: list[set[int]] = []
    kills = 0
    for _ in range(3):
        before = delivered(server, chats)
        target = before + rng.randint(5, 45)
        proc = worker(config)
        while proc.poll() is None and delivered(server, chats) < target:
            time.sleep(0.01)
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        flights.append(in_flight(factory, push_id))
    final = worker(config)
    _out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert kills >= 1, "the push finished before any kill"
    check_bound(server, factory, push_id, chats, flights)
    engine.dispose()


def test_second_process_on_sqlite_refuses_to_start(tmp_path: Path, server: LocalBotApi) -> None:
    db_url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    engine, _factory = open_database(db_url)
    config = write_config(tmp_path / "bot.toml", server, db_url, rate=30)
    holder = Leadership(engine)
    asyncio.run(holder.acquire(wait=False))
    try:
        second = worker(config)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "another bulletin-bot process is already running" in err.decode()
        assert "one.sqlite3" in err.decode()
        with pytest.raises(LeadershipError, match="only one process may use a SQLite database"):
            asyncio.run(Leadership(create_db_engine(db_url)).acquire(wait=False))
    finally:
        holder.release()
        engine.dispose()


@needs_pg
def test_two_processes_on_postgresql_leader_killed_mid_push_follower_finishes(
    tmp_path: Path, server: LocalBotApi
) -> None:
    with pg_schema_url() as db_url:
        engine, factory = open_database(db_url)
        push_id, chats = seed(factory, server, 140, 10)
        config = write_config(tmp_path / "bot.toml", server, db_url, rate=50)
        leader = worker(config)
        assert server.wait_for(lambda: delivered(server, chats) >= 30, timeout=30), leader.stderr
        follower = worker(config)
        time.sleep(1.0)  # the follower is up and standing by
        assert follower.poll() is None
        sent_before_kill = delivered(server, chats)
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        flights = [in_flight(factory, push_id)]
        # The follower takes over within 30 s and finishes from the ledger.
        assert server.wait_for(lambda: delivered(server, chats) > sent_before_kill + len(flights[0]), timeout=30)
        try:
            _out, err = follower.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            follower.kill()
            _out, err = follower.communicate()
            pytest.fail("the follower did not finish: " + err.decode()[-3000:])
        assert follower.returncode == 0, err.decode()
        check_bound(server, factory, push_id, chats, flights)
        with transaction(factory) as s:
            push = PushRepository(s).get(push_id)
        assert push is not None and push.claimed_by is not None
        assert push.claimed_by.endswith(f":{follower.pid}")
        engine.dispose()


def test_a_worker_started_before_the_bot_api_is_reachable_waits_then_delivers(tmp_path: Path) -> None:
    """A machine that boots before its network: the worker says so in one line and retries, instead of exiting."""
    server = LocalBotApi(port=free_port(), limits=LIMITS)  # its address is known; nothing listens there yet
    server.add_bot(TOKEN)
    db_url = f"sqlite:///{tmp_path / 'early.sqlite3'}"
    engine, factory = open_database(db_url)
    push_id, chats = seed(factory, server, 5, 1)
    proc = worker(write_config(tmp_path / "bot.toml", server, db_url, rate=30))
    try:
        time.sleep(4)  # connection refused at 0 s, 1 s, 3 s
        assert proc.poll() is None, proc.communicate()[1].decode()
        with server:
            _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = err.decode().splitlines()
    assert proc.returncode == 0, lines
    (waiting,) = [line for line in lines if "cannot reach the Bot API" in line]  # one line, not one per retry
    assert waiting.startswith(f"bulletin-bot push-worker: cannot reach the Bot API at {server.api_base_url()} "
                              "(ConnectError: ") and waiting.endswith("retrying, at most every 60 s"), waiting
    assert f"bulletin-bot push-worker: reached the Bot API at {server.api_base_url()} again" in lines
    assert "Traceback" not in err.decode()
    check_bound(server, factory, push_id, chats, [])  # every chat got the push once
    engine.dispose()


def test_a_worker_with_a_wrong_token_exits_2_with_one_line(tmp_path: Path, server: LocalBotApi) -> None:
    db_url = f"sqlite:///{tmp_path / 'token.sqlite3'}"
    config = write_config(tmp_path / "bot.toml", server, db_url, rate=30)
    config.write_text(config.read_text(encoding="utf-8").replace(TOKEN, "123:unknown"), encoding="utf-8")
    config.chmod(0o600)  # no warning about a readable token file
    proc = worker(config)
    _out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err.decode().splitlines()) == (2, [
        "bulletin-bot: config error: telegram.token: the Bot API rejected this token (Unauthorized); get the right "
        "one from @BotFather"
    ])
