"""A WebSocket connection with an ordered outgoing queue.

Frames come from several producers (the connection's own replies, the hub's fan-out of
events, typing signals); one pump task per connection sends them in the order queued, so
no producer ever waits for a slow client. A client too slow to keep up is disconnected: it
reconnects and reads what it missed from the log, which is cheaper than buffering for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from typing import Any, Protocol

import orjson
from starlette.websockets import WebSocket, WebSocketState

from helpline.core.errors import HelplineError, InvalidField, TooManyRequests

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 2000
HEARTBEAT_SECONDS = 25
IDLE_TIMEOUT_SECONDS = 75  # three missed heartbeats
HELLO_TIMEOUT_SECONDS = 10
MAX_BAD_FRAMES = 20


def dumps(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


class Connection:
    __slots__ = ("ws", "_queue", "_pump_task", "closed")

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self._queue: deque[str] = deque()
        # A pump task exists only while frames wait to be sent: an idle connection (most of
        # them, most of the time) costs no task.
        self._pump_task: asyncio.Task[None] | None = None
        self.closed = False

    def start(self) -> None:
        """Kept for symmetry with stop(); the pump starts on demand."""

    def send(self, frame: dict[str, Any]) -> None:
        self.send_text(dumps(frame))

    def send_text(self, text: str) -> None:
        if self.closed:
            return
        self._queue.append(text)
        if len(self._queue) > MAX_QUEUED_FRAMES:
            log.warning("closing a connection that does not read its frames")
            self._queue.clear()
            asyncio.get_running_loop().create_task(self.close(1013, "too slow"))
            return
        if self._pump_task is None:
            self._pump_task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while self._queue and not self.closed:
                await self.ws.send_text(self._queue.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-send; the receive loop notices and ends
            self.closed = True
        finally:
            self._pump_task = None

    async def flush(self, timeout: float = 2.0) -> None:
        """Wait until queued frames are handed to the socket (before a deliberate close)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._queue and not self.closed and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            await self.flush()
        self.closed = True
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason)

    async def stop(self) -> None:
        self.closed = True
        task = self._pump_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def receive_frame(ws: WebSocket, timeout: float) -> dict[str, Any] | None | str:
    """The next frame parsed as a JSON object.

    Returns None when the peer disconnected, the string "timeout" when nothing came in
    `timeout` seconds, and the string "malformed" for anything that is not a JSON object.
    """
    try:
        async with asyncio.timeout(timeout):  # a timer, not a task per receive like wait_for
            message = await ws.receive()
    except TimeoutError:
        return "timeout"
    if message["type"] == "websocket.disconnect":
        return None
    raw = message.get("text")
    if raw is None:
        raw = message.get("bytes")
    try:
        frame = orjson.loads(raw) if raw is not None else None
    except orjson.JSONDecodeError:
        return "malformed"
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return "malformed"
    return frame


_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def client_id_of(frame: dict[str, Any]) -> str:
    """The idempotency key of a frame that creates something (docs/protocol.md)."""
    value = frame.get("client_id")
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise InvalidField("client_id must be 8-64 characters of A-Z a-z 0-9 _ -.", field="client_id")
    return value


async def receive_hello(ws: WebSocket, conn: Connection) -> dict[str, Any] | None:
    """The first frame, which must be `hello` within HELLO_TIMEOUT_SECONDS; otherwise the
    connection is closed (4008 / 4000, docs/protocol.md) and None returned."""
    frame = await receive_frame(ws, HELLO_TIMEOUT_SECONDS)
    if frame is None:
        return None
    if frame == "timeout":
        await conn.close(4008, "hello_timeout")
        return None
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        conn.send({"type": "error", "code": "hello_required", "message": "Send hello first."})
        await conn.close(4000, "hello_required")
        return None
    return frame


def error_frame(error: HelplineError, frame: dict[str, Any] | None = None) -> dict[str, Any]:
    """An `error` frame for `error`, answering `frame` (its client_id) when there is one."""
    out: dict[str, Any] = {"type": "error", **error.to_dict()}
    if frame is not None and isinstance(frame.get("client_id"), str):
        out["client_id"] = frame["client_id"][:64]
    return out


class Endpoint(Protocol):
    """One side of a connection after `hello`: the widget's or the console's."""

    conn: Connection

    async def handle(self, frame: dict[str, Any]) -> None:
        """Act on one frame; raise a HelplineError to answer it with an error frame."""

    def refused(self, now: float) -> bool:
        """Count a rate-limit refusal; True when the client floods and must be cut off."""


async def serve_frames(ws: WebSocket, endpoint: Endpoint) -> None:
    """The receive loop shared by every endpoint: frames in order, errors as frames, and the
    close codes of docs/protocol.md for silence (4008), garbage (4000) and floods (4029)."""
    conn = endpoint.conn
    bad_frames = 0
    while not conn.closed:
        frame = await receive_frame(ws, IDLE_TIMEOUT_SECONDS)
        if frame is None:
            return
        if frame == "timeout":
            await conn.close(4008, "idle_timeout")
            return
        if frame == "malformed":
            bad_frames += 1
            conn.send({"type": "error", "code": "malformed_request", "message": "A frame must be a JSON object with a type."})
        else:
            assert isinstance(frame, dict)
            try:
                await endpoint.handle(frame)
                continue
            except TooManyRequests as error:
                conn.send(error_frame(error, frame))
                if endpoint.refused(asyncio.get_running_loop().time()):
                    await conn.close(4029, "rate_limited")
                    return
                continue
            except HelplineError as error:
                bad_frames += 1
                conn.send(error_frame(error, frame))
        if bad_frames > MAX_BAD_FRAMES:
            await conn.close(4000, "too_many_bad_frames")
            return
