"""API shapes of contacts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from helpline.contacts.models import Contact, ContactIdentity
from helpline.core.clock import isoformat


class IdentityOut(BaseModel):
    kind: str
    value: str
    blocked: bool = False  # the channel refuses to deliver to it (the customer blocked the bot)


class ContactOut(BaseModel):
    id: int
    name: str | None
    email: str | None
    phone: str | None
    identities: list[IdentityOut]
    created_at: str
    merged_into_id: int | None = None  # merged into that contact (helpline.contacts.merge)


def contact_out(contact: Contact, identities: list[ContactIdentity]) -> ContactOut:
    return ContactOut(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        identities=[IdentityOut(kind=i.kind, value=i.value, blocked=i.blocked_at is not None) for i in identities],
        created_at=isoformat(contact.created_at) or "",
        merged_into_id=contact.merged_into_id,
    )


class ContactFound(ContactOut):
    """A contact as the contact search lists it: with how many conversations it has and when
    the latest of them was last active (None: it has none yet)."""

    conversations_count: int
    last_activity_at: str | None


def contact_found_out(
    contact: Contact, identities: list[ContactIdentity], *, conversations_count: int, last_activity_at: datetime | None
) -> ContactFound:
    return ContactFound(
        **contact_out(contact, identities).model_dump(),
        conversations_count=conversations_count,
        last_activity_at=isoformat(last_activity_at),
    )
