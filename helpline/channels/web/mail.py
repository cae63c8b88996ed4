"""E-mail for website visitors: answers they missed while away, and transcripts on request.

Both become `email.send` jobs (helpline/channels/email/outbound.py), written in the
transaction of the change that causes them, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

import helpline.channels.email.outbound  # noqa: F401  (registers the email.send job)
from helpline.contacts.actions import clean_email
from helpline.contacts.models import Contact
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField, NotFound, RateLimited
from helpline.core.jobs import Job, enqueue, job_handler
from helpline.conversations.actions import reply_hooks
from helpline.conversations.models import AuthorType, Conversation, Inbox, Message, MessageKind
from helpline.visitors.models import Visitor

if TYPE_CHECKING:
    from helpline.core.runtime import Services

# Seconds an agent's answer waits to be read in the widget before it is e-mailed; set from
# HELPLINE_OFFLINE_EMAIL_DELAY at start-up (`configure`).
offline_email_delay = 60.0

TEXTS = {
    "ru": {
        "reply_subject": "Ответ на ваше обращение #{number} — {site}",
        "reply_intro": "Здравствуйте! Пока вас не было на сайте, вам ответили:",
        "continue": "Продолжить переписку на сайте: {url}",
        "transcript_subject": "Переписка #{number} — {site}",
        "transcript_intro": "Ваша переписка с {site}:",
        "you": "Вы",
        "footer": "Это письмо отправлено автоматически; ответить можно в чате на сайте.",
    },
    "en": {
        "reply_subject": "Reply to your request #{number} — {site}",
        "reply_intro": "Hello! While you were away from the site, we answered:",
        "continue": "Continue the conversation on the site: {url}",
        "transcript_subject": "Conversation #{number} — {site}",
        "transcript_intro": "Your conversation with {site}:",
        "you": "You",
        "footer": "This e-mail was sent automatically; you can answer in the chat on the site.",
    },
}


def configure(delay_seconds: float) -> None:
    global offline_email_delay
    offline_email_delay = delay_seconds


def _language(visitor_language: str | None, site_language: str | None) -> str:
    if site_language in ("ru", "en"):
        return site_language
    return "ru" if (visitor_language or "").lower().startswith("ru") else "en"


async def _visible_messages(session: AsyncSession, conversation_id: int, after_seq: int = 0) -> list[Message]:
    return list(
        (
            await session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.seq > after_seq,
                    Message.kind == MessageKind.text,
                )
                .order_by(Message.seq)
            )
        ).all()
    )


def _lines(messages: list[Message], you: str) -> str:
    return "\n\n".join(
        f"{(you if m.author_type == AuthorType.contact else m.author_name or '')} "
        f"({m.created_at:%Y-%m-%d %H:%M} UTC):\n{m.body}"
        for m in messages
    )


# -- answers the visitor missed -----------------------------------------------------------

_CONTACT_REACH = (
    select(Contact.email, Visitor.online)
    .select_from(Contact)
    .outerjoin(Visitor, Visitor.contact_id == Contact.id)
    .where(Contact.id == bindparam("contact_id"))
    .limit(1)
)


async def schedule_offline_reply(session: AsyncSession, *, conversation: Any, message: Message) -> None:
    """Call in the transaction that stored an agent's text answer on a web conversation:
    if the visitor left an e-mail and is not on the site, e-mail the answer unless it is read
    in the widget first (checked when the job runs). Not an answer the agent sent by e-mail
    already (`via_inbox_id`)."""
    if message.via_inbox_id is not None:
        return
    row = (await session.execute(_CONTACT_REACH, {"contact_id": conversation.contact_id})).one_or_none()
    if row is None or not row.email or row.online is None or row.online:
        return  # no address, not a web visitor, or reading along right now
    await enqueue(
        session,
        kind="web.reply_email",
        payload={"conversation_id": conversation.id, "seq": message.seq},
        account_id=conversation.account_id,
        due_at=utcnow() + timedelta(seconds=offline_email_delay),
        key=f"web.reply_email:{conversation.id}:{message.seq}",
    )


reply_hooks.append(lambda session, conversation, message: schedule_offline_reply(
    session, conversation=conversation, message=message
))


@job_handler("web.reply_email")
async def send_offline_reply(services: Services, job: Job) -> None:
    """E-mail the agent's answers up to `seq` that the visitor has neither read nor been sent.

    Several answers in a row each scheduled a job; the last one sends them all and the
    earlier ones find nothing left to send. Re-running after a crash finds `emailed_seq`
    already moved on and sends nothing twice.
    """
    conversation_id, seq = job.payload["conversation_id"], job.payload["seq"]
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            return
        later = await session.scalar(
            select(Job.id).where(
                Job.kind == "web.reply_email", Job.state.in_(("pending", "running")), Job.id != job.id,
                Job.key.like(f"web.reply_email:{conversation_id}:%"), Job.due_at >= job.due_at,
            ).limit(1)
        )
        if later is not None:
            return  # a later answer's job, still to run, sends this one too
        done = max(conversation.contact_last_read_seq, int((conversation.context or {}).get("emailed_seq", 0)))
        unread = [
            m for m in await _visible_messages(session, conversation_id, after_seq=done)
            if m.author_type == AuthorType.agent and m.seq <= seq and m.via_inbox_id is None
        ]
        if not unread:
            return
        contact = await session.get(Contact, conversation.contact_id)
        inbox = await session.get(Inbox, conversation.inbox_id)
        visitor = await session.scalar(select(Visitor).where(Visitor.contact_id == conversation.contact_id).limit(1))
        if contact is None or not contact.email or inbox is None:
            return
        language = _language(visitor.language if visitor else None, (inbox.settings or {}).get("language"))
        texts = TEXTS[language]
        site = inbox.name
        parts = [texts["reply_intro"], _lines(unread, texts["you"])]
        url = ((conversation.context or {}).get("page") or {}).get("url")
        if url:
            parts.append(texts["continue"].format(url=url))
        parts.append("—\n" + texts["footer"])
        conversation.context = {**(conversation.context or {}), "emailed_seq": seq}
        await enqueue(
            session,
            kind="email.send",
            payload={
                "to": contact.email,
                "subject": texts["reply_subject"].format(number=conversation.number, site=site),
                "text": "\n\n".join(parts),
            },
            account_id=conversation.account_id,
            key=f"email:reply:{conversation_id}:{seq}",
        )


# -- transcripts ----------------------------------------------------------------------------


async def request_transcript(
    session: AsyncSession,
    *,
    services: Services,
    inbox: Any,
    contact_id: int,
    conversation_id: int,
    email: object,
    client_id: str,
) -> None:
    """The visitor asks for the conversation by e-mail (to `email`, or the contact's)."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.contact_id != contact_id:
        raise NotFound("No such conversation.")
    contact = await session.get(Contact, contact_id)
    assert contact is not None
    try:
        address = clean_email(email) if email else contact.email
    except InvalidField as error:
        raise InvalidField(error.message, field="email") from None
    if not address:
        raise InvalidField("An e-mail address is needed.", field="email")
    key = f"email:transcript:{contact_id}:{client_id}"
    if await session.scalar(select(Job.id).where(Job.key == key)) is not None:
        return  # a resend: the e-mail is on its way already, and costs no second request
    wait = services.transcript_requests.take(contact_id)
    if wait > 0:
        raise RateLimited(wait, "At most 5 transcripts a day.")
    visitor = await session.scalar(select(Visitor).where(Visitor.contact_id == contact_id).limit(1))
    texts = TEXTS[_language(visitor.language if visitor else None, inbox.settings.language)]
    messages = await _visible_messages(session, conversation_id)
    text = "\n\n".join(
        [texts["transcript_intro"].format(site=inbox.name), _lines(messages, texts["you"]), "—\n" + texts["footer"]]
    )
    await enqueue(
        session,
        kind="email.send",
        payload={
            "to": address,
            "subject": texts["transcript_subject"].format(number=conversation.number, site=inbox.name),
            "text": text,
        },
        account_id=conversation.account_id,
        key=key,
    )
