"""Telegram: a bot (Bot API) whose private chats are conversations.

Updates come by webhook (registered with `setWebhook`; Telegram then sends the secret token
in `X-Telegram-Bot-Api-Secret-Token`, checked before anything is read; each update is queued
and processed after, helpline.channels.intake) or by long polling
(`getUpdates`, for a Helpline without a public HTTPS address; the next offset is kept in the
inbox's cursor once an update is stored). Text, photos, documents, voice messages and
stickers (as images) arrive; the contact is the Telegram user (identity `telegram` = the user
id, which is also the private chat's id) with their name, and their @username in the
conversation's context. A message is stored once however often its update comes: its
Telegram message id is the key.

Replies go out with sendMessage (split at Telegram's 4,096 characters), sendPhoto for images
and sendDocument for other files. "Forbidden: bot was blocked by the user" marks the contact's
identity blocked and fails the message at once; 429 is retried not before `retry_after`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Literal

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
    Sent,
    split_text,
)
from helpline.channels.inbound import receive
from helpline.channels.intake import Update
from helpline.channels.pollers import save_cursor

TEXT_LIMIT = 4096  # characters of one message
CAPTION_LIMIT = 1024
POLL_SECONDS = 25  # a getUpdates long poll waits this long for news
# The largest file a bot may download through the Bot API.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_TOKEN = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$")


class TelegramSettings(BaseModel):
    token: str = Field(pattern=_TOKEN.pattern, description="The bot's token from @BotFather.")
    mode: Literal["webhook", "polling"] = Field(
        "webhook",
        description="webhook: Telegram calls Helpline (needs a public HTTPS address); polling: Helpline asks.",
    )
    api_url: str = Field("https://api.telegram.org", pattern=r"^https?://[^/\s]+$", description="The Bot API server.")


class _ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: float | None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class TelegramAdapter(ChannelAdapter):
    channel = "telegram"
    identity_kind = "telegram"
    settings_model = TelegramSettings
    secret_fields = frozenset({"token"})

    # --- The Bot API ---------------------------------------------------------------------

    async def _call(
        self,
        ctx: ChannelContext,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        timeout: float | None = None,
    ) -> Any:
        settings: TelegramSettings = ctx.settings  # type: ignore[assignment]
        url = f"{settings.api_url}/bot{settings.token}/{method}"
        extra = {"timeout": timeout} if timeout is not None else {}
        if files:
            form = {
                key: value if isinstance(value, str) else orjson.dumps(value).decode()
                for key, value in (params or {}).items()
            }
            response = await ctx.http.post(url, data=form, files=files, **extra)
        else:
            response = await ctx.http.post(url, json=params or {}, **extra)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict) or not body.get("ok"):
            description = (
                str(body.get("description") or f"HTTP {response.status_code}") if isinstance(body, dict) else ""
            )
            retry_after = (body.get("parameters") or {}).get("retry_after") if isinstance(body, dict) else None
            code = body.get("error_code", response.status_code) if isinstance(body, dict) else response.status_code
            raise _ApiError(int(code), description or f"HTTP {response.status_code}", retry_after)
        return body.get("result")

    def _webhook_token(self, ctx: ChannelContext) -> str:
        """The secret Telegram repeats in each webhook request: derived from the inbox's own."""
        key = ctx.services.settings.signing_key.encode()
        return hmac.new(key, f"telegram:{ctx.inbox.secret}".encode(), hashlib.sha256).hexdigest()

    # --- Connecting ----------------------------------------------------------------------

    async def connect(self, ctx: ChannelContext) -> str:
        settings: TelegramSettings = ctx.settings  # type: ignore[assignment]
        try:
            me = await self._call(ctx, "getMe")
            if settings.mode == "webhook":
                await self._call(
                    ctx,
                    "setWebhook",
                    {"url": ctx.webhook_url, "secret_token": self._webhook_token(ctx), "allowed_updates": ["message"]},
                )
            else:  # getUpdates answers 409 while a webhook is set
                await self._call(ctx, "deleteWebhook", {"drop_pending_updates": False})
        except _ApiError as error:
            if error.code in (401, 404):
                raise ChannelError("Telegram does not know this token.", field="token") from None
            raise ChannelError(f"Telegram: {error.description}") from None
        return f"@{me.get('username')}" if isinstance(me, dict) and me.get("username") else "Telegram bot"

    # --- Inbound -------------------------------------------------------------------------

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        sent = request.headers.get("x-telegram-bot-api-secret-token", "")
        if request.method != "POST" or not hmac.compare_digest(sent.encode(), self._webhook_token(ctx).encode()):
            return JSONResponse({"error": {"code": "forbidden", "message": "Wrong secret token."}}, status_code=403)
        try:
            update = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not JSON."}}, status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not an update."}}, status_code=400)
        message = update.get("message") if isinstance(update.get("message"), dict) else {}
        chat = (message.get("chat") or {}).get("id") if isinstance(message.get("chat"), dict) else None
        # Stored before the answer (an error here is a 500: Telegram delivers it again);
        # processed by `process`.
        await ctx.queue([Update(key=str(update["update_id"]), chat=str(chat), payload=update)])
        return JSONResponse({})

    def polls(self, settings: BaseModel) -> bool:
        return isinstance(settings, TelegramSettings) and settings.mode == "polling"

    async def poll(self, ctx: ChannelContext) -> None:
        offset = int(ctx.inbox.cursor.get("offset", 0)) if ctx.inbox.cursor else 0
        try:
            updates = await self._call(
                ctx,
                "getUpdates",
                {"offset": offset, "timeout": POLL_SECONDS, "allowed_updates": ["message"]},
                timeout=POLL_SECONDS + 10,
            )
        except _ApiError as error:
            raise ChannelError(f"Telegram: {error.description}") from None
        for update in updates or []:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                continue
            await self.process(ctx, update)
            offset = update["update_id"] + 1
            await save_cursor(ctx.services, ctx.inbox.id, {"offset": offset})
            ctx.inbox.cursor = {"offset": offset}

    async def process(self, ctx: ChannelContext, update: dict[str, Any]) -> None:
        message = update.get("message")
        if not isinstance(message, dict):
            return  # edits, channel posts and the like are not customer messages
        chat, sender = message.get("chat") or {}, message.get("from") or {}
        if chat.get("type") != "private" or not isinstance(sender.get("id"), int) or sender.get("is_bot"):
            return
        text = message.get("text") or message.get("caption") or ""
        files = await self._files_of(ctx, message)
        if not text and not files:
            text = "[" + next((kind for kind in _OTHER_KINDS if kind in message), "message") + "]"
        name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
        context: dict[str, Any] = {}
        if sender.get("username"):
            context["username"] = f"@{sender['username']}"
        await receive(
            ctx.services,
            ctx.inbox,
            self.identity_kind,
            Inbound(
                identity=str(sender["id"]),
                external_id=f"{chat.get('id')}:{message.get('message_id')}",
                text=text,
                name=name or None,
                files=files,
                context=context,
            ),
        )

    async def _files_of(self, ctx: ChannelContext, message: dict[str, Any]) -> list[IncomingFile]:
        """The photo (its largest size), document, voice message or sticker of a message."""
        wanted: list[tuple[dict[str, Any], str, str | None]] = []  # (file object, name, type)
        if isinstance(message.get("photo"), list) and message["photo"]:
            wanted.append((message["photo"][-1], "photo.jpg", "image/jpeg"))
        if isinstance(message.get("document"), dict):
            document = message["document"]
            wanted.append((document, document.get("file_name") or "document", document.get("mime_type")))
        if isinstance(message.get("voice"), dict):
            wanted.append((message["voice"], "voice.ogg", message["voice"].get("mime_type") or "audio/ogg"))
        if isinstance(message.get("sticker"), dict):
            sticker = message["sticker"]
            if not sticker.get("is_animated") and not sticker.get("is_video"):
                wanted.append((sticker, "sticker.webp", "image/webp"))
            elif isinstance(sticker.get("thumbnail") or sticker.get("thumb"), dict):
                wanted.append((sticker.get("thumbnail") or sticker["thumb"], "sticker.webp", "image/webp"))
        files = []
        for item, name, content_type in wanted:
            data = await self._download(ctx, item)
            if data is None:
                data = f"Telegram did not give out {name} (too large for a bot to download).".encode()
                name, content_type = f"{name}.txt", "text/plain"
            files.append(IncomingFile(name=name, content_type=content_type, data=data))
        return files

    async def _download(self, ctx: ChannelContext, item: dict[str, Any]) -> bytes | None:
        if not isinstance(item.get("file_id"), str) or (item.get("file_size") or 0) > MAX_DOWNLOAD_BYTES:
            return None
        try:
            found = await self._call(ctx, "getFile", {"file_id": item["file_id"]})
        except _ApiError as error:
            if error.code == 400:  # "file is too big"
                return None
            raise
        settings: TelegramSettings = ctx.settings  # type: ignore[assignment]
        response = await ctx.http.get(f"{settings.api_url}/file/bot{settings.token}/{found['file_path']}")
        response.raise_for_status()
        return response.content

    # --- Outbound ------------------------------------------------------------------------

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        chat_id = outgoing.recipient
        first: int | None = None
        try:
            for chunk in split_text(outgoing.text, TEXT_LIMIT):
                sent = await self._call(ctx, "sendMessage", {"chat_id": chat_id, "text": chunk})
                first = first or sent.get("message_id")
            for file in outgoing.files:
                method, field = ("sendPhoto", "photo") if file.image else ("sendDocument", "document")
                upload = {field: (file.name, file.path.read_bytes(), file.content_type)}
                sent = await self._call(ctx, method, {"chat_id": chat_id}, files=upload)
                first = first or sent.get("message_id")
        except _ApiError as error:
            raise _delivery_error(error) from None
        return Sent(external_id=f"{chat_id}:{first}" if first else None)


_OTHER_KINDS = ("location", "contact", "video", "video_note", "audio", "animation", "poll", "venue", "dice")


def _delivery_error(error: _ApiError) -> DeliveryError:
    if error.code == 403 and "blocked" in error.description.lower():
        return DeliveryError("The customer blocked the bot in Telegram.", blocked=True)
    if error.code == 429:
        return DeliveryError(f"Telegram: {error.description}", retry_after=error.retry_after or 1)
    if error.code >= 500:
        return DeliveryError(f"Telegram: {error.description}")
    return DeliveryError(f"Telegram: {error.description}", permanent=True)  # 400, 401, 403: sending again cannot help


ADAPTER = TelegramAdapter()
