"""Search over the stored articles: the same hits in the same order on SQLite (FTS5) and PostgreSQL (tsvector).

Semantics: an article matches when, for every word of the query, its title or body contains the word or one of
the word's synonym spellings (storage.textindex.query_groups); articles with every word in the title come first,
then newer issues first, then article order. Counts stop at COUNT_CAP: a common word's exact count would cost a
scan of most of the archive, and nobody pages through a thousand hits (the page says "1000+").

On PostgreSQL the search table carries each article's search_key and folded title (migration 0011), so a common
word is read newest first off the search_key index and stops after the page, a rare one through the GIN indexes;
no statement joins articles or counts past the cap. One statement finds the matches up to the cap (PostgreSQL: off
the folded text alone when the planner expects them in 30% of the archive or more, else the GIN bitmap, never the
tsvector stored out of line); when that is all of them they are ranked here, and only past the cap is each tier
read with a LIMIT. On SQLite the matches' keys come from FTS5 alone, and the title tier from the trigram index of
titles (migration 0014; words of three or more characters) or a column filter of FTS5, so under the cap no
statement reads articles but the page's; past the cap a title tier that the trigram index narrows to a few titles
is read whole (shorter words checked on those titles, read by key), and the rest of the page is then the matches
newest first without it.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Text,
    TextClause,
    and_,
    bindparam,
    column,
    func,
    null,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.engine import Engine
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


# The one row of a statement of _sqlite or _postgres that finds more than COUNT_CAP matches: their common table
# expression (the matches, up to COUNT_CAP + 1; used twice, so computed once) is counted, and only its rows are sent
# when that is all of them.
_CAPPED = [(None, None)]

# The FTS5 rows (rowid = articles.search_key) of one publication's issues.
_FTS_OF_PUBLICATION = (
    " AND rowid IN (SELECT a.search_key FROM articles a JOIN issues i ON i.id = a.issue_id"
    " WHERE i.publication_id = :p)"
)


@functools.lru_cache(maxsize=64)
def _sql(statement: str) -> TextClause:
    """SQLite's statement of this text, built once: a few texts (scoped to a publication or not, which index of
    titles), the values bound at execution."""
    return text(statement)


def _sqlite(
    session: Session, groups: list[textindex.Alternatives], offset: int, limit: int, publication_id: int | None
) -> tuple[int, Ranked]:
    """(total up to COUNT_CAP + 1, [(search_key, all words in title)]) straight from FTS5, newest first.

    The matches' keys up to COUNT_CAP + 1 come first (one pass over the index, no row of articles read). When that
    is all of them, the title tier's keys come from an index of titles and the page is ranked here; else each tier
    is read newest first with a LIMIT.
    """
    where = "article_search MATCH :m" + _FTS_OF_PUBLICATION * (publication_id is not None)
    params: dict[str, Any] = {"p": publication_id} if publication_id is not None else {}
    match_all = textindex.fts5_match(groups)
    match_title = f"{{title}} : ({match_all})"
    match_rest = f"({match_all}) NOT ({match_title})"
    # Words of three or more characters: the title tier from the trigram index of titles alone (migration 0014);
    # the column filter of article_search walks every article with the words' tokens anywhere.
    trigrams = textindex.title_trigram_match(groups)
    where_titles = "article_search_titles MATCH :m" + _FTS_OF_PUBLICATION * (publication_id is not None)
    title_table, title_where, title_match = (
        ("article_search_titles", where_titles, trigrams) if trigrams else ("article_search", where, match_title)
    )
    # The keys of the matches when there are at most COUNT_CAP of them, else one NULL (their common table
    # expression is computed once; a capped query sends one row, not COUNT_CAP + 1).
    found = _sql(
        f"WITH m AS (SELECT rowid AS k FROM article_search WHERE {where} LIMIT :cap)"
        " SELECT k FROM m WHERE (SELECT count(*) FROM m) < :cap"
        " UNION ALL SELECT NULL WHERE (SELECT count(*) FROM m) = :cap"
    )
    matches = session.scalars(found, {"m": match_all, "cap": COUNT_CAP + 1, **params}).all()
    if matches != [None]:
        if not matches:
            return 0, []
        # The title tier is a subset of the matches: at most COUNT_CAP keys.
        titles = _sql(f"SELECT rowid FROM {title_table} WHERE {title_where}")
        in_titles = set(session.scalars(titles, {"m": title_match, **params}).all())
        return len(matches), _rank_all([(key, key in in_titles) for key in matches], offset, limit)
    total = COUNT_CAP + 1
    keys = _sql(f"SELECT rowid FROM article_search WHERE {where} ORDER BY rowid DESC LIMIT :limit OFFSET :offset")
    title_tier = _sqlite_title_tier(session, groups, where_titles, params)
    if title_tier is not None:
        # The title tier is known: the rest is the matches newest first without it.
        in_title = set(title_tier)

        def known_tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
            if title:
                return title_tier[tier_offset : tier_offset + tier_limit]
            # The newest matches until enough of them are not in the title tier (its keys are spread over the
            # archive: one read of the page's length, rarely a second, twice as long).
            want = tier_offset + tier_limit
            read = want
            while True:
                newest = session.scalars(keys, {"m": match_all, "limit": read, "offset": 0, **params}).all()
                rest = [key for key in newest if key not in in_title]
                if len(rest) >= want or len(newest) < read:
                    return rest[tier_offset:want]
                read = max(read + want - len(rest), 2 * read)

        return total, _tiered_page(total, offset, limit, known_tier_keys, lambda: len(title_tier))
    title_keys = _sql(
        f"SELECT rowid FROM {title_table} WHERE {title_where} ORDER BY rowid DESC LIMIT :limit OFFSET :offset"
    )

    def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
        stmt, m = (title_keys, title_match) if title else (keys, match_rest)
        return list(session.scalars(stmt, {"m": m, "limit": tier_limit, "offset": tier_offset, **params}).all())

    def count_title() -> int:
        exact = _sql(f"SELECT count(*) FROM {title_table} WHERE {title_where}")
        return session.scalar(exact, {"m": title_match, **params}) or 0

    return total, _tiered_page(total, offset, limit, tier_keys, count_title)


# Past the cap, the title tier is read whole from the trigram index of titles when its words of three or more
# characters are in at most this many titles (then the titles of those candidates are checked for the shorter words
# here: each is a row of articles read by key).
_TITLE_CANDIDATES = 300


def _sqlite_title_tier(
    session: Session, groups: list[textindex.Alternatives], where_titles: str, params: dict[str, Any]
) -> list[int] | None:
    """The keys of the whole title tier of a query past the cap, newest first, when the trigram index of titles
    narrows it to a few candidates (every word of three or more characters in the title); else None.

    The column filter of article_search that the tier would take otherwise walks every article containing the
    words' tokens anywhere, and the rest of the matches would be "all NOT title", a second such walk.
    """
    long = [group for group in groups if all(len(word) >= 3 for word in group)]
    trigrams = textindex.title_trigram_match(long)
    if not trigrams:
        return None
    short = len(long) < len(groups)
    bound = _TITLE_CANDIDATES if short else COUNT_CAP
    candidates = f"SELECT rowid AS k FROM article_search_titles WHERE {where_titles} ORDER BY rowid DESC LIMIT :cap"
    if short:
        stmt = _sql(
            f"SELECT a.search_key, a.search_title FROM ({candidates}) c JOIN articles a ON a.search_key = c.k"
            " ORDER BY c.k DESC"
        )
    else:
        stmt = _sql(f"SELECT k, NULL FROM ({candidates})")
    rows = session.execute(stmt, {"m": trigrams, "cap": bound + 1, **params}).all()
    if len(rows) > bound:
        return None
    return [key for key, title in rows if not short or in_title(title, groups)]


def in_title(title: str, groups: Sequence[textindex.Alternatives]) -> bool:
    """Whether the folded TITLE contains, for every group, one of its words: the title tier."""
    return all(any(word in title for word in group) for group in groups)


def _rank_all(matches: list[tuple[int, bool]], offset: int, limit: int) -> Ranked:
    """The page of ALL the matches [(search_key, in title)]: the title tier first, each tier newest first."""
    ranked = sorted(matches, key=lambda m: (not m[1], -m[0]))
    return ranked[offset : offset + limit]


_SEARCH = table(
    "article_search",
    column("article_id", Integer),
    column("search_key", BigInteger),
    column("folded", Text),
    column("title", Text),
)


# PostgreSQL's statements are built once per shape of query and kept (building one, and SQLAlchemy's cache key of it,
# cost about as much CPU as running it): the words, the tsquery, the publication, offset and limit are bound
# parameters given at execution. A shape is the number of spellings of each word (_Shape), with, for the statement
# that finds the matches, which words are checked on the folded text, whether the query is dense and whether it is
# scoped to one publication. psycopg sends the values, and plan_cache_mode (_PLANNER) plans each search for its own.
_Shape = tuple[int, ...]
# Shapes kept: a query has a few words of at most textindex.MAX_ALTERNATIVES spellings each.
_SHAPES = 256


def _shape(groups: Sequence[textindex.Alternatives]) -> _Shape:
    return tuple(len(group) for group in groups)


def _bound_text(name: str) -> Any:
    # Typed as a str given as a value was (%(name)s::VARCHAR): the same SQL as when the values were in the statement.
    return bindparam(name, type_=String)


def _word(group: int, spelling: int) -> Any:
    return _bound_text(f"w{group}_{spelling}")


def _word_params(groups: Sequence[textindex.Alternatives]) -> dict[str, Any]:
    """The bound words of a statement of _shape(GROUPS): spelling J of word I is w{I}_{J}."""
    return {f"w{i}_{j}": word for i, group in enumerate(groups) for j, word in enumerate(group)}


def _contains(col: Any, group: int, spellings: int) -> ColumnElement[bool]:
    """COL contains one of the SPELLINGS bound words of word GROUP."""
    return or_(*(func.strpos(col, _word(group, j)) > 0 for j in range(spellings)))


def _title_words(shape: _Shape) -> ColumnElement[bool]:
    return and_(*(_contains(_SEARCH.c.title, i, n) for i, n in enumerate(shape)))


def _scope(publication: bool) -> list[Any]:
    """The articles of one publication's issues, bound as publication_id (ix_issues_publication_newest_first finds
    them); nothing when not scoped."""
    if not publication:
        return []
    return [
        _SEARCH.c.article_id.in_(
            select(ArticleRow.id).join(IssueRow, IssueRow.id == ArticleRow.issue_id)
            .where(IssueRow.publication_id == bindparam("publication_id"))
        )
    ]


@functools.lru_cache(maxsize=_SHAPES)
def _matches_statement(
    shape: _Shape, checked: tuple[bool, ...], dense: bool, publication: bool
) -> CompoundSelect[*tuple[Any, ...]]:
    """The matches up to COUNT_CAP + 1 [(search_key, in title)], or _CAPPED past it: the words of CHECKED on the
    folded text, the tsquery q on the GIN index unless DENSE."""
    checks = [_contains(_SEARCH.c.folded, i, n) for i, n in enumerate(shape) if checked[i]]
    index = [] if dense else [text("article_search.tokens @@ CAST(:q AS tsquery)").bindparams(_bound_text("q"))]
    matches = (
        select(_SEARCH.c.search_key, _title_words(shape).label("in_title")).where(*checks, *index, *_scope(publication))
        .limit(COUNT_CAP + 1).cte("m")
    )
    count = select(func.count()).select_from(matches).scalar_subquery()
    return union_all(
        select(matches.c.search_key, matches.c.in_title).where(count <= COUNT_CAP),
        select(null(), null()).where(count > COUNT_CAP),
    )


def _in_title(shape: _Shape, publication: bool) -> ColumnElement[bool]:
    # Every word in the title implies every word in title + body: the title tier needs only the title's index (tq).
    return and_(
        text("article_search.title_tokens @@ CAST(:tq AS tsquery)").bindparams(_bound_text("tq")),
        _title_words(shape),
        *_scope(publication),
    )


@functools.lru_cache(maxsize=_SHAPES)
def _tier_statement(shape: _Shape, publication: bool, title: bool) -> Select[*tuple[Any, ...]]:
    """One tier's keys newest first, from offset, at most limit: the title tier, or the rest of the matches."""
    in_title = _in_title(shape, publication)
    folded = [_contains(_SEARCH.c.folded, i, n) for i, n in enumerate(shape)]
    where = [in_title] if title else [*folded, *_scope(publication), ~in_title]
    return (
        select(_SEARCH.c.search_key).where(*where).order_by(_SEARCH.c.search_key.desc())
        .offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))
    )


