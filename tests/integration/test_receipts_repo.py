"""Receipts storage and aggregation: the ledger view, reminders due, per-department counts, the CSV, the chart."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from config import PushConfig
from jobs.stats import DepartmentStats, IssueAcks, ack_chart, department_stats, ledger_csv, totals
from storage.archive import IssueRepository
from storage.db import transaction
from storage.push_models import DeliveryState, PushKind
from storage.push_repo import LedgerRepository, LedgerTarget, Outcome, PushRepository
from storage.receipts_models import ReminderState
from storage.receipts_repo import ReceiptRepository, ReminderRepository
from storage.subscribers import SubscriberRepository

T0 = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def setup(s: Session, chats: dict[int, str]) -> int:
    """Subscribers CHATS (chat id -> department) and one stored issue; returns its id."""
    subs = SubscriberRepository(s)
    for chat_id, department in chats.items():
        subs.subscribe(chat_id, chat_type="private", user_id=chat_id, display_name=f"用户{chat_id}",
                       language_code="zh-hans", department=department)
    stored, _ = IssueRepository(s).add(make_issue(3, total=103))
    return stored.id


def deliver(s: Session, issue_id: int, outcomes: dict[int, DeliveryState], at: dt.datetime,
            kind: PushKind = PushKind.PUBLISH) -> int:
    """A push of ISSUE_ID whose ledger ended with OUTCOMES (chat id -> state) at AT; returns the push id."""
    push = PushRepository(s).create(issue_id, at, now=at, kind=kind)
    ledger = LedgerRepository(s)
    ledger.materialize(push.id, [LedgerTarget(c, "private", "zh") for c in outcomes], at)
    rows = {r.chat_id: r.id for r in ledger.rows(push.id)}
    ledger.record(
        [
            Outcome(rows[c], state, 1, message_id=100 + c if state == DeliveryState.SENT else None,
                    sent_at=at if state == DeliveryState.SENT else None,
                    reason=None if state == DeliveryState.SENT else "Forbidden: bot was blocked by the user")
            for c, state in outcomes.items()
        ],
        at,
    )
    return push.id


def test_a_resend_supersedes_the_failure_and_receipts_join_the_ledger(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        issue_id = setup(s, {1: "办公室", 2: "办公室", 3: "综合科"})
        deliver(s, issue_id, {1: DeliveryState.SENT, 2: DeliveryState.FAILED, 3: DeliveryState.SKIPPED}, T0)
        deliver(s, issue_id, {2: DeliveryState.SENT}, T0 + dt.timedelta(hours=1), PushKind.RESEND)
        receipts = ReceiptRepository(s)
        assert receipts.acknowledge(issue_id, 1, 1, T0 + DAY)
        assert not receipts.acknowledge(issue_id, 1, 1, T0 + 2 * DAY)  # the same person again
        assert receipts.record_open(issue_id, 1, 2, T0 + DAY)
        assert receipts.record_open(issue_id, 1, 2, T0 + DAY)  # counted on the same row
        assert not receipts.record_open(issue_id, 999, 1, T0)  # not a subscriber: not recorded
        lines = {line.chat_id: line for line in receipts.ledger(issue_id)}
    assert lines[1].acked_at == T0 + DAY and lines[1].ack_users == 1 and lines[1].articles_opened == (2,)
    assert lines[2].delivery_state == "sent" and lines[2].acked_at is None
    assert lines[3].delivery_state == "skipped"
    rows = department_stats(list(lines.values()), ("综合科", "办公室", "财务科"))
    assert rows == [
        DepartmentStats("综合科", delivered=0, acknowledged=0, articles_opened=0, not_reached=1, pending=0),
        DepartmentStats("办公室", delivered=2, acknowledged=1, articles_opened=1, not_reached=0, pending=0),
        DepartmentStats("财务科", delivered=0, acknowledged=0, articles_opened=0, not_reached=0, pending=0),
    ]
    assert totals(rows) == DepartmentStats(None, 2, 1, 1, 1, 0)


def test_reminders_are_due_once_only_for_unacknowledged_subscribers_in_the_window(
    factory: sessionmaker[Session],
) -> None:
    after, max_age = DAY, 7 * DAY
    with transaction(factory) as s:
        issue_id = setup(s, {1: "办公室", 2: "办公室", 3: "综合科", 4: "综合科"})
        deliver(s, issue_id, {1: DeliveryState.SENT, 2: DeliveryState.SENT, 3: DeliveryState.SENT,
                              4: DeliveryState.FAILED}, T0)
        ReceiptRepository(s).acknowledge(issue_id, 1, 1, T0 + dt.timedelta(hours=2))
        SubscriberRepository(s).unsubscribe(3)
    with transaction(factory) as s:
        reminders = ReminderRepository(s)
        assert reminders.due(T0 + dt.timedelta(hours=23), after, max_age) == []  # too early
        assert [t.chat_id for t in reminders.due(T0 + DAY, after, max_age)] == [2]
        assert reminders.due(T0 + 8 * DAY, after, max_age) == []  # too old: a long outage stays quiet
        assert reminders.claim(issue_id, 2, T0 + DAY)
        assert not reminders.claim(issue_id, 2, T0 + DAY)
        assert reminders.due(T0 + 2 * DAY, after, max_age) == []  # claimed: never again, whatever the outcome
        reminders.finish(issue_id, 2, ReminderState.SENT, T0 + DAY, message_id=7)
        assert reminders.states(issue_id) == {2: "sent"}
        [line2] = [line for line in ReceiptRepository(s).ledger(issue_id) if line.chat_id == 2]
        assert line2.reminded_at == T0 + DAY


def test_coverage_counts_active_subscribers_only(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        setup(s, {1: "办公室", 2: "综合科"})
        SubscriberRepository(s).unsubscribe(2)
        receipts = ReceiptRepository(s)
        assert receipts.departments_without_subscribers(("办公室", "综合科", "财务科")) == ["综合科", "财务科"]
        assert receipts.active_per_department() == {"办公室": 1}


def test_csv_neutralises_formulas_in_names(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        issue_id = setup(s, {1: "=HYPERLINK(\"http://x\")"})
        SubscriberRepository(s).subscribe(1, chat_type="private", user_id=1, display_name="+cmd|calc",
                                          language_code=None, department="=HYPERLINK(\"http://x\")")
        deliver(s, issue_id, {1: DeliveryState.SENT}, T0)
        lines = ReceiptRepository(s).ledger(issue_id)
    [row] = list(csv.DictReader(io.StringIO(ledger_csv(lines).decode("utf-8-sig"))))
    assert row["name"] == "'+cmd|calc" and row["department"] == "'=HYPERLINK(\"http://x\")"
    assert row["delivery"] == "sent" and row["sent_at_utc"] == "2024-03-01T01:00:00+00:00"


def test_chart_is_a_png_and_names_departments_it_cannot_draw() -> None:
    rows = [DepartmentStats("办公室", 4, 3, 0, 0, 0), DepartmentStats(None, 1, 0, 0, 0, 0),
            DepartmentStats("财务科", 0, 0, 0, 0, 0)]
    chart = ack_chart([IssueAcks("2024-3", rows)], no_department="（未填部门）", title="已阅率", ylabel="%",
                      ascii_title="Read rate", ascii_ylabel="%")
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    # departments nobody received the issue in have no bar; the legend exists only without a Chinese font
    assert [name for _, name in chart.legend] in ([], ["办公室", "（未填部门）"])
    ascii_only = ack_chart([IssueAcks("2024-3", [DepartmentStats("Office", 2, 1, 0, 0, 0)])], no_department="-",
                           title="t", ylabel="y", ascii_title="t", ascii_ylabel="y")
    assert ascii_only.legend == ()


@pytest.mark.parametrize("department", ["$\\frac{$", "$x^$"])
def test_chart_draws_dollar_signs_in_departments_as_text(department: str) -> None:
    """Issue 9 §5: a department typed as "$\\frac{$" is drawn as it is, not parsed as math (which raised)."""
    chart = ack_chart([IssueAcks("2024-3", [DepartmentStats(department, 2, 1, 0, 0, 0)])], no_department="-",
                      title=department, ylabel="%", ascii_title=department, ascii_ylabel="%")
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n") and chart.legend == ()


def test_remind_after_zero_turns_reminders_off() -> None:
    assert PushConfig(remind_after=dt.timedelta(hours=24)).remind_after_delta == DAY
    assert PushConfig(remind_after=dt.timedelta(0)).remind_after_delta is None
