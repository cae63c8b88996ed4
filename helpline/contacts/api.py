"""Console routes for contacts."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from helpline.accounts.auth import CurrentAgent
from helpline.contacts.models import Contact, ContactIdentity
from helpline.contacts.schemas import contact_out
from helpline.core.errors import NotFound
from helpline.core.http import ServicesDep
from helpline.conversations import queries
from helpline.visitors.queries import visitor_of_contact
from helpline.visitors.schemas import visitor_out

router = APIRouter(prefix="/api/v1")


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    account_id = context.agent.account_id
    async with services.db.read() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.id == contact_id, Contact.account_id == account_id)
        )
        if contact is None:
            raise NotFound("No such contact.")
        identities = (
            await session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id == contact.id))
        ).all()
        conversations = await queries.conversations_of_contact(session, account_id, contact.id)
        summaries = await queries.summaries(session, conversations)
        visitor = await visitor_of_contact(session, contact.id)
    return {
        "contact": contact_out(contact, list(identities)),
        "visitor": visitor_out(visitor, in_chat=any(c.status == "open" for c in conversations)) if visitor else None,
        "conversations": summaries,
    }
