"""Protocol clients for tests: a console agent (REST + WebSocket) and a widget visitor."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

Frame = dict[str, Any]


def new_client_id() -> str:
    return uuid.uuid4().hex


class Socket:
    """A WebSocket that keeps every frame it received, so tests can wait for one."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[Frame] = []
        self._cursor = 0

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> Socket:
        # A test that never reads its socket leaves frames queued; the client then cannot see
        # the server's close frame, so closing would wait out the default 10 s.
        return cls(await websockets.connect(url, additional_headers=headers or {}, max_size=2**20, close_timeout=1))

    async def send(self, frame: Frame | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 5.0) -> Frame:
        if self._cursor < len(self.frames):
            self._cursor += 1
            return self.frames[self._cursor - 1]
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        frame = json.loads(raw)
        self.frames.append(frame)
        self._cursor += 1
        return frame

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        """The next frame (after the ones already consumed) matching `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.next(max(0.01, deadline - loop.time()))
            if predicate(frame):
                return frame

    async def drain(self, quiet: float = 0.3) -> list[Frame]:
        """Every frame that arrives until the socket has been quiet for `quiet` seconds."""
        got = []
        while True:
            try:
                got.append(await self.next(quiet))
            except TimeoutError:
                return got

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        try:
            while True:
                await self.next(timeout)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.connection.close()


class Agent:
    """A logged-in console user."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self.csrf = ""
        self.me: Frame = {}

    @classmethod
    async def login(cls, base_url: str, email: str, password: str) -> Agent:
        agent = cls(base_url)
        response = await agent.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        agent.csrf = response.json()["csrf_token"]
        agent.me = response.json()["agent"]
        return agent

    @property
    def id(self) -> int:
        return self.me["id"]

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params)

    async def post(self, path: str, body: Frame | None = None) -> httpx.Response:
        return await self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def patch(self, path: str, body: Frame | None = None) -> httpx.Response:
        return await self.http.patch(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def put(self, path: str, body: Frame | None = None) -> httpx.Response:
        return await self.http.put(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def delete(self, path: str) -> httpx.Response:
        return await self.http.delete(path, headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"})

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    async def socket(self, last_event_id: int | None = None, *, welcome: bool = True) -> Socket:
        ws_url = self.base_url.replace("http", "ws", 1) + "/ws/console"
        sock = await Socket.open(ws_url, {"Cookie": self.cookie_header(), "Origin": self.base_url})
        await sock.send({"type": "hello", "last_event_id": last_event_id})
        if welcome:
            frame = await sock.next()
            assert frame["type"] == "welcome", frame
        return sock

    async def conversation(self, conversation_id: int) -> Frame:
        response = await self.get(f"/api/v1/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def reply(self, conversation_id: int, body: str, *, kind: str = "text", client_id: str | None = None) -> httpx.Response:
        return await self.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            {"client_id": client_id or new_client_id(), "body": body, "kind": kind},
        )

    async def close(self) -> None:
        await self.http.aclose()


class Visitor:
    """A website visitor: a widget session and its WebSocket."""

    def __init__(self, base_url: str, site_key: str, user_agent: str | None = None) -> None:
        self.base_url = base_url
        self.site_key = site_key
        headers = {"User-Agent": user_agent} if user_agent else {}
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10, headers=headers)
        self.token: str | None = None
        self.session: Frame = {}

    async def start(self, page: Frame | None = None) -> Frame:
        response = await self.http.post(
            "/api/widget/v1/session",
            json={"site_key": self.site_key, "visitor_token": self.token, "page": page, "locale": "ru-RU"},
        )
        assert response.status_code == 200, response.text
        self.session = response.json()
        self.token = self.session["visitor_token"]
        return self.session

    async def socket(self, cursors: dict[int, int] | None = None, page: Frame | None = None, *, welcome: bool = True) -> Socket:
        ws_url = self.base_url.replace("http", "ws", 1) + "/ws/widget"
        sock = await Socket.open(ws_url)
        await sock.send({"type": "hello", "token": self.token, "cursors": {str(k): v for k, v in (cursors or {}).items()}, "page": page})
        if welcome:
            frame = await sock.next()
            assert frame["type"] == "welcome", frame
        return sock

    async def close(self) -> None:
        await self.http.aclose()


async def send_and_ack(sock: Socket, body: str, client_id: str | None = None) -> Frame:
    client_id = client_id or new_client_id()
    await sock.send({"type": "message.send", "client_id": client_id, "body": body})
    return await sock.wait_for(lambda f: f.get("client_id") == client_id and f["type"] in ("ack", "error"))


async def send_and_answer(sock: Socket, frame: Frame) -> Frame:
    """Send a frame that creates something (a `client_id` is added if it has none) and return
    the `ack` or `error` that answers it."""
    frame = {"client_id": new_client_id(), **frame}
    await sock.send(frame)
    return await sock.wait_for(lambda f: f.get("client_id") == frame["client_id"] and f["type"] in ("ack", "error"))


async def eventually(check: Callable[[], Any | Awaitable[Any]], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `check` (a function or coroutine function) until it returns something truthy;
    return that. For state the server changes in the background (presence, jobs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)
