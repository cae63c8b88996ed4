"""Contacts: one person with many identities (web visitor id now; e-mail, phone, messenger
ids as channels arrive), so the whole history is in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, Json


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Merged into another contact (helpline.contacts.merge): kept, so the merge can be undone.
    # No foreign key: adding one would make SQLite copy the table (and drop its FTS triggers).
    merged_into_id: Mapped[int | None]


class ContactIdentity(Base):
    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("account_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    # "web" (visitor id), "email", "phone", "telegram", "vk", "viber", "whatsapp"
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    # The channel refuses to deliver to this identity (the customer blocked the bot).
    blocked_at: Mapped[datetime | None]


class Ban(Base):
    """A ban of a web visitor, an IP address or network, or a contact identity.

    Kept after it is lifted or expires, as the history of who was banned and why.
    """

    __tablename__ = "bans"
    __table_args__ = (Index("ix_bans_lookup", "account_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))  # visitor | ip | email | phone | (messenger ids)
    value: Mapped[str] = mapped_column(String(254))  # normalised: an IP network is "a.b.c.0/24"
    reason: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]  # None: forever
    lifted_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ContactMerge(Base):
    """One merge of a contact into another: what moved, so that it can be undone."""

    __tablename__ = "contact_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    # Ids of the identities and conversations moved to the survivor, and the merged
    # contact's own name, e-mail and phone.
    moved: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
