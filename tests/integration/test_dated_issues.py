"""Dated reports without an issue number (每日动态, 工作周报): storage identity, order, lookup by date, labels, and
the 0008 migration over data stored before it; SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bulletin.model import Issue
from bulletin.render import issue_label, render_contents
from storage.archive import ArchiveError, ImportOutcome, IssueRepository
from storage.db import create_db_engine, make_session_factory, migrate, transaction

DAY = dt.date(2022, 7, 5)
DAILY = "某市河湖长制工作每日动态"


def daily(day: dt.date = DAY, *, masthead: str = DAILY, body: str = "巡河发现问题3处。") -> Issue:
    return make_issue(None, year=None, date=day, masthead=masthead, articles=[("河道巡查", [body])])


def test_dated_reports_are_identified_by_masthead_and_date(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        first, outcome = repo.add(daily())
        assert outcome is ImportOutcome.ADDED and first.issue.number is None
        # Same masthead and date: the same report, whatever its content.
        assert repo.add(daily())[1] is ImportOutcome.UNCHANGED
        assert repo.add(daily(body="巡河发现问题4处。"))[1] is ImportOutcome.CONFLICT
        assert repo.add(daily(body="巡河发现问题4处。"), replace=True)[1] is ImportOutcome.REPLACED
        # Another day, or another office's report of the same day, is another issue.
        assert repo.add(daily(DAY + dt.timedelta(days=1)))[1] is ImportOutcome.ADDED
        assert repo.add(daily(masthead="某县河湖长制工作每日动态"))[1] is ImportOutcome.ADDED
        assert repo.count() == 3
        found = repo.find(DAILY, None, None, DAY)
        assert found is not None and found.id == first.id
        assert found.issue.articles[0].paragraphs == ("巡河发现问题4处。",)


def test_a_report_with_neither_number_nor_date_is_refused(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        with pytest.raises(ArchiveError, match="without a number needs a date"):
            IssueRepository(session).add(make_issue(None, year=None, date=None))
    with transaction(factory) as session:
        assert IssueRepository(session).count() == 0


def test_dated_reports_take_their_place_newest_first_and_in_search(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        older = repo.add(make_issue(3, year=2022, date=dt.date(2022, 7, 4)))[0]
        dated = repo.add(daily())[0]
        numbered_same_day = repo.add(make_issue(4, year=2022, date=DAY, masthead="某市文旅工作简报"))[0]
        newer = repo.add(daily(DAY + dt.timedelta(days=1)))[0]
    with transaction(factory) as session:
        repo = IssueRepository(session)
        order = [s.id for s in repo.page(0, 10)]
        # Same day: the numbered issue (number 4) before the report without a number (number_key 0).
        assert order == [newer.id, numbered_same_day.id, dated.id, older.id]
        assert [h.id for h in repo.page_headers(0, 10)] == order
        # The previous issue is the previous one of the same publication (masthead).
        assert repo.previous_id(numbered_same_day.id) == older.id
        assert repo.previous_id(newer.id) == dated.id
        assert repo.previous_id(dated.id) is None
        assert [h.issue_id for h in repo.search("巡河").hits] == [newer.id, dated.id]
        assert [issue_label(h.issue, "zh") for h in repo.search("巡河").hits] == ["2022年7月6日", "2022年7月5日"]


def test_an_issue_is_found_by_its_date(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        dated = repo.add(daily())[0]
        numbered = repo.add(make_issue(4, year=2022, date=DAY))[0]
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert [h.id for h in repo.on_date(DAY)] == [numbered.id, dated.id]
        assert repo.on_date(DAY + dt.timedelta(days=2)) == []
        resolved = repo.resolve("2022-07-05")
        assert resolved is not None and resolved.id == numbered.id
        assert repo.resolve("2022-7-5") is not None
        assert repo.resolve("2022-02-30") is None
        stored = repo.get(dated.id)
        assert stored is not None and stored.ref == "2022-07-05" and issue_label(stored.issue, "zh") == "2022年7月5日"


def test_labels_of_dated_reports_never_say_none() -> None:
    report = daily()
    assert issue_label(report, "zh") == "2022年7月5日"
    assert issue_label(report, "en") == "5 July 2022"
    weekly = dataclasses.replace(
        make_issue(None, year=2023, date=dt.date(2023, 4, 14), masthead="某市工作周报"), week=15
    )
    assert issue_label(weekly, "zh") == "2023年第15周"
    assert issue_label(weekly, "en") == "2023 week 15"
    head = render_contents(1, report, lang="zh", previous_issue_id=None).text.split("\n")
    assert head[:3] == [f"<b>{DAILY}</b>", "2022年7月5日", "某市文化和旅游局办公室"]
    weekly_head = render_contents(1, weekly, lang="zh", previous_issue_id=None).text.split("\n")
    assert weekly_head[1:3] == ["2023年第15周", "2023年4月14日　某市文化和旅游局办公室"]
    assert "None" not in render_contents(1, report, lang="en", previous_issue_id=None).text


def test_week_and_marks_are_stored(factory: sessionmaker[Session]) -> None:
    weekly = dataclasses.replace(
        make_issue(None, year=2023, date=dt.date(2023, 4, 14), masthead="某市工作周报"), week=15, marks=("内部资料",)
    )
    with transaction(factory) as session:
        stored = IssueRepository(session).add(weekly)[0]
    with transaction(factory) as session:
        back = IssueRepository(session).get(stored.id)
        assert back is not None and back.issue == weekly


def test_migration_0008_keeps_issues_stored_before_it(db_url: str) -> None:
    engine = create_db_engine(db_url)
    migrate(engine, "0006_receipts")
    # Rows written as 0006 knew them, with articles and a receipt referencing the issue.
    with engine.begin() as conn:
        old_id = conn.execute(text(
            "INSERT INTO issues (masthead, year, year_key, number, total_number, publisher, date, date_key, "
            "rank_slot, footer, warnings, created_at, updated_at) VALUES ('某市文旅工作简报', 2024, 2024, 3, 9, "
            "'办公室', '2024-03-01', 738946, 0, '[]', '[]', '2024-03-01 00:00:00', '2024-03-01 00:00:00') "
            "RETURNING id"
        )).scalar_one()
        conn.execute(text(
            "INSERT INTO articles (issue_id, position, search_key, title, search_title, body) "
            "VALUES (:i, 1, 1, '旧文章', '旧文章', '正文')"
        ), {"i": old_id})
        conn.execute(text(
            "INSERT INTO receipt_acks (issue_id, chat_id, user_id, at) VALUES (:i, 100, 100, '2024-03-02 00:00:00')"
        ), {"i": old_id})
    migrate(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        stored = repo.resolve("2024-3")
        assert stored is not None and stored.id == old_id
        issue = stored.issue
        assert (issue.number, issue.total_number, issue.week, issue.marks) == (3, 9, None, ())
        assert [a.title for a in stored.issue.articles] == ["旧文章"]
        assert session.scalar(text("SELECT count(*) FROM receipt_acks WHERE issue_id = :i"), {"i": old_id}) == 1
        assert session.scalar(text("SELECT number_key FROM issues WHERE id = :i"), {"i": old_id}) == 3
        # The old issue and a new dated report (a day later) live side by side.
        repo.add(daily(dt.date(2024, 3, 2)))
    with transaction(factory) as session:
        assert [s.issue.number for s in IssueRepository(session).page(0, 5)] == [None, 3]
    engine.dispose()
