"""Messages between agents, by room: "team:<id>" or "dm:<low id>:<high id>"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_messages_room", "account_id", "room", "id"),
        UniqueConstraint("account_id", "author_id", "client_id"),  # a resend stores nothing new
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    room: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ChatRead(Base):
    """How far an agent has read a room."""

    __tablename__ = "chat_reads"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    room: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(BigId, default=0)
