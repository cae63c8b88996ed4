"""Routes of the channel adapters: each inbox's webhook, connecting a channel (admins) and
sending a failed message again (agents). docs/protocol.md, "Channels"."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.channels.base import ChannelError, adapter_for, adapters
from helpline.channels.delivery import context_for, record_connection, retry_delivery
from helpline.conversations import actions, queries
from helpline.conversations.models import Inbox, Message
from helpline.conversations.schemas import inbox_out, message_out
from helpline.core.audit import Actor
from helpline.core.errors import InvalidField, NotFound
from helpline.core.http import ServicesDep
from helpline.core.runtime import Services

router = APIRouter()
# Inboxes whose settings are being checked with their channel, by webhook secret. Viber calls
# the webhook while it answers set_webhook, before a new inbox is stored (or while an edited
# one still has its old token stored): this node answers it with the settings being tried.
_CONNECTING: dict[str, Inbox] = {}


HOOKS_PREFIX = "/hooks/"
MAX_WEBHOOK_BYTES = 4 * 1024 * 1024


async def webhook(request: Request) -> Response:
    """What a channel sends to an inbox (`/hooks/<secret>`): the adapter checks and parses it.

    Served straight from the ASGI entry (helpline.app.Shortcuts), not through FastAPI's
    routing and middleware: a busy channel sends many updates a second (bench/inbound.py)."""
    services: Services = request.app.state.services
    secret = request.url.path.removeprefix(HOOKS_PREFIX)
    if request.method not in ("GET", "POST"):
        return JSONResponse(
            {"error": {"code": "method_not_allowed", "message": "GET or POST."}}, status_code=405,
            headers={"Allow": "GET, POST"},
        )
    inbox = _CONNECTING.get(secret) or await _inbox_of(services, secret)
    if inbox is None or not inbox.is_active or adapter_for(inbox.channel) is None:
        return JSONResponse({"error": {"code": "not_found", "message": "No such webhook."}}, status_code=404)
    # Updates are small (files come by reference): a larger body is refused before it is read
    # whole. Read here with that cap, it is what the adapter's `request.body()` returns.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse(
                {"error": {"code": "too_large", "message": "The body is too large."}}, status_code=413
            )
    request._body = bytes(body)  # Starlette's cache of the body
    adapter, ctx = context_for(services, inbox)
    return await adapter.webhook(ctx, request)


# Inboxes by webhook secret, read again after INBOX_SECONDS: a busy channel sends many updates
# a second, and a changed (or switched off) inbox is seen by every node within that time.
INBOX_SECONDS = 2.0
_INBOXES: dict[str, tuple[float, Inbox | None]] = {}


async def _inbox_of(services: Services, secret: str) -> Inbox | None:
    if not 16 <= len(secret) <= 64:
        return None
    now = time.monotonic()
    cached = _INBOXES.get(secret)
    if cached is not None and now - cached[0] < INBOX_SECONDS:
        return cached[1]
    async with services.db.read() as session:
        inbox = await session.scalar(select(Inbox).where(Inbox.secret == secret))
    if len(_INBOXES) > 10_000:  # secrets guessed at random are not kept for ever
        _INBOXES.clear()
    _INBOXES[secret] = (now, inbox)
    return inbox


def forget_inbox(secret: str | None) -> None:
    """An inbox changed on this node: its webhook reads it again at once."""
    _INBOXES.pop(secret or "", None)


async def connect(services: Services, inbox: Inbox) -> str:
    """Ask the channel whether the inbox's settings work (and register its webhook where the
    API allows); InvalidField naming the setting when they do not."""
    adapter, ctx = context_for(services, inbox)
    if inbox.secret:
        _CONNECTING[inbox.secret] = inbox
    try:
        return await adapter.connect(ctx)
    except ChannelError as error:
        raise InvalidField(error.reason, field=f"settings.{error.field}" if error.field else "settings") from None
    except (httpx.TransportError, OSError) as error:
        raise InvalidField(
            f"Could not reach {adapter.channel}: {error.__class__.__name__}.", field="settings"
        ) from None
    finally:
        if _CONNECTING.get(inbox.secret) is inbox:
            del _CONNECTING[inbox.secret]


async def checked_settings(services: Services, inbox: Inbox, raw: object) -> dict[str, Any]:
    """New settings for an adapter's inbox, validated and accepted by the channel (nothing is
    stored when the channel refuses them)."""
    adapter = adapter_for(inbox.channel)
    assert adapter is not None
    cleaned = adapter.clean_settings(raw, stored=inbox.settings)
    trial = Inbox(
        id=inbox.id,
        account_id=inbox.account_id,
        channel=inbox.channel,
        name=inbox.name,
        settings=cleaned,
        secret=inbox.secret,
        is_active=inbox.is_active,
    )
    await connect(services, trial)
    return cleaned


def _out(services: Services, inbox: Inbox) -> dict[str, Any]:
    out = inbox_out(inbox)
    if inbox.secret:
        out["webhook_url"] = f"{services.settings.base_url}/hooks/{inbox.secret}"
    return out


@router.get("/api/v1/channels")
async def list_channels(context: CurrentAdmin) -> dict:
    """The channels an inbox can be connected to, with the settings each takes."""
    return {
        "channels": [
            {
                "channel": adapter.channel,
                "secret_fields": sorted(adapter.secret_fields),
                "settings_schema": adapter.settings_model.model_json_schema(),
            }
            for adapter in sorted(adapters().values(), key=lambda a: a.channel)
        ]
    }


class ChannelInboxIn(BaseModel):
    channel: str = Field(max_length=16)
    name: str = Field(max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


@router.post("/api/v1/inboxes", status_code=201)
async def create_channel_inbox(body: ChannelInboxIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    """Connect a channel: the settings are checked with the channel first, and the inbox is
    stored only if it accepts them."""
    adapter = adapter_for(body.channel)
    if adapter is None:
        raise InvalidField(f"Unknown channel {body.channel!r}.", field="channel")
    if not " ".join(body.name.split()):
        raise InvalidField("Name is required.", field="name")
    inbox = Inbox(
        account_id=context.agent.account_id,
        channel=adapter.channel,
        name=body.name,
        secret=secrets.token_urlsafe(24),
        settings=adapter.clean_settings(body.settings),
        is_active=True,
    )
    detail = await connect(services, inbox)
    actor = Actor("agent", context.agent.id, context.agent.name)
    async with services.db.transaction() as session:
        created = await actions.create_inbox(
            session,
            actor=actor,
            account_id=inbox.account_id,
            channel=inbox.channel,
            name=inbox.name,
            settings=inbox.settings,
            secret=inbox.secret,
        )
    return {"inbox": _out(services, created), "detail": detail}


@router.post("/api/v1/inboxes/{inbox_id}/test")
async def test_channel(inbox_id: int, context: CurrentAdmin, services: ServicesDep) -> dict:
    """The "test connection" button: asks the channel again (and registers the webhook
    again); the outcome is the inbox's status."""
    async with services.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
    if inbox is None or inbox.account_id != context.agent.account_id or adapter_for(inbox.channel) is None:
        raise NotFound("No such inbox.")
    try:
        detail = await connect(services, inbox)
    except InvalidField as error:
        await record_connection(services, inbox.id, error=error.message)
        ok, detail = False, error.message
    else:
        await record_connection(services, inbox.id, error=None)
        ok = True
    async with services.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
    assert inbox is not None
    return {"ok": ok, "detail": detail, "inbox": _out(services, inbox)}


@router.post("/api/v1/conversations/{conversation_id}/messages/{message_id}/retry")
async def retry_message(conversation_id: int, message_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        message = await session.get(Message, message_id, with_for_update=True)
        if message is None or message.conversation_id != conversation.id:
            raise NotFound("No such message.")
        await retry_delivery(session, actor=context.agent, conversation=conversation, message=message)
    return {"message": message_out(message).model_dump()}
