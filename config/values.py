"""Typed values read from the config and from commands: durations, dates and the office's calendar overrides.

They live here, at the bottom of the layer stack, so that the config is parsed into these types at load and every
layer (bulletin, storage, jobs, bot) can use the same parsers; jobs.schedule re-exports them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass


class ScheduleError(ValueError):
    """Bad scheduling input; the message is fit for the operator."""


@dataclass(frozen=True, slots=True)
class CalendarOverrides:
    """The office's own days off and make-up working days ([push] holidays / workdays), ahead of the package."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    @property
    def years(self) -> frozenset[int]:
        """Years the office has entered: their other days follow Monday–Friday without a warning."""
        return frozenset(d.year for d in self.holidays | self.workdays)


NO_OVERRIDES = CalendarOverrides()
_MAX_RANGE_DAYS = 31


def parse_days(items: Sequence[str], what: str) -> frozenset[dt.date]:
    """Read "2027-02-06" and "2027-02-06..2027-02-12" (inclusive) items; ScheduleError names WHAT and the item."""
    days: set[dt.date] = set()
    for item in items:
        first, sep, last = item.strip().partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if sep else start
        except ValueError:
            raise ScheduleError(
                f"{what}: {item!r} is not a date such as \"2027-02-06\" or a range \"2027-02-06..2027-02-12\""
            ) from None
        if end < start or (end - start).days >= _MAX_RANGE_DAYS:
            raise ScheduleError(f"{what}: {item!r} must run forwards and span at most {_MAX_RANGE_DAYS} days")
        days.update(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def calendar_overrides(holidays: Sequence[str], workdays: Sequence[str]) -> CalendarOverrides:
    """The [push] holidays / workdays lists as CalendarOverrides; a day may not be in both."""
    return checked_overrides(parse_days(holidays, "push.holidays"), parse_days(workdays, "push.workdays"))


def checked_overrides(holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> CalendarOverrides:
    """HOLIDAYS and WORKDAYS as CalendarOverrides; ScheduleError when a day is in both."""
    if both := sorted(holidays & workdays):
        raise ScheduleError(f"push.holidays and push.workdays both list {both[0].isoformat()}")
    return CalendarOverrides(holidays, workdays)


# A number (decimals allowed, at most 9 digits before the point) and its unit; "0" alone means no time at all.
_DURATION = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,6})?)\s*([smhd])", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer than any duration the bot has a use for, and well inside timedelta's range.
_MAX_DURATION = dt.timedelta(days=36500)


def parse_duration(text: str) -> dt.timedelta:
    """'45s', '30m', '12h', '1.5h', '7d' (or '0') as a timedelta: the one duration parser (config and commands).

    A number without a unit is refused rather than guessed: '3600' reads as seconds to some and hours to others.
    """
    value = text.strip()
    if _BARE_NUMBER.fullmatch(value):
        if float(value) == 0:
            return dt.timedelta(0)
        raise ScheduleError(f"{text!r} has no unit; write for example '{value}s', '60m', '12h' or '7d'")
    m = _DURATION.fullmatch(value)
    if not m:
        raise ScheduleError(f"{text!r} is not a duration such as '12h', '30m' or '45s'")
    duration = dt.timedelta(seconds=float(m[1]) * _UNIT_SECONDS[m[2].lower()])
    if duration > _MAX_DURATION:
        raise ScheduleError(f"{text!r} is longer than {_MAX_DURATION.days} days")
    return duration


def format_duration(duration: dt.timedelta) -> str:
    """DURATION as parse_duration reads it back, in the largest unit that keeps it whole ('7d', '90m'; '0')."""
    if not duration:
        return "0"
    seconds = duration.total_seconds()
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{seconds:g}s"
