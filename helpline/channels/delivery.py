"""Delivery of agents' messages through channel adapters, with a state on each message.

Every customer-visible message an agent or a bot writes in a conversation of an adapter's
channel gets `delivery_status = pending` in the transaction that stores it, and a durable
`channel.deliver` job in the same transaction (so a restart loses nothing). The job calls the
adapter's `send`: success makes the message `sent` (with the channel's id of it); a failure the
channel calls temporary is tried again with back-off (not before the channel's retry_after);
the last attempt, or a permanent failure, makes it `failed` with the reason, and an agent may
retry it (`retry_delivery`), which starts the attempts afresh. Reports from the channel
(delivered, read, failed later) move the state forward only (`report_delivery`). Each change
is a `message.delivery` event for the consoles; the message's state is also in `MessageOut`.

A message may leave through another inbox than its conversation's (`Message.via_inbox_id`:
an agent answered a site chat by e-mail); the job then sends through that inbox's adapter,
and reports about it count for that inbox.

The job is idempotent: it sends only while the message is `pending`, and records the outcome
of the attempt only if the message is still `pending` (a retry or a report may have moved it).
The one gap no job system closes: a send that reached the channel, whose answer was lost
(the process died in between), is sent again. Channels that take a key for that (VK's
random_id) get the message id.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent
from helpline.channels.base import (
    ChannelAdapter,
    ChannelContext,
    DeliveryError,
    Outgoing,
    OutgoingFile,
    adapter_for,
    adapters,
)
from helpline.contacts.models import Contact, ContactIdentity
from helpline.conversations import actions as conversation_actions
from helpline.conversations.events import MessageDelivery
from helpline.conversations.files import file_out
from helpline.conversations.models import Attachment, AuthorType, Conversation, Delivery, Inbox, Message, MessageKind
from helpline.core.clock import utcnow
from helpline.core.errors import Conflict
from helpline.core.events import queue_event
from helpline.core.jobs import Job, PermanentJobError, RetryJobLater, enqueue, job_handler
from helpline.core.http import outbound_client
from helpline.core.runtime import Services

log = logging.getLogger(__name__)

ATTEMPTS = 5  # 5 s, 10 s, 20 s, 40 s apart (the runner's back-off), then failed
# Forward only: a state may move to those after it (a retry makes a failed message pending).
_ORDER = {Delivery.pending: 0, Delivery.sent: 1, Delivery.delivered: 2, Delivery.read: 3}
# Channels never change: which inbox is which is cached for the message hot path.
_CHANNEL_OF_INBOX: dict[int, str] = {}


def context_for(services: Services, inbox: Inbox) -> tuple[ChannelAdapter, ChannelContext]:
    adapter = adapter_for(inbox.channel)
    if adapter is None:
        raise LookupError(f"no adapter for channel {inbox.channel!r}")
    return adapter, ChannelContext(services, inbox, adapter.parse_settings(inbox.settings), outbound_client())


async def _channel_of(session: AsyncSession, inbox_id: int) -> str:
    channel = _CHANNEL_OF_INBOX.get(inbox_id)
    if channel is None:
        channel = await session.scalar(select(Inbox.channel).where(Inbox.id == inbox_id)) or ""
        _CHANNEL_OF_INBOX[inbox_id] = channel
    return channel


async def _schedule(session: AsyncSession, conversation: Any, message: Message) -> None:
    """Message hook: a message for the customer in an adapter's conversation leaves through it."""
    if message.kind != MessageKind.text or message.author_type not in (AuthorType.agent, AuthorType.bot):
        return
    adapter = adapter_for(await _channel_of(session, message.via_inbox_id or conversation.inbox_id))
    if adapter is None or (not adapter.sends and message.author_type == AuthorType.bot):
        return
    message.delivery_status = Delivery.pending
    await session.execute(update(Message).where(Message.id == message.id).values(delivery_status=Delivery.pending))
    await _enqueue(session, message, attempt_key="0")


