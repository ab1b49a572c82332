"""The website watch against a local test website that changes between polls (real HTTP on 127.0.0.1, the real
guarded fetcher, the bounded parser, a real database); the admins' side is our RecordingPort."""

from __future__ import annotations

import datetime as dt
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from support.website import (
    DOC,
    DOCX,
    PDF,
    PUBLIC_NAME,
    RSS,
    Clock,
    OfficeSite,
    PublicToLoopback,
    RecordingPort,
    feed,
    index_page,
    issue_document,
    public_resolver,
    serve,
)

from jobs.netguard import NetworkPolicy
from jobs.watch import Watcher, WatchSettings
from jobs.watch_fetch import HttpFetcher
from storage.db import open_database, transaction
from storage.push_models import Push
from storage.watch_models import SeenState, WatchSeen
from storage.watch_repo import SourceSpec, WatchRepository

EVERY = dt.timedelta(minutes=10)
DOC_FIXTURE = Path(__file__).resolve().parents[1] / "support" / "made-up-bulletin.doc"


@pytest.fixture
def site() -> Iterator[OfficeSite]:
    with serve(OfficeSite()) as served:
        yield served


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine, factory = open_database(f"sqlite:///{tmp_path / 'watch.sqlite3'}")
    yield factory
    engine.dispose()


def make_watcher(
    factory: sessionmaker[Session], port: RecordingPort, clock: Clock, *, allow_private: bool = True,
    timeout: float = 5.0, max_mb: float = 5.0, **fetch: object,
) -> tuple[Watcher, HttpFetcher]:
    fetcher = HttpFetcher(NetworkPolicy(allow_private=allow_private, **fetch),  # type: ignore[arg-type]
                          timeout=timeout, max_bytes=int(max_mb * 1024 * 1024), per_host_interval=0.0,
                          inner=PublicToLoopback())
    settings = WatchSettings(alert_after=3, max_backoff=dt.timedelta(hours=1))
    return Watcher(factory, fetcher, port, settings, clock=clock), fetcher


def add_source(factory: sessionmaker[Session], url: str, clock: Clock, **spec: object) -> int:
    with transaction(factory) as session:
        added = WatchRepository(session).add(SourceSpec(url, EVERY, **spec), clock())  # type: ignore[arg-type]
    assert added is not None
    return added.id


async def tick_later(watcher: Watcher, clock: Clock, delta: dt.timedelta = EVERY) -> None:
    clock.advance(delta)
    await watcher.tick()


def seen_states(factory: sessionmaker[Session]) -> dict[str, str]:
    with transaction(factory) as session:
        return {row.url: row.state for row in session.scalars(select(WatchSeen))}


def numbers(port: RecordingPort) -> list[int | None]:
    return [issue.number for _url, issue, _partial in port.offered]


async def test_new_issues_are_found_once_as_html_pdf_and_docx_and_304_costs_nothing(
    site: OfficeSite, factory: sessionmaker[Session]
) -> None:
    entries = [("/jianbao/5.html", "工作简报第5期"), ("/jianbao/6.html", "工作简报第6期")]
    for n in (5, 6):
        site.put(f"/jianbao/{n}.html", issue_document(n, "html"))
    site.put("/jianbao/", index_page(entries))
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(factory, port, clock)
    add_source(factory, site.url("/jianbao/"), clock)
    try:
        await watcher.tick()  # first poll: the history is recorded, nothing downloaded or offered
        assert port.offered == [] and site.downloads("/jianbao/5.html") == 0
        assert set(seen_states(factory).values()) == {"baseline"}

        await tick_later(watcher, clock)  # unchanged: a 304, nothing else
        assert site.conditional_hits["/jianbao/"] == 1 and port.offered == []

        entries.insert(0, ("/jianbao/7.html", "工作简报第7期"))
        site.put("/jianbao/7.html", issue_document(7, "html"))
        site.put("/jianbao/", index_page(entries))
        await tick_later(watcher, clock)
        assert numbers(port) == [7]
        assert port.offered[0][0] == site.url("/jianbao/7.html")

        entries[:0] = [("/jianbao/9.docx", "第9期"), ("/jianbao/8.pdf", "第8期")]
        site.put("/jianbao/8.pdf", issue_document(8, "pdf"), PDF)
        site.put("/jianbao/9.docx", issue_document(9, "docx"), DOCX)
        site.put("/jianbao/", index_page(entries))
        await tick_later(watcher, clock)
        assert sorted(numbers(port)) == [7, 8, 9]

        # The same document under a second URL is not offered again, and nothing is downloaded twice.
        entries.insert(0, ("/jianbao/9-copy.docx", "第9期（重发）"))
        site.put("/jianbao/9-copy.docx", site.pages["/jianbao/9.docx"].body, DOCX)  # the very same file
        site.put("/jianbao/", index_page(entries))
        await tick_later(watcher, clock)
        await tick_later(watcher, clock)
        assert sorted(numbers(port)) == [7, 8, 9]
        assert seen_states(factory)[site.url("/jianbao/9-copy.docx")] == "duplicate"
        for path in ("/jianbao/7.html", "/jianbao/8.pdf", "/jianbao/9.docx", "/jianbao/9-copy.docx"):
            assert site.downloads(path) == 1, path
        assert site.hits["/jianbao/5.html"] == 0  # history is not fetched
        assert site.hits["/about.html"] == site.hits["/jianbao/more.html"] == 0  # chrome is never followed
    finally:
        await fetcher.close()


