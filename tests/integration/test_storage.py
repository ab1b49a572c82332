"""The archive and subscriber repositories, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bulletin.i18n import ZH
from bulletin.model import Article, Issue, TocEntry
from bulletin.render import issue_label
from storage.archive import ArchiveError, ImportOutcome, IssueHeader, IssueRepository
from storage.base import Base
from storage.db import alembic_config, create_db_engine, load_models, migrate, open_database, transaction
from storage.subscribers import Subscriber, SubscriberRepository


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_migrations_run_at_open_and_are_idempotent(db_url: str) -> None:
    engine, _ = open_database(db_url)
    migrate(engine)  # a second run changes nothing and does not fail
    engine.dispose()
    engine, _ = open_database(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
    tables = set(inspect(engine).get_table_names())
    assert {"issues", "toc_entries", "articles", "article_search", "subscribers"} <= tables
    engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    load_models()
    engine, _ = open_database(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": lambda o, name, type_, *_: not (name or "").startswith("article_search")}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_first_revision_id_is_0001_archive() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision("0001_archive").down_revision is None


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine, _ = open_database(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    # WAL is a property of the file: a plain connection without our settings sees it too.
    plain = create_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with plain.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    plain.dispose()


def test_nothing_connects_before_use(tmp_path: Path) -> None:
    path = tmp_path / "lazy.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    assert not path.exists()
    engine.dispose()


def test_issue_round_trips(factory: sessionmaker[Session]) -> None:
    issue = dataclasses.replace(
        make_issue(3, total=15),
        toc=(TocEntry("第3期工作动态", "工作动态"), TocEntry("景区安全检查", None)),
        warnings=("要目条目“某某”在正文中没有对应文章",),
    )
    with transaction(factory) as session:
        stored, outcome = IssueRepository(session).add(issue)
    assert outcome is ImportOutcome.ADDED
    with transaction(factory) as session:
        again = IssueRepository(session).get(stored.id)
    assert again is not None
    assert again.issue == issue
    assert again.issue.warnings == issue.warnings
    assert again.issue.toc[0].section == "工作动态"
    assert issue_label(again.issue, ZH) == "2024年第3期（总第15期）"
    assert again.ref == "2024-3"


def test_labels_without_year_or_cumulative_number(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        no_year, _ = repo.add(make_issue(5, year=None, total=40))
        bare, _ = repo.add(make_issue(6, year=None))
    assert issue_label(no_year.issue, ZH) == "第5期（总第40期）"
    assert no_year.ref == "40"
    assert issue_label(bare.issue, ZH) == "第6期"
    assert bare.ref == f"#{bare.id}"


def test_reimport_is_unchanged_and_writes_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        first, _ = IssueRepository(session).add(make_issue(1))
    with transaction(factory) as session:
        second, outcome = IssueRepository(session).add(make_issue(1))
        assert IssueRepository(session).count() == 1
    assert outcome is ImportOutcome.UNCHANGED
    assert second == first


def test_same_number_without_year_is_still_one_issue(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(2, year=None))
    with transaction(factory) as session:
        _, outcome = IssueRepository(session).add(make_issue(2, year=None))
        assert IssueRepository(session).count() == 1
    assert outcome is ImportOutcome.UNCHANGED


@pytest.mark.parametrize(
    "invisible",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
     "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
     # other format characters (soft hyphen, invisible operators, Mongolian vowel separator, deprecated format
     # controls, annotation anchors, tags) and invisible letters and marks (Hangul fillers, the grapheme joiner,
     # variation selectors): each also leaves the text looking the same
     "\u00ad", "\u2061", "\u2064", "\u180e", "\u206a", "\u206f", "\ufff9", "\U000e0041", "\U000e0001",
     "\u3164", "\u115f", "\u1160", "\uffa0", "\u034f", "\u180b", "\ufe0f", "\U000e0100"],
)
def test_invisible_characters_do_not_make_a_second_issue(factory: sessionmaker[Session], invisible: str) -> None:
    """Issue 9 §5: a masthead or title differing only by bidi controls or zero-width characters is the same issue,
    stored without them."""
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(3))
    disguised = make_issue(
        3, masthead=f"某市{invisible}文旅工作简报",
        articles=[(f"第3期{invisible}工作动态", ["全市各单位认真落实部署。", "本期编号3。"]),
                  ("景区安全检查", ["市文旅局对全市景区开展安全检查。", "检查发现问题12处，已整改。"])],
    )
    with transaction(factory) as session:
        repo = IssueRepository(session)
        found = repo.find(disguised.masthead, 2024, 3)
        stored, outcome = repo.add(disguised)
        assert repo.count() == 1
    assert outcome is ImportOutcome.UNCHANGED
    assert found is not None and found.id == stored.id
    assert stored.issue.masthead == "某市文旅工作简报"
    assert [a.title for a in stored.issue.articles] == ["第3期工作动态", "景区安全检查"]
    assert [e.title for e in stored.issue.toc] == ["第3期工作动态", "景区安全检查"]

    with transaction(factory) as session:
        fresh, outcome = IssueRepository(session).add(make_issue(4, masthead=f"\u202e某市文旅工作简报{invisible}"))
    assert outcome is ImportOutcome.ADDED and fresh.issue.masthead == "某市文旅工作简报"


def test_conflict_keeps_the_stored_issue(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        original, _ = IssueRepository(session).add(make_issue(1))
    changed = make_issue(1, articles=[("新的标题", ["新的正文。"])])
    with transaction(factory) as session:
        stored, outcome = IssueRepository(session).add(changed)
    assert outcome is ImportOutcome.CONFLICT
    assert stored == original
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.get(original.id) == original
        assert repo.search("新的").total == 0


def test_replace_keeps_the_id_and_swaps_content_and_index(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        original, _ = IssueRepository(session).add(make_issue(1))
    changed = make_issue(1, articles=[("河道治理", ["开展河道清淤。"]), ("景区提升", ["景区提档升级。"])])
    with transaction(factory) as session:
        stored, outcome = IssueRepository(session).add(changed, replace=True)
    assert outcome is ImportOutcome.REPLACED
    assert stored.id == original.id
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.get(original.id) == stored
        assert stored.issue == changed
        assert repo.search("安全检查").total == 0
        assert [h.article_title for h in repo.search("河道").hits] == ["河道治理"]
        assert repo.count() == 1


def test_replace_with_identical_content_is_unchanged(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(1))
    with transaction(factory) as session:
        _, outcome = IssueRepository(session).add(make_issue(1), replace=True)
    assert outcome is ImportOutcome.UNCHANGED


def test_failed_transaction_stores_nothing(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as session:
        IssueRepository(session).add(make_issue(1))
        raise RuntimeError("disk on fire")
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.count() == 0
        assert repo.search("景区").total == 0


def _add_all(factory: sessionmaker[Session], *issues: Issue) -> list[int]:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        return [repo.add(i)[0].id for i in issues]


def test_newest_first_order_latest_and_previous(factory: sessionmaker[Session]) -> None:
    ids = _add_all(
        factory,
        make_issue(1, date=dt.date(2024, 1, 5)),
        make_issue(3, date=dt.date(2024, 3, 1)),
        make_issue(2, date=dt.date(2024, 2, 1)),
        make_issue(9, year=None, date=None),
        make_issue(4, date=dt.date(2024, 3, 1), masthead="另一份简报"),  # same date: higher number first
    )
    one, three, two, undated, four = ids
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert [s.id for s in repo.page(0, 10)] == [four, three, two, one, undated]
        assert [s.id for s in repo.page(1, 2)] == [three, two]
        assert repo.count() == 5
        latest = repo.latest()
        assert latest is not None and latest.id == four
        # The previous issue is the previous one of the same publication: 另一份简报 has none.
        assert repo.previous(four) is None
        chain = []
        current: int | None = three
        while current is not None:
            prev = repo.previous(current)
            current = prev.id if prev else None
            if current is not None:
                chain.append(current)
        assert chain == [two, one, undated]
        assert repo.previous(10_000) is None


def test_empty_archive(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.latest() is None
        assert repo.page(0, 10) == []
        assert repo.count() == 0
        assert repo.resolve("1") is None


def test_resolve_references(factory: sessionmaker[Session]) -> None:
    old, new, other = _add_all(
        factory,
        make_issue(1, year=2023, total=1, date=dt.date(2023, 5, 8)),
        make_issue(1, year=2024, total=12, date=dt.date(2024, 1, 8)),
        make_issue(7, year=2024, total=1, masthead="另一份简报", date=dt.date(2024, 6, 1)),
    )
    with transaction(factory) as session:
        repo = IssueRepository(session)

        def ref(r: str) -> int | None:
            found = repo.resolve(r)
            return found.id if found else None

        assert ref("2023-1") == old
        assert ref("2024-1") == new
        assert ref(" 2024-7 ") == other
        assert ref("12") == new
        assert ref("1") == other  # two issues are 总第1期: the newest wins
        assert ref("２０２３－１") == old  # full-width input
        assert ref(f"#{old}") == old
        assert ref("5") is None
        assert ref("2022-1") is None
        assert ref("abc") is None
        assert ref("") is None


def test_big_chat_ids_and_subscription_lifecycle(factory: sessionmaker[Session]) -> None:
    supergroup = -1001234567890123
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        alice = repo.subscribe(
            7_000_000_001, chat_type="private", user_id=7_000_000_001, display_name="张三",
            language_code="zh-hans", department="办公室",
        )
        repo.subscribe(
            supergroup, chat_type="supergroup", user_id=None, display_name="文旅群",
            language_code=None, department="全局",
        )
    assert alice == Subscriber(7_000_000_001, "private", 7_000_000_001, "张三", "zh-hans", "办公室", True)
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        assert repo.get(supergroup) is not None
        assert repo.count_active() == 2
        assert [s.chat_id for s in repo.active()] == [7_000_000_001, supergroup]
        assert repo.unsubscribe(7_000_000_001) is True
        assert repo.unsubscribe(7_000_000_001) is False
        assert repo.unsubscribe(42) is False
        assert repo.count_active() == 1
        gone = repo.get(7_000_000_001)
        assert gone is not None and gone.active is False
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        back = repo.subscribe(
            7_000_000_001, chat_type="private", user_id=7_000_000_001, display_name="张三丰",
            language_code="en", department="法规科",
        )
        assert back.active and back.display_name == "张三丰" and back.department == "法规科"
        assert back.language_code == "en"
        assert repo.count_active() == 2


def test_department_deactivate_and_unknown_chats(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        repo.subscribe(5, chat_type="private", user_id=5, display_name="李四", language_code=None, department="A")
        assert repo.set_department(5, "B") is True
        assert repo.set_department(6, "B") is False
        repo.deactivate(5, "blocked by user")
        repo.deactivate(6, "chat not found")  # unknown: nothing to do
        sub = repo.get(5)
        assert sub is not None and sub.department == "B" and sub.active is False
        assert repo.active() == []
        assert repo.get(6) is None


def test_migrate_chat_moves_the_subscription(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        repo.subscribe(-4001, chat_type="group", user_id=None, display_name="组", language_code=None, department="A")
        repo.migrate_chat(-4001, -1009876543210)
        repo.migrate_chat(-1, -2)  # unknown: nothing to do
        assert repo.get(-4001) is None
        moved = repo.get(-1009876543210)
        assert moved is not None and moved.active and moved.chat_type == "supergroup" and moved.department == "A"


def test_migrate_chat_onto_an_existing_subscription(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = SubscriberRepository(session)
        repo.subscribe(-4001, chat_type="group", user_id=None, display_name="旧", language_code=None, department="A")
        repo.subscribe(-1005, chat_type="supergroup", user_id=None, display_name="新", language_code=None,
                       department="B")
        repo.migrate_chat(-4001, -1005)
        assert [s.display_name for s in repo.active()] == ["新"]
        old = repo.get(-4001)
        assert old is not None and not old.active


def test_articles_keep_paragraphs_and_empty_articles(factory: sessionmaker[Session]) -> None:
    issue = dataclasses.replace(
        make_issue(1),
        articles=(Article("只有标题", ()), Article("多段", ("第一段。", "", "第三段。"))),
        toc=(),
        footer=(),
    )
    with transaction(factory) as session:
        stored, _ = IssueRepository(session).add(issue)
    with transaction(factory) as session:
        again = IssueRepository(session).get(stored.id)
    assert again is not None
    assert again.issue.articles[0].paragraphs == ()
    assert again.issue.articles[1].paragraphs == ("第一段。", "", "第三段。")


def test_an_issue_that_cannot_be_stored_leaves_nothing_behind(factory: sessionmaker[Session]) -> None:
    huge = make_issue(1, articles=[(f"第{i}篇", ["正文。"]) for i in range(1, 1025)])
    with pytest.raises(ArchiveError, match="at most 1023 articles"), transaction(factory) as session:
        IssueRepository(session).add(huge)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.count() == 0
        assert repo.search("正文").total == 0


def test_paragraphs_with_newlines_are_stored_as_they_read_back(factory: sessionmaker[Session]) -> None:
    issue = make_issue(1, articles=[("标题", ["第一行\n第二行", "第三段"]), ("空", [""])])
    with transaction(factory) as session:
        stored, _ = IssueRepository(session).add(issue)
    assert stored.issue.articles[0].paragraphs == ("第一行", "第二行", "第三段")
    assert stored.issue.articles[1].paragraphs == ()
    with transaction(factory) as session:
        assert IssueRepository(session).add(issue)[1] is ImportOutcome.UNCHANGED
        assert IssueRepository(session).get(stored.id) == stored


def test_same_date_and_number_in_two_mastheads(factory: sessionmaker[Session]) -> None:
    day = dt.date(2024, 3, 1)
    first, second = _add_all(
        factory,
        make_issue(2, masthead="甲简报", date=day, articles=[("甲", ["共同词。"])]),
        make_issue(2, masthead="乙简报", date=day, articles=[("乙", ["共同词。"])]),
    )
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert [s.id for s in repo.page(0, 5)] == [second, first]
        assert [h.issue_id for h in repo.search("共同").hits] == [second, first]


def test_migrations_downgrade_to_nothing_and_back(db_url: str) -> None:
    engine, factory = open_database(db_url)
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(1))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert repo.count() == 0
        repo.add(make_issue(1))
        assert repo.search("景区").total == 1
    engine.dispose()


def _mixed_issues(seed: int, count: int) -> list[Issue]:
    """Issues with many ties in date, year and number (and some with neither date nor year), distinct identities."""
    rng = random.Random(seed)
    dates = [None, dt.date(2023, 12, 29), dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(1, 1, 1)]
    issues = []
    for k in range(count):
        year = rng.choice([None, 2023, 2024])
        issues.append(
            make_issue(rng.randint(1, 3), year=year, date=rng.choice(dates), masthead=f"第{k}号简报", total=k)
        )
    return issues


def _reference_order(ids: list[int], issues: list[Issue]) -> list[int]:
    """Newest first as documented: date (undated last), year (unknown last), number, id; all descending."""
    pairs = sorted(
        zip(ids, issues, strict=True),
        key=lambda p: (p[1].date.toordinal() if p[1].date else 0, p[1].year or 0, p[1].number, p[0]),
        reverse=True,
    )
    return [issue_id for issue_id, _ in pairs]


def _previous_chain(repo: IssueRepository, first: int) -> list[int]:
    chain = [first]
    while (previous := repo.previous_id(chain[-1])) is not None:
        chain.append(previous)
    return chain


def test_previous_issue_within_one_publication_with_ties(factory: sessionmaker[Session]) -> None:
    rng = random.Random(11)
    dates = [None, dt.date(2023, 12, 29), dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    numbers = list(range(1, 31))
    rng.shuffle(numbers)
    issues = [make_issue(n, year=rng.choice([None, 2023, 2024]), date=rng.choice(dates)) for n in numbers]
    # Another publication's issues in between, which the previous-issue chain skips.
    others = [make_issue(n, date=rng.choice(dates), masthead="另一份简报") for n in range(1, 11)]
    ids = _add_all(factory, *issues, *others)
    expected = _reference_order(ids[: len(issues)], issues)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert _previous_chain(repo, expected[0]) == expected
        middle = repo.previous(expected[12])
        assert middle is not None and middle.id == expected[13] and middle.issue == issues[ids.index(expected[13])]


def test_newest_first_with_ties_pages_headers_and_previous(factory: sessionmaker[Session]) -> None:
    issues = _mixed_issues(5, 40)
    ids = _add_all(factory, *issues)
    expected = _reference_order(ids, issues)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        assert [s.id for s in repo.page(0, 100)] == expected
        assert [h.id for h in repo.page_headers(0, 100)] == expected
        assert [h.id for h in repo.page_headers(7, 10)] == expected[7:17]
        assert repo.page_headers(40, 10) == []
        latest = repo.latest()
        assert latest is not None and latest.id == expected[0]
        # Each of these issues is a publication of its own (its own masthead): none has a previous issue.
        assert all(repo.previous_id(i) is None for i in expected)
        assert repo.previous_id(expected[-1]) is None
        assert repo.previous_id(10_000) is None


def test_page_headers_carry_the_identity_without_contents(factory: sessionmaker[Session]) -> None:
    newer = make_issue(2, total=8)
    (older_id, newer_id) = _add_all(factory, make_issue(1, year=None, total=7), newer)
    with transaction(factory) as session:
        headers = IssueRepository(session).page_headers(0, 10)
    assert [h.id for h in headers] == [newer_id, older_id]
    head = headers[0]
    assert isinstance(head, IssueHeader)
    assert head.issue == dataclasses.replace(newer, toc=(), articles=())
    assert issue_label(head.issue, ZH) == "2024年第2期（总第8期）"
    assert issue_label(headers[1].issue, ZH) == "第1期（总第7期）"


def test_upgrade_fills_the_order_key_of_issues_stored_before_it(db_url: str) -> None:
    issues = _mixed_issues(9, 25)
    engine, factory = open_database(db_url)
    ids = _add_all(factory, *issues)
    cfg = alembic_config()
    with engine.begin() as conn:  # back to the schema before the order key, issues still stored
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002_push")
    assert "date_key" not in {c["name"] for c in inspect(engine).get_columns("issues")}
    migrate(engine)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        expected = _reference_order(ids, issues)
        assert [h.id for h in repo.page_headers(0, 100)] == expected
        # Every masthead here is a publication of its own, so no issue has a previous one.
        assert [repo.previous_id(i) for i in expected] == [None] * len(expected)
        by_id = dict(zip(ids, issues, strict=True))
        newest_2024_2 = next(i for i in expected if (by_id[i].year, by_id[i].number) == (2024, 2))
        found = repo.resolve("2024-2")
        assert found is not None and found.id == newest_2024_2
    engine.dispose()


def test_sqlite_reads_newest_first_off_the_index(tmp_path: Path) -> None:
    """latest, page_headers, previous_id and year-number references neither scan the issues table nor sort."""
    engine, factory = open_database(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    _add_all(factory, *_mixed_issues(3, 30))
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        latest = repo.latest()
        assert latest is not None
        repo.previous_id(latest.id)
        repo.page_headers(10, 10)
        repo.resolve("2024-2")
    event.remove(engine, "before_cursor_execute", capture)
    assert statements
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            # "SCAN issues USING ... INDEX ix_issues_newest_first" walks the index in order; a bare "SCAN issues"
            # reads the whole table.
            assert "SCAN issues" not in plan and not any("TEMP B-TREE" in step for step in plan), (statement, plan)
    engine.dispose()


def test_search_pages_are_slices_of_the_whole_ranking_at_every_offset(factory: sessionmaker[Session]) -> None:
    """Pages that start inside, at the end of, and past the tier of hits in the title."""
    rng = random.Random(2)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 9):
            articles = [
                (rng.choice(["景区门票", "河道治理", "景区安全", "春耕"]), [rng.choice(["景区开放。", "无关内容。"])])
                for _ in range(3)
            ]
            repo.add(make_issue(n, date=dt.date(2024, 1, n), articles=articles))
    with transaction(factory) as session:
        repo = IssueRepository(session)
        whole = repo.search("景区", limit=1000)
        in_title = sum(1 for h in whole.hits if h.score == 1.0)
        assert 0 < in_title < whole.total  # both tiers are present
        for offset in range(whole.total + 2):
            for limit in range(1, whole.total + 2):
                page = repo.search("景区", offset=offset, limit=limit)
                assert page.total == whole.total
                assert page.hits == whole.hits[offset : offset + limit], (offset, limit)
