"""Business hours: a weekly schedule in a timezone, with holidays, and business-time arithmetic.

Intervals are local wall-clock times, so a schedule of 09:00–18:00 stays 09:00–18:00 across a
DST change. "24:00" may end an interval (open until midnight).

SLA timers count business time (`BusinessHours.add`, `.subtract`, `.elapsed`, `.next_open`, and
`add_business_time` / `business_elapsed` / `subtract_business_time`, where `hours=None` means
calendar time, 24/7). They work on concrete UTC spans: on each local date, each interval runs
from the first instant the office clock shows its start to the first instant it shows its end.
That one rule settles the clock changes, deterministically:

- A wall time skipped by a spring-forward gap maps to the moment the clocks jump: in Berlin on
  the last Sunday of March, 02:30 is 03:00 CEST. So an interval is never stretched or inverted
  by the gap (01:00–02:30 runs from 01:00 CET to the jump: one real hour), and one wholly inside
  the gap is empty.
- An ambiguous wall time of a fall-back hour means its first occurrence (fold=0). An interval
  that spans the repeated hour counts it twice (an office open 00:00–24:00 works 25 hours that
  day, 23 in spring); one that starts or ends inside it starts or ends at the first occurrence
  (in Berlin, 02:30–03:30 that day is 02:30 CEST to 03:30 CET: two real hours).
- A holiday closes the whole local date, however long the clock change makes it.

`is_open` reads the same spans, so a due time from `add` is never a moment `is_open` calls
closed. Away from clock changes that is exactly "the local wall clock is inside an interval of
a working day".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("times are HH:MM, 00:00 to 24:00")
    return value


Clock = Annotated[str, AfterValidator(_clock)]
Interval = tuple[Clock, Clock]


class BusinessHours(BaseModel):
    timezone: str = Field("Europe/Moscow", max_length=64)
    weekly: dict[str, list[Interval]] = Field(default_factory=dict)
    holidays: list[date] = Field(default_factory=list, max_length=366)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _weekdays(cls, value: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
        for day, intervals in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"weekdays are {', '.join(WEEKDAYS)}")
            if len(intervals) > 10:
                raise ValueError("at most 10 intervals a day")
            for start, end in intervals:
                if _minutes(start) >= _minutes(end):
                    raise ValueError(f"{start}–{end}: an interval must end after it starts")
        return value

    @model_validator(mode="after")
    def _sorted(self) -> BusinessHours:
        self.weekly = {day: sorted(self.weekly[day]) for day in WEEKDAYS if self.weekly.get(day)}
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (an aware datetime) falls inside the schedule.

        Reads the same UTC spans as `add`. It once compared the local wall clock directly, which
        gives the same answers except for an interval bound inside a repeated (fall-back) hour.
        """
        calendar = _Calendar(self)
        at = _utc(at, "at")
        return any(opens <= at < closes for opens, closes in calendar.spans(calendar.business_day(at)))

    def next_open(self, at: datetime) -> datetime:
        """`at` (in UTC) if the schedule is open then, else the next opening.

        Raises ValueError if the schedule never opens (no intervals at all).
        """
        return self.add(at, 0)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The aware UTC instant at which `seconds` of business time have elapsed since `start`.

        Counting begins at `start` if the schedule is open then, else at the next opening, so
        `seconds == 0` gives `next_open(start)`. The answer lies inside an interval or exactly at
        the end of one: two hours of work from 16:00 in an office closing at 18:00 is 18:00, not
        the next morning. Raises ValueError for a naive `start`, a negative or non-finite
        `seconds`, a schedule that never opens, or an answer more than 100 years away.
        """
        remaining = _duration(seconds)
        calendar = _Calendar(self)
        for opens, closes in calendar.spans_from(_utc(start, "start")):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("spans_from never runs out: it raises instead")

    def subtract(self, end: datetime, seconds: float) -> datetime:
        """The latest aware UTC instant from which `seconds` of business time reach `end`.

        The mirror of `add`: `elapsed(subtract(end, s), end) == s`. With `seconds == 0` it is
        `end` itself; otherwise it lies inside an interval or exactly at the start of one. Raises
        ValueError as `add` does.
        """
        remaining = _duration(seconds)
        end = _utc(end, "end")
        if not remaining:
            return end
        calendar = _Calendar(self)
        for opens, closes in calendar.spans_until(end):
            if remaining <= closes - opens:
                return closes - remaining
            remaining -= closes - opens
        raise AssertionError("spans_until never runs out: it raises instead")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds between two aware instants; 0 if `end` is not after `start`."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return 0.0
        calendar = _Calendar(self)
        total = timedelta()
        day, last_day = calendar.business_day(start), calendar.business_day(end)
        while day <= last_day:
            for opens, closes in calendar.spans(day):
                if opens < end and closes > start:
                    total += min(closes, end) - max(opens, start)
            day += _DAY
        return total.total_seconds()


def add_business_time(hours: BusinessHours | None, start: datetime, seconds: float) -> datetime:
    """`hours.add(start, seconds)`; with `hours=None` (always open) plain calendar time, in UTC."""
    if hours is not None:
        return hours.add(start, seconds)
    try:
        return _utc(start, "start") + _duration(seconds)
    except OverflowError:
        raise ValueError("the time falls beyond the year 9999") from None


def subtract_business_time(hours: BusinessHours | None, end: datetime, seconds: float) -> datetime:
    """`hours.subtract(end, seconds)`; with `hours=None` (always open) plain calendar time, in UTC."""
    if hours is not None:
        return hours.subtract(end, seconds)
    try:
        return _utc(end, "end") - _duration(seconds)
    except OverflowError:
        raise ValueError("the time falls before the year 1") from None


def business_elapsed(hours: BusinessHours | None, start: datetime, end: datetime) -> float:
    """`hours.elapsed(start, end)`; with `hours=None` (always open) plain calendar seconds."""
    if hours is not None:
        return hours.elapsed(start, end)
    return max(0.0, (_utc(end, "end") - _utc(start, "start")).total_seconds())


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _duration(seconds: float) -> timedelta:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"business time must be a finite number of seconds >= 0, not {seconds!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{seconds!r} seconds is beyond the calendar") from None


_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
# How far `add` and `subtract` walk before giving up: no SLA sensibly lies further away, and the
# bound keeps a schedule that opens a minute a week from walking day by day to the year 9999.
_HORIZON_DAYS = 100 * 366

Span = tuple[datetime, datetime]


class _Calendar:
    """A BusinessHours read as UTC spans, day by day.

    Built per call rather than cached on the model: the model is mutable, and `model_copy`
    would carry a cache over to a copy with other holidays.
    """

    def __init__(self, hours: BusinessHours) -> None:
        self.zone = hours.zone
        self.holidays = frozenset(hours.holidays)
        self.weekly = [
            [(_minutes(start), _minutes(end)) for start, end in hours.weekly.get(day, ())] for day in WEEKDAYS
        ]
        self.ever_open = any(self.weekly)

    def moment(self, day: date, minute: int) -> datetime:
        """The first instant at which the office clock shows `minute` past midnight of `day`, or later."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        # fold=0: of the two instants an ambiguous (fall-back) wall time names, the first.
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) == wall:
            return instant
        # `wall` lies in a spring-forward gap. fold=0 read it with the offset from before the
        # jump, which lands after the jump; fold=1 uses the offset from after it, which lands
        # before. The clocks jump in between, at a whole second (so does all of tzdata).
        before = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        offset = before.astimezone(self.zone).utcoffset()
        while instant - before > _SECOND:
            middle = before + timedelta(seconds=(instant - before).total_seconds() // 2)
            if middle.astimezone(self.zone).utcoffset() == offset:
                before = middle
            else:
                instant = middle
        return instant

    def spans(self, day: date) -> list[Span]:
        """The open UTC spans of a local date, sorted, overlapping ones merged."""
        if day in self.holidays:
            return []
        merged: list[Span] = []
        for start, end in self.weekly[day.weekday()]:
            opens, closes = self.moment(day, start), self.moment(day, end)
            if opens >= closes:
                continue  # swallowed by a spring-forward gap
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged

    def business_day(self, at: datetime) -> date:
        """The local date whose spans may hold `at`.

        Usually `at`'s local date; the next one when a fall-back across midnight repeats the
        last minutes of a day after the next day has begun.
        """
        day = at.astimezone(self.zone).date()
        return day + _DAY if at >= self.moment(day + _DAY, 0) else day

    def spans_from(self, at: datetime) -> Iterator[Span]:
        """Open spans from `at` on, the first one clipped to start at `at`, for `_HORIZON_DAYS` days."""
        try:
            for spans in self._days(self.business_day(at), _DAY):
                for opens, closes in spans:
                    if closes > at:
                        yield max(opens, at), closes
        except OverflowError:
            raise ValueError("business time runs beyond the year 9999") from None

    def spans_until(self, at: datetime) -> Iterator[Span]:
        """Open spans before `at`, latest first, the latest clipped to end at `at`, for `_HORIZON_DAYS` days."""
        try:
            for spans in self._days(self.business_day(at), -_DAY):
                for opens, closes in reversed(spans):
                    if opens < at:
                        yield opens, min(closes, at)
        except OverflowError:
            raise ValueError("business time runs before the year 1") from None

    def _days(self, first: date, step: timedelta) -> Iterator[list[Span]]:
        """The spans of `first`, `first + step`, ... for `_HORIZON_DAYS` days, then ValueError."""
        # With no intervals there is nothing to find; holidays alone cannot close a schedule
        # that has intervals for longer than they last (at most 366 days of them).
        if not self.ever_open:
            raise ValueError("the business hours have no open intervals, so they never open")
        for days in range(_HORIZON_DAYS):
            yield self.spans(first + days * step)
        raise ValueError(f"the business time runs more than {_HORIZON_DAYS} days from {first}")
