"""API shapes of website visitors."""

from __future__ import annotations

from pydantic import BaseModel

from helpline.core.clock import isoformat
from helpline.visitors.models import Visitor


class PageOut(BaseModel):
    url: str | None
    title: str | None


class VisitorOut(BaseModel):
    visitor_id: str
    online: bool
    current_page: PageOut
    referrer: str | None
    browser: str | None
    os: str | None
    device: str | None
    ip: str | None
    country: str | None
    visits: int
    page_views: int
    first_seen_at: str
    last_seen_at: str
    language: str | None


def visitor_out(visitor: Visitor) -> VisitorOut:
    return VisitorOut(
        visitor_id=visitor.public_id,
        online=visitor.online,
        current_page=PageOut(url=visitor.current_url, title=visitor.current_title),
        referrer=visitor.referrer,
        browser=visitor.browser,
        os=visitor.os,
        device=visitor.device,
        ip=visitor.ip,
        country=visitor.country,
        visits=visitor.visits,
        page_views=visitor.page_views,
        first_seen_at=isoformat(visitor.first_seen_at) or "",
        last_seen_at=isoformat(visitor.last_seen_at) or "",
        language=visitor.language,
    )
