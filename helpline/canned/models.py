"""Canned responses of an account: shared ones, and each agent's personal ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base


class CannedResponse(Base):
    __tablename__ = "canned_responses"
    __table_args__ = (Index("ix_canned_responses_owner", "account_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # None: shared by the whole account; otherwise the agent whose personal response it is.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    shortcut: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
