"""Pure scheduling decisions for pushes: working days, the default slot, --at parsing and misfires.

No I/O and no clock of its own: every function takes `now` (an aware datetime) from the caller.

Working days follow the Chinese State Council calendar through the `chinese-calendar` package: weekends and
public holidays are days off, make-up working days (调休, e.g. a Saturday before National Day) are working days.
The package only knows the years it was released for (2004 to 2026 in 1.11). The office can enter a year the
package does not know yet (the State Council publishes it each November) as `[push] holidays` and `workdays`
(CalendarOverrides); those dates win over the package, and a year with any of them counts as known. For a day in
a year nobody knows we fall back to Monday–Friday and return a warning with the slot, so `publish` can tell the
operator to check the date (or pass --at); refusing to schedule at all would stop the bot on every 1 January until
the package is upgraded, which is worse than an occasionally misplaced default slot.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

UTC = dt.UTC

# Search this many days ahead for a working day; the longest Chinese break is 8-9 days.
_MAX_LOOKAHEAD_DAYS = 31


class ScheduleError(ValueError):
    """Bad scheduling input; the message is fit for the operator."""


@dataclass(frozen=True, slots=True)
class WorkingDay:
    """Whether a date is a working day, and whether the holiday calendar actually knew that year."""

    day: dt.date
    working: bool
    from_calendar: bool
    holiday_name: str | None = None


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
    off = parse_days(holidays, "push.holidays")
    on = parse_days(workdays, "push.workdays")
    if both := sorted(off & on):
        raise ScheduleError(f"push.holidays and push.workdays both list {both[0].isoformat()}")
    return CalendarOverrides(off, on)


def working_day(day: dt.date, overrides: CalendarOverrides = NO_OVERRIDES) -> WorkingDay:
    """Classify DAY: the office's overrides, then the Chinese holiday calendar, else Monday–Friday."""
    if day in overrides.workdays:
        return WorkingDay(day, True, from_calendar=True)
    if day in overrides.holidays:
        return WorkingDay(day, False, from_calendar=True)
    try:
        working = chinese_calendar.is_workday(day)
    except NotImplementedError:
        return WorkingDay(day, day.weekday() < 5, from_calendar=day.year in overrides.years)
    _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return WorkingDay(day, bool(working), from_calendar=True, holiday_name=name)


@dataclass(frozen=True, slots=True)
class Slot:
    """A chosen push time: UTC for storage, local for display, plus warnings for the operator."""

    at_utc: dt.datetime
    local: dt.datetime
    warnings: tuple[str, ...] = ()


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def parse_clock(text: str) -> dt.time:
    """Read a '09:00' style time of day (config [push] default_time)."""
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(f"{text!r} is not a time of day such as '09:00'") from None


def next_default_slot(
    now: dt.datetime, *, tz: ZoneInfo, default_time: dt.time, overrides: CalendarOverrides = NO_OVERRIDES
) -> Slot:
    """The first DEFAULT_TIME strictly after NOW, in TZ, that falls on a working day."""
    _require_aware(now)
    local_now = now.astimezone(tz)
    warnings: list[str] = []
    day = local_now.date()
    for _ in range(_MAX_LOOKAHEAD_DAYS):
        candidate = dt.datetime.combine(day, default_time, tzinfo=tz)
        info = working_day(day, overrides)
        if not info.from_calendar:
            msg = (
                f"holiday data for {day.year} is not available (chinese-calendar "
                f"{getattr(chinese_calendar, '__version__', '?')}); treating Monday–Friday as working days "
                f"(enter {day.year}'s days off and make-up working days as [push] holidays and workdays)"
            )
            if msg not in warnings:
                warnings.append(msg)
        if candidate > local_now and info.working:
            return Slot(candidate.astimezone(UTC), candidate, tuple(warnings))
        day += dt.timedelta(days=1)
    raise ScheduleError(f"no working day within {_MAX_LOOKAHEAD_DAYS} days of {local_now:%Y-%m-%d}")


_AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_at(text: str, tz: ZoneInfo) -> dt.datetime:
    """Read --at "2023-05-08 09:00" as a wall-clock time in TZ; returns an aware UTC datetime."""
    value = text.strip()
    for fmt in _AT_FORMATS:
        try:
            naive = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        local = naive.replace(tzinfo=tz)
        # A wall time skipped by a DST jump does not round-trip; refuse it rather than guess.
        if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
            raise ScheduleError(f"{value!r} does not exist in time zone {tz.key} (clock change)")
        return local.astimezone(UTC)
    raise ScheduleError(f"{text!r} is not a time such as \"2023-05-08 09:00\" ({tz.key})")


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


class Misfire(enum.Enum):
    """What to do with a scheduled push at NOW."""

    NOT_YET = "not_yet"  # scheduled in the future
    ON_TIME = "on_time"  # due, picked up promptly
    LATE = "late"  # due a while ago (bot was down) but within the grace: run now
    TOO_OLD = "too_old"  # older than the grace: report to admins, don't send


# A push found due within this many seconds counts as punctual (the runner polls every few seconds).
ON_TIME_SLACK = dt.timedelta(seconds=60)


def misfire_decision(scheduled_at: dt.datetime, now: dt.datetime, grace: dt.timedelta) -> Misfire:
    """Decide whether a push scheduled at SCHEDULED_AT runs at NOW, given the misfire GRACE."""
    _require_aware(now)
    _require_aware(scheduled_at)
    late = now - scheduled_at
    if late < dt.timedelta(0):
        return Misfire.NOT_YET
    if late <= ON_TIME_SLACK:
        return Misfire.ON_TIME
    if late <= grace:
        return Misfire.LATE
    return Misfire.TOO_OLD
