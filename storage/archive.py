"""The archive repository: stored issues, their articles, and search over them. Never commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased, selectinload

from bulletin.model import Article, Issue, TocEntry
from storage import textindex
from storage.issue_cache import IssueCache
from storage.models import ArticleRow, IssueRow, TocEntryRow
from storage.publications import publication_id_for
from storage.publishing_models import IssueMark
from storage.rows import issue_of
from storage.search import COUNT_CAP, SearchHit, SearchPage, search
from storage.types import utcnow

__all__ = ["COUNT_CAP", "SearchHit", "SearchPage"]  # re-exported: callers import the search results from the archive


def date_key(date: dt.date | None) -> int:
    """IssueRow.date_key of an issue dated DATE: its ordinal, 0 when unknown (undated issues sort last)."""
    return date.toordinal() if date is not None else 0


@dataclass(frozen=True)
class StoredIssue:
    """An issue as stored: its database id and the issue (articles in order, positions 1-based)."""

    id: int
    issue: Issue
    publication_id: int | None = None

    @property
    def ref(self) -> str:
        """How to name this issue to IssueRepository.resolve (see issue_ref)."""
        i = self.issue
        return issue_ref(self.id, year=i.year, number=i.number, total_number=i.total_number, date=i.date)


def issue_ref(
    issue_id: int, *, year: int | None, number: int | None, total_number: int | None, date: dt.date | None
) -> str:
    """How to name an issue to IssueRepository.resolve: '2023-1', else the cumulative number, else the date of a
    dated report ('2022-07-05'), else '#id'."""
    if number is None:
        return date.isoformat() if date is not None else f"#{issue_id}"
    if year is not None:
        return f"{year}-{number}"
    if total_number is not None:
        return str(total_number)
    return f"#{issue_id}"


@dataclass(frozen=True)
class IssueHeader:
    """A stored issue without its contents, for listings: ISSUE has the identity fields (masthead, year, number,
    cumulative number, publisher, date) and footer, but its toc and articles are empty because they are not loaded."""

    id: int
    issue: Issue
    publication_id: int | None = None

    @property
    def ref(self) -> str:
        """How to name this issue to IssueRepository.resolve (see issue_ref)."""
        i = self.issue
        return issue_ref(self.id, year=i.year, number=i.number, total_number=i.total_number, date=i.date)


class ImportOutcome(enum.Enum):
    """What storing an issue did."""

    ADDED = "added"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    # Same identity already stored with different content and replace=False: nothing was written.
    CONFLICT = "conflict"


_Select = TypeVar("_Select", bound="Select[*tuple[Any, ...]]")

_REF_YEAR_NUMBER = re.compile(r"(\d{1,4})\s*-\s*(\d{1,4})")
_REF_TOTAL = re.compile(r"\d{1,6}")
_REF_ID = re.compile(r"#(\d{1,12})")
_REF_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def ref_date(ref: str) -> dt.date | None:
    """The date REF names ('2022-07-05'), or None when REF is not a date."""
    m = _REF_DATE.fullmatch(textindex.fold(ref.strip()))
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _to_issue(row: IssueRow) -> Issue:
    return issue_of(
        row,
        toc=tuple(TocEntry(title=e.title, section=e.section) for e in row.toc_entries),
        articles=tuple(Article(title=a.title, paragraphs=_paragraphs(a.body)) for a in row.articles),
        footer=tuple(row.footer),
        warnings=tuple(row.warnings),
        marks=tuple(row.marks),
    )


def _paragraphs(body: str) -> tuple[str, ...]:
    """The paragraphs of a stored body (paragraphs joined by newlines)."""
    return tuple(body.split("\n")) if body else ()


class IssueRepository:
    """Stored issues and search; the caller owns the transaction."""

    def __init__(self, session: Session, cache: IssueCache | None = None) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name
        # With a cache, get/resolve/latest read only the row's id and version (with its previous issue and internal
        # mark, see context) and load the contents on a miss.
        self._cache = cache
        # What the version reads of this unit of work said of each issue: (previous issue id, internal), and its
        # version where a read of headers (resolve_all) brought it, so that get() need not read it again.
        self._context: dict[int, tuple[int | None, bool]] = {}
        self._versions: dict[int, dt.datetime | None] = {}

    # -- reading -------------------------------------------------------------------------------------------------

    def _select(self) -> Select[IssueRow]:
        return select(IssueRow).options(selectinload(IssueRow.toc_entries), selectinload(IssueRow.articles))

    @staticmethod
    def _order_key() -> tuple[Any, ...]:
        # Newest first is all of these descending: date (undated last), year (unknown last), number, id. They are
        # the columns of ix_issues_newest_first, so the order, an offset and a row-value comparison with one issue's
        # key (the next-older issue) are read off the index without sorting.
        return (IssueRow.date_key, IssueRow.year_key, IssueRow.number_key, IssueRow.id)

    def _newest_first(self, stmt: _Select) -> _Select:
        return stmt.order_by(*(key.desc() for key in self._order_key()))

    @staticmethod
    def _stored(row: IssueRow) -> StoredIssue:
        return StoredIssue(id=row.id, issue=_to_issue(row), publication_id=row.publication_id)

    def refs(self, issue_ids: Iterable[int]) -> dict[int, str]:
        """The reference (StoredIssue.ref) of each stored issue among ISSUE_IDS, without loading their contents."""
        wanted = set(issue_ids)
        if not wanted:
            return {}
        rows = self._session.execute(
            select(IssueRow.id, IssueRow.year, IssueRow.number, IssueRow.total_number, IssueRow.date)
            .where(IssueRow.id.in_(wanted))
        )
        return {
            row.id: issue_ref(row.id, year=row.year, number=row.number, total_number=row.total_number, date=row.date)
            for row in rows
        }

    def get(self, issue_id: int) -> StoredIssue | None:
        """The issue with database id ISSUE_ID, if any."""
        if self._cache is not None:
            if issue_id in self._versions:  # this unit's resolve_all read its version and context already
                return self._kept_or_loaded(self._session.connection(), issue_id, self._versions[issue_id])
            return self._cached(_statements().get, {"issue_id": issue_id})
        row = self._session.scalar(self._select().where(IssueRow.id == issue_id))
        return self._stored(row) if row else None

    def _cached(self, stmt: Any, params: Mapping[str, Any]) -> StoredIssue | None:
        """The issue of the row STMT (a statement of _READ_COLUMNS) selects: from the cache when kept at that
        version, else loaded (and kept under the version it was loaded with); its previous issue and internal mark
        are kept for context()."""
        assert self._cache is not None
        # Core on the session's connection: the ORM's execution path cost more CPU than the indexed read itself.
        connection = self._session.connection()
        found = connection.execute(stmt, params).first()
        if found is None:
            return None
        issue_id, version, previous_id, internal = found
        self._context[issue_id] = (previous_id, bool(internal))
        return self._kept_or_loaded(connection, issue_id, version)

    def _kept_or_loaded(self, connection: Connection, issue_id: int, version: dt.datetime | None) -> StoredIssue | None:
        """Issue ISSUE_ID from the cache when kept at VERSION, else loaded (and kept at the version it was loaded
        with)."""
        assert self._cache is not None
        if version is not None and (hit := self._cache.get(issue_id, version)) is not None:
            return hit
        loaded = _load(connection, issue_id)
        if loaded is None:
            return None
        stored, loaded_version = loaded
        if loaded_version is not None:
            self._cache.put(loaded_version, stored)
        return stored

    def context(self, issue_id: int) -> tuple[int | None, bool]:
        """(the id of the previous issue, whether it is marked internal) of stored issue ISSUE_ID, as the read that
        found it in this unit of work saw them (read now when it was not found that way)."""
        known = self._context.get(issue_id)
        if known is not None:
            return known
        return self.previous_id(issue_id), self.is_internal(issue_id)

    def is_internal(self, issue_id: int) -> bool:
        """Whether stored issue ISSUE_ID is marked internal (内部资料), as context() gives it."""
        known = self._context.get(issue_id)
        if known is not None:
            return known[1]
        return bool(self._session.scalar(select(IssueMark.internal).where(IssueMark.issue_id == issue_id)))

    def find(
        self, masthead: str, year: int | None, number: int | None, date: dt.date | None = None
    ) -> StoredIssue | None:
        """The issue with this identity, if stored: masthead, year and number; masthead and DATE when NUMBER is None."""
        row = self._session.scalar(self._select().where(*_identity(visible(masthead), year, number, date)))
        return self._stored(row) if row else None

    def find_same(self, issue: Issue) -> StoredIssue | None:
        """The stored issue with ISSUE's identity, if any."""
        return self.find(issue.masthead, issue.year, issue.number, issue.date)

    def on_date(self, date: dt.date, limit: int = 20, *, publication_id: int | None = None) -> list[IssueHeader]:
        """Issues dated DATE (numbered or not), newest first (at most LIMIT); of PUBLICATION_ID only when given."""
        stmt = _of(select(*_HEADER_COLUMNS).where(IssueRow.date_key == date_key(date)), publication_id)
        return [_header_of(row) for row in self._session.execute(self._newest_first(stmt).limit(limit))]

    def resolve(self, ref: str, *, publication_id: int | None = None) -> StoredIssue | None:
        """The issue named by REF: '2023-1' (year-number), '1' (cumulative number), '2022-07-05' (date) or '#7'
        (id); newest wins (on_date lists every issue of a date); of PUBLICATION_ID only when given."""
        conditions = _ref_conditions(ref)
        if conditions is None:
            return None
        if self._cache is not None:
            kind, params = conditions
            return self._cached(_statements().resolve(kind, publication_id is not None),
                                {**params, "publication_id": publication_id})
        kind, params = conditions
        stmt = _of(self._select().where(*_kind_where(kind)), publication_id)
        row = self._session.scalar(self._newest_first(stmt).limit(1), params)
        return self._stored(row) if row else None

    def exact_ref(self, header: IssueHeader, names: Mapping[int, str] | None = None) -> str:
        """A reference that names HEADER's issue and no other (see exact_refs)."""
        return self.exact_refs([header], names)[header.id]

    def exact_refs(self, headers: Sequence[IssueHeader], names: Mapping[int, str] | None = None) -> dict[int, str]:
        """A reference naming each of HEADERS (by id) and no other issue, in one statement: its ref when that
        names it alone; else, when the ref names it alone in its own publication (2024-6 of the 简报 and of the
        专报) and NAMES gives that publication a one-word name, the name and the ref ('简报 2024-6', as /issue and
        /article take them); else '#id'. Every issue any of their refs names is read."""
        named: dict[int, tuple[str, dict[str, Any]]] = {}
        for header in headers:
            conditions = _ref_conditions(header.ref)
            if conditions is not None:
                named[header.id] = conditions
        rows: list[Any] = []
        if named:
            kinds = tuple(kind for kind, _ in named.values())
            params = {f"{key}_{n}": value for n, (_, p) in enumerate(named.values()) for key, value in p.items()}
            rows = list(self._session.connection().execute(_named_by(kinds), params))
        exact: dict[int, str] = {}
        for header in headers:
            conditions = named.get(header.id)
            others = [row for row in rows if conditions is not None and _names(conditions, row)]
            name = (names or {}).get(header.publication_id or 0, "")
            own = {row.id for row in others if row.publication_id == header.publication_id}
            if {row.id for row in others} == {header.id}:
                exact[header.id] = header.ref
            elif own == {header.id} and _one_word_name(name):
                exact[header.id] = f"{name} {header.ref}"
            else:
                exact[header.id] = f"#{header.id}"
        return exact

    def resolve_all(self, ref: str, limit: int = 20) -> list[IssueHeader]:
        """Every issue REF names across publications (at most LIMIT, newest first), each with its publication: more
        than one means REF is ambiguous without a publication."""
        conditions = _ref_conditions(ref)
        if conditions is None:
            return []
        return self._headers(*conditions, None, limit)

    def numbered(self, ref: str, *, publication_id: int | None = None, limit: int = 20) -> list[IssueHeader]:
        """When REF is a bare number N ('7'), the issues numbered N in their year (第N期 of any year, of
        PUBLICATION_ID when given), newest first, at most LIMIT; else none. resolve() reads a bare number as the
        cumulative number (总第N期), which many bulletins do not print: this is what a reader who typed the number
        they saw in an issue line ('2024年第7期') meant."""
        conditions = _ref_conditions(ref)
        if conditions is None or conditions[0] != "total":
            return []
        return self._headers("number", {"number": conditions[1]["total_number"]}, publication_id, limit)

    def _headers(self, kind: str, params: dict[str, Any], publication_id: int | None, limit: int) -> list[IssueHeader]:
        statement = _statements().resolve_all(kind, publication_id is not None)
        rows = self._session.connection().execute(
            statement, {**params, "publication_id": publication_id, "limit": limit}
        )
        headers = []
        for row in rows:
            # The version and context columns follow the header's: get() of one of these reads nothing more.
            version, previous_id, internal = row[len(_HEADER_COLUMNS) :]
            self._context[row.id] = (previous_id, bool(internal))
            self._versions[row.id] = version
            headers.append(_header_of(row))
        return headers

    def latest(self, *, publication_id: int | None = None) -> StoredIssue | None:
        """The newest issue (of PUBLICATION_ID when given), if any."""
        if self._cache is not None:
            return self._cached(_statements().latest(publication_id is not None), {"publication_id": publication_id})
        page = self.page(0, 1, publication_id=publication_id)
        return page[0] if page else None

    def page(self, offset: int, limit: int, *, publication_id: int | None = None) -> list[StoredIssue]:
        """Issues newest first: date desc, year desc, number desc, id desc (of PUBLICATION_ID when given)."""
        stmt = _of(self._select(), publication_id)
        rows = self._session.scalars(self._newest_first(stmt).offset(offset).limit(limit))
        return [self._stored(row) for row in rows]

    def page_headers(self, offset: int, limit: int, *, publication_id: int | None = None) -> list[IssueHeader]:
        """Like page, without the contents (no 要目 entries, no articles): what a list of issues shows."""
        stmt = _statements().page_headers(publication_id is not None)
        params = {"offset": offset, "limit": limit, "publication_id": publication_id}
        return [_header_of(row) for row in self._session.connection().execute(stmt, params)]

    def counted_page(
        self, offset: int, limit: int, *, publication_id: int | None = None
    ) -> tuple[list[IssueHeader], int]:
        """page_headers and count in one statement (one round trip less for /issues); the count alone when the page
        is past the end."""
        stmt = _statements().counted_page(publication_id is not None)
        params = {"offset": offset, "limit": limit, "publication_id": publication_id}
        rows = self._session.connection().execute(stmt, params).all()
        if not rows:
            return [], self.count(publication_id=publication_id)
        return [_header_of(row) for row in rows], int(rows[0][len(_HEADER_COLUMNS)])

    def count(self, *, publication_id: int | None = None) -> int:
        """How many issues are stored (of PUBLICATION_ID when given)."""
        stmt = _statements().count(publication_id is not None)
        return self._session.connection().execute(stmt, {"publication_id": publication_id}).scalar() or 0

    def previous(self, issue_id: int) -> StoredIssue | None:
        """The next-older issue than ISSUE_ID in newest-first order, if any."""
        previous_id = self.previous_id(issue_id)
        return self.get(previous_id) if previous_id is not None else None

    def previous_id(self, issue_id: int) -> int | None:
        """The id of the next-older issue of the same publication than ISSUE_ID in newest-first order, if any
        (nothing else is loaded)."""
        return self._session.connection().execute(_previous_id_statement(), {"issue_id": issue_id}).scalar()

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, issue: Issue, *, replace: bool = False) -> tuple[StoredIssue, ImportOutcome]:
        """Store ISSUE; an issue with the same identity is left alone unless REPLACE and the content differs.

        Raises ArchiveError (nothing written) if the issue cannot be ordered for search (see search_key), or has
        neither a number nor a date (nothing identifies it).
        """
        issue = canonical(issue)
        self._context.clear()  # a new or replaced issue can be another's previous one
        self._versions.clear()
        if issue.number is None and issue.date is None:
            raise ArchiveError("an issue without a number needs a date")
        found = self._session.execute(
            select(*_VERSION_COLUMNS).where(*_identity(issue.masthead, issue.year, issue.number, issue.date))
        ).first()
        existing, version = found if found is not None else (None, None)
        if existing is None:
            slot = self._rank_slot(issue, None)
            publication_id = publication_id_for(self._session, issue.masthead)
            issue_id = self._session.scalar(
                insert(IssueRow)
                .values(**self._issue_values(issue, slot), publication_id=publication_id)
                .returning(IssueRow.id)
            )
            assert issue_id is not None
            self._insert_contents(issue_id, issue, slot)
            return StoredIssue(id=issue_id, issue=issue, publication_id=publication_id), ImportOutcome.ADDED
        stored = self.get(existing)
        assert stored is not None
        if stored.issue == issue:
            return stored, ImportOutcome.UNCHANGED
        if not replace:
            return stored, ImportOutcome.CONFLICT
        self._delete_contents(existing)
        slot = self._rank_slot(issue, existing)
        self._session.execute(
            update(IssueRow)
            .where(IssueRow.id == existing)
            .values(**self._issue_values(issue, slot), updated_at=next_version(version))
        )
        self._insert_contents(existing, issue, slot)
        # Rows loaded before the replacement must not be served from the identity map.
        self._session.expire_all()
        return StoredIssue(id=existing, issue=issue, publication_id=stored.publication_id), ImportOutcome.REPLACED

    @staticmethod
    def _issue_values(issue: Issue, slot: int) -> dict[str, Any]:
        return {
            "masthead": issue.masthead,
            "year": issue.year,
            "year_key": issue.year or 0,
            "number": issue.number,
            "number_key": issue.number or 0,
            "week": issue.week,
            "marks": list(issue.marks),
            "total_number": issue.total_number,
            "publisher": issue.publisher,
            "date": issue.date,
            "date_key": date_key(issue.date),
            "rank_slot": slot,
            "footer": list(issue.footer),
            "warnings": list(issue.warnings),
        }

    def _rank_slot(self, issue: Issue, issue_id: int | None) -> int:
        """The lowest free slot among stored issues (of other mastheads) with the same date, year and number."""
        stmt = select(IssueRow.rank_slot).where(
            IssueRow.date.is_(None) if issue.date is None else IssueRow.date == issue.date,
            IssueRow.year_key == (issue.year or 0),
            IssueRow.number_key == (issue.number or 0),
        )
        if issue_id is not None:
            stmt = stmt.where(IssueRow.id != issue_id)
        taken = set(self._session.scalars(stmt))
        slot = min(set(range(len(taken) + 1)) - taken)
        if slot >= _SLOTS:
            raise ArchiveError(f"more than {_SLOTS} bulletins share the date, year and number of this issue")
        return slot

    def _insert_contents(self, issue_id: int, issue: Issue, slot: int) -> None:
        if len(issue.articles) > _MAX_POSITION:
            raise ArchiveError(
                f"an issue can have at most {_MAX_POSITION} articles, this one has {len(issue.articles)}"
            )
        if issue.toc:
            self._session.execute(
                insert(TocEntryRow),
                [
                    {"issue_id": issue_id, "position": i, "title": e.title, "section": e.section}
                    for i, e in enumerate(issue.toc, start=1)
                ],
            )
        if not issue.articles:
            return
        rows: list[dict[str, Any]] = [
            {
                "issue_id": issue_id,
                "position": i,
                "search_key": search_key(issue, slot, i),
                "title": a.title,
                "search_title": textindex.fold(a.title),
                "body": "\n".join(a.paragraphs),
            }
            for i, a in enumerate(issue.articles, start=1)
        ]
        if self._dialect == "sqlite":
            self._session.execute(insert(ArticleRow), rows)
            self._session.execute(
                text("INSERT INTO article_search (rowid, title, body) VALUES (:key, :title, :body)"),
                [
                    {
                        "key": r["search_key"],
                        "title": textindex.index_document(r["title"]),
                        "body": textindex.index_document(r["body"]),
                    }
                    for r in rows
                ],
            )
        else:
            ids = self._session.scalars(
                insert(ArticleRow).returning(ArticleRow.id, sort_by_parameter_order=True), rows
            ).all()
            self._session.execute(
                text(
                    "INSERT INTO article_search (article_id, tokens, folded, search_key, title, title_tokens) "
                    "VALUES (:id, CAST(:tokens AS tsvector), :folded, :key, :title, CAST(:title_tokens AS tsvector))"
                ),
                [
                    {
                        "id": article_id,
                        "tokens": textindex.tsvector(r["title"] + "\n" + r["body"]),
                        "folded": r["search_title"] + "\n" + textindex.fold(r["body"]),
                        "key": r["search_key"],
                        "title": r["search_title"],
                        "title_tokens": textindex.tsvector(r["title"]),
                    }
                    for article_id, r in zip(ids, rows, strict=True)
                ],
            )

    def _delete_contents(self, issue_id: int) -> None:
        if self._dialect == "sqlite":
            # A contentless FTS5 table forgets a row only when given the exact tokens it was indexed with.
            old = self._session.execute(
                select(ArticleRow.search_key, ArticleRow.title, ArticleRow.body).where(ArticleRow.issue_id == issue_id)
            ).all()
            if old:
                self._session.execute(
                    text(
                        "INSERT INTO article_search (article_search, rowid, title, body) "
                        "VALUES ('delete', :key, :title, :body)"
                    ),
                    [
                        {
                            "key": r.search_key,
                            "title": textindex.index_document(r.title),
                            "body": textindex.index_document(r.body),
                        }
                        for r in old
                    ],
                )
        # PostgreSQL's article_search rows go with their articles (ON DELETE CASCADE).
        self._session.execute(delete(ArticleRow).where(ArticleRow.issue_id == issue_id))
        self._session.execute(delete(TocEntryRow).where(TocEntryRow.issue_id == issue_id))

    # -- search --------------------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        offset: int = 0,
        limit: int = 10,
        publication_id: int | None = None,
        synonyms: Mapping[str, textindex.Alternatives] | None = None,
    ) -> SearchPage:
        """Articles containing every word of QUERY or a synonym of it, ranked (see storage.search.search); of
        PUBLICATION_ID only when given."""
        return search(
            self._session, query, offset=offset, limit=limit, publication_id=publication_id, synonyms=synonyms
        )


