"""Every change to conversations and messages goes through these functions.

Preconditions: call inside `db.transaction()`; the caller has checked that the actor may see
the conversation (`queries.get_conversation_for`). Actions validate, write rows, the audit
trail and events, and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from helpline.accounts.models import Account, Agent, Role, Team
from helpline.contacts.actions import update_contact
from helpline.contacts.models import Contact, ContactIdentity
from helpline.core.audit import Actor, record_change
from helpline.core.base import UtcDateTime
from helpline.core.clock import utcnow
from helpline.core.errors import (
    AtCapacity,
    EmptyMessage,
    Forbidden,
    InvalidField,
    MessageTooLong,
    NotFound,
    invalid_field_of,
)
from helpline.core.events import queue_event
from helpline.core.jobs import enqueue
from helpline.conversations.events import ChangedBy, ConversationCreated, ConversationUpdated, MessageCreated
from helpline.conversations.files import claim_files, file_out, link_files
from helpline.conversations.models import (
    CONTINUABLE,
    Attachment,
    AuthorType,
    Channel,
    Conversation,
    ConversationType,
    Inbox,
    Message,
    MessageKind,
    PRIVATE_KINDS,
    Status,
)
from helpline.conversations.schemas import ConversationOut, conversation_out, message_out
from helpline.desk.dispatch import free_agent
from helpline.desk.taxonomy import clean_field_values, custom_fields_of

# Channels deliver agents' answers: each hook is called in the transaction that stored an
# agent's customer-visible message, and schedules its delivery (as durable jobs).
ReplyHook = Callable[[AsyncSession, Any, Message], Awaitable[None]]
reply_hooks: list[ReplyHook] = []
# The desk keeps SLA clocks and timers in step: called in the transaction of each status
# change (conversation, old status, new status) and of each stored message.
StatusHook = Callable[[AsyncSession, Conversation, str, Status], Awaitable[None]]
status_hooks: list[StatusHook] = []
# A message hook gets the conversation (a row or an object) and may return the conversation
# it changed, whose state then goes into the message's event.
MessageHook = Callable[[AsyncSession, Any, Message], Awaitable[Conversation | None]]
message_hooks: list[MessageHook] = []
# Called when a customer's first message opened a conversation (routing, SLA, assignment).
CreatedHook = Callable[[AsyncSession, Conversation, Message, Any], Awaitable[None]]
created_hooks: list[CreatedHook] = []
# Channels that can write first to a customer's address, so an agent may answer a
# conversation of any inbox through one of theirs (a site chat by e-mail): channel -> the
# identity kind that addresses the customer there (the contact's field of that name does too).
# Set by helpline.channels.delivery, which asks the adapters.
answer_channels: Callable[[], dict[str, str]] = dict
ADDRESS_FIELDS = frozenset({"email", "phone"})  # the contact's fields that address them on a channel

MAX_BODY_LENGTH = 5000
PREVIEW_LENGTH = 200

# The statements of the message hot path, built once (building and cache-keying a statement
# costs more than SQLite takes to run it).
_conversations = Conversation.__table__
_messages = Message.__table__
_contacts = Contact.__table__
_SELECT_BY_CLIENT_ID = select(_messages.c.id).where(
    _messages.c.account_id == bindparam("account_id"),
    _messages.c.author_type == bindparam("author_type"),
    _messages.c.author_id == bindparam("author_id"),
    _messages.c.client_id == bindparam("client_id"),
)
_LOCK_CONTACT = select(_contacts).where(_contacts.c.id == bindparam("contact_id")).with_for_update()
_OPEN_CONVERSATION_OF = (
    select(_conversations)
    .where(
        _conversations.c.contact_id == bindparam("contact_id"),
        _conversations.c.inbox_id == bindparam("inbox_id"),
        _conversations.c.status.in_([s.value for s in CONTINUABLE]),
    )
    .order_by(_conversations.c.id.desc())
    .limit(1)
    .with_for_update()
)
_CONTINUABLE_CONVERSATION = (
    select(_conversations)
    .where(
        _conversations.c.id == bindparam("conversation_id"),
        _conversations.c.contact_id == bindparam("contact_id"),
        _conversations.c.status.in_([s.value for s in CONTINUABLE]),
        # The inbox's own, or one an agent answered through it (a site chat by e-mail).
        or_(
            _conversations.c.inbox_id == bindparam("inbox_id"),
            exists().where(
                _messages.c.conversation_id == _conversations.c.id, _messages.c.via_inbox_id == bindparam("inbox_id")
            ),
        ),
    )
    .with_for_update()
)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)


def _numbering(unread: str) -> Any:
    """UPDATE that numbers the next message; `unread` says what happens to unread_count."""
    values: dict[str, Any] = {
        "last_seq": _conversations.c.last_seq + 1,
        "last_message_body": bindparam("body"),
        "last_message_author_type": bindparam("author_type"),
        "last_message_kind": bindparam("kind"),
        "last_message_at": bindparam("now", type_=UtcDateTime()),
        "last_activity_at": bindparam("now", type_=UtcDateTime()),
        "updated_at": bindparam("now", type_=UtcDateTime()),
    }
    if unread == "increment":
        values["unread_count"] = _conversations.c.unread_count + 1
        values["waiting_since"] = func.coalesce(_conversations.c.waiting_since, bindparam("now", type_=UtcDateTime()))
    elif unread == "reset":
        values["unread_count"] = 0
        values["waiting_since"] = None
        values["first_response_at"] = func.coalesce(
            _conversations.c.first_response_at, bindparam("now", type_=UtcDateTime())
        )
    return (
        update(_conversations)
        .where(_conversations.c.id == bindparam("conversation_id"))
        .values(values)
        .returning(_conversations)
    )


_NUMBER_FROM_CONTACT = _numbering("increment")  # a customer wrote: one more unread
_NUMBER_FROM_AGENT = _numbering("reset")  # an agent answered: read, and maybe first response
_NUMBER_OTHER = _numbering("keep")  # notes, bots, system messages


def clean_body(body: object, *, with_files: bool = False) -> str:
    """A message's text; it may be empty only when files go with it."""
    if body is None and with_files:
        return ""
    if not isinstance(body, str):
        raise InvalidField("Message body must be text.", field="body")
    # Trim only the ends: inner line breaks and spacing are part of what the author wrote.
    body = body.strip()
    if not body and not with_files:
        raise EmptyMessage(field="body")
    if len(body) > MAX_BODY_LENGTH:
        raise MessageTooLong(field="body")
    return body


