"""VK: a community's messages (Callback API) whose private dialogs are conversations.

The admin points the community's Callback API server (Manage → API usage → Callback API) at
the inbox's webhook URL with a secret key. VK first sends a `confirmation` event, answered
with the confirmation code (from the settings, or fetched with
groups.getCallbackConfirmationCode when none is given); every other event carries the secret
key and the community's id, both checked before anything is read. VK wants exactly `ok` back
and sends an event again until it gets it, so a message is stored once however often it comes:
`<peer_id>:<message id>` is the key. Text, photos (the largest size), documents, voice
messages and stickers arrive; the contact is the VK user (identity `vk` = the user id, which is
also the dialog's peer_id) with the name users.get gives.

Replies go out with messages.send (split at 4,096 characters); pictures are uploaded with
photos.getMessagesUploadServer → saveMessagesPhoto, other files with
docs.getMessagesUploadServer → docs.save, and attached. `random_id` is the Helpline message
id: VK sends a message with a random_id it has seen once only, so a send repeated after a lost
answer is not delivered twice. VK answers errors with HTTP 200 and `{"error": {...}}`: too
many requests (6), flood control (9) and internal errors (1, 10) are retried; a customer who
has not allowed the community's messages (901) or forbids them in privacy settings (902) is
marked blocked.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from typing import Any

import httpx
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
    download,
    split_text,
)
from helpline.channels.intake import Update
from helpline.channels.inbound import MAX_INBOUND_FILE_BYTES, receive

TEXT_LIMIT = 4096  # characters of one message
# Peers from this id on are group chats, not a customer's dialog with the community.
CHAT_PEER_BASE = 2_000_000_000
# What photos.getMessagesUploadServer takes; other images go as documents.
PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif"}
# Error codes VK calls passing: unknown error, too many requests per second, flood control,
# internal server error.
_TEMPORARY = {1, 6, 9, 10}
# "Can't send messages for users without permission", "... due to their privacy settings".
_FORBIDDEN_BY_CUSTOMER = {901, 902}
# Names of customers by (inbox, user id): users.get once per customer and process.
_NAMES: OrderedDict[tuple[int, int], str] = OrderedDict()
_NAMES_KEPT = 10_000


class VkSettings(BaseModel):
    group_id: int = Field(gt=0, description="The community's id (vk.com/club<id>).")
    access_token: str = Field(
        pattern=r"^[A-Za-z0-9._-]{20,512}$",
        description="A community access token with the messages (and, without a confirmation code, manage) right.",
    )
    secret_key: str = Field(
        pattern=r"^[A-Za-z0-9]{8,50}$",
        description="The secret key set for this server in the community's Callback API settings.",
    )
    confirmation_code: str = Field(
        "",
        pattern=r"^[A-Za-z0-9]{0,64}$",
        description="The string the Callback API settings ask the server to return; empty: asked from VK.",
    )
    api_url: str = Field("https://api.vk.com", pattern=r"^https?://[^/\s]+$", description="The VK API server.")
    api_version: str = Field("5.199", pattern=r"^5\.[0-9]{1,3}$", description="The VK API version.")


class _ApiError(Exception):
    def __init__(self, code: int, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.code = code  # VK's error_code; 0 when the answer was not VK's
        self.message = message
        self.temporary = temporary


class VkAdapter(ChannelAdapter):
    channel = "vk"
    identity_kind = "vk"
    settings_model = VkSettings
    secret_fields = frozenset({"access_token", "secret_key"})

    # --- The VK API ----------------------------------------------------------------------

    async def _call(self, ctx: ChannelContext, method: str, params: dict[str, Any] | None = None) -> Any:
        settings: VkSettings = ctx.settings  # type: ignore[assignment]
        # A form in the body, not the query string: the token stays out of access logs.
        form = {key: str(value) for key, value in (params or {}).items() if value is not None}
        form.update(access_token=settings.access_token, v=settings.api_version)
        response = await ctx.http.post(f"{settings.api_url}/method/{method}", data=form)
        body = _json(response)
        if isinstance(body, dict) and "response" in body:
            return body["response"]
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = body["error"]
            code = error.get("error_code") if isinstance(error.get("error_code"), int) else 0
            raise _ApiError(code, str(error.get("error_msg") or "error"), temporary=code in _TEMPORARY)
        status = response.status_code
        raise _ApiError(0, f"HTTP {status}", temporary=status >= 500 or status == 429)

    async def _upload(self, ctx: ChannelContext, upload_url: str, field: str, file: OutgoingFile) -> dict[str, Any]:
        """POST one file to the upload server VK named; its answer is passed on to *.save."""
        response = await ctx.http.post(
            upload_url, files={field: (file.name, file.path.read_bytes(), file.content_type)}
        )
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or body.get("error"):
            reason = (
                body.get("error") if isinstance(body, dict) and body.get("error") else f"HTTP {response.status_code}"
            )
            raise _ApiError(0, f"upload of {file.name} failed: {reason}", temporary=True)
        return body

    # --- Connecting ----------------------------------------------------------------------

    async def connect(self, ctx: ChannelContext) -> str:
        settings: VkSettings = ctx.settings  # type: ignore[assignment]
        try:
            found = await self._call(ctx, "groups.getById", {"group_id": settings.group_id})
            if not settings.confirmation_code:
                await self._call(ctx, "groups.getCallbackConfirmationCode", {"group_id": settings.group_id})
        except _ApiError as error:
            if error.code == 5:
                raise ChannelError("VK does not accept this access token.", field="access_token") from None
            if error.code == 100:
                raise ChannelError("VK has no community with this id.", field="group_id") from None
            if error.code in (7, 15, 27) and not settings.confirmation_code:
                raise ChannelError(
                    "The token may not read the confirmation code: give it the manage right, or enter the code.",
                    field="confirmation_code",
                ) from None
            raise ChannelError(f"VK: {error.message}") from None
        # 5.199 answers {"groups": [...]}; versions before 5.139 a list.
        groups = found.get("groups") if isinstance(found, dict) else found
        group = groups[0] if isinstance(groups, list) and groups and isinstance(groups[0], dict) else {}
        if group.get("id") not in (None, settings.group_id):
            raise ChannelError("VK answered for another community.", field="group_id")
        return str(group.get("name") or f"VK community {settings.group_id}")

    # --- Inbound -------------------------------------------------------------------------

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        settings: VkSettings = ctx.settings  # type: ignore[assignment]
        if request.method != "POST":
            return _forbidden("VK posts events.")
        try:
            event = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not JSON."}}, status_code=400)
        if not isinstance(event, dict):
            return JSONResponse({"error": {"code": "malformed_request", "message": "Not an event."}}, status_code=400)
        if str(event.get("group_id")) != str(settings.group_id):
            return _forbidden("Not this community's event.")
        secret = event.get("secret")
        if event.get("type") == "confirmation" and secret is None:
            # Sent before the server is confirmed; the code is no secret (VK shows it in the
            # settings), and the webhook URL is unguessable anyway.
            return PlainTextResponse(await self._confirmation_code(ctx))
        if not isinstance(secret, str) or not hmac.compare_digest(secret.encode(), settings.secret_key.encode()):
            return _forbidden("Wrong secret key.")
        if event.get("type") == "confirmation":
            return PlainTextResponse(await self._confirmation_code(ctx))
        if event.get("type") == "message_new" and isinstance(event.get("object"), dict):
            # Stored before the answer (an error here is a 500: VK sends the event again);
            # processed by `process`.
            payload = event["object"]
            message = payload.get("message") if isinstance(payload.get("message"), dict) else payload
            peer = message.get("peer_id")
            key = event.get("event_id") or f"{peer}:{message.get('id') or message.get('conversation_message_id')}"
            await ctx.queue([Update(key=str(key), chat=str(peer), payload=payload)])
        return PlainTextResponse("ok")  # exactly this, or VK sends the event again

    async def _confirmation_code(self, ctx: ChannelContext) -> str:
        settings: VkSettings = ctx.settings  # type: ignore[assignment]
        if settings.confirmation_code:
            return settings.confirmation_code
        found = await self._call(ctx, "groups.getCallbackConfirmationCode", {"group_id": settings.group_id})
        return str(found.get("code") or "") if isinstance(found, dict) else ""

    async def process(self, ctx: ChannelContext, payload: dict[str, Any]) -> None:
        # Since API 5.103 the message is under "message" (with "client_info" beside it).
        message = payload.get("message") if isinstance(payload.get("message"), dict) else payload
        sender, peer = message.get("from_id"), message.get("peer_id")
        if not isinstance(sender, int) or sender <= 0 or not isinstance(peer, int) or peer >= CHAT_PEER_BASE:
            return  # another community, or a group chat the community is in
        if message.get("out"):
            return
        number = message.get("id") or f"c{message.get('conversation_message_id')}"
        text = str(message.get("text") or "")
        files = await self._files_of(ctx, message)
        if not text and not files:
            kinds = [a.get("type") for a in message.get("attachments") or [] if isinstance(a, dict)]
            kind = next((k for k in kinds if isinstance(k, str)), "location" if message.get("geo") else "message")
            text = f"[{kind}]"
        await receive(
            ctx.services,
            ctx.inbox,
            self.identity_kind,
            Inbound(
                identity=str(sender),
                external_id=f"{peer}:{number}",
                text=text,
                name=await self._name_of(ctx, sender),
                files=files,
                context={"profile": f"https://vk.com/id{sender}"},
            ),
        )

    async def _name_of(self, ctx: ChannelContext, user_id: int) -> str | None:
        """ "Имя Фамилия" from users.get; None when VK does not say (stored without a name)."""
        key = (ctx.inbox.id or 0, user_id)
        if key in _NAMES:
            _NAMES.move_to_end(key)
            return _NAMES[key]
        try:
            users = await self._call(ctx, "users.get", {"user_ids": user_id})
        except (_ApiError, httpx.HTTPError):
            return None
        user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
        name = " ".join(str(user[part]) for part in ("first_name", "last_name") if user.get(part)).strip()
        if not name:
            return None
        _NAMES[key] = name
        if len(_NAMES) > _NAMES_KEPT:
            _NAMES.popitem(last=False)
        return name

    async def _files_of(self, ctx: ChannelContext, message: dict[str, Any]) -> list[IncomingFile]:
        """The photos (largest size), documents, voice messages and stickers of a message."""
        wanted: list[tuple[str, str, str | None]] = []  # (url, name, type)
        for attachment in message.get("attachments") or []:
            kind = attachment.get("type") if isinstance(attachment, dict) else None
            item = attachment.get(kind) if kind else None
            if not isinstance(item, dict):
                continue
            if kind == "photo" and (url := _largest(item.get("sizes"))):
                wanted.append((url, "photo.jpg", "image/jpeg"))
            elif kind == "doc" and isinstance(item.get("url"), str):
                title, ext = str(item.get("title") or "document"), str(item.get("ext") or "")
                name = title if not ext or title.lower().endswith(f".{ext.lower()}") else f"{title}.{ext}"
                wanted.append((item["url"], name, None))
            elif kind == "audio_message" and (url := item.get("link_ogg") or item.get("link_mp3")):
                wanted.append((url, "voice.ogg" if item.get("link_ogg") else "voice.mp3", None))
            elif kind == "sticker" and (url := _largest(item.get("images"))):
                wanted.append((url, "sticker.png", "image/png"))
        files = []
        for url, name, content_type in wanted:
            data = await download(ctx, url, MAX_INBOUND_FILE_BYTES)
            if data is None:
                data = f"VK did not give out {name} (gone, or larger than Helpline keeps).".encode()
                name, content_type = f"{name}.txt", "text/plain"
            files.append(IncomingFile(name=name, content_type=content_type, data=data))
        return files

    # --- Outbound ------------------------------------------------------------------------

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        peer_id = outgoing.recipient
        try:
            attachments = [await self._attachment(ctx, peer_id, file) for file in outgoing.files]
            texts = split_text(outgoing.text, TEXT_LIMIT)
            # The files go with the first part: one message, as the agent wrote it.
            parts = [{"message": texts[0] if texts else "", "attachment": ",".join(attachments)}]
            parts += [{"message": text} for text in texts[1:]]
            first: Any = None
            for number, part in enumerate(parts):
                params = {"peer_id": peer_id, "random_id": _random_id(outgoing.message_id, number)}
                params.update({key: value for key, value in part.items() if value})
                sent = await self._call(ctx, "messages.send", params)
                first = first if first is not None else _message_id(sent)
        except _ApiError as error:
            raise _delivery_error(error) from None
        return Sent(external_id=f"{peer_id}:{first}" if first is not None else None)

    async def _attachment(self, ctx: ChannelContext, peer_id: str, file: OutgoingFile) -> str:
        """Upload `file` for the dialog: "photo<owner>_<id>" or "doc<owner>_<id>"."""
        if file.content_type in PHOTO_TYPES:
            server = await self._call(ctx, "photos.getMessagesUploadServer", {"peer_id": peer_id})
            uploaded = await self._upload(ctx, server["upload_url"], "photo", file)
            saved = await self._call(
                ctx,
                "photos.saveMessagesPhoto",
                {"photo": uploaded.get("photo"), "server": uploaded.get("server"), "hash": uploaded.get("hash")},
            )
            photo = saved[0] if isinstance(saved, list) and saved else {}
            return _media_name("photo", photo)
        server = await self._call(ctx, "docs.getMessagesUploadServer", {"type": "doc", "peer_id": peer_id})
        uploaded = await self._upload(ctx, server["upload_url"], "file", file)
        saved = await self._call(ctx, "docs.save", {"file": uploaded.get("file"), "title": file.name})
        document = saved.get("doc") if isinstance(saved, dict) else None
        return _media_name("doc", document or {})


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _forbidden(message: str) -> Response:
    return JSONResponse({"error": {"code": "forbidden", "message": message}}, status_code=403)


def _largest(sizes: object) -> str | None:
    """The URL of the largest of a photo's `sizes` (or a sticker's `images`)."""
    if not isinstance(sizes, list):
        return None
    found = [s for s in sizes if isinstance(s, dict) and isinstance(s.get("url"), str)]
    if not found:
        return None
    # Old photos have no dimensions but list their sizes from small to large.
    best = max(enumerate(found), key=lambda pair: ((pair[1].get("width") or 0) * (pair[1].get("height") or 0), pair[0]))
    return best[1]["url"]


def _random_id(message_id: int, part: int) -> int:
    """VK's key against sending twice (int32, unique in the community's history): the message
    id, and for the second part of a long text an id no message has while ids stay below 2^30."""
    return (message_id + part * 2**30) % 2**31


def _message_id(sent: Any) -> Any:
    # messages.send with one peer_id answers the message id; with peer_ids a list of results.
    if isinstance(sent, list) and sent and isinstance(sent[0], dict):
        return sent[0].get("message_id")
    return sent if isinstance(sent, int) else None


def _media_name(kind: str, saved: dict[str, Any]) -> str:
    if not isinstance(saved.get("owner_id"), int) or not isinstance(saved.get("id"), int):
        raise _ApiError(0, f"VK did not save the {kind}.", temporary=True)
    name = f"{kind}{saved['owner_id']}_{saved['id']}"
    return f"{name}_{saved['access_key']}" if saved.get("access_key") else name


def _delivery_error(error: _ApiError) -> DeliveryError:
    if error.code in _FORBIDDEN_BY_CUSTOMER:
        return DeliveryError("The customer does not allow messages from the community in VK.", blocked=True)
    if error.code == 6:  # a limit per second
        return DeliveryError(f"VK: {error.message}", retry_after=1)
    if error.temporary:
        return DeliveryError(f"VK: {error.message}")
    return DeliveryError(f"VK: {error.message}", permanent=True)  # 5 (the token), 7, 15, 100 ...


ADAPTER = VkAdapter()
