"""The ASGI application: routes of every domain package on the shared core."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from helpline import __version__
from helpline.accounts.api import router as accounts_router
from helpline.channels.api import HOOKS_PREFIX
from helpline.channels.api import router as channels_router
from helpline.channels.api import webhook as channel_webhook
from helpline.channels.email.api import router as email_router
from helpline.channels.intake import Intake
from helpline.channels.pollers import ChannelPollers
from helpline.channels.form.api import router as form_router
from helpline.accounts.presence import Presence
from helpline.canned.api import router as canned_router
from helpline.chat.api import router as chat_router
from helpline.channels.web import mail as web_mail
from helpline.channels.web.api import router as widget_router
from helpline.channels.web.poll import router as widget_poll_router
from helpline.channels.web.site import VisitorTokens
from helpline.channels.web.socket import widget_socket
from helpline.contacts.api import router as contacts_router
from helpline.contacts.bans import BanList
from helpline.contacts.bans_api import router as bans_router
from helpline.conversations.api import router as conversations_router
from helpline.conversations.files import FileStore
from helpline.conversations.files_api import router as files_router
from helpline.conversations.monitor import router as monitor_router
from helpline.conversations.socket import console_socket
from helpline.core.bus import create_bus
from helpline.core.db import Database
from helpline.core.errors import HelplineError
from helpline.core.http import error_response, install_error_handlers
from helpline.core.hub import Hub
from helpline.core.jobs import JobRunner, retry_delay
from helpline.core.runtime import Services
from helpline.desk.admin_api import router as desk_admin_router
from helpline.desk.api import router as desk_router
from helpline.desk.csat import router as csat_router
from helpline.desk.macros import router as macros_router
from helpline.integrations.api import router as integrations_router
from helpline.integrations.webhooks import WebhookRelay
from helpline.quality.api import router as quality_router
from helpline.settings import Settings
from helpline.visitors.actions import mark_everyone_offline
from helpline.visitors.api import router as visitors_router
from helpline.visitors.environment import configure_city_lookup

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
# Paths a page on any website may call: the widget's script, its chat bundle and its API.
PUBLIC_PREFIXES = ("/api/widget/", "/api/forms/", "/static/widget/", "/widget.js")


class SecurityHeaders:
    """nosniff everywhere; CORS (no credentials) for the widget's public paths only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = scope["path"].startswith(PUBLIC_PREFIXES)
        if public and scope["method"] == "OPTIONS":
            await Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "86400",
                },
            )(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                if public:
                    headers.append((b"access-control-allow-origin", b"*"))
                else:
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Shortcuts:
    """Sends the two WebSocket endpoints and the channels' webhooks straight to their handlers.

    Every ASGI layer a connection passes keeps a suspended coroutine for the connection's
    whole life; for idle widget connections FastAPI's middleware and routing stack alone
    cost several KB each (bench/connections.py). A webhook is a request a busy channel sends
    hundreds of times a second, and that stack cost more than storing the update
    (bench/inbound.py). Other HTTP goes through the whole stack.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state
        self.routes = {"/ws/widget": widget_socket, "/ws/console": console_socket}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            handler = self.routes.get(scope["path"])
            if handler is not None:
                scope["app"] = self.app
                await handler(WebSocket(scope, receive, send))
                return
        elif scope["type"] == "http" and scope["path"].startswith(HOOKS_PREFIX):
            scope["app"] = self.app
            try:
                response = await channel_webhook(Request(scope, receive))
            except HelplineError as error:  # a malformed event: 4xx, as elsewhere
                response = error_response(error)
            except Exception:
                # The channel delivers it again later (nothing was answered yet).
                log.exception("webhook %s failed", scope["path"][:16])
                response = JSONResponse(
                    {"error": {"code": "internal_error", "message": "Try again later."}}, status_code=500
                )
            response.headers["x-content-type-options"] = "nosniff"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_services(settings: Settings) -> Services:
    db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    bus = create_bus(settings.redis_url)
    hub = Hub(db, bus)
    db.after_commit = hub.ring
    tokens = VisitorTokens(settings.signing_key, settings.visitor_token_days)
    web_mail.configure(settings.offline_email_delay)
    configure_city_lookup(settings.geoip_city_db)
    presence = Presence(db, settings.presence_timeout)
    bans = BanList(db)
    hub.signal_listeners.append(bans.on_signal)
    files = FileStore(settings.data_dir / "files")
    return Services(
        settings=settings, db=db, bus=bus, hub=hub, tokens=tokens, presence=presence, bans=bans, files=files
    )


API_DESCRIPTION = """The REST API of the operator console, for integrations too.

Authenticate with an API token (an admin makes one in the console or with POST
/api/v1/api-tokens): `Authorization: Bearer hl_…`. It acts as one agent, with that agent's
role. The console itself uses a session cookie with a CSRF header. Errors are
`{"error": {"code", "message", "field"?}}`. docs/protocol.md describes the objects, the
events (also sent by outgoing webhooks, see /api/v1/webhooks) and the WebSocket protocol.
"""


def _openapi(app: FastAPI) -> dict:
    """The OpenAPI document (/openapi.json, shown at /api/docs) with both ways to sign in."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=API_DESCRIPTION, routes=app.routes)
        schema.setdefault("components", {})["securitySchemes"] = {
            "apiToken": {"type": "http", "scheme": "bearer", "description": "An API token, hl_…"},
            "session": {"type": "apiKey", "in": "cookie", "name": "helpline_session"},
        }
        schema["security"] = [{"apiToken": []}, {"session": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> Shortcuts:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        app.state.services = services
        await services.bus.start()
        if services.db.is_sqlite:
            # One node owns an embedded database: whoever was online before a restart is not
            # connected now. (On PostgreSQL other nodes may still hold connections.)
            async with services.db.transaction() as session:
                await mark_everyone_offline(session)
        scale = settings.job_retry_scale
        services.jobs = JobRunner(services, backoff=lambda attempts: retry_delay(attempts) * scale)
        services.jobs.start()
        services.presence.start()
        services.intake = Intake(services, backoff_scale=scale)
        services.intake.start()
        pollers = ChannelPollers(services)
        pollers.start()
        relay = WebhookRelay(services)
        relay.start()
        # Everything made so far (modules, routes, the ORM's registry) lives as long as the
        # process: freezing it keeps the collector from re-scanning it on every full
        # collection. Full collections over thousands of connections took 35-130 ms and were
        # the largest source of delivery latency spikes (bench/delivery.py), so they also run
        # less often: young objects are collected after 20,000 allocations, not 700.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 50)
        try:
            yield
        finally:
            await relay.stop()
            await pollers.stop()
            await services.intake.stop()
            await services.jobs.stop()  # before the database goes: unfinished jobs are handed back
            await services.presence.stop()
            await services.bus.stop()
            await services.db.dispose()

    app = FastAPI(title="Helpline", version=__version__, lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    for router in (
        accounts_router,
        channels_router,
        email_router,
        conversations_router,
        desk_router,
        desk_admin_router,
        csat_router,
        macros_router,
        integrations_router,
        form_router,
        monitor_router,
        quality_router,
        contacts_router,
        bans_router,
        canned_router,
        chat_router,
        visitors_router,
        files_router,
        widget_router,
        widget_poll_router,
    ):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        async with app.state.services.db.read() as session:
            await session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/console", include_in_schema=False)
    @app.get("/console/{path:path}", include_in_schema=False)
    async def console(request: Request, path: str = "") -> Response:
        index = STATIC_DIR / "console" / "index.html"
        if not index.exists():
            return HTMLResponse("The console is not built: run `make build`.", status_code=503)
        host = request.headers.get("host", "")
        # Defence in depth: even if some text slipped into the page as HTML, no script of
        # anyone else's could run, and the console could talk only to its own server.
        # Images may come from https (a site's logo in the widget preview) and blob: (a
        # pasted screenshot before it is uploaded).
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: https:; connect-src 'self' ws://{host} wss://{host}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
        )
        return FileResponse(index, headers={"Cache-Control": "no-cache", "Content-Security-Policy": policy})

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js() -> Response:
        script = STATIC_DIR / "widget.js"
        if not script.exists():
            return Response("/* widget not built: run `make build` */", media_type="text/javascript", status_code=503)
        return FileResponse(script, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})

    if settings.demo:

        @app.get("/demo", include_in_schema=False)
        async def demo_page() -> HTMLResponse:
            return HTMLResponse((TEMPLATES_DIR / "demo.html").read_text(encoding="utf-8"))

    STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return Shortcuts(app)