class ArchiveError(Exception):
    """An issue cannot be stored; the message is fit to show a user."""


# search_key: date (22 bits), year (14), number (12; 0 for a dated report), slot (5), 1023 - position (10) = 63 bits.
# Descending order of the key is: newer date, newer year, higher number, later-stored masthead, earlier article.
_SLOTS = 32
_MAX_POSITION = 1023


def search_key(issue: Issue, slot: int, position: int) -> int:
    """The search order key of article POSITION (1-based) of ISSUE stored in rank slot SLOT."""
    date = issue.date.toordinal() if issue.date else 0
    year = min(max(issue.year or 0, 0), (1 << 14) - 1)
    number = min(max(issue.number or 0, 0), (1 << 12) - 1)
    return (((date << 14 | year) << 12 | number) << 5 | slot) << 10 | (_MAX_POSITION - position)


def _invisible(char: str) -> bool:
    """True for a character a reader does not see.

    Format characters (Cf): bidi controls, zero-width spaces and joiners, soft hyphen, invisible operators, tags,
    BOM. Then the invisible letters and marks outside Cf: Hangul fillers, the grapheme joiner and the variation
    selectors (which only pick a glyph variant of the character before them).
    """
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or code in (0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F)
        or 0x180B <= code <= 0x180D
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def visible(text: str) -> str:
    """TEXT without bidi controls, zero-width and other invisible characters (what a reader sees): two mastheads
    or titles differing only by them must be the same text."""
    return "".join(c for c in text if not _invisible(c))


