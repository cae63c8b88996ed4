"""A stand-in for the Viber REST Bot API (https://developers.viber.com/docs/api/rest-bot-api/),
on loopback.

It speaks the documented wire format: `POST /pa/<method>` with a JSON body and the
`X-Viber-Auth-Token` header, answered with HTTP 200 and `{"status": 0, "status_message": "ok",
...}` or a non-zero `status` with its `status_message`; media at `/media/<name>`. As Viber
does, set_webhook calls the webhook with a signed `webhook` event and takes the URL only if it
answers 200, and send_message of a picture or file fetches its `media` URL (the bytes are
kept). It builds the callbacks a test posts to Helpline's webhook, signed with
`X-Viber-Content-Signature` (hex HMAC-SHA256 of the body keyed with the token) or forged.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import threading
import time
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_api import Call, FakeApi, form_or_json

TOKEN = "4f2a9c1d7e3b5a60-8d1c2e3f4a5b6c7d-0e9f8a7b6c5d4e3f"
ACCOUNT = {"id": "pa:5712345678901234567", "name": "Ромашка в Viber", "uri": "romashka"}
# A 1x1 PNG, for pictures and stickers.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100050d0a2db40000000049454e44ae426082"
)
STATUS_MESSAGES = {
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    10: "webhookNotSet",
    12: "tooManyRequests",
}


def status(code: int, message: str | None = None) -> Response:
    """A failure as Viber answers it: HTTP 200 with a non-zero status."""
    return JSONResponse({"status": code, "status_message": message or STATUS_MESSAGES.get(code, "generalError")})


def sign(body: bytes, token: str = TOKEN) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ViberApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.auth_token = TOKEN  # the bot's token: calls must carry it, callbacks are signed with it
        self.webhook: dict[str, Any] | None = None  # what set_webhook set (once Helpline answered)
        self.webhook_check: int | None = None  # the status of the last `webhook` check
        self.media: dict[str, bytes] = {}  # name -> data, served at /media/<name>
        self.fetched: list[tuple[str, bytes]] = []  # (media URL, data) fetched for a send
        self.sent: list[dict[str, Any]] = []  # what send_message sent, with its message_token
        # Message tokens are 64-bit: above 2^53, where a float would lose them.
        self._tokens = itertools.count(5_741_311_803_571_721_087)
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/pa/{method}", self._method, methods=["POST"]),
            Route("/media/{name}", self._media, methods=["GET"]),
        ]

    # --- What a test does ----------------------------------------------------------------

    def regenerate_token(self) -> str:
        """The admin makes a new token in the Viber Admin Panel: the old one stops working."""
        self.auth_token = "-".join(secrets.token_hex(8) for _ in range(3))
        return self.auth_token

    def add_media(self, data: bytes, name: str) -> str:
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def token(self) -> int:
        return next(self._tokens)

    def message(
        self, user_id: str, text: str | None = None, *, type: str = "text", name: str = "Анна Смирнова", **fields: Any
    ) -> dict[str, Any]:
        """A `message` callback: user `user_id` wrote to the bot."""
        message: dict[str, Any] = {"type": type, **fields}
        if text is not None:
            message["text"] = text
        sender = {
            "id": user_id,
            "name": name,
            "avatar": f"{self.url}/media/avatar.jpg",
            "country": "RU",
            "language": "ru",
            "api_version": 10,
        }
        return {
            "event": "message",
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-05_",
            "message_token": self.token(),
            "sender": sender,
            "message": message,
            "silent": False,
        }

    def receipt(self, event: str, message_token: int | str, user_id: str, desc: str | None = None) -> dict[str, Any]:
        """A `delivered`, `seen` or `failed` callback about a message the bot sent."""
        body: dict[str, Any] = {
            "event": event,
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-05_",
            "message_token": int(message_token),
            "user_id": user_id,
        }
        if desc is not None:
            body["desc"] = desc
        return body

    async def deliver(
        self, event: dict[str, Any], *, signature: str | None = None, url: str | None = None
    ) -> httpx.Response:
        """POST `event` to the webhook, signed as Viber does (or with `signature`)."""
        url = url or (self.webhook or {}).get("url")
        assert url, "no webhook was set"
        body = orjson.dumps(event)
        async with httpx.AsyncClient() as client:
            return await client.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Viber-Content-Signature": sign(body, self.auth_token) if signature is None else signature,
                },
            )

    # --- The API -------------------------------------------------------------------------

    async def _method(self, request: Request) -> Response:
        method = request.path_params["method"]
        params, files = await form_or_json(request)
        call = Call(method, params, files, dict(request.headers))
        if request.headers.get("x-viber-auth-token") != self.auth_token:
            self.record(call)
            return status(2)
        failure = self.record(call)
        if failure is not None:
            return failure
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return status(3, "badData")
        return await handler(params)

    async def _media(self, request: Request) -> Response:
        data = self.media.get(request.path_params["name"])
        return Response(data, media_type="application/octet-stream") if data is not None else Response(status_code=404)

    async def _get_account_info(self, params: dict[str, Any]) -> Response:
        webhook = (self.webhook or {}).get("url", "")
        return JSONResponse(
            {
                "status": 0,
                "status_message": "ok",
                **ACCOUNT,
                "icon": f"{self.url}/media/icon.jpg",
                "category": "Shopping",
                "country": "RU",
                "webhook": webhook,
                "event_types": (self.webhook or {}).get("event_types", []),
                "subscribers_count": 3,
                "members": [{"id": "01234567890A=", "name": "Admin", "role": "admin"}],
            }
        )

    async def _set_webhook(self, params: dict[str, Any]) -> Response:
        url = params.get("url")
        if url == "":  # removes the webhook
            self.webhook = None
            return JSONResponse({"status": 0, "status_message": "ok"})
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return status(1)
        # As Viber: the webhook must answer a signed `webhook` event with 200.
        check = {
            "event": "webhook",
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-05_",
            "message_token": self.token(),
        }
        try:
            response = await self.deliver(check, url=url)
            self.webhook_check = response.status_code
        except httpx.HTTPError:
            self.webhook_check = None
        if self.webhook_check != 200:
            return status(1)
        self.webhook = params
        events = params.get("event_types") or [
            "delivered",
            "seen",
            "failed",
            "subscribed",
            "unsubscribed",
            "conversation_started",
        ]
        return JSONResponse({"status": 0, "status_message": "ok", "event_types": events})

    async def _send_message(self, params: dict[str, Any]) -> Response:
        sender = params.get("sender")
        if not params.get("receiver") or not isinstance(sender, dict) or not sender.get("name"):
            return status(4)
        if len(sender["name"]) > 28:
            return status(3)
        kind = params.get("type")
        if kind == "text":
            if not params.get("text"):
                return status(4)
        elif kind in ("picture", "file"):
            if not params.get("media") or (kind == "file" and (not params.get("file_name") or not params.get("size"))):
                return status(4)
            # Viber fetches the media itself.
            async with httpx.AsyncClient() as client:
                fetched = await client.get(params["media"])
            if fetched.status_code != 200:
                return status(3, f"media could not be fetched: HTTP {fetched.status_code}")
            with self._lock:
                self.fetched.append((params["media"], fetched.content))
        else:
            return status(3)
        token = self.token()
        with self._lock:
            self.sent.append({"message_token": token, **params})
        return JSONResponse(
            {
                "status": 0,
                "status_message": "ok",
                "message_token": token,
                "chat_hostname": "SN-CHAT-05_",
                "billing_status": 1,
            }
        )
