"""A stand-in for the VK API and its Callback API (https://dev.vk.com/ru/api/callback/getting-started),
on loopback.

It speaks the documented wire format: `POST /method/<name>` with form (or query) parameters,
among them `access_token` and `v`, answered with HTTP 200 and `{"response": ...}` or
`{"error": {"error_code", "error_msg", "request_params"}}`; upload servers that take a
multipart `photo` (answering `{"server", "photo", "hash"}`) or `file` (answering `{"file"}`);
media at `/media/<name>`. It knows one community (`GROUP_ID`, `TOKEN`) and some users, keeps
what it was sent (messages.send with a random_id it has seen is not delivered again, as VK
does), and builds the Callback API events a test posts to Helpline's webhook with the
community's secret key, as VK does.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_api import Call, FakeApi, form_or_json

GROUP_ID = 229_000_001
TOKEN = "vk1.a.FakeCommunityTokenForHelplineTests_0123456789abcdefABCDEF"
SECRET_KEY = "HelplineTestSecret2025"
CONFIRMATION_CODE = "9f3e1a7c"
COMMUNITY = {"id": GROUP_ID, "name": "Магазин «Ромашка»", "screen_name": "romashka_shop", "type": "group"}
# A 1x1 PNG, for photos and stickers.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100050d0a2db40000000049454e44ae426082"
)


def error(code: int, message: str) -> Response:
    """An API error as VK sends it: HTTP 200 with an `error` object."""
    return JSONResponse({"error": {"error_code": code, "error_msg": message, "request_params": []}})


class VkApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.users: dict[int, tuple[str, str]] = {}  # id -> (first name, last name)
        self.media: dict[str, bytes] = {}  # name -> data, served at /media/<name>
        self.uploads: list[tuple[str, str, bytes]] = []  # (kind, file name, data) as uploaded
        self.sent: list[dict[str, Any]] = []  # messages delivered to users
        self.callback_url: str | None = None  # the webhook a test delivers events to
        self._by_random_id: dict[int, int] = {}
        self._answers_lost: dict[str, int] = {}
        self._message_ids = itertools.count(1000)
        self._media_ids = itertools.count(457_239_000)
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/method/{method}", self._method, methods=["GET", "POST"]),
            Route("/upload/{kind}", self._upload, methods=["POST"]),
            Route("/media/{name}", self._media, methods=["GET"]),
        ]

    # --- What a test does ----------------------------------------------------------------

    def lose_answers(self, method: str, times: int = 1) -> None:
        """The next calls of `method` take effect, but their answer is lost (a 502 instead)."""
        with self._lock:
            self._answers_lost[method] = self._answers_lost.get(method, 0) + times

    def add_media(self, data: bytes, name: str) -> str:
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def message_new(
        self, user_id: int, text: str = "", *, attachments: list[dict[str, Any]] | None = None, **message: Any
    ) -> dict[str, Any]:
        """A `message_new` event: user `user_id` wrote to the community."""
        number = next(self._message_ids)
        body = {
            "date": 1_764_600_000,
            "from_id": user_id,
            "id": number,
            "out": 0,
            "version": 10_000_000 + number,
            "attachments": attachments or [],
            "conversation_message_id": number - 900,
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "peer_id": user_id,
            "random_id": 0,
            "text": text,
            **message,
        }
        client_info = {"button_actions": ["text"], "keyboard": True, "inline_keyboard": True, "lang_id": 0}
        return self.event("message_new", {"message": body, "client_info": client_info})

    def event(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "group_id": GROUP_ID,
            "type": kind,
            "event_id": secrets.token_hex(20),
            "v": "5.199",
            "object": payload,
            "secret": SECRET_KEY,
        }

    def confirmation(self) -> dict[str, Any]:
        return {"type": "confirmation", "group_id": GROUP_ID}

    async def deliver(self, event: dict[str, Any], *, secret: str | None = None) -> httpx.Response:
        """POST `event` to the callback server, as VK does (`secret` replaces the key)."""
        assert self.callback_url is not None, "no callback server"
        if secret is not None:
            event = {**event, "secret": secret}
        async with httpx.AsyncClient() as client:
            return await client.post(
                self.callback_url, content=orjson.dumps(event), headers={"Content-Type": "application/json"}
            )

    # --- The API -------------------------------------------------------------------------

    async def _method(self, request: Request) -> Response:
        method = request.path_params["method"]
        params, files = await form_or_json(request)
        call = Call(method, params, files, dict(request.headers))
        if params.get("access_token") != TOKEN:
            self.record(call)
            return error(5, "User authorization failed: invalid access_token (4).")
        if not params.get("v"):
            self.record(call)
            return error(8, "Invalid request: v (version) is required")
        failure = self.record(call)
        if failure is not None:
            return failure
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return error(3, "Unknown method passed")
        answer = await handler(params)
        with self._lock:
            if self._answers_lost.get(method):
                self._answers_lost[method] -= 1
                return Response("<html>502 Bad Gateway</html>", status_code=502, media_type="text/html")
        return answer

    async def _upload(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        params, files = await form_or_json(request)
        failure = self.record(Call(f"upload.{kind}", params, files, dict(request.headers)))
        if failure is not None:
            return failure
        field = "photo" if kind == "photo" else "file"
        if field not in files:
            return JSONResponse({"error": f"no {field}"})
        name, data, _ = files[field]
        with self._lock:
            self.uploads.append((kind, name, data))
            ticket = f"{kind}-{len(self.uploads)}"
        if kind == "photo":
            return JSONResponse({"server": 851_234, "photo": orjson.dumps([{"ticket": ticket}]).decode(), "hash": "h"})
        return JSONResponse({"file": ticket})

    async def _media(self, request: Request) -> Response:
        data = self.media.get(request.path_params["name"])
        return Response(data, media_type="application/octet-stream") if data is not None else Response(status_code=404)

    def _uploaded(self, ticket: str) -> tuple[str, str, bytes]:
        kind, number = ticket.rsplit("-", 1)
        return self.uploads[int(number) - 1]

    async def _groups_getById(self, params: dict[str, Any]) -> Response:  # noqa: N802 (the API's name)
        if str(params.get("group_id")) != str(GROUP_ID):
            return error(100, "One of the parameters specified was missing or invalid: group_ids is undefined")
        return JSONResponse({"response": {"groups": [COMMUNITY], "profiles": []}})

    async def _groups_getCallbackConfirmationCode(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if str(params.get("group_id")) != str(GROUP_ID):
            return error(15, "Access denied: no access to call this method")
        return JSONResponse({"response": {"code": CONFIRMATION_CODE}})

    async def _users_get(self, params: dict[str, Any]) -> Response:
        found = []
        for user_id in str(params.get("user_ids") or "").split(","):
            if user_id.strip().isdigit() and int(user_id) in self.users:
                first, last = self.users[int(user_id)]
                found.append(
                    {
                        "id": int(user_id),
                        "first_name": first,
                        "last_name": last,
                        "can_access_closed": True,
                        "is_closed": False,
                    }
                )
        return JSONResponse({"response": found})

    async def _messages_send(self, params: dict[str, Any]) -> Response:
        if "random_id" not in params:
            return error(
                100, "One of the parameters specified was missing or invalid: random_id is a required parameter"
            )
        if not params.get("message") and not params.get("attachment"):
            return error(100, "One of the parameters specified was missing or invalid: message is empty or invalid")
        random_id = int(params["random_id"])
        with self._lock:
            if random_id in self._by_random_id:  # sent already: VK answers the same id, sends nothing
                return JSONResponse({"response": self._by_random_id[random_id]})
            number = next(self._message_ids)
            self._by_random_id[random_id] = number
            self.sent.append({"id": number, **params})
        return JSONResponse({"response": number})

    async def _photos_getMessagesUploadServer(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return JSONResponse(
            {
                "response": {
                    "upload_url": f"{self.url}/upload/photo?act=do_add&gid={GROUP_ID}",
                    "album_id": -3,
                    "group_id": GROUP_ID,
                }
            }
        )

    async def _photos_saveMessagesPhoto(self, params: dict[str, Any]) -> Response:  # noqa: N802
        try:
            [ticket] = orjson.loads(params.get("photo") or "[]")
            self._uploaded(ticket["ticket"])
        except (ValueError, KeyError, IndexError):
            return error(100, "One of the parameters specified was missing or invalid: photo is undefined")
        photo = {
            "id": next(self._media_ids),
            "owner_id": -GROUP_ID,
            "album_id": -3,
            "date": 1_764_600_000,
            "sizes": [{"type": "x", "url": f"{self.url}/media/sent.png", "width": 1, "height": 1}],
        }
        return JSONResponse({"response": [photo]})

    async def _docs_getMessagesUploadServer(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if params.get("type") not in ("doc", "audio_message", "graffiti") or not params.get("peer_id"):
            return error(100, "One of the parameters specified was missing or invalid: peer_id is undefined")
        return JSONResponse({"response": {"upload_url": f"{self.url}/upload/doc?act=add_doc"}})

    async def _docs_save(self, params: dict[str, Any]) -> Response:
        try:
            _, name, data = self._uploaded(str(params.get("file")))
        except (ValueError, IndexError):
            return error(100, "One of the parameters specified was missing or invalid: file is undefined")
        title = params.get("title") or name
        document = {
            "id": next(self._media_ids),
            "owner_id": -GROUP_ID,
            "title": title,
            "size": len(data),
            "ext": title.rsplit(".", 1)[-1],
            "url": f"{self.url}/media/{title}",
            "type": 1,
        }
        return JSONResponse({"response": {"type": "doc", "doc": document}})
