"""The supervisor's live monitor: every open conversation with its wait, every agent with
status and load (docs/protocol.md, "Supervisor"). Kept live by the ordinary events."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from helpline.accounts.auth import CurrentAgent
from helpline.accounts.models import Agent, Role
from helpline.accounts.schemas import agent_out
from helpline.core.errors import Forbidden
from helpline.core.http import ServicesDep
from helpline.conversations.models import Conversation, Status
from helpline.conversations.queries import open_loads, summaries

router = APIRouter(prefix="/api/v1")

MAX_OPEN = 1000


@router.get("/monitor")
async def monitor(context: CurrentAgent, services: ServicesDep) -> dict:
    agent = context.agent
    if agent.role not in (Role.supervisor, Role.admin):
        raise Forbidden("The monitor is for supervisors and admins.")
    async with services.db.read() as session:
        rows = (
            await session.scalars(
                select(Conversation)
                .where(Conversation.account_id == agent.account_id, Conversation.status == Status.open)
                # Longest waiting first, then the rest by last activity.
                .order_by(Conversation.waiting_since.is_(None), Conversation.waiting_since, Conversation.last_activity_at.desc())
                .limit(MAX_OPEN)
            )
        ).all()
        conversations = await summaries(session, list(rows))
        agents = (
            await session.scalars(
                select(Agent).where(Agent.account_id == agent.account_id, Agent.is_active.is_(True)).order_by(Agent.name)
            )
        ).all()
        loads = await open_loads(session, agent.account_id)
    return {
        "conversations": conversations,
        "agents": [{**agent_out(a).model_dump(), "load": loads.get(a.id, 0)} for a in agents],
    }
