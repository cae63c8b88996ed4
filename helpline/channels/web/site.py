"""The settings of a website inbox (kept in `inboxes.settings`) and the visitor token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field
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
