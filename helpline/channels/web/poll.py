"""The widget over plain HTTP, for networks that block WebSockets (docs/protocol.md,
"Fallback"). The same frames as `/ws/widget`, handled by the same `WidgetConnection`:

- `POST /api/widget/v1/poll` is a `hello` over HTTP: it answers `welcome` and every missed
  message, or waits up to `wait` seconds for news when there is none;
- `POST /api/widget/v1/frames` takes client frames and answers what the socket would.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Request, Response

from helpline.channels.web.site import Site
from helpline.channels.web.socket import WidgetConnection, _cursors, authenticate_visitor, online_here
from helpline.core.errors import BadRequest, HelplineError, InvalidField
from helpline.core.http import ServicesDep, client_ip
from helpline.core.realtime import dumps, error_frame
from helpline.core.runtime import Services
from helpline.visitors.actions import clean_page, visitor_seen

router = APIRouter(prefix="/api/widget/v1")

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 25
MAX_FRAMES = 20


class Collector:
    """Stands in for a WebSocket connection: keeps the frames the endpoint sends."""

    closed = False

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.news = asyncio.Event()

    def send(self, frame: dict[str, Any]) -> None:
        self.send_text(dumps(frame))

    def send_text(self, text: str) -> None:
        self.frames.append(text)
        self.news.set()

    async def close(self, code: int, reason: str) -> None:
        """A socket would close now; the frames sent so far (the error) answer the request."""
        self.closed = True
        self.news.set()

    def response(self) -> Response:
        return Response('{"frames":[' + ",".join(self.frames) + "]}", media_type="application/json")


class PolledVisitors:
    """Visitors on the HTTP fallback are online while they keep polling: this node marks a
    visitor online on the first poll, and offline when the next poll is overdue — its wait
    plus a grace of HELPLINE_PRESENCE_TIMEOUT seconds (the same patience as for agents)."""

    def __init__(self) -> None:
        self._due: dict[int, float] = {}  # visitor id → when the next poll is overdue
        self._sweeper: asyncio.Task[None] | None = None

    def seen(self, services: Services, visitor_id: int, wait: float) -> bool:
        """Note a poll; True when the visitor was not known here as polling."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(services), name="polled-visitors")
        new = visitor_id not in self._due
        self._due[visitor_id] = time.monotonic() + wait + services.settings.presence_timeout
        return new

    async def _sweep(self, services: Services) -> None:
        while self._due:
            await asyncio.sleep(max(1.0, services.settings.presence_timeout / 3))
            now = time.monotonic()
            for visitor_id in [v for v, due in self._due.items() if due < now]:
                del self._due[visitor_id]
                if online_here(visitor_id):
                    continue  # back on a WebSocket: that connection keeps it online
                try:
                    async with services.db.transaction() as session:
                        await visitor_seen(session, visitor_id=visitor_id, online=False)
                except Exception:  # shutting down, or a database hiccup: the next start resets it
                    log.warning("could not mark visitor %s offline", visitor_id, exc_info=True)


polled_visitors = PolledVisitors()


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest() from None
    if not isinstance(body, dict):
        raise BadRequest()
    return body


@router.post("/poll")
async def poll(request: Request, services: ServicesDep) -> Response:
    hello = await _body(request)
    wait = hello.get("wait", 0)
    if not isinstance(wait, int | float) or isinstance(wait, bool) or not 0 <= wait <= MAX_WAIT_SECONDS:
        raise InvalidField(f"wait must be 0-{MAX_WAIT_SECONDS} seconds.", field="wait")
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
    inbox, visitor = await authenticate_visitor(services, hello, ip)
    cursors = _cursors(hello.get("cursors"))
    try:
        page = clean_page(hello.get("page"))
    except InvalidField:
        page = None  # as over the socket: an odd page never refuses the chat
    if polled_visitors.seen(services, visitor.id, wait) or page is not None:
        async with services.db.transaction() as session:
            await visitor_seen(session, visitor_id=visitor.id, page=page, online=True)
    collector = Collector()
    widget = WidgetConnection(services, collector, Site.of(inbox), visitor, ip)  # type: ignore[arg-type]
    await services.hub.add_widget(widget)  # before reading the backlog, as the socket does
    try:
        await widget.welcome(cursors)
        # Only `welcome` (and the queue place it repeats every time): nothing new yet.
        if wait > 0 and all(f.startswith(('{"type":"welcome"', '{"type":"queue"')) for f in collector.frames):
            collector.news.clear()
            try:
                await asyncio.wait_for(collector.news.wait(), wait)
            except TimeoutError:
                pass
    finally:
        services.hub.remove_widget(widget)
    return collector.response()


@router.post("/frames")
async def frames(request: Request, services: ServicesDep) -> Response:
    body = await _body(request)
    batch = body.get("frames")
    if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_FRAMES:
        raise InvalidField(f"frames must be a list of 1-{MAX_FRAMES} frames.", field="frames")
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
    inbox, visitor = await authenticate_visitor(services, body, ip)
    collector = Collector()
    widget = WidgetConnection(services, collector, Site.of(inbox), visitor, ip)  # type: ignore[arg-type]
    if any(isinstance(frame, dict) and frame.get("type") in ("typing", "message.send", "contact.update") for frame in batch):
        # A socket knows the open conversation and the site's mode from `welcome`; a request must ask.
        await widget.find_open_conversation()
    for frame in batch:
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            collector.send({"type": "error", "code": "malformed_request", "message": "A frame must be a JSON object with a type."})
            continue
        try:
            await widget.handle(frame)
        except HelplineError as error:
            collector.send(error_frame(error, frame))
    return collector.response()
