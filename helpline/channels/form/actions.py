"""A web form submission becomes a conversation: the contact (found by e-mail or phone, or
new), the first message (the submitted text with the files), the custom fields, and the
submission itself kept as it was sent — never updated afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.channels.form.settings import FormSettings
from helpline.contacts.actions import create_contact, identity_value, update_contact
from helpline.contacts.models import Contact, ContactIdentity
from helpline.core.audit import Actor
from helpline.core.clock import utcnow
from helpline.conversations import actions as conversation_actions
from helpline.conversations.actions import MAX_BODY_LENGTH
from helpline.conversations.files import record_upload
from helpline.conversations.models import AuthorType, Conversation, ConversationType, Inbox
from helpline.desk.models import FormSubmission
from helpline.desk.taxonomy import clean_field_values, custom_fields_of


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An uploaded file already on disk, to be recorded with the submission."""

    storage_name: str
    filename: str
    content_type: str
    size: int


def message_text(form: FormSettings, values: dict[str, Any]) -> str:
    """What the agent reads: the subject, the message, then every other field as "Label: value"."""
    by_target = {f.maps_to: f for f in form.fields if f.maps_to}
    parts = []
    if "subject" in by_target and by_target["subject"].key in values:
        parts.append(str(values[by_target["subject"].key]))
    if "message" in by_target and by_target["message"].key in values:
        parts.append(str(values[by_target["message"].key]))
    details = []
    for field in form.fields:
        if field.maps_to in ("subject", "message") or field.key not in values:
            continue
        value = values[field.key]
        shown = ("да / yes" if value else "нет / no") if isinstance(value, bool) else str(value)
        details.append(f"{field.label}: {shown}")
    if details:
        parts.append("\n".join(details))
    text = "\n\n".join(parts) or "—"
    return text if len(text) <= MAX_BODY_LENGTH else text[: MAX_BODY_LENGTH - 1] + "…"  # the submission keeps it all


async def _contact(session: AsyncSession, inbox: Inbox, email: str | None, phone: str | None, client_id: str) -> Contact:
    email = identity_value("email", email) if email else None
    phone = identity_value("phone", phone) if phone else None
    for kind, value in (("email", email), ("phone", phone)):
        if value:
            contact_id = await session.scalar(
                select(ContactIdentity.contact_id).where(
                    ContactIdentity.account_id == inbox.account_id, ContactIdentity.kind == kind, ContactIdentity.value == value
                )
            )
            if contact_id is not None:
                contact = await session.get(Contact, contact_id, with_for_update=True)
                assert contact is not None
                return contact
    kind, value = ("email", email) if email else ("phone", phone) if phone else ("form", f"{inbox.id}:{client_id}")
    contact = await create_contact(session, account_id=inbox.account_id, identity_kind=kind, value=value)
    if email and phone:
        session.add(
            ContactIdentity(account_id=inbox.account_id, contact_id=contact.id, kind="phone", value=phone, created_at=utcnow())
        )
    return contact


async def submit(
    session: AsyncSession,
    *,
    inbox: Inbox,
    values: dict[str, Any],
    client_id: str,
    files: list[StoredFile],
    context: dict[str, Any],
) -> tuple[Conversation, bool]:
    """Store a validated submission; returns its conversation and whether it was a resend
    (the same `client_id`: nothing new is stored)."""
    existing = await session.scalar(
        select(FormSubmission).where(FormSubmission.inbox_id == inbox.id, FormSubmission.client_id == client_id)
    )
    if existing is not None:
        conversation = await session.get(Conversation, existing.conversation_id)
        assert conversation is not None
        return conversation, True
    form = FormSettings.of(inbox.settings)
    by_target = {f.maps_to: f.key for f in form.fields if f.maps_to}

    def mapped(target: str) -> Any:
        key = by_target.get(target)
        return values.get(key) if key else None

    contact = await _contact(session, inbox, mapped("email"), mapped("phone"), client_id)
    author = Actor(AuthorType.contact, contact.id, contact.name)
    await update_contact(
        session, actor=author, contact=contact,
        changes={k: v for k, v in (("name", mapped("name")), ("email", mapped("email")), ("phone", mapped("phone"))) if v},
    )
    custom = {t.split(".", 1)[1]: values[k] for t, k in by_target.items() if t.startswith("custom.") and k in values}
    fields = {}
    if custom:
        definitions = await custom_fields_of(session, inbox.account_id)
        known = {d.key for d in definitions if d.is_active}
        fields = clean_field_values(definitions, {}, {k: v for k, v in custom.items() if k in known}, enforce_required=False)
    conversation = await conversation_actions.open_conversation(
        session, inbox=inbox, contact=contact, context=context, type=ConversationType.form,
    )
    conversation.fields = fields
    attachments = [
        await record_upload(
            session, account_id=inbox.account_id, uploader_type=AuthorType.contact, uploader_id=contact.id,
            storage_name=f.storage_name, filename=f.filename, content_type=f.content_type, size=f.size,
        )
        for f in files
    ]
    message, _ = await conversation_actions.post_message(
        session, conversation=conversation, author=author, body=message_text(form, values),
        client_id=client_id, inbox=inbox, contact=contact, file_ids=[a.id for a in attachments],
    )
    session.add(
        FormSubmission(
            account_id=inbox.account_id, inbox_id=inbox.id, conversation_id=conversation.id, client_id=client_id,
            data={"values": values, "fields": [f.model_dump() for f in form.fields], "files": [a.id for a in attachments]},
            created_at=utcnow(),
        )
    )
    await session.flush()
    await conversation_actions.conversation_created(session, conversation, message, contact)
    return conversation, False
