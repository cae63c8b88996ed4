"""WhatsApp: a business number on the WhatsApp Cloud API (Meta's Graph API), whose chats are
conversations.

The webhook cannot be registered through the API: the admin pastes the inbox's webhook URL
and its `verify_token` into the Meta app's dashboard (WhatsApp → Configuration), which checks
them with a GET (`hub.mode=subscribe`, `hub.verify_token`, answered with `hub.challenge`).
Every POST is signed by Meta with the app secret (`X-Hub-Signature-256: sha256=<hex HMAC of
the raw body>`), checked before anything is read. Only the changes of this inbox's number
(`metadata.phone_number_id`) are read: the customers' messages (the contact is the WhatsApp
user, identity `whatsapp` = their wa_id; the number is also a verified phone, so the contact
is the one who has it from another channel) and the statuses of what we sent (sent,
delivered, read, failed), which move the messages' delivery forward. Media are fetched with
the access token: `GET /{version}/{media-id}` gives a short-lived URL, read with the same
token. A message is stored once however often Meta delivers it: its id ("wamid....") is the
key.

Replies go out with `POST /{version}/{phone_number_id}/messages`; a file is uploaded first
(`POST /{version}/{phone_number_id}/media`) and sent by its id, as an image (JPEG, PNG) or a
document. WhatsApp takes free-form messages only within 24 hours of the customer's last
message (after that, only approved templates, which Helpline does not send): a reply later
than that fails at once, without calling the API, and the API's own refusal (131047) reads
the same. Rate limits and Meta's server errors are tried again; a bad token, or a number
that is not on WhatsApp, fails at once.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from helpline.channels.base import (
    ChannelAdapter,
    ChannelContext,
    ChannelError,
    DeliveryError,
    Inbound,
    IncomingFile,
    Outgoing,
    OutgoingFile,
    Sent,
    split_text,
)
from helpline.channels.delivery import report_delivery
from helpline.channels.intake import Update
from helpline.channels.inbound import MAX_INBOUND_FILE_BYTES, receive
from helpline.conversations.models import Delivery
from helpline.core.clock import utcnow

TEXT_LIMIT = 4096  # characters of a text message's body
CAPTION_LIMIT = 1024
REPLY_WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = "More than 24 hours since the customer's last message: WhatsApp allows only template messages now."
# Images WhatsApp shows as such (up to 5 MB); anything else goes as a document.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Graph API error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
RE_ENGAGEMENT = 131047  # more than 24 hours since the customer's last message
RATE_LIMITS = frozenset({4, 80007, 130429, 131048, 131056})  # app, account, throughput, spam, pair
TEMPORARY = frozenset({1, 2, 131000, 131016})  # unknown, service temporarily unavailable
ACCESS_TOKEN = frozenset({0, 190})  # could not authenticate; the token expired or is invalid
UNDELIVERABLE = 131026  # not on WhatsApp, or an app too old
_STATUSES = {"sent": Delivery.sent, "delivered": Delivery.delivered, "read": Delivery.read, "failed": Delivery.failed}
_MEDIA = ("image", "document", "audio", "video", "sticker")


class WhatsAppSettings(BaseModel):
    phone_number_id: str = Field(
        pattern=r"^[0-9]{5,30}$", description="The number's Phone number ID (Meta app → WhatsApp → API Setup)."
    )
    access_token: str = Field(
        min_length=20,
        max_length=1000,
        pattern=r"^\S+$",
        description="A permanent (system user) access token with whatsapp_business_messaging.",
    )
    app_secret: str = Field(
        min_length=16,
        max_length=200,
        pattern=r"^\S+$",
        description="The Meta app's secret (App settings → Basic): checks X-Hub-Signature-256.",
    )
    verify_token: str = Field(
        min_length=8,
        max_length=200,
        pattern=r"^\S+$",
        description="Any secret text: typed into the Meta dashboard's webhook 'Verify token' too.",
    )
    api_url: str = Field("https://graph.facebook.com", pattern=r"^https?://[^/\s]+$", description="The Graph API.")
    api_version: str = Field("v21.0", pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$", description="The Graph API version.")


class _ApiError(Exception):
    def __init__(self, status: int, code: int | None, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @property
    def reason(self) -> str:
        text = f"WhatsApp: {self.message}"
        if self.details and self.details not in self.message:
            text += f" ({self.details})"
        return text


class WhatsAppAdapter(ChannelAdapter):
    channel = "whatsapp"
    identity_kind = "whatsapp"
    settings_model = WhatsAppSettings
    secret_fields = frozenset({"access_token", "app_secret", "verify_token"})

    # --- The Graph API -------------------------------------------------------------------

    async def _call(
        self,
        ctx: ChannelContext,
        http_method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        response = await ctx.http.request(
            http_method,
            f"{settings.api_url}/{settings.api_version}/{path}",
            params=params,
            json=json,
            data=data,
            files=files,
            headers={"Authorization": f"Bearer {settings.access_token}"},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict) or "error" in body:
            error = body.get("error") if isinstance(body, dict) else None
            if not isinstance(error, dict):
                raise _ApiError(response.status_code, None, f"HTTP {response.status_code}")
            details = (
                (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
            )
            code = error.get("code")
            raise _ApiError(
                response.status_code,
                code if isinstance(code, int) else None,
                str(error.get("message") or f"HTTP {response.status_code}"),
                str(details) if details else None,
            )
        return body

    # --- Connecting ----------------------------------------------------------------------

    async def connect(self, ctx: ChannelContext) -> str:
        """Reads the number with the token. The webhook is the admin's to set in Meta's
        dashboard (the API cannot): the inbox's webhook URL and the verify token."""
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        try:
            number = await self._call(
                ctx, "GET", settings.phone_number_id, params={"fields": "display_phone_number,verified_name"}
            )
        except _ApiError as error:
            if error.status == 401 or error.code in ACCESS_TOKEN:
                raise ChannelError("WhatsApp does not accept this access token.", field="access_token") from None
            if error.status in (400, 404):
                raise ChannelError(
                    f"WhatsApp does not know this phone number ID: {error.message}", field="phone_number_id"
                ) from None
            raise ChannelError(error.reason) from None
        display = str(number.get("display_phone_number") or settings.phone_number_id)
        return f"{display} ({number['verified_name']})" if number.get("verified_name") else display

    # --- Inbound -------------------------------------------------------------------------

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        if request.method == "GET":  # the dashboard's check of the callback URL
            query = request.query_params
            token = query.get("hub.verify_token", "")
            if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), settings.verify_token.encode()
            ):
                return PlainTextResponse(query.get("hub.challenge", ""))
            return _forbidden("Wrong verify token.")
        body = await request.body()
        signature = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(settings.app_secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            return _forbidden("Wrong signature.")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not JSON."}}, status_code=400)
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            return JSONResponse({})  # another product's notification: nothing for us
        # Each message and status is stored before the answer (an error here is a 500: Meta
        # delivers the notification again later) and processed by `process`.
        updates = []
        for value in _values(payload, settings.phone_number_id):
            names = {
                str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                for c in value.get("contacts") or []
                if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                if isinstance(message, dict):
                    sender = str(message.get("from"))
                    item = {"message": message, "name": names.get(sender)}
                    updates.append(Update(key=f"message:{message.get('id')}", chat=sender, payload=item))
            for status in value.get("statuses") or []:
                if isinstance(status, dict):
                    key = f"status:{status.get('id')}:{status.get('status')}"
                    updates.append(Update(key=key, chat=str(status.get("recipient_id")), payload={"status": status}))
        await ctx.queue(updates)
        return JSONResponse({})

    async def process(self, ctx: ChannelContext, payload: dict[str, Any]) -> None:
        if isinstance(payload.get("message"), dict):
            name = payload.get("name")
            await self._receive(ctx, payload["message"], {str(payload["message"].get("from")): name})
        elif isinstance(payload.get("status"), dict):
            await self._report(ctx, payload["status"])

    async def _receive(self, ctx: ChannelContext, message: dict[str, Any], names: dict[str, Any]) -> None:
        sender, message_id = message.get("from"), message.get("id")
        if not isinstance(sender, str) or not sender.isdigit() or not isinstance(message_id, str):
            return
        kind = str(message.get("type") or "unknown")
        text, files = await self._content_of(ctx, kind, message)
        if text is None:
            return  # not a customer message (a reaction taken back, a system notice)
        name = names.get(sender)
        await receive(
            ctx.services,
            ctx.inbox,
            self.identity_kind,
            Inbound(
                identity=sender,
                external_id=message_id,
                text=text,
                name=name if isinstance(name, str) else None,
                phone=f"+{sender}",
                files=files,
                sent_at=_time(message.get("timestamp")),
            ),
        )

    async def _content_of(
        self, ctx: ChannelContext, kind: str, message: dict[str, Any]
    ) -> tuple[str | None, list[IncomingFile]]:
        """The text and files of a message (text None: nothing to store)."""
        body = message.get(kind) if isinstance(message.get(kind), dict) else {}
        if kind == "text":
            return str(body.get("body") or ""), []
        if kind in _MEDIA:
            file = await self._download(ctx, kind, body)
            return str(body.get("caption") or ""), [file] if file else []
        if kind == "location":
            place = ", ".join(str(body[key]) for key in ("name", "address") if body.get(key))
            where = f"{body.get('latitude')}, {body.get('longitude')}"
            return f"[location] {where}" + (f" ({place})" if place else ""), []
        if kind == "button":
            return str(body.get("text") or "[button]"), []
        if kind == "interactive":
            reply = body.get("button_reply") or body.get("list_reply") or {}
            return str(reply.get("title") or "[interactive]"), []
        if kind == "reaction":
            return (str(body["emoji"]) if body.get("emoji") else None), []
        if kind == "system":
            return None, []
        return f"[{kind}]", []

    async def _download(self, ctx: ChannelContext, kind: str, media: dict[str, Any]) -> IncomingFile | None:
        if not isinstance(media.get("id"), str):
            return None
        content_type = str(media.get("mime_type") or "application/octet-stream").split(";")[0].strip()
        name = _file_name(kind, media, content_type)
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        try:
            found = await self._call(ctx, "GET", media["id"])
            if not isinstance(found.get("url"), str):
                raise _ApiError(502, None, "no URL for the file")
            if int(found.get("file_size") or 0) > MAX_INBOUND_FILE_BYTES:
                raise _ApiError(413, None, "too large to keep")
            # The URL is Meta's and short-lived; it wants the same token.
            response = await ctx.http.get(found["url"], headers={"Authorization": f"Bearer {settings.access_token}"})
            if response.status_code >= 400:
                raise _ApiError(response.status_code, None, f"HTTP {response.status_code}")
        except _ApiError as error:
            if error.status >= 500:
                raise  # Meta delivers the notification again, and we ask again
            note = f"WhatsApp did not give out {name}: {error.message}."
            return IncomingFile(name=f"{name}.txt", content_type="text/plain", data=note.encode())
        return IncomingFile(name=name, content_type=content_type, data=response.content)

    async def _report(self, ctx: ChannelContext, status: dict[str, Any]) -> None:
        state = _STATUSES.get(str(status.get("status")))
        if state is None or not isinstance(status.get("id"), str):
            return
        error = None
        if state == Delivery.failed:
            errors = [e for e in status.get("errors") or [] if isinstance(e, dict)]
            error = _failure_reason(errors[0]) if errors else "WhatsApp could not deliver the message."
        async with ctx.services.db.transaction() as session:
            await report_delivery(session, inbox=ctx.inbox, external_id=status["id"], status=state, error=error)

    # --- Outbound ------------------------------------------------------------------------

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        last = outgoing.customer_last_message_at
        if last is not None and utcnow() - (last if last.tzinfo else last.replace(tzinfo=UTC)) > REPLY_WINDOW:
            raise DeliveryError(OUTSIDE_WINDOW, permanent=True)
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        text = outgoing.text.strip()
        # One file with a short text: the text is its caption, one WhatsApp message.
        caption = text if len(outgoing.files) == 1 and len(text) <= CAPTION_LIMIT else ""
        sent: list[str | None] = []  # the wamids; the first is the one statuses are matched to
        try:
            for chunk in [] if caption else split_text(text, TEXT_LIMIT):
                sent.append(await self._send(ctx, outgoing.recipient, "text", {"body": chunk}))
            for file in outgoing.files:
                kind = "image" if file.content_type in IMAGE_TYPES and file.size <= MAX_IMAGE_BYTES else "document"
                uploaded = await self._call(
                    ctx,
                    "POST",
                    f"{settings.phone_number_id}/media",
                    data={"messaging_product": "whatsapp", "type": file.content_type},
                    files={"file": (file.name, file.path.read_bytes(), file.content_type)},
                )
                sent.append(await self._send(ctx, outgoing.recipient, kind, _media(kind, uploaded, file, caption)))
        except _ApiError as error:
            raise _delivery_error(error) from None
        return Sent(external_id=sent[0] if sent else None)

    async def _send(self, ctx: ChannelContext, to: str, kind: str, content: dict[str, Any]) -> str | None:
        settings: WhatsAppSettings = ctx.settings  # type: ignore[assignment]
        sent = await self._call(
            ctx,
            "POST",
            f"{settings.phone_number_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": kind,
                kind: content,
            },
        )
        messages = sent.get("messages") or [{}]
        return messages[0].get("id") if isinstance(messages[0], dict) else None


def _forbidden(message: str) -> Response:
    return JSONResponse({"error": {"code": "forbidden", "message": message}}, status_code=403)


def _values(payload: dict[str, Any], phone_number_id: str) -> list[dict[str, Any]]:
    """The `messages` changes of this inbox's number (one app may serve several)."""
    found = []
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            if str((value.get("metadata") or {}).get("phone_number_id")) == phone_number_id:
                found.append(value)
    return found


def _time(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _file_name(kind: str, media: dict[str, Any], content_type: str) -> str:
    if kind == "document" and media.get("filename"):
        return str(media["filename"])
    extension = {"image/jpeg": ".jpg", "audio/ogg": ".ogg", "image/webp": ".webp"}.get(content_type) or (
        mimetypes.guess_extension(content_type) or ""
    )
    stem = {"image": "photo", "audio": "voice" if media.get("voice") else "audio"}.get(kind, kind)
    return stem + extension


def _media(kind: str, uploaded: dict[str, Any], file: OutgoingFile, caption: str) -> dict[str, Any]:
    content: dict[str, Any] = {"id": str(uploaded.get("id"))}
    if kind == "document":
        content["filename"] = file.name
    if caption:
        content["caption"] = caption
    return content


def _delivery_error(error: _ApiError) -> DeliveryError:
    if error.code == RE_ENGAGEMENT:
        return DeliveryError(OUTSIDE_WINDOW, permanent=True)
    if error.code in RATE_LIMITS or error.code in TEMPORARY or error.status == 429 or error.status >= 500:
        return DeliveryError(error.reason)
    if error.code in ACCESS_TOKEN or error.status == 401:
        return DeliveryError(
            "WhatsApp does not accept the access token: replace it in the inbox's settings.", permanent=True
        )
    if error.code == UNDELIVERABLE:
        return DeliveryError("WhatsApp cannot deliver to this number (not on WhatsApp, or an old app).", permanent=True)
    return DeliveryError(error.reason, permanent=True)


def _failure_reason(error: dict[str, Any]) -> str:
    """A failed status's first error, as the agent reads it."""
    code = error.get("code")
    if code == RE_ENGAGEMENT:
        return OUTSIDE_WINDOW
    if code == UNDELIVERABLE:
        return "WhatsApp cannot deliver to this number (not on WhatsApp, or an old app)."
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    title = error.get("title") or error.get("message") or "could not deliver the message"
    return f"WhatsApp: {title}" + (f" ({details})" if details and details != title else "")


ADAPTER = WhatsAppAdapter()