async def test_a_source_failing_three_times_is_reported_once_backs_off_and_recovers(
    site: OfficeSite, sqlite_factory: sessionmaker[Session]
) -> None:
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(sqlite_factory, port, clock)
    source_id = add_source(sqlite_factory, site.url("/gone/"), clock)
    waits = []
    try:
        for _ in range(5):
            before = clock()
            await watcher.tick()
            with transaction(sqlite_factory) as session:
                source = WatchRepository(session).get(source_id)
            assert source is not None
            waits.append(source.next_poll_at - before)
            clock.now = source.next_poll_at
        assert [w / EVERY for w in waits] == [2, 4, 6, 6, 6]  # doubling, bounded by max_backoff (1 h)
        assert len(port.alerts) == 1 and "HTTP 404" in port.alerts[0][1]
        site.put("/gone/", index_page([]))
        await watcher.tick()
        await tick_later(watcher, clock)
        assert port.recoveries == [site.url("/gone/")]
        assert len(port.alerts) == 1
    finally:
        await fetcher.close()


async def test_hangs_huge_answers_and_missing_documents_fail_within_bounds(
    site: OfficeSite, sqlite_factory: sessionmaker[Session]
) -> None:
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(sqlite_factory, port, clock, timeout=1.0, max_mb=5.0)
    site.put("/list/", index_page([]))
    source_id = add_source(sqlite_factory, site.url("/list/"), clock)
    hang_id = add_source(sqlite_factory, site.url("/hang"), clock)
    try:
        await watcher.tick()
        site.put("/list/", index_page([("/huge.pdf", "第20期"), ("/missing.pdf", "第21期")]))
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        await tick_later(watcher, clock)
        grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
        with transaction(sqlite_factory) as session:
            repo = WatchRepository(session)
            hung, listing = repo.get(hang_id), repo.get(source_id)
        assert hung is not None and listing is not None
        assert hung.failures == 1 and "timeout" in (hung.last_error or "")  # backed off: not due at the 2nd tick
        assert listing.failures == 1
        assert f"{site.url('/huge.pdf')}: too_big" in (listing.last_error or "")
        assert f"{site.url('/missing.pdf')}: status: HTTP 404" in (listing.last_error or "")
        assert grew_mb < 20  # the 50 MB answer was stopped at 5 MB
        assert port.offered == []
        assert site.url("/huge.pdf") not in seen_states(sqlite_factory)  # tried again next time, not recorded
    finally:
        await fetcher.close()


async def test_a_redirect_to_an_internal_address_is_refused_with_allow_private_off(
    site: OfficeSite, sqlite_factory: sessionmaker[Session]
) -> None:
    port_number = int(site.base.rsplit(":", 1)[1])
    public = f"http://{PUBLIC_NAME}:{port_number}"
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(sqlite_factory, port, clock, allow_private=False,
                                    resolver=public_resolver(port_number))
    site.put("/jianbao/", index_page([]))
    source_id = add_source(sqlite_factory, public + "/jianbao/", clock)
    try:
        await watcher.tick()
        site.put("/jianbao/", index_page([("/jianbao/10.pdf", "第10期")]))
        site.redirects["/jianbao/10.pdf"] = f"http://127.0.0.1:{port_number}/secret.pdf"
        site.put("/secret.pdf", issue_document(10, "pdf"), PDF)
        await tick_later(watcher, clock)
        with transaction(sqlite_factory) as session:
            source = WatchRepository(session).get(source_id)
        assert source is not None and "unreachable" in (source.last_error or "")
        assert site.hits["/jianbao/10.pdf"] == 1 and site.hits["/secret.pdf"] == 0
        assert port.offered == []
    finally:
        await fetcher.close()


