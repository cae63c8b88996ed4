"""Widget REST: start or resume a visitor (docs/protocol.md, "Widget")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from helpline.accounts.models import Account
from helpline.accounts.settings import AccountSettings
from helpline.channels.web.site import Site, SiteSettings, site_mode
from helpline.contacts.bans import Who
from helpline.contacts.models import Contact
from helpline.core.errors import HelplineError, InvalidToken, UnknownSite
from helpline.core.http import ServicesDep, client_ip
from helpline.conversations.models import Conversation, Inbox
from helpline.visitors.actions import clean_page, start_visit
from helpline.visitors.models import Visitor

router = APIRouter(prefix="/api/widget/v1")


class SessionIn(BaseModel):
    site_key: str = Field(min_length=1, max_length=64)
    visitor_token: str | None = Field(None, max_length=500)
    page: dict[str, Any] | None = None
    locale: str | None = Field(None, max_length=35)


async def active_site(session: Any, site_key: str) -> Inbox:
    inbox = await session.scalar(select(Inbox).where(Inbox.site_key == site_key, Inbox.is_active.is_(True)))
    if inbox is None:
        raise UnknownSite()
    return inbox


# What a banned visitor gets: nothing to draw, nothing that invites a retry.
HIDDEN: dict[str, Any] = {"mode": "hidden"}


def site_out(inbox: Inbox) -> dict[str, Any]:
    """The widget's view of the site settings (the business hours and the agent rule stay
    on the server: the widget learns their outcome as `mode`)."""
    settings = SiteSettings.of(inbox.settings)
    out = settings.model_dump(mode="json", exclude={"hours", "offline_when_no_agents"})
    out["invitations"] = [i for i in out["invitations"] if i["enabled"]]
    return {"name": inbox.name, **out}


@router.get("/mode")
async def launcher_mode(request: Request, services: ServicesDep, site: str = "", visitor: str | None = None) -> dict:
    """What the launcher needs to draw itself; reads only, so every page view may ask."""
    async with services.db.read() as session:
        inbox = await active_site(session, site[:64])
        public_id = None
        if visitor:
            try:
                account_id, inbox_id, public_id = services.tokens.read(visitor)
            except HelplineError:
                public_id = None  # a stale token: the session call will sort it out
            else:
                if (account_id, inbox_id) != (inbox.account_id, inbox.id):
                    public_id = None
        ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
        email = phone = None
        if public_id is not None:  # a known visitor: their e-mail and phone count too
            row = (
                await session.execute(
                    select(Contact.email, Contact.phone)
                    .join(Visitor, Visitor.contact_id == Contact.id)
                    .where(Visitor.public_id == public_id, Visitor.inbox_id == inbox.id)
                )
            ).one_or_none()
            if row is not None:
                email, phone = row
        if await services.bans.banned(inbox.account_id, Who(public_id, ip, email, phone)):
            return HIDDEN
        site_view = Site.of(inbox)
        mode = await site_mode(session, site_view)
    return {
        "mode": mode,
        "track_visitors": site_view.settings.track_visitors,
        "color": site_view.settings.color,
        "position": site_view.settings.position,
    }


@router.post("/session")
async def start_session(body: SessionIn, request: Request, services: ServicesDep) -> dict:
    page = clean_page(body.page)
    public_id = None
    async with services.db.read() as session:
        inbox = await active_site(session, body.site_key)
    if body.visitor_token:
        account_id, inbox_id, public_id = services.tokens.read(body.visitor_token)
        if (account_id, inbox_id) != (inbox.account_id, inbox.id):
            raise InvalidToken()  # a token of another site: never let it reach this one's data
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
    if await services.bans.banned(inbox.account_id, Who(public_id, ip)):
        return HIDDEN  # checked before anything is written: a banned address cannot fill the database
    async with services.db.transaction() as session:
        visitor = await start_visit(
            session,
            inbox=inbox,
            public_id=public_id,
            page=page,
            ip=ip,
            user_agent=request.headers.get("user-agent"),
            language=body.locale,
        )
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        mode = await site_mode(session, Site.of(inbox))
        account = await session.get(Account, inbox.account_id)
        has_conversations = (
            await session.scalar(
                select(Conversation.id).where(
                    Conversation.contact_id == contact.id, Conversation.inbox_id == inbox.id
                ).limit(1)
            )
        ) is not None
    if await services.bans.banned(inbox.account_id, Who(visitor.public_id, ip, contact.email, contact.phone)):
        return HIDDEN
    token = services.tokens.issue(account_id=inbox.account_id, inbox_id=inbox.id, visitor_id=visitor.public_id)
    return {
        "visitor_token": token,
        "visitor_id": visitor.public_id,
        "mode": mode,
        # What the visitor may attach, so the widget can say so before uploading.
        "site": {**site_out(inbox), "files": AccountSettings.of(account.settings if account else None).files.model_dump()},
        "contact": {"name": contact.name, "email": contact.email, "phone": contact.phone},
        "has_conversations": has_conversations,
    }
