"""Outgoing e-mail through the account's own SMTP server, and the action that sets it up.

Mail that matters is sent by an `email.send` job (enqueued in the transaction of the change
that causes it), so it survives a restart and is retried while the server is down or
greylisting. Only the admin's "send a test e-mail" sends directly, to answer at once.
"""

from __future__ import annotations

import asyncio
import email.policy
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

import aiosmtplib
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Account, Agent, Role
from helpline.accounts.settings import AccountSettings, SmtpSettings
from helpline.contacts.actions import clean_email
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import Forbidden, InvalidField, NotFound
from helpline.core.jobs import Job, PermanentJobError, job_handler

SEND_TIMEOUT = 30.0  # seconds, for each step of the conversation with the server and in all

# Bodies are made 7-bit (quoted-printable or base64, whichever is shorter), so that a relay
# without 8BITMIME carries them unchanged. Non-ASCII headers are RFC 2047 encoded anyway.
_POLICY = email.policy.default.clone(cte_type="7bit")


class SendFailed(Exception):
    """The server refused the message or could not be reached.

    `permanent`: trying the same message again cannot help (a 5xx reply, a server without
    the STARTTLS the settings ask for); otherwise it may (a 4xx reply, greylisting, a
    timeout, a refused connection). `reason` is what the server said, for the admin.
    """

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def build_message(
    smtp: SmtpSettings,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A UTF-8 message from the account's address; `headers` add to or replace the usual
    ones (give a `Message-ID` to keep one id across retries, `In-Reply-To` to thread).

    Raises ValueError for a header value with a line break (no header injection)."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = formataddr((smtp.from_name, smtp.from_email)) if smtp.from_name else smtp.from_email
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_domain(smtp.from_email))
    for name, value in (headers or {}).items():
        del message[name]  # replace one of the above rather than sending it twice
        message[name] = value
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


async def send_message(smtp: SmtpSettings, message: EmailMessage, *, timeout: float = SEND_TIMEOUT) -> None:
    """Hand `message` to the account's server, or raise SendFailed saying why not."""
    try:
        async with asyncio.timeout(timeout):  # aiosmtplib's own timeout is per step
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username or None,
                password=smtp.password if smtp.username else None,
                use_tls=smtp.security == "tls",
                # False, not None: None would upgrade whenever the server offers it, and
                # "none" means the admin chose a plain connection.
                start_tls=smtp.security == "starttls",
                timeout=timeout,
            )
    except aiosmtplib.SMTPRecipientsRefused as error:
        # Every recipient refused, each with its own reply: greylisting answers 4xx here.
        replies = [f"{refused.code} {refused.message}" for refused in error.recipients]
        permanent = all(refused.code >= 500 for refused in error.recipients)
        raise SendFailed("; ".join(replies) or "recipients refused", permanent=permanent) from error
    except aiosmtplib.SMTPResponseException as error:
        raise SendFailed(f"{error.code} {error.message}", permanent=error.code >= 500) from error
    except aiosmtplib.SMTPNotSupported as error:
        raise SendFailed(str(error), permanent=True) from error
    except TimeoutError as error:
        raise SendFailed(f"no answer from {smtp.host}:{smtp.port} within {timeout:g} s", permanent=False) from error
    except (aiosmtplib.SMTPException, OSError) as error:
        reason = str(error) or type(error).__name__
        raise SendFailed(f"cannot talk to {smtp.host}:{smtp.port}: {reason}", permanent=False) from error


@job_handler("email.send")
async def send_email_job(services: Any, job: Job) -> None:
    """Payload: to, subject, text, and optionally html, headers {name: value}, message_id.

    Idempotent as far as SMTP allows: if the process dies after the server accepted the
    message but before the job was marked done, it is sent again, with the same Message-ID
    (from the payload, or made from the job's id), by which mail clients show it once.
    """
    async with services.db.read() as session:
        account = await session.get(Account, job.account_id) if job.account_id is not None else None
    if account is None:
        raise PermanentJobError("the account does not exist")
    smtp = AccountSettings.of(account.settings).smtp
    if not smtp.configured:
        raise PermanentJobError("SMTP is not configured")
    payload = job.payload
    try:
        headers = dict(payload.get("headers") or {})
        headers.setdefault(
            "Message-ID", payload.get("message_id") or f"<job.{job.id}.{job.created_at:%Y%m%d%H%M%S}@{_domain(smtp.from_email)}>"
        )
        message = build_message(
            smtp, payload["to"], payload["subject"], payload["text"], html=payload.get("html"), headers=headers
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PermanentJobError(f"bad e-mail job payload: {type(error).__name__}: {error}") from error
    try:
        await send_message(smtp, message)
    except SendFailed as error:
        if error.permanent:
            raise PermanentJobError(error.reason) from error
        raise


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


# --- Actions --------------------------------------------------------------------------------

_AUDITED_FIELDS = ("host", "port", "security", "username", "from_email", "from_name")


async def set_smtp_settings(
    session: AsyncSession,
    *,
    actor: Agent,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str | None,
    from_email: str,
    from_name: str,
) -> SmtpSettings:
    """Replace the SMTP settings of the actor's account (admins only).

    `password=None` keeps the stored password and "" clears it. Every changed field is
    audited; the password only as set/changed/cleared, never its value. An empty host
    turns outgoing mail off.
    """
    if actor.role != Role.admin:
        raise Forbidden()
    host = host.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in host):
        raise InvalidField("A host name has no spaces.", field="host")
    try:
        from_email = clean_email(from_email) or ""
    except InvalidField as error:
        raise InvalidField(error.message, field="from_email") from None
    if host and not from_email:
        raise InvalidField("Say which address the mail comes from.", field="from_email")
    # Neither may break a header line: split() also removes CR and LF.
    from_name = " ".join(from_name.split())
    username = username.strip()
    if any(ch in "\r\n\0" for ch in username + (password or "")):
        raise InvalidField("User name and password are one line each.", field="username")

    # Locked: other settings of the account live in the same JSON and must not be lost to
    # an update that read them before this one.
    account = await session.get(Account, actor.account_id, with_for_update=True)
    if account is None:
        raise NotFound()
    old = AccountSettings.of(account.settings).smtp
    try:
        new = SmtpSettings.model_validate(
            {
                "host": host, "port": port, "security": security, "username": username,
                "password": old.password if password is None else password,
                "from_email": from_email, "from_name": from_name,
            }
        )
    except ValidationError as error:  # lengths and ranges; the API checked them already
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or None
        raise InvalidField(f"{field}: {problem['msg']}", field=field) from None
    account.settings = {**account.settings, "smtp": new.model_dump()}  # a new dict: JSON columns see no in-place change

    who = Actor("agent", actor.id, actor.name)
    for name in _AUDITED_FIELDS:
        if getattr(old, name) != getattr(new, name):
            record_change(
                session, account_id=account.id, actor=who, entity_type="account", entity_id=account.id,
                field=f"smtp.{name}", old=getattr(old, name), new=getattr(new, name),
            )
    if old.password != new.password:
        record_change(
            session, account_id=account.id, actor=who, entity_type="account", entity_id=account.id,
            field="smtp.password", old="set" if old.password else "not set",
            new=("changed" if old.password else "set") if new.password else "not set",
        )
    await session.flush()
    return new
