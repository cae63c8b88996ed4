"""Console routes for canned responses (docs/protocol.md, "REST")."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import or_, select

from helpline.accounts.auth import CurrentAgent
from helpline.canned import actions
from helpline.canned.models import CannedResponse
from helpline.canned.schemas import CannedIn, CannedPatchIn, canned_out
from helpline.contacts.models import Contact
from helpline.conversations.models import Inbox
from helpline.conversations.queries import get_conversation_for
from helpline.core.http import ServicesDep

router = APIRouter(prefix="/api/v1")


@router.get("/canned")
async def list_canned(context: CurrentAgent, services: ServicesDep) -> dict:
    agent = context.agent
    async with services.db.read() as session:
        rows = (
            await session.scalars(
                select(CannedResponse)
                .where(
                    CannedResponse.account_id == agent.account_id,
                    or_(CannedResponse.owner_id.is_(None), CannedResponse.owner_id == agent.id),
                )
                .order_by(CannedResponse.shortcut, CannedResponse.id)
            )
        ).all()
    return {"canned": [canned_out(c) for c in rows]}


@router.post("/canned", status_code=201)
async def create_canned(body: CannedIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        canned = await actions.create_canned(
            session, actor=context.agent, shortcut=body.shortcut, title=body.title, body=body.body, scope=body.scope
        )
    return {"canned": canned_out(canned)}


@router.patch("/canned/{canned_id}")
async def update_canned(canned_id: int, body: CannedPatchIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        canned = await actions.get_canned_for(session, context.agent, canned_id, lock=True)
        await actions.update_canned(session, actor=context.agent, canned=canned, changes=body.model_dump())
    return {"canned": canned_out(canned)}


@router.delete("/canned/{canned_id}", status_code=204)
async def delete_canned(canned_id: int, context: CurrentAgent, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        canned = await actions.get_canned_for(session, context.agent, canned_id, lock=True)
        await actions.delete_canned(session, actor=context.agent, canned=canned)
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/canned/{canned_id}")
async def render_canned(conversation_id: int, canned_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    agent = context.agent
    async with services.db.read() as session:
        conversation = await get_conversation_for(session, agent, conversation_id)
        canned = await actions.get_canned_for(session, agent, canned_id)
        contact = await session.get(Contact, conversation.contact_id)
        inbox = await session.get(Inbox, conversation.inbox_id)
    return {"body": actions.render(canned.body, actions.placeholder_values(agent, conversation, contact, inbox))}
