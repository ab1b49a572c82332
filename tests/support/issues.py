"""The one builder of made-up issues for tests (unit, integration and end-to-end alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bulletin.model import Article, Issue, TocEntry


def make_issue(
    number: int | None = 1,
    *,
    year: int | None = 2024,
    total: int | None = None,
    masthead: str = "某市文旅工作简报",
    publisher: str = "某市文化和旅游局办公室",
    date: dt.date | None = None,
    articles: Sequence[tuple[str, Sequence[str]] | Article] | None = None,
    sections: Sequence[str | None] = ("工作动态",),
    toc: tuple[TocEntry, ...] | None = None,
    footer: tuple[str, ...] = ("报：市委办公室", "共印30份"),
) -> Issue:
    """A made-up issue. ARTICLES are (title, paragraphs) pairs or Articles; the contents list them, entry i in
    SECTIONS[i] (no section past the end of SECTIONS), unless TOC is given. The date defaults to 1 January of YEAR
    plus NUMBER weeks."""
    week_offset = number or 0
    if articles is None:
        articles = [
            (f"第{number}期工作动态", ["全市各单位认真落实部署。", f"本期编号{number}。"]),
            ("景区安全检查", ["市文旅局对全市景区开展安全检查。", "检查发现问题12处，已整改。"]),
        ]
    built = tuple(a if isinstance(a, Article) else Article(title=a[0], paragraphs=tuple(a[1])) for a in articles)
    if toc is None:
        toc = tuple(TocEntry(title=a.title, section=sections[i] if i < len(sections) else None)
                    for i, a in enumerate(built))
    return Issue(
        masthead=masthead,
        year=year,
        number=number,
        total_number=total,
        publisher=publisher,
        date=date if date is not None else (dt.date(year, 1, 1) + dt.timedelta(days=7 * week_offset) if year else None),
        toc=toc,
        articles=built,
        footer=footer,
    )
