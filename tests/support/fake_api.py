"""A loopback HTTP server for a cloud API that cannot be reached from the tests (Telegram,
VK, Viber, WhatsApp): a Starlette app served by uvicorn in a thread of its own, so that it
answers while a test awaits on its loop and the Helpline server (a subprocess) can call it.

Each stand-in is a subclass that adds the channel's routes and speaks its documented wire
format; `calls` records every request it got, and `fail_next` makes the next calls of a
method answer as the channel does when something is wrong.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.server import free_port


@dataclass
class Call:
    method: str  # the API method ("sendMessage", "messages.send" ...)
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # name -> (filename, data, type)
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


class FakeApi:
    """`with SomeFake() as api:` ... `api.url`, `api.calls`, `api.fail_next(...)`."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.calls: list[Call] = []
        self._failures: dict[str, list[Callable[[], Response]]] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def routes(self) -> list[Route]:
        raise NotImplementedError

    # --- Recording and failures ----------------------------------------------------------

    def record(self, call: Call) -> Response | None:
        """Keep `call`; a failure queued for its method answers instead (returned)."""
        with self._lock:
            self.calls.append(call)
            queued = self._failures.get(call.method)
            if queued:
                return queued.pop(0)()
        return None

    def fail_next(self, method: str, response: Callable[[], Response], times: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([response] * times)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    async def wait_for_calls(self, method: str, count: int, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_of(method)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} calls of {method} after {timeout} s, wanted {count}")
            await asyncio.sleep(0.05)

    # --- Serving -------------------------------------------------------------------------

    def __enter__(self) -> FakeApi:
        app = Starlette(routes=self.routes())
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"fake-api-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake API did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


async def form_or_json(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes, str]]]:
    """The parameters of a request as a Bot-API-like server reads them: JSON, a URL-encoded or
    multipart form (files apart), or the query string."""
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, tuple[str, bytes, str]] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                files[key] = (value.filename or "", await value.read(), value.content_type or "")
            else:
                params[key] = value
    return params, files
