"""Console routes for live visitors: who is on the site now, and starting a chat with one."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from helpline.accounts.auth import CurrentAgent
from helpline.contacts.models import Contact
from helpline.conversations import actions
from helpline.conversations.models import Inbox
from helpline.conversations.queries import summaries
from helpline.conversations.schemas import CLIENT_ID_PATTERN, message_out
from helpline.core.errors import NotFound
from helpline.core.http import ServicesDep
from helpline.visitors.actions import visitor_context
from helpline.visitors.models import Visitor
from helpline.visitors.queries import in_chat_contacts, live_visitors
from helpline.visitors.schemas import visitor_out

router = APIRouter(prefix="/api/v1")


class InviteIn(BaseModel):
    client_id: str = Field(pattern=CLIENT_ID_PATTERN)
    body: str


@router.get("/visitors")
async def list_visitors(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        visitors = await live_visitors(session, context.agent.account_id)
        in_chat = await in_chat_contacts(session, [v.contact_id for v in visitors])
    return {"visitors": [visitor_out(v, in_chat=v.contact_id in in_chat) for v in visitors]}


@router.post("/visitors/{visitor_id}/invite", status_code=201)
async def invite(visitor_id: str, body: InviteIn, context: CurrentAgent, services: ServicesDep, response: Response) -> dict:
    agent = context.agent
    async with services.db.transaction() as session:
        visitor = await session.scalar(
            select(Visitor).where(Visitor.public_id == visitor_id[:64], Visitor.account_id == agent.account_id)
        )
        if visitor is None or not visitor.online:
            raise NotFound("This visitor is not on the site now.")
        inbox = await session.get(Inbox, visitor.inbox_id)
        contact = await session.get(Contact, visitor.contact_id, with_for_update=True)
        assert inbox is not None and contact is not None
        conversation, message, duplicate = await actions.invite_visitor(
            session, agent=agent, inbox=inbox, contact=contact, body=body.body, client_id=body.client_id,
            context=visitor_context(visitor),
        )
    async with services.db.read() as session:
        [summary] = await summaries(session, [conversation])
    if duplicate:
        response.status_code = 200
    return {"conversation": summary, "message": message_out(message)}

