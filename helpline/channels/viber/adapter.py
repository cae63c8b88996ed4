"""Viber: a bot (REST Bot API) whose chats with subscribers are conversations.

Connecting asks get_account_info (the bot's name) and registers the webhook with set_webhook;
Viber then calls the webhook with a `webhook` event and takes it only if that is answered
200. Every callback is signed: `X-Viber-Content-Signature` is the hex HMAC-SHA256 of the raw
body keyed with the auth token, checked before anything is read. Text, pictures, files and
stickers arrive (the media downloaded at once: Viber's links expire); the contact is the Viber
user (identity `viber` = the sender's id) with the name Viber sends. A message is stored once
however often its callback comes: its `message_token` is the key.

Replies go out with send_message: the text, then each file as a `picture` (JPEG, PNG, GIF up
to 1 MB) or a `file` — Viber takes no upload but fetches the media from its URL, so files are
given as their Helpline download links (`/files/...`, which needs a public
HELPLINE_PUBLIC_URL, as the webhook does). The first message's token is the message's
external id, so the `delivered`, `seen` and `failed` callbacks move its delivery state.
Errors come as HTTP 200 with a non-zero `status`: 6 (the customer is not subscribed, or
unsubscribed) marks the contact's identity blocked; 12 (too many requests) and unknown
general errors are retried; the rest fail at once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
    download,
)
from helpline.channels.delivery import report_delivery
from helpline.channels.intake import Update
from helpline.channels.inbound import MAX_INBOUND_FILE_BYTES, receive
from helpline.conversations.models import Delivery

# Callbacks asked for besides `message` (always sent); `webhook` comes once, on set_webhook.
EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]
PICTURE_TYPES = {"image/jpeg", "image/png", "image/gif"}
MAX_PICTURE_BYTES = 1024 * 1024  # what every Viber client shows
MAX_FILE_BYTES = 50 * 1024 * 1024
FILE_NAME_LIMIT = 256
# Status codes of the REST Bot API (all below 25); anything else is a "general error".
_RECEIVER_NOT_SUBSCRIBED = 6
_TOO_MANY_REQUESTS = 12
_DOCUMENTED = set(range(1, 25))
_REPORTS = {"delivered": Delivery.delivered, "seen": Delivery.read, "failed": Delivery.failed}
_DEFAULT_NAMES = {"picture": "photo.jpg", "sticker": "sticker.png", "file": "file"}


class ViberSettings(BaseModel):
    auth_token: str = Field(
        pattern=r"^[A-Za-z0-9-]{20,100}$", description="The bot's token (Viber Admin Panel, or the bot's Edit info)."
    )
    sender_name: str = Field(
        "Helpline", min_length=1, max_length=28, description="The name the customer sees on the bot's messages."
    )
    api_url: str = Field("https://chatapi.viber.com", pattern=r"^https?://[^/\s]+$", description="The Viber API.")


class _ApiError(Exception):
    def __init__(self, status: int, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.status = status  # Viber's status; 0 when the answer was not Viber's JSON
        self.message = message
        self.temporary = temporary


class ViberAdapter(ChannelAdapter):
    channel = "viber"
    identity_kind = "viber"
    settings_model = ViberSettings
    secret_fields = frozenset({"auth_token"})

    # --- The REST Bot API ----------------------------------------------------------------

    async def _call(self, ctx: ChannelContext, method: str, body: dict[str, Any]) -> dict[str, Any]:
        settings: ViberSettings = ctx.settings  # type: ignore[assignment]
        response = await ctx.http.post(
            f"{settings.api_url}/pa/{method}", json=body, headers={"X-Viber-Auth-Token": settings.auth_token}
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
            status = response.status_code
            raise _ApiError(0, f"HTTP {status}", temporary=status >= 500 or status == 429)
        if answer["status"] != 0:
            status = answer["status"]
            message = str(answer.get("status_message") or f"status {status}")
            raise _ApiError(status, message, temporary=status == _TOO_MANY_REQUESTS or status not in _DOCUMENTED)
        return answer

    # --- Connecting ----------------------------------------------------------------------

    async def connect(self, ctx: ChannelContext) -> str:
        try:
            account = await self._call(ctx, "get_account_info", {})
            await self._call(
                ctx,
                "set_webhook",
                {"url": ctx.webhook_url, "event_types": EVENT_TYPES, "send_name": True, "send_photo": False},
            )
        except _ApiError as error:
            if error.status == 2:  # invalidAuthToken
                raise ChannelError("Viber does not know this token.", field="auth_token") from None
            if error.status == 1:  # invalidUrl: the webhook check did not get a 200
                raise ChannelError(
                    f"Viber could not reach {ctx.webhook_url} (a public HTTPS address is needed).",
                ) from None
            raise ChannelError(f"Viber: {error.message}") from None
        return str(account.get("name") or "Viber bot")

    # --- Inbound -------------------------------------------------------------------------

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        settings: ViberSettings = ctx.settings  # type: ignore[assignment]
        body = await request.body()
        expected = hmac.new(settings.auth_token.encode(), body, hashlib.sha256).hexdigest()
        signature = request.headers.get("x-viber-content-signature", "")
        if request.method != "POST" or not hmac.compare_digest(signature.encode(), expected.encode()):
            return JSONResponse({"error": {"code": "forbidden", "message": "Wrong signature."}}, status_code=403)
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not JSON."}}, status_code=400)
        if not isinstance(event, dict):
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not an event."}}, status_code=400)
        kind = event.get("event")
        if kind == "webhook":
            return Response(status_code=200)  # set_webhook's check
        if ctx.inbox.id is None:  # still being connected: Viber sends it again
            return Response(status_code=503)
        # Stored before the answer (an error here is a 500: Viber sends the callback again);
        # processed by `process`. subscribed, unsubscribed, conversation_started: nothing to
        # store (a send to someone who unsubscribed fails with status 6, which marks them).
        if (kind == "message" or kind in _REPORTS) and event.get("message_token") is not None:
            sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
            chat = sender.get("id") or event.get("user_id")
            key = f"{kind}:{event['message_token']}" if kind in _REPORTS else str(event["message_token"])
            await ctx.queue([Update(key=key, chat=str(chat), payload=event)])
        return Response(status_code=200)

    async def process(self, ctx: ChannelContext, payload: dict[str, Any]) -> None:
        kind = payload.get("event")
        if kind == "message":
            await self._handle(ctx, payload)
        elif kind in _REPORTS:
            async with ctx.services.db.transaction() as session:
                await report_delivery(
                    session,
                    inbox=ctx.inbox,
                    external_id=str(payload["message_token"]),
                    status=_REPORTS[kind],
                    error=f"Viber: {payload.get('desc') or 'not delivered'}" if kind == "failed" else None,
                )

    async def _handle(self, ctx: ChannelContext, event: dict[str, Any]) -> None:
        sender, message = event.get("sender"), event.get("message")
        token = event.get("message_token")
        if not isinstance(sender, dict) or not isinstance(message, dict) or token is None:
            return
        if not isinstance(sender.get("id"), str) or not sender["id"]:
            return
        kind = str(message.get("type") or "message")
        text = str(message.get("text") or "")
        if kind == "url" and not text:
            text = str(message.get("media") or "")
        files = await self._files_of(ctx, kind, message)
        if not text and not files:
            text = f"[{kind}]"
        await receive(
            ctx.services,
            ctx.inbox,
            self.identity_kind,
            Inbound(
                identity=sender["id"],
                external_id=str(token),
                text=text,
                name=str(sender.get("name") or "").strip() or None,
                files=files,
            ),
        )

    async def _files_of(self, ctx: ChannelContext, kind: str, message: dict[str, Any]) -> list[IncomingFile]:
        """The picture, file or sticker of a message (videos stay "[video]": too large to keep)."""
        media = message.get("media")
        if kind not in _DEFAULT_NAMES or not isinstance(media, str) or not media.startswith(("http://", "https://")):
            return []
        name = str(message.get("file_name") or _DEFAULT_NAMES[kind])
        size = message.get("size")
        data = (
            None
            if isinstance(size, int) and size > MAX_INBOUND_FILE_BYTES
            else await download(ctx, media, MAX_INBOUND_FILE_BYTES)
        )
        if data is None:
            return [IncomingFile(f"{name}.txt", "text/plain", f"Viber did not give out {name}.".encode())]
        return [IncomingFile(name=name, content_type=None, data=data)]

    # --- Outbound ------------------------------------------------------------------------

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        settings: ViberSettings = ctx.settings  # type: ignore[assignment]
        envelope = {"receiver": outgoing.recipient, "min_api_version": 1, "sender": {"name": settings.sender_name}}
        messages = [{"type": "text", "text": outgoing.text}] if outgoing.text.strip() else []
        messages += [_media_message(file) for file in outgoing.files]
        first: str | None = None
        try:
            for message in messages:
                sent = await self._call(ctx, "send_message", {**envelope, **message})
                if first is None and sent.get("message_token") is not None:
                    first = str(sent["message_token"])
        except _ApiError as error:
            raise _delivery_error(error) from None
        return Sent(external_id=first)


def _media_message(file: OutgoingFile) -> dict[str, Any]:
    """A picture or a file message: Viber downloads `media` itself."""
    if file.size > MAX_FILE_BYTES:
        raise DeliveryError(f"{file.name} is larger than Viber takes (50 MB).", permanent=True)
    if file.content_type in PICTURE_TYPES and file.size <= MAX_PICTURE_BYTES:
        return {"type": "picture", "text": "", "media": file.url}
    return {"type": "file", "media": file.url, "size": file.size, "file_name": file.name[-FILE_NAME_LIMIT:]}


def _delivery_error(error: _ApiError) -> DeliveryError:
    if error.status == _RECEIVER_NOT_SUBSCRIBED:
        return DeliveryError("The customer is not subscribed to the bot in Viber.", blocked=True)
    if error.status == _TOO_MANY_REQUESTS:
        return DeliveryError(f"Viber: {error.message}", retry_after=1)
    return DeliveryError(f"Viber: {error.message}", permanent=not error.temporary)


ADAPTER = ViberAdapter()
