"""Pushes end to end over real HTTP: the local Bot API server (limits and faults on) through bot/common/outbox.py."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.api import bot_api
from support.issues import make_issue

from bot.common.outbox import TelegramCorrector, TelegramSender, make_push_bot
from bulletin.render import Rendered
from jobs.ports import ChatGone
from jobs.push import PushSettings, publish, utcnow
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.archive import IssueRepository
from storage.db import transaction
from storage.push_repo import LedgerRepository, PushRepository
from storage.subscribers import SubscriberRepository

TOKEN = "123456:push-test"
RAISED = Limits(overall_per_second=2000, paid_per_second=5000, group_per_minute=1000, private_per_second=100)


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with bot_api(TOKEN, limits=RAISED) as api:
        yield api


def subscribe_all(factory: sessionmaker[Session], server: LocalBotApi, users: list[int], groups: list[int]) -> int:
    """Users and groups exist on the server and are subscribed; an issue is stored. Returns its id."""
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        for uid in users:
            server.add_user(uid, f"用户{uid}")
            subs.subscribe(uid, chat_type="private", user_id=uid, display_name=f"用户{uid}",
                           language_code="zh-hans", department="办公室")
        for gid in groups:
            server.add_group(gid, f"群{gid}")
            subs.subscribe(gid, chat_type="group", user_id=None, display_name=f"群{-gid}",
                           language_code=None, department="综合科")
        stored, _ = IssueRepository(s).add(make_issue(7))
        return stored.id


def publish_now(factory: sessionmaker[Session], issue_id: int) -> int:
    now = utcnow()
    with transaction(factory) as s:
        return publish(UnitOfWork(s), issue_id, now, now).push.id


async def push(factory: sessionmaker[Session], server: LocalBotApi, settings: PushSettings,
               *, read_timeout: float = 5.0) -> PushRunner:
    """Run every due push to completion through PTB against SERVER."""
    bot = make_push_bot(TOKEN, server.api_base_url(), read_timeout=read_timeout, connect_timeout=2.0)
    async with bot:
        runner = PushRunner(factory, TelegramSender(bot), settings, worker="test")
        await runner.tick()
    return runner


def per_chat(server: LocalBotApi, chats: list[int]) -> dict[int, int]:
    return {c: len(server.messages(c)) for c in chats}


def status_count(server: LocalBotApi, status: int) -> int:
    return sum(n for (method, code), n in server.method_counts().items() if code == status)


FAST = PushSettings(rate_per_second=1000, private_interval=0.0, group_interval=0.0, backoff_base=0.05,
                    progress_interval=0.2)


async def test_normal_push_at_telegram_limits_never_causes_a_429(factory: sessionmaker[Session]) -> None:
    users, groups = list(range(1001, 1046)), [-501, -502, -503, -504, -505]
    with LocalBotApi(limits=Limits()) as server:  # Telegram's limits: 30/s overall, 20/min per group, 1/s per chat
        server.add_bot(TOKEN)
        issue_id = subscribe_all(factory, server, users, groups)
        push_id = publish_now(factory, issue_id)
        await push(factory, server, PushSettings(admins=(1001,), progress_interval=0.5))
        assert status_count(server, 429) == 0
        counts = per_chat(server, users + groups)
        # the admin is also a subscriber: contents + progress message + summary
        assert counts == {c: 3 if c == 1001 else 1 for c in users + groups}
        first = server.messages(1002)[0]
        assert "要目" in (first.text or "") and "景区安全检查" in (first.text or "")
        assert first.reply_markup is not None
    with transaction(factory) as s:
        assert LedgerRepository(s).counts(push_id)["sent"] == 50
        assert PushRepository(s).get(push_id).state == "done"  # type: ignore[union-attr]


async def test_forced_429s_are_waited_out_and_nothing_is_lost(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    users = list(range(2001, 2041))
    issue_id = subscribe_all(factory, server, users, [])
    push_id = publish_now(factory, issue_id)
    server.inject_faults(rate=0.2, kinds=("429",), methods={"sendMessage"}, seed=4, count=3, retry_after=1)
    runner = await push(factory, server, FAST)
    assert status_count(server, 429) == 3
    assert runner.reports[0].retry_after_seen == 3
    assert per_chat(server, users) == dict.fromkeys(users, 1)
    with transaction(factory) as s:
        assert LedgerRepository(s).counts(push_id)["sent"] == 40


async def test_five_percent_502_hang_and_drop_deliver_exactly_once_but_for_lost_answers(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    users, groups = list(range(3001, 3181)), [-3001 - i for i in range(20)]
    issue_id = subscribe_all(factory, server, users, groups)
    push_id = publish_now(factory, issue_id)
    server.inject_faults(rate=0.05, kinds=("502", "hang", "drop"), methods={"sendMessage"}, seed=11,
                         hang_seconds=1.5)
    runner = await push(factory, server, FAST, read_timeout=0.7)
    faults = server.faults()
    assert {f["kind"] for f in faults} == {"502", "hang", "drop"}
    # The only duplicates allowed: a hang or drop after the server had delivered (the answer was lost).
    delivered_then_lost = collections.Counter(f["chat_id"] for f in faults if f["delivered"])
    counts = per_chat(server, users + groups)
    for chat, n in counts.items():
        assert n == 1 + delivered_then_lost[chat], chat
    with transaction(factory) as s:
        ledger = LedgerRepository(s)
        assert ledger.counts(push_id)["sent"] == 200
        noted = {d.chat_id for d in ledger.rows(push_id) if d.reason and "may have arrived" in d.reason}
    assert set(delivered_then_lost) <= noted
    assert runner.reports[0].transient_errors == len(faults)


async def test_blocked_user_is_deactivated_and_migrated_group_gets_it_at_its_new_id(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    issue_id = subscribe_all(factory, server, [4001, 4002, 4003], [-4001])
    server.block(4002)
    new_id = server.migrate_group(-4001)
    push_id = publish_now(factory, issue_id)
    await push(factory, server, dataclasses.replace(FAST, admins=(4001,)))
    assert len(server.messages(4002)) == 0
    assert len(server.messages(-4001)) == 0
    assert len(server.messages(new_id)) == 1 and "要目" in (server.messages(new_id)[0].text or "")
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        blocked = subs.get(4002)
        assert blocked is not None and not blocked.active
        moved = subs.get(new_id)
        assert moved is not None and moved.active
        rows = {d.chat_id: d for d in LedgerRepository(s).rows(push_id)}
    assert rows[4002].state == "skipped" and "blocked" in (rows[4002].reason or "")
    assert rows[new_id].state == "sent" and rows[new_id].original_chat_id == -4001
    summary = server.messages(4001)[-1].text or ""
    assert "推送完成" in summary and "用户4002" in summary and "blocked" in summary
    progress = [m for m in server.messages(4001) if "正在推送" in (m.text or "")]
    assert len(progress) == 1  # one progress message, edited in place
    assert "已送达" in (progress[0].edits[-1] if progress[0].edits else progress[0].text or "")


async def test_a_push_requested_from_another_process_is_picked_up_by_the_running_runner(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    issue_id = subscribe_all(factory, server, [5001], [])
    bot = make_push_bot(TOKEN, server.api_base_url())
    async with bot:
        runner = PushRunner(factory, TelegramSender(bot), dataclasses.replace(FAST, poll_interval=3.0))
        await runner.start()
        try:
            await asyncio.sleep(0.2)
            # `bulletin-bot publish --now` in another process is just this write to the shared database.
            await asyncio.to_thread(publish_now, factory, issue_id)
            assert await server.await_for(lambda: len(server.messages(5001)) == 1, timeout=10.0)
        finally:
            await runner.stop()


async def test_paid_broadcast_sends_with_allow_paid_broadcast(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    users = list(range(6001, 6061))
    issue_id = subscribe_all(factory, server, users, [])
    server.set_limits(dataclasses.replace(RAISED, overall_per_second=5))  # only paid sends can go this fast
    publish_now(factory, issue_id)
    await push(factory, server, dataclasses.replace(FAST, paid_broadcast=True))
    assert status_count(server, 429) == 0
    assert per_chat(server, users) == dict.fromkeys(users, 1)


def test_scheduled_at_is_stored_in_utc(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(9))
        at = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        push = publish(UnitOfWork(s), stored.id, at, at)
    with transaction(factory) as s:
        again = PushRepository(s).get(push.push.id)
    assert again is not None and again.scheduled_at == dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.UTC)


async def test_groups_the_bot_cannot_write_to_are_gone_for_the_push_and_for_corrections(
    factory: sessionmaker[Session], server: LocalBotApi
) -> None:
    """Not a member, group deleted, no right to send, admin rights required: each goes through the one error mapper
    (bot/common/errors.py) as a gone chat, so the push skips and unsubscribes it instead of counting a failure."""
    states = {-7001: "left", -7002: "deleted", -7003: "no_send", -7004: "not_admin", -7005: None}
    issue_id = subscribe_all(factory, server, [], list(states))
    server.add_group(-7004, "简报频道", type="channel")  # "not_admin" is a channel's state
    for chat_id, state in states.items():
        server.set_chat_state(chat_id, state)
    push_id = publish_now(factory, issue_id)
    await push(factory, server, FAST)
    with transaction(factory) as s:
        rows = {d.chat_id: (d.state, d.reason) for d in LedgerRepository(s).rows(push_id)}
        active = {c: SubscriberRepository(s).get(c).active for c in states}  # type: ignore[union-attr]
    assert rows == {
        -7001: ("skipped", "Forbidden: bot is not a member of the group chat"),
        -7002: ("skipped", "Forbidden: the group chat was deleted"),
        -7003: ("skipped", "Not enough rights to send text messages to the chat"),
        -7004: ("skipped", "Need administrator rights in the channel chat"),
        -7005: ("sent", None),
    }
    assert active == {-7001: False, -7002: False, -7003: False, -7004: False, -7005: True}

    # the corrections' adapter maps the same answers the same way
    [message] = server.messages(-7005)
    server.set_chat_state(-7005, "left")
    bot = make_push_bot(TOKEN, server.api_base_url(), connect_timeout=2.0)
    async with bot:
        corrector = TelegramCorrector(bot)
        with pytest.raises(ChatGone, match="bot is not a member of the group chat"):
            await corrector.delete(-7005, message.message_id)
        server.set_chat_state(-7005, "no_send")
        with pytest.raises(ChatGone, match="Not enough rights"):
            await corrector.reply(-7005, message.message_id, Rendered("更正"), protect=False)
