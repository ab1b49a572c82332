"""The website watch: poll the office's site, find new issues, offer them to the admins or publish them.

Pure decisions (what is new, when to poll next, when to alert) are functions at the top; `Watcher` is the use
case. It talks to the web through a Fetcher port (jobs/watch_fetch.py's HttpFetcher, or a test's fake) and to the
admins through a WatchPort (the bot's Telegram adapter, or a test's fake). Every step is one unit of work:

1. poll a due source (conditional GET; a 304 costs nothing more);
2. the first successful poll of a new source records what is there as its baseline, importing nothing;
3. afterwards each new link (by URL) is downloaded once; a content already seen (by SHA-256, on any source) is
   recorded as a duplicate; a new one is recorded `found` *with its bytes*, committed before anything is offered;
4. offering: found documents are parsed (bounded child process) and, in preview mode, sent to every admin as the
   desk's upload preview (nothing stored); in publish mode imported and scheduled for the next default slot, in the
   same transaction that marks them imported. A document that cannot be read goes to the admins once.

A crash between 3 and 4 loses nothing: `found` rows are offered by the next tick (of the next leader). A crash
after the preview went out but before `offered` was committed shows the preview again (at least once, never lost).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bulletin.errors import BulletinParseError
from bulletin.model import Issue
from bulletin.parser.bounded import parse_document_bounded
from bulletin.parser.limits import DEFAULT_LIMITS
from config import Config
from config.values import CalendarOverrides
from jobs.desk import Committed, DeskError, Draft, FetchError, commit_draft, default_slot, document_filename
from jobs.intake import apply_remembered
from jobs.push import PublishError, unpublish
from jobs.schedule import ScheduleError
from jobs.uow import UnitOfWork, UnitsOfWork
from jobs.watch_fetch import Response
from jobs.watch_links import Link, charset_of, classify, feed_links, index_links, media_type
from storage.types import utcnow
from storage.watch_models import SeenState
from storage.watch_repo import Found, SourceInfo, SourceSpec, WatchRepository

log = logging.getLogger(__name__)
T = TypeVar("T")

WATCH_JOB = "watch"
OFFERS_PER_TICK = 20


# ---- pure decisions


def backoff(every: dt.timedelta, failures: int, max_backoff: dt.timedelta) -> dt.timedelta:
    """How long to wait before the next poll: EVERY, doubled per failure in a row, at most MAX_BACKOFF (or EVERY
    when that is longer)."""
    if failures <= 0:
        return every
    return min(every * (2 ** min(failures, 20)), max(max_backoff, every))


def alert_change(*, failures: int, alerted: bool, ok: bool, alert_after: int) -> str | None:
    """'alert' when a source reaches ALERT_AFTER failures in a row and was not reported yet, 'recovered' when a
    reported source works again, else None. FAILURES counts this poll."""
    if ok:
        return "recovered" if alerted else None
    return "alert" if failures >= alert_after and not alerted else None


def new_links(links: Sequence[Link], seen: set[str]) -> list[Link]:
    """The links not seen before, in page order."""
    return [link for link in links if link.url not in seen]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def filename_of(response: Response) -> str:
    """A file name whose extension tells the parser the document's format."""
    name = document_filename(httpx.URL(response.url), media_type(response.content_type))
    return name or urlsplit(response.url).path.rsplit("/", 1)[-1] or "download.html"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def by_host(sources: Sequence[SourceInfo]) -> list[list[SourceInfo]]:
    """Due sources grouped by host (each group is polled one source at a time), in order of first appearance."""
    groups: defaultdict[str, list[SourceInfo]] = defaultdict(list)
    for source in sources:
        groups[host_of(source.url)].append(source)
    return list(groups.values())


def links_of(source: SourceInfo, response: Response) -> tuple[str, list[Link]]:
    """What a fetched source is ('feed', 'index' or 'document') and the items on it."""
    kind = source.kind if source.kind != "auto" else classify(response.content_type, response.body, response.url)
    if kind == "feed":
        return kind, feed_links(response.body, response.url, match=source.match)
    if kind == "document":
        return kind, [Link(source.url, "")]
    return kind, index_links(response.body, response.url, match=source.match, charset=charset_of(response.content_type))


