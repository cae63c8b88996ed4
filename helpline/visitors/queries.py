"""Reads of website visitors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.conversations.models import Conversation, Status
from helpline.visitors.models import Visitor

MAX_LIVE = 500


async def visitor_of_contact(session: AsyncSession, contact_id: int) -> Visitor | None:
    """The most recently seen browser of a contact (a contact may use several)."""
    return await session.scalar(
        select(Visitor).where(Visitor.contact_id == contact_id).order_by(Visitor.last_seen_at.desc()).limit(1)
    )


async def in_chat_contacts(session: AsyncSession, contact_ids: list[int]) -> set[int]:
    """Which of these contacts have an open conversation."""
    if not contact_ids:
        return set()
    rows = await session.scalars(
        select(Conversation.contact_id)
        .where(Conversation.contact_id.in_(contact_ids), Conversation.status == Status.open)
        .distinct()
    )
    return set(rows.all())


async def live_visitors(session: AsyncSession, account_id: int) -> list[Visitor]:
    """The visitors on the account's sites right now, most recently active first."""
    return list(
        (
            await session.scalars(
                select(Visitor)
                .where(Visitor.account_id == account_id, Visitor.online.is_(True))
                .order_by(Visitor.last_seen_at.desc())
                .limit(MAX_LIVE)
            )
        ).all()
    )
