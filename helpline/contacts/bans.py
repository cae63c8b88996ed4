"""Bans: of a web visitor, an IP address or network, or a contact identity (e-mail, phone).

Bans are few and read on every widget start, so each node keeps the active bans of an
account in memory for a short while and drops them when any node signals a change.
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent
from helpline.contacts.actions import clean_email, clean_phone, identity_value
from helpline.contacts.models import Ban
from helpline.core.audit import Actor, record_change
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import Conflict, InvalidField, NotFound

if TYPE_CHECKING:
    from helpline.core.db import Database
    from helpline.core.hub import Hub

# A messenger identity (the customer's id on that channel, as `contact_identities` keeps it)
# can be banned too: someone who writes only through a bot has no e-mail or phone to ban.
MESSENGER_KINDS = ("telegram", "vk", "viber", "whatsapp")
KINDS = ("visitor", "ip", "email", "phone", *MESSENGER_KINDS)
_MESSENGER_ID = {
    "telegram": re.compile(r"^[0-9]{1,20}$"),  # a user id
    "vk": re.compile(r"^[0-9]{1,20}$"),  # a user id
    "viber": re.compile(r"^[A-Za-z0-9+/=]{1,64}$"),  # a user id (base64)
    "whatsapp": re.compile(r"^[0-9]{6,15}$"),  # the number's digits
}
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# A ban wider than this would shut out whole providers (or everyone, with /0).
_WIDEST_PREFIX = {4: 16, 6: 48}
CACHE_SECONDS = 30.0


def clean_ban_value(kind: str, value: object) -> str:
    if kind not in KINDS:
        raise InvalidField(f"kind is one of {', '.join(KINDS)}.", field="kind")
    if not isinstance(value, str) or not value.strip():
        raise InvalidField("value is required.", field="value")
    value = value.strip()
    if kind == "visitor":
        if not _VISITOR_ID.match(value):
            raise InvalidField("This is not a visitor id.", field="value")
        return value
    if kind == "ip":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise InvalidField("This is not an IP address or network.", field="value") from None
        if network.prefixlen < _WIDEST_PREFIX[network.version]:
            raise InvalidField(
                f"A network may be at most /{_WIDEST_PREFIX[network.version]} wide.", field="value"
            )
        # One address is stored as the address; a network in CIDR form.
        return str(network.network_address) if network.num_addresses == 1 else str(network)
    if kind in MESSENGER_KINDS:
        if kind == "whatsapp":
            value = identity_value("phone", value)
        if not _MESSENGER_ID[kind].match(value):
            raise InvalidField(f"This is not a {kind} id of a customer.", field="value")
        return value
    try:
        cleaned = clean_email(value) if kind == "email" else clean_phone(value)
    except InvalidField as error:
        raise InvalidField(error.message, field="value") from None
    assert cleaned is not None
    # Compared as identities are kept: "+7 (999) 123-45-67" is "79991234567".
    return identity_value(kind, cleaned)


def _expiry(minutes: int | None) -> datetime | None:
    if minutes is None:
        return None
    if not isinstance(minutes, int) or not 1 <= minutes <= 10 * 366 * 24 * 60:
        raise InvalidField("minutes must be from 1 to ten years, or null for ever.", field="minutes")
    return utcnow() + timedelta(minutes=minutes)


def is_active(ban: Ban, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return ban.lifted_at is None and (ban.expires_at is None or ban.expires_at > now)


def ban_out(ban: Ban, created_by: Agent | None) -> dict[str, Any]:
    return {
        "id": ban.id,
        "kind": ban.kind,
        "value": ban.value,
        "reason": ban.reason,
        "expires_at": isoformat(ban.expires_at),
        "lifted_at": isoformat(ban.lifted_at),
        "active": is_active(ban),
        "created_by": {"id": created_by.id, "name": created_by.name} if created_by else None,
        "created_at": isoformat(ban.created_at),
        "updated_at": isoformat(ban.updated_at),
    }


def _audit(session: AsyncSession, ban: Ban, actor: Agent, field: str, old: Any, new: Any) -> None:
    record_change(
        session, account_id=ban.account_id, actor=Actor("agent", actor.id, actor.name),
        entity_type="ban", entity_id=ban.id, field=field, old=old, new=new,
    )


def _active_filter(now: datetime) -> Any:
    return (Ban.lifted_at.is_(None)) & or_(Ban.expires_at.is_(None), Ban.expires_at > now)


async def create_ban(
    session: AsyncSession, *, actor: Agent, kind: str, value: object, reason: str, minutes: int | None
) -> Ban:
    value = clean_ban_value(kind, value)
    now = utcnow()
    existing = await session.scalar(
        select(Ban.id).where(Ban.account_id == actor.account_id, Ban.kind == kind, Ban.value == value, _active_filter(now))
    )
    if existing is not None:
        raise Conflict("This is banned already; edit that ban instead.")
    ban = Ban(
        account_id=actor.account_id, kind=kind, value=value, reason=reason.strip(), expires_at=_expiry(minutes),
        lifted_at=None, created_by_id=actor.id, created_at=now, updated_at=now,
    )
    session.add(ban)
    await session.flush()
    _audit(session, ban, actor, "created", None, f"{kind}: {value}")
    return ban


async def update_ban(
    session: AsyncSession, *, actor: Agent, ban: Ban, reason: str | None, minutes: int | None, set_minutes: bool
) -> None:
    """Change the reason, or the duration (counted from now; None: for ever)."""
    if reason is not None and reason.strip() != ban.reason:
        _audit(session, ban, actor, "reason", ban.reason, reason.strip())
        ban.reason = reason.strip()
    if set_minutes:
        expires_at = _expiry(minutes)
        _audit(session, ban, actor, "expires_at", isoformat(ban.expires_at), isoformat(expires_at))
        ban.expires_at = expires_at
    ban.updated_at = utcnow()
    await session.flush()


async def lift_ban(session: AsyncSession, *, actor: Agent, ban: Ban) -> None:
    if ban.lifted_at is not None:
        return
    ban.lifted_at = ban.updated_at = utcnow()
    _audit(session, ban, actor, "lifted_at", None, isoformat(ban.lifted_at))
    await session.flush()


async def get_ban_for(session: AsyncSession, agent: Agent, ban_id: int) -> Ban:
    ban = await session.get(Ban, ban_id, with_for_update=True)
    if ban is None or ban.account_id != agent.account_id:
        raise NotFound("No such ban.")
    return ban


@dataclass(frozen=True, slots=True)
class Who:
    """What a ban can match of someone who writes."""

    visitor_id: str | None = None
    ip: str | None = None
    email: str | None = None
    phone: str | None = None
    # (kind, value) of the channel identities it writes from: ("telegram", "123456") ...
    identities: tuple[tuple[str, str], ...] = ()


class BanList:
    """This node's cache of active bans per account."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[int, tuple[float, list[Ban]]] = {}

    def forget(self, account_id: int) -> None:
        self._cache.pop(account_id, None)

    def on_signal(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "bans.changed":
            self.forget(message["account_id"])

    async def announce(self, hub: Hub, account_id: int) -> None:
        """After a commit that changed bans: every node forgets its cache, and connected
        widgets of the account check whether they are banned now."""
        self.forget(account_id)
        await hub.signal({"kind": "bans.changed", "account_id": account_id, "to_all_widgets": True})

    async def _active(self, account_id: int) -> list[Ban]:
        cached = self._cache.get(account_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with self.db.read() as session:
            bans = list(
                (await session.scalars(select(Ban).where(Ban.account_id == account_id, _active_filter(utcnow())))).all()
            )
        self._cache[account_id] = (time.monotonic() + CACHE_SECONDS, bans)
        return bans

    async def any_active(self, account_id: int) -> bool:
        """Whether the account bans anyone at all (most do not: callers skip their checks)."""
        return bool(await self._active(account_id))

    async def banned(self, account_id: int, who: Who) -> bool:
        bans = await self._active(account_id)
        if not bans:
            return False
        now = utcnow()
        address = _address(who.ip)
        email = identity_value("email", who.email) if who.email else None
        phone = identity_value("phone", who.phone) if who.phone else None
        for ban in bans:
            if not is_active(ban, now):
                continue
            if (
                (ban.kind == "visitor" and ban.value == who.visitor_id)
                or (ban.kind == "email" and ban.value == email)
                or (ban.kind == "phone" and ban.value == phone)
                or (ban.kind == "ip" and address is not None and _in(address, ban.value))
                or (ban.kind in MESSENGER_KINDS and (ban.kind, ban.value) in who.identities)
            ):
                return True
        return False


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip) if ip else None
    except ValueError:
        return None


def _in(address: ipaddress.IPv4Address | ipaddress.IPv6Address, network: str) -> bool:
    try:
        return address in ipaddress.ip_network(network)
    except ValueError:
        return False
