"""The per-process cache of stored issues: an entry is used only at the exact version it was stored under, and the
cache stays within its budget; a replaced issue always gets a version it never had."""

from __future__ import annotations

import dataclasses
import datetime as dt

from support.issues import make_issue

from storage.archive import StoredIssue, next_version
from storage.issue_cache import IssueCache, text_size

V1 = dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.UTC)
V2 = V1 + dt.timedelta(microseconds=1)


def stored(issue_id: int, title: str = "第1期工作动态") -> StoredIssue:
    issue = make_issue(issue_id, articles=[(title, ["正文一段。"])])
    return StoredIssue(issue_id, issue)


def test_an_entry_is_used_only_at_its_version() -> None:
    cache = IssueCache()
    cache.put(V1, stored(1))
    assert cache.get(1, V1) == stored(1)
    assert cache.get(1, V2) is None  # replaced since: the reader loads it again
    assert cache.get(2, V1) is None
    cache.put(V2, stored(1, "更正后的标题"))
    assert cache.get(1, V1) is None
    hit = cache.get(1, V2)
    assert hit is not None and hit.issue.articles[0].title == "更正后的标题"
    assert len(cache) == 1


def test_the_least_recently_used_issues_go_first_when_the_budget_is_spent() -> None:
    size = text_size(stored(1))
    cache = IssueCache(budget_chars=3 * size)
    for issue_id in (1, 2, 3):
        cache.put(V1, stored(issue_id))
    assert cache.get(1, V1) is not None  # 1 was read: 2 is now the oldest
    cache.put(V1, stored(4))
    assert [cache.get(i, V1) is not None for i in (1, 2, 3, 4)] == [True, False, True, True]


def test_an_issue_larger_than_the_whole_budget_is_not_kept() -> None:
    big = stored(1)
    big = dataclasses.replace(big, issue=dataclasses.replace(big.issue, articles=big.issue.articles * 50))
    cache = IssueCache(budget_chars=text_size(big) - 1)
    cache.put(V1, big)
    assert cache.get(1, V1) is None and len(cache) == 0


def test_a_replace_moves_the_version_forward_whatever_the_clock_says() -> None:
    assert next_version(None, V1) == V1
    assert next_version(V1, V2) == V2
    assert next_version(V1, V1) > V1  # two replaces within one clock tick
    assert next_version(V1, V1 - dt.timedelta(hours=1)) > V1  # the clock was set back
