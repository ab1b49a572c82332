"""The callback data scheme: what the buttons carry round-trips, and anything else is rejected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks as cb


def test_every_kind_round_trips() -> None:
    assert cb.parse_callback(cb.cb_article(12, 3)) == cb.OpenArticle(12, 3)
    assert cb.parse_callback(cb.cb_contents(12)) == cb.ShowContents(12)
    assert cb.parse_callback(cb.cb_issues_page(2)) == cb.IssuesPage(2)
    assert cb.parse_callback(cb.cb_search(2, query="景区 安全")) == cb.SearchResults(2, "景区 安全", None)
    assert cb.parse_callback(cb.cb_search(2, key="1a")) == cb.SearchResults(2, None, "1a")
    assert cb.parse_callback(cb.cb_department(0)) == cb.ChooseDepartment(0)
    assert cb.parse_callback(cb.cb_department(None)) == cb.ChooseDepartment(None)
    assert cb.parse_callback(cb.cb_ack(5)) == cb.Ack(5)
    assert cb.parse_callback(cb.cb_noop()) == cb.Noop()
    assert cb.parse_callback(cb.cb_routed("r", 7, 8)) == cb.Routed("r", (7, 8))
    assert cb.parse_callback(cb.cb_issues_page(2, 3)) == cb.IssuesPage(2, 3)
    assert cb.cb_issues_page(2, 0) == cb.cb_issues_page(2)
    assert cb.parse_callback(cb.cb_toggle_publication(4)) == cb.TogglePublication(4)
    assert cb.parse_callback(cb.cb_more_latest(3)) == cb.MoreLatest(3)


def test_a_query_too_long_for_64_bytes_needs_a_key() -> None:
    long_query = "景区" * 20
    assert cb.cb_search(1, query=long_query) is None
    data = cb.cb_search(1, query=long_query, key="z9")
    assert data is not None and len(data.encode()) <= 64


@pytest.mark.parametrize(
    "data",
    [None, "", "1", "1:", "2:a:1:1", "1:a:1", "1:a:1:2:3", "1:a:0:1", "1:a:1:0", "1:a:-1:1", "1:a:01:1",
     "1:a:x:1", "1:c:", "1:l:0", "1:s:0:q:x", "1:s:1:q: ", "1:s:1:k:ABC", "1:s:1:x:y", "1:d:x", "1:n:1",
     "1:a:1:1\n", "1:" + "a" * 63, "1:r:1:x", "1:rr",
     "1:t:0", "1:t:", "1:t:1:2", "1:m:0", "1:m:x", "1:l:1:x", "1:l:1:2:3", "1:t:2147483648",
     # out of the database's integer range
     "1:l:999999999999999999", "1:l:2147483648", "1:a:2147483648:1", "1:a:1:99999999999", "1:c:2147483648",
     "1:s:2147483648:q:x", "1:d:2147483648", "1:k:2147483648", "1:q:2147483648:1", "1:x:1:99999999999"],
)
def test_malformed_data_is_rejected(data: str | None) -> None:
    assert cb.parse_callback(data) is None


def test_numbers_up_to_the_database_range_parse() -> None:
    assert cb.parse_callback("1:l:2147483647") == cb.IssuesPage(2147483647)
    assert cb.parse_callback("1:s:2147483647:q:2147483648") == cb.SearchResults(2147483647, "2147483648", None)
    assert cb.parse_callback("1:q:2147483647:1") == cb.Routed("q", (2147483647, 1))


def test_core_kinds_cannot_be_taken_by_routes() -> None:
    for kind in "atm":
        with pytest.raises(ValueError):
            cb.cb_routed(kind, 1)


@given(st.text(max_size=80))
def test_parsing_never_raises(data: str) -> None:
    cb.parse_callback(data)