def canonical(issue: Issue) -> Issue:
    """ISSUE as it is stored and reads back: the masthead and every title without invisible characters (see
    `visible`), and no paragraph containing a newline (a body is paragraphs joined by newlines)."""
    articles = tuple(
        Article(title=visible(a.title), paragraphs=_paragraphs("\n".join(a.paragraphs))) for a in issue.articles
    )
    toc = tuple(dataclasses.replace(e, title=visible(e.title)) for e in issue.toc)
    masthead = visible(issue.masthead)
    if articles == issue.articles and toc == issue.toc and masthead == issue.masthead:
        return issue
    return dataclasses.replace(issue, masthead=masthead, toc=toc, articles=articles)


@functools.cache
def _previous_id_statement() -> Select[int]:
    """IssueRepository.previous_id's statement, built once (building it cost more CPU than running it): the
    current issue's key row, joined by primary key, bounds the index range."""
    current = aliased(IssueRow)
    current_key = (current.date_key, current.year_key, current.number_key, current.id)
    order = IssueRepository._order_key()
    return (
        select(IssueRow.id)
        .join(current, current.id == bindparam("issue_id"))
        .where(IssueRow.publication_id == current.publication_id)
        .where(tuple_(*order) < tuple_(*current_key))
        .order_by(*(key.desc() for key in order))
        .limit(1)
    )


