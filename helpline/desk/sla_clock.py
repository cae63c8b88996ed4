"""One SLA target (first response, next response, resolution) as a pausable business-time clock.

A pure value: every transition returns a new `SlaTarget`, nothing touches the database, and
`model_dump(mode="json")` / `SlaTarget.model_validate(...)` store and load it. The caller passes
the business hours in force (`None` for 24/7) to every step that counts time.

The clock runs (`due_at` set), is paused while the conversation waits for the customer
(`remaining_seconds` set, `due_at` cleared), or is met (`met_at` set; what it held at that
moment is kept). `due_at` is the instant the target breaches: at `due_at` no business time is
left, so a target is breached from `due_at` on.

Pausing keeps the remaining business time with its sign: positive while there is time left,
zero or negative (minus the business time overdue) once breached, with `breached` set so that a
target paused at or after its due time is never taken for one with time left. Resuming puts the
remaining time back on the clock from the resume instant:
- time left: `due_at = add_business_time(hours, at, remaining)`;
- breached: `due_at = subtract_business_time(hours, at, overdue)`, the latest instant that is
  `overdue` business seconds before the resume, so `due_at <= at`: the target is breached the
  moment it resumes and a later pause reports the same overdue time plus what accrued since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from helpline.desk.hours import BusinessHours, add_business_time, business_elapsed, subtract_business_time

SlaState = Literal["ok", "at_risk", "breached", "paused", "met"]


class SlaTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_seconds: float = Field(ge=0, allow_inf_nan=False)  # the business time allowed, for "at risk"
    started_at: AwareDatetime
    due_at: AwareDatetime | None = None  # running: the instant the target breaches
    paused_at: AwareDatetime | None = None
    # Paused: business seconds left at `paused_at`; zero or minus the overdue time once breached.
    remaining_seconds: float | None = Field(None, allow_inf_nan=False)
    met_at: AwareDatetime | None = None
    # Set when the target is paused or met at or after its due time; never cleared.
    breached: bool = False

    @model_validator(mode="after")
    def _one_state(self) -> SlaTarget:
        if (self.due_at is None) == (self.remaining_seconds is None):
            raise ValueError("a target is either running (due_at) or paused (remaining_seconds)")
        if (self.paused_at is None) != (self.remaining_seconds is None):
            raise ValueError("paused_at and remaining_seconds go together")
        if self.remaining_seconds is not None:
            if self.breached and self.remaining_seconds > 0:
                raise ValueError("a breached target has no time left")
            if not self.breached and self.remaining_seconds < 0:
                raise ValueError("a target with time overdue is breached")
        return self

    @classmethod
    def start(cls, hours: BusinessHours | None, at: datetime, seconds: float) -> SlaTarget:
        """A running target that allows `seconds` of business time from `at`."""
        return cls(target_seconds=seconds, started_at=at, due_at=add_business_time(hours, at, seconds))

    @property
    def is_running(self) -> bool:
        return self.met_at is None and self.due_at is not None

    @property
    def is_paused(self) -> bool:
        return self.met_at is None and self.due_at is None

    def remaining(self, hours: BusinessHours | None, now: datetime) -> float:
        """Business seconds left at `now`: negative by the overdue business time once breached.

        Zero both exactly at the due time and when breached outside business hours; `state`
        tells those apart. A paused target reports what it had at the pause.
        """
        if self.met_at is not None:
            raise ValueError("a met target has no remaining time")
        if self.due_at is None:
            assert self.remaining_seconds is not None
            return self.remaining_seconds
        if now < self.due_at:
            return business_elapsed(hours, now, self.due_at)
        return -business_elapsed(hours, self.due_at, now)

    def pause(self, hours: BusinessHours | None, at: datetime) -> SlaTarget:
        """Stop the clock at `at`, keeping the remaining business time (see the module docstring)."""
        if not self.is_running:
            raise ValueError("only a running target can be paused")
        assert self.due_at is not None
        self._not_before(at, self.started_at)
        return self._with(
            due_at=None,
            paused_at=at,
            remaining_seconds=self.remaining(hours, at),
            breached=self.breached or at >= self.due_at,
        )

    def resume(self, hours: BusinessHours | None, at: datetime) -> SlaTarget:
        """Restart the clock at `at` with the time kept by `pause`; a breached target stays breached."""
        if not self.is_paused:
            raise ValueError("only a paused target can be resumed")
        assert self.paused_at is not None and self.remaining_seconds is not None
        self._not_before(at, self.paused_at)
        if self.breached:
            due_at = subtract_business_time(hours, at, -self.remaining_seconds)
        else:
            due_at = add_business_time(hours, at, self.remaining_seconds)
        return self._with(due_at=due_at, paused_at=None, remaining_seconds=None)

    def met(self, at: datetime) -> SlaTarget:
        """Stop the target for good at `at`, recording whether it had breached by then."""
        if self.met_at is not None:
            raise ValueError("the target is already met")
        self._not_before(at, self.paused_at or self.started_at)
        overdue = self.due_at is not None and at >= self.due_at
        return self._with(met_at=at, breached=self.breached or overdue)

    def state(self, hours: BusinessHours | None, now: datetime, at_risk_fraction: float = 0.25) -> SlaState:
        """What the target looks like at `now`: ok, at_risk, breached, paused or met.

        At risk means the business time left (not the wall time: a Friday evening with an hour of
        work left on Monday is at risk) is below `at_risk_fraction` of `target_seconds`.
        """
        if not 0 <= at_risk_fraction <= 1:
            raise ValueError("at_risk_fraction is between 0 and 1")
        _aware(now)
        if self.met_at is not None:
            return "met"
        if self.due_at is None:
            return "paused"
        if self.breached or now >= self.due_at:
            return "breached"
        if self.remaining(hours, now) < at_risk_fraction * self.target_seconds:
            return "at_risk"
        return "ok"

    def _with(self, **changes: Any) -> SlaTarget:
        # Through validation, unlike model_copy(update=...), so a transition cannot build a
        # target that would fail to load.
        return self.model_validate(self.model_dump() | changes)

    @staticmethod
    def _not_before(at: datetime, since: datetime) -> None:
        if _aware(at) < since:
            raise ValueError(f"{at.isoformat()} is before {since.isoformat()}")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be aware datetimes")
    return moment
