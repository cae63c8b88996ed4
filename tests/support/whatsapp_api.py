"""A stand-in for the WhatsApp Cloud API (Meta's Graph API,
https://developers.facebook.com/docs/whatsapp/cloud-api), on loopback.

It speaks the documented wire format: `GET /{version}/{phone-number-id}?fields=...` (the
number), `POST /{version}/{phone-number-id}/messages` (JSON) answered `{"messaging_product",
"contacts", "messages": [{"id": "wamid...."}]}`, `POST /{version}/{phone-number-id}/media`
(multipart: file, type, messaging_product) answered `{"id"}`, `GET /{version}/{media-id}`
answered `{"url", "mime_type", "sha256", "file_size", "id"}` with the file at that URL; all
with `Authorization: Bearer <token>`, errors as `{"error": {"message", "type", "code",
"error_data": {"details"}, "fbtrace_id"}}`. It knows one number (`PHONE_NUMBER_ID`) and one
token, keeps what it was sent, and plays Meta towards Helpline: the dashboard's GET check of
a callback URL (`subscribe`), and webhook notifications signed with the app secret
(`X-Hub-Signature-256`), or forged.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_api import Call, FakeApi, form_or_json

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "+7 495 123-45-67"
VERIFIED_NAME = "Магазин Ромашка"
ACCESS_TOKEN = "EAAGfakeTokenForHelplineTests0123456789abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "helpline-verify-7f3a9c"
VERSION = "v21.0"
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100050d0a2db40000000049454e44ae426082"
)


def error(status: int, code: int, message: str, details: str | None = None) -> Response:
    """A Graph API error answer."""
    body: dict[str, Any] = {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code}
    if details:
        body["error_data"] = {"messaging_product": "whatsapp", "details": details}
    body["fbtrace_id"] = "AbCdEfGhIjKl"
    return JSONResponse({"error": body}, status_code=status)


class WhatsAppApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.webhook_url: str | None = None  # what the admin pasted in the dashboard
        self.media: dict[str, tuple[bytes, str]] = {}  # media id -> (data, mime type)
        self.uploaded: dict[str, tuple[str, bytes, str]] = {}  # media id -> the file sent to /media
        self.sent: list[str] = []  # the wamids of the messages it accepted, in order
        self._ids = itertools.count(1000)
        self._ids_lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/lookaside/{media_id}", self._download, methods=["GET"]),  # where media URLs point
            Route("/{version}/{object_id}", self._object, methods=["GET"]),
            Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
            Route("/{version}/{phone_id}/media", self._upload, methods=["POST"]),
        ]

    def _next_id(self) -> int:
        with self._ids_lock:
            return next(self._ids)

    # --- What a test does ----------------------------------------------------------------

    def add_media(self, data: bytes, mime_type: str) -> str:
        media_id = str(7_000_000 + self._next_id())
        self.media[media_id] = (data, mime_type)
        return media_id

    def notification(self, value: dict[str, Any], *, phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
        """A webhook notification with one `messages` change of the number."""
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "74951234567", "phone_number_id": phone_number_id},
                                **value,
                            },
                        }
                    ],
                }
            ],
        }

    def message(
        self,
        wa_id: str,
        text: str | None = None,
        *,
        name: str = "Иван Петров",
        phone_number_id: str = PHONE_NUMBER_ID,
        **content: Any,
    ) -> dict[str, Any]:
        """A customer's message: text, or one `type` given as a keyword (image={...} ...)."""
        message: dict[str, Any] = {"from": wa_id, "id": f"wamid.IN{self._next_id()}", "timestamp": "1764600000"}
        if text is not None:
            message.update(type="text", text={"body": text})
        else:
            [(kind, body)] = content.items()
            message.update(type=kind, **{kind: body})
        return self.notification(
            {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]},
            phone_number_id=phone_number_id,
        )

    def status(self, wamid: str, status: str, wa_id: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        report: dict[str, Any] = {"id": wamid, "status": status, "timestamp": "1764600100", "recipient_id": wa_id}
        if errors:
            report["errors"] = errors
        return self.notification({"statuses": [report]})

    async def subscribe(self, url: str, verify_token: str, challenge: str = "1158201444") -> httpx.Response:
        """The dashboard's check of a callback URL; the URL is kept when it answers the challenge."""
        async with httpx.AsyncClient() as client:
            response = await client.get(
                url, params={"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
            )
        if response.status_code == 200 and response.text == challenge:
            self.webhook_url = url
        return response

    async def deliver(
        self, notification: dict[str, Any], *, secret: str = APP_SECRET, signature: str | None = None
    ) -> httpx.Response:
        """POST `notification` to the subscribed URL, signed as Meta signs (or with `signature`)."""
        assert self.webhook_url is not None, "no callback URL was subscribed"
        body = orjson.dumps(notification)
        if signature is None:
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        async with httpx.AsyncClient() as client:
            return await client.post(
                self.webhook_url,
                content=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            )

    # --- The API -------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}"

    async def _object(self, request: Request) -> Response:
        object_id = request.path_params["object_id"]
        method = "phone_number" if object_id == PHONE_NUMBER_ID else "media_url"
        failure = self.record(Call(method, dict(request.query_params), {}, dict(request.headers)))
        if not self._authorized(request):
            return error(401, 190, "Error validating access token: The session has expired.")
        if failure is not None:
            return failure
        if object_id == PHONE_NUMBER_ID:
            return JSONResponse(
                {"display_phone_number": DISPLAY_NUMBER, "verified_name": VERIFIED_NAME, "id": PHONE_NUMBER_ID}
            )
        if object_id in self.media:
            data, mime_type = self.media[object_id]
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.url}/lookaside/{object_id}",
                    "mime_type": mime_type,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "file_size": len(data),
                    "id": object_id,
                }
            )
        return error(
            400, 100, f"Unsupported get request. Object with ID '{object_id}' does not exist", "Invalid parameter"
        )

    async def _download(self, request: Request) -> Response:
        failure = self.record(
            Call("download", {"media_id": request.path_params["media_id"]}, {}, dict(request.headers))
        )
        if not self._authorized(request):
            return Response(status_code=401)
        if failure is not None:
            return failure
        found = self.media.get(request.path_params["media_id"])
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1])

    async def _messages(self, request: Request) -> Response:
        params, files = await form_or_json(request)
        failure = self.record(Call("messages", params, files, dict(request.headers)))
        if not self._authorized(request):
            return error(401, 190, "Error validating access token: The session has expired.")
        if failure is not None:
            return failure
        if request.path_params["phone_id"] != PHONE_NUMBER_ID:
            return error(400, 100, "Invalid parameter")
        kind = params.get("type")
        if params.get("messaging_product") != "whatsapp" or kind not in params:
            return error(400, 100, "Invalid parameter", "messaging_product and the type's object are required")
        content = params[kind]
        if kind in ("image", "document") and content.get("id") not in self.uploaded:
            return error(400, 131053, "Media upload error", "Unknown media id")
        wamid = f"wamid.OUT{self._next_id()}"
        self.sent.append(wamid)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": params.get("to"), "wa_id": params.get("to")}],
                "messages": [{"id": wamid}],
            }
        )

    async def _upload(self, request: Request) -> Response:
        params, files = await form_or_json(request)
        failure = self.record(Call("media", params, files, dict(request.headers)))
        if not self._authorized(request):
            return error(401, 190, "Error validating access token: The session has expired.")
        if failure is not None:
            return failure
        if params.get("messaging_product") != "whatsapp" or "file" not in files or not params.get("type"):
            return error(400, 100, "Invalid parameter", "file, type and messaging_product are required")
        media_id = str(9_000_000 + self._next_id())
        self.uploaded[media_id] = files["file"]
        return JSONResponse({"id": media_id})