async def test_a_feed_and_a_document_replaced_in_place(site: OfficeSite, sqlite_factory: sessionmaker[Session]) -> None:
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(sqlite_factory, port, clock)
    entries = [("/f/1.html", "第1期", dt.date(2025, 1, 6))]
    site.put("/f/1.html", issue_document(1, "html"))
    site.put("/feed.xml", feed(entries, site.base), RSS)
    site.put("/latest.docx", issue_document(30, "docx"), DOCX)
    add_source(sqlite_factory, site.url("/feed.xml"), clock)
    add_source(sqlite_factory, site.url("/latest.docx"), clock)
    try:
        await watcher.tick()
        entries.append(("/f/2.html", "第2期", dt.date(2025, 2, 3)))
        site.put("/f/2.html", issue_document(2, "html"))
        site.put("/feed.xml", feed(entries, site.base), RSS)
        await tick_later(watcher, clock)
        assert numbers(port) == [2]
        site.put("/latest.docx", issue_document(31, "docx"), DOCX)  # replaced in place
        await tick_later(watcher, clock)
        await tick_later(watcher, clock)  # unchanged since: 304
        assert numbers(port) == [2, 31]
        assert site.conditional_hits["/latest.docx"] >= 2 and site.downloads("/latest.docx") == 2
    finally:
        await fetcher.close()


async def test_a_crash_between_download_and_preview_loses_nothing_and_duplicates_nothing(
    site: OfficeSite, factory: sessionmaker[Session]
) -> None:
    clock = Clock()
    site.put("/jb/", index_page([]))
    add_source(factory, site.url("/jb/"), clock)
    crashing = RecordingPort(offer_fails=True)
    watcher, fetcher = make_watcher(factory, crashing, clock)
    await watcher.tick()
    site.put("/jb/", index_page([("/jb/12.pdf", "第12期")]))
    site.put("/jb/12.pdf", issue_document(12, "pdf"), PDF)
    await tick_later(watcher, clock)
    await fetcher.close()
    assert crashing.offered == [] and seen_states(factory)[site.url("/jb/12.pdf")] == "found"

    restarted = RecordingPort()
    watcher, fetcher = make_watcher(factory, restarted, clock)
    try:
        await watcher.tick()  # nothing due: only the pending offer
        await tick_later(watcher, clock)
        assert numbers(restarted) == [12]
        assert site.downloads("/jb/12.pdf") == 1
        assert seen_states(factory)[site.url("/jb/12.pdf")] == "offered"
    finally:
        await fetcher.close()


async def test_publish_mode_imports_and_schedules_for_the_default_slot(
    site: OfficeSite, sqlite_factory: sessionmaker[Session]
) -> None:
    clock, port = Clock(dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)), RecordingPort()  # Monday 10:00 in Shanghai
    watcher, fetcher = make_watcher(sqlite_factory, port, clock)
    site.put("/jb/", index_page([]))
    add_source(sqlite_factory, site.url("/jb/"), clock, mode="publish")
    try:
        await watcher.tick()
        site.put("/jb/", index_page([("/jb/13.docx", "第13期")]))
        site.put("/jb/13.docx", issue_document(13, "docx"), DOCX)
        await tick_later(watcher, clock)
        [(url, committed)] = port.publications
        assert url == site.url("/jb/13.docx") and port.offered == []
        assert committed.stored.issue.number == 13
        assert committed.at == dt.datetime(2025, 3, 4, 1, 0, tzinfo=dt.UTC)  # Tuesday 09:00 Asia/Shanghai
        with transaction(sqlite_factory) as session:
            pushes = session.scalars(select(Push)).all()
        assert [(p.issue_id, p.scheduled_at) for p in pushes] == [(committed.stored.id, committed.at)]
        assert seen_states(sqlite_factory)[url] == SeenState.IMPORTED.value
    finally:
        await fetcher.close()


async def test_old_word_documents_are_converted_and_unreadable_ones_reported_once(
    site: OfficeSite, sqlite_factory: sessionmaker[Session]
) -> None:
    clock, port = Clock(), RecordingPort()
    watcher, fetcher = make_watcher(sqlite_factory, port, clock)
    site.put("/jb/", index_page([]))
    add_source(sqlite_factory, site.url("/jb/"), clock)
    try:
        await watcher.tick()
        site.put("/jb/", index_page([("/jb/old.doc", "第9期"), ("/jb/broken.pdf", "第14期")]))
        site.put("/jb/old.doc", DOC_FIXTURE.read_bytes(), DOC)
        site.put("/jb/broken.pdf", b"%PDF-1.4\nthis is not really a pdf", PDF)
        await tick_later(watcher, clock)
        await tick_later(watcher, clock)
        assert [(url, issue.masthead, issue.number) for url, issue, _ in port.offered] == [
            (site.url("/jb/old.doc"), "某市文化和旅游工作简报", 9)
        ]
        assert [url for url, _reason in port.unreadables] == [site.url("/jb/broken.pdf")]
        assert seen_states(sqlite_factory)[site.url("/jb/broken.pdf")] == "failed"
    finally:
        await fetcher.close()
