"""Search: substring semantics for 1- and 2-character Chinese words, phrases and several words, ranking, snippets;
the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, sessionmaker
from support.db import needs_pg, pg_schema_url
from support.issues import make_issue

from bulletin.i18n import ZH
from bulletin.model import Issue
from bulletin.render import issue_label
from storage import search as search_module
from storage.archive import IssueRepository, SearchPage
from storage.db import alembic_config, migrate, open_database, transaction
from storage.publications import PublicationRepository
from storage.textindex import _FOLD, fold, fts5_match, index_tokens, query_groups, query_words, tsquery, tsvector

# -- the tokenizer (pure) ----------------------------------------------------------------------------------------


def test_index_tokens_are_bigrams_of_each_run_plus_its_last_character() -> None:
    # with a mark for each punctuation character and each stretch of white space between the runs
    assert index_tokens("景区管理，A-12") == ["景区", "区管", "管理", "理", "·2c", "a", "·2d", "12", "2"]
    assert index_tokens("好 \n 风景。") == ["好", "·", "风景", "景", "·3002"]
    assert index_tokens("景") == ["景"]
    assert index_tokens("") == []
    assert index_tokens("，。！ ") == ["·2c", "·3002", "·21", "·"]


def test_fold_lowers_and_narrows_without_changing_length() -> None:
    text = "ＡＰＰ预约　WiFi１２３ ㈠ ß"
    assert fold(text) == "app预约 wifi123 ㈠ ß"
    assert len(fold(text)) == len(text)


def test_fold_of_a_whole_text_is_the_fold_of_each_character() -> None:
    # every character alone, then texts mixing what NFKC or the lower case of a whole string treat in context
    # (combining marks, Hangul jamo, compatibility characters, the final sigma, İ) and full-width forms
    chars = [chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000]
    assert [fold(c) for c in chars] == [c.translate(_FOLD) for c in chars]
    pieces = ["景区", "ΟΔΟΣ", "Σ", "σ", "İ", "i", "e\u0301", "\u0301", "\u1100\u1161", "\u11a8", "㈠", "Ａ", "ß", " "]
    pieces += ["，", "（", "）", "\u3000", "。", "、", "１", "ＡＰＰ"]
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 8)))
        assert fold(text) == text.translate(_FOLD), text


def test_query_words_split_on_white_space_fold_and_deduplicate() -> None:
    assert query_words("  景区　WiFi 景区 wifi ") == ["景区", "wifi"]
    assert query_words(" \t ") == []


def test_index_queries_for_each_backend() -> None:
    words = [(w,) for w in query_words("景区管理 景 Wi-Fi")]
    assert fts5_match(words) == '"景区 区管 管理" AND "景"* AND "wi i ·2d fi"'
    assert tsquery(words) == "'景区' & '区管' & '管理' & '景':* & 'wi' & 'fi' & 'i·2d' & '·2df'"
    # A word with punctuation is one exact phrase: a run followed by punctuation must end there (its last
    # character), a run at the end of the word may go on (bigrams only, or a prefix for one character).
    assert fts5_match(query_groups("工作，")) == '"工作 作 ·2c"'
    assert fts5_match(query_groups("，开展，")) == '"·2c 开展 展 ·2c"'
    assert fts5_match(query_groups("作。开")) == '"作 ·3002 开"*'
    assert tsquery(query_groups("工作，")) == "'工作' & '作·2c'"
    assert fts5_match([("。",)]) is None
    assert tsquery([("。",)]) is None
    assert tsvector("景区景区") == "'区' '区景' '景区'"


# -- search over a small archive ---------------------------------------------------------------------------------


def _archive(factory: sessionmaker[Session]) -> dict[str, int]:
    issues = {
        "a": make_issue(
            1,
            date=dt.date(2024, 1, 8),
            articles=[
                ("景区安全检查", ["市文旅局对全市景区开展安全检查。", "检查景区15个。"]),
                ("河道治理", ["开展河道清淤，沿河景观提升。"]),
            ],
        ),
        "b": make_issue(
            2,
            date=dt.date(2024, 1, 15),
            articles=[
                ("工作动态", ["全市旅游市场平稳。", "景区客流同比增长，游客都说好风景"]),
                ("Wi-Fi覆盖", ["主要景区实现WiFi全覆盖，ＡＰＰ预约上线。"]),
            ],
        ),
        "c": make_issue(5, year=2023, date=dt.date(2023, 6, 1), articles=[("景区门票", ["景区门票价格公示。"])]),
    }
    ids = {}
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for key, issue in issues.items():
            ids[key] = repo.add(issue)[0].id
    return ids


def _search(factory: sessionmaker[Session], query: str, offset: int = 0, limit: int = 10) -> SearchPage:
    with transaction(factory) as session:
        return IssueRepository(session).search(query, offset=offset, limit=limit)


def _titles(page: SearchPage) -> list[str]:
    return [h.article_title for h in page.hits]


def test_two_character_word_ranked_title_hits_first_then_newest(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    page = _search(factory, "景区")
    # title hits first (newer issue first), then body hits: newest issue first, then article order
    assert _titles(page) == ["景区安全检查", "景区门票", "工作动态", "Wi-Fi覆盖"]
    assert [h.score for h in page.hits] == [1.0, 1.0, 0.0, 0.0]
    assert page.total == 4
    first = page.hits[0]
    assert (issue_label(first.issue, ZH), first.article_position) == ("2024年第1期", 1)


def test_one_character_word_also_at_the_end_of_a_run(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    # 景 is the last character of "好风景" in 工作动态; 河道治理 has it only in 景观
    assert _titles(_search(factory, "景")) == ["景区安全检查", "景区门票", "工作动态", "Wi-Fi覆盖", "河道治理"]
    assert _titles(_search(factory, "观")) == ["河道治理"]
    assert _titles(_search(factory, "风景")) == ["工作动态"]


def test_phrase_and_several_words(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    assert _titles(_search(factory, "安全检查")) == ["景区安全检查"]
    assert _titles(_search(factory, "景区 门票")) == ["景区门票"]
    assert _titles(_search(factory, "门票 景区")) == ["景区门票"]
    # each word matches somewhere, but never both in one article
    assert _search(factory, "景区 河道").total == 0
    # a phrase must be contiguous: 景区 and 检查 both occur, "景区检查" does not
    assert _search(factory, "景区检查").total == 0


def test_no_hits_and_empty_query(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    assert _search(factory, "机场") == SearchPage(hits=[], total=0)
    assert _search(factory, "   ") == SearchPage(hits=[], total=0)


def test_latin_is_case_and_width_insensitive_and_punctuation_is_literal(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    assert _titles(_search(factory, "wifi")) == ["Wi-Fi覆盖"]
    assert _titles(_search(factory, "WI-FI")) == ["Wi-Fi覆盖"]
    assert _titles(_search(factory, "app")) == ["Wi-Fi覆盖"]
    assert _titles(_search(factory, "15个")) == ["景区安全检查"]
    assert _titles(_search(factory, "清淤，沿河")) == ["河道治理"]
    assert _titles(_search(factory, "检查。")) == ["景区安全检查"]
    assert _search(factory, "景区。").total == 0
    # words made only of punctuation are ignored
    assert _titles(_search(factory, "景区 ，")) == _titles(_search(factory, "景区"))
    assert _search(factory, "， 。") == SearchPage(hits=[], total=0)


def test_words_with_punctuation_match_literally(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    # a run followed by punctuation must end right there, and the punctuation must be that one
    assert _titles(_search(factory, "增长，")) == ["工作动态"]
    assert _titles(_search(factory, "长，")) == ["工作动态"]
    assert _search(factory, "增长。").total == 0
    assert _search(factory, "同比，").total == 0  # 同比 occurs, but followed by 增长
    # a run after punctuation may go on in the text (one character: any run starting with it)
    assert _titles(_search(factory, "，游")) == ["工作动态"]
    assert _titles(_search(factory, "，游客")) == ["工作动态"]
    assert _titles(_search(factory, "淤，沿")) == ["河道治理"]
    assert _search(factory, "淤，景").total == 0
    # full width folds to half width; white space between runs is not punctuation
    assert _titles(_search(factory, "覆盖,app预约")) == ["Wi-Fi覆盖"]
    assert _search(factory, "覆盖，app，预约").total == 0
    assert _titles(_search(factory, "公示。 景区")) == ["景区门票"]
    assert _titles(_search(factory, "wi-fi覆盖")) == ["Wi-Fi覆盖"]
    assert _search(factory, "wifi覆盖").total == 0  # the title has a hyphen, the body "WiFi全覆盖"


def test_past_the_cap_one_publications_pages_are_slices_of_its_ranking(factory: sessionmaker[Session]) -> None:
    """A publication past the cap, another beside it with the same words in its titles: each tier of one
    publication's pages comes from its own articles (the title tier read whole, then the rest newest first)."""
    stored = _crowded_archive(factory)
    other = "某市安全生产简报"
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 31):
            issue = make_issue(
                n, masthead=other, date=dt.date(2020, 1, 1) + dt.timedelta(days=n),
                articles=[("部署工作要点", ["部署工作，要求落实。"]), ("会议纪要", ["部署工作。"])],
            )
            stored.append((issue, repo.add(issue)[0].id))
        pubs = {p.masthead: p.id for p in PublicationRepository(session).all()}
    for masthead, query in [(make_issue().masthead, "部署工作 工作"), (make_issue().masthead, "部署工作"),
                            (other, "工作要点 部署"), (make_issue().masthead, "要点 部署")]:
        words = query.split()
        ranking = _expected_ranking([(i, n) for i, n in stored if i.masthead == masthead], words)
        assert any(all(w in a.title for w in words) for i, _ in stored if i.masthead == masthead for a in i.articles)
        for offset, limit in [(0, 10), (3, 40), (990, 20)]:
            with transaction(factory) as session:
                page = IssueRepository(session).search(
                    query, offset=offset, limit=limit, publication_id=pubs[masthead]
                )
            assert (page.total, page.capped) == (min(len(ranking), 1000), len(ranking) > 1000), query
            assert [(h.issue_id, h.article_position) for h in page.hits] == ranking[offset : offset + limit], (
                query, offset
            )


