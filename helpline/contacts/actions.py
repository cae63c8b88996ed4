"""Every change to contacts."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.contacts.events import ContactUpdated
from helpline.contacts.models import Contact, ContactIdentity
from helpline.contacts.schemas import contact_out
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField
from helpline.core.events import queue_event

# Deliberately permissive: one "@", something on both sides, a dot in the domain. Whether the
# address exists is learned by writing to it, not by a regular expression.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_ALLOWED = re.compile(r"^\+?[0-9 ()\-.]{5,30}$")


def clean_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField("Name must be text.", field="name")
    value = " ".join(value.split())
    if len(value) > 200:
        raise InvalidField("Name may have at most 200 characters.", field="name")
    return value or None


def clean_email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField("E-mail must be text.", field="email")
    value = value.strip()
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidField("This does not look like an e-mail address.", field="email")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_phone(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField("Phone must be text.", field="phone")
    value = value.strip()
    if not value:
        return None
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_ALLOWED.match(value) or not 5 <= digits <= 15:
        raise InvalidField("This does not look like a phone number.", field="phone")
    return value


def identity_value(kind: str, value: str) -> str:
    """How an identity's value is kept, so that one address met twice is one identity: an
    e-mail address in lower case, a phone number by its digits, any other id as it is."""
    if kind == "email":
        return value.strip().lower()
    if kind == "phone":
        return "".join(c for c in value if c.isdigit())
    return value


async def create_contact(session: AsyncSession, *, account_id: int, identity_kind: str, value: str) -> Contact:
    """A new contact known by one identity (its value kept as `identity_value` says)."""
    now = utcnow()
    contact = Contact(account_id=account_id, created_at=now, updated_at=now)
    session.add(contact)
    await session.flush()
    session.add(
        ContactIdentity(
            account_id=account_id,
            contact_id=contact.id,
            kind=identity_kind,
            value=identity_value(identity_kind, value),
            created_at=now,
        )
    )
    return contact


async def update_contact(
    session: AsyncSession,
    *,
    actor: Actor,
    contact: Contact,
    changes: dict[str, object],
) -> list[str]:
    """Set name / email / phone from `changes` (only the keys present). Returns what changed.

    Validates everything before touching anything, so a bad field changes nothing.
    """
    cleaners = {"name": clean_name, "email": clean_email, "phone": clean_phone}
    unknown = set(changes) - set(cleaners)
    if unknown:
        raise InvalidField(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    cleaned = {field: cleaners[field](value) for field, value in changes.items()}
    changed = []
    for field, value in cleaned.items():
        old = getattr(contact, field)
        if value is None or value == old:
            continue  # the pre-chat form never erases what a contact told us before
        setattr(contact, field, value)
        record_change(
            session,
            account_id=contact.account_id,
            actor=actor,
            entity_type="contact",
            entity_id=contact.id,
            field=field,
            old=old,
            new=value,
        )
        changed.append(field)
    if changed:
        contact.updated_at = utcnow()
        await announce_contact(session, contact)
    return changed


async def announce_contact(session: AsyncSession, contact: Contact) -> None:
    """Tell the consoles what the contact is now, identities and all (`contact.updated`)."""
    identities = (await session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id == contact.id))).all()
    queue_event(
        session,
        contact.account_id,
        ContactUpdated(contact=contact_out(contact, list(identities))),
        contact_id=contact.id,
        audience="agents",
    )