# ---- ports


class Fetcher(Protocol):
    """GETs a URL: a Response of status 200 or 304, or FetchError."""

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response: ...


class WatchPort(Protocol):
    """How the watch reaches the admins (the bot implements it with Telegram)."""

    async def offer(self, found: Found, issue: Issue, partial: bool) -> None:
        """Preview mode: the desk's upload preview to every admin, marked with the source."""

    async def published(self, found: Found, committed: Committed) -> None:
        """Publish mode: the issue is stored and scheduled; the admins get a notice with a cancel button."""

    async def unreadable(self, found: Found, error: BulletinParseError) -> None:
        """The document could not be read: the reason and the link, to every admin."""

    async def alert(self, source: SourceInfo, error: str) -> None:
        """The source failed [watch] alert_after times in a row."""

    async def recovered(self, source: SourceInfo) -> None:
        """A reported source works again."""


@dataclass(frozen=True)
class WatchSettings:
    """[watch] and what the watch needs of [push] (the default slot of publish mode)."""

    alert_after: int = 3
    max_backoff: dt.timedelta = dt.timedelta(hours=6)
    check_every: float = 30.0
    tz_name: str = "Asia/Shanghai"
    default_time: dt.time = dt.time(9, 0)
    calendar: CalendarOverrides = field(default_factory=CalendarOverrides)
    # Hosts polled at once (each host one source at a time).
    hosts_at_once: int = 4

    @classmethod
    def from_config(cls, config: Config) -> WatchSettings:
        watch = config.watch
        return cls(
            alert_after=watch.alert_after, max_backoff=watch.max_backoff,
            check_every=watch.check_every.total_seconds(), tz_name=config.push.timezone.key,
            default_time=config.push.default_time, calendar=config.push.calendar,
        )


def specs_of(config: Config) -> list[SourceSpec]:
    """The config's [[watch.sources]] as source specs."""
    return [SourceSpec(s.url, s.every, s.match, s.mode, s.kind) for s in config.watch.sources]


Parse = Callable[[bytes, str], Issue]


@dataclass
class PollReport:
    """What one poll of a source did."""

    source_id: int
    ok: bool = False
    unchanged: bool = False
    baseline: int = 0
    found: int = 0
    duplicates: int = 0
    error: str = ""


