"""Reads of website visitors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.visitors.models import Visitor


async def visitor_of_contact(session: AsyncSession, contact_id: int) -> Visitor | None:
    """The most recently seen browser of a contact (a contact may use several)."""
    return await session.scalar(
        select(Visitor).where(Visitor.contact_id == contact_id).order_by(Visitor.last_seen_at.desc()).limit(1)
    )
