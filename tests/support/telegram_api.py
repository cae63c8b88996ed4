"""A stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), on loopback.

It speaks the documented wire format: `POST /bot<token>/<method>` with JSON or multipart
parameters, answered `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description", "parameters": {"retry_after"}}`; files at `/file/bot<token>/<file_path>`.
It knows one bot (`TOKEN`), keeps what it was sent, queues updates for `getUpdates` (a long
poll that answers as soon as there is one), and builds the Update objects a test delivers to
Helpline's webhook with the secret token header, as Telegram does.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_api import Call, FakeApi, form_or_json

TOKEN = "123456789:AAFakeTokenForHelplineTests_abcdefghij"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Helpline", "username": "helpline_test_bot"}
# A 1x1 PNG, for photos and stickers.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100050d0a2db40000000049454e44ae426082"
)


def error(code: int, description: str, retry_after: int | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=code)


class TelegramApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.webhook: dict[str, Any] | None = None  # what setWebhook set
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(500_000)
        self._message_ids = itertools.count(1000)
        self._updates_lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
        ]

    # --- What a test does ----------------------------------------------------------------

    def add_file(self, data: bytes, path: str) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (path, data)
        return file_id

    def update(self, user_id: int, text: str | None = None, **message: Any) -> dict[str, Any]:
        """An Update with a private-chat message from user `user_id` (Иван Петров, @ivan)."""
        user = {"id": user_id, "is_bot": False, "first_name": "Иван", "last_name": "Петров", "username": "ivan"}
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Иван", "username": "ivan"},
            "date": 1_764_600_000,
            **message,
        }
        if text is not None:
            body["text"] = text
        return {"update_id": next(self._update_ids), "message": body}

    def queue_update(self, update: dict[str, Any]) -> None:
        """For getUpdates (long polling)."""
        with self._updates_lock:
            self._updates.append(update)

    async def deliver(self, update: dict[str, Any], *, token: str | None = None) -> httpx.Response:
        """POST `update` to the webhook setWebhook registered, as Telegram does."""
        assert self.webhook is not None, "no webhook was set"
        secret = self.webhook.get("secret_token") if token is None else token
        async with httpx.AsyncClient() as client:
            return await client.post(
                self.webhook["url"], json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret or ""}
            )

    # --- The API -------------------------------------------------------------------------

    async def _method(self, request: Request) -> Response:
        method = request.path_params["method"]
        params, files = await form_or_json(request)
        call = Call(method, params, files, dict(request.headers))
        if request.path_params["token"] != TOKEN:
            self.record(call)
            return error(401, "Unauthorized")
        failure = self.record(call)
        if failure is not None:
            return failure
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return error(404, "Not Found")
        return JSONResponse({"ok": True, "result": await handler(params, files)})

    async def _file(self, request: Request) -> Response:
        path = request.path_params["path"]
        for file_path, data in self.files.values():
            if file_path == path:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)

    async def _getMe(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802 (the API's name)
        return BOT

    async def _setWebhook(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        self.webhook = None
        return True

    async def _getUpdates(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 2.0)  # a short long poll keeps tests quick
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            with self._updates_lock:
                # As Telegram: an offset confirms every update before it.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates)
            if ready or loop.time() >= deadline:
                return ready
            await asyncio.sleep(0.05)

    async def _getFile(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        path, data = self.files[params["file_id"]]
        return {"file_id": params["file_id"], "file_unique_id": params["file_id"], "file_size": len(data), "file_path": path}

    def _sent(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "from": BOT,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "date": 1_764_600_000,
            **extra,
        }

    async def _sendMessage(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        return self._sent(params, text=params["text"])

    async def _sendPhoto(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        assert "photo" in files, "sendPhoto without a photo"
        return self._sent(params, photo=[{"file_id": "sent-photo", "file_unique_id": "p", "width": 1, "height": 1}])

    async def _sendDocument(self, params: dict[str, Any], files: dict) -> Any:  # noqa: N802
        assert "document" in files, "sendDocument without a document"
        name = files["document"][0]
        return self._sent(params, document={"file_id": "sent-doc", "file_unique_id": "d", "file_name": name})
