"""The archive repository: stored issues, their articles, and search over them. Never commits."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, column, delete, func, literal, select, text, tuple_
from sqlalchemy.orm import Session, selectinload

from bulletin.model import Article, Issue, TocEntry
from storage import textindex
from storage.models import ArticleRow, IssueRow, TocEntryRow

# Newest first: date (unknown dates last), year (unknown last), number, id. All descending, so one row-value
# comparison finds the next-older issue.
_DATE_FLOOR = dt.date(1, 1, 1)
_TITLE_WEIGHT = 10
_SNIPPET_CHARS = 60
_SNIPPET_BEFORE = 20


def issue_label(issue: Issue) -> str:
    """'2023年第1期（总第1期）' style label of ISSUE (year and cumulative number only when known)."""
    label = f"{issue.year}年第{issue.number}期" if issue.year is not None else f"第{issue.number}期"
    if issue.total_number is not None:
        label += f"（总第{issue.total_number}期）"
    return label


@dataclass(frozen=True)
class StoredIssue:
    """An issue as stored: its database id and the issue (articles in order, positions 1-based)."""

    id: int
    issue: Issue

    @property
    def label(self) -> str:
        """'2023年第1期（总第1期）' style label."""
        return issue_label(self.issue)

    @property
    def ref(self) -> str:
        """How to name this issue to IssueRepository.resolve: '2023-1', else the cumulative number, else '#id'."""
        if self.issue.year is not None:
            return f"{self.issue.year}-{self.issue.number}"
        if self.issue.total_number is not None:
            return str(self.issue.total_number)
        return f"#{self.id}"


class ImportOutcome(enum.Enum):
    """What storing an issue did."""

    ADDED = "added"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    # Same identity already stored with different content and replace=False: nothing was written.
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SearchHit:
    """One matching article, with a plain-text snippet around the first hit."""

    issue_id: int
    issue_label: str
    article_position: int
    article_title: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, and how many articles match in all."""

    hits: list[SearchHit]
    total: int


_REF_YEAR_NUMBER = re.compile(r"(\d{1,4})\s*-\s*(\d{1,4})")
_REF_TOTAL = re.compile(r"\d{1,6}")
_REF_ID = re.compile(r"#(\d{1,12})")


