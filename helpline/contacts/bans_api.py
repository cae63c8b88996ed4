"""Console routes for bans (docs/protocol.md, "REST")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from helpline.accounts.auth import CurrentAgent
from helpline.accounts.models import Agent
from helpline.contacts import bans
from helpline.contacts.models import Ban
from helpline.core.clock import utcnow
from helpline.core.http import ServicesDep

router = APIRouter(prefix="/api/v1")


class BanIn(BaseModel):
    kind: Literal["visitor", "ip", "email", "phone", "telegram", "vk", "viber", "whatsapp"]
    value: str = Field(max_length=254)
    reason: str = Field("", max_length=1000)
    minutes: int | None = Field(None, strict=True)


class BanPatchIn(BaseModel):
    reason: str | None = Field(None, max_length=1000)
    minutes: int | None = Field(None, strict=True)


async def _out(session: object, ban: Ban) -> dict:
    creator = await session.get(Agent, ban.created_by_id) if ban.created_by_id else None  # type: ignore[attr-defined]
    return {"ban": bans.ban_out(ban, creator)}


@router.get("/bans")
async def list_bans(context: CurrentAgent, services: ServicesDep, state: Literal["active", "all"] = "active") -> dict:
    async with services.db.read() as session:
        query = select(Ban).where(Ban.account_id == context.agent.account_id).order_by(Ban.id.desc()).limit(1000)
        rows = [b for b in (await session.scalars(query)).all() if state == "all" or bans.is_active(b, utcnow())]
        creators = {
            a.id: a
            for a in (
                await session.scalars(select(Agent).where(Agent.id.in_({b.created_by_id for b in rows if b.created_by_id})))
            ).all()
        }
    return {"bans": [bans.ban_out(b, creators.get(b.created_by_id or 0)) for b in rows]}


@router.post("/bans", status_code=201)
async def create_ban(body: BanIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        ban = await bans.create_ban(
            session, actor=context.agent, kind=body.kind, value=body.value, reason=body.reason, minutes=body.minutes
        )
        out = await _out(session, ban)
    await services.bans.announce(services.hub, context.agent.account_id)
    return out


@router.patch("/bans/{ban_id}")
async def update_ban(ban_id: int, body: BanPatchIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        ban = await bans.get_ban_for(session, context.agent, ban_id)
        await bans.update_ban(
            session, actor=context.agent, ban=ban, reason=body.reason, minutes=body.minutes,
            set_minutes="minutes" in body.model_fields_set,
        )
        out = await _out(session, ban)
    await services.bans.announce(services.hub, context.agent.account_id)
    return out


@router.post("/bans/{ban_id}/lift")
async def lift_ban(ban_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        ban = await bans.get_ban_for(session, context.agent, ban_id)
        await bans.lift_ban(session, actor=context.agent, ban=ban)
        out = await _out(session, ban)
    await services.bans.announce(services.hub, context.agent.account_id)
    return out
