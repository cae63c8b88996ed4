"""Merging two contacts that are one person, and undoing it.

A merge moves everything of the merged contact to the one that stays: its identities (so the
person's next message on any channel finds the survivor), its conversations, its website
visitor records, and the name, e-mail and phone the survivor lacks. The merged contact is
kept, marked `merged_into_id`, and the merge remembers exactly what moved, so undoing it moves
those back (what happened since — a new conversation of the survivor — stays with the
survivor). A widget connected during the merge follows at its next connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent
from helpline.contacts.actions import announce_contact
from helpline.contacts.models import Contact, ContactIdentity, ContactMerge
from helpline.conversations.models import Conversation
from helpline.core.audit import Actor, record_change
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import Conflict, InvalidField, NotFound
from helpline.core.events import queue_event
from helpline.visitors.models import Visitor

FIELDS = ("name", "email", "phone")


async def _contact(session: AsyncSession, account_id: int, contact_id: object, field: str) -> Contact:
    if not isinstance(contact_id, int) or isinstance(contact_id, bool):
        raise InvalidField(f"{field} must be a contact's id.", field=field)
    contact = await session.get(Contact, contact_id, with_for_update=True)
    if contact is None or contact.account_id != account_id:
        raise NotFound("No such contact.")
    if contact.merged_into_id is not None:
        raise Conflict("That contact was merged into another one already.")
    return contact


async def _announce_conversations(session: AsyncSession, ids: list[int]) -> None:
    """Consoles show each conversation's contact: they learn it changed."""
    from helpline.conversations.actions import conversation_snapshot  # conversations know contacts, not back
    from helpline.conversations.events import ConversationUpdated

    for conversation_id in ids:
        conversation = await session.get(Conversation, conversation_id, populate_existing=True)
        if conversation is not None:
            queue_event(
                session,
                conversation.account_id,
                ConversationUpdated(
                    conversation=await conversation_snapshot(session, conversation), changed=["contact"]
                ),
                conversation_id=conversation.id,
                contact_id=conversation.contact_id,
                audience="agents",
            )


async def merge_contacts(
    session: AsyncSession, *, actor: Agent, survivor_id: object, merged_id: object
) -> ContactMerge:
    """Merge `merged_id` into `survivor_id` (both of the actor's account)."""
    survivor = await _contact(session, actor.account_id, survivor_id, "contact_id")
    merged = await _contact(session, actor.account_id, merged_id, "other_id")
    if survivor.id == merged.id:
        raise InvalidField("A contact cannot be merged into itself.", field="other_id")
    identity_ids = list(
        await session.scalars(select(ContactIdentity.id).where(ContactIdentity.contact_id == merged.id))
    )
    conversation_ids = list(await session.scalars(select(Conversation.id).where(Conversation.contact_id == merged.id)))
    visitor_ids = list(await session.scalars(select(Visitor.id).where(Visitor.contact_id == merged.id)))
    filled = {
        field: getattr(merged, field) for field in FIELDS if not getattr(survivor, field) and getattr(merged, field)
    }
    await session.execute(
        update(ContactIdentity).where(ContactIdentity.contact_id == merged.id).values(contact_id=survivor.id)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.contact_id == merged.id)
        .values(contact_id=survivor.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.execute(update(Visitor).where(Visitor.contact_id == merged.id).values(contact_id=survivor.id))
    for field, value in filled.items():
        setattr(survivor, field, value)
    now = utcnow()
    survivor.updated_at = merged.updated_at = now
    merged.merged_into_id = survivor.id
    merge = ContactMerge(
        account_id=actor.account_id,
        survivor_id=survivor.id,
        merged_id=merged.id,
        moved={
            "identities": identity_ids,
            "conversations": conversation_ids,
            "visitors": visitor_ids,
            "filled": filled,
        },
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(merge)
    await session.flush()
    record_change(
        session,
        account_id=actor.account_id,
        actor=Actor("agent", actor.id, actor.name),
        entity_type="contact",
        entity_id=survivor.id,
        field="merged",
        old=None,
        new=merged.id,
    )
    await announce_contact(session, survivor)
    await _announce_conversations(session, conversation_ids)
    return merge


async def undo_merge(session: AsyncSession, *, actor: Agent, merge_id: int) -> ContactMerge:
    merge = await session.get(ContactMerge, merge_id, with_for_update=True)
    if merge is None or merge.account_id != actor.account_id:
        raise NotFound("No such merge.")
    if merge.undone_at is not None:
        raise Conflict("This merge was undone already.")
    survivor = await session.get(Contact, merge.survivor_id, with_for_update=True)
    merged = await session.get(Contact, merge.merged_id, with_for_update=True)
    assert survivor is not None and merged is not None
    if survivor.merged_into_id is not None:
        raise Conflict("The contact was merged into another one since: undo that merge first.")
    moved: dict[str, Any] = merge.moved
    if moved["identities"]:
        await session.execute(
            update(ContactIdentity)
            .where(ContactIdentity.id.in_(moved["identities"]), ContactIdentity.contact_id == survivor.id)
            .values(contact_id=merged.id)
        )
    if moved["conversations"]:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(moved["conversations"]), Conversation.contact_id == survivor.id)
            .values(contact_id=merged.id, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    if moved["visitors"]:
        await session.execute(
            update(Visitor)
            .where(Visitor.id.in_(moved["visitors"]), Visitor.contact_id == survivor.id)
            .values(contact_id=merged.id)
        )
    for field, value in moved["filled"].items():
        if getattr(survivor, field) == value:  # not changed since: it was the merged one's
            setattr(survivor, field, None)
    now = utcnow()
    survivor.updated_at = merged.updated_at = now
    merged.merged_into_id = None
    merge.undone_at = now
    record_change(
        session,
        account_id=actor.account_id,
        actor=Actor("agent", actor.id, actor.name),
        entity_type="contact",
        entity_id=survivor.id,
        field="unmerged",
        old=merged.id,
        new=None,
    )
    await announce_contact(session, survivor)
    await announce_contact(session, merged)
    await _announce_conversations(session, moved["conversations"])
    return merge


def merge_out(merge: ContactMerge) -> dict[str, Any]:
    return {
        "id": merge.id,
        "survivor_id": merge.survivor_id,
        "merged_id": merge.merged_id,
        "conversations": len(merge.moved.get("conversations", [])),
        "identities": len(merge.moved.get("identities", [])),
        "created_by_id": merge.created_by_id,
        "created_at": isoformat(merge.created_at),
        "undone_at": isoformat(merge.undone_at),
    }
