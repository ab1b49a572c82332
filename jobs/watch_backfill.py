"""`watch backfill SOURCE [--since DATE]`: import a source's history on purpose (the first poll only recorded it).

Each item that is in the source's baseline (or not seen at all) and, with SINCE, carries a date on or after it
(a feed's date, or a date in the link text or URL; undated items are skipped then) is downloaded once, parsed in the
bounded child and stored in the archive without a push, in one transaction with its seen record (imported). A
document whose content was seen before is not imported twice; one that cannot be read is recorded as failed with
the reason. Runs from the command line; the progress callback drives its progress bar.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bulletin.corrections import identifiable
from bulletin.errors import BulletinParseError
from jobs.desk import FetchError
from jobs.intake import apply_remembered
from jobs.uow import UnitOfWork
from jobs.watch import Watcher, filename_of, links_of, sha256
from jobs.watch_fetch import Response
from jobs.watch_links import Link, item_date
from storage.archive import ImportOutcome
from storage.watch_models import SeenState
from storage.watch_repo import SourceInfo, WatchRepository


@dataclass
class BackfillReport:
    """What a backfill did, with one line per item that was not imported."""

    candidates: int = 0
    imported: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0
    skipped_undated: int = 0
    problems: list[str] = field(default_factory=list)


def choose(links: list[Link], baseline: set[str], seen: set[str], since: dt.date | None) -> tuple[list[Link], int]:
    """The items to import (baseline or unseen, on or after SINCE) and how many were skipped for having no date."""
    chosen: list[Link] = []
    undated = 0
    for link in links:
        if link.url in seen and link.url not in baseline:
            continue
        if since is not None:
            day = item_date(link)
            if day is None:
                undated += 1
                continue
            if day < since:
                continue
        chosen.append(link)
    return chosen, undated


async def backfill(
    watcher: Watcher, source: SourceInfo, *, since: dt.date | None, progress: Callable[[int, int], None],
) -> BackfillReport:
    """Import SOURCE's history (see the module docstring); PROGRESS(done, total) after each item."""
    report = BackfillReport()
    response = await watcher.fetcher.get(source.url)
    if response.status != 200:
        raise FetchError("status", f"HTTP {response.status}")
    _kind, links = links_of(source, response)
    baseline = {i.url for i in await watcher.in_repo(lambda r: r.in_state(source.id, SeenState.BASELINE))}
    seen = await watcher.in_repo(lambda r: r.seen_urls(source.id))
    chosen, report.skipped_undated = choose(links, baseline, seen, since)
    report.candidates = len(chosen)
    progress(0, len(chosen))
    for done, link in enumerate(chosen, 1):
        await _one(watcher, source, link, response if link.url == source.url else None, report)
        progress(done, len(chosen))
    return report


async def _one(
    watcher: Watcher, source: SourceInfo, link: Link, fetched: Response | None, report: BackfillReport
) -> None:
    try:
        document = fetched if fetched is not None else await watcher.fetcher.get(link.url)
    except FetchError as exc:
        report.failed += 1
        report.problems.append(f"{link.url}: {exc}")
        return
    digest = sha256(document.body)
    name = filename_of(document)
    now = watcher.clock()
    if await watcher.in_repo(lambda r: r.hash_seen(digest) and link.url not in r.seen_urls(source.id)):
        await watcher.in_repo(lambda r: r.record(source.id, link.url, SeenState.DUPLICATE, now, title=link.title,
                                             sha256=digest, published=link.published))
        report.duplicates += 1
        return
    try:
        issue = await asyncio.to_thread(watcher.parse, document.body, name)
    except BulletinParseError as exc:
        note = f"{exc.code}: {exc}"
        await watcher.in_repo(lambda r: _failed(r, source, link, digest, now, note))
        report.failed += 1
        report.problems.append(f"{link.url}: {exc}")
        return

    def store(u: UnitOfWork) -> ImportOutcome | str:
        taken = apply_remembered(u, issue)
        if not identifiable(taken.issue):
            return "no issue number or date"
        stored, outcome = u.issues.add(taken.issue)
        if outcome is ImportOutcome.CONFLICT:
            return "already stored with different content (import it with --replace to change it)"
        repo = u.watch
        repo.record(source.id, link.url, SeenState.IMPORTED, now, title=link.title, sha256=digest,
                    published=link.published)
        seen_id = repo.seen_id(source.id, link.url)
        if seen_id is not None:
            repo.finish(seen_id, SeenState.IMPORTED, now, issue_id=stored.id)
        if outcome is ImportOutcome.ADDED:
            u.audit.record(actor_id=None, action="import", issue_id=stored.id,
                               detail=f"watch backfill: {link.url}"[:1000])
        return outcome

    result = await watcher.in_unit(store)
    if isinstance(result, str):
        await watcher.in_repo(lambda r: _failed(r, source, link, digest, now, result))
        report.failed += 1
        report.problems.append(f"{link.url}: {result}")
    elif result is ImportOutcome.UNCHANGED:
        report.unchanged += 1
    else:
        report.imported += 1


def _failed(r: WatchRepository, source: SourceInfo, link: Link, digest: str, now: dt.datetime, note: str) -> None:
    r.record(source.id, link.url, SeenState.FAILED, now, title=link.title, sha256=digest, published=link.published)
    seen_id = r.seen_id(source.id, link.url)
    if seen_id is not None:
        r.finish(seen_id, SeenState.FAILED, now, note=note)
