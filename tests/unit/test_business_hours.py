"""Business hours: local wall-clock schedules, holidays, DST, validation, and business-time arithmetic."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from helpline.desk.hours import (
    WEEKDAYS,
    BusinessHours,
    add_business_time,
    business_elapsed,
    subtract_business_time,
)

OFFICE = BusinessHours(
    timezone="Europe/Moscow",
    weekly={day: [("09:00", "13:00"), ("14:00", "18:00")] for day in WEEKDAYS[:5]},
    holidays=[date(2026, 12, 31)],
)


def test_weekdays_lunch_weekends_and_holidays() -> None:
    # Moscow is UTC+3 all year.
    assert OFFICE.is_open(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # Tue 09:00
    assert not OFFICE.is_open(datetime(2026, 12, 1, 5, 59, tzinfo=UTC))  # Tue 08:59
    assert not OFFICE.is_open(datetime(2026, 12, 1, 10, 30, tzinfo=UTC))  # Tue 13:30, lunch
    assert not OFFICE.is_open(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # Tue 18:00, closed
    assert not OFFICE.is_open(datetime(2026, 12, 5, 8, 0, tzinfo=UTC))  # Saturday
    assert not OFFICE.is_open(datetime(2026, 12, 31, 8, 0, tzinfo=UTC))  # a holiday (Thursday)


def test_wall_clock_holds_across_dst() -> None:
    berlin = BusinessHours(timezone="Europe/Berlin", weekly={"mon": [("09:00", "17:00")], "tue": [("00:00", "24:00")]})
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert berlin.is_open(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert not berlin.is_open(datetime(2026, 1, 5, 7, 30, tzinfo=UTC))
    assert berlin.is_open(datetime(2026, 7, 6, 7, 0, tzinfo=UTC))
    assert berlin.is_open(datetime(2026, 7, 7, 21, 59, tzinfo=UTC))  # Tue 23:59 local, "24:00" ends the day


@pytest.mark.parametrize(
    "raw",
    [
        {"timezone": "Mars/Olympus"},
        {"weekly": {"mon": [["25:00", "26:00"]]}},
        {"weekly": {"mon": [["18:00", "09:00"]]}},
        {"weekly": {"monday": [["09:00", "18:00"]]}},
        {"weekly": {"mon": [["9:00", "18:00"]]}},
        {"holidays": ["31.12.2026"]},
    ],
)
def test_bad_schedules_are_refused(raw: dict) -> None:
    with pytest.raises(ValidationError):
        BusinessHours.model_validate(raw)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), st.sampled_from(["Europe/Moscow", "Asia/Vladivostok", "America/New_York", "Europe/London"]))
def test_open_exactly_inside_the_local_interval(moment: datetime, zone: str) -> None:
    hours = BusinessHours(timezone=zone, weekly={day: [("10:00", "19:00")] for day in WEEKDAYS})
    at = moment.replace(tzinfo=UTC)
    local = at.astimezone(hours.zone)
    assert hours.is_open(at) == (10 <= local.hour < 19)
    # A holiday on that local date closes the whole day.
    closed = hours.model_copy(update={"holidays": [local.date()]})
    assert not closed.is_open(at)
    assert not closed.is_open(at + timedelta(hours=1)) or (at + timedelta(hours=1)).astimezone(hours.zone).date() != local.date()


# --- Business-time arithmetic: examples ---------------------------------------------------------

MOSCOW, BERLIN, NEW_YORK = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOUR = 3600.0
ALL_DAY = [("00:00", "24:00")]


def msk(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        (msk(12, 1, 10), 2 * HOUR, msk(12, 1, 12)),
        (msk(12, 1, 12), 2 * HOUR, msk(12, 1, 15)),  # over lunch
        (msk(12, 1, 12), 1 * HOUR, msk(12, 1, 13)),  # at the start of lunch, not after it
        (msk(12, 1, 16), 2 * HOUR, msk(12, 1, 18)),  # at closing time, not the next morning
        (msk(12, 1, 10), 0, msk(12, 1, 10)),
        (msk(12, 1, 7), 0, msk(12, 1, 9)),
        (msk(12, 1, 13), 0, msk(12, 1, 14)),  # 13:00 ends the morning: closed
        (msk(12, 1, 13, 30), 0, msk(12, 1, 14)),
        (msk(12, 4, 17), 2 * HOUR, msk(12, 7, 10)),  # Friday to Monday
        (msk(12, 5, 12), 1800, msk(12, 7, 9, 30)),  # from a Saturday
        (msk(12, 30, 17), 2 * HOUR, msk(1, 1, 10, year=2027)),  # over the New Year's Eve holiday
        (msk(12, 1, 9), 40 * HOUR, msk(12, 7, 18)),  # a working week
    ],
)
def test_add_counts_only_open_time(start: datetime, seconds: float, due: datetime) -> None:
    result = OFFICE.add(start, seconds)
    assert result == due
    assert result.tzinfo is UTC
    assert OFFICE.elapsed(start, result) == seconds or seconds == 0


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (msk(11, 30, 9), msk(12, 4, 18), 40 * HOUR),
        (msk(12, 1, 12, 30), msk(12, 1, 14, 30), 1 * HOUR),
        (msk(12, 4, 17), msk(12, 7, 10), 2 * HOUR),
        (msk(12, 30, 9), msk(1, 1, 9, year=2027), 8 * HOUR),  # the 31st is a holiday
        (msk(12, 1, 12), msk(12, 1, 10), 0),
        (msk(12, 1, 12), msk(12, 1, 12), 0),
        (msk(12, 5, 0), msk(12, 6, 23), 0),
    ],
)
def test_elapsed_counts_only_open_time(start: datetime, end: datetime, seconds: float) -> None:
    assert OFFICE.elapsed(start, end) == seconds


def test_subtract_and_next_open() -> None:
    assert OFFICE.subtract(msk(12, 1, 15), 2 * HOUR) == msk(12, 1, 12)
    assert OFFICE.subtract(msk(12, 7, 10), 2 * HOUR) == msk(12, 4, 17)
    assert OFFICE.subtract(msk(12, 1, 20), 0) == msk(12, 1, 20)
    assert OFFICE.subtract(msk(12, 1, 20), HOUR) == msk(12, 1, 17)
    assert OFFICE.next_open(msk(12, 1, 10)) == msk(12, 1, 10)
    assert OFFICE.next_open(msk(12, 1, 18)) == msk(12, 2, 9)
    assert OFFICE.next_open(msk(12, 30, 18)) == msk(1, 1, 9, year=2027)


def test_moscow_keeps_its_hours_when_europe_changes_clocks() -> None:
    # Europe springs forward on 2026-03-29 and falls back on 2026-10-25; Moscow (UTC+3) does not.
    weekdays = BusinessHours(timezone="Europe/Moscow", weekly={day: [("09:00", "18:00")] for day in WEEKDAYS[:5]})
    assert weekdays.add(msk(3, 27, 17), 2 * HOUR) == utc(3, 30, 7)
    assert weekdays.add(msk(10, 23, 17), 2 * HOUR) == utc(10, 26, 7)
    always = BusinessHours(timezone="Europe/Moscow", weekly={day: ALL_DAY for day in WEEKDAYS})
    assert always.elapsed(msk(3, 29, 0), msk(3, 30, 0)) == 24 * HOUR
    assert always.elapsed(msk(10, 25, 0), msk(10, 26, 0)) == 24 * HOUR


@pytest.mark.parametrize(
    ("zone", "friday", "due"),
    [
        # 16:00 on the Friday before the change + 2 business hours = 10:00 local on Monday.
        ("Europe/Berlin", datetime(2026, 3, 27, 15, 0, tzinfo=UTC), utc(3, 30, 8)),  # CET -> CEST
        ("Europe/Berlin", datetime(2026, 10, 23, 14, 0, tzinfo=UTC), utc(10, 26, 9)),  # CEST -> CET
        ("America/New_York", datetime(2026, 3, 6, 21, 0, tzinfo=UTC), utc(3, 9, 14)),  # EST -> EDT
        ("America/New_York", datetime(2026, 10, 30, 20, 0, tzinfo=UTC), utc(11, 2, 15)),  # EDT -> EST
    ],
)
def test_office_hours_across_a_clock_change(zone: str, friday: datetime, due: datetime) -> None:
    hours = BusinessHours(timezone=zone, weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]})
    assert hours.add(friday, 2 * HOUR) == due
    assert hours.elapsed(friday, due) == 2 * HOUR
    assert hours.subtract(due, 2 * HOUR) == friday


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)), ("America/New_York", date(2026, 3, 8), date(2026, 11, 1))],
)
def test_a_day_open_around_the_clock_lasts_23_or_25_hours(zone: str, spring: date, autumn: date) -> None:
    hours = BusinessHours(timezone=zone, weekly={day: ALL_DAY for day in WEEKDAYS})
    tz = ZoneInfo(zone)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz)

    assert hours.elapsed(midnight(spring), midnight(spring + timedelta(days=1))) == 23 * HOUR
    assert hours.elapsed(midnight(autumn), midnight(autumn + timedelta(days=1))) == 25 * HOUR
    # Open around the clock is calendar time: the same answers as no business hours at all.
    noon = (midnight(spring - timedelta(days=1)) + timedelta(hours=12)).astimezone(UTC)
    assert hours.add(noon, 24 * HOUR) == add_business_time(None, noon, 24 * HOUR) == noon + timedelta(hours=24)
    assert (noon + timedelta(hours=24)).astimezone(tz).hour == 13  # a day later, one hour further on the wall
    assert hours.elapsed(noon, noon + timedelta(days=3)) == business_elapsed(None, noon, noon + timedelta(days=3))


def test_an_interval_may_end_at_midnight() -> None:
    mondays = BusinessHours(timezone="Europe/Berlin", weekly={"mon": ALL_DAY})
    # 23:00 CET Monday + 1 hour is midnight, the end of Monday's interval, not the next Monday.
    assert mondays.add(datetime(2026, 1, 5, 22, 0, tzinfo=UTC), HOUR) == utc(1, 5, 23)
    assert not mondays.is_open(utc(1, 5, 23))
    assert mondays.next_open(utc(1, 5, 23)) == utc(1, 11, 23)
    nights = BusinessHours(timezone="Europe/Berlin", weekly={"mon": [("20:00", "24:00")], "tue": [("00:00", "04:00")]})
    assert nights.add(utc(1, 5, 22), 2 * HOUR) == utc(1, 6, 0)  # Monday 23:00 CET + 2 h = Tuesday 01:00
    assert nights.elapsed(utc(1, 5, 19), utc(1, 6, 3)) == 8 * HOUR


SUNDAY_SPRING, SUNDAY_AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # Berlin: 02:00 -> 03:00, 03:00 -> 02:00


def sundays_in_berlin(*intervals: tuple[str, str]) -> BusinessHours:
    return BusinessHours(timezone="Europe/Berlin", weekly={"sun": list(intervals)})


@pytest.mark.parametrize(
    ("interval", "day", "opens", "closes"),
    [
        # Spring: 02:00-03:00 does not exist. A bound inside the gap is the moment the clocks jump.
        (("01:00", "04:00"), SUNDAY_SPRING, utc(3, 29, 0), utc(3, 29, 2)),  # 2 real hours
        (("01:00", "02:30"), SUNDAY_SPRING, utc(3, 29, 0), utc(3, 29, 1)),  # 01:00 CET to the jump
        (("02:30", "04:00"), SUNDAY_SPRING, utc(3, 29, 1), utc(3, 29, 2)),  # 03:00 CEST to 04:00 CEST
        (("02:00", "03:00"), SUNDAY_SPRING, None, None),  # wholly in the gap: closed that day
        # Autumn: 02:00-03:00 happens twice. A bound inside it is its first occurrence (CEST).
        (("01:00", "04:00"), SUNDAY_AUTUMN, utc(10, 24, 23), utc(10, 25, 3)),  # 4 real hours
        (("02:30", "03:30"), SUNDAY_AUTUMN, utc(10, 25, 0, 30), utc(10, 25, 2, 30)),  # 2 real hours
        (("02:00", "02:30"), SUNDAY_AUTUMN, utc(10, 25, 0), utc(10, 25, 0, 30)),  # the first pass only
    ],
)
def test_bounds_in_a_skipped_or_repeated_hour(
    interval: tuple[str, str], day: date, opens: datetime | None, closes: datetime | None
) -> None:
    hours = sundays_in_berlin(interval)
    saturday = datetime.combine(day - timedelta(days=1), time(12), tzinfo=UTC)
    if opens is None or closes is None:
        assert hours.elapsed(saturday, saturday + timedelta(days=2)) == 0
        assert hours.next_open(saturday) > saturday + timedelta(days=6)
        return
    assert hours.next_open(saturday) == opens
    assert hours.elapsed(saturday, saturday + timedelta(days=2)) == (closes - opens).total_seconds()
    assert hours.add(saturday, (closes - opens).total_seconds()) == closes
    for minute in range(0, int((closes - opens).total_seconds() // 60), 5):
        assert hours.is_open(opens + timedelta(minutes=minute))
    assert not hours.is_open(opens - timedelta(microseconds=1))
    assert not hours.is_open(closes)


def test_several_intervals_a_day_across_a_clock_change() -> None:
    lunch = BusinessHours(timezone="Europe/Berlin", weekly={day: [("09:00", "13:00"), ("14:00", "18:00")] for day in WEEKDAYS[:5]})
    # Friday 12:00 CEST + 6 h: 1 h before lunch, 4 h after, 1 h on Monday (now CET) = 10:00 CET.
    assert lunch.add(utc(10, 23, 10), 6 * HOUR) == utc(10, 26, 9)
    assert lunch.elapsed(utc(10, 23, 10), utc(10, 26, 9)) == 6 * HOUR
    # Overlapping and touching intervals merge rather than count twice.
    merged = BusinessHours(timezone="Europe/Berlin", weekly={"mon": [("09:00", "12:00"), ("11:00", "13:00"), ("13:00", "14:00")]})
    assert merged.elapsed(utc(1, 5, 0), utc(1, 6, 0)) == 5 * HOUR
    assert merged.add(utc(1, 5, 0), 5 * HOUR) == utc(1, 5, 13)


def test_a_holiday_on_the_day_the_clocks_change() -> None:
    every_day = {day: [("09:00", "17:00")] for day in WEEKDAYS}
    berlin = BusinessHours(timezone="Europe/Berlin", weekly=every_day, holidays=[SUNDAY_SPRING])
    # Saturday 16:00 CET + 2 h: 1 h on Saturday, Sunday is a holiday, 1 h on Monday (CEST).
    assert berlin.add(utc(3, 28, 15), 2 * HOUR) == utc(3, 30, 8)
    assert berlin.elapsed(utc(3, 28, 0), utc(3, 31, 0)) == 16 * HOUR

    new_york = BusinessHours(timezone="America/New_York", weekly={day: ALL_DAY for day in WEEKDAYS}, holidays=[date(2026, 11, 1)])
    # Saturday Oct 31 00:00 EDT to Tuesday Nov 3 00:00 EST: Sunday's 25 hours are a holiday.
    assert new_york.elapsed(utc(10, 31, 4), utc(11, 3, 5)) == 48 * HOUR
    assert new_york.add(utc(11, 1, 3), 2 * HOUR) == utc(11, 2, 6)  # 23:00 EDT + 1 h, then Monday 00:00 EST + 1 h
    assert not new_york.is_open(utc(11, 1, 5, 30))  # 01:30 EDT
    assert not new_york.is_open(utc(11, 1, 6, 30))  # 01:30 EST
    assert new_york.is_open(utc(11, 2, 5))  # Monday 00:00 EST


def test_a_schedule_that_never_opens_is_refused() -> None:
    start = utc(1, 5, 12)
    for never in (BusinessHours(weekly={}), BusinessHours(weekly={}, holidays=[date(2026, 1, 5)])):
        with pytest.raises(ValueError, match="never open"):
            never.add(start, HOUR)
        with pytest.raises(ValueError, match="never open"):
            never.next_open(start)
        with pytest.raises(ValueError, match="never open"):
            never.subtract(start, HOUR)
        assert never.elapsed(start, start + timedelta(days=30)) == 0
        assert not never.is_open(start)


def test_years_of_holidays_delay_but_do_not_stop_the_clock() -> None:
    first_monday = date(2026, 1, 5)
    mondays = [first_monday + timedelta(weeks=week) for week in range(366)]  # seven years of them
    hours = BusinessHours(timezone="Europe/Moscow", weekly={"mon": [("09:00", "10:00")]}, holidays=mondays)
    assert hours.next_open(utc(1, 1, 0)) == datetime.combine(mondays[-1] + timedelta(weeks=1), time(6), tzinfo=UTC)


def test_a_rare_schedule_gives_up_after_a_century() -> None:
    a_minute_a_week = BusinessHours(timezone="UTC", weekly={"mon": [("09:00", "09:01")]})
    assert a_minute_a_week.add(utc(1, 5, 9), 60 * 52) == utc(12, 28, 9, 1)
    with pytest.raises(ValueError, match="more than"):
        a_minute_a_week.add(utc(1, 5, 9), 60 * 52 * 200)


@pytest.mark.parametrize("seconds", [-1, math.nan, math.inf, 1e300])
def test_bad_durations_are_refused(seconds: float) -> None:
    with pytest.raises(ValueError):
        OFFICE.add(utc(1, 5, 9), seconds)
    with pytest.raises(ValueError):
        add_business_time(None, utc(1, 5, 9), seconds)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 5, 9)
    with pytest.raises(ValueError, match="aware"):
        OFFICE.add(naive, 60)
    with pytest.raises(ValueError, match="aware"):
        OFFICE.elapsed(utc(1, 5, 9), naive)
    with pytest.raises(ValueError, match="aware"):
        OFFICE.is_open(naive)
    with pytest.raises(ValueError, match="aware"):
        business_elapsed(None, naive, utc(1, 5, 9))


def test_no_business_hours_means_calendar_time() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 00:30 UTC, half an hour before the clocks jump
    assert add_business_time(None, start, 90) == utc(3, 29, 0, 31, 30)
    assert add_business_time(None, start, HOUR) == utc(3, 29, 1, 30)  # 03:30 CEST: real time, not wall time
    assert add_business_time(None, start, 0).tzinfo is UTC
    assert subtract_business_time(None, start, 90) == utc(3, 29, 0, 28, 30)
    # Python's own arithmetic within one zone is wall time: 01:30 CET to 06:30 CEST is 4 real hours.
    assert business_elapsed(None, start, start + timedelta(hours=5)) == 4 * HOUR
    assert business_elapsed(None, start, start - timedelta(hours=5)) == 0
    assert add_business_time(OFFICE, msk(12, 1, 16), 2 * HOUR) == msk(12, 1, 18)
    assert business_elapsed(OFFICE, msk(12, 1, 16), msk(12, 1, 20)) == 2 * HOUR
    assert subtract_business_time(OFFICE, msk(12, 1, 15), 2 * HOUR) == msk(12, 1, 12)


# --- Business-time arithmetic: properties -------------------------------------------------------

# Zones with the awkward clock changes: 30-minute DST (Lord Howe), changes at midnight
# (Santiago, Havana), a skipped day (Apia, 2011-12-30), half-hour offsets, none at all.
ZONES = [
    "Europe/Moscow",
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Apia",
    "Asia/Kolkata",
    "UTC",
]


def _clock_changes(zone: str, year: int) -> list[datetime]:
    tz, step = ZoneInfo(zone), timedelta(hours=6)
    changes, moment = [], datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        before, after = moment, moment + step
        if before.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if middle.astimezone(tz).utcoffset() == before.astimezone(tz).utcoffset():
                    before = middle
                else:
                    after = middle
            changes.append(after)
        moment += step
    return changes


CLOCK_CHANGES = {zone: [c for year in (2011, 2026, 2027) for c in _clock_changes(zone, year)] for zone in ZONES}
# Minutes past midnight; the listed ones are where clock changes happen, so bounds land on them often.
MINUTES = st.one_of(st.integers(0, 1440), st.sampled_from([0, 30, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440]))


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def schedules(draw: st.DrawFn) -> tuple[BusinessHours, datetime]:
    """Business hours in one of ZONES, and an instant, often within days of a clock change."""
    zone = draw(st.sampled_from(ZONES))
    if CLOCK_CHANGES[zone] and draw(st.booleans()):
        start = draw(st.sampled_from(CLOCK_CHANGES[zone])) + timedelta(seconds=draw(st.integers(-3 * 86400, 86400)))
    else:
        start = draw(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1))).replace(tzinfo=UTC)
    interval = st.tuples(MINUTES, MINUTES).filter(lambda pair: pair[0] != pair[1]).map(sorted)
    weekly = {day: [(_clock(a), _clock(b)) for a, b in draw(st.lists(interval, max_size=3))] for day in WEEKDAYS}
    if not any(weekly.values()):
        a, b = draw(interval)
        weekly[draw(st.sampled_from(WEEKDAYS))] = [(_clock(a), _clock(b))]
    today = start.astimezone(ZoneInfo(zone)).date()
    holidays = [today + timedelta(days=offset) for offset in draw(st.lists(st.integers(-7, 21), max_size=6))]
    return BusinessHours(timezone=zone, weekly=weekly, holidays=holidays), start


def weekly_seconds(hours: BusinessHours) -> float:
    return sum(60.0 * (_minute(end) - _minute(start)) for day in hours.weekly.values() for start, end in day)


def _minute(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


@st.composite
def durations(draw: st.DrawFn, hours: BusinessHours) -> float:
    """0, a few hours, or up to three weeks' worth of the schedule's business time."""
    return draw(
        st.one_of(
            st.just(0.0),
            st.floats(0, 4 * HOUR),
            st.floats(0, 3).map(lambda weeks: weeks * weekly_seconds(hours)),
        )
    )


def wall_clock_open(hours: BusinessHours, at: datetime) -> bool:
    """The plain reading: is the local wall clock inside an interval of a working day?"""
    local = at.astimezone(hours.zone)
    if local.date() in hours.holidays:
        return False
    clock = local.time().replace(tzinfo=None)
    return any(
        _wall(start) <= clock and (end == "24:00" or clock < _wall(end))
        for start, end in hours.weekly.get(WEEKDAYS[local.weekday()], ())
    )


def _wall(clock: str) -> time:
    return time(int(clock[:2]), int(clock[3:]))


def bounds_are_plain(hours: BusinessHours, around: datetime) -> bool:
    """Whether every interval bound near `around` names exactly one instant (no gap, no repeat)."""
    today = around.astimezone(hours.zone).date()
    for day in (today + timedelta(days=offset) for offset in (-1, 0, 1)):
        for interval in hours.weekly.get(WEEKDAYS[day.weekday()], ()):
            for clock in interval:
                wall = datetime.combine(day, time()) + timedelta(minutes=_minute(clock))
                first, second = (wall.replace(tzinfo=hours.zone, fold=fold) for fold in (0, 1))
                if first.astimezone(UTC) != second.astimezone(UTC):
                    return False
    return True


def at_interval_end(hours: BusinessHours, at: datetime) -> bool:
    return not hours.is_open(at) and hours.is_open(at - timedelta(microseconds=1))


FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.data())
def test_a_due_time_is_inside_business_hours_or_at_closing(data: st.DataObject) -> None:
    hours, start = data.draw(schedules())
    seconds = data.draw(durations(hours))
    due = hours.add(start, seconds)
    assert due >= start and due.tzinfo is UTC
    assert hours.is_open(due) or at_interval_end(hours, due)
    if seconds == 0:
        assert due == hours.next_open(start) and (due == start) == hours.is_open(start)
    # Independent of the spans: where no bound is near a clock change, the wall clock agrees.
    if bounds_are_plain(hours, due) and bounds_are_plain(hours, due - timedelta(days=1)):
        assert wall_clock_open(hours, due) or wall_clock_open(hours, due - timedelta(microseconds=1))


@FAST
@given(st.data())
def test_elapsed_undoes_add_and_subtract(data: st.DataObject) -> None:
    hours, start = data.draw(schedules())
    seconds = data.draw(durations(hours))
    due = hours.add(start, seconds)
    assert hours.elapsed(start, due) == pytest.approx(seconds, abs=1e-3)
    assert hours.elapsed(due, start) == 0
    before = hours.subtract(start, seconds)
    assert before <= start
    assert hours.elapsed(before, start) == pytest.approx(seconds, abs=1e-3)
    assert timedelta(seconds=seconds) == timedelta() or hours.is_open(before)  # sub-microsecond is nothing


@FAST
@given(st.data())
def test_add_is_monotonic_in_start_and_seconds(data: st.DataObject) -> None:
    hours, start = data.draw(schedules())
    first, second = sorted((data.draw(durations(hours)), data.draw(durations(hours))))
    later = start + timedelta(seconds=data.draw(st.integers(0, 3 * 86400)))
    assert hours.add(start, first) <= hours.add(start, second)
    assert hours.add(start, first) <= hours.add(later, first)
    assert hours.subtract(start, first) >= hours.subtract(start, second)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_elapsed_matches_the_wall_clock_minute_by_minute(data: st.DataObject) -> None:
    hours, start = data.draw(schedules())
    start = start.replace(second=0, microsecond=0)
    minutes = data.draw(st.integers(0, 36 * 60))
    end = start + timedelta(minutes=minutes)
    # The wall-clock reading is the truth only where no bound falls in a skipped or repeated hour.
    if not all(bounds_are_plain(hours, start + timedelta(hours=h)) for h in range(0, 36 + 24, 12)):
        return
    open_minutes = [wall_clock_open(hours, start + timedelta(minutes=m)) for m in range(minutes)]
    assert hours.elapsed(start, end) == 60 * sum(open_minutes)
    assert [hours.is_open(start + timedelta(minutes=m)) for m in range(minutes)] == open_minutes


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.datetimes(min_value=datetime(2011, 1, 1), max_value=datetime(2028, 1, 1)), st.floats(0, 10 * 86400))
def test_open_around_the_clock_is_calendar_time(zone: str, moment: datetime, seconds: float) -> None:
    hours = BusinessHours(timezone=zone, weekly={day: ALL_DAY for day in WEEKDAYS})
    start = moment.replace(tzinfo=UTC)
    assert hours.add(start, seconds) == add_business_time(None, start, seconds)
    end = start + timedelta(seconds=seconds)
    assert hours.elapsed(start, end) == business_elapsed(None, start, end)
