"""Pollers: inboxes read by asking the channel (Telegram's getUpdates, IMAP) rather than by a
webhook, one node at a time.

Every few seconds each node looks for active inboxes whose adapter polls them and takes a
lease on those nobody holds (`inboxes.poll_owner`, `poll_lease_until`: a conditional UPDATE,
so two nodes never both win). It runs the adapter's `poll` over and over while it renews the
lease; a node that dies lets its leases run out and another takes over. The adapter keeps its
position in `inboxes.cursor` (save_cursor), so what arrived while Helpline was down is read
when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from helpline.channels.base import ChannelError, adapter_for
from helpline.channels.delivery import context_for, record_connection
from helpline.conversations.models import Inbox
from helpline.core.clock import utcnow
from helpline.core.runtime import Services

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
SCAN_SECONDS = 5.0
# After a failed poll, wait this long (doubling up to the most) before the next.
ERROR_PAUSE = (1.0, 60.0)
MIN_POLL_SECONDS = 0.2


async def save_cursor(services: Services, inbox_id: int, cursor: dict[str, Any]) -> None:
    """Remember where a poller is (after what it read is stored, never before)."""
    async with services.db.transaction() as session:
        await session.execute(update(Inbox).where(Inbox.id == inbox_id).values(cursor=cursor))


class ChannelPollers:
    def __init__(self, services: Services, *, scan_seconds: float = SCAN_SECONDS) -> None:
        self.services = services
        self.scan_seconds = scan_seconds
        self.node = secrets.token_hex(8)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="channel-pollers")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._tasks:
            with contextlib.suppress(Exception):
                async with self.services.db.transaction() as session:
                    await session.execute(
                        update(Inbox)
                        .where(Inbox.id.in_(list(self._tasks)), Inbox.poll_owner == self.node)
                        .values(poll_owner=None, poll_lease_until=None)
                    )
        self._tasks.clear()

    async def _loop(self) -> None:
        while True:
            try:
                await self._scan()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scanning inboxes to poll failed")
            await asyncio.sleep(self.scan_seconds)

    async def _scan(self) -> None:
        async with self.services.db.read() as session:
            inboxes = (await session.scalars(select(Inbox).where(Inbox.is_active.is_(True)))).all()
        wanted: set[int] = set()
        for inbox in inboxes:
            adapter = adapter_for(inbox.channel)
            if adapter is None:
                continue
            try:
                polls = adapter.polls(adapter.parse_settings(inbox.settings))
            except Exception:
                continue
            if polls:
                wanted.add(inbox.id)
        for inbox_id, task in list(self._tasks.items()):
            if inbox_id not in wanted or task.done():
                task.cancel()
                del self._tasks[inbox_id]
        for inbox_id in wanted - set(self._tasks):
            if await self._take_lease(inbox_id):
                self._tasks[inbox_id] = asyncio.create_task(self._run(inbox_id), name=f"poll-inbox-{inbox_id}")

    async def _take_lease(self, inbox_id: int) -> bool:
        now = utcnow()
        async with self.services.db.transaction() as session:
            result = await session.execute(
                update(Inbox)
                .where(
                    Inbox.id == inbox_id,
                    or_(
                        Inbox.poll_owner.is_(None),
                        Inbox.poll_owner == self.node,
                        and_(Inbox.poll_lease_until.is_not(None), Inbox.poll_lease_until < now),
                    ),
                )
                .values(poll_owner=self.node, poll_lease_until=now + timedelta(seconds=LEASE_SECONDS))
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)

    async def _run(self, inbox_id: int) -> None:
        pause = ERROR_PAUSE[0]
        renewed = asyncio.get_running_loop().time()
        while True:
            if asyncio.get_running_loop().time() - renewed > LEASE_SECONDS / 3:
                if not await self._take_lease(inbox_id):
                    return  # another node has it now
                renewed = asyncio.get_running_loop().time()
            async with self.services.db.read() as session:
                inbox = await session.get(Inbox, inbox_id)
            if inbox is None or not inbox.is_active:
                return
            adapter, ctx = context_for(self.services, inbox)
            started = asyncio.get_running_loop().time()
            try:
                await adapter.poll(ctx)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                reason = error.reason if isinstance(error, ChannelError) else f"{error.__class__.__name__}: {error}"
                log.warning("polling inbox %s failed: %s", inbox_id, reason)
                await record_connection(self.services, inbox_id, error=reason)
                await asyncio.sleep(pause)
                pause = min(pause * 2, ERROR_PAUSE[1])
            else:
                if pause != ERROR_PAUSE[0] or inbox.status != "ok":
                    await record_connection(self.services, inbox_id, error=None)
                pause = ERROR_PAUSE[0]
                # A poll waits for news itself (a long poll); one that returns at once is not
                # called again sooner than this.
                await asyncio.sleep(max(0.0, MIN_POLL_SECONDS - (asyncio.get_running_loop().time() - started)))
