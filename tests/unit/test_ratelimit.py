"""Rate limits: properties that must hold whatever the timing."""

from __future__ import annotations

from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from helpline.core import ratelimit
from helpline.core.ratelimit import BucketMap, FailureWindow, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@given(
    capacity=st.integers(1, 20),
    rate=st.floats(0.1, 10),
    steps=st.lists(st.floats(0, 3), min_size=1, max_size=60),
)
def test_a_bucket_never_grants_more_than_its_capacity_plus_refill(capacity: int, rate: float, steps: list[float]) -> None:
    clock = Clock()
    with mock.patch.object(ratelimit.time, "monotonic", clock):
        bucket = TokenBucket(capacity, rate)
        granted = 0
        for step in steps:
            clock.now += step
            if bucket.take() == 0:
                granted += 1
        elapsed = sum(steps)
        assert granted <= capacity + elapsed * rate + 1e-9


def test_a_refused_take_says_how_long_to_wait() -> None:
    clock = Clock()
    with mock.patch.object(ratelimit.time, "monotonic", clock):
        bucket = TokenBucket(2, 0.5)
        assert bucket.take() == 0 and bucket.take() == 0
        wait = bucket.take()
        assert 1.9 < wait <= 2.0
        clock.now += wait
        assert bucket.take() == 0


def test_failures_expire_after_the_window() -> None:
    clock = Clock()
    with mock.patch.object(ratelimit.time, "monotonic", clock):
        window = FailureWindow(limit=3, window=60)
        for _ in range(3):
            assert window.retry_after("k") == 0
            window.fail("k")
        assert 59 < window.retry_after("k") <= 60
        assert window.retry_after("other") == 0
        clock.now += 61
        assert window.retry_after("k") == 0
        window.fail("k")
        window.reset("k")
        assert window.retry_after("k") == 0


def test_bucket_map_forgets_the_least_recently_used() -> None:
    buckets = BucketMap(capacity=1, rate=0.001, max_keys=2)
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: a fresh bucket
    assert buckets.take("a") == 0
