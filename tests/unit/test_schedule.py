"""Scheduling decisions with an injected clock: working days, 调休, National Day, --at parsing, misfires."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from support.holidays import year_unknown_to_holiday_package

from jobs.schedule import (
    Misfire,
    ScheduleError,
    calendar_overrides,
    misfire_decision,
    next_default_slot,
    parse_at,
    parse_clock,
    parse_duration,
    working_day,
)

SH = ZoneInfo("Asia/Shanghai")
NINE = dt.time(9, 0)


def at(text: str, tz: ZoneInfo = SH) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def slot_local(now: dt.datetime) -> str:
    return next_default_slot(now, tz=SH, default_time=NINE).local.strftime("%Y-%m-%d %H:%M %a")


def test_before_nine_on_a_working_day_is_today() -> None:
    assert slot_local(at("2023-05-08 08:30")) == "2023-05-08 09:00 Mon"


def test_after_nine_goes_to_the_next_working_day() -> None:
    assert slot_local(at("2023-05-08 09:00")) == "2023-05-09 09:00 Tue"
    assert slot_local(at("2023-05-08 17:00")) == "2023-05-09 09:00 Tue"


def test_friday_evening_skips_the_weekend() -> None:
    assert slot_local(at("2023-05-12 18:00")) == "2023-05-15 09:00 Mon"


def test_make_up_working_saturday_is_a_working_day() -> None:
    # 2023-05-06 (Saturday) was a 调休 working day after the Labour Day break (29 Apr - 3 May).
    assert working_day(dt.date(2023, 5, 6)).working
    assert slot_local(at("2023-05-05 10:00")) == "2023-05-06 09:00 Sat"


def test_labour_day_break_is_skipped() -> None:
    # 2023-04-28 Friday evening: 29 Apr - 3 May off, 4 May (Thursday) back at work.
    assert slot_local(at("2023-04-28 10:00")) == "2023-05-04 09:00 Thu"


def test_national_day_week_is_skipped_and_the_makeup_saturday_counts() -> None:
    # 2023: Mid-Autumn 29 Sep + National Day 30 Sep - 6 Oct off; Sat 7 Oct and Sun 8 Oct are working days.
    assert slot_local(at("2023-09-28 10:00")) == "2023-10-07 09:00 Sat"
    for day in range(29, 31):
        assert not working_day(dt.date(2023, 9, day)).working
    for day in range(1, 7):
        assert not working_day(dt.date(2023, 10, day)).working
    assert working_day(dt.date(2023, 10, 8)).working


def test_slot_is_stored_in_utc() -> None:
    slot = next_default_slot(at("2023-05-08 08:30"), tz=SH, default_time=NINE)
    assert slot.at_utc == dt.datetime(2023, 5, 8, 1, 0, tzinfo=dt.UTC)
    assert slot.warnings == ()


def test_now_in_another_zone_is_converted() -> None:
    # 23:30 UTC on Sunday 7 May is 07:30 Monday 8 May in Shanghai.
    now = dt.datetime(2023, 5, 7, 23, 30, tzinfo=dt.UTC)
    assert slot_local(now) == "2023-05-08 09:00 Mon"


# Years chinese-calendar does not know (it learns one more each release), laid out like 2031 and 2027.
Y31 = year_unknown_to_holiday_package(2031)
Y27 = year_unknown_to_holiday_package(2027)


def test_years_outside_the_calendar_fall_back_to_weekdays_with_a_warning() -> None:
    slot = next_default_slot(at(f"{Y31}-01-03 10:00"), tz=SH, default_time=NINE)  # a Friday
    assert slot.local.strftime("%Y-%m-%d %a") == f"{Y31}-01-06 Mon"
    assert slot.warnings and str(Y31) in slot.warnings[0]
    assert not working_day(dt.date(Y31, 1, 4)).from_calendar


# A made-up Spring Festival break as an office would enter it before the package knows the year.
SPRING = calendar_overrides([f"{Y27}-02-08..{Y27}-02-12"], [f"{Y27}-02-07"])


def slot_spring(now: str) -> tuple[str, tuple[str, ...]]:
    slot = next_default_slot(at(now), tz=SH, default_time=NINE, overrides=SPRING)
    return slot.local.strftime("%Y-%m-%d %H:%M %a"), slot.warnings


def test_office_entered_days_off_and_make_up_days_beat_the_weekday_fallback() -> None:
    # Friday after nine: Saturday is a weekend, Sunday the 7th is an entered make-up working day.
    assert slot_spring(f"{Y27}-02-05 10:00") == (f"{Y27}-02-07 09:00 Sun", ())
    # Sunday after nine: the entered break runs Monday to Friday, then the weekend, so the next Monday.
    assert slot_spring(f"{Y27}-02-07 10:00") == (f"{Y27}-02-15 09:00 Mon", ())
    # Without the entries, the same Sunday evening would wrongly give Monday the 8th, with a warning.
    fallback = next_default_slot(at(f"{Y27}-02-07 10:00"), tz=SH, default_time=NINE)
    assert fallback.local.date() == dt.date(Y27, 2, 8) and fallback.warnings


def test_entries_also_override_years_the_package_knows() -> None:
    # 2023-05-08 (a Monday) is a working day for the package; an office-wide day off moves the slot.
    overrides = calendar_overrides(["2023-05-08"], [])
    slot = next_default_slot(at("2023-05-07 20:00"), tz=SH, default_time=NINE, overrides=overrides)
    assert slot.local.strftime("%Y-%m-%d %a") == "2023-05-09 Tue" and slot.warnings == ()


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        (["2027-2-30"], [], "push.holidays: '2027-2-30' is not a date"),
        (["2027-02-12..2027-02-08"], [], "must run forwards"),
        (["2027-01-01..2027-03-01"], [], "at most 31 days"),
        ([], ["next sunday"], "push.workdays: 'next sunday' is not a date"),
        (["2027-02-07"], ["2027-02-07"], "both list 2027-02-07"),
    ],
)
def test_bad_calendar_entries_are_refused_with_the_key_and_the_item(
    holidays: list[str], workdays: list[str], message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        calendar_overrides(holidays, workdays)


def test_parse_at_reads_the_push_timezone() -> None:
    assert parse_at("2023-05-08 09:00", SH) == dt.datetime(2023, 5, 8, 1, 0, tzinfo=dt.UTC)
    assert parse_at("2023-05-08T09:00:30", SH) == dt.datetime(2023, 5, 8, 1, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("bad", ["tomorrow", "2023-13-01 09:00", "2023-05-08", "09:00", ""])
def test_parse_at_rejects_bad_input_with_an_example(bad: str) -> None:
    with pytest.raises(ScheduleError, match="2023-05-08 09:00"):
        parse_at(bad, SH)


def test_parse_at_rejects_a_wall_time_skipped_by_dst() -> None:
    with pytest.raises(ScheduleError, match="does not exist"):
        parse_at("2023-03-26 02:30", ZoneInfo("Europe/Berlin"))


def test_parse_clock() -> None:
    assert parse_clock("09:30") == dt.time(9, 30)
    with pytest.raises(ScheduleError):
        parse_clock("nine")


def test_misfire_decisions() -> None:
    sched = dt.datetime(2023, 5, 8, 1, 0, tzinfo=dt.UTC)
    grace = dt.timedelta(hours=12)
    assert misfire_decision(sched, sched - dt.timedelta(seconds=1), grace) is Misfire.NOT_YET
    assert misfire_decision(sched, sched, grace) is Misfire.ON_TIME
    assert misfire_decision(sched, sched + dt.timedelta(seconds=5), grace) is Misfire.ON_TIME
    assert misfire_decision(sched, sched + dt.timedelta(hours=3), grace) is Misfire.LATE
    assert misfire_decision(sched, sched + dt.timedelta(hours=12), grace) is Misfire.LATE
    assert misfire_decision(sched, sched + dt.timedelta(hours=12, seconds=1), grace) is Misfire.TOO_OLD


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        next_default_slot(dt.datetime(2023, 5, 8, 9, 0), tz=SH, default_time=NINE)


def test_one_duration_parser_needs_a_unit() -> None:
    assert [parse_duration(text) for text in ("45s", "30m", " 1.5h ", "7D", "0", "0h")] == [
        dt.timedelta(seconds=45), dt.timedelta(minutes=30), dt.timedelta(minutes=90), dt.timedelta(days=7),
        dt.timedelta(0), dt.timedelta(0),
    ]
    for bad, message in [
        ("3600", "'3600' has no unit; write for example '3600s', '60m', '12h' or '7d'"),
        ("soon", "'soon' is not a duration such as '12h', '30m' or '45s'"),
        ("-1d", "'-1d' is not a duration such as '12h', '30m' or '45s'"),
        ("999999999d", "'999999999d' is longer than 36500 days"),
    ]:
        with pytest.raises(ScheduleError) as info:
            parse_duration(bad)
        assert str(info.value) == message
