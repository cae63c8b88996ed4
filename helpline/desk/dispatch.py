"""Assignment: who gets a conversation waiting in a team's queue, and what the customer is
told while it waits.

A team gives out its conversations "least_loaded" (the free member with the fewest open
conversations) or "round_robin" (the next free member after the last one given one), or not
at all ("manual"). A member is free when active, online, under capacity, and has the skills
the conversation needs: an agent's `skills.languages` / `skills.categories`, when set, must
include the conversation's language / category.

When nobody is free the conversation waits, oldest first. The `desk.dispatch` job gives out
waiting conversations whenever capacity may have appeared (an agent came online, a
conversation was resolved, handed over or left pending) and tells each waiting customer their
place and the estimated wait (a `queue` signal to the widget). An assignee who leaves the
customer waiting for the team's `reassign_after` seconds loses the conversation to the next
free member (`desk.reassign`, counted as a transfer).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, AgentStatus, Team, TeamMember
from helpline.core.audit import SYSTEM
from helpline.core.clock import utcnow
from helpline.core.jobs import Job, enqueue, job_handler
from helpline.core.runtime import Services
from helpline.conversations.models import Conversation, Status
from helpline.conversations.queries import open_loads

DEFAULT_HANDLE_SECONDS = 300.0


def _skilled(agent: Agent, conversation: Conversation) -> bool:
    skills = agent.skills or {}
    languages, categories = skills.get("languages") or [], skills.get("categories") or []
    if languages and conversation.language and conversation.language not in languages:
        return False
    return not (categories and conversation.category_id and conversation.category_id not in categories)




async def online_members(session: AsyncSession, team_id: int) -> list[Agent]:
    return list(
        (
            await session.scalars(
                select(Agent)
                .join(TeamMember, TeamMember.agent_id == Agent.id)
                .where(TeamMember.team_id == team_id, Agent.is_active.is_(True), Agent.status == AgentStatus.online)
                .order_by(Agent.id)
            )
        ).all()
    )


async def free_agent(
    session: AsyncSession, team: Team, conversation: Conversation | None, *, exclude: set[int] | frozenset[int] = frozenset()
) -> Agent | None:
    """The member the team's strategy picks for `conversation` now, or None."""
    members = [m for m in await online_members(session, team.id) if m.id not in exclude]
    if conversation is not None:
        members = [m for m in members if _skilled(m, conversation)]
    loads = await open_loads(session, team.account_id)
    free = [m for m in members if loads.get(m.id, 0) < m.capacity]
    if not free:
        return None
    if team.assignment == "round_robin":
        after = [m for m in free if team.last_assigned_agent_id is None or m.id > team.last_assigned_agent_id]
        return (after or free)[0]
    return min(free, key=lambda m: (loads.get(m.id, 0), m.id))


async def _give(session: AsyncSession, conversation: Conversation, team: Team, agent: Agent, *, reason: str) -> None:
    from helpline.conversations import actions as conversation_actions

    old = conversation.assignee_id
    conversation.assignee_id = agent.id
    conversation.assigned_at = utcnow()
    team.last_assigned_agent_id = agent.id
    changes: list[tuple[str, Any, Any]] = [("assignee", old, agent.id)]
    if old is not None:
        conversation.transfer_count += 1
        changes.append(("transfer_count", conversation.transfer_count - 1, conversation.transfer_count))
    changes.append(("assignment", None, reason))
    await conversation_actions.announce_changes(session, conversation, SYSTEM, *changes)
    await schedule_reassign(session, conversation, team)


async def schedule_reassign(session: AsyncSession, conversation: Conversation, team: Team | None) -> None:
    """Arm the team's no-answer timer for the conversation's current assignment."""
    if team is None or not team.reassign_after or conversation.assignee_id is None or conversation.assigned_at is None:
        return
    at = conversation.assigned_at
    await enqueue(
        session, kind="desk.reassign",
        payload={"conversation_id": conversation.id, "agent_id": conversation.assignee_id, "assigned_at": at.isoformat()},
        account_id=conversation.account_id, due_at=at + timedelta(seconds=team.reassign_after),
        key=f"desk.reassign:{conversation.id}:{at.isoformat()}",
    )


async def assign_from_team(session: AsyncSession, conversation: Conversation, *, reason: str = "auto") -> Agent | None:
    """Give an unassigned conversation of a team to the member the team picks, if anyone is
    free; otherwise it stays in the queue."""
    if conversation.team_id is None or conversation.assignee_id is not None or conversation.status != Status.open:
        return None
    team = await session.get(Team, conversation.team_id)
    if team is None or team.assignment == "manual":
        return None
    agent = await free_agent(session, team, conversation)
    if agent is not None:
        await _give(session, conversation, team, agent, reason=f"{reason} ({team.assignment})")
    return agent


