"""A per-process cache of stored issues, keyed by issue id and version, so readers skip loading unchanged issues.

Why it is safe. A stored issue's content (identity fields, 要目, articles) changes in one place only:
`IssueRepository.add` with replace, which rewrites the row and its contents and moves the row's `updated_at`
strictly forward (never to a value it had before, whatever the clock does). Every cached read first reads the row's
`updated_at` in the reader's own transaction (one indexed row, no contents) and uses an entry only when it was stored
under exactly that version. So a replace committed by any process, on any store, makes every other process's entry
for that issue unreachable at its next read; nothing needs to be told. Handling marks (内部资料) and the
previous-issue link are not part of an entry: they change without a replace, so every read gets them in the same
statement as the version (IssueRepository.context).

Bounded: entries are kept least recently used first up to a budget of text characters (the size of an issue in
memory is about proportional to its text), so a large archive costs at most that much memory.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.archive import StoredIssue

# About 2 bytes of memory per character of Chinese text plus the objects around it: 16 M characters is some 50 MB,
# every issue of a 10,000-issue archive of short bulletins, or the recent few thousand of long ones.
DEFAULT_BUDGET_CHARS = 16_000_000


def text_size(stored: StoredIssue) -> int:
    """Characters of text in STORED (what its entry costs against the budget)."""
    issue = stored.issue
    size = len(issue.masthead) + len(issue.publisher or "") + sum(len(line) for line in issue.footer)
    size += sum(len(e.title) + len(e.section or "") for e in issue.toc)
    size += sum(len(a.title) + sum(len(p) for p in a.paragraphs) for a in issue.articles)
    return size + 64 * (1 + len(issue.toc) + len(issue.articles))


class IssueCache:
    """Stored issues by (id, version); thread-safe (units of work run in worker threads)."""

    def __init__(self, budget_chars: int = DEFAULT_BUDGET_CHARS) -> None:
        self.budget_chars = budget_chars
        self._entries: OrderedDict[int, tuple[dt.datetime, StoredIssue, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, issue_id: int, version: dt.datetime) -> StoredIssue | None:
        """The issue kept for ISSUE_ID at exactly VERSION, or None (not kept, or kept at another version)."""
        with self._lock:
            entry = self._entries.get(issue_id)
            if entry is None or entry[0] != version:
                self.misses += 1
                return None
            self._entries.move_to_end(issue_id)
            self.hits += 1
            return entry[1]

    def put(self, version: dt.datetime, stored: StoredIssue) -> None:
        """Keep STORED as its issue's content at VERSION (replacing any other version of it)."""
        size = text_size(stored)
        if size > self.budget_chars:
            return
        with self._lock:
            old = self._entries.pop(stored.id, None)
            if old is not None:
                self._size -= old[2]
            self._entries[stored.id] = (version, stored, size)
            self._size += size
            while self._size > self.budget_chars:
                _, (_, _, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    def __len__(self) -> int:
        return len(self._entries)
