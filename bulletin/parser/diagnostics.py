"""What the document libraries say while they read: captured, never printed, turned into parse warnings.

pdfminer logs a warning for every damaged object it meets (hundreds for one file), and the libraries' Python
warnings would reach stderr too. During a parse they are collected instead; the ones that tell the admin something
become Issue.warnings, one line per kind with a count ("damaged PDF: data lost while decompressing (3 times)").
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

# Loggers of the libraries the readers use (pdfminer's are "pdfminer.pdftypes", "pdfminer.pdfpage", ...).
_LIBRARY_LOGGERS = ("pdfminer", "pdfplumber", "docx", "charset_normalizer", "PIL")
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Data-loss while decompressing"), "damaged PDF: data lost while decompressing"),
    (re.compile(r"FontBBox"), "damaged PDF: a font has no usable bounding box"),
    (re.compile(r"MediaBox|CropBox"), "damaged PDF: a page has a missing or invalid page size"),
    (re.compile(r"xref|trailer|startxref", re.IGNORECASE), "damaged PDF: its cross-reference table is broken"),
    (re.compile(r"font width", re.IGNORECASE), "damaged PDF: a font has invalid character widths"),
    (re.compile(r"circular reference"), "damaged PDF: a page refers to itself"),
)
_OTHER_PDF = "damaged PDF: other problems reported while reading it"
_OTHER = "the document reader reported problems while reading it"


class _Collector(logging.Handler):
    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.WARNING)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string must not break the parse
            message = str(record.msg)
        self.counts[_warning_for(record.name, message)] += 1


def _warning_for(source: str, message: str) -> str:
    for pattern, warning in _KNOWN:
        if pattern.search(message):
            return warning
    return _OTHER_PDF if source.startswith(("pdfminer", "pdfplumber")) else _OTHER


@contextmanager
def captured_library_warnings() -> Iterator[Counter[str]]:
    """Collect the libraries' log warnings and Python warnings raised inside the block, by parse warning."""
    counts: Counter[str] = Counter()
    handler = _Collector(counts)
    saved: list[tuple[logging.Logger, bool, int]] = []
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(handler)
        logger.propagate = False
        # Below WARNING nothing is kept: skip building pdfminer's many debug records at all.
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Warnings about the libraries' own code say nothing about the document: drop them, unprinted.
            for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)
            yield counts
        for item in caught:
            counts[_warning_for(getattr(item.category, "__module__", ""), str(item.message))] += 1
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)


def as_parse_warnings(counts: Counter[str]) -> list[str]:
    """One warning per kind, in first-seen order, with how many times it happened when more than once."""
    return [warning if n == 1 else f"{warning} ({n} times)" for warning, n in counts.items()]