async def conversation_snapshot(
    session: AsyncSession,
    conversation: Conversation,
    *,
    inbox: Inbox | None = None,
    contact: Contact | None = None,
) -> ConversationOut:
    """The conversation as clients see it; related rows are loaded unless given."""
    inbox = inbox or await session.get(Inbox, conversation.inbox_id)
    contact = contact or await session.get(Contact, conversation.contact_id)
    assignee = await session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    team = await session.get(Team, conversation.team_id) if conversation.team_id else None
    assert inbox is not None and contact is not None
    return conversation_out(conversation, inbox=inbox, contact=contact, assignee=assignee, team=team)


async def create_inbox(
    session: AsyncSession,
    *,
    actor: Actor,
    account_id: int,
    channel: str,
    name: str,
    site_key: str | None = None,
    settings: dict[str, Any] | None = None,
    secret: str | None = None,
) -> Inbox:
    """A new entry point of the account (a website widget needs its `site_key`; a channel
    adapter's inbox its webhook `secret`, and it is connected: the channel accepted it)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidField("Name is required.", field="name")
    if channel == Channel.web and not site_key:
        raise InvalidField("A website needs a site key.", field="site_key")
    inbox = Inbox(
        account_id=account_id, channel=channel, name=name, site_key=site_key,
        settings=settings or {}, is_active=True, created_at=utcnow(),
        secret=secret, status="ok" if secret else None,
    )
    session.add(inbox)
    await session.flush()
    record_change(
        session, account_id=account_id, actor=actor, entity_type="inbox", entity_id=inbox.id,
        field="created", old=None, new=f"{channel}: {name}",
    )
    return inbox


async def update_inbox(
    session: AsyncSession,
    *,
    actor: Agent,
    inbox: Inbox,
    name: str | None,
    settings: dict[str, Any] | None,
    is_active: bool | None = None,
) -> None:
    """An admin renames an inbox, replaces its settings (validated for its channel) or
    switches it off and on."""
    if actor.role != Role.admin:
        raise Forbidden()
    audit = Actor(AuthorType.agent, actor.id, actor.name)
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise InvalidField("Name is required.", field="name")
    if settings is not None and inbox.channel in (Channel.web, Channel.form):
        # The channel knows its settings.
        from helpline.channels.form.settings import FormSettings
        from helpline.channels.web.site import SiteSettings

        model = SiteSettings if inbox.channel == Channel.web else FormSettings
        try:
            settings = model.model_validate(settings).model_dump(mode="json")
        except ValidationError as error:
            raise invalid_field_of(error, "settings") from None
    elif settings is not None:
        from helpline.channels.base import adapter_for

        adapter = adapter_for(inbox.channel)
        if adapter is None:
            raise InvalidField("This inbox has no settings to change.", field="settings")
        settings = adapter.clean_settings(settings, stored=inbox.settings)
    for field, new in (("name", name), ("settings", settings), ("is_active", is_active)):
        old = getattr(inbox, field)
        if new is None or new == old:
            continue
        record_change(
            session, account_id=inbox.account_id, actor=audit, entity_type="inbox", entity_id=inbox.id,
            field=field, old=None if field == "settings" else old, new="changed" if field == "settings" else new,
        )
        setattr(inbox, field, new)
    await session.flush()


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
    session: AsyncSession,
    *,
    inbox: Inbox,
    contact: Contact,
    context: dict[str, Any],
    type: ConversationType = ConversationType.chat,
    assignee_id: int | None = None,
) -> Conversation:
    now = utcnow()
    conversation = Conversation(
        account_id=inbox.account_id,
        number=await _next_conversation_number(session, inbox.account_id),
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=Status.open,
        type=type,
        assignee_id=assignee_id,
        transfer_count=0,
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
        ConversationCreated(
            conversation=await conversation_snapshot(session, conversation, inbox=inbox, contact=contact)
        ),
        conversation_id=conversation.id,
        contact_id=contact.id,
    )
    return conversation


_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


async def mentioned_agents(session: AsyncSession, account_id: int, text: str) -> list[int]:
    """Agents a note @mentions, by name without spaces or by the e-mail's local part."""
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(text)}
    if not handles:
        return []
    agents = (
        await session.execute(
            select(Agent.id, Agent.name, Agent.email).where(Agent.account_id == account_id, Agent.is_active.is_(True))
        )
    ).all()
    return [
        a.id for a in agents
        if "".join(a.name.split()).lower() in handles or a.email.split("@")[0].lower() in handles
    ]


