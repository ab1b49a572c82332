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
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

# The value parsers live with the config (the bottom layer); re-exported here for the scheduling callers.
from config.values import NO_OVERRIDES as NO_OVERRIDES
from config.values import CalendarOverrides as CalendarOverrides
from config.values import ScheduleError as ScheduleError
from config.values import calendar_overrides as calendar_overrides
from config.values import parse_days as parse_days
from config.values import parse_duration as parse_duration

UTC = dt.UTC

# Search this many days ahead for a working day; the longest Chinese break is 8-9 days.
_MAX_LOOKAHEAD_DAYS = 31


@dataclass(frozen=True, slots=True)
class WorkingDay:
    """Whether a date is a working day, and whether the holiday calendar actually knew that year."""

    day: dt.date
    working: bool
    from_calendar: bool
    holiday_name: str | None = None


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
