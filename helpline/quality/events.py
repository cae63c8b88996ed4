"""Typed events of the quality domain."""

from __future__ import annotations

from typing import Any, Literal

from helpline.core.events import Event


class ConversationReviewed(Event):
    type: Literal["conversation.reviewed"] = "conversation.reviewed"
    conversation_id: int
    review: dict[str, Any]