async def _find_by_client_id(
    session: AsyncSession, account_id: int, author: Actor, client_id: str | None
) -> Message | None:
    if client_id is None:
        return None
    message_id = await session.scalar(
        _SELECT_BY_CLIENT_ID,
        {"account_id": account_id, "author_type": author.type, "author_id": author.id, "client_id": client_id},
    )
    return None if message_id is None else await session.get(Message, message_id)


async def answer_inboxes(session: AsyncSession, conversation: Conversation) -> list[Inbox]:
    """The inboxes besides its own an agent may answer the conversation through: the active
    ones of `answer_channels` where the customer has an address (an identity of the
    channel's kind, or the contact's own e-mail or phone, as they typed it in a form)."""
    channels = answer_channels()
    if not channels:
        return []
    inboxes = (
        await session.scalars(
            select(Inbox)
            .where(
                Inbox.account_id == conversation.account_id,
                Inbox.is_active.is_(True),
                Inbox.channel.in_(list(channels)),
                Inbox.id != conversation.inbox_id,
            )
            .order_by(Inbox.id)
        )
    ).all()
    if not inboxes:
        return []
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    kinds = set(channels.values())
    reachable = set(
        (
            await session.scalars(
                select(ContactIdentity.kind).where(
                    ContactIdentity.contact_id == contact.id, ContactIdentity.kind.in_(list(kinds))
                )
            )
        ).all()
    )
    reachable |= {field for field in ADDRESS_FIELDS & kinds if getattr(contact, field)}
    return [inbox for inbox in inboxes if channels[inbox.channel] in reachable]


