"""In-process rate limits: token buckets for message floods, failure windows for logins.

Per node. With several nodes behind a balancer a visitor sticks to one connection (and so
one node) while flooding, which is what matters here; login attempts spread over nodes are
each still capped, so the worst case is the cap times the number of nodes.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Hashable


class TokenBucket:
    """`capacity` at once, refilled at `rate` per second."""

    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> float:
        """Take one token; returns 0 on success, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FailureWindow:
    """At most `limit` failures per key within `window` seconds; bounded memory."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, key: Hashable) -> float:
        """0 when another attempt is allowed, else seconds to wait."""
        now = time.monotonic()
        stamps = self._recent(key, now)
        if len(stamps) < self.limit:
            return 0.0
        return stamps[0] + self.window - now

    def fail(self, key: Hashable) -> None:
        now = time.monotonic()
        stamps = self._recent(key, now)
        stamps.append(now)
        self._failures[key] = stamps
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def reset(self, key: Hashable) -> None:
        self._failures.pop(key, None)


class BucketMap:
    """A token bucket per key (e.g. per visitor), forgetting the least recently used keys."""

    def __init__(self, capacity: float, rate: float, max_keys: int = 100_000) -> None:
        self.capacity, self.rate, self.max_keys = capacity, rate, max_keys
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def take(self, key: Hashable) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take()
