"""Typed events of the conversations domain (docs/protocol.md, "Event types")."""

from __future__ import annotations

from typing import Literal

from helpline.core.events import Event
from helpline.conversations.schemas import ConversationOut, MessageOut


class ConversationCreated(Event):
    type: Literal["conversation.created"] = "conversation.created"
    conversation: ConversationOut


class ConversationUpdated(Event):
    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationOut
    changed: list[str]


class MessageCreated(Event):
    type: Literal["message.created"] = "message.created"
    message: MessageOut
    conversation: ConversationOut
