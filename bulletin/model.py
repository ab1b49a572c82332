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
    """One issue of a bulletin, as parsed from the office's document."""

    masthead: str
    year: int | None
    number: int
    total_number: int | None
    publisher: str | None
    date: dt.date | None
    toc: tuple[TocEntry, ...]
    articles: tuple[Article, ...]
    footer: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

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
        }