async def _enqueue(session: AsyncSession, message: Message, *, attempt_key: str) -> None:
    await enqueue(
        session,
        kind="channel.deliver",
        payload={"message_id": message.id},
        account_id=message.account_id,
        key=f"channel.deliver:{message.id}:{attempt_key}",
        max_attempts=ATTEMPTS,
    )


def _answer_channels() -> dict[str, str]:
    """The channels an agent may answer any conversation through (see ChannelAdapter.writes_first)."""
    return {adapter.channel: adapter.identity_kind for adapter in adapters().values() if adapter.writes_first}


conversation_actions.message_hooks.append(_schedule)
conversation_actions.answer_channels = _answer_channels


def _set_state(
    session: AsyncSession,
    message: Message,
    conversation: Conversation,
    status: Delivery,
    *,
    error: str | None = None,
) -> None:
    message.delivery_status = status
    message.delivery_error = error
    queue_event(
        session,
        message.account_id,
        MessageDelivery(
            conversation_id=message.conversation_id,
            message_id=message.id,
            seq=message.seq,
            delivery={"status": status, "error": error},
        ),
        conversation_id=conversation.id,
        audience="agents",
    )


@job_handler("channel.deliver")
async def deliver(services: Services, job: Job) -> None:
    async with services.db.read() as session:
        message = await session.get(Message, job.payload["message_id"])
        if message is None or message.delivery_status != Delivery.pending:
            return  # sent already, or moved on by a retry or a report
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        inbox = await session.get(Inbox, message.via_inbox_id or conversation.inbox_id)
        contact = await session.get(Contact, conversation.contact_id)
        assert inbox is not None and contact is not None
    if not inbox.is_active:  # the admin switched it off: nothing leaves through it (nor comes in)
        await _fail(services, message.id, f"The inbox «{inbox.name}» is switched off: turn it on, then send again.")
        raise PermanentJobError("inbox switched off")
    adapter, ctx = context_for(services, inbox)
    async with services.db.read() as session:
        identity = await session.scalar(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact.id, ContactIdentity.kind == adapter.identity_kind)
            .order_by(ContactIdentity.id.desc())
            .limit(1)
        )
        attachments = (
            await session.scalars(select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id))
        ).all()
        customer_last_message_at = await session.scalar(
            select(Message.created_at)
            .where(Message.conversation_id == conversation.id, Message.author_type == AuthorType.contact)
            .order_by(Message.seq.desc())
            .limit(1)
        )
    recipient = identity.value if identity is not None else _address_field(contact, adapter)
    if recipient is None:
        await _fail(services, message.id, f"The contact has no {adapter.channel} address to send to.")
        raise PermanentJobError("no recipient")
    outgoing = Outgoing(
        message_id=message.id,
        conversation_id=conversation.id,
        conversation_number=conversation.number,
        seq=message.seq,
        text=message.body,
        files=[
            OutgoingFile(
                name=a.filename,
                content_type=a.content_type,
                size=a.size,
                path=services.files.path(a.storage_name),
                image=a.content_type.startswith("image/"),
                url=services.settings.base_url + file_out(a)["url"],
            )
            for a in attachments
        ],
        recipient=recipient,
        contact_name=contact.name,
        conversation_context=dict(conversation.context or {}),
        author_name=message.author_name,
        customer_last_message_at=customer_last_message_at,
    )
    try:
        sent = await adapter.send(ctx, outgoing)
    except DeliveryError as error:
        if error.blocked and identity is not None:
            await _mark_blocked(services, identity.id)
        if error.permanent or job.attempts >= job.max_attempts:
            await _fail(services, message.id, error.reason)
            await record_connection(services, inbox.id, error=error.reason)
            raise PermanentJobError(error.reason) from None
        await record_connection(services, inbox.id, error=error.reason)
        raise RetryJobLater(error.reason, error.retry_after or 0) from None
    except (httpx.TransportError, OSError) as error:
        reason = f"Could not reach {adapter.channel}: {error.__class__.__name__}"
        await record_connection(services, inbox.id, error=reason)
        if job.attempts >= job.max_attempts:
            await _fail(services, message.id, reason)
            raise PermanentJobError(reason) from None
        raise
    async with services.db.transaction() as session:
        message = await session.get(Message, message.id, with_for_update=True, populate_existing=True)
        conversation = await session.get(Conversation, conversation.id)
        if message is None or conversation is None or message.delivery_status != Delivery.pending:
            return
        message.external_id = sent.external_id
        if sent.context:
            conversation.context = {**(conversation.context or {}), **sent.context}
        _set_state(session, message, conversation, Delivery.sent)
    await record_connection(services, inbox.id, error=None)


