"""Business hours: local wall-clock schedules, holidays, DST, and validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from helpline.desk.hours import WEEKDAYS, BusinessHours

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
