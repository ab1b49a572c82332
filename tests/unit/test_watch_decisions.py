"""The watch's pure decisions: backoff, when to alert, what is new, polling one source at a time per host."""

from __future__ import annotations

import datetime as dt

from jobs.watch import alert_change, backoff, by_host, new_links
from jobs.watch_links import Link
from storage.watch_repo import SourceInfo

EVERY = dt.timedelta(minutes=30)
CAP = dt.timedelta(hours=6)


def test_backoff_doubles_per_failure_and_is_bounded() -> None:
    assert [backoff(EVERY, n, CAP) / EVERY for n in range(6)] == [1, 2, 4, 8, 12, 12]
    assert backoff(EVERY, 10_000, CAP) == CAP
    # A source polled less often than the cap is never polled more often for failing.
    assert backoff(dt.timedelta(days=1), 3, CAP) == dt.timedelta(days=1)


def test_alerts_once_at_the_threshold_and_once_on_recovery() -> None:
    states = []
    alerted = False
    failures = 0
    for ok in [False, False, False, False, False, True, True, False]:
        failures = 0 if ok else failures + 1
        change = alert_change(failures=failures, alerted=alerted, ok=ok, alert_after=3)
        states.append(change)
        alerted = {"alert": True, "recovered": False}.get(change or "", alerted)
    assert states == [None, None, "alert", None, None, "recovered", None, None]


def test_new_links_keep_page_order() -> None:
    links = [Link("http://x.cn/3", "3"), Link("http://x.cn/2", "2"), Link("http://x.cn/1", "1")]
    assert new_links(links, {"http://x.cn/2"}) == [links[0], links[2]]


def _source(i: int, url: str) -> SourceInfo:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return SourceInfo(i, url, EVERY, "", "preview", "auto", False, True, None, None, now, None, None, 0, False, None)


def test_sources_of_one_host_are_polled_one_after_another() -> None:
    sources = [_source(1, "http://a.cn/x"), _source(2, "https://b.cn/y"), _source(3, "http://A.cn:80/z")]
    assert [[s.id for s in group] for group in by_host(sources)] == [[1, 3], [2]]