def _address_field(contact: Contact, adapter: ChannelAdapter) -> str | None:
    """Where a channel that writes first reaches a contact without its identity: the address
    they gave (typed in the chat's form)."""
    if not adapter.writes_first or adapter.identity_kind not in conversation_actions.ADDRESS_FIELDS:
        return None
    return getattr(contact, adapter.identity_kind)


async def _fail(services: Services, message_id: int, reason: str) -> None:
    async with services.db.transaction() as session:
        message = await session.get(Message, message_id, with_for_update=True, populate_existing=True)
        if message is None or message.delivery_status != Delivery.pending:
            return
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        _set_state(session, message, conversation, Delivery.failed, error=reason[:1000])


async def _mark_blocked(services: Services, identity_id: int) -> None:
    async with services.db.transaction() as session:
        await session.execute(
            update(ContactIdentity).where(ContactIdentity.id == identity_id).values(blocked_at=utcnow())
        )


async def record_connection(services: Services, inbox_id: int, *, error: str | None) -> None:
    """What the channels admin page shows: ok since the last success, or the last error."""
    values: dict[str, Any] = (
        {"status": "ok"}
        if error is None
        else {"status": "error", "last_error": error[:1000], "last_error_at": utcnow()}
    )
    async with services.db.transaction() as session:
        await session.execute(update(Inbox).where(Inbox.id == inbox_id).values(values))


async def retry_delivery(session: AsyncSession, *, actor: Agent, conversation: Conversation, message: Message) -> None:
    """An agent sends a failed message again (the retry button): pending, and a new job."""
    if message.conversation_id != conversation.id or message.account_id != actor.account_id:
        raise Conflict("The message is not in this conversation.")
    if message.delivery_status != Delivery.failed:
        raise Conflict("Only a message that failed to be delivered can be sent again.")
    _set_state(session, message, conversation, Delivery.pending)
    await _enqueue(session, message, attempt_key=f"retry-{utcnow().timestamp()}")
    # Tried again on purpose: the identity may have unblocked us.
    await session.execute(
        update(ContactIdentity).where(ContactIdentity.contact_id == conversation.contact_id).values(blocked_at=None)
    )


async def report_delivery(
    session: AsyncSession, *, inbox: Inbox, external_id: str, status: Delivery, error: str | None = None
) -> bool:
    """The channel reports on a message it was given (delivered, read, or failed after all).
    Moves the state forward only; returns whether a message of the inbox's changed."""
    message = await session.scalar(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.account_id == inbox.account_id,
            Message.external_id == external_id,
            or_(Conversation.inbox_id == inbox.id, Message.via_inbox_id == inbox.id),
            Message.author_type != AuthorType.contact,
        )
        .with_for_update()
    )
    if message is None or message.delivery_status in (None, Delivery.failed):
        return False
    if status == Delivery.failed:
        if message.delivery_status == Delivery.read:
            return False
    elif _ORDER[status] <= _ORDER[Delivery(message.delivery_status)]:
        return False
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    _set_state(session, message, conversation, status, error=error if status == Delivery.failed else None)
    return True
