"""The bus: a doorbell between nodes. In-process by default, Redis when several nodes run.

It carries two things: "these accounts have new events" (clients then read the log) and
ephemeral signals that are never stored (typing). Losing a doorbell delays a client until
the next one; it never loses data, because the data is in the log.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import orjson

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
CHANNEL = "helpline:bus"


class Bus(ABC):
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def _dispatch(self, topic: str, message: dict[str, Any]) -> None:
        for handler in self._handlers:
            try:
                handler(topic, message)
            except Exception:  # one broken subscriber must not silence the others
                log.exception("bus handler failed for %s", topic)

    async def start(self) -> None:  # noqa: B027 - optional hook
        pass

    async def stop(self) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    async def publish(self, topic: str, message: dict[str, Any]) -> None: ...


class MemoryBus(Bus):
    """One process: deliver on the next loop iteration, as a network bus would."""

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        asyncio.get_running_loop().call_soon(self._dispatch, topic, message)


class RedisBus(Bus):
    """Redis pub/sub; every node, the publisher included, hears every message."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._pubsub.subscribe(CHANNEL)
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    async def _read(self) -> None:
        while True:
            try:
                item = await self._pubsub.get_message(timeout=30.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis went away: wait and resubscribe. Doorbells missed meanwhile only delay
                # clients; they catch up from the log with the next one (and on reconnect).
                log.warning("redis bus: connection lost, retrying", exc_info=True)
                await asyncio.sleep(1.0)
                try:
                    await self._pubsub.subscribe(CHANNEL)
                except Exception:
                    pass
                continue
            if item is None:
                continue
            envelope = orjson.loads(item["data"])
            self._dispatch(envelope["topic"], envelope["message"])

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        await self._redis.publish(CHANNEL, orjson.dumps({"topic": topic, "message": message}))

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        await self._pubsub.aclose()
        await self._redis.aclose()


def create_bus(redis_url: str | None) -> Bus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
