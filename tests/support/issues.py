"""The one builder of made-up issues for tests."""

from __future__ import annotations

import datetime as dt

from bulletin.model import Article, Issue, TocEntry


def make_issue(
    number: int | None = 1,
    *,
    year: int | None = 2024,
    total: int | None = None,
    masthead: str = "某市文旅工作简报",
    date: dt.date | None = None,
    articles: list[tuple[str, list[str]]] | None = None,
    footer: tuple[str, ...] = ("报：市委办公室", "共印30份"),
) -> Issue:
    """A made-up issue; articles given as (title, paragraphs)."""
    week_offset = number or 0
    if articles is None:
        articles = [
            (f"第{number}期工作动态", ["全市各单位认真落实部署。", f"本期编号{number}。"]),
            ("景区安全检查", ["市文旅局对全市景区开展安全检查。", "检查发现问题12处，已整改。"]),
        ]
    return Issue(
        masthead=masthead,
        year=year,
        number=number,
        total_number=total,
        publisher="某市文化和旅游局办公室",
        date=date if date is not None else (dt.date(year, 1, 1) + dt.timedelta(days=7 * week_offset) if year else None),
        toc=tuple(TocEntry(title=t, section="工作动态" if i == 0 else None) for i, (t, _) in enumerate(articles)),
        articles=tuple(Article(title=t, paragraphs=tuple(ps)) for t, ps in articles),
        footer=footer,
    )