async def _answer_inbox(
    session: AsyncSession, conversation: Conversation, value: object, *, kind: str, author: Actor
) -> int | None:
    """`via_inbox_id` of `post_message`, checked: None for the conversation's own inbox."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidField("via_inbox_id must be an inbox id.", field="via_inbox_id")
    if value == conversation.inbox_id:
        return None
    if kind != MessageKind.text or author.type != AuthorType.agent:
        raise InvalidField("Only an agent's answer to the customer is sent through another inbox.", field="via_inbox_id")
    if value not in {inbox.id for inbox in await answer_inboxes(session, conversation)}:
        raise InvalidField(
            "The customer cannot be answered through that inbox: it is not an active e-mail inbox of this account, "
            "or the contact has no address there.",
            field="via_inbox_id",
        )
    return value


async def post_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    author: Actor,
    body: object,
    kind: str = MessageKind.text,
    client_id: str | None = None,
    inbox: Inbox | None = None,
    contact: Contact | None = None,
    file_ids: list[int] | None = None,
    role: str | None = None,
    via_inbox_id: object = None,
) -> tuple[Message, bool]:
    """Append a message; returns it and whether it was a resend of a stored one.

    Precondition: `conversation` was loaded with a row lock in this transaction (or the
    database is SQLite, whose single writer serialises everything). `inbox` and `contact`,
    when the caller has them, save loading them again for the event.

    `via_inbox_id`: an agent's answer leaves through that inbox instead of the
    conversation's (see `answer_inboxes`).

    This is the hottest write of Helpline, so it speaks Core: one UPDATE ... RETURNING
    numbers the message and one INSERT stores it, instead of the ORM's unit of work.
    """
    text = clean_body(body, with_files=bool(file_ids))
    if kind not in (MessageKind.text, MessageKind.note, MessageKind.whisper):
        raise InvalidField("Unknown message kind.", field="kind")
    if kind in PRIVATE_KINDS and author.type != AuthorType.agent:
        raise Forbidden("Only agents write internal notes.")
    if kind == MessageKind.whisper and role not in (Role.supervisor, Role.admin):
        raise Forbidden("Only supervisors and admins whisper.")
    existing = await _find_by_client_id(session, conversation.account_id, author, client_id)
    if existing is not None:
        return existing, True
    if via_inbox_id is not None:
        via_inbox_id = await _answer_inbox(session, conversation, via_inbox_id, kind=kind, author=author)
    files = await claim_files(
        session, account_id=conversation.account_id, uploader_type=author.type, uploader_id=author.id or 0,
        file_ids=file_ids or [],
    )
    mentions = await mentioned_agents(session, conversation.account_id, text) if kind == MessageKind.note else None
    message = await _append_message(
        session, conversation=conversation, author=author, text=text, kind=kind,
        client_id=client_id, inbox=inbox, contact=contact, files=files, mentions=mentions, via_inbox_id=via_inbox_id,
    )
    if author.type == AuthorType.agent and kind == MessageKind.text:
        for hook in reply_hooks:
            await hook(session, conversation, message)
    return message, False


async def _append_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    author: Actor,
    text: str,
    kind: str,
    client_id: str | None,
    inbox: Inbox | None,
    contact: Contact | None,
    files: list[Attachment] | None = None,
    mentions: list[int] | None = None,
    external_id: str | None = None,
    via_inbox_id: int | None = None,
) -> Message:
    """Store a validated, new message and queue its event (see `post_message`).

    This is the hottest write of Helpline, so it speaks Core: one UPDATE ... RETURNING
    numbers the message and returns the conversation's new state, one INSERT stores the
    message; no unit-of-work bookkeeping.
    """
    now = utcnow()
    if author.type == AuthorType.contact:
        numbering = _NUMBER_FROM_CONTACT
    elif author.type == AuthorType.agent and kind == MessageKind.text:
        numbering = _NUMBER_FROM_AGENT
    else:
        numbering = _NUMBER_OTHER
    row = (
        await session.execute(
            numbering,
            {
                "conversation_id": conversation.id,
                "body": (text or " ".join(f"📎 {f.filename}" for f in files or ()))[:PREVIEW_LENGTH],
                "author_type": author.type,
                "kind": kind,
                "now": now,
            },
        )
    ).one()
    # Keep a loaded ORM object in step with the row without making it dirty.
    if isinstance(conversation, Conversation):
        for column in _conversations.c:
            set_committed_value(conversation, column.key, getattr(row, column.key))
    message = Message(
        account_id=row.account_id,
        conversation_id=row.id,
        seq=row.last_seq,
        author_type=author.type,
        author_id=author.id,
        author_name=author.name,
        kind=kind,
        body=text,
        client_id=client_id,
        attachments=[file_out(f) for f in files] if files else None,
        mentions=mentions or None,
        created_at=now,
        external_id=external_id,
        via_inbox_id=via_inbox_id,
    )
    message.id = await session.scalar(
        _INSERT_MESSAGE, {c.key: getattr(message, c.key) for c in _messages.c if c.key != "id"}
    )
    if files:
        await link_files(session, files, conversation_id=row.id, message_id=message.id)
    state: Any = row
    for hook in message_hooks:
        state = await hook(session, state, message) or state
    queue_event(
        session,
        row.account_id,
        MessageCreated(
            message=message_out(message),
            conversation=await conversation_snapshot(session, state, inbox=inbox, contact=contact),
        ),
        conversation_id=row.id,
        contact_id=row.contact_id,
        audience="agents" if kind in PRIVATE_KINDS else "public",
    )
    return message


async def receive_visitor_message(
    session: AsyncSession,
    *,
    inbox: Inbox,
    contact_id: int,
    body: object,
    client_id: str,
    context: dict[str, Any],
    require: tuple[str, ...] = (),
    new_type: ConversationType = ConversationType.chat,
    file_ids: list[int] | None = None,
    external_id: str | None = None,
    threaded: bool = False,
    conversation_id: int | None = None,
) -> tuple[Message, Conversation, bool]:
    """A message from the website widget, or a customer's message from another channel
    (helpline.channels.inbound, with the channel's `external_id` of it): into the contact's
    open conversation in `inbox`, or a new one (of `new_type`: offline when the site was
    offline). A `threaded` channel's message (e-mail) continues `conversation_id` instead,
    if that is the contact's and may be continued, and a new one otherwise; the conversation
    may be another inbox's (a site chat an agent answered by e-mail), and the message then
    records that it came through `inbox`.

    `require` names contact fields (name, email, phone) the site's pre-chat form requires:
    without them nothing is stored.
    """
    text = clean_body(body, with_files=bool(file_ids))  # validate before anything is created
    # Rows, not ORM objects: this runs for every message a visitor sends (see _append_message).
    # Lock the contact: two tabs of one visitor must not open two conversations at once.
    contact = (await session.execute(_LOCK_CONTACT, {"contact_id": contact_id})).one_or_none()
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
    if not threaded:
        conversation = (
            await session.execute(_OPEN_CONVERSATION_OF, {"contact_id": contact.id, "inbox_id": inbox.id})
        ).one_or_none()
    elif conversation_id is not None:
        conversation = (
            await session.execute(
                _CONTINUABLE_CONVERSATION,
                {"conversation_id": conversation_id, "contact_id": contact.id, "inbox_id": inbox.id},
            )
        ).one_or_none()
    else:
        conversation = None
    files = await claim_files(
        session, account_id=inbox.account_id, uploader_type=AuthorType.contact, uploader_id=contact.id,
        file_ids=file_ids or [],
    )
    if conversation is not None and conversation.status != Status.open:  # the customer's reply opens it again
        conversation = await session.get(Conversation, conversation.id, populate_existing=True)
        assert conversation is not None
        await set_status(session, actor=author, conversation=conversation, status=Status.open)
    created = conversation is None
    if conversation is None:
        conversation = await open_conversation(
            session, inbox=inbox, contact=contact, context=context, type=new_type
        )
    elsewhere = conversation.inbox_id != inbox.id
    message = await _append_message(
        session, conversation=conversation, author=author, text=text, kind=MessageKind.text,
        client_id=client_id, inbox=None if elsewhere else inbox, contact=contact, files=files,
        external_id=external_id, via_inbox_id=inbox.id if elsewhere else None,
    )
    if created:
        await conversation_created(session, conversation, message, contact)
    return message, conversation, False


async def conversation_created(session: AsyncSession, conversation: Conversation, first: Message, contact: Any) -> None:
    """Run the created hooks for a conversation its first customer message opened (`contact`:
    its contact, a row or an object)."""
    for hook in created_hooks:
        await hook(session, conversation, first, contact)


async def post_bot_message(session: AsyncSession, *, conversation: Conversation, body: str, name: str | None = None) -> Message:
    """An automatic reply the customer sees (routing's auto-replies)."""
    return await _append_message(
        session, conversation=conversation, author=Actor(AuthorType.bot, None, name), text=clean_body(body),
        kind=MessageKind.text, client_id=None, inbox=None, contact=None,
    )


async def post_system_note(
    session: AsyncSession,
    *,
    conversation: Conversation,
    body: str,
    name: str | None = None,
    external_id: str | None = None,
) -> Message:
    """A record Helpline itself writes for agents (a phone call's events): an internal note
    by the system, which the customer never sees and which never leaves Helpline.
    `external_id` is the channel's key of what it records (see `post_message` for the
    precondition)."""
    return await _append_message(
        session, conversation=conversation, author=Actor(AuthorType.system, None, name), text=clean_body(body),
        kind=MessageKind.note, client_id=None, inbox=None, contact=None, external_id=external_id,
    )


async def invite_visitor(
    session: AsyncSession,
    *,
    agent: Agent,
    inbox: Inbox,
    contact: Contact,
    body: object,
    client_id: str,
    context: dict[str, Any],
) -> tuple[Conversation, Message, bool]:
    """An agent starts a chat with a visitor on the site (a manual invitation): into the
    visitor's open conversation, or a new one assigned to the agent.

    Precondition: `contact` was loaded with a row lock (two agents inviting at once must
    not open two conversations)."""
    author = agent_actor(agent)
    text = clean_body(body)
    existing = await _find_by_client_id(session, inbox.account_id, author, client_id)
    if existing is not None:
        conversation = await session.get(Conversation, existing.conversation_id)
        assert conversation is not None
        return conversation, existing, True
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
    if conversation is None:
        conversation = await open_conversation(
            session, inbox=inbox, contact=contact, context=context, assignee_id=agent.id
        )
    elif conversation.status != Status.open:
        await set_status(session, actor=author, conversation=conversation, status=Status.open)
    message, _ = await post_message(
        session, conversation=conversation, author=author, body=text, kind=MessageKind.text,
        client_id=client_id, inbox=inbox, contact=contact,
    )
    await session.refresh(conversation)
    return conversation, message, False


async def request_callback(
    session: AsyncSession,
    *,
    inbox: Inbox,
    contact_id: int,
    phone: str,
    name: str | None,
    when: str,
    client_id: str,
    context: dict[str, Any],
) -> tuple[Conversation, bool]:
    """"Call me back" from the widget: a new conversation of type callback whose first
    message says whom to call and when. Returns it and whether this was a resend."""
    contact = await session.get(Contact, contact_id, with_for_update=True, populate_existing=True)
    if contact is None:
        raise NotFound("No such contact.")
    author = Actor(AuthorType.contact, contact.id, contact.name)
    existing = await _find_by_client_id(session, inbox.account_id, author, client_id)
    if existing is not None:
        conversation = await session.get(Conversation, existing.conversation_id)
        assert conversation is not None
        return conversation, True
    changes: dict[str, Any] = {"phone": phone}
    if name and not contact.name:
        changes["name"] = name
    await update_contact(session, actor=author, contact=contact, changes=changes)
    conversation = await open_conversation(
        session, inbox=inbox, contact=contact, type=ConversationType.callback,
        context={**context, "callback": {"phone": phone, "time": when}},
    )
    body = f"☎ {phone}" + (f" · {when}" if when else "")
    message = await _append_message(
        session, conversation=conversation, author=author, text=body, kind=MessageKind.text,
        client_id=client_id, inbox=inbox, contact=contact,
    )
    await conversation_created(session, conversation, message, contact)
    return conversation, False


async def announce_changes(
    session: AsyncSession, conversation: Conversation, actor: Actor, *changes: tuple[str, Any, Any]
) -> None:
    """Audit each (field, old, new) change and announce them in one event."""
    for field, old, new in changes:
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
            conversation=await conversation_snapshot(session, conversation),
            changed=[field for field, _, _ in changes],
            by=ChangedBy(type=actor.type, id=actor.id, name=actor.name),
        ),
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
    )


