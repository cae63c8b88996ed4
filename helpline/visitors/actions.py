"""Every change to website visitors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.contacts.actions import create_contact
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import InvalidField
from helpline.core.events import queue_event
from helpline.conversations.models import Inbox
from helpline.visitors import environment
from helpline.visitors.environment import country_of, describe_device, search_query_of, utm_of
from helpline.visitors.events import VisitorUpdated
from helpline.visitors.models import InvitationStats, Visitor
from helpline.visitors.queries import in_chat_contacts
from helpline.visitors.schemas import visitor_out

# A visitor who comes back after half an hour of silence starts a new visit (the usual
# web-analytics session length).
VISIT_GAP = timedelta(minutes=30)
MAX_TRAIL = 20


@dataclass(frozen=True, slots=True)
class Page:
    url: str | None
    title: str | None
    referrer: str | None


def _url(value: object, field: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidField(f"{field} must be a URL of at most 2000 characters.", field=field)
    if urlsplit(value).scheme not in ("http", "https"):
        raise InvalidField(f"{field} must be an http(s) URL.", field=field)
    return value


def clean_page(raw: object) -> Page | None:
    """Validate what the widget reports about the page it is on."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidField("page must be an object.", field="page")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidField("page.title must be text.", field="page.title")
    return Page(
        url=_url(raw.get("url"), "page.url"),
        title=" ".join(title.split())[:500] if title else None,
        referrer=_url(raw.get("referrer"), "page.referrer"),
    )


async def _announce(session: AsyncSession, visitor: Visitor) -> None:
    in_chat = await in_chat_contacts(session, [visitor.contact_id])
    queue_event(
        session,
        visitor.account_id,
        VisitorUpdated(contact_id=visitor.contact_id, visitor=visitor_out(visitor, in_chat=visitor.contact_id in in_chat)),
        contact_id=visitor.contact_id,
        audience="agents",
    )


async def start_visit(
    session: AsyncSession,
    *,
    inbox: Inbox,
    public_id: str | None,
    page: Page | None,
    ip: str | None,
    user_agent: str | None,
    language: str | None,
) -> Visitor:
    """Find the visitor of a (verified) visitor id, or make a new visitor and contact."""
    now = utcnow()
    visitor = None
    if public_id is not None:
        visitor = await session.scalar(
            select(Visitor).where(Visitor.public_id == public_id, Visitor.inbox_id == inbox.id)
        )
    if visitor is None:
        public_id = uuid.uuid4().hex
        contact = await create_contact(
            session, account_id=inbox.account_id, identity_kind="web", value=public_id
        )
        visitor = Visitor(
            account_id=inbox.account_id,
            inbox_id=inbox.id,
            contact_id=contact.id,
            public_id=public_id,
            visits=1,
            page_views=0,
            online=False,
            first_seen_at=now,
            last_seen_at=now,
        )
        session.add(visitor)
        _new_visit(visitor, page, now)
    elif now - visitor.last_seen_at > VISIT_GAP:
        visitor.visits += 1
        _new_visit(visitor, page, now)
    device = describe_device(user_agent)
    visitor.user_agent = (user_agent or "")[:500] or None
    visitor.browser, visitor.os, visitor.device = device.browser, device.os, device.device
    visitor.ip = ip
    visitor.country = country_of(ip)
    visitor.city = environment.city_lookup.city_of(ip)
    visitor.language = (language or "")[:35] or None
    visitor.last_seen_at = now
    if page is not None:
        _see_page(visitor, page)
    await session.flush()
    await _announce(session, visitor)
    return visitor


def _new_visit(visitor: Visitor, page: Page | None, now: datetime) -> None:
    """A visit starts (first ever, or after half an hour away): a fresh trail, and the
    landing page's tags tell where this visit came from."""
    visitor.visit_started_at = now
    visitor.pages = []
    visitor.page_views = 0
    visitor.utm = utm_of(page.url if page else None)
    visitor.search_query = None


def _see_page(visitor: Visitor, page: Page) -> None:
    if page.url and page.url != visitor.current_url:
        visitor.page_views += 1
        trail = list(visitor.pages or [])
        trail.append({"url": page.url, "title": page.title, "at": isoformat(utcnow())})
        visitor.pages = trail[-MAX_TRAIL:]  # a new list, so the JSON column is written
    if page.url:
        visitor.current_url, visitor.current_title = page.url, page.title
    # The referrer of the first page of a visit is where the visitor came from; later pages
    # are referred by the site itself and tell nothing new.
    if page.referrer and urlsplit(page.referrer).netloc != urlsplit(page.url or "").netloc:
        visitor.referrer = page.referrer
        visitor.search_query = search_query_of(page.referrer)
    if not visitor.utm and page.url:
        visitor.utm = utm_of(page.url)

async def visitor_seen(
    session: AsyncSession, *, visitor_id: int, page: Page | None = None, online: bool | None = None
) -> Visitor | None:
    """The widget reported a page or (dis)connected. Announces only real changes."""
    visitor = await session.get(Visitor, visitor_id, populate_existing=True)
    if visitor is None:
        return None
    before = (visitor.online, visitor.current_url, visitor.current_title, visitor.referrer)
    if page is not None:
        _see_page(visitor, page)
    if online is not None:
        visitor.online = online
    visitor.last_seen_at = utcnow()
    after = (visitor.online, visitor.current_url, visitor.current_title, visitor.referrer)
    await session.flush()
    if after != before:
        await _announce(session, visitor)
    return visitor


def visitor_context(v: Visitor) -> dict[str, Any]:
    """Where the visitor is: stored with a conversation the visitor opens."""
    return {
        "page": {"url": v.current_url, "title": v.current_title},
        "referrer": v.referrer,
        "browser": v.browser,
        "os": v.os,
        "device": v.device,
        "ip": v.ip,
        "country": v.country,
    }


async def mark_everyone_offline(session: AsyncSession) -> None:
    """At start-up of the only node (SQLite): nobody is connected to a process just started.
    Not announced: no client is connected yet either."""
    await session.execute(update(Visitor).where(Visitor.online.is_(True)).values(online=False))


async def count_invitation(session: AsyncSession, *, inbox_id: int, invitation_id: str, what: str) -> None:
    """One more showing (or acceptance) of a site's proactive invitation."""
    assert what in ("shown", "accepted")
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(InvitationStats).values(
        inbox_id=inbox_id, invitation_id=invitation_id, shown=int(what == "shown"), accepted=int(what == "accepted")
    )
    column = getattr(InvitationStats, what)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["inbox_id", "invitation_id"], set_={what: column + 1}
        )
    )
