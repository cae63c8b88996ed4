"""An agent's (or a bot's) message in an e-mail conversation, sent as a reply the customer's
mail client threads with what came before.

Threading: the reply's Message-ID is made from the message's id (the same on every retry, so
a reply sent twice shows once); In-Reply-To names the customer's latest mail; References
lists the Message-IDs of the conversation's mails, both ways, in order (its first and its
latest ones when they are many). The subject is the customer's first one as
"Re: <subject> [#<conversation number>]": the number threads a reply whose client dropped
the headers. A conversation that began elsewhere (a site chat answered by e-mail) has no
subject: the first line of the customer's first message stands for it. The conversation's
context keeps the subject (`Sent.context`).

An automatic message (a bot's, routing's auto-reply) says so (Auto-Submitted: auto-replied,
RFC 3834), and is not sent at all into a conversation a machine's mail started: two
responders answering each other never stop.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from email.utils import formataddr
from typing import cast

import aiosmtplib
from sqlalchemy import select

from helpline.channels.base import ChannelContext, ChannelError, DeliveryError, Outgoing, Sent
from helpline.channels.email.outbound import SendFailed, build_message, send_message
from helpline.channels.email.parse import base_subject, message_key
from helpline.channels.email.settings import EmailSettings
from helpline.conversations.models import AuthorType, Message, MessageKind

MAX_REFERENCES = 20
SUBJECT_LENGTH = 78  # a subject made from a chat message: its first line, cut at a word
CHECK_TIMEOUT = 15.0  # seconds: an admin is waiting for the answer


async def send_reply(ctx: ChannelContext, outgoing: Outgoing) -> Sent:
    settings = cast(EmailSettings, ctx.settings)
    async with ctx.services.db.read() as session:
        author_type = await session.scalar(select(Message.author_type).where(Message.id == outgoing.message_id))
        thread = (
            await session.execute(
                select(Message.external_id, Message.author_type)
                .where(
                    Message.conversation_id == outgoing.conversation_id,
                    Message.external_id.is_not(None),
                    Message.id != outgoing.message_id,
                )
                .order_by(Message.seq)
            )
        ).all()
    automatic = author_type == AuthorType.bot
    if automatic and outgoing.conversation_context.get("automatic"):
        raise DeliveryError(
            "Not sent: the conversation began with an automatic e-mail, and an automatic reply to it could start "
            "a mail loop.",
            permanent=True,
        )
    ids = [key for key, _ in thread if message_key(key) == key]
    from_customer = [key for key, author in thread if author == AuthorType.contact and message_key(key) == key]
    message_id = reply_id(ctx, outgoing.message_id, settings.from_email)
    headers = {"Message-ID": message_id}
    if ids:
        headers["In-Reply-To"] = (from_customer or ids)[-1]
        references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["References"] = " ".join(references)
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"
    subject = base_subject(str(outgoing.conversation_context.get("subject") or ""))
    if not subject and "subject" not in outgoing.conversation_context:  # it did not begin as mail
        subject = await _subject_from_chat(ctx, outgoing.conversation_id)
    name = " ".join((outgoing.contact_name or "").split())
    smtp = settings.smtp()
    try:
        message = build_message(
            smtp, formataddr((name, outgoing.recipient)) if name else outgoing.recipient,
            reply_subject(subject, outgoing.conversation_number), outgoing.text, headers=headers,
        )
    except ValueError as error:  # a header that cannot be written (a broken address)
        raise DeliveryError(f"The e-mail cannot be written: {error}", permanent=True) from None
    for file in outgoing.files:
        data = await asyncio.to_thread(file.path.read_bytes)
        maintype, _, subtype = file.content_type.split(";")[0].strip().partition("/")
        message.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=file.name
        )
    try:
        await send_message(smtp, message)
    except SendFailed as error:
        raise DeliveryError(error.reason, permanent=error.permanent) from None
    return Sent(external_id=message_id, context={"subject": subject})


async def _subject_from_chat(ctx: ChannelContext, conversation_id: int) -> str:
    async with ctx.services.db.read() as session:
        first = await session.scalar(
            select(Message.body)
            .where(
                Message.conversation_id == conversation_id,
                Message.author_type == AuthorType.contact,
                Message.kind == MessageKind.text,
            )
            .order_by(Message.seq)
            .limit(1)
        )
    line = " ".join(next(iter((first or "").strip().splitlines()), "").split())
    if len(line) > SUBJECT_LENGTH:
        line = line[: SUBJECT_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return base_subject(line)


def reply_subject(subject: str, number: int) -> str:
    return f"Re: {subject} [#{number}]" if subject else f"Re: [#{number}]"


def reply_id(ctx: ChannelContext, message_id: int, from_email: str) -> str:
    """The Message-ID of a message's e-mail: the same for every attempt, not guessable."""
    digest = hashlib.sha256(f"{ctx.inbox.secret or ctx.inbox.id}:{message_id}".encode()).hexdigest()[:20]
    return f"<helpline.{message_id}.{digest}@{from_email.rpartition('@')[2] or 'localhost'}>"


async def check_smtp(settings: EmailSettings) -> None:
    """Connect and log in to the SMTP server as sending will; ChannelError naming the setting
    at fault."""
    smtp = settings.smtp()
    where = f"{smtp.host}:{smtp.port}"
    client = aiosmtplib.SMTP(
        hostname=smtp.host, port=smtp.port, use_tls=smtp.security == "tls", start_tls=smtp.security == "starttls",
        timeout=CHECK_TIMEOUT,
    )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await client.connect()
            if smtp.username:
                await client.login(smtp.username, smtp.password)
    except aiosmtplib.SMTPAuthenticationError as error:
        raise ChannelError(f"The SMTP server refused the login: {error.code} {error.message}", field="smtp_password") from None
    except aiosmtplib.SMTPNotSupported as error:
        raise ChannelError(f"The SMTP server {where}: {error}", field="smtp_security") from None
    except ssl.SSLError as error:
        raise ChannelError(f"TLS with the SMTP server {where} failed: {error}", field="smtp_security") from None
    except TimeoutError:
        raise ChannelError(f"No answer from the SMTP server {where}.", field="smtp_host") from None
    except aiosmtplib.SMTPResponseException as error:
        raise ChannelError(f"The SMTP server {where} refused: {error.code} {error.message}", field="smtp_host") from None
    except (aiosmtplib.SMTPException, OSError) as error:
        reason = str(error) or type(error).__name__
        field = "smtp_username" if "auth" in reason.lower() else "smtp_host"  # a server that offers no login
        raise ChannelError(f"Cannot use the SMTP server {where}: {reason}", field=field) from None
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
