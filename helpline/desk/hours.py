"""Business hours: a weekly schedule in a timezone, with holidays.

Intervals are local wall-clock times, so a schedule of 09:00–18:00 stays 09:00–18:00 across a
DST change. "24:00" may end an interval (open until midnight).
"""

from __future__ import annotations

import re
from datetime import date, datetime
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
        """Whether `at` (an aware datetime) falls inside the schedule."""
        local = at.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(
            _minutes(start) <= minute < _minutes(end) for start, end in self.weekly.get(WEEKDAYS[local.weekday()], ())
        )
