"""Website visitors: the browser behind a web contact, and what it last reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, Json


class Visitor(Base):
    __tablename__ = "visitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in the visitor token
    visits: Mapped[int] = mapped_column(default=1)
    page_views: Mapped[int] = mapped_column(default=0)
    current_url: Mapped[str | None] = mapped_column(String(2000))
    current_title: Mapped[str | None] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    # What the visitor searched for, read from a search engine's referrer.
    search_query: Mapped[str | None] = mapped_column(String(200))
    utm: Mapped[dict[str, Any] | None]  # utm_* tags of the visit's landing page
    # This visit's trail, newest last: [{url, title, at}] (at most 20).
    pages: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    visit_started_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(500))
    browser: Mapped[str | None] = mapped_column(String(100))
    os: Mapped[str | None] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(35))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class InvitationStats(Base):
    """How often a site's proactive invitation was shown and accepted."""

    __tablename__ = "invitation_stats"

    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shown: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
