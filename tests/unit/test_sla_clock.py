"""SLA targets: a business-time clock that pauses while the customer is away, and stays honest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from helpline.desk.sla_clock import SlaTarget
from tests.unit.test_business_hours import HOUR, OFFICE, durations, msk, schedules

# OFFICE: Moscow, weekdays 09:00–13:00 and 14:00–18:00, 31 December 2026 off. 1 December is a Tuesday.


def working_day_target() -> SlaTarget:
    """8 business hours from Tuesday 09:00: due Tuesday 18:00."""
    return SlaTarget.start(OFFICE, msk(12, 1, 9), 8 * HOUR)


def test_a_running_target_goes_from_ok_to_at_risk_to_breached() -> None:
    target = working_day_target()
    assert target.due_at == msk(12, 1, 18)
    assert target.state(OFFICE, msk(12, 1, 12)) == "ok"  # 5 h left
    assert target.state(OFFICE, msk(12, 1, 16)) == "ok"  # 2 h left: a quarter of 8 h is not below it
    assert target.state(OFFICE, msk(12, 1, 16, 1)) == "at_risk"
    assert target.state(OFFICE, msk(12, 1, 16, 1), at_risk_fraction=0.2) == "ok"
    assert target.state(OFFICE, msk(12, 1, 17, 59)) == "at_risk"
    assert target.state(OFFICE, msk(12, 1, 18)) == "breached"  # due_at is the moment it breaches
    assert target.state(OFFICE, msk(12, 2, 10)) == "breached"
    assert target.remaining(OFFICE, msk(12, 1, 12, 30)) == 4.5 * HOUR  # lunch does not count
    assert target.remaining(OFFICE, msk(12, 2, 10)) == -HOUR  # overdue by Wednesday's first hour


def test_at_risk_counts_business_time_not_wall_time() -> None:
    # 8 h from Friday 10:30: 6.5 h on Friday, 1.5 h on Monday.
    target = SlaTarget.start(OFFICE, msk(12, 4, 10, 30), 8 * HOUR)
    assert target.due_at == msk(12, 7, 10, 30)
    # Saturday: two days of wall time left, but only 1.5 business hours, under a quarter of 8.
    assert target.state(OFFICE, msk(12, 5, 12)) == "at_risk"
    assert target.state(OFFICE, msk(12, 4, 16)) == "ok"


def test_pausing_keeps_the_business_time_left() -> None:
    paused = working_day_target().pause(OFFICE, msk(12, 1, 12))
    assert (paused.due_at, paused.remaining_seconds, paused.breached) == (None, 5 * HOUR, False)
    assert paused.paused_at == msk(12, 1, 12)
    assert paused.state(OFFICE, msk(12, 3, 12)) == "paused"  # however long the customer takes
    resumed = paused.resume(OFFICE, msk(12, 2, 10))
    assert resumed.due_at == msk(12, 2, 16)  # Wednesday 10:00 + 5 h, over lunch
    assert (resumed.paused_at, resumed.remaining_seconds) == (None, None)
    assert resumed.state(OFFICE, msk(12, 2, 14, 30)) == "at_risk"
    assert resumed.target_seconds == 8 * HOUR and resumed.started_at == msk(12, 1, 9)


def test_a_pause_outside_business_hours_changes_nothing() -> None:
    target = SlaTarget.start(OFFICE, msk(12, 1, 14), 8 * HOUR)
    assert target.due_at == msk(12, 2, 13)
    resumed = target.pause(OFFICE, msk(12, 1, 20)).resume(OFFICE, msk(12, 2, 8))
    assert resumed.due_at == target.due_at


def test_a_breached_target_stays_breached_through_a_pause() -> None:
    paused = working_day_target().pause(OFFICE, msk(12, 2, 10))
    assert (paused.remaining_seconds, paused.breached) == (-HOUR, True)
    resumed = paused.resume(OFFICE, msk(12, 2, 12))
    # Due one business hour before the resume, so the overdue hour carries on growing from there.
    assert resumed.due_at == msk(12, 2, 11)
    assert resumed.state(OFFICE, msk(12, 2, 12)) == "breached"
    assert resumed.pause(OFFICE, msk(12, 2, 12)).remaining_seconds == -HOUR
    assert resumed.pause(OFFICE, msk(12, 2, 12, 30)).remaining_seconds == -1.5 * HOUR


def test_a_target_breached_after_hours_stays_breached_before_the_next_opening() -> None:
    # Due Tuesday 18:00, paused at 19:00: overdue, though by no business time at all.
    paused = working_day_target().pause(OFFICE, msk(12, 1, 19))
    assert (paused.remaining_seconds, paused.breached) == (0, True)
    resumed = paused.resume(OFFICE, msk(12, 2, 8))
    assert resumed.due_at == msk(12, 2, 8)
    assert resumed.state(OFFICE, msk(12, 2, 8, 30)) == "breached"
    assert resumed.remaining(OFFICE, msk(12, 2, 9, 30)) == -0.5 * HOUR


def test_paused_exactly_at_the_due_time_is_breached() -> None:
    paused = working_day_target().pause(OFFICE, msk(12, 1, 18))
    assert (paused.remaining_seconds, paused.breached) == (0, True)


def test_a_zero_target_before_opening_is_due_at_the_opening() -> None:
    target = SlaTarget.start(OFFICE, msk(12, 1, 7), 0)
    assert target.due_at == msk(12, 1, 9)
    assert target.state(OFFICE, msk(12, 1, 8)) == "ok"
    paused = target.pause(OFFICE, msk(12, 1, 8))
    assert (paused.remaining_seconds, paused.breached) == (0, False)
    assert paused.resume(OFFICE, msk(12, 1, 8, 30)).due_at == msk(12, 1, 9)


def test_met_records_whether_it_was_in_time() -> None:
    target = working_day_target()
    on_time = target.met(msk(12, 1, 17))
    assert (on_time.met_at, on_time.breached, on_time.due_at) == (msk(12, 1, 17), False, msk(12, 1, 18))
    assert on_time.state(OFFICE, msk(12, 9, 9)) == "met"
    assert target.met(msk(12, 1, 18)).breached
    assert target.met(msk(12, 2, 9)).breached
    paused_in_time = target.pause(OFFICE, msk(12, 1, 12))
    assert not paused_in_time.met(msk(12, 3, 12)).breached  # the clock was stopped
    assert paused_in_time.met(msk(12, 3, 12)).remaining_seconds == 5 * HOUR
    assert target.pause(OFFICE, msk(12, 2, 12)).met(msk(12, 2, 13)).breached


def test_without_business_hours_the_clock_is_calendar_time() -> None:
    start = datetime(2026, 12, 5, 10, tzinfo=UTC)  # a Saturday: no matter
    target = SlaTarget.start(None, start, HOUR)
    assert target.due_at == start + timedelta(hours=1)
    paused = target.pause(None, start + timedelta(minutes=20))
    assert paused.remaining_seconds == 40 * 60
    assert paused.resume(None, start + timedelta(days=1)).due_at == start + timedelta(days=1, minutes=40)
    assert target.state(None, start + timedelta(minutes=50)) == "at_risk"


@pytest.mark.parametrize(
    "step",
    [
        lambda target: target.resume(OFFICE, msk(12, 1, 10)),  # running, not paused
        lambda target: target.pause(OFFICE, msk(12, 1, 10)).pause(OFFICE, msk(12, 1, 11)),
        lambda target: target.pause(OFFICE, msk(12, 1, 10)).resume(OFFICE, msk(12, 1, 9, 30)),  # before the pause
        lambda target: target.pause(OFFICE, msk(12, 1, 8)),  # before the start
        lambda target: target.met(msk(12, 1, 10)).met(msk(12, 1, 11)),
        lambda target: target.met(msk(12, 1, 10)).pause(OFFICE, msk(12, 1, 11)),
        lambda target: target.met(msk(12, 1, 10)).remaining(OFFICE, msk(12, 1, 11)),
        lambda target: target.pause(OFFICE, datetime(2026, 12, 1, 10)),  # naive
        lambda target: target.state(OFFICE, datetime(2026, 12, 1, 10)),
        lambda target: target.state(OFFICE, msk(12, 1, 10), at_risk_fraction=1.5),
        lambda target: SlaTarget.start(OFFICE, msk(12, 1, 10), -1),
    ],
)
def test_impossible_steps_are_refused(step: Callable[[SlaTarget], object]) -> None:
    with pytest.raises(ValueError):
        step(working_day_target())


def test_it_round_trips_through_json() -> None:
    target = working_day_target()
    for version in (target, target.pause(OFFICE, msk(12, 2, 10)), target.met(msk(12, 1, 17))):
        stored = json.dumps(version.model_dump(mode="json"))
        assert SlaTarget.model_validate(json.loads(stored)) == version
    assert target.model_dump(mode="json")["due_at"] == "2026-12-01T15:00:00Z"


@pytest.mark.parametrize(
    "changes",
    [
        {"due_at": None},  # neither running nor paused
        {"remaining_seconds": 60, "paused_at": "2026-12-01T10:00:00Z"},  # both
        {"due_at": "2026-12-01T15:00:00"},  # naive
        {"target_seconds": -1},
        {"target_seconds": "NaN"},
        {"due_at": None, "remaining_seconds": 60},  # paused without paused_at
        {"due_at": None, "remaining_seconds": 60, "paused_at": "2026-12-01T10:00:00Z", "breached": True},
        {"due_at": None, "remaining_seconds": -60, "paused_at": "2026-12-01T10:00:00Z"},  # overdue, not breached
        {"colour": "red"},
    ],
)
def test_bad_stored_targets_are_refused(changes: dict) -> None:
    stored = working_day_target().model_dump(mode="json") | changes
    with pytest.raises(ValidationError):
        SlaTarget.model_validate(stored)


def test_a_target_is_immutable() -> None:
    with pytest.raises(ValidationError):
        working_day_target().due_at = None  # type: ignore[misc]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_pausing_never_shortens_the_time_left(data: st.DataObject) -> None:
    hours, start = data.draw(schedules())
    target = SlaTarget.start(hours, start, data.draw(durations(hours)))
    assert target.due_at is not None
    pause_at = start + timedelta(seconds=data.draw(st.floats(0, 10 * 86400)))
    resume_at = pause_at + timedelta(seconds=data.draw(st.one_of(st.just(0.0), st.floats(0, 10 * 86400))))

    paused = target.pause(hours, pause_at)
    resumed = paused.resume(hours, resume_at)
    assert paused.remaining_seconds is not None and resumed.due_at is not None
    assert resumed.due_at >= target.due_at
    assert resumed.remaining(hours, resume_at) == pytest.approx(paused.remaining_seconds, abs=1e-3)
    assert paused.breached == (target.state(hours, pause_at) == "breached")
    if paused.breached:
        assert resumed.state(hours, resume_at) == "breached"
    elif resume_at == pause_at:
        assert resumed.due_at == target.due_at  # a pause that lasts no time changes nothing
    again = SlaTarget.model_validate(json.loads(json.dumps(resumed.model_dump(mode="json"))))
    assert again == resumed
