"""Reading an e-mail inbox's mailbox into conversations: the poller side of the e-mail
adapter.

Each poll reads what arrived after the position kept in `inbox.cursor` (`{uidvalidity,
last_uid}`, saved after each message is stored, so what arrived while Helpline was down is
read when it is back, and a crash re-reads at most the message it was storing, which its
Message-ID keeps from being stored twice). Then it waits for news with IDLE and returns. A
mailbox seen for the first time, or whose UIDVALIDITY changed (it was recreated, its UIDs now
mean other messages), is read from the day before.

Sizes are asked first: a message larger than the inbox takes is read as its header and the
start of its body, so it can neither stall the mailbox nor fill the disk; its text is kept
with a note, its attachments are not. A message Helpline cannot make sense of is stored as it
came (the original attached, with a line saying so), and the next one is read.

What each message becomes:
- a delivery report (a bounce, a read receipt) on a reply Helpline sent moves that reply's
  delivery state (a bounce: `failed`, with the server's words) and is stored nowhere else;
- a copy of a reply Helpline sent itself (a Bcc to the mailbox) is skipped;
- anything else is the sender's message, stored by `helpline.channels.inbound.receive` in the
  conversation it answers (In-Reply-To and References matched against the Message-IDs stored
  in this inbox, else a "[#1042]" in the subject), if that is the sender's and not closed, or
  in a new conversation. The conversation may be another inbox's that an agent answered
  through this one (a site chat answered by e-mail): the reply goes on there. An automatic one (an out-of-office, a mailing) is stored too, and a
  conversation it starts is marked `automatic`, which routing's auto-replies respect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.channels.base import ChannelContext, Inbound
from helpline.channels.delivery import report_delivery
from helpline.channels.email.imap import Mailbox
from helpline.channels.email.parse import DeliveryReport, Mail, conversation_number, read_mail, unreadable_mail
from helpline.channels.email.settings import EmailSettings
from helpline.channels.inbound import receive
from helpline.channels.pollers import save_cursor
from helpline.contacts.actions import identity_value
from helpline.conversations.models import AuthorType, Conversation, Delivery, Inbox, Message
from helpline.core.errors import HelplineError

log = logging.getLogger(__name__)

# The poller renews an inbox's lease (30 s) between polls, when 10 s have passed since the
# last renewal: a poll must end within 20 s of starting, so it reads for 5 s at most and
# waits with IDLE for 15 s at most.
IDLE_SECONDS = 15.0
READ_SECONDS = 5.0
BATCH = 50
# A connection no poll used for this long is closed (another node took the inbox over).
UNUSED_SECONDS = 120.0
_REPORTED = {"failed": Delivery.failed, "delivered": Delivery.delivered, "read": Delivery.read}


@dataclass
class _Connection:
    """An inbox's IMAP connection, kept from one poll to the next."""

    settings: tuple[Any, ...]  # those it was opened with: new settings open a new connection
    mailbox: Mailbox
    used: float  # when a poll last ended
    busy: bool = False  # a poll is using it


_CONNECTIONS: dict[int, _Connection] = {}


async def poll_mailbox(ctx: ChannelContext) -> None:
    """Read what is new, then wait for news (IDLE) unless more is waiting already."""
    inbox_id = ctx.inbox.id
    held = await _connection_for(ctx)
    held.busy = True
    try:
        more = await _read_new(ctx, held.mailbox)
        if not more:
            await held.mailbox.wait(IDLE_SECONDS)
    except BaseException:  # cancelled, or the connection is in doubt: never reused
        _forget(inbox_id)
        raise
    held.busy, held.used = False, time.monotonic()


async def _connection_for(ctx: ChannelContext) -> _Connection:
    now = time.monotonic()
    for inbox_id, held in list(_CONNECTIONS.items()):
        if not held.busy and now - held.used > UNUSED_SECONDS:
            _forget(inbox_id)
    settings = cast(EmailSettings, ctx.settings)
    key = (
        settings.imap_host, settings.imap_port, settings.imap_security, settings.imap_username,
        settings.imap_password, settings.imap_folder,
    )
    held = _CONNECTIONS.get(ctx.inbox.id)
    if held is not None and held.settings == key:
        return held
    _forget(ctx.inbox.id)
    held = _Connection(key, await Mailbox.open(settings), now)
    _CONNECTIONS[ctx.inbox.id] = held
    return held


def _forget(inbox_id: int) -> None:
    held = _CONNECTIONS.pop(inbox_id, None)
    if held is not None:
        held.mailbox.abort()


async def _read_new(ctx: ChannelContext, mailbox: Mailbox) -> bool:
    """Store what arrived after the cursor; whether more is waiting (the time was up)."""
    settings = cast(EmailSettings, ctx.settings)
    cursor = ctx.inbox.cursor or {}
    started = time.monotonic()
    if cursor.get("uidvalidity") == mailbox.uidvalidity:
        uids = await mailbox.uids_after(int(cursor.get("last_uid", 0)))
    else:
        uids = await mailbox.uids_since(date.today() - timedelta(days=1))
        if not uids:
            await _save(ctx, mailbox, max(0, mailbox.uidnext - 1))
            return False
    limit = settings.max_message_mb * 1024 * 1024
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        sizes = await mailbox.sizes(batch)
        for uid in batch:
            size = sizes.get(uid)
            if size is not None:  # else deleted meanwhile
                raw = await mailbox.fetch(uid, whole=size <= limit)
                if raw is not None:
                    await take(ctx, raw, size=size, truncated=size > limit)
            await _save(ctx, mailbox, uid)
            if time.monotonic() - started > READ_SECONDS:
                return uid != uids[-1]
    return False