def test_a_word_with_punctuation_reads_only_the_page_of_articles(tmp_path: object) -> None:
    """SQLite answers a punctuated word from the index like any other: the only statement that reads articles is
    the one that loads the page's hits by key, never a scan of every article containing the word's runs, nor the
    titles of every match."""
    engine, factory = open_database(f"sqlite:///{tmp_path}/plan.sqlite3")
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 41):
            body = f"第{n}次会议部署工作{'，' if n % 10 == 0 else '。'}要求落实。"
            repo.add(make_issue(n, date=dt.date(2024, 1, 1) + dt.timedelta(days=n), articles=[(f"动态{n}", [body])]))
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    page = _search(factory, "工作，", limit=2)
    event.remove(engine, "before_cursor_execute", record)
    assert page.total == 4
    assert _titles(page) == ["动态40", "动态30"]
    assert _search(factory, "工作").total == 40
    reads = [(sql, params) for sql, params in statements if re.search(r"\b(FROM|JOIN) articles\b", sql)]
    # the page's articles, with their bodies, keyed by exactly the page's two hits
    bodies = [(sql, params) for sql, params in reads if "body" in sql]
    assert [len(params) for sql, params in bodies] == [2]
    assert all("MATCH" not in sql and "article_search" not in sql for sql, _ in bodies)
    # the title tier (ranked first) comes from the index of titles: no other statement reads articles
    assert [sql for sql, _ in reads if "body" not in sql] == []
    engine.dispose()