def _to_issue(row: IssueRow) -> Issue:
    return Issue(
        masthead=row.masthead,
        year=row.year,
        number=row.number,
        total_number=row.total_number,
        publisher=row.publisher,
        date=row.date,
        toc=tuple(TocEntry(title=e.title, section=e.section) for e in row.toc_entries),
        articles=tuple(
            Article(title=a.title, paragraphs=tuple(a.body.split("\n")) if a.body else ()) for a in row.articles
        ),
        footer=tuple(row.footer),
        warnings=tuple(row.warnings),
    )


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
        return (
            func.coalesce(IssueRow.date, _DATE_FLOOR),
            IssueRow.year_key,
            IssueRow.number,
            IssueRow.id,
        )

    def _newest_first(self, stmt: Select[IssueRow]) -> Select[IssueRow]:
        return stmt.order_by(*(key.desc() for key in self._order_key()))

    @staticmethod
    def _stored(row: IssueRow) -> StoredIssue:
        return StoredIssue(id=row.id, issue=_to_issue(row))

    def get(self, issue_id: int) -> StoredIssue | None:
        """The issue with database id ISSUE_ID, if any."""
        row = self._session.scalar(self._select().where(IssueRow.id == issue_id))
        return self._stored(row) if row else None

    def find(self, masthead: str, year: int | None, number: int) -> StoredIssue | None:
        """The issue with this identity, if stored."""
        row = self._find_row(masthead, year, number)
        return self._stored(row) if row else None

    def _find_row(self, masthead: str, year: int | None, number: int) -> IssueRow | None:
        return self._session.scalar(
            self._select().where(
                IssueRow.masthead == masthead, IssueRow.year_key == (year or 0), IssueRow.number == number
            )
        )

    def resolve(self, ref: str) -> StoredIssue | None:
        """The issue named by REF: '2023-1' (year-number), '1' (cumulative number) or '#7' (id); newest wins."""
        ref = textindex.fold(ref.strip())
        stmt = self._select()
        if m := _REF_YEAR_NUMBER.fullmatch(ref):
            stmt = stmt.where(IssueRow.year == int(m[1]), IssueRow.number == int(m[2]))
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

    def count(self) -> int:
        """How many issues are stored."""
        return self._session.scalar(select(func.count()).select_from(IssueRow)) or 0

    def previous(self, issue_id: int) -> StoredIssue | None:
        """The next-older issue than ISSUE_ID in newest-first order, if any."""
        current = self._session.execute(
            select(*self._order_key()).where(IssueRow.id == issue_id)
        ).one_or_none()
        if current is None:
            return None
        stmt = self._select().where(tuple_(*self._order_key()) < tuple_(*(literal(v) for v in current)))
        row = self._session.scalar(self._newest_first(stmt).limit(1))
        return self._stored(row) if row else None

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, issue: Issue, *, replace: bool = False) -> tuple[StoredIssue, ImportOutcome]:
        """Store ISSUE; an issue with the same identity is left alone unless REPLACE and the content differs."""
        existing = self._find_row(issue.masthead, issue.year, issue.number)
        if existing is None:
            row = IssueRow(masthead=issue.masthead, year_key=issue.year or 0, number=issue.number)
            self._fill(row, issue)
            self._session.add(row)
            self._session.flush()
            self._index(row)
            return self._stored(row), ImportOutcome.ADDED
        stored = self._stored(existing)
        if stored.issue == issue:
            return stored, ImportOutcome.UNCHANGED
        if not replace:
            return stored, ImportOutcome.CONFLICT
        self._clear(existing)
        self._fill(existing, issue)
        self._session.flush()
        self._index(existing)
        return self._stored(existing), ImportOutcome.REPLACED

    def _fill(self, row: IssueRow, issue: Issue) -> None:
        row.year = issue.year
        row.total_number = issue.total_number
        row.publisher = issue.publisher
        row.date = issue.date
        row.footer = list(issue.footer)
        row.warnings = list(issue.warnings)
        row.toc_entries = [
            TocEntryRow(position=i, title=e.title, section=e.section) for i, e in enumerate(issue.toc, start=1)
        ]
        row.articles = [
            ArticleRow(
                position=i,
                title=a.title,
                body="\n".join(a.paragraphs),
                search_title=textindex.fold(a.title),
                search_body=textindex.fold("\n".join(a.paragraphs)),
            )
            for i, a in enumerate(issue.articles, start=1)
        ]

    def _clear(self, row: IssueRow) -> None:
        # Delete with SQL before the new rows are flushed: the unit of work would insert the new (issue, position)
        # rows before deleting the old ones and trip the unique constraints.
        key = "rowid" if self._dialect == "sqlite" else "article_id"
        self._session.execute(
            text(f"DELETE FROM article_search WHERE {key} IN (SELECT id FROM articles WHERE issue_id = :issue_id)"),
            {"issue_id": row.id},
        )
        self._session.execute(delete(ArticleRow).where(ArticleRow.issue_id == row.id))
        self._session.execute(delete(TocEntryRow).where(TocEntryRow.issue_id == row.id))
        self._session.expire(row, ["articles", "toc_entries"])

    def _index(self, row: IssueRow) -> None:
        if not row.articles:
            return
        if self._dialect == "sqlite":
            self._session.execute(
                text("INSERT INTO article_search (rowid, title, body) VALUES (:id, :title, :body)"),
                [
                    {"id": a.id, "title": textindex.index_document(a.title), "body": textindex.index_document(a.body)}
                    for a in row.articles
                ],
            )
        else:
            self._session.execute(
                text("INSERT INTO article_search (article_id, tokens) VALUES (:id, CAST(:tokens AS tsvector))"),
                [{"id": a.id, "tokens": textindex.tsvector(a.title + "\n" + a.body)} for a in row.articles],
            )

    # -- search --------------------------------------------------------------------------------------------------

    def _candidates(self, words: list[str]) -> ColumnElement[bool] | None:
        """A filter on ArticleRow.id from the full-text index; every true match passes it."""
        if self._dialect == "sqlite":
            match = textindex.fts5_match(words)
            if match is None:
                return None
            ids = text("SELECT rowid FROM article_search WHERE article_search MATCH :match").bindparams(match=match)
            return ArticleRow.id.in_(ids.columns(column("rowid", Integer)))
        query = textindex.tsquery(words)
        if query is None:
            return None
        ids = text("SELECT article_id FROM article_search WHERE tokens @@ CAST(:query AS tsquery)").bindparams(
            query=query
        )
        return ArticleRow.id.in_(ids.columns(column("article_id", Integer)))

    def _contains(self, col: Any, word: str) -> ColumnElement[bool]:
        position = func.instr(col, word) if self._dialect == "sqlite" else func.strpos(col, word)
        return position > 0

    @staticmethod
    def _occurrences(col: Any, word: str) -> ColumnElement[int]:
        removed: ColumnElement[int] = func.length(col) - func.length(func.replace(col, word, ""))
        return removed // len(word)

    def search(self, query: str, *, offset: int = 0, limit: int = 10) -> SearchPage:
        """Articles containing every word of QUERY (substring of title or body), best first.

        Score: per word, 10 per occurrence in the title plus 1 per occurrence in the body; ties go to the newer
        issue, then the earlier article. Integer arithmetic on pre-folded text, so both backends agree exactly.
        """
        words = textindex.query_words(query)
        if not words:
            return SearchPage(hits=[], total=0)
        conditions: list[ColumnElement[bool]] = [
            self._contains(ArticleRow.search_title, w) | self._contains(ArticleRow.search_body, w) for w in words
        ]
        candidates = self._candidates(words)
        if candidates is not None:
            conditions.insert(0, candidates)
        score: ColumnElement[int] = sum(
            (
                self._occurrences(ArticleRow.search_title, w) * _TITLE_WEIGHT
                + self._occurrences(ArticleRow.search_body, w)
                for w in words
            ),
            start=literal(0),
        ).label("score")
        stmt = (
            select(
                ArticleRow.id,
                ArticleRow.issue_id,
                ArticleRow.position,
                ArticleRow.title,
                score,
                func.count().over().label("total"),
            )
            .join(IssueRow, IssueRow.id == ArticleRow.issue_id)
            .where(*conditions)
            .order_by(score.desc(), *(key.desc() for key in self._order_key()), ArticleRow.position)
            .offset(offset)
            .limit(limit)
        )
        rows = self._session.execute(stmt).all()
        if rows:
            total = int(rows[0].total)
        else:
            count = select(func.count()).select_from(ArticleRow).where(*conditions)
            total = self._session.scalar(count) or 0
        if not rows:
            return SearchPage(hits=[], total=total)
        bodies = {
            a.id: a.body
            for a in self._session.execute(
                select(ArticleRow.id, ArticleRow.body).where(ArticleRow.id.in_([r.id for r in rows]))
            )
        }
        issues = {
            row.id: issue_label(_to_issue_header(row))
            for row in self._session.scalars(select(IssueRow).where(IssueRow.id.in_({r.issue_id for r in rows})))
        }
        hits = [
            SearchHit(
                issue_id=r.issue_id,
                issue_label=issues[r.issue_id],
                article_position=r.position,
                article_title=r.title,
                snippet=_snippet(bodies[r.id], words),
                score=float(r.score),
            )
            for r in rows
        ]
        return SearchPage(hits=hits, total=total)


def _to_issue_header(row: IssueRow) -> Issue:
    """The identity fields of ROW as an Issue without contents (enough for a label)."""
    return Issue(
        masthead=row.masthead,
        year=row.year,
        number=row.number,
        total_number=row.total_number,
        publisher=row.publisher,
        date=row.date,
        toc=(),
        articles=(),
    )
