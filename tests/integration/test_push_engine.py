"""The push engine and runner against a fake PushPort: ledger, error handling, claiming, misfires, resend."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bulletin.render import Rendered
from jobs.ports import ChatGone, ChatMigrated, PermanentError, RetryAfter, SendError, TransientError
from jobs.push import LEDGER_LANGS, PublishError, PushEngine, PushSettings, publish, resend_failed, unpublish
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.push_models import DeliveryState, PushState
from storage.push_repo import LedgerRepository, Outcome, PushRepository
from storage.subscribers import SubscriberRepository

NOW = dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 in Shanghai

FAST = PushSettings(rate_per_second=1000, private_interval=0.0, group_interval=0.0, backoff_base=0.001,
                    progress_interval=0.05, poll_interval=0.05)


@dataclass
class FakePort:
    """Records what each chat received; scripted errors per chat are raised in order before succeeding."""

    errors: dict[int, list[SendError]] = field(default_factory=dict)
    received: dict[int, list[str]] = field(default_factory=dict)
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    next_id: int = 100

    async def send(self, chat_id: int, rendered: Rendered, *, protect: bool = False, paid: bool = False) -> int:
        await asyncio.sleep(0)
        script = self.errors.get(chat_id)
        if script:
            raise script.pop(0)
        self.received.setdefault(chat_id, []).append(rendered.text)
        self.next_id += 1
        return self.next_id

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        self.edits.append((chat_id, message_id, rendered.text))


def seed(factory: sessionmaker[Session], chats: list[int], *, lang: str | None = "zh-hans") -> int:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(3))
        subs = SubscriberRepository(s)
        for chat in chats:
            subs.subscribe(chat, chat_type="private" if chat > 0 else "group", user_id=chat if chat > 0 else None,
                           display_name=f"chat {chat}", language_code=lang, department="办公室")
        return stored.id


def scheduled(factory: sessionmaker[Session], issue_id: int, at: dt.datetime = NOW) -> int:
    with transaction(factory) as s:
        return publish(UnitOfWork(s), issue_id, at, at - dt.timedelta(hours=1)).push.id


def ledger(factory: sessionmaker[Session], push_id: int) -> dict[int, tuple[str, str | None]]:
    with transaction(factory) as s:
        return {d.chat_id: (d.state, d.reason) for d in LedgerRepository(s).rows(push_id)}


async def run_due(factory: sessionmaker[Session], port: FakePort, settings: PushSettings = FAST,
                  now: dt.datetime = NOW) -> PushRunner:
    runner = PushRunner(factory, port, settings, worker="test", clock=lambda: now)
    await runner.tick()
    return runner


async def test_every_subscriber_gets_the_contents_once(factory: sessionmaker[Session]) -> None:
    chats = [101, 102, 103, -2001]
    issue_id = seed(factory, chats)
    push_id = scheduled(factory, issue_id)
    port = FakePort()
    await run_due(factory, port)
    assert {c: len(m) for c, m in port.received.items()} == dict.fromkeys(chats, 1)
    assert "要目" in port.received[101][0]
    assert {state for state, _ in ledger(factory, push_id).values()} == {"sent"}
    with transaction(factory) as s:
        assert PushRepository(s).get(push_id).state == "done"  # type: ignore[union-attr]


async def test_english_subscribers_get_the_english_message(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [7], lang="en")
    scheduled(factory, issue_id)
    port = FakePort()
    await run_due(factory, port)
    assert "Contents" in port.received[7][0] and "要目" not in port.received[7][0]


async def test_errors_are_handled_per_kind(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [1, 2, 3, 4, -5, 6])
    push_id = scheduled(factory, issue_id)
    port = FakePort(errors={
        1: [RetryAfter(0.01), RetryAfter(0.01)],
        2: [TransientError("Bad Gateway")],
        3: [ChatGone("Forbidden: bot was blocked by the user")],
        4: [TransientError("Bad Gateway")] * 10,
        -5: [ChatMigrated(-1005)],
        6: [PermanentError("Bad Request: message is too long")],
    })
    runner = await run_due(factory, port)
    rows = ledger(factory, push_id)
    assert rows[1][0] == "sent" and rows[2][0] == "sent"
    assert rows[3] == ("skipped", "Forbidden: bot was blocked by the user")
    assert rows[4][0] == "failed" and "Bad Gateway" in (rows[4][1] or "")
    assert rows[-1005][0] == "sent" and -5 not in rows
    assert rows[6] == ("failed", "Bad Request: message is too long")
    assert set(port.received) == {1, 2, -1005}
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        assert subs.get(3).active is False  # type: ignore[union-attr]
        assert subs.get(-1005) is not None and subs.get(-1005).active  # type: ignore[union-attr]
        assert subs.get(4).active  # type: ignore[union-attr]
    assert runner.reports[0].retry_after_seen == 2


async def test_admins_get_progress_and_a_summary_naming_failed_chats(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [11, 12])
    scheduled(factory, issue_id)
    port = FakePort(errors={12: [PermanentError("Bad Request: chat write forbidden")]})
    await run_due(factory, port, PushSettings(**{**FAST.__dict__, "admins": (900,)}))
    texts = port.received[900]
    assert "正在推送" in texts[0]
    assert "推送完成" in texts[-1] and "chat 12" in texts[-1] and "chat write forbidden" in texts[-1]
    assert "resend" in texts[-1]


async def test_subscribers_after_the_push_are_not_pushed_and_resend_targets_failed_chats(
    factory: sessionmaker[Session],
) -> None:
    issue_id = seed(factory, [21, 22])
    first = scheduled(factory, issue_id)
    port = FakePort(errors={22: [TransientError("timed out")] * 10})
    await run_due(factory, port)
    with transaction(factory) as s:
        SubscriberRepository(s).subscribe(23, chat_type="private", user_id=23, display_name="late",
                                          language_code=None, department="x")
        push, n = resend_failed(UnitOfWork(s), issue_id, NOW)
    assert n == 1
    port.errors.clear()
    await run_due(factory, port)
    assert set(port.received) == {21, 22}
    assert ledger(factory, push.id) == {22: ("sent", None)}
    assert ledger(factory, first)[22][0] == "failed"
    with transaction(factory) as s, pytest.raises(PublishError, match="nothing to resend"):
        resend_failed(UnitOfWork(s), issue_id, NOW)


async def test_a_push_is_claimed_once(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [31])
    push_id = scheduled(factory, issue_id)
    with transaction(factory) as s:
        assert PushRepository(s).claim(push_id, "a", NOW)
    with transaction(factory) as s:
        assert not PushRepository(s).claim(push_id, "b", NOW)


async def test_publish_twice_reschedules_and_done_issue_cannot_be_republished(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [41])
    first = scheduled(factory, issue_id, NOW + dt.timedelta(days=1))
    later = NOW + dt.timedelta(days=2)
    with transaction(factory) as s:
        result = publish(UnitOfWork(s), issue_id, later, NOW)
    assert result.rescheduled and result.push.id == first and result.push.scheduled_at == later
    with transaction(factory) as s:
        publish(UnitOfWork(s), issue_id, NOW, NOW)
    await run_due(factory, FakePort())
    with transaction(factory) as s, pytest.raises(PublishError, match="already pushed"):
        publish(UnitOfWork(s), issue_id, NOW, NOW)


async def test_unpublish_cancels_only_a_push_not_started(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [51])
    push_id = scheduled(factory, issue_id, NOW + dt.timedelta(hours=1))
    with transaction(factory) as s:
        assert unpublish(UnitOfWork(s), issue_id, NOW).state == "cancelled"
    port = FakePort()
    await run_due(factory, port, now=NOW + dt.timedelta(hours=2))
    assert port.received == {}
    with transaction(factory) as s:
        assert PushRepository(s).get(push_id).state == "cancelled"  # type: ignore[union-attr]
        with pytest.raises(PublishError, match="no scheduled push"):
            unpublish(UnitOfWork(s), issue_id, NOW)


async def test_misfire_within_grace_runs_late_and_older_is_reported_not_sent(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [61])
    push_id = scheduled(factory, issue_id)
    settings = PushSettings(**{**FAST.__dict__, "admins": (900,)})
    port = FakePort()
    # The bot was down for 13 hours: beyond the 12 h grace.
    await run_due(factory, port, settings, now=NOW + dt.timedelta(hours=13))
    assert 61 not in port.received
    assert "推送已错过" in port.received[900][0] and "publish" in port.received[900][0]
    with transaction(factory) as s:
        assert PushRepository(s).get(push_id).state == "missed"  # type: ignore[union-attr]

    with transaction(factory) as s:
        issue2, _ = IssueRepository(s).add(make_issue(4))
        late_id = publish(UnitOfWork(s), issue2.id, NOW, NOW).push.id
    await run_due(factory, port, settings, now=NOW + dt.timedelta(hours=11))
    assert len(port.received[61]) == 1
    with transaction(factory) as s:
        assert PushRepository(s).get(late_id).state == "done"  # type: ignore[union-attr]


async def test_future_push_waits(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, [71])
    scheduled(factory, issue_id, NOW + dt.timedelta(minutes=5))
    port = FakePort()
    await run_due(factory, port)
    assert port.received == {}
    await run_due(factory, port, now=NOW + dt.timedelta(minutes=5))
    assert port.received.keys() == {71}


async def test_restart_resends_only_rows_in_flight(factory: sessionmaker[Session]) -> None:
    issue_id = seed(factory, list(range(1, 11)))
    push_id = scheduled(factory, issue_id)
    # Simulate a crash: the push was claimed, its ledger written, rows 1-3 sent, rows 4-5 marked sending.
    with transaction(factory) as s:
        PushRepository(s).claim(push_id, "dead:1", NOW)
    engine = PushEngine(factory, FakePort(), FAST, worker="dead:1", clock=lambda: NOW)
    await engine._db(engine._materialize, push_id)
    with transaction(factory) as s:
        ledger_repo = LedgerRepository(s)
        rows = ledger_repo.rows(push_id)
        from storage.push_models import DeliveryState
        from storage.push_repo import Outcome
        ledger_repo.mark_sending([r.id for r in rows[:5]], NOW)
        ledger_repo.record([Outcome(r.id, DeliveryState.SENT, 1, message_id=1, sent_at=NOW) for r in rows[:3]], NOW)
    port = FakePort()
    runner = await run_due(factory, port)
    assert sorted(port.received) == list(range(4, 11))
    assert runner.reports[0].resent_after_crash == 2
    with transaction(factory) as s:
        push = PushRepository(s).get(push_id)
        assert push is not None and push.state == PushState.DONE.value and push.claimed_by == "test"


@dataclass
class LedgerWatchingPort(FakePort):
    """A FakePort that notes how many ledger rows the push had when its first message went out."""

    factory: sessionmaker[Session] | None = None
    push_id: int = 0
    ledger_at_first_send: int | None = None

    async def send(self, chat_id: int, rendered: Rendered, *, protect: bool = False, paid: bool = False) -> int:
        if self.ledger_at_first_send is None and self.factory is not None:
            self.ledger_at_first_send = len(ledger(self.factory, self.push_id))
        return await super().send(chat_id, rendered, protect=protect, paid=paid)


async def test_sending_starts_after_the_first_batch_of_the_ledger_and_reaches_everyone_once(
    factory: sessionmaker[Session],
) -> None:
    # A million subscribers took 43 s to write as one INSERT before the first message: the ledger is written in
    # batches while the push sends, and nobody is missed or reached twice at the seams between batches.
    # One chat a batch: 199 more transactions to write after the first, against the two (page, 'sending') before
    # the first message.
    chats = list(range(1, 201))
    push_id = scheduled(factory, seed(factory, chats))
    port = LedgerWatchingPort(factory=factory, push_id=push_id)
    await run_due(factory, port, PushSettings(**{**FAST.__dict__, "ledger_batch": 1}))
    assert port.ledger_at_first_send is not None and port.ledger_at_first_send < len(chats)
    assert {c: len(m) for c, m in port.received.items()} == dict.fromkeys(chats, 1)
    assert {state for state, _ in ledger(factory, push_id).values()} == {"sent"}
    with transaction(factory) as s:
        assert PushRepository(s).get(push_id).state == "done"  # type: ignore[union-attr]


async def test_a_crash_while_the_ledger_is_written_resumes_it_where_it_stopped(
    factory: sessionmaker[Session],
) -> None:
    chats = list(range(1, 36))
    push_id = scheduled(factory, seed(factory, chats))
    # The dead run committed two batches of ten and sent the first five chats.
    with transaction(factory) as s:
        PushRepository(s).claim(push_id, "dead:1", NOW)
    with transaction(factory) as s:
        ledger_repo = LedgerRepository(s)
        for _ in range(2):
            assert ledger_repo.write_ledger_batch(push_id, LEDGER_LANGS, NOW, limit=10) is not None
        first = ledger_repo.rows(push_id)[:5]
        ledger_repo.record([Outcome(r.id, DeliveryState.SENT, 1, message_id=1, sent_at=NOW) for r in first], NOW)
    assert len(ledger(factory, push_id)) == 20
    port = FakePort()
    await run_due(factory, port, PushSettings(**{**FAST.__dict__, "ledger_batch": 10}))
    assert sorted(port.received) == chats[5:]
    assert {c: len(m) for c, m in port.received.items()} == dict.fromkeys(chats[5:], 1)
    assert sorted(ledger(factory, push_id)) == chats  # every chat once in the ledger


async def test_the_admins_progress_counts_the_whole_audience_while_the_ledger_is_still_being_written(
    factory: sessionmaker[Session],
) -> None:
    # The ledger is written a batch at a time while the push sends: the progress the office reads says from the
    # first message how many chats the push goes to, instead of a total that grows batch by batch.
    chats = list(range(1, 41))
    scheduled(factory, seed(factory, chats))
    port = FakePort()
    await run_due(factory, port, PushSettings(**{**FAST.__dict__, "ledger_batch": 5, "admins": (900,)}))
    progress = [port.received[900][0]] + [text for chat, _, text in port.edits if chat == 900]
    totals = {int(m) for text in progress for m in re.findall(r"进度：\d+/(\d+)", text)}
    assert totals == {len(chats)}
    assert "推送完成" in port.received[900][-1]
