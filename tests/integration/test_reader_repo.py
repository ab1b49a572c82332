"""The reader's listings by publication (storage/publications.py), not by raw masthead: the home page's issue counts
and a publication's pages of issues; SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from jobs import reader as uc
from jobs.uow import UnitsOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.publications import PublicationRepository, PublicationSetting

BRIEF = "某市工作简报"
REPORT = "某市工作专报"


def _seed(factory: sessionmaker[Session]) -> dict[str, int]:
    """25 issues of BRIEF (2024-01-01 on, one a day), 3 of REPORT (newer than all of them), and a configured
    publication without any issue; names -> publication ids."""
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 26):
            repo.add(make_issue(n, masthead=BRIEF, date=dt.date(2024, 1, n)))
        for n in range(1, 4):
            repo.add(make_issue(n, masthead=REPORT, date=dt.date(2024, 3, n)))
        publications = PublicationRepository(session)
        publications.configure([
            PublicationSetting(REPORT, "专报", True), PublicationSetting("某市尚无一期的刊物", "新刊", True),
        ])
        by_masthead = {p.masthead: p.id for p in publications.all()}
    return {"brief": by_masthead[BRIEF], "report": by_masthead[REPORT]}


def test_the_home_page_lists_each_publication_with_issues_by_its_short_name_newest_first(
    factory: sessionmaker[Session],
) -> None:
    ids = _seed(factory)
    shelves = UnitsOfWork(factory).run_sync(uc.publications)
    assert [(s.publication.id, s.publication.short, s.publication.masthead, s.issues, s.newest_date)
            for s in shelves] == [
        (ids["report"], "专报", REPORT, 3, dt.date(2024, 3, 3)),
        (ids["brief"], BRIEF, BRIEF, 25, dt.date(2024, 1, 25)),
    ]  # the configured publication without issues is not listed


def test_a_publications_issues_are_paged_newest_first_and_only_its_own(factory: sessionmaker[Session]) -> None:
    ids = _seed(factory)
    units = UnitsOfWork(factory)
    first = units.run_sync(lambda u: uc.issue_listing(u, ids["brief"], 1))
    second = units.run_sync(lambda u: uc.issue_listing(u, ids["brief"], 2))
    assert first is not None and second is not None
    assert (first.publication.short, first.total, first.pages, second.page) == (BRIEF, 25, 2, 2)
    assert [h.issue.number for h in first.issues] == list(range(25, 5, -1))
    assert [h.issue.number for h in second.issues] == [5, 4, 3, 2, 1]
    assert {h.issue.masthead for h in first.issues + second.issues} == {BRIEF}
    report = units.run_sync(lambda u: uc.issue_listing(u, ids["report"], 1))
    assert report is not None and (report.publication.short, [h.issue.number for h in report.issues]) == (
        "专报", [3, 2, 1])
    assert units.run_sync(lambda u: uc.issue_listing(u, 999_999, 1)) is None


def test_a_page_past_the_end_is_empty_but_still_counts_the_publications_issues(
    factory: sessionmaker[Session],
) -> None:
    ids = _seed(factory)
    units = UnitsOfWork(factory)
    past = units.run_sync(lambda u: uc.issue_listing(u, ids["brief"], 3))
    assert past is not None and (past.issues, past.total, past.pages, past.page) == ([], 25, 2, 3)
    new_id = units.run_sync(lambda u: uc.publication_named(u, "新刊"))
    assert new_id is not None
    empty = units.run_sync(lambda u: uc.issue_listing(u, new_id, 1))
    assert empty is not None and (empty.publication.short, empty.issues, empty.total, empty.pages) == (
        "新刊", [], 0, 1)


def test_a_publication_is_found_by_masthead_alias_or_short_name_for_the_old_addresses(
    factory: sessionmaker[Session],
) -> None:
    ids = _seed(factory)
    units = UnitsOfWork(factory)
    assert units.run_sync(lambda u: uc.publication_named(u, REPORT)) == ids["report"]
    assert units.run_sync(lambda u: uc.publication_named(u, "专报")) == ids["report"]
    assert units.run_sync(lambda u: uc.publication_named(u, BRIEF)) == ids["brief"]
    assert units.run_sync(lambda u: uc.publication_named(u, "")) is None
