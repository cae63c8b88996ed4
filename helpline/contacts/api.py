"""Console routes for contacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import or_, select

from helpline.accounts.auth import CurrentAgent
from helpline.contacts.merge import merge_contacts, merge_out, undo_merge
from helpline.contacts.models import Contact, ContactIdentity, ContactMerge
from helpline.contacts.queries import contacts_matching
from helpline.contacts.schemas import contact_out
from helpline.core.errors import NotFound
from helpline.core.http import ServicesDep
from helpline.conversations import queries
from helpline.visitors.queries import visitor_of_contact
from helpline.visitors.schemas import visitor_out

router = APIRouter(prefix="/api/v1")


@router.get("/contacts")
async def search_contacts(context: CurrentAgent, services: ServicesDep, q: str = "", limit: int = 20) -> dict:
    """The account's contacts that `q` finds, the most recently active first
    (docs/protocol.md, "Contacts")."""
    async with services.db.read() as session:
        found = await contacts_matching(session, context.agent.account_id, q, limit=limit)
    return {"contacts": found}


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


class MergeIn(BaseModel):
    other_id: Any = None


@router.post("/contacts/{contact_id}/merge")
async def merge(contact_id: int, body: MergeIn, context: CurrentAgent, services: ServicesDep) -> dict:
    """Merge contact `other_id` into this one (docs/protocol.md, "Contacts")."""
    async with services.db.transaction() as session:
        done = await merge_contacts(session, actor=context.agent, survivor_id=contact_id, merged_id=body.other_id)
    return {"merge": merge_out(done)}


@router.get("/contacts/{contact_id}/merges")
async def merges(contact_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    """The merges this contact took part in, newest first (to undo one)."""
    async with services.db.read() as session:
        rows = (
            await session.scalars(
                select(ContactMerge)
                .where(
                    ContactMerge.account_id == context.agent.account_id,
                    or_(ContactMerge.survivor_id == contact_id, ContactMerge.merged_id == contact_id),
                )
                .order_by(ContactMerge.id.desc())
            )
        ).all()
    return {"merges": [merge_out(row) for row in rows]}


@router.post("/contact-merges/{merge_id}/undo")
async def undo(merge_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        done = await undo_merge(session, actor=context.agent, merge_id=merge_id)
    return {"merge": merge_out(done)}
