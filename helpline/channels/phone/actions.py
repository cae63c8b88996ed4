"""A telephony event becomes a record in the caller's conversation.

Each event of a call (started, answered, missed, ended) is an internal note by the system in
the caller's conversation of the phone inbox: agents see it, the customer never does, and it
never reads as something the customer wrote. The conversation is the one a previous event of
the same call went to while it may be continued, else the caller's open conversation in the
inbox, else a new one. A missed incoming call makes it a callback task: open, of type
`callback`, waiting for an agent (so routing and the team's queue give it out); an answered
call means nobody waits any more, and an unassigned conversation goes to the agent who
answered (named by their e-mail). Each (call, event) is stored once: its key is the note's
external id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent
from helpline.contacts.models import Contact
from helpline.conversations import actions as conversation_actions
from helpline.conversations.models import (
    CONTINUABLE,
    AuthorType,
    Conversation,
    ConversationType,
    Inbox,
    Message,
    Status,
)
from helpline.core.audit import Actor
from helpline.core.clock import utcnow

EVENTS = ("call.started", "call.answered", "call.missed", "call.ended")


@dataclass(frozen=True)
class Call:
    """One event of a call, checked (helpline.channels.phone.adapter reads it off the wire)."""

    event: Literal["call.started", "call.answered", "call.missed", "call.ended"]
    call_id: str
    direction: Literal["in", "out"]
    customer: str  # the customer's number as the telephony gave it (cleaned)
    line: str | None  # our number they called, or called from
    agent_email: str | None
    duration_seconds: int | None
    recording_url: str | None
    at: datetime | None

    @property
    def key(self) -> str:
        return f"{self.call_id}:{self.event}"


@dataclass(frozen=True)
class Recorded:
    conversation: Conversation
    duplicate: bool


async def record_call(session: AsyncSession, *, inbox: Inbox, contact: Contact, call: Call) -> Recorded:
    """Record `call` in the contact's conversation of `inbox` (see the module docstring).

    Precondition: inside the transaction that found or made `contact`; the contact is locked
    here, so two deliveries of one event (or two events of one call) arriving at once store
    once, in one conversation."""
    contact = await session.get(Contact, contact.id, with_for_update=True, populate_existing=True)
    assert contact is not None
    keys = [f"{call.call_id}:{event}" for event in EVENTS]
    recorded = (
        await session.execute(
            select(Message.external_id, Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.account_id == inbox.account_id,
                Message.external_id.in_(keys),
                Message.author_type == AuthorType.system,
                Conversation.inbox_id == inbox.id,
            )
        )
    ).all()
    for external_id, conversation_id in recorded:
        if external_id == call.key:
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            return Recorded(conversation, True)
    conversation = None
    if recorded:  # the call's earlier events went there
        conversation = await session.get(Conversation, recorded[0].conversation_id, with_for_update=True)
        if conversation is not None and conversation.status not in CONTINUABLE:
            conversation = None
    if conversation is None:
        conversation = await session.scalar(
            select(Conversation)
            .where(
                Conversation.contact_id == contact.id,
                Conversation.inbox_id == inbox.id,
                Conversation.status.in_(CONTINUABLE),
            )
            .order_by(Conversation.id.desc())
            .limit(1)
            .with_for_update()
        )
    missed_call = call.event == "call.missed" and call.direction == "in"
    caller = Actor(AuthorType.contact, contact.id, contact.name)
    created = conversation is None
    if conversation is None:
        conversation = await conversation_actions.open_conversation(
            session,
            inbox=inbox,
            contact=contact,
            context={"channel": inbox.channel, "phone": call.customer, **({"line": call.line} if call.line else {})},
            type=ConversationType.callback if missed_call else ConversationType.chat,
        )
    elif (
        conversation.status != Status.open and call.direction == "in" and call.event in ("call.started", "call.missed")
    ):
        # The customer calling is the customer coming back, as a message would be.
        await conversation_actions.set_status(session, actor=caller, conversation=conversation, status=Status.open)
    answerer = await _agent(session, inbox.account_id, call.agent_email) if call.event == "call.answered" else None
    note = await conversation_actions.post_system_note(
        session,
        conversation=conversation,
        body=_describe(call, answerer),
        name=inbox.name,
        external_id=call.key,
    )
    changes: list[tuple[str, Any, Any]] = []
    if missed_call:
        if conversation.type != ConversationType.callback:
            changes.append(("type", conversation.type, ConversationType.callback.value))
            conversation.type = ConversationType.callback
        if conversation.waiting_since is None:
            now = utcnow()
            waiting_since = call.at if call.at is not None and call.at <= now else now
            changes.append(("waiting_since", None, waiting_since))
            conversation.waiting_since = waiting_since
    elif call.event == "call.answered" and conversation.waiting_since is not None:
        changes.append(("waiting_since", conversation.waiting_since, None))
        conversation.waiting_since = None
    if changes:
        await conversation_actions.announce_changes(
            session, conversation, Actor(AuthorType.system, None, inbox.name), *changes
        )
    if answerer is not None and conversation.assignee_id is None:
        # On the phone with the customer already: past their capacity too.
        await conversation_actions.assign_conversation(
            session, actor=answerer, conversation=conversation, assignee_id=answerer.id, force=True
        )
    if created:
        await conversation_actions.conversation_created(session, conversation, note, contact)
    return Recorded(conversation, False)


def _describe(call: Call, answerer: Agent | None) -> str:
    """The note agents read (`answerer`: the agent of `call.agent_email`, if one is)."""
    incoming = call.direction == "in"
    line = f" на {call.line}" if call.line and incoming else ""
    if call.event == "call.started":
        text = f"📞 Входящий звонок с {call.customer}{line}" if incoming else f"📞 Исходящий звонок на {call.customer}"
    elif call.event == "call.answered":
        who = answerer.name if answerer is not None else (call.agent_email or "").strip()
        text = ("📞 Звонок принят" if incoming else "📞 Клиент ответил на звонок") + (f": {who}" if who else "")
    elif call.event == "call.missed":
        text = (
            f"📞 Пропущенный звонок с {call.customer}{line}: перезвоните клиенту"
            if incoming
            else f"📞 Клиент {call.customer} не ответил на звонок"
        )
    else:
        text = "📞 Звонок завершён" + (f", {_duration(call.duration_seconds)}" if call.duration_seconds else "")
        if call.recording_url:
            text += f"\nЗапись разговора: {call.recording_url}"
    return text


async def _agent(session: AsyncSession, account_id: int, email: str | None) -> Agent | None:
    """The active agent of the account with that e-mail."""
    if not email:
        return None
    return await session.scalar(
        select(Agent).where(
            Agent.account_id == account_id, Agent.email == email.strip().lower(), Agent.is_active.is_(True)
        )
    )


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} ч"] * bool(hours) + [f"{minutes} мин"] * bool(minutes) + [f"{seconds} с"] * bool(seconds)
    return " ".join(parts)
