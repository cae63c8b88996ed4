"""Tables of the channel adapters' own: the intake queue of webhook updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId, Json


class ChannelUpdate(Base):
    """One update a channel's webhook delivered, kept until it is processed
    (helpline.channels.intake)."""

    __tablename__ = "channel_updates"
    __table_args__ = (
        # A second delivery of the same update is not queued again.
        UniqueConstraint("inbox_id", "key"),
        # The claim: due updates in the order they came, and whether a chat has one before.
        Index("ix_channel_updates_due", "due_at", "id"),
        Index("ix_channel_updates_chat", "inbox_id", "chat", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int]
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))  # the channel's id of the update
    chat: Mapped[str] = mapped_column(String(200))  # updates of one chat are processed in order
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when it was given up on after the last attempt: kept, with its error, to look into.
    failed_at: Mapped[datetime | None]
