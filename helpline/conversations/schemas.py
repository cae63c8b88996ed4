"""API shapes of conversations and messages (docs/protocol.md, "Objects")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from helpline.accounts.models import Agent, Team
from helpline.contacts.models import Contact
from helpline.core.clock import isoformat
from helpline.conversations.models import Conversation, Inbox, Message

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class AuthorOut(BaseModel):
    type: str
    id: int | None
    name: str | None


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    seq: int
    author: AuthorOut
    kind: str
    body: str
    attachments: list[dict[str, Any]]
    mentions: list[int]
    client_id: str | None
    created_at: str
    # Messages that leave through a channel adapter: {"status", "error"} (see
    # helpline.channels.delivery); None for the web chat, notes and the customer's messages.
    delivery: dict[str, Any] | None = None
    # The inbox it left or came through when not the conversation's (a site chat's answer
    # by e-mail, and the e-mail reply to it).
    via_inbox_id: int | None = None


class InboxRef(BaseModel):
    id: int
    name: str
    channel: str


class ContactRef(BaseModel):
    id: int
    name: str | None
    email: str | None
    phone: str | None


class AgentRef(BaseModel):
    id: int
    name: str


class TeamRef(BaseModel):
    id: int
    name: str


class LastMessage(BaseModel):
    body: str | None
    author_type: str | None
    kind: str | None
    created_at: str | None


class SlaOut(BaseModel):
    """The conversation's SLA: the next due time of a running target and when it turns "at
    risk" (clients colour it against their clock), and each target's clock."""

    policy_id: int | None
    due_at: str | None
    warn_at: str | None
    targets: dict[str, Any]


class ConversationOut(BaseModel):
    id: int
    number: int
    status: str
    type: str
    transfer_count: int
    inbox: InboxRef
    contact: ContactRef
    assignee: AgentRef | None
    team: TeamRef | None
    last_seq: int
    unread_count: int
    last_message: LastMessage | None
    created_at: str
    updated_at: str
    last_activity_at: str
    first_response_at: str | None
    resolved_at: str | None
    waiting_since: str | None
    priority: str
    category_id: int | None
    tags: list[str]
    fields: dict[str, Any]
    language: str | None
    snoozed_until: str | None
    closed_at: str | None
    sla: SlaOut | None
    csat_rating: int | None


class WidgetConversationOut(BaseModel):
    """What the customer's widget may know of a conversation."""

    id: int
    number: int
    status: str
    type: str
    last_seq: int
    csat_rating: int | None = None


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        author=AuthorOut(type=message.author_type, id=message.author_id, name=message.author_name),
        kind=message.kind,
        body=message.body,
        attachments=message.attachments or [],
        mentions=message.mentions or [],
        client_id=message.client_id,
        created_at=isoformat(message.created_at) or "",
        delivery=(
            {"status": message.delivery_status, "error": message.delivery_error} if message.delivery_status else None
        ),
        via_inbox_id=message.via_inbox_id,
    )


def conversation_out(
    conversation: Conversation, *, inbox: Inbox, contact: Contact, assignee: Agent | None, team: Team | None = None
) -> ConversationOut:
    last = None
    if conversation.last_message_at is not None:
        last = LastMessage(
            body=conversation.last_message_body,
            author_type=conversation.last_message_author_type,
            kind=conversation.last_message_kind,
            created_at=isoformat(conversation.last_message_at),
        )
    return ConversationOut(
        id=conversation.id,
        number=conversation.number,
        status=conversation.status,
        type=conversation.type,
        transfer_count=conversation.transfer_count,
        inbox=InboxRef(id=inbox.id, name=inbox.name, channel=inbox.channel),
        contact=ContactRef(id=contact.id, name=contact.name, email=contact.email, phone=contact.phone),
        assignee=AgentRef(id=assignee.id, name=assignee.name) if assignee else None,
        team=TeamRef(id=team.id, name=team.name) if team else None,
        last_seq=conversation.last_seq,
        unread_count=conversation.unread_count,
        last_message=last,
        created_at=isoformat(conversation.created_at) or "",
        updated_at=isoformat(conversation.updated_at) or "",
        last_activity_at=isoformat(conversation.last_activity_at) or "",
        first_response_at=isoformat(conversation.first_response_at),
        resolved_at=isoformat(conversation.resolved_at),
        waiting_since=isoformat(conversation.waiting_since),
        priority=conversation.priority,
        category_id=conversation.category_id,
        tags=conversation.tags or [],
        fields=conversation.fields or {},
        language=conversation.language,
        snoozed_until=isoformat(conversation.snoozed_until),
        closed_at=isoformat(conversation.closed_at),
        sla=SlaOut(
            policy_id=conversation.sla_policy_id,
            due_at=isoformat(conversation.sla_due_at),
            warn_at=isoformat(conversation.sla_warn_at),
            targets=conversation.sla,
        )
        if conversation.sla
        else None,
        csat_rating=conversation.csat_rating,
    )


def widget_conversation_out(conversation: Conversation) -> WidgetConversationOut:
    return WidgetConversationOut(
        id=conversation.id,
        number=conversation.number,
        status=conversation.status,
        type=conversation.type,
        last_seq=conversation.last_seq,
        csat_rating=conversation.csat_rating,
    )


class SendMessageIn(BaseModel):
    client_id: str = Field(pattern=CLIENT_ID_PATTERN)
    body: str = ""
    kind: Literal["text", "note", "whisper"] = "text"
    file_ids: list[int] = Field(default_factory=list, max_length=10)
    # Answer through this inbox instead of the conversation's (a site chat by e-mail).
    via_inbox_id: int | None = Field(None, strict=True)


class AssignIn(BaseModel):
    agent_id: int | None
    force: bool = Field(False, strict=True)  # past the assignee's capacity


class TransferIn(BaseModel):
    agent_id: int | None = None
    team_id: int | None = None
    note: str = Field("", max_length=5000)
    force: bool = Field(False, strict=True)


class TypingIn(BaseModel):
    active: bool = Field(strict=True)  # "yes" is not a boolean, as over the socket


class ReadIn(BaseModel):
    seq: int = Field(ge=0)


class InboxPatchIn(BaseModel):
    name: str | None = Field(None, max_length=200)
    settings: dict[str, Any] | None = None
    is_active: bool | None = Field(None, strict=True)  # a switched-off form answers 404


def inbox_out(inbox: Inbox) -> dict[str, Any]:
    settings = inbox.settings or {}
    if inbox.channel == "web":
        from helpline.channels.web.site import SiteSettings  # the channel knows its settings

        settings = SiteSettings.of(settings).model_dump(mode="json")
    elif inbox.channel == "form":
        from helpline.channels.form.settings import FormSettings

        settings = FormSettings.of(settings).model_dump(mode="json")
    out = {
        "id": inbox.id,
        "name": inbox.name,
        "channel": inbox.channel,
        "site_key": inbox.site_key,
        "is_active": inbox.is_active,
        "settings": settings,
    }
    from helpline.channels.base import adapter_for  # a channel adapter knows its secrets

    adapter = adapter_for(inbox.channel)
    if adapter is not None:
        out["settings"] = adapter.masked(settings)
        out["status"] = inbox.status
        out["last_error"] = inbox.last_error
        out["last_error_at"] = isoformat(inbox.last_error_at)
    return out
