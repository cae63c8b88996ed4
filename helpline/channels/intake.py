"""The intake: what a channel's webhook delivers is made durable at once and processed after.

A webhook only checks the channel's signature, parses the request into `Update`s and hands
them to `ChannelContext.queue` (`Intake.accept`), which writes them to `channel_updates` and
returns once they are committed: the channel hears 200 only for what is stored, and a second
delivery of an update (the channel's id of it is unique per inbox) is not queued again.
Webhooks arriving together share one transaction (a group commit): under a burst a node
writes hundreds of updates per commit rather than one each.

The processor (one per node, any node's updates) claims due updates in the order they came,
under a lease, and hands each to its adapter's `process` (files downloaded, the message
stored by `inbound.receive`, a delivery report recorded). The updates of one chat are
processed one after another, in order, and a chat whose earlier update waits for a retry
waits with it; different chats are processed side by side. A processed update's row is
deleted; one that failed is tried again with back-off, and after MAX_ATTEMPTS kept with its
error (shown as the inbox's last error). Processing is at least once: a node that dies
mid-batch leaves its leases to run out, and `inbound.receive` stores a message once however
often it is given.

While this node has little queued, the webhook also waits (up to WAIT_SECONDS) for its
updates to be processed: ordinarily a message is in the inbox by the time the channel hears
200. Under a burst it answers as soon as the updates are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from helpline.channels.models import ChannelUpdate
from helpline.core.clock import utcnow
from helpline.core.jobs import retry_delay

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.ext.asyncio import AsyncSession

    from helpline.conversations.models import Inbox
    from helpline.core.runtime import Services

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_SECONDS = 120.0
SCAN_SECONDS = 1.0  # how often a node looks for updates other nodes queued
BATCH = 200  # updates claimed at a time
CHATS_AT_ONCE = 4  # chats processed side by side (file downloads overlap)
# The webhook waits for its updates to be processed while fewer than this many are queued
# here, and at most this long.
WAIT_BELOW = 10
WAIT_SECONDS = 10.0
# While webhooks are being stored, processing waits for them, this long at most per update.
GIVE_WAY_SECONDS = 0.1


@dataclass(frozen=True)
class Update:
    """One update of a channel, as its webhook parsed it."""

    key: str  # the channel's id of it (Telegram's update_id ...): delivered again, not queued again
    chat: str  # the chat (customer) it belongs to: one chat's updates are processed in order
    payload: dict[str, Any]  # what the adapter's `process` gets


@dataclass
class _Claimed:
    id: int
    inbox_id: int
    key: str
    chat: str
    payload: dict[str, Any]
    attempts: int


class Intake:
    def __init__(self, services: Services, *, backoff_scale: float = 1.0) -> None:
        self.services = services
        self.backoff_scale = backoff_scale
        self._pending: list[tuple[Inbox, list[Update], asyncio.Future[list[tuple[int, str]]]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._waiting: dict[tuple[int, str], asyncio.Future[None]] = {}  # (inbox, key): webhooks waiting
        self.queued_here = 0  # accepted by this node and not yet processed (by anyone)
        self._accepting = 0  # webhooks being stored now
        self._in_hand: set[int] = set()  # ids claimed by this node and not yet finished

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="channel-intake")

    async def stop(self) -> None:
        for task in (self._loop_task, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._in_hand:
            # Handed back (not left to their lease), so the next start takes them at once; a
            # half-processed one runs again, which `process` allows.
            try:
                async with self.services.db.transaction() as session:
                    await _hand_back(session, self._in_hand)
            except Exception:
                log.warning("channel intake: could not hand back %d updates", len(self._in_hand), exc_info=True)

    # --- Accepting -----------------------------------------------------------------------

    async def accept(self, inbox: Inbox, updates: list[Update]) -> None:
        """Store `updates` of `inbox` durably (see the module docstring); then, when little is
        queued, wait a while for them to be processed."""
        if not updates:
            return
        loop = asyncio.get_running_loop()
        # Waiters are in place before the updates are stored: the processor may be quicker
        # than this coroutine is to resume. Only for updates no other webhook waits for (a
        # delivery again of one being stored or processed answers once it is stored).
        keys = [(inbox.id, item.key[:200]) for item in updates]
        waits: dict[tuple[int, str], asyncio.Future[None]] = {}
        if self.queued_here < WAIT_BELOW:
            for key in keys:
                if key not in self._waiting:
                    waits[key] = self._waiting[key] = loop.create_future()
        done: asyncio.Future[list[tuple[int, str]]] = loop.create_future()
        self._pending.append((inbox, updates, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="channel-intake-writer")
        try:
            self._accepting += 1
            try:
                stored = set(await done)
            finally:
                self._accepting -= 1
            self.queued_here += len(stored)
            self._wake.set()
            # An update an earlier delivery queued (and perhaps given up on) is stored: no wait.
            waiting = [waiter for key, waiter in waits.items() if key in stored]
            if waiting:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(asyncio.gather(*waiting)), WAIT_SECONDS)
        finally:
            for key, waiter in waits.items():  # processed, timed out, failed or cancelled
                if self._waiting.get(key) is waiter:
                    del self._waiting[key]

    def _resolve(self, keys: list[tuple[int, str]]) -> None:
        """Let the webhooks waiting for these updates answer."""
        for key in keys:
            waiter = self._waiting.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _write(self) -> None:
        """Write what is pending, in one transaction each time, until nothing is."""
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                stored = await self._insert(batch)
            except Exception as error:
                for _inbox, _updates, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for inbox, updates, done in batch:
                if not done.done():
                    done.set_result([key for u in updates if (key := (inbox.id, u.key[:200])) in stored])

    async def _insert(self, batch: list[tuple[Inbox, list[Update], Any]]) -> set[tuple[int, str]]:
        """The rows written; returns the (inbox, key) of those new (not queued already)."""
        now = utcnow()
        rows, seen = [], set()
        for inbox, updates, _done in batch:
            for item in updates:
                if (inbox.id, item.key) in seen:
                    continue
                seen.add((inbox.id, item.key))
                rows.append({
                    "account_id": inbox.account_id, "inbox_id": inbox.id, "key": item.key[:200],
                    "chat": item.chat[:200], "payload": item.payload, "received_at": now, "due_at": now,
                    "attempts": 0,
                })
        insert = postgresql_insert if not self.services.db.is_sqlite else sqlite_insert
        statement = (
            insert(ChannelUpdate)
            .on_conflict_do_nothing(index_elements=["inbox_id", "key"])
            .returning(ChannelUpdate.inbox_id, ChannelUpdate.key)
        )
        async with self.services.db.transaction() as session:
            return {(inbox_id, key) for inbox_id, key in await session.execute(statement, rows)}

    # --- Processing ----------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            try:
                claimed = await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("channel intake: claiming updates failed")
                claimed = []
            if claimed:
                await self._process(claimed)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SCAN_SECONDS)

    async def _give_way(self) -> None:
        """Wait while webhooks are being stored here (up to GIVE_WAY_SECONDS): a channel waits
        for its answer, the backlog can wait, and the database runs on this thread (SQLite) or
        this node's connections. Under a burst the node first takes every update in, then
        processes them."""
        waited = 0.0
        while self._accepting and waited < GIVE_WAY_SECONDS:
            await asyncio.sleep(0.002)
            waited += 0.002
        if not waited:
            await asyncio.sleep(0)

    async def _claim(self) -> list[_Claimed]:
        """Lease up to BATCH due updates, oldest first, skipping a chat's updates while an
        earlier one of it waits for a retry or is being processed elsewhere."""
        now = utcnow()
        earlier = aliased(ChannelUpdate)
        held_back = exists().where(
            earlier.inbox_id == ChannelUpdate.inbox_id,
            earlier.chat == ChannelUpdate.chat,
            earlier.id < ChannelUpdate.id,
            earlier.failed_at.is_(None),
            or_(earlier.due_at > now, earlier.locked_until > now),
        )
        due = and_(
            ChannelUpdate.failed_at.is_(None),
            ChannelUpdate.due_at <= now,
            or_(ChannelUpdate.locked_until.is_(None), ChannelUpdate.locked_until <= now),
            ~held_back,
        )
        db = self.services.db
        if db.is_sqlite:  # a read first: the claim would take SQLite's one write lock
            async with db.read() as session:
                if await session.scalar(select(ChannelUpdate.id).where(due).limit(1)) is None:
                    return []
        candidates = (
            select(ChannelUpdate.id)
            .where(due)
            .order_by(ChannelUpdate.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=ChannelUpdate)
        )
        claim = (
            update(ChannelUpdate)
            .where(ChannelUpdate.id.in_(candidates))
            .values(locked_until=now + timedelta(seconds=LEASE_SECONDS), attempts=ChannelUpdate.attempts + 1)
            .returning(
                ChannelUpdate.id, ChannelUpdate.inbox_id, ChannelUpdate.key, ChannelUpdate.chat,
                ChannelUpdate.payload, ChannelUpdate.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        async with db.transaction() as session:
            rows = (await session.execute(claim)).all()
        return sorted((_Claimed(*row) for row in rows), key=lambda c: c.id)

    async def _process(self, claimed: list[_Claimed]) -> None:
        self._in_hand = {item.id for item in claimed}
        await self._process_claimed(claimed)
        self._in_hand = set()

    async def _process_claimed(self, claimed: list[_Claimed]) -> None:
        from helpline.channels.delivery import context_for, record_connection
        from helpline.conversations.models import Inbox

        async with self.services.db.read() as session:
            inboxes = {
                inbox.id: inbox
                for inbox in await session.scalars(select(Inbox).where(Inbox.id.in_({c.inbox_id for c in claimed})))
            }
        chats: dict[tuple[int, str], list[_Claimed]] = defaultdict(list)
        for item in claimed:
            chats[(item.inbox_id, item.chat)].append(item)
        done: list[int] = []
        failed: list[tuple[_Claimed, str]] = []
        released: list[int] = []
        gate = asyncio.Semaphore(CHATS_AT_ONCE)

        async def run(items: list[_Claimed]) -> None:
            async with gate:
                inbox = inboxes.get(items[0].inbox_id)
                context = None
                for position, item in enumerate(items):
                    if inbox is None:  # deleted meanwhile (its updates go with it)
                        done.append(item.id)
                        continue
                    await self._give_way()
                    try:
                        context = context or context_for(self.services, inbox)
                        adapter, ctx = context
                        await adapter.process(ctx, item.payload)
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:
                        log.warning("channel update %s of inbox %s failed", item.id, inbox.id, exc_info=True)
                        failed.append((item, f"{error.__class__.__name__}: {error}"[:1000]))
                        # The chat's later updates wait for this one (their order is kept).
                        released.extend(later.id for later in items[position + 1:])
                        return
                    done.append(item.id)

        await asyncio.gather(*(run(items) for items in chats.values()))
        now = utcnow()
        async with self.services.db.transaction() as session:
            if done:
                await session.execute(delete(ChannelUpdate).where(ChannelUpdate.id.in_(done)))
            if released:
                await _hand_back(session, released)
            for item, error in failed:
                last = item.attempts >= MAX_ATTEMPTS
                await session.execute(
                    update(ChannelUpdate)
                    .where(ChannelUpdate.id == item.id)
                    .values(
                        locked_until=None,
                        last_error=error,
                        due_at=now + timedelta(seconds=retry_delay(item.attempts) * self.backoff_scale),
                        failed_at=now if last else None,
                    )
                    .execution_options(synchronize_session=False)
                )
        for item, error in failed:
            if item.attempts >= MAX_ATTEMPTS:
                await record_connection(self.services, item.inbox_id, error=f"A message could not be received: {error}")
        # Webhooks waiting for these may answer; a failed one is retried on its own.
        held = set(released)
        self._resolve([(item.inbox_id, item.key) for item in claimed if item.id not in held])
        self.queued_here = max(0, self.queued_here - len(done) - sum(item.attempts >= MAX_ATTEMPTS for item, _ in failed))


async def _hand_back(session: AsyncSession, ids: Iterable[int]) -> None:
    """Claimed updates not tried after all: due again, their claim not counted as an attempt."""
    await session.execute(
        update(ChannelUpdate)
        .where(ChannelUpdate.id.in_(list(ids)))
        .values(locked_until=None, attempts=ChannelUpdate.attempts - 1)
        .execution_options(synchronize_session=False)
    )