@functools.lru_cache(maxsize=_SHAPES)
def _title_count_statement(shape: _Shape, publication: bool) -> Select[*tuple[Any, ...]]:
    """The size of the title tier."""
    return select(func.count()).select_from(_SEARCH).where(_in_title(shape, publication))


# A query whose index candidates are at least this share of the archive is dense: its matches are counted by
# reading rows in storage order and checking the folded text (stopping at the cap after about COUNT_CAP / share
# rows), not by building the GIN bitmap of every candidate.
_DENSE = 0.3
# The planner's estimates of the candidates of a tsquery and of the table's rows (statistics kept by ANALYZE).
_ESTIMATE = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM article_search WHERE tokens @@ CAST(:q AS tsquery)"
    " UNION ALL SELECT 1 FROM article_search"
)
# plan_cache_mode: the plan depends on the words (a common one is read newest first, a rare one through the GIN
# index), and a generic plan of the prepared statement, chosen once for all words, made rare words scan the whole
# table. enable_seqscan off for a sparse query: with a LIMIT a sequential scan looks cheap to the planner, which
# does not price reading each row's tsvector (out of line: three TOAST chunks a row, where the folded text is
# inline); the GIN bitmap of the candidates is what is cheap.
_PLANNER = text(
    "SELECT current_setting('enable_seqscan'), set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('enable_seqscan', CASE WHEN :dense THEN current_setting('enable_seqscan') ELSE 'off' END, true)"
)
_SEQSCAN = text("SELECT set_config('enable_seqscan', :was, true)")


