"""The archive repository: stored issues, their articles, and search over them. Never commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    Integer,
    Select,
    Text,
    and_,
    column,
    delete,
    func,
    insert,
    select,
    table,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased, selectinload

from bulletin.model import Article, Issue, TocEntry
from storage import textindex
from storage.models import ArticleRow, IssueRow, TocEntryRow
from storage.types import utcnow

_SNIPPET_CHARS = 60
_SNIPPET_BEFORE = 20


def date_key(date: dt.date | None) -> int:
    """IssueRow.date_key of an issue dated DATE: its ordinal, 0 when unknown (undated issues sort last)."""
    return date.toordinal() if date is not None else 0


@dataclass(frozen=True)
class StoredIssue:
    """An issue as stored: its database id and the issue (articles in order, positions 1-based)."""

    id: int
    issue: Issue

    @property
    def ref(self) -> str:
        """How to name this issue to IssueRepository.resolve: '2023-1', else the cumulative number, else the date of
        a dated report ('2022-07-05'), else '#id'."""
        if self.issue.number is None:
            return self.issue.date.isoformat() if self.issue.date is not None else f"#{self.id}"
        if self.issue.year is not None:
            return f"{self.issue.year}-{self.issue.number}"
        if self.issue.total_number is not None:
            return str(self.issue.total_number)
        return f"#{self.id}"


@dataclass(frozen=True)
class IssueHeader:
    """A stored issue without its contents, for listings: ISSUE has the identity fields (masthead, year, number,
    cumulative number, publisher, date) and footer, but its toc and articles are empty because they are not loaded."""

    id: int
    issue: Issue


class ImportOutcome(enum.Enum):
    """What storing an issue did."""

    ADDED = "added"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    # Same identity already stored with different content and replace=False: nothing was written.
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SearchHit:
    """One matching article, with a plain-text snippet around the first hit. ISSUE has the identity fields of its
    issue (no contents): the reader's label is built from it by bulletin.render.issue_label."""

    issue_id: int
    issue: Issue
    article_position: int
    article_title: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, and how many articles match in all."""

    hits: list[SearchHit]
    total: int


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


def _issue_of(row: Any, **contents: Any) -> Issue:
    """An Issue with the identity fields of ROW (an IssueRow, or a row of _HEADER_COLUMNS) and CONTENTS (toc,
    articles, footer, ...; none: a header, enough for a label)."""
    return Issue(
        masthead=row.masthead,
        year=row.year,
        number=row.number,
        total_number=row.total_number,
        publisher=row.publisher,
        date=row.date,
        week=row.week,
        **{"toc": (), "articles": (), **contents},
    )


def _to_issue(row: IssueRow) -> Issue:
    return _issue_of(
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


def _snippet(body: str, words: list[str]) -> str:
    """About 60 characters of BODY around the earliest hit of any of WORDS, with … where it was cut."""
    flat = body.replace("\n", " ")
    folded = textindex.fold(flat)
    hits = [pos for pos in (folded.find(w) for w in words) if pos >= 0]
    first = min(hits) if hits else 0
    start = max(0, first - _SNIPPET_BEFORE)
    end = min(len(flat), start + _SNIPPET_CHARS)
    start = max(0, end - _SNIPPET_CHARS)
    return ("…" if start > 0 else "") + flat[start:end] + ("…" if end < len(flat) else "")


class IssueRepository:
    """Stored issues and search; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name

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
        return StoredIssue(id=row.id, issue=_to_issue(row))

    def get(self, issue_id: int) -> StoredIssue | None:
        """The issue with database id ISSUE_ID, if any."""
        row = self._session.scalar(self._select().where(IssueRow.id == issue_id))
        return self._stored(row) if row else None

    def find(
        self, masthead: str, year: int | None, number: int | None, date: dt.date | None = None
    ) -> StoredIssue | None:
        """The issue with this identity, if stored: masthead, year and number; masthead and DATE when NUMBER is None."""
        row = self._session.scalar(self._select().where(*_identity(visible(masthead), year, number, date)))
        return self._stored(row) if row else None

    def find_same(self, issue: Issue) -> StoredIssue | None:
        """The stored issue with ISSUE's identity, if any."""
        return self.find(issue.masthead, issue.year, issue.number, issue.date)

    def on_date(self, date: dt.date, limit: int = 20) -> list[IssueHeader]:
        """Issues dated DATE (numbered or not), newest first (at most LIMIT)."""
        stmt = select(*_HEADER_COLUMNS).where(IssueRow.date_key == date_key(date))
        return [_header_of(row) for row in self._session.execute(self._newest_first(stmt).limit(limit))]

    def resolve(self, ref: str) -> StoredIssue | None:
        """The issue named by REF: '2023-1' (year-number), '1' (cumulative number), '2022-07-05' (date) or '#7'
        (id); newest wins (on_date lists every issue of a date)."""
        ref = textindex.fold(ref.strip())
        stmt = self._select()
        if (day := ref_date(ref)) is not None:
            stmt = stmt.where(IssueRow.date_key == date_key(day))
        elif m := _REF_YEAR_NUMBER.fullmatch(ref):
            # year_key and number_key too, so that ix_issues_year_number finds the rows in order.
            year = int(m[1])
            number = int(m[2])
            stmt = stmt.where(
                IssueRow.year_key == year, IssueRow.year == year, IssueRow.number_key == number,
                IssueRow.number == number,
            )
        elif _REF_TOTAL.fullmatch(ref):
            stmt = stmt.where(IssueRow.total_number == int(ref))
        elif m := _REF_ID.fullmatch(ref):
            stmt = stmt.where(IssueRow.id == int(m[1]))
        else:
            return None
        row = self._session.scalar(self._newest_first(stmt).limit(1))
        return self._stored(row) if row else None

    def latest(self) -> StoredIssue | None:
        """The newest issue, if any."""
        page = self.page(0, 1)
        return page[0] if page else None

    def page(self, offset: int, limit: int) -> list[StoredIssue]:
        """Issues newest first: date desc, year desc, number desc, id desc."""
        rows = self._session.scalars(self._newest_first(self._select()).offset(offset).limit(limit))
        return [self._stored(row) for row in rows]

    def page_headers(self, offset: int, limit: int) -> list[IssueHeader]:
        """Like page, without the contents (no 要目 entries, no articles): what a list of issues shows."""
        stmt = select(*_HEADER_COLUMNS)
        rows = self._session.execute(self._newest_first(stmt).offset(offset).limit(limit))
        return [_header_of(row) for row in rows]

    def count(self) -> int:
        """How many issues are stored."""
        return self._session.scalar(select(func.count()).select_from(IssueRow)) or 0

    def previous(self, issue_id: int) -> StoredIssue | None:
        """The next-older issue than ISSUE_ID in newest-first order, if any."""
        previous_id = self.previous_id(issue_id)
        return self.get(previous_id) if previous_id is not None else None

    def previous_id(self, issue_id: int) -> int | None:
        """The id of the next-older issue than ISSUE_ID in newest-first order, if any (nothing else is loaded)."""
        # One statement: the current issue's key row, joined by primary key, bounds the index range.
        current = aliased(IssueRow)
        current_key = (current.date_key, current.year_key, current.number_key, current.id)
        stmt = (
            select(IssueRow.id)
            .join(current, current.id == issue_id)
            .where(tuple_(*self._order_key()) < tuple_(*current_key))
        )
        return self._session.scalar(self._newest_first(stmt).limit(1))

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, issue: Issue, *, replace: bool = False) -> tuple[StoredIssue, ImportOutcome]:
        """Store ISSUE; an issue with the same identity is left alone unless REPLACE and the content differs.

        Raises ArchiveError (nothing written) if the issue cannot be ordered for search (see search_key), or has
        neither a number nor a date (nothing identifies it).
        """
        issue = canonical(issue)
        if issue.number is None and issue.date is None:
            raise ArchiveError("an issue without a number needs a date")
        existing = self._session.scalar(
            select(IssueRow.id).where(*_identity(issue.masthead, issue.year, issue.number, issue.date))
        )
        if existing is None:
            slot = self._rank_slot(issue, None)
            issue_id = self._session.scalar(
                insert(IssueRow).values(**self._issue_values(issue, slot)).returning(IssueRow.id)
            )
            assert issue_id is not None
            self._insert_contents(issue_id, issue, slot)
            return StoredIssue(id=issue_id, issue=issue), ImportOutcome.ADDED
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
            .values(**self._issue_values(issue, slot), updated_at=utcnow())
        )
        self._insert_contents(existing, issue, slot)
        # Rows loaded before the replacement must not be served from the identity map.
        self._session.expire_all()
        return StoredIssue(id=existing, issue=issue), ImportOutcome.REPLACED

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
                    "INSERT INTO article_search (article_id, tokens, folded) "
                    "VALUES (:id, CAST(:tokens AS tsvector), :folded)"
                ),
                [
                    {
                        "id": article_id,
                        "tokens": textindex.tsvector(r["title"] + "\n" + r["body"]),
                        "folded": r["search_title"] + "\n" + textindex.fold(r["body"]),
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

    def search(self, query: str, *, offset: int = 0, limit: int = 10) -> SearchPage:
        """Articles containing every word of QUERY (case-insensitive substring of the title or of the body).

        Ranking: articles with every word in the title first (score 1.0, else 0.0), then newer issues first (date,
        year, number), then article order. Words with no letter or digit are ignored. On SQLite every word, with
        punctuation or without, is one exact FTS5 phrase (storage.textindex.word_phrase), so only the page's rows
        are read; PostgreSQL's tsvector has no positions, so there candidates are checked with strpos in SQL. Both
        backends implement these same semantics, so they return the same hits in the same order.
        """
        words = [w for w in textindex.query_words(query) if textindex.runs(w)]
        if not words:
            return SearchPage(hits=[], total=0)
        offset, limit = max(0, offset), max(0, limit)
        if self._dialect != "sqlite":
            total, ranked = self._search_postgres(words, offset, limit)
        else:
            total, ranked = self._search_fts_exact(words, offset, limit)
        return SearchPage(hits=self._hits(ranked, words), total=total)

    def _search_fts_exact(self, words: list[str], offset: int, limit: int) -> tuple[int, list[tuple[int, bool]]]:
        """(total, [(search_key, all words in title)]) straight from FTS5, newest first without sorting."""
        match_all = textindex.fts5_match(words)
        match_title = f"{{title}} : ({match_all})"
        match_rest = f"({match_all}) NOT ({match_title})"
        count = text("SELECT count(*) FROM article_search WHERE article_search MATCH :m")
        keys = text(
            "SELECT rowid FROM article_search WHERE article_search MATCH :m "
            "ORDER BY rowid DESC LIMIT :limit OFFSET :offset"
        )
        total = self._session.scalar(count, {"m": match_all}) or 0

        def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
            m = match_title if title else match_rest
            return list(self._session.scalars(keys, {"m": m, "limit": tier_limit, "offset": tier_offset}))

        return total, _tiered_page(
            total, offset, limit, tier_keys, lambda: self._session.scalar(count, {"m": match_title}) or 0
        )

    def _search_postgres(self, words: list[str], offset: int, limit: int) -> tuple[int, list[tuple[int, bool]]]:
        """PostgreSQL: GIN candidates, checked with strpos on the folded text, ranked in SQL."""
        search = table("article_search", column("article_id", Integer), column("folded", Text))
        conditions: list[Any] = [
            text("article_search.tokens @@ CAST(:q AS tsquery)").bindparams(q=textindex.tsquery(words))
        ]
        # Without positions the index is exact only for words that are one run of at most two characters; any
        # other word is checked against the text (w never contains the newline between title and body).
        conditions += [
            func.strpos(search.c.folded, w) > 0
            for w in words
            if textindex.runs(w) != [w] or len(w) > 2
        ]
        in_title = and_(*(func.strpos(ArticleRow.search_title, w) > 0 for w in words))
        # Every condition is on article_search, so the total needs no join; each tier is then read newest first
        # with a LIMIT, instead of ranking every match (a common word matches most of the archive).
        total = self._session.scalar(select(func.count()).select_from(search).where(*conditions)) or 0
        matching = select(ArticleRow.search_key).join(search, search.c.article_id == ArticleRow.id).where(*conditions)

        def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
            stmt = matching.where(in_title if title else ~in_title)
            stmt = stmt.order_by(ArticleRow.search_key.desc()).offset(tier_offset).limit(tier_limit)
            return list(self._session.scalars(stmt))

        def count_title() -> int:
            return self._session.scalar(select(func.count()).select_from(matching.where(in_title).subquery())) or 0

        return total, _tiered_page(total, offset, limit, tier_keys, count_title)

    def _hits(self, ranked: list[tuple[int, bool]], words: list[str]) -> list[SearchHit]:
        if not ranked:
            return []
        rows = {
            r.search_key: r
            for r in self._session.execute(
                select(ArticleRow.search_key, ArticleRow.position, ArticleRow.title, ArticleRow.body, IssueRow)
                .join(IssueRow, IssueRow.id == ArticleRow.issue_id)
                .where(ArticleRow.search_key.in_([key for key, _ in ranked]))
            )
        }
        return [
            SearchHit(
                issue_id=rows[key].IssueRow.id,
                issue=_header(rows[key].IssueRow),
                article_position=rows[key].position,
                article_title=rows[key].title,
                snippet=_snippet(rows[key].body, words),
                score=1.0 if in_title else 0.0,
            )
            for key, in_title in ranked
        ]


def _tiered_page(
    total: int,
    offset: int,
    limit: int,
    tier_keys: Callable[[bool, int, int], list[int]],
    count_title: Callable[[], int],
) -> list[tuple[int, bool]]:
    """[(search_key, in title)] of one page of TOTAL matches ranked title tier first, each tier newest first.

    TIER_KEYS(title, offset, limit) reads one tier. The title tier's size is known from the page unless the page
    starts past it: counting it is as slow as counting all matches, so COUNT_TITLE is called only then.
    """
    if total == 0 or limit == 0:
        return []
    ranked = [(key, True) for key in tier_keys(True, offset, limit)]
    if len(ranked) < limit and offset + len(ranked) < total:
        in_title = offset + len(ranked) if ranked or offset == 0 else count_title()
        rest = tier_keys(False, max(0, offset - in_title), limit - len(ranked))
        ranked += [(key, False) for key in rest]
    return ranked


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
)


def _header_of(row: Any) -> IssueHeader:
    """The IssueHeader of a row of _HEADER_COLUMNS."""
    return IssueHeader(id=row.id, issue=_issue_of(row, footer=tuple(row.footer)))


def _header(row: IssueRow) -> Issue:
    """The identity fields of ROW as an Issue without contents (enough for a label)."""
    return _issue_of(row)


def _identity(masthead: str, year: int | None, number: int | None, date: dt.date | None) -> tuple[Any, ...]:
    """The WHERE conditions naming one issue: masthead, year and number; masthead and date for a dated report."""
    if number is None:
        return (IssueRow.masthead == masthead, IssueRow.number.is_(None), IssueRow.date_key == date_key(date))
    return (IssueRow.masthead == masthead, IssueRow.year_key == (year or 0), IssueRow.number == number)
