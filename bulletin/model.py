"""The bulletin model: an issue of a work bulletin (工作简报) and its articles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TocEntry:
    """One 要目 entry, with the section label (e.g. 工作动态) it was grouped under, if any."""

    title: str
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """An article: its heading and body paragraphs, in order."""

    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    """One issue of a bulletin, as parsed from the office's document.

    NUMBER is None for dated reports that print no issue number (每日动态, 工作周报): such an issue is identified by
    masthead and date. WEEK is the printed week number ("2023年第15周"), if any. MARKS are handling marks printed
    above the masthead (内部资料, 注意保存, 秘密), never part of the masthead. UNCERTAIN names the fields that were
    inferred rather than read (e.g. "year" taken from the date, "publisher" from a sign-off, "toc" built from
    headings), in the order of `to_json_dict`'s keys.
    """

    masthead: str
    year: int | None
    number: int | None
    total_number: int | None
    publisher: str | None
    date: dt.date | None
    toc: tuple[TocEntry, ...]
    articles: tuple[Article, ...]
    footer: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)
    week: int | None = None
    marks: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = field(default=(), compare=False)

    def to_json_dict(self) -> dict[str, Any]:
        """The `parse --json` object, keys in the documented order."""
        return {
            "masthead": self.masthead,
            "year": self.year,
            "number": self.number,
            "total_number": self.total_number,
            "publisher": self.publisher,
            "date": self.date.isoformat() if self.date else None,
            "toc": [entry.title for entry in self.toc],
            "articles": [{"title": a.title, "paragraphs": list(a.paragraphs)} for a in self.articles],
            "footer": list(self.footer),
            "warnings": list(self.warnings),
            "uncertain": list(self.uncertain),
        }