async def capacity_freed(session: AsyncSession, account_id: int) -> None:
    """An agent has room for another conversation: the desk gives out waiting ones after
    the commit (the `desk.dispatch` job)."""
    await enqueue(session, kind="desk.dispatch", payload={"account_id": account_id}, account_id=account_id)


def agent_actor(agent: Agent) -> Actor:
    return Actor(AuthorType.agent, agent.id, agent.name)


async def open_load(session: AsyncSession, agent_id: int) -> int:
    """How many open conversations the agent carries (measured against `capacity`)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.assignee_id == agent_id, Conversation.status == Status.open)
        )
    ) or 0


async def _assignee(
    session: AsyncSession, *, actor: Agent, conversation: Conversation, agent_id: int, force: bool
) -> Agent:
    """The agent a conversation may be given to; capacity is checked for someone else."""
    assignee = await session.get(Agent, agent_id)
    if assignee is None or assignee.account_id != conversation.account_id or not assignee.is_active:
        raise NotFound("No such agent.")
    if assignee.id != actor.id and not force and await open_load(session, assignee.id) >= assignee.capacity:
        raise AtCapacity(f"{assignee.name} already has {assignee.capacity} open conversations.")
    return assignee


async def assign_conversation(
    session: AsyncSession,
    *,
    actor: Agent,
    conversation: Conversation,
    assignee_id: int | None,
    force: bool = False,
) -> None:
    """Assign to an agent of the account, or unassign. Agents may only take or drop it
    themselves; supervisors and admins may give it to anyone active (within the agent's
    capacity unless `force`)."""
    if actor.role == Role.agent:
        mine_or_free = conversation.assignee_id in (None, actor.id)
        if assignee_id not in (None, actor.id) or not mine_or_free:
            raise Forbidden("Agents can only assign conversations to themselves.")
    if conversation.assignee_id == assignee_id:
        return
    if assignee_id is not None:
        await _assignee(session, actor=actor, conversation=conversation, agent_id=assignee_id, force=force)
    old = conversation.assignee_id
    conversation.assignee_id = assignee_id
    conversation.assigned_at = utcnow() if assignee_id is not None else None
    if old is not None or conversation.team_id is not None:
        # Capacity freed, or the team's queue moved: the desk gives out and re-tells places.
        await capacity_freed(session, conversation.account_id)
    await announce_changes(session, conversation, agent_actor(actor), ("assignee", old, assignee_id))


async def transfer_conversation(
    session: AsyncSession,
    *,
    actor: Agent,
    conversation: Conversation,
    agent_id: int | None,
    team_id: int | None = None,
    note: str = "",
    force: bool = False,
) -> None:
    """Hand the conversation to another agent, or to a team, with a note, so the customer
    never repeats.

    A team gets it through its least-loaded member who is online and under capacity; when
    nobody is free it waits unassigned in the team's queue. Any agent may transfer a
    conversation that is theirs or unassigned; supervisors and admins may transfer any. The
    note is stored as an internal note of the transferring agent before the hand-over, so
    the receiver finds it at the end of the history.
    """
    if (agent_id is None) == (team_id is None):
        raise InvalidField("Name either an agent or a team.", field="agent_id")
    if actor.role == Role.agent and conversation.assignee_id not in (None, actor.id):
        raise Forbidden("Only the assignee, a supervisor or an admin can transfer this conversation.")
    team = None
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.account_id != conversation.account_id:
            raise NotFound("No such team.")
        assignee = await free_agent(session, team, conversation, exclude={conversation.assignee_id or 0})
        target = team.name
    else:
        if agent_id == conversation.assignee_id:
            raise InvalidField("The conversation is already assigned to this agent.", field="agent_id")
        assert agent_id is not None
        assignee = await _assignee(session, actor=actor, conversation=conversation, agent_id=agent_id, force=force)
        target = assignee.name
    note = note.strip()
    if note:
        await post_message(
            session, author=agent_actor(actor), conversation=conversation,
            body=f"→ {target}: {note}", kind=MessageKind.note, client_id=None,
        )
        await session.refresh(conversation)
    old_assignee, old_team = conversation.assignee_id, conversation.team_id
    conversation.assignee_id = assignee.id if assignee else None
    conversation.assigned_at = utcnow() if assignee else None
    if old_assignee is not None:
        await capacity_freed(session, conversation.account_id)
    if team is not None:
        conversation.team_id = team.id
    conversation.transfer_count += 1
    changes = [
        ("assignee", old_assignee, conversation.assignee_id),
        ("transfer_count", conversation.transfer_count - 1, conversation.transfer_count),
    ]
    if conversation.team_id != old_team:
        changes.append(("team", old_team, conversation.team_id))
    await announce_changes(session, conversation, agent_actor(actor), *changes)


MAX_SNOOZE = timedelta(days=366)


async def set_status(
    session: AsyncSession,
    *,
    actor: Actor,
    conversation: Conversation,
    status: Status,
    snoozed_until: datetime | None = None,
) -> None:
    """Move the conversation through its life: open, pending (waiting for the customer),
    snoozed until a time, resolved, closed. Closed is final.

    The desk's status hooks wake a snoozed conversation and close a resolved one later
    (helpline.desk.actions), and keep the SLA clocks in step.
    """
    if conversation.status == Status.closed and status != Status.closed:
        raise InvalidField("A closed conversation is final; the customer's next message starts a new one.", field="status")
    now = utcnow()
    if status == Status.snoozed:
        if snoozed_until is None or not now < snoozed_until <= now + MAX_SNOOZE:
            raise InvalidField("Snooze until a time in the next year.", field="snoozed_until")
    elif snoozed_until is not None:
        raise InvalidField("Only a snoozed conversation has a wake-up time.", field="snoozed_until")
    if conversation.status == status and conversation.snoozed_until == snoozed_until:
        return
    old = conversation.status
    conversation.status = status
    changes: list[tuple[str, Any, Any]] = [("status", old, status.value)] if old != status else []
    if conversation.snoozed_until != snoozed_until:
        changes.append(("snoozed_until", conversation.snoozed_until, snoozed_until))
        conversation.snoozed_until = snoozed_until
    if status == Status.resolved:
        if actor.type == AuthorType.agent:
            await _check_required_fields(session, conversation)
        conversation.resolved_at = now
        conversation.waiting_since = None  # nobody waits in a resolved conversation
        # Reviewed for quality after the commit, once per state of the conversation.
        await enqueue(
            session, kind="quality.review", payload={"conversation_id": conversation.id},
            account_id=conversation.account_id, key=f"quality.review:{conversation.id}:{conversation.last_seq}",
        )
    elif status == Status.closed:
        conversation.closed_at = now
        conversation.waiting_since = None
    else:
        conversation.resolved_at = None
    if old == Status.open and conversation.assignee_id is not None:
        await capacity_freed(session, conversation.account_id)
    for hook in status_hooks:
        await hook(session, conversation, old, status)
    await announce_changes(session, conversation, actor, *changes)


async def _check_required_fields(session: AsyncSession, conversation: Conversation) -> None:
    """An agent resolves a conversation only with the account's required fields filled in."""
    definitions = await custom_fields_of(session, conversation.account_id, active_only=True)
    if any(d.required for d in definitions):
        clean_field_values(definitions, conversation.fields or {}, {}, enforce_required=True)


async def mark_read(session: AsyncSession, *, actor: Agent, conversation: Conversation, seq: int) -> None:
    """The agent has seen the conversation up to `seq`: nothing in it is unread any more."""
    if seq < 0 or seq > conversation.last_seq:
        raise InvalidField("seq is beyond the conversation.", field="seq")
    if conversation.unread_count == 0:
        return
    conversation.unread_count = 0
    conversation.updated_at = utcnow()
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