class Watcher:
    """Polls due sources and offers what they brought (see the module docstring)."""

    def __init__(
        self, factory: sessionmaker[Session], fetcher: Fetcher, port: WatchPort | None, settings: WatchSettings, *,
        clock: Callable[[], dt.datetime] = utcnow, parse: Parse | None = None,
    ) -> None:
        self.factory = factory
        self.fetcher = fetcher
        self.port = port
        self.settings = settings
        self.clock = clock
        self.parse: Parse = parse or (lambda data, name: parse_document_bounded(data, name, DEFAULT_LIMITS))

    async def in_repo(self, work: Callable[[WatchRepository], T]) -> T:
        """WORK(the watch repository) in one unit of work (one transaction, in a worker thread)."""
        return await UnitsOfWork(self.factory).run(lambda u: work(u.watch))

    async def in_unit(self, work: Callable[[UnitOfWork], T]) -> T:
        """WORK(unit of work) in one transaction, in a worker thread."""
        return await UnitsOfWork(self.factory).run(work)

    async def sync(self, specs: Sequence[SourceSpec]) -> tuple[int, int]:
        """Make the config's sources the database's (at start)."""
        now = self.clock()
        return await self.in_repo(lambda r: r.sync(specs, now))

    # -- the timed job

    async def tick(self) -> list[PollReport]:
        """Poll every due source (hosts side by side, one source at a time per host), then offer what was found."""
        now = self.clock()
        due = await self.in_repo(lambda r: r.due(now))
        reports: list[PollReport] = []
        if due:
            gate = asyncio.Semaphore(self.settings.hosts_at_once)

            async def host_run(group: list[SourceInfo]) -> None:
                async with gate:
                    for source in group:
                        reports.append(await self.poll(source))

            await asyncio.gather(*(host_run(g) for g in by_host(due)))
        if self.port is not None:
            await self.offer_pending()
        return reports

    # -- polling one source

    async def poll(self, source: SourceInfo) -> PollReport:
        """One poll of SOURCE; never raises (a failure is counted, backed off and, after alert_after, reported)."""
        report = PollReport(source.id)
        response: Response | None = None
        try:
            response = await self.fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
            if response.status == 304:
                report.unchanged = True
            else:
                await self._take(source, response, report)
            report.ok = not report.error
        except FetchError as exc:
            report.error = f"{source.url}: {exc}"
        kept = response if report.ok and not report.unchanged else None
        await self._record(source, report, kept)
        return report

    async def _take(self, source: SourceInfo, response: Response, report: PollReport) -> None:
        # In a thread: an index page may be up to [watch] max_mb of HTML, too much to parse on the event loop.
        kind, links = await asyncio.to_thread(links_of, source, response)
        now = self.clock()
        if kind == "document":
            await self._take_document(source, source.url, "", response, report, primed=source.primed)
            return
        seen = await self.in_repo(lambda r: r.seen_urls(source.id))
        fresh = new_links(links, seen)
        if not source.primed:
            items = [(link.url, link.title, link.published) for link in fresh]
            report.baseline = await self.in_repo(lambda r: r.record_many(source.id, items, SeenState.BASELINE, now))
            return
        for link in fresh:
            try:
                document = await self.fetcher.get(link.url)
            except FetchError as exc:
                # Not recorded: tried again at the next poll (the index's validators are not kept, so it is read
                # again); the poll counts as failed, and the admins hear of it when it lasts. The others go on.
                report.error = "; ".join(e for e in (report.error, f"{link.url}: {exc}") if e)
                continue
            await self._take_document(source, link.url, link.title, document, report, primed=True,
                                      published=link.published)

    async def _take_document(
        self, source: SourceInfo, url: str, title: str, response: Response, report: PollReport, *, primed: bool,
        published: str | None = None,
    ) -> None:
        digest = sha256(response.body)
        now = self.clock()
        name = filename_of(response)

        def record(r: WatchRepository) -> str:
            if r.hash_seen(digest):
                if url in r.seen_urls(source.id):
                    return "same"  # a single document that did not change (served without validators)
                r.record(source.id, url, SeenState.DUPLICATE, now, title=title, sha256=digest, published=published)
                return "duplicate"
            if not primed:
                r.record(source.id, url, SeenState.BASELINE, now, title=title, sha256=digest, published=published)
                return "baseline"
            r.record(source.id, url, SeenState.FOUND, now, title=title, sha256=digest, filename=name,
                     data=response.body, published=published)
            return "found"

        outcome = await self.in_repo(record)
        if outcome == "found":
            report.found += 1
            log.info("watch: new document %s on %s", url, source.url)
        elif outcome == "duplicate":
            report.duplicates += 1
        elif outcome == "baseline":
            report.baseline += 1

    async def _record(self, source: SourceInfo, report: PollReport, response: Response | None) -> None:
        now = self.clock()
        failures = 0 if report.ok else source.failures + 1
        change = alert_change(failures=failures, alerted=source.alerted, ok=report.ok,
                              alert_after=self.settings.alert_after)
        next_at = now + backoff(source.every, failures, self.settings.max_backoff)
        alerted = {"alert": True, "recovered": False}.get(change or "", None)

        def record(r: WatchRepository) -> None:
            r.polled(
                source.id, now=now, next_at=next_at, ok=report.ok, error=report.error,
                etag=response.etag if response is not None else None,
                last_modified=response.last_modified if response is not None else None,
                keep_validators=response is None, alerted=alerted, primed=True if report.ok else None,
            )

        await self.in_repo(record)
        if not report.ok:
            log.warning("watch: %s failed (%s in a row): %s", source.url, failures, report.error)
        if change is not None and self.port is not None:
            fresh = await self.in_repo(lambda r: r.get(source.id))
            if fresh is not None:
                try:
                    if change == "alert":
                        await self.port.alert(fresh, report.error)
                    else:
                        await self.port.recovered(fresh)
                except Exception:
                    log.exception("watch: could not tell the admins about %s", source.url)

    # -- offering what was found

    async def offer_pending(self) -> int:
        """Offer (or publish) the documents found and not yet offered; how many were handled."""
        assert self.port is not None
        pending = await self.in_repo(lambda r: r.pending(OFFERS_PER_TICK))
        for found in pending:
            try:
                await self._offer(found)
            except Exception:
                # Left in 'found': offered again at the next tick.
                log.exception("watch: offering %s failed; trying again later", found.url)
        return len(pending)

    async def _offer(self, found: Found) -> None:
        assert self.port is not None
        partial = False
        try:
            issue = await asyncio.to_thread(self.parse, found.data, found.filename)
        except BulletinParseError as exc:
            if exc.code != "not_bulletin" or exc.partial is None:
                await self.port.unreadable(found, exc)
                await self._finish(found, SeenState.FAILED, note=f"{exc.code}: {exc}")
                return
            issue, partial = exc.partial, True
        if found.mode == "publish" and not partial:
            committed = await self._publish(found, issue)
            if committed is not None:
                await self.port.published(found, committed)
                return
        await self.port.offer(found, issue, partial)
        await self._finish(found, SeenState.OFFERED)

    async def _finish(self, found: Found, state: SeenState, note: str | None = None) -> None:
        now = self.clock()
        await self.in_repo(lambda r: r.finish(found.id, state, now, note=note, only_from=SeenState.FOUND))

    async def _publish(self, found: Found, issue: Issue) -> Committed | None:
        """Import and schedule for the next default slot, marking the document imported in the same transaction;
        None when it cannot be published unattended (a conflict, already pushed): it is then offered as a preview."""
        now = self.clock()
        try:
            at: dt.datetime | None = default_slot(
                now, ZoneInfo(self.settings.tz_name), self.settings.default_time, self.settings.calendar
            ).at_utc
        except ScheduleError:
            at = None

        def work(u: UnitOfWork) -> Committed | None:
            taken = apply_remembered(u, issue)
            draft = Draft(taken.issue, f"watch: {found.url}", 0, parsed_masthead=issue.masthead)
            try:
                committed = commit_draft(u, draft, at=at, now=now, actor_id=None)
            except DeskError as exc:
                log.info("watch: %s not published unattended (%s); offering it instead", found.url, exc.code)
                return None
            u.watch.finish(found.id, SeenState.IMPORTED, now, issue_id=committed.stored.id, only_from=SeenState.FOUND)
            return committed

        return await self.in_unit(work)


async def run_once(watcher: Watcher, source_ids: Sequence[int] | None = None) -> list[PollReport]:
    """Poll the given sources (all when None) now, whatever their schedule (`watch run --once`); offer what was
    found when the watcher has a port."""
    sources = [s for s in await watcher.in_repo(lambda r: r.all()) if source_ids is None or s.id in source_ids]
    reports: list[PollReport] = []

    async def host_run(group: list[SourceInfo]) -> None:
        for source in group:
            reports.append(await watcher.poll(source))

    await asyncio.gather(*(host_run(g) for g in by_host(sources)))
    if watcher.port is not None:
        await watcher.offer_pending()
    return reports


def cancel_publication(uow: UnitOfWork, issue_id: int, *, actor_id: int, now: dt.datetime) -> Issue:
    """The cancel button of publish mode: cancel the issue's scheduled push (PublishError when it has started or
    there is none); audited. The issue stays in the archive."""
    stored = uow.issues.get(issue_id)
    if stored is None:
        raise PublishError("this issue no longer exists")
    push = unpublish(uow, issue_id, now)
    uow.audit.record(actor_id=actor_id, action="unpublish", issue_id=issue_id,
                     detail=f"push #{push.id} cancelled from the website watch's notice")
    return stored.issue
