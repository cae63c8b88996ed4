"""Every change to conversations and messages goes through these functions.

Preconditions: call inside `db.transaction()`; the caller has checked that the actor may see
the conversation (`queries.get_conversation_for`). Actions validate, write rows, the audit
trail and events, and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Account, Agent, Role
from helpline.contacts.models import Contact
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import EmptyMessage, Forbidden, InvalidField, MessageTooLong, NotFound
from helpline.core.events import queue_event
from helpline.conversations.events import ConversationCreated, ConversationUpdated, MessageCreated
from helpline.conversations.models import (
    AuthorType,
    Conversation,
    Inbox,
    Message,
    MessageKind,
    Status,
)
from helpline.conversations.schemas import ConversationOut, conversation_out, message_out

MAX_BODY_LENGTH = 5000
PREVIEW_LENGTH = 200


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise InvalidField("Message body must be text.", field="body")
    # Trim only the ends: inner line breaks and spacing are part of what the author wrote.
    body = body.strip()
    if not body:
        raise EmptyMessage(field="body")
    if len(body) > MAX_BODY_LENGTH:
        raise MessageTooLong(field="body")
    return body


async def conversation_snapshot(session: AsyncSession, conversation: Conversation) -> ConversationOut:
    """The conversation as clients see it; related rows come from the identity map if loaded."""
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    assignee = await session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    assert inbox is not None and contact is not None
    return conversation_out(conversation, inbox=inbox, contact=contact, assignee=assignee)


async def _next_conversation_number(session: AsyncSession, account_id: int) -> int:
    # One statement increments and reads, under the row lock, so numbers are never reused.
    return (
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(last_conversation_number=Account.last_conversation_number + 1)
            .returning(Account.last_conversation_number)
        )
    ).scalar_one()


async def open_conversation(
    session: AsyncSession, *, inbox: Inbox, contact: Contact, context: dict[str, Any]
) -> Conversation:
    now = utcnow()
    conversation = Conversation(
        account_id=inbox.account_id,
        number=await _next_conversation_number(session, inbox.account_id),
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=Status.open,
        last_seq=0,
        unread_count=0,
        contact_last_read_seq=0,
        context=context,
        last_activity_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    queue_event(
        session,
        inbox.account_id,
        ConversationCreated(conversation=await conversation_snapshot(session, conversation)),
        conversation_id=conversation.id,
        contact_id=contact.id,
    )
    return conversation


async def _find_by_client_id(
    session: AsyncSession, account_id: int, author: Actor, client_id: str | None
) -> Message | None:
    if client_id is None:
        return None
    return await session.scalar(
        select(Message).where(
            Message.account_id == account_id,
            Message.author_type == author.type,
            Message.author_id == author.id,
            Message.client_id == client_id,
        )
    )


async def post_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    author: Actor,
    body: object,
    kind: str = MessageKind.text,
    client_id: str | None = None,
) -> tuple[Message, bool]:
    """Append a message; returns it and whether it was a resend of a stored one.

    Precondition: `conversation` was loaded with a row lock in this transaction (or the
    database is SQLite, whose single writer serialises everything).
    """
    text = clean_body(body)
    if kind not in (MessageKind.text, MessageKind.note):
        raise InvalidField("Unknown message kind.", field="kind")
    if kind == MessageKind.note and author.type != AuthorType.agent:
        raise Forbidden("Only agents write internal notes.")
    existing = await _find_by_client_id(session, conversation.account_id, author, client_id)
    if existing is not None:
        return existing, True

    now = utcnow()
    conversation.last_seq += 1
    message = Message(
        account_id=conversation.account_id,
        conversation_id=conversation.id,
        seq=conversation.last_seq,
        author_type=author.type,
        author_id=author.id,
        author_name=author.name,
        kind=kind,
        body=text,
        client_id=client_id,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_body = text[:PREVIEW_LENGTH]
    conversation.last_message_author_type = author.type
    conversation.last_message_kind = kind
    conversation.last_message_at = now
    conversation.last_activity_at = now
    conversation.updated_at = now
    if author.type == AuthorType.contact:
        conversation.unread_count += 1
    elif author.type == AuthorType.agent and kind == MessageKind.text:
        conversation.unread_count = 0  # answering means the agent read it
        if conversation.first_response_at is None:
            conversation.first_response_at = now
    await session.flush()
    queue_event(
        session,
        conversation.account_id,
        MessageCreated(
            message=message_out(message),
            conversation=await conversation_snapshot(session, conversation),
        ),
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        audience="agents" if kind == MessageKind.note else "public",
    )
    return message, False


async def receive_visitor_message(
    session: AsyncSession,
    *,
    inbox: Inbox,
    contact_id: int,
    body: object,
    client_id: str,
    context: dict[str, Any],
    require: tuple[str, ...] = (),
) -> tuple[Message, Conversation, bool]:
    """A message from the website widget: into the visitor's open conversation, or a new one.

    `require` names contact fields (name, email, phone) the site's pre-chat form requires:
    without them nothing is stored.
    """
    text = clean_body(body)  # validate before anything is created
    # Lock the contact: two tabs of one visitor must not open two conversations at once.
    contact = await session.get(Contact, contact_id, with_for_update=True, populate_existing=True)
    if contact is None:
        raise NotFound("No such contact.")
    for field in require:
        if not getattr(contact, field):
            raise InvalidField(f"Fill in the pre-chat form first: {field} is required.", field=field)
    author = Actor(AuthorType.contact, contact.id, contact.name)
    existing = await _find_by_client_id(session, inbox.account_id, author, client_id)
    if existing is not None:
        conversation = await session.get(Conversation, existing.conversation_id)
        assert conversation is not None
        return existing, conversation, True
    conversation = await session.scalar(
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.inbox_id == inbox.id,
            Conversation.status == Status.open,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
        .with_for_update()
    )
    if conversation is None:
        conversation = await open_conversation(session, inbox=inbox, contact=contact, context=context)
    message, duplicate = await post_message(
        session, conversation=conversation, author=author, body=text, client_id=client_id
    )
    return message, conversation, duplicate


async def _changed(
    session: AsyncSession, conversation: Conversation, actor: Actor, field: str, old: Any, new: Any
) -> None:
    record_change(
        session,
        account_id=conversation.account_id,
        actor=actor,
        entity_type="conversation",
        entity_id=conversation.id,
        field=field,
        old=old,
        new=new,
    )
    conversation.updated_at = utcnow()
    await session.flush()
    queue_event(
        session,
        conversation.account_id,
        ConversationUpdated(
            conversation=await conversation_snapshot(session, conversation), changed=[field]
        ),
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
    )


def agent_actor(agent: Agent) -> Actor:
    return Actor(AuthorType.agent, agent.id, agent.name)


async def assign_conversation(
    session: AsyncSession, *, actor: Agent, conversation: Conversation, assignee_id: int | None
) -> None:
    """Assign to an agent of the account, or unassign. Agents may only take or drop it
    themselves; supervisors and admins may give it to anyone active."""
    if actor.role == Role.agent:
        mine_or_free = conversation.assignee_id in (None, actor.id)
        if assignee_id not in (None, actor.id) or not mine_or_free:
            raise Forbidden("Agents can only assign conversations to themselves.")
    if assignee_id is not None:
        assignee = await session.get(Agent, assignee_id)
        if assignee is None or assignee.account_id != conversation.account_id:
            raise NotFound("No such agent.")
        if not assignee.is_active:
            raise InvalidField("This agent is deactivated.", field="agent_id")
    if conversation.assignee_id == assignee_id:
        return
    old = conversation.assignee_id
    conversation.assignee_id = assignee_id
    await _changed(session, conversation, agent_actor(actor), "assignee", old, assignee_id)


async def set_status(
    session: AsyncSession, *, actor: Actor, conversation: Conversation, status: Status
) -> None:
    if conversation.status == status:
        return
    old = conversation.status
    conversation.status = status
    conversation.resolved_at = utcnow() if status == Status.resolved else None
    await _changed(session, conversation, actor, "status", old, status.value)


async def mark_read(session: AsyncSession, *, actor: Agent, conversation: Conversation, seq: int) -> None:
    """The agent has seen the conversation up to `seq`: nothing in it is unread any more."""
    if seq < 0 or seq > conversation.last_seq:
        raise InvalidField("seq is beyond the conversation.", field="seq")
    if conversation.unread_count == 0:
        return
    conversation.unread_count = 0
    await session.flush()
    queue_event(
        session,
        conversation.account_id,
        ConversationUpdated(
            conversation=await conversation_snapshot(session, conversation), changed=["unread_count"]
        ),
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        audience="agents",
    )


async def mark_read_by_contact(session: AsyncSession, *, conversation: Conversation, seq: int) -> None:
    if 0 <= seq <= conversation.last_seq and seq > conversation.contact_last_read_seq:
        conversation.contact_last_read_seq = seq
