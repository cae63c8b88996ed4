"""A customer's message from a channel, stored once as the right contact's, in the right
conversation: the one action every adapter's webhook and poller calls.

The contact is found by the channel's identity (a Telegram user id ...), or by a verified
e-mail or phone the channel vouches for (the sender of an e-mail, a WhatsApp number), which
links the new identity to the contact who has that e-mail or phone already, or by the reply
to a mail Helpline sent to the address a contact typed (answering a site chat by e-mail);
otherwise a new contact is made. The message's idempotency key is `<channel>:<external id>`: a webhook the
channel delivers twice, or a poll repeated after a restart, stores nothing new. Files are
written to the file store first and kept whatever their type (an unknown type is served as a
download, never inline); a text longer than a message may be is kept whole as a .txt file.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError

from helpline.channels.base import Inbound, IncomingFile
from helpline.contacts.bans import Who
from helpline.contacts.actions import announce_contact, identity_value
from helpline.contacts.models import Contact, ContactIdentity
from helpline.conversations.actions import MAX_BODY_LENGTH, receive_visitor_message
from helpline.conversations.files import MAX_FILES_PER_MESSAGE, clean_filename, content_type_of, record_upload
from helpline.conversations.models import AuthorType, Conversation, Inbox, Message
from helpline.core.clock import utcnow
from helpline.core.errors import HelplineError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from helpline.core.runtime import Services

# A file a channel hands over may be this large; a larger one is replaced by a note.
MAX_INBOUND_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    message: Message | None  # None: refused (a banned contact)
    conversation: Conversation | None
    duplicate: bool


async def receive(services: Services, inbox: Inbox, identity_kind: str, inbound: Inbound) -> Received:
    """Store `inbound` (see the module docstring). Commits its own transaction."""
    client_id = _client_id(inbox.channel, inbound.external_id)
    identities = _identities(identity_kind, inbound)
    async with services.db.read() as session:
        contact, known = await _find_contact_and_known(session, inbox.account_id, identities, answered=_answered(inbound))
        if contact is not None and (duplicate := await _stored(session, inbox.account_id, contact.id, client_id)):
            conversation = await session.get(Conversation, duplicate.conversation_id)
            return Received(duplicate, conversation, True)
    if await refused(services, inbox, identity_kind, inbound, contact=contact):
        return Received(None, None, False)
    text, files = _split_long_text(inbound.text, list(inbound.files))
    stored = [_save(services, file) for file in files[:MAX_FILES_PER_MESSAGE]]
    try:
        try:
            # A known contact with nothing new to learn is taken as found (the common case);
            # else it is made or completed in the transaction.
            settled = contact is not None and known >= set(identities) and not _news_for(contact, inbound)
            return await _store(
                services, inbox, identity_kind, inbound, text, stored, client_id, contact.id if settled else None
            )
        except IntegrityError:
            # Two first messages of a new customer at once both made the contact; the second
            # finds it now (or finds its message stored, when the same update came twice).
            return await _store(services, inbox, identity_kind, inbound, text, stored, client_id, None)
    except BaseException:
        for storage_name, *_ in stored:
            services.files.remove(storage_name)
        raise


async def _store(
    services: Services,
    inbox: Inbox,
    identity_kind: str,
    inbound: Inbound,
    text: str,
    stored: list[tuple[str, str, str, int]],
    client_id: str,
    contact_id: int | None,
) -> Received:
    """The write of `receive`: the contact made or linked (unless known: `contact_id`), the
    files recorded, the message."""
    async with services.db.transaction() as session:
        if contact_id is None:
            contact_id = (await contact_for(session, inbox.account_id, identity_kind, inbound)).id
        file_ids = []
        for storage_name, name, content_type, size in stored:
            attachment = await record_upload(
                session,
                account_id=inbox.account_id,
                uploader_type=AuthorType.contact,
                uploader_id=contact_id,
                storage_name=storage_name,
                filename=name,
                content_type=content_type,
                size=size,
            )
            file_ids.append(attachment.id)
        message, conversation, duplicate = await receive_visitor_message(
            session,
            inbox=inbox,
            contact_id=contact_id,
            body=text if text.strip() or file_ids else "…",
            client_id=client_id,
            context={"channel": inbox.channel, **inbound.context},
            file_ids=file_ids,
            external_id=inbound.external_id,
            threaded=inbound.threaded,
            conversation_id=inbound.conversation_id,
        )
    if duplicate:  # stored meanwhile by another delivery of the same update
        for storage_name, *_ in stored:
            services.files.remove(storage_name)
    return Received(message, conversation, duplicate)


def _news_for(contact: Contact, inbound: Inbound) -> bool:
    """Whether `inbound` tells something the contact lacks (contact_for would fill it in)."""
    return bool(
        (contact.name is None and inbound.name)
        or (contact.email is None and inbound.email)
        or (contact.phone is None and inbound.phone)
    )


def _client_id(channel: str, external_id: str) -> str:
    """The idempotency key: `<channel>:<external id>`, or its hash when longer than a client
    id may be (an e-mail's Message-ID often is; cut short, two could collide)."""
    key = f"{channel}:{external_id}"
    if len(key) <= 64:
        return key
    return f"{channel}:sha256:{hashlib.sha256(external_id.encode()).hexdigest()}"[:64]


def _identities(identity_kind: str, inbound: Inbound) -> list[tuple[str, str]]:
    found = [(identity_kind, inbound.identity)]
    if inbound.email and identity_kind != "email":
        found.append(("email", identity_value("email", inbound.email)))
    if inbound.phone and identity_kind != "phone" and identity_value("phone", inbound.phone):
        found.append(("phone", identity_value("phone", inbound.phone)))
    return found


async def _find_contact(session: AsyncSession, account_id: int, identities: list[tuple[str, str]]) -> Contact | None:
    """The contact of the first of `identities` that one has (the channel's own first)."""
    return (await _find_contact_and_known(session, account_id, identities))[0]


def _answered(inbound: Inbound) -> int | None:
    """The conversation whose mail `inbound` provably answers (see Inbound.answers_ours)."""
    return inbound.conversation_id if inbound.answers_ours else None


async def _find_contact_and_known(
    session: AsyncSession, account_id: int, identities: list[tuple[str, str]], *, answered: int | None = None
) -> tuple[Contact | None, set[tuple[str, str]]]:
    """The contact, and which of `identities` exist already (of any contact). `answered`: the
    conversation whose mail this message provably answers."""
    rows = await session.execute(
        select(ContactIdentity.kind, ContactIdentity.value, ContactIdentity.contact_id).where(
            ContactIdentity.account_id == account_id,
            tuple_(ContactIdentity.kind, ContactIdentity.value).in_(identities),
        )
    )
    found = {(kind, value): contact_id for kind, value, contact_id in rows}
    email = next((value for kind, value in identities if kind == "email"), None)
    if email and answered is not None:
        # A reply to what Helpline mailed to the conversation's contact (at the address they
        # typed, or one of theirs): that contact, even if another has this address as an
        # identity (the same person twice, for an agent to merge).
        contact = await session.scalar(
            select(Contact)
            .join(Conversation, Conversation.contact_id == Contact.id)
            .where(Conversation.id == answered, Conversation.account_id == account_id)
        )
        if contact is not None and (
            (contact.email or "").lower() == email or found.get(("email", email)) == contact.id
        ):
            return contact, set(found)
    for identity in identities:
        if identity in found:
            return await session.get(Contact, found[identity]), set(found)
    phone = next((value for kind, value in identities if kind == "phone"), None)
    if phone:
        # Someone who left this number on a web form or in the widget has it as typed
        # ("+7 (999) 123-45-67"), and maybe no phone identity: compared by its digits.
        contact = await session.scalar(
            select(Contact)
            .where(
                Contact.account_id == account_id,
                _digits_of(Contact.phone) == phone,
                Contact.merged_into_id.is_(None),  # a merged contact's identities moved on
            )
            .order_by(Contact.id)
            .limit(1)
        )
        return contact, set()
    return None, set()


def _digits_of(phone: Any) -> Any:
    """SQL for the digits of a phone column (what clean_phone lets through besides them)."""
    for character in " -().+":
        phone = func.replace(phone, character, "")
    return phone


async def _stored(session: AsyncSession, account_id: int, contact_id: int, client_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.account_id == account_id,
            Message.author_type == AuthorType.contact,
            Message.author_id == contact_id,
            Message.client_id == client_id,
        )
    )