# What add selects of an issue first: its id and its version (storage/issue_cache.py).
_VERSION_COLUMNS = (IssueRow.id, IssueRow.updated_at)


def _read_columns() -> tuple[Any, ...]:
    """What a cached read selects first, in one statement: the issue's id and version (storage/issue_cache.py), the
    id of its previous issue (as previous_id) and its internal mark, which readers show with every issue."""
    older = aliased(IssueRow)
    order = IssueRepository._order_key()
    older_key = (older.date_key, older.year_key, older.number_key, older.id)
    previous = (
        select(older.id)
        .where(older.publication_id == IssueRow.publication_id)
        .where(tuple_(*older_key) < tuple_(*order))
        .order_by(*(key.desc() for key in older_key))
        .limit(1)
        .scalar_subquery()
    )
    internal = select(IssueMark.internal).where(IssueMark.issue_id == IssueRow.id).scalar_subquery()
    return (IssueRow.id, IssueRow.updated_at, previous, internal)


class _Statements:
    """The archive's frequent statements, built once with bound parameters: building a statement cost more CPU
    than running it (SQLAlchemy's cache keys, coercions); each is named after the method that runs it."""

    def __init__(self) -> None:
        self._read = _read_columns()
        self.get = select(*self._read).where(IssueRow.id == bindparam("issue_id"))
        self._by_publication = IssueRow.publication_id == bindparam("publication_id")
        self._newest = tuple(key.desc() for key in IssueRepository._order_key())
        self.load_issue = select(IssueRow).where(IssueRow.id == bindparam("issue_id"))
        # The 要目 (kind 0: title, section) and the articles (kind 1: title, body) in one statement: one round trip
        # less per issue read on PostgreSQL.
        self.load_contents: CompoundSelect[*tuple[Any, ...]] = union_all(
            select(
                literal(0).label("kind"), TocEntryRow.position.label("position"), TocEntryRow.title.label("title"),
                TocEntryRow.section.label("text"),
            ).where(TocEntryRow.issue_id == bindparam("issue_id")),
            select(literal(1), ArticleRow.position, ArticleRow.title, ArticleRow.body).where(
                ArticleRow.issue_id == bindparam("issue_id")
            ),
        ).order_by(text("kind"), text("position"))

    def _of(self, stmt: _Select, publication: bool) -> _Select:
        return stmt.where(self._by_publication) if publication else stmt

    @functools.cache  # noqa: B019 -- one instance for the process (see _statements)
    def latest(self, publication: bool) -> Select[*tuple[Any, ...]]:
        return self._of(select(*self._read), publication).order_by(*self._newest).limit(1)

    @functools.cache  # noqa: B019
    def resolve(self, kind: str, publication: bool) -> Select[*tuple[Any, ...]]:
        stmt = self._of(select(*self._read).where(*_kind_where(kind)), publication)
        return stmt.order_by(*self._newest).limit(1)

    @functools.cache  # noqa: B019
    def resolve_all(self, kind: str, publication: bool) -> Select[*tuple[Any, ...]]:
        # The header, then the columns of a version read (_read_columns) after its id.
        stmt = self._of(select(*_HEADER_COLUMNS, *self._read[1:]).where(*_kind_where(kind)), publication)
        return stmt.order_by(*self._newest).limit(bindparam("limit", type_=Integer))

    @functools.cache  # noqa: B019
    def page_headers(self, publication: bool) -> Select[*tuple[Any, ...]]:
        stmt = self._of(select(*_HEADER_COLUMNS), publication).order_by(*self._newest)
        return stmt.offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))

    @functools.cache  # noqa: B019
    def count(self, publication: bool) -> Select[*tuple[Any, ...]]:
        return self._of(select(func.count()).select_from(IssueRow), publication)

    @functools.cache  # noqa: B019
    def counted_page(self, publication: bool) -> Select[*tuple[Any, ...]]:
        # The count as an uncorrelated scalar subquery: computed once for the statement, beside the page's rows.
        total = self.count(publication).scalar_subquery().correlate(None)
        stmt = self._of(select(*_HEADER_COLUMNS, total), publication).order_by(*self._newest)
        return stmt.offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))


