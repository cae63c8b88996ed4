"""The audit trail: who changed which field of what, from what to what, when. Append-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId
from helpline.core.clock import isoformat, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: an agent, a contact (the customer), or the system itself."""

    type: str  # "agent" | "contact" | "system"
    id: int | None
    name: str | None = None


SYSTEM = Actor("system", None, "Helpline")


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "account_id", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int]
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


def _text(value: Any) -> str | None:
    """A value as the trail keeps it: lists and maps as JSON, times in ISO 8601, the rest as text."""
    if value is None:
        return None
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, datetime):
        return isoformat(value)
    return str(value)


def record_change(
    session: AsyncSession,
    *,
    account_id: int,
    actor: Actor,
    entity_type: str,
    entity_id: int,
    field: str,
    old: Any,
    new: Any,
) -> None:
    """Add one audit entry to the current transaction (call from actions only)."""
    session.add(
        AuditEntry(
            account_id=account_id,
            actor_type=actor.type,
            actor_id=actor.id,
            entity_type=entity_type,
            entity_id=entity_id,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            created_at=utcnow(),
        )
    )
