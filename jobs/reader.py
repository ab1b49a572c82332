"""Use cases of the web reader and of inline search: who may read what, listings, sign-in links.

Each function is the work of one unit of work (jobs/uow.py); the decisions (may_read, paging) are pure.
Internal issues (内部资料) reach only active subscribers, whatever the reader's `public` setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from jobs.uow import UnitOfWork
from storage.archive import IssueHeader, SearchHit, StoredIssue
from storage.publications import Publication

ISSUES_PER_PAGE = 20
HITS_PER_PAGE = 10
MAX_QUERY_CHARS = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Viewer:
    """Who asks: a Telegram chat id when signed in or inside the Mini App (None: anonymous), and whether that chat
    is an active subscriber at this moment."""

    chat_id: int | None
    subscriber: bool


ANONYMOUS = Viewer(None, False)


def may_read(*, internal: bool, viewer: Viewer, public: bool) -> bool:
    """Whether VIEWER may see an issue: subscribers see everything; others only non-internal issues of a public
    reader."""
    return viewer.subscriber or (public and not internal)


def may_enter(viewer: Viewer, public: bool) -> bool:
    """Whether VIEWER may see the reader's pages at all (a private reader is for subscribers only)."""
    return viewer.subscriber or public


def viewer_of(u: UnitOfWork, chat_id: int | None) -> Viewer:
    """The Viewer for CHAT_ID, looked up among the subscribers now (an unsubscribed user loses access at once)."""
    if chat_id is None:
        return ANONYMOUS
    return Viewer(chat_id, u.reader.is_active_subscriber(chat_id))


@dataclass(frozen=True)
class Shelf:
    """One publication on the reader's home page: how many issues it has and the date of its newest."""

    publication: Publication
    issues: int
    newest_date: dt.date | None


@dataclass(frozen=True)
class IssueListing:
    """One page of one publication's issues."""

    publication: Publication
    issues: list[IssueHeader]
    internal: set[int]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // ISSUES_PER_PAGE))


def publications(u: UnitOfWork) -> list[Shelf]:
    """Every publication that has issues (with its short name and aliases), the one with the newest issue first."""
    known = {p.id: p for p in u.publications.all()}
    return [
        Shelf(known[c.publication_id], c.issues, c.newest_date)
        for c in u.reader.publication_issues() if c.publication_id in known
    ]


def issue_listing(u: UnitOfWork, publication_id: int, page: int) -> IssueListing | None:
    """Page PAGE (1-based) of publication PUBLICATION_ID's issues, with which of them are internal; None when there
    is no such publication."""
    publication = u.publications.get(publication_id)
    if publication is None:
        return None
    page = min(max(1, page), MAX_PAGE)
    headers, total = u.issues.counted_page(
        (page - 1) * ISSUES_PER_PAGE, ISSUES_PER_PAGE, publication_id=publication_id
    )
    internal = u.reader.internal_ids(h.id for h in headers)
    return IssueListing(publication, headers, internal, total, page)


def publication_named(u: UnitOfWork, name: str) -> int | None:
    """The id of the publication NAME names (its masthead, an alias or its short name): what the reader's old
    per-masthead addresses are redirected by."""
    found = u.publications.named(name)
    return found.id if found is not None else None


@dataclass(frozen=True)
class IssueRead:
    """A stored issue with its mark and its neighbours in the archive's newest-first order."""

    stored: StoredIssue
    internal: bool
    previous_id: int | None
    # The issue's publication (short name, masthead): read for the issue page only.
    publication: Publication | None = None


class IssueCache:
    """Recently read issues of one process, each kept with the version (updated_at) it was read at.

    Not state the reader depends on: every use checks the copy against the database's current version in the
    request's unit of work (one indexed read instead of three queries that load the issue, its 要目 and its
    articles), so processes never disagree and a replaced issue is read again at once.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._issues: OrderedDict[int, tuple[dt.datetime, StoredIssue]] = OrderedDict()
        self._lock = threading.Lock()  # units of work run in worker threads

    def get(self, issue_id: int, version: dt.datetime) -> StoredIssue | None:
        with self._lock:
            held = self._issues.get(issue_id)
            if held is None or held[0] != version:
                return None
            self._issues.move_to_end(issue_id)
            return held[1]

    def put(self, stored: StoredIssue, version: dt.datetime) -> None:
        with self._lock:
            self._issues[stored.id] = (version, stored)
            self._issues.move_to_end(stored.id)
            while len(self._issues) > self._size:
                self._issues.popitem(last=False)


def read_issue(
    u: UnitOfWork, issue_id: int, *, previous: bool = True, cache: IssueCache | None = None
) -> IssueRead | None:
    """Issue ISSUE_ID with its mark (and, with PREVIOUS, the next-older issue's id and the issue's publication), or
    None when there is none; through CACHE when given (checked against the issue's current version first)."""
    version = u.reader.version(issue_id)
    if version is None:
        return None
    updated_at, internal = version
    stored = cache.get(issue_id, updated_at) if cache is not None else None
    if stored is None:
        stored = u.issues.get(issue_id)
        if stored is None:
            return None
        if cache is not None:
            cache.put(stored, updated_at)
    # The next-older issue and the publication cost queries of their own; an article page does not link to them.
    if not previous:
        return IssueRead(stored, internal, None)
    publication = u.publications.get(stored.publication_id) if stored.publication_id is not None else None
    return IssueRead(stored, internal, u.issues.previous_id(issue_id), publication)


@dataclass(frozen=True)
class HitsPage:
    """Search hits the viewer may see, and where the next page starts (None: no more)."""

    hits: list[SearchHit]
    internal: set[int]
    total: int
    next_offset: int | None


def search(u: UnitOfWork, query: str, *, offset: int, limit: int, include_internal: bool) -> HitsPage:
    """The archive's search (the bot's), LIMIT hits from OFFSET; internal issues' hits dropped unless asked for.

    Offsets count the search's own hits, dropped ones included, so pages never overlap or skip, whatever is
    dropped (a page may then hold fewer than LIMIT hits).
    """
    offset = max(0, offset)
    found = u.issues.search(query[:MAX_QUERY_CHARS], offset=offset, limit=limit)
    internal = u.reader.internal_ids(h.issue_id for h in found.hits)
    hits = found.hits if include_internal else [h for h in found.hits if h.issue_id not in internal]
    more = offset + limit < found.total
    return HitsPage(hits, internal, found.total, offset + limit if more else None)


# --- one-time sign-in links (/web)


def token_hash(token: str) -> str:
    """The stored form of a sign-in token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_signin(u: UnitOfWork, chat_id: int, *, now: dt.datetime, ttl: dt.timedelta) -> str | None:
    """A new one-time sign-in token for CHAT_ID, or None when CHAT_ID is not an active subscriber."""
    if not viewer_of(u, chat_id).subscriber:
        return None
    token = secrets.token_urlsafe(32)
    u.signins.create(token_hash(token), chat_id, now=now, ttl=ttl)
    return token


def consume_signin(u: UnitOfWork, token: str, *, now: dt.datetime) -> Viewer | None:
    """The viewer a sign-in TOKEN opens (once; unexpired; still a subscriber), or None."""
    if not token or len(token) > 100:
        return None
    chat_id = u.signins.consume(token_hash(token), now=now)
    if chat_id is None:
        return None
    viewer = viewer_of(u, chat_id)
    return viewer if viewer.subscriber else None
