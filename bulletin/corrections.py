"""The office's corrections of an issue's identity fields before it is stored: one validation shared by the desk's
修改 button and `bulletin-bot import --set`. Pure: no database, no Telegram."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from bulletin.model import Issue

# In the order the desk offers them.
EDITABLE = ("masthead", "year", "number", "total_number", "date", "publisher")
# Fields remembered per series (storage series_aliases): the next document with the same parsed masthead gets them.
REMEMBERED = ("masthead", "publisher")
# Typed to clear an optional field (e.g. a number that is not printed: the issue becomes a dated report).
CLEAR = "-"

_LIMITS = {"year": (1900, 2999), "number": (1, 9999), "total_number": (1, 999_999)}
_MAX_TEXT = {"masthead": 100, "publisher": 200}
_OPTIONAL = {"year", "number", "total_number", "date", "publisher"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_INTEGER = re.compile(r"\d{1,9}")

Value = str | int | dt.date | None


class FieldError(ValueError):
    """A correction that cannot be applied. CODE picks the chat text (edit_bad_<code>); the message is English,
    one line, fit for the command line: unknown_field | not_integer | out_of_range | not_date | empty | too_long |
    syntax."""

    def __init__(self, code: str, name: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = name


def parse_value(name: str, text: str) -> Value:
    """The value of field NAME typed as TEXT (full-width digits allowed; "-" clears an optional field)."""
    if name not in EDITABLE:
        raise FieldError("unknown_field", name, f"unknown field {name!r} (one of: {', '.join(EDITABLE)})")
    value = unicodedata.normalize("NFKC", text).strip()
    if value == CLEAR and name in _OPTIONAL:
        return None
    if not value or value == CLEAR:
        raise FieldError("empty", name, f"{name}: a value is needed")
    if name in _MAX_TEXT:
        if len(value) > _MAX_TEXT[name] or "\n" in value:
            raise FieldError("too_long", name, f"{name}: at most {_MAX_TEXT[name]} characters on one line")
        return value
    if name == "date":
        m = _DATE.fullmatch(value)
        try:
            if m is None:
                raise ValueError(value)
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise FieldError("not_date", name, f"date: {value[:40]!r} is not a date like 2023-06-01") from None
    if not _INTEGER.fullmatch(value):
        raise FieldError("not_integer", name, f"{name}: {value[:40]!r} is not a whole number")
    number = int(value)
    low, high = _LIMITS[name]
    if not low <= number <= high:
        raise FieldError("out_of_range", name, f"{name}: {number} is not between {low} and {high}")
    return number


def parse_assignment(text: str) -> tuple[str, str]:
    """NAME=VALUE as given to `import --set`; FieldError("syntax") without "=", ("unknown_field") for a bad name."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep:
        raise FieldError("syntax", name, f"--set {text[:40]!r}: expected NAME=VALUE")
    if name not in EDITABLE:
        raise FieldError("unknown_field", name, f"unknown field {name!r} (one of: {', '.join(EDITABLE)})")
    return name, value


def correct(issue: Issue, corrections: Iterable[tuple[str, str]]) -> Issue:
    """ISSUE with each (field, typed text) applied in order; corrected fields are no longer uncertain.

    Raises FieldError for the first invalid one (nothing applied)."""
    values: dict[str, Value] = {}
    for name, text in corrections:
        values[name] = parse_value(name, text)
    return with_values(issue, values)


def with_values(issue: Issue, values: dict[str, Value]) -> Issue:
    """ISSUE with VALUES (already parsed by parse_value) set; those fields are no longer uncertain."""
    if not values:
        return issue
    uncertain = tuple(f for f in issue.uncertain if f not in values)
    return dataclasses.replace(issue, **values, uncertain=uncertain)  # type: ignore[arg-type]


def identifiable(issue: Issue) -> bool:
    """Whether ISSUE can be stored: it has a number, or (a dated report) a date."""
    return issue.number is not None or issue.date is not None


def show_value(value: Value) -> str:
    """How a field's value is written back to a person (dates ISO, nothing as "-")."""
    if value is None:
        return CLEAR
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def field_value(issue: Issue, name: str) -> Value:
    """The current value of editable field NAME of ISSUE."""
    value: Value = getattr(issue, name)
    return value
