"""What the bot's reads reuse between updates is never stale: publications renamed, added or given an alias by
another process, an issue marked internal or given a new previous issue after it was cached, and /issues' references
(each named by a reference that names it alone) computed in one statement; SQLite and (when configured) PostgreSQL.

"Another process" is a second engine on the same database: whatever one process keeps between units of work must
follow what the other commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from config import config_from_mapping
from jobs.publications import configure, find_issue, names
from jobs.uow import UnitOfWork, UnitsOfWork
from storage.aliases import SeriesAliasRepository
from storage.archive import IssueRepository
from storage.db import open_database, transaction
from storage.issue_cache import IssueCache
from storage.publications import PublicationRepository
from storage.publishing_repo import MarkRepository

BRIEF = "某市工作简报"
REPORT = "某市工作专报"
NOW = dt.datetime(2024, 5, 6, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def other(db_url: str, factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A second process's session factory on the same database (its own engine and connections)."""
    engine, session_factory = open_database(db_url)
    yield session_factory
    engine.dispose()


def test_publications_renamed_added_or_aliased_by_another_process_are_seen_at_once(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with transaction(other) as session:
        IssueRepository(session).add(make_issue(1, masthead=BRIEF))
    bot = UnitsOfWork(factory, IssueCache())
    assert bot.run_sync(names) == {1: BRIEF}

    configure(other, config_from_mapping({"publications": {BRIEF: {"name": "简报"}}}, env={}))
    assert bot.run_sync(names) == {1: "简报"}
    assert bot.run_sync(lambda u: u.publications.count()) == 1

    with transaction(other) as session:
        IssueRepository(session).add(make_issue(1, masthead=REPORT))
    assert bot.run_sync(names) == {1: "简报", 2: REPORT}
    assert bot.run_sync(lambda u: u.publications.count()) == 2

    # An alias remembered for the 专报's masthead names it from then on; removed, it names nothing.
    with transaction(other) as session:
        SeriesAliasRepository(session).remember("某市工作专报（试行）", "masthead", REPORT, by=None)

    def named(u: UnitOfWork) -> int | None:
        found = u.publications.named("某市工作专报（试行）")
        return found.id if found is not None else None

    assert bot.run_sync(named) == 2
    with transaction(other) as session:
        SeriesAliasRepository(session).remove("某市工作专报（试行）")
    assert bot.run_sync(named) is None


def test_an_issue_read_through_the_cache_shows_its_mark_and_previous_issue_as_they_are_now(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with transaction(other) as session:
        repo = IssueRepository(session)
        first = repo.add(make_issue(1))[0]
        third = repo.add(make_issue(3))[0]
    bot = UnitsOfWork(factory, IssueCache())

    def view(u: UnitOfWork) -> tuple[str, int | None, bool]:
        stored = u.issues.get(third.id)
        assert stored is not None
        return (stored.ref, *u.issues.context(stored.id))

    assert bot.run_sync(view) == ("2024-3", first.id, False)
    assert bot.run_sync(view) == ("2024-3", first.id, False)  # from the cache now
    with transaction(other) as session:
        MarkRepository(session).set_internal(third.id, True, by=None, now=NOW)
        second = IssueRepository(session).add(make_issue(2))[0]
    assert bot.run_sync(view) == ("2024-3", second.id, True)
    with transaction(other) as session:
        MarkRepository(session).set_internal(third.id, False, by=None, now=NOW)
    assert bot.run_sync(view) == ("2024-3", second.id, False)

    # The newest issue and a reference read the same way; an article opened is protected when internal.
    assert bot.run_sync(lambda u: (s := u.issues.latest()) is not None and u.issues.context(s.id)) == (second.id, False)
    with transaction(other) as session:
        MarkRepository(session).set_internal(second.id, True, by=None, now=NOW)

    def internal(u: UnitOfWork) -> bool:
        found = find_issue(u, None, "2024-2").stored
        return found is not None and u.issues.is_internal(found.id)

    assert bot.run_sync(internal)


def test_a_reference_to_a_kept_issue_costs_one_statement_and_is_never_stale(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    # /issue 2024-3 and /article 2024-3 2 read the reference: with the issue kept, that one statement (which
    # brings the issue's version, previous issue and mark) is all the unit reads; a version read after it was a
    # round trip more per lookup on PostgreSQL. Replaced by another process, the issue is read anew.
    with transaction(other) as session:
        IssueRepository(session).add(make_issue(3))
    bot = UnitsOfWork(factory, IssueCache())
    statements: list[str] = []
    event.listen(factory.kw["bind"], "before_cursor_execute", lambda *args: statements.append(args[2]))

    def lookup(u: UnitOfWork) -> tuple[str, str, bool]:
        stored = find_issue(u, None, "2024-3").stored
        assert stored is not None
        return stored.ref, stored.issue.articles[0].title, u.issues.is_internal(stored.id)

    assert bot.run_sync(lookup) == ("2024-3", "第3期工作动态", False)
    statements.clear()
    assert bot.run_sync(lookup) == ("2024-3", "第3期工作动态", False)
    assert len(statements) == 1
    with transaction(other) as session:
        IssueRepository(session).add(make_issue(3, articles=[("第3期更正后的动态", ["内容有更正。"])]), replace=True)
        MarkRepository(session).set_internal(1, True, by=None, now=NOW)
    assert bot.run_sync(lookup) == ("2024-3", "第3期更正后的动态", True)


def test_each_listed_issue_is_named_by_a_reference_that_names_it_alone(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        shared = [
            repo.add(make_issue(1, masthead=BRIEF, total=101))[0].id,  # 2024-1 names the 专报's too
            repo.add(make_issue(1, masthead=REPORT))[0].id,
            repo.add(make_issue(None, year=None, masthead="某市值班信息", date=dt.date(2024, 5, 7)))[0].id,
            repo.add(make_issue(9, year=2023, masthead="某市值班信息", date=dt.date(2024, 5, 7)))[0].id,  # same date
        ]
        alone = {
            repo.add(make_issue(2, masthead=BRIEF, total=102))[0].id: "2024-2",
            repo.add(make_issue(None, year=None, masthead="某市工作动态", date=dt.date(2024, 5, 6)))[0].id: (
                "2024-05-06"
            ),
        }
    with transaction(factory) as session:
        repo = IssueRepository(session)
        headers = repo.page_headers(0, 10)
        refs = repo.exact_refs(headers)
        one_by_one = {h.id: repo.exact_ref(h) for h in headers}
    # 2023-9 is dated 2024-05-07 like the 值班信息 without a number, but its year-number names it alone.
    ninth = shared.pop()
    assert refs == {**{i: f"#{i}" for i in shared}, **alone, ninth: "2023-9"}
    assert one_by_one == refs


def test_a_page_of_issues_comes_with_the_count_in_one_statement(factory: sessionmaker[Session]) -> None:
    # /issues shows a page and "page 2 of N": both from one statement; past the last page, the count alone.
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 13):
            repo.add(make_issue(n, masthead=BRIEF))
        for n in range(1, 4):
            repo.add(make_issue(n, masthead=REPORT))
    statements: list[str] = []
    event.listen(factory.kw["bind"], "before_cursor_execute", lambda *args: statements.append(args[2]))
    with transaction(factory) as session:
        repo = IssueRepository(session)
        brief = PublicationRepository(session).named("某市工作简报")
        assert brief is not None
        statements.clear()
        headers, total = repo.counted_page(10, 10)
        assert (len(headers), total, len(statements)) == (5, 15, 1)
        headers, total = repo.counted_page(10, 10, publication_id=brief.id)
        assert ([h.issue.number for h in headers], total) == ([2, 1], 12)
        assert repo.counted_page(20, 10) == ([], 15)
