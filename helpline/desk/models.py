"""Service-desk tables: categories, custom fields, tags, SLA policies, routing rules, saved
views, macros, web-form submissions and customer ratings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId, Json


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


PRIORITY_ORDER = {p: i for i, p in enumerate(Priority)}


class FieldType(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    select = "select"
    multiselect = "multiselect"


class Category(Base):
    """A node of the account's category tree ("Payments" › "Refunds")."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("account_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class CustomField(Base):
    """A field every conversation of the account may carry (values live in `conversations.fields`)."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    options: Mapped[list[str] | None] = mapped_column(Json)  # for select and multiselect
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ConversationTag(Base):
    """A tag on a conversation, for filtering (the conversation keeps a copy in `tags`)."""

    __tablename__ = "conversation_tags"
    __table_args__ = (Index("ix_conversation_tags_account_tag", "account_id", "tag"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    account_id: Mapped[int]


class SlaPolicy(Base):
    """Response and resolution targets per priority, counted in business hours."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Validated by helpline.desk.sla.PolicyRules: targets, hours, escalation, scope.
    rules: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class RoutingRule(Base):
    """One of the account's ordered routing rules (validated by helpline.desk.rules.Rule)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    rule: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SavedView(Base):
    """A named set of inbox filters, the agent's own or shared with the account (agent_id None)."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(Json)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Macro(Base):
    """Several actions and an editable reply, applied with one click."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class FormSubmission(Base):
    """What a customer sent through a web form, exactly as sent. Never updated: later edits of
    the conversation are audit entries, and this row stays the original."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("inbox_id", "client_id"),)


class CsatRating(Base):
    """The customer's rating of a resolved conversation, credited to the agent who had it."""

    __tablename__ = "csat_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