def test_migration_rebuilds_the_index_with_marks(db_url: str) -> None:
    """An archive indexed before punctuation marks existed (revision 0006) is re-indexed on upgrade."""
    engine, factory = open_database(db_url)
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(1, articles=[("动态", ["开展河道清淤，沿河景观提升。"])]))
    cfg = alembic_config()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # Later revisions rebuild the issues table on SQLite; with foreign keys on that would cascade.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006_receipts")
    if engine.dialect.name == "sqlite":
        count_marked = "SELECT count(*) FROM article_search WHERE article_search MATCH '\"·2c\"'"
    else:
        count_marked = "SELECT count(*) FROM article_search WHERE tokens @@ CAST('''·2c''' AS tsquery)"
    with engine.begin() as conn:
        assert conn.execute(sql_text(count_marked)).scalar() == 0
    migrate(engine)
    with engine.begin() as conn:
        assert conn.execute(sql_text(count_marked)).scalar() == 1
    assert _titles(_search(factory, "清淤，沿河")) == ["动态"]
    assert _search(factory, "清淤。").total == 0
    engine.dispose()


def test_paging(factory: sessionmaker[Session]) -> None:
    _archive(factory)
    page = _search(factory, "景区", offset=1, limit=2)
    assert _titles(page) == ["景区门票", "工作动态"]
    assert page.total == 4
    assert _search(factory, "景区", offset=10) == SearchPage(hits=[], total=4)
    assert _search(factory, "景区", limit=0) == SearchPage(hits=[], total=4)
    assert _search(factory, "景区 安全", offset=10) == SearchPage(hits=[], total=1)


