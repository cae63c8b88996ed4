"""The settings of a website inbox (kept in `inboxes.settings`) and the visitor token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, AgentStatus
from helpline.core.clock import utcnow

from helpline.core.errors import InvalidToken, TokenExpired
from helpline.desk.hours import BusinessHours

FieldMode = Literal["hidden", "optional", "required"]


class PrechatFields(BaseModel):
    name: FieldMode = "optional"
    email: FieldMode = "optional"
    phone: FieldMode = "optional"

    def required(self) -> tuple[str, ...]:
        return tuple(f for f in ("name", "email", "phone") if getattr(self, f) == "required")


class InvitationConditions(BaseModel):
    time_on_page: int | None = Field(None, ge=0, le=86400)
    time_on_site: int | None = Field(None, ge=0, le=86400)
    url: str | None = Field(None, max_length=500)  # a glob: * is any characters
    pages_viewed: int | None = Field(None, ge=0, le=1000)
    visit_number: int | None = Field(None, ge=0, le=100000)
    referrer: str | None = Field(None, max_length=200)
    utm: dict[str, str] | None = None
    countries: list[str] | None = Field(None, max_length=250)
    only_when_online: bool = Field(True, strict=True)

    @field_validator("utm")
    @classmethod
    def _utm_tags(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            if len(value) > 5 or any(not key.startswith("utm_") or len(key) > 40 or len(v) > 200 for key, v in value.items()):
                raise ValueError("utm holds at most 5 utm_* tags")
        return value

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if any(not re.fullmatch(r"[A-Za-z]{2}", code) for code in value):
                raise ValueError("countries are two-letter ISO codes")
            value = [code.upper() for code in value]
        return value


class Invitation(BaseModel):
    """A proactive invitation: shown by the widget when every condition holds."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    text: str = Field(min_length=1, max_length=300)
    enabled: bool = Field(True, strict=True)
    conditions: InvitationConditions = InvitationConditions()
    frequency: Literal["once_per_visit", "once_per_day", "once", "every_page"] = "once_per_visit"


class SiteSettings(BaseModel):
    title: str = Field("", max_length=100)
    greeting: str = Field("", max_length=500)
    color: str = Field("#2563eb", pattern=r"^#[0-9a-fA-F]{6}$")
    position: Literal["left", "right"] = "right"
    language: Literal["auto", "ru", "en"] = "auto"
    prechat: PrechatFields = PrechatFields()
    # Shown above the offline form (outside business hours, or when no agent is online).
    offline_text: str = Field("", max_length=500)
    offline_when_no_agents: bool = Field(True, strict=True)
    hours: BusinessHours | None = None  # None: always open
    callback: bool = Field(True, strict=True)  # offer "call me back"
    transcript: bool = Field(True, strict=True)  # let visitors have the conversation e-mailed
    logo_url: str | None = Field(None, max_length=500, pattern=r"^https://")
    size: Literal["compact", "standard", "large"] = "standard"
    sounds: bool = Field(True, strict=True)
    # Operators see the visitor's draft as it is typed; the widget tells the visitor so.
    typing_preview: bool = Field(False, strict=True)
    invitation_text: str = Field("", max_length=300)
    # Load the chat in the background on every page, so the visitor is in the live list.
    track_visitors: bool = Field(True, strict=True)
    # Ask the visitor to rate a resolved conversation.
    csat: bool = Field(True, strict=True)
    invitations: list[Invitation] = Field(default_factory=list, max_length=20)

    @field_validator("invitations")
    @classmethod
    def _unique_ids(cls, value: list[Invitation]) -> list[Invitation]:
        if len({i.id for i in value}) != len(value):
            raise ValueError("invitation ids must be unique")
        return value

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> SiteSettings:
        return cls.model_validate(raw or {})


@dataclass(frozen=True, slots=True)
class Site:
    """What a widget connection needs of its inbox, shared by all its connections.

    Quacks like `Inbox` for the actions (id, account_id, name, channel); thousands of idle
    connections then hold one small object instead of an ORM instance each.
    """

    id: int
    account_id: int
    name: str
    channel: str
    settings: SiteSettings

    @classmethod
    def of(cls, inbox: Any) -> Site:
        key = (inbox.id, inbox.account_id, inbox.name, repr(sorted((inbox.settings or {}).items())))
        site = _sites.get(key)
        if site is None:
            if len(_sites) > 10_000:
                _sites.clear()
            site = _sites[key] = cls(inbox.id, inbox.account_id, inbox.name, inbox.channel, SiteSettings.of(inbox.settings))
        return site


_sites: dict[tuple[Any, ...], Site] = {}


Mode = Literal["online", "offline", "hidden"]


async def site_mode(session: AsyncSession, site: Site) -> Mode:
    """Whether the widget offers the chat or the offline form (bans are checked apart)."""
    settings = site.settings
    if settings.hours is not None and not settings.hours.is_open(utcnow()):
        return "offline"
    if settings.offline_when_no_agents:
        someone = await session.scalar(
            select(Agent.id)
            .where(Agent.account_id == site.account_id, Agent.status == AgentStatus.online, Agent.is_active.is_(True))
            .limit(1)
        )
        if someone is None:
            return "offline"
    return "online"


class VisitorTokens:
    """Signed visitor tokens: which account, inbox and visitor a browser is.

    The token is the only credential of an anonymous visitor; it is refreshed on every
    session start, so it expires only after `days` without a visit.
    """

    def __init__(self, secret: str, days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="helpline.visitor.v1")
        self.max_age = days * 86400

    def issue(self, *, account_id: int, inbox_id: int, visitor_id: str) -> str:
        return self._serializer.dumps({"a": account_id, "i": inbox_id, "v": visitor_id})

    def read(self, token: object) -> tuple[int, int, str]:
        if not isinstance(token, str) or not token or len(token) > 500:
            raise InvalidToken()
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired as exc:
            raise TokenExpired() from exc
        except BadSignature as exc:
            raise InvalidToken() from exc
        try:
            return int(data["a"]), int(data["i"]), str(data["v"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken() from exc
