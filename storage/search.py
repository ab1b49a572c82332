"""Search over the stored articles: the same hits in the same order on SQLite (FTS5) and PostgreSQL (tsvector).

Semantics: an article matches when, for every word of the query, its title or body contains the word or one of
the word's synonym spellings (storage.textindex.query_groups); articles with every word in the title come first,
then newer issues first, then article order. Counts stop at COUNT_CAP: a common word's exact count would cost a
scan of most of the archive, and nobody pages through a thousand hits (the page says "1000+").

On PostgreSQL the search table carries each article's search_key and folded title (migration 0011), so a common
word is read newest first off the search_key index and stops after the page, a rare one through the GIN indexes;
no statement joins articles or counts past the cap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Text, and_, column, func, or_, select, table, text
from sqlalchemy.orm import Session

from bulletin.model import Issue
from storage import textindex
from storage.models import ArticleRow, IssueRow
from storage.rows import issue_of

COUNT_CAP = 1000
_SNIPPET_CHARS = 60
_SNIPPET_BEFORE = 20
# Bold spans in one snippet: Telegram keeps at most 100 entities in a message, and a page has five snippets.
_MAX_MARKS = 12


@dataclass(frozen=True)
class SearchHit:
    """One matching article, with a plain-text snippet around the first hit and the character ranges of the
    matched words in it (MARKS, to be shown in bold). ISSUE has the identity fields of its issue (no contents):
    the reader's label is built from it by bulletin.render.issue_label."""

    issue_id: int
    issue: Issue
    article_position: int
    article_title: str
    snippet: str
    score: float
    marks: tuple[tuple[int, int], ...] = ()
    publication_id: int | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, and how many articles match in all (CAPPED: at least TOTAL, which is COUNT_CAP)."""

    hits: list[SearchHit]
    total: int
    capped: bool = False


def snippet(body: str, words: Sequence[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About 60 characters of BODY around the earliest hit of any of WORDS (folded), with … where it was cut, and
    the ranges of every occurrence of WORDS inside it (merged where they touch, at most _MAX_MARKS)."""
    flat = body.replace("\n", " ")
    folded = textindex.fold(flat)
    hits = [pos for pos in (folded.find(w) for w in words if w) if pos >= 0]
    first = min(hits) if hits else 0
    start = max(0, first - _SNIPPET_BEFORE)
    end = min(len(flat), start + _SNIPPET_CHARS)
    start = max(0, end - _SNIPPET_CHARS)
    lead = "…" if start > 0 else ""
    spans: list[tuple[int, int]] = []
    for word in words:
        if not word:
            continue
        at = folded.find(word, start)
        while 0 <= at and at + len(word) <= end:
            spans.append((at, at + len(word)))
            at = folded.find(word, at + 1)
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    shift = len(lead) - start
    marks = tuple((lo + shift, hi + shift) for lo, hi in merged[:_MAX_MARKS])
    return lead + flat[start:end] + ("…" if end < len(flat) else ""), marks


Ranked = list[tuple[int, bool]]


def search(
    session: Session,
    query: str,
    *,
    offset: int = 0,
    limit: int = 10,
    publication_id: int | None = None,
    synonyms: Mapping[str, textindex.Alternatives] | None = None,
) -> SearchPage:
    """Articles containing every word of QUERY (or a synonym of it, see storage.textindex.widen): a
    case-insensitive substring of the title or of the body.

    Ranking: articles with every word in the title first (score 1.0, else 0.0), then newer issues first (date,
    year, number), then article order. Words with no letter or digit are ignored. On SQLite every word, with
    punctuation or without, is one exact FTS5 phrase (storage.textindex.word_phrase), so only the page's rows
    are read; PostgreSQL's tsvector has no positions, so there candidates are checked with strpos in SQL. Both
    backends implement these same semantics, so they return the same hits in the same order. PUBLICATION_ID
    limits the search to one publication.
    """
    groups = textindex.query_groups(query, synonyms)
    if not groups:
        return SearchPage(hits=[], total=0)
    offset, limit = max(0, offset), max(0, limit)
    if session.get_bind().dialect.name == "sqlite":
        total, ranked = _sqlite(session, groups, offset, limit, publication_id)
    else:
        total, ranked = _postgres(session, groups, offset, limit, publication_id)
    words = [w for group in groups for w in group]
    capped = total > COUNT_CAP
    return SearchPage(hits=_hits(session, ranked, words), total=min(total, COUNT_CAP), capped=capped)


# The FTS5 rows (rowid = articles.search_key) of one publication's issues.
_FTS_OF_PUBLICATION = (
    " AND rowid IN (SELECT a.search_key FROM articles a JOIN issues i ON i.id = a.issue_id"
    " WHERE i.publication_id = :p)"
)


