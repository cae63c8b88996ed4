"""Agent presence: who has a console open, kept in `agents.last_seen_at` so every node agrees.

Each node refreshes `last_seen_at` of the agents whose consoles it serves (a socket, or a
long-poll in the last `timeout` seconds) every third of `timeout`, and sweeps agents nobody
refreshed for `timeout` seconds to offline. A crashed node's agents therefore go offline
within `timeout`; no node needs to know about another's connections.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.events import AgentUpdated
from helpline.accounts.models import Agent, AgentStatus
from helpline.accounts.schemas import agent_out
from helpline.core.clock import utcnow
from helpline.core.events import queue_event
from helpline.core.jobs import enqueue

if TYPE_CHECKING:
    from helpline.core.db import Database

log = logging.getLogger(__name__)


async def set_status(session: AsyncSession, *, agent: Agent, status: AgentStatus) -> None:
    """Change the agent's status (the agent's choice, or presence); announce it."""
    now = utcnow()
    if status != AgentStatus.offline:
        agent.last_seen_at = now
    if agent.status == status:
        return
    agent.status = status
    agent.status_changed_at = now
    if status == AgentStatus.online:
        # Room for conversations waiting in the agent's teams (the desk gives them out).
        await enqueue(session, kind="desk.dispatch", payload={"account_id": agent.account_id}, account_id=agent.account_id)
    await session.flush()
    queue_event(session, agent.account_id, AgentUpdated(agent=agent_out(agent)), audience="agents")


async def console_connected(session: AsyncSession, *, agent_id: int) -> None:
    """A console of the agent is here: an offline agent comes online (an away one stays away)."""
    agent = await session.get(Agent, agent_id, with_for_update=True, populate_existing=True)
    if agent is None or not agent.is_active:
        return
    await set_status(session, agent=agent, status=AgentStatus.online if agent.status == AgentStatus.offline else AgentStatus(agent.status))


async def sweep_offline(session: AsyncSession, *, timeout: float) -> None:
    """Agents whose consoles nobody has refreshed for `timeout` seconds go offline."""
    cutoff = utcnow() - timedelta(seconds=timeout)
    stale = (
        await session.scalars(
            select(Agent)
            .where(Agent.status != AgentStatus.offline)
            .where((Agent.last_seen_at.is_(None)) | (Agent.last_seen_at < cutoff))
            .with_for_update()
        )
    ).all()
    for agent in stale:
        await set_status(session, agent=agent, status=AgentStatus.offline)


class Presence:
    """This node's part of presence: the consoles it serves, refreshed and swept."""

    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.timeout = timeout
        self._sockets: Counter[int] = Counter()
        self._polled: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    def socket_opened(self, agent_id: int) -> None:
        self._sockets[agent_id] += 1

    def socket_closed(self, agent_id: int) -> None:
        self._sockets[agent_id] -= 1
        if self._sockets[agent_id] <= 0:
            del self._sockets[agent_id]

    def polled(self, agent_id: int) -> None:
        self._polled[agent_id] = time.monotonic()

    def here(self) -> set[int]:
        cutoff = time.monotonic() - self.timeout
        self._polled = {a: t for a, t in self._polled.items() if t > cutoff}
        return set(self._sockets) | set(self._polled)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.timeout / 3)
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end presence for good
                log.exception("presence tick failed")

    async def tick(self) -> None:
        agents = self.here()
        async with self.db.transaction() as session:
            if agents:
                await session.execute(update(Agent).where(Agent.id.in_(agents)).values(last_seen_at=utcnow()))
            await sweep_offline(session, timeout=self.timeout)