async def reassign(session: AsyncSession, conversation: Conversation, *, reason: str) -> Agent | None:
    """Give the conversation to another free member of its team (it stays where it is when
    nobody else is free)."""
    if conversation.team_id is None:
        return None
    team = await session.get(Team, conversation.team_id)
    if team is None:
        return None
    agent = await free_agent(session, team, conversation, exclude={conversation.assignee_id or 0})
    if agent is not None:
        await _give(session, conversation, team, agent, reason=reason)
    return agent


async def request_dispatch(session: AsyncSession, account_id: int) -> None:
    """Capacity may have appeared: give out waiting conversations after the commit."""
    await enqueue(session, kind="desk.dispatch", payload={"account_id": account_id}, account_id=account_id)


# --- The queue ---------------------------------------------------------------------------------


def _waiting(team_id: int) -> Any:
    return (
        select(Conversation)
        .where(
            Conversation.team_id == team_id,
            Conversation.assignee_id.is_(None),
            Conversation.status == Status.open,
        )
        .order_by(Conversation.created_at, Conversation.id)
    )


async def handle_seconds(session: AsyncSession, team_id: int) -> float:
    """How long the team's conversations took from start to resolution lately (the median of
    the last 200 of the past week; five minutes when there are none)."""
    since = utcnow() - timedelta(days=7)
    rows = (
        await session.execute(
            select(Conversation.created_at, Conversation.resolved_at)
            .where(Conversation.team_id == team_id, Conversation.resolved_at.is_not(None), Conversation.resolved_at >= since)
            .order_by(Conversation.resolved_at.desc())
            .limit(200)
        )
    ).all()
    durations = sorted((resolved - created).total_seconds() for created, resolved in rows)
    return durations[len(durations) // 2] if durations else DEFAULT_HANDLE_SECONDS


def estimated_wait(position: int, members: list[Agent], handle_seconds: float) -> int | None:
    """Seconds until a place in the queue is reached: the team answers (online members ×
    capacity) conversations per `handle_seconds`. None when nobody is online."""
    slots = sum(m.capacity for m in members)
    if not slots:
        return None
    return int(math.ceil(position / slots) * handle_seconds)


async def queue_of(session: AsyncSession, team_id: int) -> list[tuple[Conversation, int, int | None]]:
    """The team's waiting conversations with their place (1 = next) and estimated wait."""
    waiting = list((await session.scalars(_waiting(team_id))).all())
    if not waiting:
        return []
    members = await online_members(session, team_id)
    seconds = await handle_seconds(session, team_id)
    return [(c, place, estimated_wait(place, members, seconds)) for place, c in enumerate(waiting, start=1)]


async def place_in_queue(session: AsyncSession, conversation: Conversation) -> tuple[int, int | None] | None:
    """(place, estimated wait) of a waiting conversation; None when it is not waiting."""
    if conversation.team_id is None or conversation.assignee_id is not None or conversation.status != Status.open:
        return None
    for waiting, place, wait in await queue_of(session, conversation.team_id):
        if waiting.id == conversation.id:
            return place, wait
    return None


def queue_signal(conversation: Conversation, place: int | None, wait: int | None) -> dict[str, Any]:
    return {
        "kind": "queue",
        "account_id": conversation.account_id,
        "contact_id": conversation.contact_id,
        "conversation_id": conversation.id,
        "position": place,
        "wait_seconds": wait,
    }


@job_handler("desk.dispatch")
async def dispatch_job(services: Services, job: Job) -> None:
    """Give out the account's waiting conversations, oldest first, while members are free;
    then tell every customer still waiting their place. Idempotent."""
    account_id = job.payload["account_id"]
    signals: list[dict[str, Any]] = []
    async with services.db.transaction() as session:
        teams = (
            await session.scalars(select(Team).where(Team.account_id == account_id).order_by(Team.id).with_for_update())
        ).all()
        for team in teams:
            queue = list((await session.scalars(_waiting(team.id).with_for_update())).all())
            if team.assignment != "manual":
                for conversation in queue:
                    agent = await free_agent(session, team, conversation)
                    if agent is not None:
                        await _give(session, conversation, team, agent, reason=f"queue ({team.assignment})")
                        signals.append(queue_signal(conversation, None, None))
            for conversation, place, wait in await queue_of(session, team.id):
                signals.append(queue_signal(conversation, place, wait))
    for signal in signals:
        await services.hub.signal(signal)


@job_handler("desk.reassign")
async def reassign_job(services: Services, job: Job) -> None:
    """The assignee has not answered within the team's time: hand the conversation on."""
    assigned_at = datetime.fromisoformat(job.payload["assigned_at"])
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, job.payload["conversation_id"], with_for_update=True)
        if (
            conversation is None
            or conversation.status != Status.open
            or conversation.assignee_id != job.payload["agent_id"]
            or conversation.assigned_at != assigned_at
            or conversation.waiting_since is None  # answered: nobody waits
        ):
            return
        team = await session.get(Team, conversation.team_id) if conversation.team_id else None
        seconds = team.reassign_after if team else 0
        await reassign(session, conversation, reason=f"no answer in {seconds} s")
