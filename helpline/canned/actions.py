"""Every change to canned responses, and filling their placeholders."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Role
from helpline.canned.models import CannedResponse
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import Conflict, Forbidden, InvalidField, NotFound

_SHORTCUT = re.compile(r"^[\w-]{1,64}$")  # \w is Unicode: "привет" is a fine shortcut
# {{ contact.name | друг }}: a name, then an optional fallback up to the closing braces.
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*(?:\|([^{}]*))?\}\}")
PLACEHOLDERS = (
    "contact.name", "contact.email", "contact.phone", "agent.name", "agent.first_name", "site.name",
    "conversation.number",
)


def clean_shortcut(value: str) -> str:
    value = value.strip().lstrip("/").lower()
    if not _SHORTCUT.match(value):
        raise InvalidField("A shortcut is 1-64 letters, digits, _ or -.", field="shortcut")
    return value


def clean_canned_body(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidField("The text is required.", field="body")
    if len(value) > 5000:
        raise InvalidField("The text may have at most 5000 characters.", field="body")
    for match in PLACEHOLDER.finditer(value):
        if match.group(1) not in PLACEHOLDERS:
            raise InvalidField(
                f"Unknown placeholder {{{{{match.group(1)}}}}}; known: {', '.join(PLACEHOLDERS)}.", field="body"
            )
    return value


def placeholder_values(agent: Agent, conversation: Any, contact: Any, inbox: Any) -> dict[str, Any]:
    """What the placeholders of a reply to `conversation` by `agent` stand for."""
    return {
        "contact.name": contact.name if contact else None,
        "contact.email": contact.email if contact else None,
        "contact.phone": contact.phone if contact else None,
        "agent.name": agent.name,
        "agent.first_name": agent.name.split()[0] if agent.name.split() else None,
        "site.name": inbox.name if inbox else None,
        "conversation.number": conversation.number,
    }


def render(body: str, values: dict[str, Any]) -> str:
    """Fill placeholders; an empty value takes the fallback after `|` (or stays empty)."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None or str(value).strip() == "":
            return (match.group(2) or "").strip()
        return str(value)

    return PLACEHOLDER.sub(fill, body)


def _may_edit(actor: Agent, canned: CannedResponse) -> None:
    if canned.owner_id is None:
        if actor.role == Role.agent:
            raise Forbidden("Only supervisors and admins edit shared responses.")
    elif canned.owner_id != actor.id:
        raise NotFound("No such canned response.")  # another agent's personal one: not yours to see


async def _check_unique(session: AsyncSession, actor: Agent, owner_id: int | None, shortcut: str, skip: int | None) -> None:
    query = select(CannedResponse.id).where(
        CannedResponse.account_id == actor.account_id,
        CannedResponse.shortcut == shortcut,
        CannedResponse.owner_id.is_(None) if owner_id is None else CannedResponse.owner_id == owner_id,
    )
    if skip is not None:
        query = query.where(CannedResponse.id != skip)
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict(f"/{shortcut} is taken already.")


def _audit(session: AsyncSession, canned: CannedResponse, actor: Agent, field: str, old: Any, new: Any) -> None:
    record_change(
        session, account_id=canned.account_id, actor=Actor("agent", actor.id, actor.name),
        entity_type="canned_response", entity_id=canned.id, field=field, old=old, new=new,
    )


async def create_canned(
    session: AsyncSession, *, actor: Agent, shortcut: str, title: str, body: str, scope: str
) -> CannedResponse:
    if scope == "shared" and actor.role == Role.agent:
        raise Forbidden("Only supervisors and admins add shared responses.")
    owner_id = None if scope == "shared" else actor.id
    shortcut = clean_shortcut(shortcut)
    body = clean_canned_body(body)
    await _check_unique(session, actor, owner_id, shortcut, None)
    now = utcnow()
    canned = CannedResponse(
        account_id=actor.account_id, owner_id=owner_id, shortcut=shortcut, title=" ".join(title.split()),
        body=body, created_at=now, updated_at=now,
    )
    session.add(canned)
    await session.flush()
    _audit(session, canned, actor, "created", None, f"/{shortcut}")
    return canned


async def update_canned(session: AsyncSession, *, actor: Agent, canned: CannedResponse, changes: dict[str, Any]) -> None:
    _may_edit(actor, canned)
    if changes.get("scope") is not None and changes["scope"] != ("shared" if canned.owner_id is None else "personal"):
        raise InvalidField("The scope of a response cannot change; create a new one.", field="scope")
    cleaned = {
        "shortcut": clean_shortcut(changes["shortcut"]) if changes.get("shortcut") is not None else None,
        "title": " ".join(changes["title"].split()) if changes.get("title") is not None else None,
        "body": clean_canned_body(changes["body"]) if changes.get("body") is not None else None,
    }
    if cleaned["shortcut"] is not None:
        await _check_unique(session, actor, canned.owner_id, cleaned["shortcut"], canned.id)
    for field, new in cleaned.items():
        if new is not None and new != getattr(canned, field):
            _audit(session, canned, actor, field, getattr(canned, field), new)
            setattr(canned, field, new)
    canned.updated_at = utcnow()
    await session.flush()


async def delete_canned(session: AsyncSession, *, actor: Agent, canned: CannedResponse) -> None:
    _may_edit(actor, canned)
    _audit(session, canned, actor, "deleted", f"/{canned.shortcut}", None)
    await session.delete(canned)
    await session.flush()


async def get_canned_for(session: AsyncSession, agent: Agent, canned_id: int, *, lock: bool = False) -> CannedResponse:
    """A shared response of the agent's account or the agent's own; "not found" otherwise."""
    canned = await session.get(CannedResponse, canned_id, with_for_update=lock)
    if (
        canned is None
        or canned.account_id != agent.account_id
        or canned.owner_id not in (None, agent.id)
    ):
        raise NotFound("No such canned response.")
    return canned
