"""Accounts (tenants), their agents and the agents' console sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, Json


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


class AgentStatus(StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Conversations are numbered per account (#1, #2 ...); the counter lives here and is
    # incremented under the row lock of the transaction that opens a conversation.
    last_conversation_number: Mapped[int] = mapped_column(default=0)
    # Per-account settings (SMTP, file limits, auto-away ...), validated by
    # `helpline.accounts.settings.AccountSettings`.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # login is global
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=Role.agent)
    status: Mapped[str] = mapped_column(String(16), default=AgentStatus.offline)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The most conversations the agent should carry at once (assignment respects it).
    capacity: Mapped[int] = mapped_column(default=5)
    # What the agent is routed: {"languages": ["ru"], "categories": [3, 7]}; empty: anything.
    skills: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # Refreshed while a console is connected; an agent unseen for a while is set offline.
    last_seen_at: Mapped[datetime | None]


class AgentSession(Base):
    """A console login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class Team(Base):
    """A group of agents (a department, a queue): a chat room of its own, a transfer target."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    # How waiting conversations are given out: "least_loaded" | "round_robin" | "manual".
    assignment: Mapped[str] = mapped_column(String(16), default="least_loaded")
    # Seconds an assignee may leave a waiting customer before it goes to someone else (0: never).
    reassign_after: Mapped[int] = mapped_column(default=0)
    last_assigned_agent_id: Mapped[int | None]  # where round-robin continues
    created_at: Mapped[datetime]


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True, index=True)