class _Density:
    """Whether a tsquery is dense (see _DENSE), as the planner estimated it lately: the EXPLAIN was a round trip
    per search, and the estimate of a query's share of the archive moves only as the archive grows (ANALYZE).
    Kept for TTL seconds, at most SIZE queries, newest used last; thread-safe (units run in worker threads)."""

    TTL = 600.0
    SIZE = 4096

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._known: OrderedDict[tuple[str, str], tuple[bool, float]] = OrderedDict()
        # Each engine's URL, rendered once (str(url) is ~8 us a search, this lookup ~0.5): the estimates stay keyed
        # by database, as before. Weak, so a dropped engine (a test's schema) is not kept alive by its entry.
        self._databases: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(self, session: Session, query: str) -> bool:
        """Whether QUERY is dense in SESSION's database: as estimated within TTL, else estimated now (EXPLAIN)."""
        now = self._clock()
        engine = session.connection().engine
        with self._lock:
            database = self._databases.get(engine)
            if database is None:
                database = self._databases[engine] = str(engine.url)
            key = (database, query)
            known = self._known.get(key)
            if known is not None and known[1] > now:
                self._known.move_to_end(key)
                return known[0]
        [plan] = session.scalar(_ESTIMATE, {"q": query})
        candidates, rows = (sub["Plan Rows"] for sub in plan["Plan"]["Plans"])
        dense = bool(candidates >= _DENSE * rows)
        with self._lock:
            self._known[key] = (dense, now + self.TTL)
            self._known.move_to_end(key)
            while len(self._known) > self.SIZE:
                self._known.popitem(last=False)
        return dense