async def refused(
    services: Services, inbox: Inbox, identity_kind: str, inbound: Inbound, *, contact: Contact | None = None
) -> bool:
    """Whether a ban shuts this customer out: of their identity on this channel, of the e-mail
    or phone the channel vouches for, or of the contact's own e-mail or phone (`contact`, when
    the caller found it already), on every channel."""
    if not await services.bans.any_active(inbox.account_id):
        return False
    who = Who(email=inbound.email, phone=inbound.phone, identities=tuple(_identities(identity_kind, inbound)))
    if await services.bans.banned(inbox.account_id, who):
        return True
    if contact is None:
        async with services.db.read() as session:
            contact = await _find_contact(session, inbox.account_id, _identities(identity_kind, inbound))
    if contact is None or (contact.email is None and contact.phone is None):
        return False
    return await services.bans.banned(inbox.account_id, Who(email=contact.email, phone=contact.phone))


async def contact_for(session: AsyncSession, account_id: int, identity_kind: str, inbound: Inbound) -> Contact:
    """The contact of these identities, made or linked as needed (in the caller's transaction;
    also for channels that record events rather than messages, the phone's calls)."""
    identities = _identities(identity_kind, inbound)
    contact, known = await _find_contact_and_known(session, account_id, identities, answered=_answered(inbound))
    now = utcnow()
    created = contact is None
    if contact is None:
        contact = Contact(
            account_id=account_id,
            name=(inbound.name or "").strip()[:200] or None,
            email=inbound.email.lower() if inbound.email else None,
            phone=inbound.phone,
            created_at=now,
            updated_at=now,
        )
        session.add(contact)
        await session.flush()
        changed = False  # a new contact is announced with its conversation
    else:
        before = (contact.name, contact.email, contact.phone)
        if contact.name is None and inbound.name:
            contact.name = inbound.name.strip()[:200] or None
        if contact.email is None and inbound.email:
            contact.email = inbound.email.lower()
        if contact.phone is None and inbound.phone:
            contact.phone = inbound.phone
        changed = before != (contact.name, contact.email, contact.phone)
    for kind, value in identities:
        if (kind, value) not in known:
            session.add(
                ContactIdentity(account_id=account_id, contact_id=contact.id, kind=kind, value=value, created_at=now)
            )
            changed = True
    await session.flush()
    if changed and not created:
        # Agents looking at the contact see what it is known by now (a chat's customer who
        # answered by e-mail has their address as an identity).
        contact.updated_at = now
        await announce_contact(session, contact)
    return contact


def _split_long_text(text: str, files: list[IncomingFile]) -> tuple[str, list[IncomingFile]]:
    if len(text) <= MAX_BODY_LENGTH:
        return text, files
    whole = IncomingFile(name="message.txt", content_type="text/plain", data=text.encode())
    return text[: MAX_BODY_LENGTH - 1] + "…", [whole, *files]


def _save(services: Services, file: IncomingFile) -> tuple[str, str, str, int]:
    """Write one file to the store: (storage name, file name, content type, size)."""
    name = clean_filename(file.name)
    data = file.data
    if len(data) > MAX_INBOUND_FILE_BYTES:
        name, data = f"{name}.txt", f"The file {name} ({len(file.data)} bytes) was too large to keep.".encode()
    try:
        content_type = content_type_of(data[:8192], name)
    except HelplineError:
        content_type = "application/octet-stream"  # kept, and only ever downloaded
    storage_name = secrets.token_urlsafe(24)
    target = services.files.path(storage_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return storage_name, name, content_type, len(data)