@functools.cache
def _statements() -> _Statements:
    """The process's one _Statements (built at first use: nothing is built at import)."""
    return _Statements()


def _load(connection: Connection, issue_id: int) -> tuple[StoredIssue, dt.datetime | None] | None:
    """Stored issue ISSUE_ID with its contents and the version they were read at, in two Core statements (the
    ORM's instances and relationship loading cost more than the reads)."""
    statements = _statements()
    params = {"issue_id": issue_id}
    row = connection.execute(statements.load_issue, params).first()
    if row is None:
        return None
    toc: list[TocEntry] = []
    articles: list[Article] = []
    for kind, _position, title, text_ in connection.execute(statements.load_contents, params):
        if kind == 0:
            toc.append(TocEntry(title=title, section=text_))
        else:
            articles.append(Article(title=title, paragraphs=_paragraphs(text_)))
    issue = issue_of(
        row, toc=tuple(toc), articles=tuple(articles), footer=tuple(row.footer), warnings=tuple(row.warnings),
        marks=tuple(row.marks),
    )
    return StoredIssue(id=row.id, issue=issue, publication_id=row.publication_id), row.updated_at


def next_version(previous: dt.datetime | None, now: dt.datetime | None = None) -> dt.datetime:
    """The updated_at a replaced issue gets: now, but always after PREVIOUS (a clock set back, or two replaces
    within one clock tick, must still give the issue a version it never had; see storage/issue_cache.py)."""
    now = now or utcnow()
    if previous is not None and now <= previous:
        return previous + dt.timedelta(microseconds=1)
    return now