_density = _Density()


def _postgres(
    session: Session, groups: list[textindex.Alternatives], offset: int, limit: int, publication_id: int | None
) -> tuple[int, Ranked]:
    """PostgreSQL: GIN candidates checked with strpos on the folded text, or, for a dense query, the folded text
    alone; up to COUNT_CAP + 1 matches in one statement, ranked here when that is all of them, else each tier newest
    first off the search_key index, with a LIMIT."""
    query = textindex.tsquery(groups)
    dense = query is not None and _density.of(session, query)
    seqscan = session.execute(_PLANNER, {"dense": dense}).scalar()
    shape = _shape(groups)
    publication = publication_id is not None
    # Every word is checked on the folded text unless the GIN index is used and answers it exactly (one run of at
    # most two characters); a word never contains the newline between title and body.
    checked = tuple(dense or not all(textindex.exact_in_index(w) for w in group) for group in groups)
    params: dict[str, Any] = {**_word_params(groups), "q": query, "tq": query, "publication_id": publication_id}
    found = session.execute(_matches_statement(shape, checked, dense, publication), params).all()
    if not dense:
        # Set back at once, not left for the end of the transaction: a dense search after this one in the same unit
        # (a search without hits tries shorter words) would keep enable_seqscan off and read every row through the
        # GIN index (60-80 ms instead of 8-12).
        session.execute(_SEQSCAN, {"was": seqscan})
    if found != _CAPPED:
        return len(found), _rank_all([(key, flag) for key, flag in found], offset, limit)
    total = COUNT_CAP + 1
    # Past the cap at least 1 article in 50 matches: each tier is read newest first off the search_key index, with
    # every word checked on the folded text (the tsvector test, cheaper for the planner, would come first and read
    # each row's TOAST).

    def tier_keys(title: bool, tier_offset: int, tier_limit: int) -> list[int]:
        stmt = _tier_statement(shape, publication, title)
        return list(session.scalars(stmt, {**params, "offset": tier_offset, "limit": tier_limit}))

    def count_title() -> int:
        return session.scalar(_title_count_statement(shape, publication), params) or 0

    return total, _tiered_page(total, offset, limit, tier_keys, count_title)