def _sqlite(
    session: Session, groups: list[textindex.Alternatives], offset: int, limit: int, publication_id: int | None
) -> tuple[int, Ranked]:
    """(total up to COUNT_CAP + 1, [(search_key, all words in title)]) straight from FTS5, newest first."""
    where = "article_search MATCH :m" + _FTS_OF_PUBLICATION * (publication_id is not None)
    params: dict[str, Any] = {"p": publication_id} if publication_id is not None else {}
    match_all = textindex.fts5_match(groups)
    match_title = f"{{title}} : ({match_all})"
    match_rest = f"({match_all}) NOT ({match_title})"
    count = text(f"SELECT count(*) FROM (SELECT 1 FROM article_search WHERE {where} LIMIT :cap)")
    keys = text(f"SELECT rowid FROM article_search WHERE {where} ORDER BY rowid DESC LIMIT :limit OFFSET :offset")
    total = session.scalar(count, {"m": match_all, "cap": COUNT_CAP + 1, **params}) or 0

    def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
        m = match_title if title else match_rest
        return list(session.scalars(keys, {"m": m, "limit": tier_limit, "offset": tier_offset, **params}))

    def count_title() -> int:
        exact = text(f"SELECT count(*) FROM article_search WHERE {where}")
        return session.scalar(exact, {"m": match_title, **params}) or 0

    return total, _tiered_page(total, offset, limit, tier_keys, count_title)


_SEARCH = table(
    "article_search",
    column("article_id", Integer),
    column("search_key", BigInteger),
    column("folded", Text),
    column("title", Text),
)


def _contains(col: Any, group: textindex.Alternatives) -> ColumnElement[bool]:
    return or_(*(func.strpos(col, word) > 0 for word in group))


def _postgres(
    session: Session, groups: list[textindex.Alternatives], offset: int, limit: int, publication_id: int | None
) -> tuple[int, Ranked]:
    """PostgreSQL: GIN candidates checked with strpos on the folded text; each tier newest first off the
    search_key index, with a LIMIT; the count stops at the cap."""
    # The plan depends on the words (a common one is read newest first, a rare one through the GIN index): a
    # generic plan of the prepared statement, chosen once for all words, made rare words scan the whole table.
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    query = textindex.tsquery(groups)
    matches_all: list[Any] = [
        text("article_search.tokens @@ CAST(:q AS tsquery)").bindparams(q=query)
    ]
    # Without positions the index is exact only for words that are one run of at most two characters; any other
    # word is checked against the text (a word never contains the newline between title and body).
    matches_all += [
        _contains(_SEARCH.c.folded, group)
        for group in groups
        if not all(textindex.exact_in_index(w) for w in group)
    ]
    # Every word in the title implies every word in title + body: the title tier needs only the title's index.
    scope: list[Any] = []
    if publication_id is not None:
        # One publication: the articles of its issues (ix_issues_publication_newest_first finds them).
        scope.append(
            _SEARCH.c.article_id.in_(
                select(ArticleRow.id).join(IssueRow, IssueRow.id == ArticleRow.issue_id)
                .where(IssueRow.publication_id == publication_id)
            )
        )
    matches_all += scope
    in_title = and_(
        text("article_search.title_tokens @@ CAST(:tq AS tsquery)").bindparams(tq=query),
        *(_contains(_SEARCH.c.title, group) for group in groups),
        *scope,
    )
    capped = select(_SEARCH.c.article_id).where(*matches_all).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0

    def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
        where = [in_title] if title else [*matches_all, ~in_title]
        stmt = (
            select(_SEARCH.c.search_key).where(*where)
            .order_by(_SEARCH.c.search_key.desc()).offset(tier_offset).limit(tier_limit)
        )
        return list(session.scalars(stmt))

    def count_title() -> int:
        return session.scalar(select(func.count()).select_from(_SEARCH).where(in_title)) or 0

    return total, _tiered_page(total, offset, limit, tier_keys, count_title)


def _hits(session: Session, ranked: Ranked, words: list[str]) -> list[SearchHit]:
    if not ranked:
        return []
    rows = {
        r.search_key: r
        for r in session.execute(
            select(ArticleRow.search_key, ArticleRow.position, ArticleRow.title, ArticleRow.body, IssueRow)
            .join(IssueRow, IssueRow.id == ArticleRow.issue_id)
            .where(ArticleRow.search_key.in_([key for key, _ in ranked]))
        )
    }
    hits = []
    for key, in_title in ranked:
        row = rows[key]
        text_, marks = snippet(row.body, words)
        hits.append(SearchHit(
            issue_id=row.IssueRow.id,
            publication_id=row.IssueRow.publication_id,
            issue=issue_of(row.IssueRow),
            article_position=row.position,
            article_title=row.title,
            snippet=text_,
            score=1.0 if in_title else 0.0,
            marks=marks,
        ))
    return hits


def _tiered_page(
    total: int,
    offset: int,
    limit: int,
    tier_keys: Callable[[bool, int, int], list[int]],
    count_title: Callable[[], int],
) -> Ranked:
    """[(search_key, in title)] of one page of TOTAL matches ranked title tier first, each tier newest first.

    TIER_KEYS(title, offset, limit) reads one tier. The title tier's size is known from the page unless the page
    starts past it: counting it is as slow as counting all matches, so COUNT_TITLE is called only then. TOTAL may
    be capped: past the cap the tiers are read as long as they give rows.
    """
    if total == 0 or limit == 0:
        return []
    ranked = [(key, True) for key in tier_keys(True, offset, limit)]
    if len(ranked) < limit and (total > COUNT_CAP or offset + len(ranked) < total):
        in_title = offset + len(ranked) if ranked or offset == 0 else count_title()
        rest = tier_keys(False, max(0, offset - in_title), limit - len(ranked))
        ranked += [(key, False) for key in rest]
    return ranked