_HEADER_COLUMNS = (
    IssueRow.id,
    IssueRow.masthead,
    IssueRow.year,
    IssueRow.number,
    IssueRow.total_number,
    IssueRow.publisher,
    IssueRow.date,
    IssueRow.footer,
    IssueRow.week,
    IssueRow.publication_id,
)


def _ref_conditions(ref: str) -> tuple[str, dict[str, Any]] | None:
    """What REF names (see IssueRepository.resolve): the kind of reference and its values, for _where and _names;
    None when REF names nothing."""
    ref = textindex.fold(ref.strip())
    if (day := ref_date(ref)) is not None:
        return "date", {"date_key": date_key(day)}
    if m := _REF_YEAR_NUMBER.fullmatch(ref):
        return "year_number", {"year": int(m[1]), "number": int(m[2])}
    if _REF_TOTAL.fullmatch(ref):
        return "total", {"total_number": int(ref)}
    if m := _REF_ID.fullmatch(ref):
        return "id", {"id": int(m[1])}
    return None


def _kind_where(kind: str, suffix: str = "") -> list[Any]:
    """The WHERE conditions of a kind of reference, on bound parameters named after its values (plus SUFFIX)."""
    if kind == "date":
        return [IssueRow.date_key == bindparam("date_key" + suffix)]
    if kind == "year_number":
        # year_key and number_key too, so that ix_issues_year_number finds the rows in order.
        year: Any = bindparam("year" + suffix)
        number: Any = bindparam("number" + suffix)
        return [
            IssueRow.year_key == year, IssueRow.year == year, IssueRow.number_key == number, IssueRow.number == number
        ]
    if kind == "total":
        return [IssueRow.total_number == bindparam("total_number" + suffix)]
    if kind == "number":  # 第N期 of any year (IssueRepository.numbered)
        return [IssueRow.number == bindparam("number" + suffix)]
    return [IssueRow.id == bindparam("id" + suffix)]


