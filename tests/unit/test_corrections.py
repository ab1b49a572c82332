"""The one validation of typed corrections (bulletin/corrections.py), shared by the desk's 修改 and import --set."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from support.issues import make_issue

from bulletin.corrections import FieldError, correct, identifiable, parse_assignment, parse_value


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("number", " 12 ", 12),
        ("number", "１２", 12),  # full-width digits from a Chinese keyboard
        ("number", "-", None),
        ("year", "2023", 2023),
        ("total_number", "158", 158),
        ("date", "2023-06-01", dt.date(2023, 6, 1)),
        ("date", "2023年6月1日", dt.date(2023, 6, 1)),
        ("date", "2023/6/1", dt.date(2023, 6, 1)),
        ("date", "2023.06.01", dt.date(2023, 6, 1)),
        ("masthead", " 某市工作简报 ", "某市工作简报"),
        ("publisher", "-", None),
    ],
)
def test_valid_values(name: str, text: str, value: object) -> None:
    assert parse_value(name, text) == value


@pytest.mark.parametrize(
    ("name", "text", "code", "message"),
    [
        ("number", "五", "not_integer", "number: '五' is not a whole number"),
        ("number", "3.5", "not_integer", "number: '3.5' is not a whole number"),
        ("number", "0", "out_of_range", "number: 0 is not between 1 and 9999"),
        ("year", "23", "out_of_range", "year: 23 is not between 1900 and 2999"),
        ("date", "2023-02-29", "not_date", "date: '2023-02-29' is not a date like 2023-06-01"),
        ("date", "明天", "not_date", "date: '明天' is not a date like 2023-06-01"),
        ("masthead", "-", "empty", "masthead: a value is needed"),
        ("masthead", "  ", "empty", "masthead: a value is needed"),
        ("publisher", "办" * 201, "too_long", "publisher: at most 200 characters on one line"),
        ("issue", "3", "unknown_field",
         "unknown field 'issue' (one of: masthead, year, number, total_number, date, publisher)"),
    ],
)
def test_invalid_values_are_refused_with_the_reason(name: str, text: str, code: str, message: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_value(name, text)
    assert (caught.value.code, str(caught.value)) == (code, message)


def test_assignments() -> None:
    assert parse_assignment("number=3") == ("number", "3")
    assert parse_assignment("total-number=3") == ("total_number", "3")
    with pytest.raises(FieldError, match="expected NAME=VALUE"):
        parse_assignment("number")


def test_correct_applies_in_order_and_clears_uncertainty() -> None:
    issue = dataclasses.replace(make_issue(3), uncertain=("year", "publisher"))
    fixed = correct(issue, [("year", "2023"), ("number", "4"), ("number", "5")])
    assert (fixed.year, fixed.number, fixed.uncertain) == (2023, 5, ("publisher",))
    with pytest.raises(FieldError):
        correct(issue, [("year", "2023"), ("date", "x")])
    dated = correct(issue, [("number", "-")])
    assert dated.number is None and identifiable(dated)
    assert not identifiable(dataclasses.replace(dated, date=None))
