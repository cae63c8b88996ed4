"""Reading contacts: the contact search."""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.contacts.actions import identity_value
from helpline.contacts.bans import MESSENGER_KINDS
from helpline.contacts.models import Contact, ContactIdentity
from helpline.contacts.schemas import ContactFound, contact_found_out
from helpline.core.errors import InvalidField
from helpline.conversations.models import Conversation
from helpline.conversations.search import contact_search_condition

MAX_FOUND = 50
# A search that matches up to MAX_RANKED contacts ranks them all by their latest activity
# (about a millisecond per thousand). One that matches more (a common first name, a mail
# domain) is common enough that walking the account's latest conversations meets the most
# recently active of them soon: WALKED_PER_CONTACT matching conversations per contact asked
# for. Should the walk meet too few contacts, MAX_FILLED of the other matches are ranked too.
MAX_RANKED = 10_000
WALKED_PER_CONTACT = 10
MAX_FILLED = 1000
# The identities found by their value typed whole (besides e-mail, below): a visitor's id, a
# phone channel's number (its digits), a messenger's user id. Listed, not left open, so that
# the lookup probes the (account_id, kind, value) unique index once per kind.
TYPED_IDENTITY_KINDS = ("web", "phone", *MESSENGER_KINDS)


async def contacts_matching(
    session: AsyncSession, account_id: int, text: str, *, limit: int, max_ranked: int = MAX_RANKED
) -> list[ContactFound]:
    """Up to `limit` contacts of `account_id` that `text` finds (contact_search_condition: name,
    e-mail, phone digits, word forms; or an identity whose value is `text` whole), merged ones
    left out, ordered by their conversations' latest activity (those with none last, the
    newest contact first among equals). Four queries, five for a search that matches more
    than `max_ranked` contacts (see MAX_RANKED; tests lower it).

    Raises InvalidField: `limit` out of 1..50 (field "limit"); `text` empty, over 200
    characters, or only punctuation and stop words (field "q").
    """
    if not 1 <= limit <= MAX_FOUND:
        raise InvalidField(f"limit must be between 1 and {MAX_FOUND}.", field="limit")
    matches = contact_search_condition(session.bind.dialect.name, account_id, text)
    # Looked up first, so that each database sees a short list of ids ORed with its text
    # index rather than a subquery it would test against every contact of the account.
    by_identity = list(await session.scalars(_identity_lookup(account_id, text)))
    if by_identity:
        matches = or_(
            matches,
            and_(Contact.account_id == account_id, Contact.merged_into_id.is_(None), Contact.id.in_(by_identity)),
        )
    ranked = matches
    some = list(await session.scalars(select(Contact.id).where(matches).limit(max_ranked + 1)))
    if len(some) > max_ranked:
        walked = await session.scalars(
            select(Conversation.contact_id)
            # "+ 0" keeps SQLite from starting at the matches (reading all their conversations
            # to sort them): it walks ix_conversations_activity, as PostgreSQL does anyway.
            .join(Contact, Contact.id == Conversation.contact_id + 0)
            .where(Conversation.account_id == account_id, matches)
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
            .limit(limit * WALKED_PER_CONTACT)
        )
        recent = list(dict.fromkeys(walked))[:limit]
        ranked = Contact.id.in_(recent if len(recent) == limit else recent + some[:MAX_FILLED])
    last_activity = func.max(Conversation.last_activity_at)
    rows = (
        await session.execute(
            select(Contact, func.count(Conversation.id), last_activity)
            .outerjoin(Conversation, and_(Conversation.contact_id == Contact.id, Conversation.account_id == account_id))
            .where(ranked)
            .group_by(Contact.id)
            .order_by(last_activity.desc().nulls_last(), Contact.id.desc())
            .limit(limit)
        )
    ).all()
    identities: dict[int, list[ContactIdentity]] = {contact.id: [] for contact, _, _ in rows}
    if identities:
        for identity in await session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id.in_(identities)).order_by(ContactIdentity.id)
        ):
            identities[identity.contact_id].append(identity)
    return [
        contact_found_out(contact, identities[contact.id], conversations_count=count, last_activity_at=latest)
        for contact, count, latest in rows
    ]


def _identity_lookup(account_id: int, text: str) -> Select[tuple[int]]:
    """The contacts with an identity whose value is `text` (trimmed), as identities keep it
    (an e-mail address in any case)."""
    value = unicodedata.normalize("NFC", text).strip()
    same: ColumnElement[bool] = and_(ContactIdentity.kind.in_(TYPED_IDENTITY_KINDS), ContactIdentity.value == value)
    if "@" in value:
        same = or_(same, and_(ContactIdentity.kind == "email", ContactIdentity.value == identity_value("email", value)))
    return select(ContactIdentity.contact_id).where(ContactIdentity.account_id == account_id, same).distinct()
