"""Years the installed chinese-calendar package does not know, for tests of the holiday fallbacks."""

from __future__ import annotations

import calendar
import datetime as dt

import chinese_calendar


def _holiday_package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        chinese_calendar.is_workday(dt.date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


def year_unknown_to_holiday_package(like: int) -> int:
    """The first year from LIKE on that the installed chinese-calendar does not know and whose days fall on the
    same weekdays as LIKE's (same weekday on 1 January, same leap day), so tests written for LIKE's dates hold
    whichever years the installed package covers."""
    year = like
    while (
        dt.date(year, 1, 1).weekday() != dt.date(like, 1, 1).weekday()
        or calendar.isleap(year) != calendar.isleap(like)
        or _holiday_package_knows(year)
    ):
        year += 1
    return year
