"""Typed events of the conversations domain (docs/protocol.md, "Event types")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from helpline.core.events import Event
from helpline.conversations.schemas import ConversationOut, MessageOut


class ConversationCreated(Event):
    type: Literal["conversation.created"] = "conversation.created"
    conversation: ConversationOut


class ChangedBy(BaseModel):
    type: str  # agent | contact | system
    id: int | None
    name: str | None


class ConversationUpdated(Event):
    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationOut
    changed: list[str]
    by: ChangedBy | None = None  # who made the change (None: the system, or unknown)


class MessageCreated(Event):
    type: Literal["message.created"] = "message.created"
    message: MessageOut
    conversation: ConversationOut


class DeliveryOut(BaseModel):
    status: str  # pending | sent | delivered | read | failed
    error: str | None = None


class MessageDelivery(Event):
    """A message's delivery through its channel moved on (helpline.channels.delivery)."""

    type: Literal["message.delivery"] = "message.delivery"
    conversation_id: int
    message_id: int
    seq: int
    delivery: DeliveryOut
