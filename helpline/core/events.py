"""The event log: typed events, queued by actions and written in their transaction.

The log is the truth and the bus only a doorbell (DESIGN.md): a client that reconnects reads
what it missed from here, by event id. Ids must therefore become visible in id order. SQLite
has one writer, so they do. On PostgreSQL a sequence hands out ids before commit, so two
transactions could commit out of order and a reader could skip the smaller id; holding a
per-account advisory lock from writing the events until commit makes the events of an account
commit in id order. Events are written last in the transaction, after every row lock an action
takes, so that lock is always taken last and cannot deadlock with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
import orjson
from sqlalchemy import Index, String, Text, insert, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId
from helpline.core.clock import isoformat, utcnow

_QUEUE_KEY = "helpline.events"
_ADVISORY_LOCK_CLASS = 7_001  # first key of pg_advisory_xact_lock(int, int): "event log"

Audience = Literal["public", "agents"]


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_account_id_id", "account_id", "id"),
        {"sqlite_autoincrement": True},  # never reuse an id, even of a deleted newest row
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(index=False)
    type: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    # "public" events may reach the customer's widget; "agents" ones (internal notes) never.
    audience: Mapped[str] = mapped_column(String(16))
    # The event's data as JSON text: serialised once when the event is queued and spliced
    # into frames as it is, never parsed and re-serialised on the way to clients.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Event(BaseModel):
    """Base of every typed event: subclasses declare `type` as a Literal and their data."""

    model_config = ConfigDict(frozen=True)
    type: str


def queue_event(
    session: AsyncSession,
    account_id: int,
    event: Event,
    *,
    conversation_id: int | None = None,
    contact_id: int | None = None,
    audience: Audience = "public",
) -> None:
    """Queue `event` to be written in the current transaction and announced after commit."""
    session.info.setdefault(_QUEUE_KEY, []).append(
        {
            "account_id": account_id,
            "type": event.type,
            "conversation_id": conversation_id,
            "contact_id": contact_id,
            "audience": audience,
            "payload": event.model_dump_json(exclude={"type"}),
        }
    )


def queued_events(session: AsyncSession) -> list[dict[str, Any]]:
    """What the current transaction has queued so far (for tests that pin contracts)."""
    return list(session.info.get(_QUEUE_KEY, ()))


async def write_queued(session: AsyncSession) -> set[int]:
    """Write the queued events; call last inside the transaction. Returns their accounts."""
    rows = session.info.pop(_QUEUE_KEY, None)
    if not rows:
        return set()
    accounts = {row["account_id"] for row in rows}
    if session.bind.dialect.name == "postgresql":
        for account_id in sorted(accounts):
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:cls, :account)"),
                {"cls": _ADVISORY_LOCK_CLASS, "account": account_id},
            )
    now = utcnow()
    for row in rows:
        row["created_at"] = now
    await session.execute(_INSERT_EVENT, rows)
    return accounts


_INSERT_EVENT = insert(EventRecord.__table__)  # Core, built once: this runs for every change


def event_frame_text(
    event_id: int, event_type: str, conversation_id: int | None, payload: str, created_at: datetime
) -> str:
    """The console `event` frame (docs/protocol.md) as JSON text, around the stored payload."""
    return (
        f'{{"type":"event","id":{event_id},"event":{orjson.dumps(event_type).decode()},'
        f'"conversation_id":{orjson.dumps(conversation_id).decode()},"data":{payload},'
        f'"created_at":"{isoformat(created_at)}"}}'
    )


def event_frame(record: EventRecord) -> dict[str, Any]:
    """The same frame as a dict, for replies that embed events in a larger document."""
    return {
        "type": "event",
        "id": record.id,
        "event": record.type,
        "conversation_id": record.conversation_id,
        "data": orjson.loads(record.payload),
        "created_at": isoformat(record.created_at),
    }
