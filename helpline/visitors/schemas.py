"""API shapes of website visitors."""

from __future__ import annotations

from pydantic import BaseModel

from helpline.core.clock import isoformat
from helpline.visitors.models import Visitor


class PageOut(BaseModel):
    url: str | None
    title: str | None


class TrailPage(BaseModel):
    url: str | None
    title: str | None
    at: str | None


class VisitorOut(BaseModel):
    visitor_id: str
    contact_id: int
    online: bool
    current_page: PageOut
    pages: list[TrailPage]
    referrer: str | None
    search_query: str | None
    utm: dict[str, str] | None
    browser: str | None
    os: str | None
    device: str | None
    ip: str | None
    country: str | None
    city: str | None
    visits: int
    page_views: int
    visit_started_at: str | None
    in_chat: bool
    first_seen_at: str
    last_seen_at: str
    language: str | None


def visitor_out(visitor: Visitor, *, in_chat: bool = False) -> VisitorOut:
    return VisitorOut(
        visitor_id=visitor.public_id,
        contact_id=visitor.contact_id,
        online=visitor.online,
        current_page=PageOut(url=visitor.current_url, title=visitor.current_title),
        pages=[TrailPage(**p) for p in visitor.pages or []],
        referrer=visitor.referrer,
        search_query=visitor.search_query,
        utm=visitor.utm,
        browser=visitor.browser,
        os=visitor.os,
        device=visitor.device,
        ip=visitor.ip,
        country=visitor.country,
        city=visitor.city,
        visits=visitor.visits,
        page_views=visitor.page_views,
        visit_started_at=isoformat(visitor.visit_started_at),
        in_chat=in_chat,
        first_seen_at=isoformat(visitor.first_seen_at) or "",
        last_seen_at=isoformat(visitor.last_seen_at) or "",
        language=visitor.language,
    )