def _names(conditions: tuple[str, dict[str, Any]], row: Any) -> bool:
    """Whether ROW (of _NAMED_COLUMNS) is an issue the reference of CONDITIONS names (_kind_where, in Python)."""
    kind, p = conditions
    if kind == "date":
        return bool(row.date_key == p["date_key"])
    if kind == "year_number":
        return bool(row.year_key == row.year == p["year"] and row.number_key == row.number == p["number"])
    if kind == "total":
        return bool(row.total_number == p["total_number"])
    if kind == "number":
        return bool(row.number == p["number"])
    return bool(row.id == p["id"])


_NAMED_COLUMNS = (
    IssueRow.id, IssueRow.date_key, IssueRow.year_key, IssueRow.year, IssueRow.number_key, IssueRow.number,
    IssueRow.total_number, IssueRow.publication_id,
)


def leads_as_publication(word: str) -> bool:
    """Whether WORD, leading the words of a reference (`/issue 专报 2024-6`), is read as a publication's name: it
    does not begin as a reference does (a digit, or '#' of '#id'). jobs.publications.split_publication reads
    references so, and exact_refs writes them so."""
    return not word[:1].isdigit() and not word.startswith("#")


def _one_word_name(name: str) -> bool:
    """Whether NAME can lead a reference (`/issue NAME 2024-6`): one word that does not read as a reference."""
    return len(name.split()) == 1 and leads_as_publication(name)


