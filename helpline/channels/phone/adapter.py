"""Phone: a telephony system (a PBX, a cloud telephony service, or a small script between
them) posts each call's events to the inbox's webhook; agents answer by calling back.

The wire format is Helpline's own (docs/protocol.md, "Phone webhook"): a JSON object
`{event, call_id, from, to, direction, agent_email, duration_seconds, recording_url, at}`,
signed with the inbox's `signing_secret`: `X-Helpline-Signature: sha256=<hex HMAC-SHA256 of
the raw body>`, checked before anything is read. The customer's number (`from` on an incoming
call, `to` on an outgoing one) is cleaned as the contacts' phones are, and its digits are the
contact's `phone` identity, so the caller is the contact who has that number from any other
channel, and a ban of the number applies. helpline.channels.phone.actions records the event;
a repeated delivery of an event stores nothing new.

Nothing is sent through the phone channel: a text answer in a phone conversation fails at
once with a reason that says to call back.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from helpline.channels.base import ChannelAdapter, ChannelContext, DeliveryError, Inbound, Outgoing, Sent
from helpline.channels.inbound import contact_for, refused
from helpline.channels.phone.actions import Call, record_call
from helpline.contacts.actions import clean_phone, identity_value
from helpline.core.errors import InvalidField, invalid_field_of

SIGNATURE_HEADER = "x-helpline-signature"
MAX_BODY_BYTES = 64 * 1024  # an event is a few hundred bytes
NOT_SENT = "Phone conversations are answered by calling back."


class PhoneSettings(BaseModel):
    signing_secret: str = Field(
        min_length=16,
        max_length=200,
        description="Shared with the telephony: it signs each event (X-Helpline-Signature).",
    )


class CallEventIn(BaseModel):
    """An event as the telephony sends it; unknown keys are ignored (PBXs add their own)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event: Literal["call.started", "call.answered", "call.missed", "call.ended"]
    call_id: str = Field(min_length=1, max_length=200)
    from_: str | None = Field(None, alias="from", max_length=40)
    to: str | None = Field(None, max_length=40)
    direction: Literal["in", "out"] = "in"
    agent_email: str | None = Field(None, max_length=254)
    duration_seconds: int | None = Field(None, ge=0, le=7 * 24 * 3600)
    recording_url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # a time without an offset is read as UTC
        return value


class PhoneAdapter(ChannelAdapter):
    channel = "phone"
    identity_kind = "phone"
    settings_model = PhoneSettings
    secret_fields = frozenset({"signing_secret"})
    sends = False  # answered by calling back; routing's auto-replies are not tried

    async def connect(self, ctx: ChannelContext) -> str:
        # Nothing to ask: the telephony calls us. The settings were validated already.
        return "Telephony webhook ready"

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        if request.method != "POST":
            return JSONResponse(
                {"error": {"code": "method_not_allowed", "message": "Events are POSTed."}},
                status_code=405,
                headers={"Allow": "POST"},
            )
        body = await request.body()
        settings: PhoneSettings = ctx.settings  # type: ignore[assignment]
        if len(body) > MAX_BODY_BYTES or not _signed(body, request.headers.get(SIGNATURE_HEADER, ""), settings):
            return JSONResponse({"error": {"code": "forbidden", "message": "Wrong signature."}}, status_code=403)
        call = _call_of(body)
        inbound = Inbound(identity=identity_value("phone", call.customer), external_id=call.key, text="", phone=call.customer)
        if await refused(ctx.services, ctx.inbox, self.identity_kind, inbound):
            return JSONResponse({"ok": True, "conversation_id": None, "duplicate": False})
        # An error here is a 500: the telephony delivers the event again later.
        async with ctx.services.db.transaction() as session:
            contact = await contact_for(session, ctx.inbox.account_id, self.identity_kind, inbound)
            recorded = await record_call(session, inbox=ctx.inbox, contact=contact, call=call)
        return JSONResponse({"ok": True, "conversation_id": recorded.conversation.id, "duplicate": recorded.duplicate})

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        raise DeliveryError(NOT_SENT, permanent=True)


def _signed(body: bytes, header: str, settings: PhoneSettings) -> bool:
    expected = "sha256=" + hmac.new(settings.signing_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def _call_of(body: bytes) -> Call:
    """The event in `body`, checked; InvalidField (422) naming what is wrong."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidField("The body is not JSON.", field="body") from None
    try:
        event = CallEventIn.model_validate(raw)
    except ValidationError as error:
        raise invalid_field_of(error) from None
    number = event.from_ if event.direction == "in" else event.to
    field = "from" if event.direction == "in" else "to"
    try:
        customer = clean_phone(number)
    except InvalidField:
        customer = None
    if customer is None:
        raise InvalidField(f"{field}: the customer's phone number is required.", field=field)
    return Call(
        event=event.event,
        call_id=event.call_id,
        direction=event.direction,
        customer=customer,
        line=event.to if event.direction == "in" else event.from_,
        agent_email=event.agent_email,
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
        at=event.at,
    )


ADAPTER = PhoneAdapter()
