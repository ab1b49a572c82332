"""The ledger of a publication push, written in the database (INSERT ... SELECT over the audience), on both stores:
every active subscriber exactly once, in their language, nobody dropped, and written once per push."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bulletin.i18n import lang_of
from jobs.push import LEDGER_LANGS, publish
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.models import SubscriberRow
from storage.push_models import Delivery
from storage.push_repo import LedgerRepository, chat_lang

NOW = dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.UTC)
CODES = [None, "", "en", "EN", "en-US", "En-gb", " en", "eng", "e", "n", "zh-hans", "zh", "fr", "ru", "enx", "ZH-EN"]


def push_of_new_issue(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(5))
        return publish(UnitOfWork(s), stored.id, NOW, NOW).push.id


def add_subscribers(factory: sessionmaker[Session], count: int) -> dict[int, tuple[str, str, bool]]:
    """COUNT subscribers (every 7th a group, every 5th inactive, language codes from CODES); chat -> (type, lang
    the push must use, active)."""
    expected: dict[int, tuple[str, str, bool]] = {}
    rows = []
    for i in range(count):
        chat_id = -(10_000 + i) if i % 7 == 0 else 10_000 + i
        code = CODES[i % len(CODES)]
        active = i % 5 != 4
        chat_type = "group" if chat_id < 0 else "private"
        expected[chat_id] = (chat_type, lang_of(code), active)
        rows.append({
            "chat_id": chat_id, "chat_type": chat_type, "user_id": None, "display_name": f"c{i}",
            "language_code": code, "department": "办公室", "active": active, "subscribed_at": NOW,
            "updated_at": NOW,
        })
    with transaction(factory) as s:
        s.execute(insert(SubscriberRow), rows)
    return expected


def test_the_sql_language_rule_is_lang_of(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        in_sql = [s.scalar(select(chat_lang(literal(code, String), LEDGER_LANGS))) for code in CODES]
    assert in_sql == [lang_of(code) for code in CODES]


def test_the_ledger_has_every_active_subscriber_exactly_once_in_their_language(
    factory: sessionmaker[Session],
) -> None:
    expected = add_subscribers(factory, 13_000)  # a ledger over 10,000 rows is also ANALYZEd on PostgreSQL
    push_id = push_of_new_issue(factory)
    with transaction(factory) as s:
        written = LedgerRepository(s).materialize_from_subscribers(push_id, LEDGER_LANGS, NOW)
    active = {chat: (kind, lang) for chat, (kind, lang, is_active) in expected.items() if is_active}
    assert written == len(active) == 10_400
    with transaction(factory) as s:
        rows = LedgerRepository(s).rows(push_id)
    assert len(rows) == len({r.chat_id for r in rows})  # nobody twice
    assert {r.chat_id: (r.chat_type, r.lang) for r in rows} == active  # nobody missing, nobody extra
    assert {(r.state, r.attempts, r.original_chat_id == r.chat_id) for r in rows} == {("pending", 0, True)}


def test_the_ledger_is_written_once_per_push(factory: sessionmaker[Session]) -> None:
    add_subscribers(factory, 50)
    push_id = push_of_new_issue(factory)
    with transaction(factory) as s:
        assert LedgerRepository(s).materialize_from_subscribers(push_id, LEDGER_LANGS, NOW) == 40
    with transaction(factory) as s:
        s.execute(insert(SubscriberRow), [{
            "chat_id": 99, "chat_type": "private", "user_id": 99, "display_name": "late", "language_code": "zh",
            "department": "办公室", "active": True, "subscribed_at": NOW, "updated_at": NOW,
        }])
    with transaction(factory) as s:
        # a second run of the push (after a crash) does not write the ledger again, nor add who subscribed since
        assert LedgerRepository(s).materialize_from_subscribers(push_id, LEDGER_LANGS, NOW) is None
        count = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.push_id == push_id))
    assert count == 40


def test_no_subscribers_make_an_empty_ledger_that_counts_as_written(factory: sessionmaker[Session]) -> None:
    push_id = push_of_new_issue(factory)
    with transaction(factory) as s:
        assert LedgerRepository(s).materialize_from_subscribers(push_id, LEDGER_LANGS, NOW) == 0
    with transaction(factory) as s:
        assert LedgerRepository(s).materialize_from_subscribers(push_id, LEDGER_LANGS, NOW) is None