async def _save(ctx: ChannelContext, mailbox: Mailbox, last_uid: int) -> None:
    await save_cursor(ctx.services, ctx.inbox.id, {"uidvalidity": mailbox.uidvalidity, "last_uid": last_uid})


async def take(ctx: ChannelContext, raw: bytes, *, size: int, truncated: bool) -> None:
    """Store one message read from the mailbox (see the module docstring)."""
    settings = cast(EmailSettings, ctx.settings)
    inbox = ctx.inbox
    try:
        mail = await asyncio.to_thread(read_mail, raw, truncated=truncated)
    except Exception:
        log.exception("inbox %s: an e-mail could not be read; it is stored as it came", inbox.id)
        mail = unreadable_mail(raw)
    if mail.report is not None:
        await _record_report(ctx, mail.report)
        return
    if mail.sender is None:
        log.warning("inbox %s: e-mail %s has no sender address; not stored", inbox.id, mail.message_id)
        return
    if mail.sender.lower() == settings.from_email.lower():
        return  # Helpline's own reply, or a loop through a forwarding rule
    async with ctx.services.db.read() as session:
        if await _sent_by_us(session, inbox, mail.message_id):
            return
        conversation_id, answers_ours = await _conversation_answered(session, inbox, mail)
    text = mail.text
    if truncated:
        note = (
            f"[This e-mail is {size / 1048576:.1f} MB, more than this inbox takes ({settings.max_message_mb} MB): "
            "its text is below; its attachments were not kept.]"
        )
        text = f"{note}\n\n{text}".strip()
    context: dict[str, Any] = {"subject": mail.subject[:500]}
    if mail.automatic:
        context["automatic"] = mail.automatic
    inbound = Inbound(
        identity=identity_value("email", mail.sender),
        external_id=mail.message_id,
        text=text,
        name=mail.sender_name,
        email=mail.sender,
        files=list(mail.files),
        context=context,
        sent_at=mail.sent_at,
        threaded=True,
        conversation_id=conversation_id,
        answers_ours=answers_ours,
    )
    try:
        await receive(ctx.services, inbox, "email", inbound)
    except HelplineError as error:  # this message cannot be stored; the next ones can
        log.warning("inbox %s: e-mail %s from %s not stored: %s", inbox.id, mail.message_id, mail.sender, error)


async def _record_report(ctx: ChannelContext, report: DeliveryReport) -> None:
    status = _REPORTED.get(report.status or "")
    if status is None:
        return  # delayed (the server keeps trying), or a receipt that says nothing
    error = f"Bounced: {report.reason}" if status == Delivery.failed else None
    async with ctx.services.db.transaction() as session:
        for message_id in report.message_ids:
            await report_delivery(session, inbox=ctx.inbox, external_id=message_id, status=status, error=error)


async def _sent_by_us(session: AsyncSession, inbox: Inbox, message_id: str) -> bool:
    found = await session.scalar(
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.account_id == inbox.account_id,
            Message.external_id == message_id,
            Message.author_type != AuthorType.contact,
            _through(inbox),
        )
        .limit(1)
    )
    return found is not None


async def _conversation_answered(session: AsyncSession, inbox: Inbox, mail: Mail) -> tuple[int | None, bool]:
    """The conversation the mail answers, of this inbox or answered through it: by the
    Message-IDs it names (the nearest first), else by a "[#1042]" in its subject; and whether
    the Message-ID it names is of a mail Helpline sent."""
    if mail.references:
        rows = (
            await session.execute(
                select(Message.external_id, Message.conversation_id, Message.author_type)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Message.account_id == inbox.account_id,
                    Message.external_id.in_(mail.references),
                    _through(inbox),
                )
            )
        ).all()
        found = {external_id: conversation_id for external_id, conversation_id, _author in rows}
        ours = {conversation_id for _id, conversation_id, author in rows if author != AuthorType.contact}
        for message_id in mail.references:
            if message_id in found:
                return found[message_id], found[message_id] in ours
    number = conversation_number(mail.subject)
    if number is None:
        return None, False
    answered_here = exists().where(Message.conversation_id == Conversation.id, Message.via_inbox_id == inbox.id)
    return await session.scalar(
        select(Conversation.id).where(
            Conversation.account_id == inbox.account_id,
            Conversation.number == number,
            or_(Conversation.inbox_id == inbox.id, answered_here),
        )
    ), False


def _through(inbox: Inbox) -> Any:
    """A message (joined with its conversation) that is this inbox's: in one of its
    conversations, or sent or received through it for another inbox's."""
    return or_(Conversation.inbox_id == inbox.id, Message.via_inbox_id == inbox.id)
