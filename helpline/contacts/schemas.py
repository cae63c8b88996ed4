"""API shapes of contacts."""

from __future__ import annotations

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