def test_several_words_title_tier_needs_every_word_in_the_title(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        repo.add(make_issue(1, date=dt.date(2024, 5, 1), articles=[("景区门票", ["安全提示。"])]))
        repo.add(make_issue(2, date=dt.date(2024, 5, 2), articles=[("门票", ["景区安全。"])]))
        repo.add(make_issue(3, date=dt.date(2024, 4, 1), articles=[("景区安全门票", ["正文。"])]))
    page = _search(factory, "景区 门票 安全")
    assert _titles(page) == ["景区安全门票", "门票", "景区门票"]
    assert [h.score for h in page.hits] == [1.0, 0.0, 0.0]


def test_ties_go_to_the_newer_issue(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for number, day in ((1, 1), (3, 20), (2, 10)):
            repo.add(make_issue(number, date=dt.date(2024, 5, day), articles=[(f"动态{number}", ["召开调度会。"])]))
    assert _titles(_search(factory, "调度")) == ["动态3", "动态2", "动态1"]


def test_snippet_is_cut_around_the_first_hit(factory: sessionmaker[Session]) -> None:
    body = "前" * 50 + "河长制" + "后" * 50
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(1, articles=[("长文", [body]), ("河长制落实", ["短正文。"])]))
    hits = {h.article_title: h.snippet for h in _search(factory, "河长制").hits}
    long_snippet = hits["长文"]
    assert long_snippet.startswith("…") and long_snippet.endswith("…")
    assert "河长制" in long_snippet
    assert len(long_snippet) == 60 + 2
    # a title-only hit shows the start of the body, uncut
    assert hits["河长制落实"] == "短正文。"


def test_snippet_joins_paragraphs_with_spaces(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        IssueRepository(session).add(make_issue(1, articles=[("标题", ["第一段讲景区。", "第二段。"])]))
    assert [h.snippet for h in _search(factory, "景区").hits] == ["第一段讲景区。 第二段。"]


# -- identical answers on both backends --------------------------------------------------------------------------

_VOCAB = "景区 旅游 安全 检查 工作 会议 市场 河道 治理 文物 保护 游客 服务 质量 提升 全市 开展 推进 落实 部署".split()
_QUERIES = ["景", "区", "景区", "安全检查", "景区 安全", "工作 会议 市场", "旅游市场", "文物保护", "保", "质量 景",
            "无此词", "工作，", "，会议", "作，会", "市场，安全 景区"]


def _random_issues(seed: int) -> list[Issue]:
    rng = random.Random(seed)
    issues = []
    for n in range(1, 41):
        articles = [
            (
                "".join(rng.choices(_VOCAB, k=2)),
                [
                    "".join(w + ("，" if rng.random() < 0.2 else "") for w in rng.choices(_VOCAB, k=rng.randint(3, 12)))
                    + "。"
                    for _ in range(rng.randint(1, 3))
                ],
            )
            for _ in range(rng.randint(1, 4))
        ]
        date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 20))
        issues.append(make_issue(n, date=date, articles=articles))
    return issues


def _all_results(url: str) -> dict[str, list[tuple[str, int, str, str, float]]]:
    engine, factory = open_database(url)
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for issue in _random_issues(7):
            repo.add(issue)
    results = {}
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for query in _QUERIES:
            page = repo.search(query, limit=1000)
            assert page.total == len(page.hits)
            results[query] = [
                (issue_label(h.issue, ZH), h.article_position, h.article_title, h.snippet, h.score) for h in page.hits
            ]
    engine.dispose()
    return results


