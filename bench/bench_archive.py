"""Import and search benchmark over a generated archive (default 10,000 issues, 50,000 articles).

    .venv/bin/python bench/bench_archive.py [--issues 10000] [--pg-url postgresql+psycopg://...]

Generates deterministic synthetic Chinese bulletins, imports them one transaction per issue (as `bulletin-bot
import` does), then measures search latency (p50/p95) for 1-, 2- and 4-character words, two-word queries and
words with punctuation, against a plain `LIKE '%word%'` scan over the same tables measured in the same run.
PostgreSQL is measured too when --pg-url or BULLETIN_BOT_TEST_PG_URL is given (in a scratch schema that is dropped
afterwards, or --pg-schema NAME kept for the next run), after an ANALYZE (as autovacuum does after a bulk load).
--sqlite-file PATH keeps the SQLite archive the same way.
Counts stop at storage.search.COUNT_CAP ("1000+"); the LIKE scan's exact count is checked against that. CPU columns:
mean CPU milliseconds per search of this process and, on a local PostgreSQL, of its server process (less load
dependent than latency on a shared machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

# --code DIR: search with another checkout's storage (the "before" of a change) over an archive already stored and
# migrated by this one (--pg-schema); it must come first on the path, before any of the project is imported.
if "--code" in sys.argv:
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])

from bulletin.model import Article, Issue, TocEntry
from storage import archive
from storage.archive import IssueRepository
from storage.db import open_database, transaction

# Counts stop here ("1000+"); None for code that counts every match.
COUNT_CAP: int | None = getattr(archive, "COUNT_CAP", None)

# Words of a typical office bulletin, spread over a vocabulary of ~3,000 pseudo-words (pairs of common characters) and
# drawn with Zipf weights, so that a few words are everywhere (工作) and most are rare, as in real text.
REAL_WORDS = (
    "工作 全市 推进 落实 开展 会议 部署 要求 加强 提升 服务 管理 发展 建设 项目 单位 重点 安全 生产 检查 景区 旅游 "
    "游客 市场 文化 文物 保护 河道 治理 生态 环境 污染 防治 垃圾 分类 城市 乡村 振兴 农业 产业 企业 招商 引资 "
    "营商 优化 政务 改革 创新 科技 人才 教育 医疗 卫生 养老 民生 就业 社保 交通 道路 工程 质量 监督 执法 整改 "
    "问题 隐患 排查 应急 演练 防汛 森林 防火 消防 节日 假期 客流 接待 收入 同比 增长 数据 统计 调研 座谈 督导 "
    "考核 任务 目标 机制 制度 规范 标准 宣传 培训 志愿 社区 街道 群众 满意 投诉 办理 窗口 线上 平台 数字 智慧"
).split()
COMMON_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些"
    "然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公"
    "无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将"
    "组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金"
)
_rng = random.Random(7)
_firsts, _seconds = _rng.choices(COMMON_CHARS, k=4000), _rng.choices(COMMON_CHARS, k=4000)
_pseudo = sorted({a + b for a, b in zip(_firsts, _seconds, strict=True)})
_rng.shuffle(_pseudo)
WORDS = list(_pseudo[:3000])
for _i, _word in enumerate(REAL_WORDS):
    WORDS.insert(_i * 25, _word)  # real words at ranks 0, 25, 50, ...: from everywhere to fairly rare
for _i, _phrase in enumerate(("安全生产", "垃圾分类", "营商环境", "乡村振兴", "河长制度", "智慧旅游")):
    WORDS.insert(200 + _i * 150, _phrase)
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
PUNCT = "，，，、。；"

QUERIES: dict[str, list[str]] = {
    "1 char": ["景", "河", "游", "寺"],
    "2 chars": ["景区", "文物", "防汛", "智慧"],
    "4 chars": ["安全生产", "营商环境", "智慧旅游", "乡村振兴"],
    "2 words": ["景区 安全", "工作 景区", "安全生产 全市", "文物 工作"],
    "common": ["工作", "国", "全市 推进"],
    # Words with punctuation (a common word followed by a comma, a sentence end, a two-run phrase).
    "punctuation": ["工作，", "景区，", "安全。", "推进，落实"],
}
_APART = ("common", "punctuation")  # reported on their own rows, not in "ALL"


def generate(n_issues: int, articles_per_issue: int, seed: int = 20240508) -> Iterator[Issue]:
    """Deterministic synthetic issues: a few hundred characters per article."""
    rng = random.Random(seed)
    start = dt.date(2000, 1, 3)
    for i in range(n_issues):
        year = 2000 + i // 400
        articles = []
        for _ in range(articles_per_issue):
            title = "".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(3, 6)))
            paragraphs = []
            for _ in range(rng.randint(3, 6)):
                sentence = [w + (rng.choice(PUNCT) if rng.random() < 0.25 else "") for w in rng.choices(
                    WORDS, WEIGHTS, k=rng.randint(30, 70)
                )]
                paragraphs.append("".join(sentence).rstrip("，、；") + "。")
            articles.append(Article(title=title, paragraphs=tuple(paragraphs)))
        yield Issue(
            masthead="某市工作简报",
            year=year,
            number=i % 400 + 1,
            total_number=i + 1,
            publisher="某市人民政府办公室",
            date=start + dt.timedelta(days=i),
            toc=tuple(TocEntry(a.title) for a in articles),
            articles=tuple(articles),
            footer=("报：市委、市人大、市政协", "共印50份"),
        )


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _like_scan(session: Any, query: str) -> int:
    """The baseline: the same answer (all words, title or body, count + first page) by LIKE '%word%'."""
    words = query.split()
    conditions = " AND ".join(f"(a.title LIKE :w{i} OR a.body LIKE :w{i})" for i in range(len(words)))
    params = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
    rows = session.execute(
        text(
            "SELECT a.id, a.title, count(*) OVER () AS total FROM articles a JOIN issues i ON i.id = a.issue_id "
            f"WHERE {conditions} ORDER BY i.date DESC, a.position LIMIT 10"
        ),
        params,
    ).all()
    return int(rows[0].total) if rows else 0


def _cpu_s(backend_pid: int | None) -> float:
    """CPU seconds used so far by this process and, on a local PostgreSQL, by the session's server process (from
    /proc, in clock ticks): CPU per search depends far less on the machine's load than its latency does."""
    used = time.process_time()
    if backend_pid is not None:
        try:
            with open(f"/proc/{backend_pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return used


def run_backend(name: str, url: str, n_issues: int, per_issue: int, repeat: int, *, migrate: bool = True
                ) -> list[list[str]]:
    if migrate:
        engine, factory = open_database(url)
    else:  # --code: the archive is there already, at a revision the other checkout may not know
        engine = create_engine(url)
        factory = sessionmaker(engine)
    with factory() as session:
        stored = IssueRepository(session).count()
    t0 = time.perf_counter()
    # A kept schema (--pg-schema) that already holds the archive is searched as it is.
    for done, issue in enumerate(generate(n_issues if stored == 0 else 0, per_issue), start=1):
        with transaction(factory) as session:
            IssueRepository(session).add(issue)
        if done % 1000 == 0:
            print(f"{name}: {done} issues imported ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    import_s = max(time.perf_counter() - t0, 1e-9)
    if stored:
        n_issues = 0  # searched as it was: nothing imported in this run
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: the planner's statistics of the new rows.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"{name}: imported {n_issues} issues ({n_issues * per_issue} articles) in {import_s:.1f} s "
          f"= {n_issues / import_s:.0f} issues/s", file=sys.stderr)
    rows: list[list[str]] = []
    all_index: list[float] = []
    all_like: list[float] = []
    with factory() as session:
        repo = IssueRepository(session)
        backend_pid = session.scalar(text("SELECT pg_backend_pid()")) if engine.dialect.name == "postgresql" else None
        all_cpu = [0.0, 0.0]
        for category, queries in QUERIES.items():
            index_ms: list[float] = []
            cpu_ms = [0.0, 0.0]  # index, LIKE: summed over the runs
            like_ms: list[float] = []
            hits: list[int] = []
            for query in queries:
                repo.search(query)  # warm the cache once; then measure
                _like_scan(session, query)
                for _ in range(repeat):
                    t, cpu = time.perf_counter(), _cpu_s(backend_pid)
                    page = repo.search(query)
                    index_ms.append((time.perf_counter() - t) * 1000)
                    cpu_ms[0] += (_cpu_s(backend_pid) - cpu) * 1000
                    t, cpu = time.perf_counter(), _cpu_s(backend_pid)
                    like_total = _like_scan(session, query)
                    like_ms.append((time.perf_counter() - t) * 1000)
                    cpu_ms[1] += (_cpu_s(backend_pid) - cpu) * 1000
                cap = COUNT_CAP if COUNT_CAP is not None else like_total
                if page.total != min(like_total, cap) or getattr(page, "capped", False) != (like_total > cap):
                    raise SystemExit(f"{name}: {query!r}: index search found {page.total}, LIKE {like_total}")
                hits.append(like_total)
            runs = len(index_ms)
            if category not in _APART:
                all_index += index_ms
                all_like += like_ms
                all_cpu = [all_cpu[0] + cpu_ms[0], all_cpu[1] + cpu_ms[1]]
            rows.append([
                name, category, " / ".join(queries), " / ".join(map(str, hits)),
                f"{statistics.median(index_ms):.1f}", f"{_percentile(index_ms, 95):.1f}", f"{cpu_ms[0] / runs:.1f}",
                f"{statistics.median(like_ms):.1f}", f"{_percentile(like_ms, 95):.1f}", f"{cpu_ms[1] / runs:.1f}",
            ])
    runs = len(all_index)
    rows.append([name, "ALL (exc. common, punctuation)", "", "",
                 f"{statistics.median(all_index):.1f}", f"{_percentile(all_index, 95):.1f}", f"{all_cpu[0] / runs:.1f}",
                 f"{statistics.median(all_like):.1f}", f"{_percentile(all_like, 95):.1f}", f"{all_cpu[1] / runs:.1f}"])
    if n_issues:
        rows.append([name, "import", f"{n_issues / import_s:.0f} issues/s", f"{import_s:.1f} s total",
                     "", "", "", "", "", ""])
    engine.dispose()
    return rows


@contextmanager
def pg_scratch_schema(base_url: str, keep: str = "") -> Iterator[str]:
    """A schema for the run: a fresh one dropped afterwards, or KEEP (created if missing, kept for the next run)."""
    schema = keep or f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--articles-per-issue", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query (default 15)")
    parser.add_argument("--pg-url", default=os.environ.get("BULLETIN_BOT_TEST_PG_URL", ""))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--code", default="", help="search with the storage of this checkout (see above)")
    parser.add_argument("--sqlite-file", default="", help="keep the SQLite archive in this file and reuse it when "
                        "it is already filled (like --pg-schema; --code needs one of the two)")
    parser.add_argument("--pg-schema", default="", help="keep the PostgreSQL archive in this schema and reuse it "
                        "when it is already filled (repeated runs skip the import)")
    args = parser.parse_args()
    rows: list[list[str]] = []
    if args.sqlite_file:
        rows += run_backend("sqlite", f"sqlite:///{args.sqlite_file}", args.issues, args.articles_per_issue,
                            args.repeat, migrate=not args.code)
    elif not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            rows += run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.issues, args.articles_per_issue,
                                args.repeat)
    if args.pg_url:
        with pg_scratch_schema(args.pg_url, args.pg_schema) as url:
            rows += run_backend("postgresql", url, args.issues, args.articles_per_issue, args.repeat,
                                migrate=not args.code)
    # CPU: mean milliseconds of CPU per search, this process and (local PostgreSQL) the server process together.
    header = ["backend", "queries", "words", "hits", "index p50 ms", "index p95 ms", "index CPU ms",
              "LIKE p50 ms", "LIKE p95 ms", "LIKE CPU ms"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
