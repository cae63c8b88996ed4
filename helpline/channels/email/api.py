"""Admin routes for the account's outgoing mail: read and set the SMTP settings, and send a
test e-mail through them. The password is write-only: replies say only `password_set`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from helpline.accounts.auth import CurrentAdmin
from helpline.accounts.models import Account
from helpline.accounts.settings import AccountSettings, SmtpSettings
from helpline.channels.email.outbound import SendFailed, build_message, send_message, set_smtp_settings
from helpline.contacts.actions import clean_email
from helpline.core.errors import InvalidField, NotFound, SmtpFailed
from helpline.core.http import ServicesDep

router = APIRouter(prefix="/api/v1")

# The admin is waiting for the answer (and so may a proxy in front of us): give up sooner
# than a job would.
TEST_SEND_TIMEOUT = 15.0


class SmtpIn(BaseModel):
    host: str = Field(max_length=253)
    port: int = Field(ge=1, le=65535)
    security: Literal["none", "starttls", "tls"]
    username: str = Field("", max_length=254)
    # Omitted or null: keep the stored one; "": clear it.
    password: str | None = Field(None, max_length=500)
    from_email: str = Field(max_length=254)
    from_name: str = Field("", max_length=200)


class SmtpTestIn(BaseModel):
    to: str = Field(max_length=254)


async def _smtp_of(services: ServicesDep, account_id: int) -> SmtpSettings:
    async with services.db.read() as session:
        account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return AccountSettings.of(account.settings).smtp


@router.get("/account/smtp")
async def get_smtp(context: CurrentAdmin, services: ServicesDep) -> dict:
    return {"smtp": (await _smtp_of(services, context.agent.account_id)).public()}


@router.put("/account/smtp")
async def put_smtp(body: SmtpIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        smtp = await set_smtp_settings(session, actor=context.agent, **body.model_dump())
    return {"smtp": smtp.public()}


@router.post("/account/smtp/test")
async def send_test_email(body: SmtpTestIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    """Send one message now, not through a job: the admin wants to know whether the settings
    work, and the mail server's own words if not."""
    try:
        to = clean_email(body.to)
    except InvalidField as error:
        raise InvalidField(error.message, field="to") from None
    if to is None:
        raise InvalidField("Say where to send the test e-mail.", field="to")
    smtp = await _smtp_of(services, context.agent.account_id)
    if not smtp.configured:
        raise SmtpFailed("SMTP is not configured.")
    message = build_message(
        smtp,
        to,
        "Helpline: проверка почты / test e-mail",
        "Это проверочное письмо от Helpline: исходящая почта настроена верно.\n"
        "This is a test e-mail from Helpline: outgoing mail works.\n",
    )
    try:
        await send_message(smtp, message, timeout=TEST_SEND_TIMEOUT)
    except SendFailed as error:
        raise SmtpFailed(error.reason) from error
    return {"ok": True}