# The columns of a hit's issue that its label needs (storage.rows.issue_of), not the whole row.
_ISSUE_COLUMNS = (
    IssueRow.id, IssueRow.publication_id, IssueRow.masthead, IssueRow.year, IssueRow.number, IssueRow.total_number,
    IssueRow.publisher, IssueRow.date, IssueRow.week,
)


@functools.cache
def _hits_statement() -> Select[*tuple[Any, ...]]:
    """The rows of the ranked keys (bound as keys, one parameter each) with their issues' columns, built once."""
    return (
        select(ArticleRow.search_key, ArticleRow.position, ArticleRow.title, ArticleRow.body, *_ISSUE_COLUMNS)
        .join(IssueRow, IssueRow.id == ArticleRow.issue_id)
        .where(ArticleRow.search_key.in_(bindparam("keys", expanding=True)))
    )


def _hits(session: Session, ranked: Ranked, words: list[str]) -> list[SearchHit]:
    if not ranked:
        return []
    rows = {
        r.search_key: r
        for r in session.execute(_hits_statement(), {"keys": [key for key, _ in ranked]})
    }
    hits = []
    for key, in_title in ranked:
        row = rows[key]
        text_, marks = snippet(row.body, words)
        hits.append(SearchHit(
            issue_id=row.id,
            publication_id=row.publication_id,
            issue=issue_of(row),
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
