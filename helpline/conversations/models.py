"""Inboxes, conversations and messages: the core nouns of Helpline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId, Json


class Channel(StrEnum):
    web = "web"
    form = "form"
    email = "email"
    telegram = "telegram"
    vk = "vk"
    viber = "viber"
    whatsapp = "whatsapp"
    phone = "phone"


class Delivery(StrEnum):
    """Where a message that leaves through a channel adapter is (helpline.channels.delivery).
    Only forward: pending -> sent -> delivered -> read; failed from pending (a retry makes it
    pending again)."""

    pending = "pending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class Status(StrEnum):
    open = "open"
    pending = "pending"  # waiting for the customer: SLA clocks pause
    snoozed = "snoozed"  # put aside until `snoozed_until`, then open again
    resolved = "resolved"  # a customer reply opens it again
    closed = "closed"  # final: a customer writing again starts a new conversation


# Statuses a customer's new message continues (and reopens) rather than starting afresh.
CONTINUABLE = (Status.open, Status.pending, Status.snoozed, Status.resolved)


class AuthorType(StrEnum):
    contact = "contact"
    agent = "agent"
    bot = "bot"
    system = "system"


class ConversationType(StrEnum):
    chat = "chat"  # started while agents were available
    offline = "offline"  # left through the offline form; answered later, by e-mail too
    callback = "callback"  # "call me back": a phone number and a preferred time
    form = "form"  # a web form submission (kept as sent in form_submissions)


class MessageKind(StrEnum):
    text = "text"  # seen by the customer
    note = "note"  # internal: agents only, never leaves Helpline
    whisper = "whisper"  # a supervisor's hint to the agent: agents only, never leaves Helpline


# Kinds the customer never sees, on any channel.
PRIVATE_KINDS = frozenset({MessageKind.note, MessageKind.whisper})


class Inbox(Base):
    """One entry point of an account: a website widget now; a mailbox or a bot later."""

    __tablename__ = "inboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # Websites are found by the key in their embed code; other channels leave it empty.
    site_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # Channels with an adapter (helpline.channels): the unguessable key of the inbox's webhook
    # URL (/hooks/<secret>), the connection as last seen (ok | error) and its last error.
    secret: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # A poller's position (Telegram's update offset, IMAP's UIDVALIDITY and last UID) and its
    # lease: one node polls an inbox at a time.
    cursor: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    poll_owner: Mapped[str | None] = mapped_column(String(64))
    poll_lease_until: Mapped[datetime | None]


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("account_id", "number"),
        Index("ix_conversations_inbox_list", "account_id", "status", "last_activity_at"),
        Index("ix_conversations_assignee", "account_id", "assignee_id", "status"),
        Index("ix_conversations_contact", "contact_id", "inbox_id", "status"),
        Index("ix_conversations_sla", "account_id", "status", "sla_due_at"),
        # Lists across statuses (filters, search), newest activity first.
        Index("ix_conversations_activity", "account_id", "last_activity_at", "id"),
        # PostgreSQL also has the SLA and waiting orders' expressions indexed (migration 0016),
        # and the search vectors (0008, 0010): not models, as SQLite has none of them.
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    number: Mapped[int]
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[str] = mapped_column(String(16), default=Status.open)
    type: Mapped[str] = mapped_column(String(16), default=ConversationType.chat)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    last_seq: Mapped[int] = mapped_column(default=0)
    # Customer messages since an agent last read or answered the conversation.
    unread_count: Mapped[int] = mapped_column(default=0)
    contact_last_read_seq: Mapped[int] = mapped_column(default=0)
    last_message_body: Mapped[str | None] = mapped_column(String(200))
    last_message_author_type: Mapped[str | None] = mapped_column(String(16))
    last_message_kind: Mapped[str | None] = mapped_column(String(16))
    last_message_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Since when the customer has been waiting for an answer (None: not waiting).
    waiting_since: Mapped[datetime | None]
    transfer_count: Mapped[int] = mapped_column(default=0)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(Json, default=list)  # copy of conversation_tags
    fields: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # custom field values
    language: Mapped[str | None] = mapped_column(String(8))  # of the customer's first message
    snoozed_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    # SLA: the policy, each target's clock (helpline.desk.sla), and the next due time of a
    # running target with the moment it turns "at risk" (so filters and sorting are SQL).
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    sla: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    sla_due_at: Mapped[datetime | None]
    sla_warn_at: Mapped[datetime | None]
    csat_rating: Mapped[int | None]
    # Where the customer was when the conversation started: page, referrer, device, country.
    context: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # The idempotency key: one sender never stores the same client_id twice.
        UniqueConstraint("account_id", "author_type", "author_id", "client_id"),
        Index("ix_messages_external", "account_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int]
    author_type: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None]
    # The name the customer saw when the message was sent, kept even if the agent is renamed.
    author_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=MessageKind.text)
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # Files sent with the message: [{id, name, size, content_type}] (rows in `attachments`).
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    mentions: Mapped[list[int] | None] = mapped_column(Json)  # agents @mentioned in a note
    created_at: Mapped[datetime]
    # A message that leaves through a channel adapter: its Delivery state, why it failed, and
    # the channel's id of it (Telegram message_id, e-mail Message-ID ...), which the channel's
    # later reports (delivered, read) name. The customer's messages from a channel keep their
    # channel id here too.
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The inbox a message left or came through when that is not its conversation's: an
    # agent's answer to a site chat sent by e-mail, and the customer's e-mail reply to it.
    via_inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))


class Attachment(Base):
    """An uploaded file. Stored on disk under `storage_name` (random); never served inline
    unless it is a raster image."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    uploader_type: Mapped[str] = mapped_column(String(16))  # contact | agent
    uploader_id: Mapped[int]
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(BigId)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    created_at: Mapped[datetime]
