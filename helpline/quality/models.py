"""Reviews of conversations, and supervisors' marks on their findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, Json


class ConversationReview(Base):
    """The latest automatic review of a conversation (replaced when it is reviewed again)."""

    __tablename__ = "conversation_reviews"
    __table_args__ = (Index("ix_conversation_reviews_account", "account_id", "reviewed_at"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    assignee_id: Mapped[int | None]  # whose work it judges (the assignee when resolved)
    team_id: Mapped[int | None]
    score: Mapped[int]
    # [{fault, seq, reason}]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    reviewed_seq: Mapped[int]  # the conversation's last_seq when reviewed
    reviewed_at: Mapped[datetime]


class ReviewMark(Base):
    """A supervisor says a finding is wrong. Kept (and counted) to judge the reviewer."""

    __tablename__ = "review_marks"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    fault: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]