@functools.lru_cache(maxsize=256)
def _named_by(kinds: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    """Every issue any of references of KINDS names (their values bound as NAME_N, N the reference's index)."""
    terms = [and_(*_kind_where(kind, f"_{n}")) for n, kind in enumerate(kinds)]
    return select(*_NAMED_COLUMNS).where(or_(*terms))


def _of(stmt: _Select, publication_id: int | None) -> _Select:
    """STMT limited to the issues of PUBLICATION_ID (None: every publication)."""
    return stmt if publication_id is None else stmt.where(IssueRow.publication_id == publication_id)


def _header_of(row: Any) -> IssueHeader:
    """The IssueHeader of a row of _HEADER_COLUMNS."""
    return IssueHeader(id=row.id, issue=issue_of(row, footer=tuple(row.footer)), publication_id=row.publication_id)


def _identity(masthead: str, year: int | None, number: int | None, date: dt.date | None) -> tuple[Any, ...]:
    """The WHERE conditions naming one issue: masthead, year and number; masthead and date for a dated report."""
    if number is None:
        return (IssueRow.masthead == masthead, IssueRow.number.is_(None), IssueRow.date_key == date_key(date))
    return (IssueRow.masthead == masthead, IssueRow.year_key == (year or 0), IssueRow.number == number)