def test_results_and_order_match_a_plain_substring_scan(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        stored = [repo.add(issue)[0] for issue in _random_issues(3)]
    # a word with punctuation inside is a superset query for the index and is verified against the text
    text = stored[0].issue.articles[0].paragraphs[0]
    comma = text.index("，") if "，" in text else 2
    with_punctuation = text[max(0, comma - 2) : comma + 3]
    for query in [*_QUERIES, "景区-安全", with_punctuation]:
        words = query.split()
        expected = sorted(
            (
                (
                    all(w in article.title for w in words),
                    s.issue.date,
                    s.issue.number,
                    -pos,
                    (s.id, pos),
                )
                for s in stored
                for pos, article in enumerate(s.issue.articles, start=1)
                if all(w in article.title or w in "\n".join(article.paragraphs) for w in words)
            ),
            reverse=True,
        )
        page = _search(factory, query, limit=1000)
        assert query != with_punctuation or page.total > 0
        assert [(h.issue_id, h.article_position) for h in page.hits] == [e[-1] for e in expected], query
        assert page.total == len(expected)
        # pages are slices of the whole ranking
        if page.total > 3:
            assert _search(factory, query, offset=2, limit=2).hits == page.hits[2:4]


@needs_pg
def test_sqlite_and_postgresql_give_identical_results(tmp_path: object) -> None:
    sqlite = _all_results(f"sqlite:///{tmp_path}/cmp.sqlite3")
    with pg_schema_url() as url:
        postgres = _all_results(url)
    assert sum(len(v) for v in sqlite.values()) > 100
    assert postgres == sqlite


def test_searches_of_one_shape_share_their_statements_and_find_their_own_words(factory: sessionmaker[Session]) -> None:
    """The statements are built once per shape of query (words, spellings, publication) with the words bound: a
    second search of a shape builds nothing and finds its own words' hits, not the first's."""
    _archive(factory)
    builders = [
        search_module._matches_statement, search_module._tier_statement, search_module._title_count_statement,
        search_module._hits_statement, search_module._sql,
    ]
    for builder in builders:
        builder.cache_clear()
    assert _titles(_search(factory, "门票")) == ["景区门票"]
    assert [(h.article_title, h.score) for h in _search(factory, "景区 安全").hits] == [("景区安全检查", 1.0)]
    built = [builder.cache_info().misses for builder in builders]
    assert _titles(_search(factory, "河道")) == ["河道治理"]
    # one word in the title, the other in the body: not in the title tier
    assert [(h.article_title, h.score) for h in _search(factory, "河道 清淤").hits] == [("河道治理", 0.0)]
    assert _titles(_search(factory, "门票")) == ["景区门票"]
    assert [builder.cache_info().misses for builder in builders] == built
    assert search_module._hits_statement.cache_info().misses == 1
    if factory.kw["bind"].dialect.name == "postgresql":
        # two shapes (one word, two words), both sparse (no statistics yet: the planner's default estimate is low)
        assert search_module._matches_statement.cache_info().misses == 2


# -- counts that stop at the cap ---------------------------------------------------------------------------------


def _expected_ranking(stored: list[tuple[Issue, int]], words: list[str]) -> list[tuple[int, int]]:
    """(issue id, article position) of every article of STORED containing all WORDS, as search ranks them: every
    word in the title first, then newer issues, then earlier articles."""
    return [
        (issue_id, pos)
        for *_, issue_id, pos in sorted(
            (
                (all(w in article.title for w in words), issue.date, -pos, issue_id, pos)
                for issue, issue_id in stored
                for pos, article in enumerate(issue.articles, start=1)
                if all(w in article.title + "\n" + "\n".join(article.paragraphs) for w in words)
            ),
            reverse=True,
        )
    ]


def _crowded_archive(factory: sessionmaker[Session]) -> list[tuple[Issue, int]]:
    """1,200 articles: every one with 部署工作 (most followed by a comma, a few in the title), 景区 in about 40%, 防汛
    in about 3%; analysed afterwards, as autovacuum does, so PostgreSQL reads common words off the folded text."""
    rng = random.Random(11)
    stored = []
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for n in range(1, 241):
            articles = [
                (
                    "部署工作要点" if rng.random() < 0.02 else rng.choice(["会议纪要", "市场监管"]),
                    [
                        "部署工作" + ("，" if rng.random() < 0.9 else "。") + "防汛" * (rng.random() < 0.03)
                        + "景区" * (rng.random() < 0.4) + "要求落实。"
                    ],
                )
                for _ in range(5)
            ]
            issue = make_issue(n, date=dt.date(2020, 1, 1) + dt.timedelta(days=n), articles=articles)
            stored.append((issue, repo.add(issue)[0].id))
    with transaction(factory) as session:
        session.execute(sql_text("ANALYZE"))
    return stored


def test_counts_stop_at_the_cap_and_every_page_is_a_slice_of_the_ranking(factory: sessionmaker[Session]) -> None:
    stored = _crowded_archive(factory)
    # the newest issue replaced, its titles found; then replaced back, its old titles not found any more
    newest = stored[-1][0]
    renamed = make_issue(240, date=newest.date, articles=[("部署工作要点", a.paragraphs) for a in newest.articles])
    for issue in (renamed, newest):
        with transaction(factory) as session:
            stored[-1] = (issue, IssueRepository(session).add(issue, replace=True)[0].id)
        if issue is renamed:
            hits = _search(factory, "部署工作", limit=5).hits
            assert [(h.issue_id, h.score) for h in hits] == [(stored[-1][1], 1.0)] * 5
    queries = ["工作", "工作，", "景区", "防汛", "防汛 工作，", "工作 景区", "要点 工作", "部署工作", "工作要点 部署"]
    for query in queries:
        words = query.split()
        ranking = _expected_ranking(stored, words)
        for offset, limit in [(0, 10), (20, 10), (990, 20)]:
            page = _search(factory, query, offset=offset, limit=limit)
            assert (page.total, page.capped) == (min(len(ranking), 1000), len(ranking) > 1000), query
            assert [(h.issue_id, h.article_position) for h in page.hits] == ranking[offset : offset + limit], (
                query, offset
            )
    # the archive has what the queries are about: capped counts, a title tier, rare words
    assert [_search(factory, q).capped for q in ["工作", "工作，", "景区", "防汛"]] == [True, True, False, False]
    assert [h.score for h in _search(factory, "部署工作", limit=3).hits] == [1.0, 1.0, 1.0]
    assert stored[-1][1] not in {h.issue_id for h in _search(factory, "部署工作", limit=3).hits}


@needs_pg
def test_postgresql_estimates_a_query_once_in_a_while_not_on_every_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether a query is dense (read off the folded text) or sparse (through the GIN index) comes from the
    # planner's estimate, an EXPLAIN round trip: kept for a while per query, the next searches skip it and find
    # the same hits; once it is older than its time to live the query is estimated again.
    clock = [1000.0]
    monkeypatch.setattr(search_module._density, "_clock", lambda: clock[0])
    with pg_schema_url() as url:
        engine, factory = open_database(url)
        try:
            _crowded_archive(factory)
            explains: list[str] = []
            event.listen(
                engine, "before_cursor_execute",
                lambda *args: explains.append(args[2]) if args[2].startswith("EXPLAIN") else None,
            )
            for query in ("景区", "防汛 工作，"):
                first = _search(factory, query)
                assert len(explains) == 1
                assert _search(factory, query) == first
                assert len(explains) == 1
                clock[0] += search_module._Density.TTL + 1
                assert _search(factory, query) == first
                assert len(explains) == 2
                explains.clear()
        finally:
            engine.dispose()


@needs_pg
def test_postgresql_keeps_a_querys_estimate_per_database(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two databases (schemas) differ in what is dense: each estimates a query of its own, neither reuses the other's.
    monkeypatch.setattr(search_module._density, "_clock", lambda: 1000.0)
    with pg_schema_url() as first_url, pg_schema_url() as second_url:
        opened = [open_database(first_url), open_database(second_url)]
        try:
            explains: list[list[str]] = [[], []]
            for (engine, factory), seen in zip(opened, explains, strict=True):
                _archive(factory)
                event.listen(
                    engine, "before_cursor_execute",
                    lambda *args, seen=seen: seen.append(args[2]) if args[2].startswith("EXPLAIN") else None,
                )
            first, second = (_search(factory, "景区") for _engine, factory in opened)
            assert first == second and first.total == 4
            assert [len(seen) for seen in explains] == [1, 1]
            assert [_search(factory, "景区") for _engine, factory in opened] == [first, second]
            assert [len(seen) for seen in explains] == [1, 1]
        finally:
            for engine, _factory in opened:
                engine.dispose()


@needs_pg
def test_a_sparse_search_leaves_the_planner_as_it_found_it_for_the_next_search() -> None:
    # A search without hits tries shorter words in the same transaction: a common word searched after a rare one
    # must be planned with sequential scans allowed again (left off, it read every row through the GIN index, 60-80
    # ms instead of 8-12).
    with pg_schema_url() as url:
        engine, factory = open_database(url)
        try:
            _crowded_archive(factory)
            with transaction(factory) as session:
                repo = IssueRepository(session)
                assert repo.search("防汛", limit=5).total > 0  # rare: through the GIN index, sequential scans off
                assert session.execute(sql_text("SELECT current_setting('enable_seqscan')")).scalar() == "on"
        finally:
            engine.dispose()
