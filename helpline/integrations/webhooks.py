"""Outgoing webhooks: the account's events POSTed to the business's own systems, signed,
retried with back-off, and logged.

The event log is the source (DESIGN.md: the log is the truth). A relay on every node reads,
for each active webhook, the events of its account after the webhook's `cursor` that it
subscribed to, and enqueues one `webhook.deliver` job per (webhook, event) with the key
`webhook:<webhook id>:<event id>` in the same transaction that moves the cursor on; two nodes
relaying at once enqueue nothing twice. The events of one account become visible in id order
(helpline.core.events), so a cursor never skips one. Nothing of this runs on the path that
stores a message.

A delivery is `POST <url>` with the JSON `{"id": <event id>, "type", "created_at",
"account_id", "data"}` and the headers `X-Helpline-Event`, `X-Helpline-Delivery` (the event
id: the receiver's idempotency key, as a retry sends the same one) and `X-Helpline-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's secret>`. A 2xx answer is
success; anything else, or no answer in 10 s, is tried again (8 attempts over about ten
minutes, then given up). Every attempt is a row of the delivery log. Deliveries of different
events are independent: a receiver orders them by event id.

Internal notes and supervisors' whispers never leave Helpline: message events of those kinds
are not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Role
from helpline.core.audit import Actor, record_change
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import Forbidden, InvalidField, NotFound
from helpline.core.events import EventRecord
from helpline.core.http import outbound_client
from helpline.core.jobs import Job, enqueue, job_handler
from helpline.core.runtime import Services
from helpline.integrations.models import Webhook, WebhookDelivery

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "conversation.created",
    "conversation.updated",
    "message.created",
    "message.delivery",
    "contact.updated",
    "sla.breached",
)
ATTEMPTS = 8
TIMEOUT = 10.0
RELAY_SECONDS = 1.0
BATCH = 500
# The delivery log keeps this many attempts per webhook.
LOG_KEEP = 1000
MAX_WEBHOOKS = 20


def _clean_url(value: object) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidField("url must be an http(s) address of up to 2,000 characters.", field="url")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidField("url must be an http(s) address without a user name or password.", field="url")
    return value.strip()


def _clean_events(value: object) -> list[str]:
    if not isinstance(value, list) or not value or any(not isinstance(e, str) for e in value):
        raise InvalidField(f"events is a list of event types: {', '.join(EVENT_TYPES)}.", field="events")
    unknown = [e for e in value if e not in EVENT_TYPES]
    if unknown:
        raise InvalidField(f"Unknown event type {unknown[0]!r}.", field="events")
    return sorted(set(value), key=EVENT_TYPES.index)


def _actor(agent: Agent) -> Actor:
    return Actor("agent", agent.id, agent.name)


def _admin(agent: Agent) -> None:
    if agent.role != Role.admin:
        raise Forbidden("Only admins manage webhooks.")


async def create_webhook(session: AsyncSession, *, actor: Agent, url: object, events: object) -> Webhook:
    _admin(actor)
    clean_url, clean_events = _clean_url(url), _clean_events(events)
    count = await session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.account_id == actor.account_id)
    )
    if (count or 0) >= MAX_WEBHOOKS:
        raise InvalidField(f"An account has at most {MAX_WEBHOOKS} webhooks.", field="url")
    head = await session.scalar(select(func.max(EventRecord.id)).where(EventRecord.account_id == actor.account_id))
    now = utcnow()
    webhook = Webhook(
        account_id=actor.account_id,
        url=clean_url,
        secret=secrets.token_hex(32),
        events=clean_events,
        is_active=True,
        cursor=head or 0,  # what happens from now on
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    await session.flush()
    record_change(
        session,
        account_id=actor.account_id,
        actor=_actor(actor),
        entity_type="webhook",
        entity_id=webhook.id,
        field="created",
        old=None,
        new=clean_url,
    )
    return webhook


async def update_webhook(session: AsyncSession, *, actor: Agent, webhook: Webhook, changes: dict[str, Any]) -> None:
    """Change url, events or is_active (validated first: a bad field changes nothing)."""
    _admin(actor)
    cleaned: dict[str, Any] = {}
    if "url" in changes:
        cleaned["url"] = _clean_url(changes["url"])
    if "events" in changes:
        cleaned["events"] = _clean_events(changes["events"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise InvalidField("is_active must be true or false.", field="is_active")
        cleaned["is_active"] = changes["is_active"]
    if changes.get("is_active") is True and not webhook.is_active:
        # Switched on again: from now on, not the backlog of while it was off.
        head = await session.scalar(
            select(func.max(EventRecord.id)).where(EventRecord.account_id == webhook.account_id)
        )
        webhook.cursor = head or 0
    for field, value in cleaned.items():
        if getattr(webhook, field) != value:
            record_change(
                session,
                account_id=webhook.account_id,
                actor=_actor(actor),
                entity_type="webhook",
                entity_id=webhook.id,
                field=field,
                old=getattr(webhook, field),
                new=value,
            )
            setattr(webhook, field, value)
    webhook.updated_at = utcnow()


async def delete_webhook(session: AsyncSession, *, actor: Agent, webhook: Webhook) -> None:
    _admin(actor)
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    await session.delete(webhook)
    record_change(
        session,
        account_id=webhook.account_id,
        actor=_actor(actor),
        entity_type="webhook",
        entity_id=webhook.id,
        field="deleted",
        old=webhook.url,
        new=None,
    )


async def get_webhook_for(session: AsyncSession, agent: Agent, webhook_id: int, *, lock: bool = False) -> Webhook:
    webhook = await session.get(Webhook, webhook_id, with_for_update=lock)
    if webhook is None or webhook.account_id != agent.account_id:
        raise NotFound("No such webhook.")
    return webhook


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "is_active": webhook.is_active,
        "secret": webhook.secret,
        "created_at": isoformat(webhook.created_at),
        "updated_at": isoformat(webhook.updated_at),
    }


def delivery_out(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "attempt": row.attempt,
        "status_code": row.status_code,
        "error": row.error,
        "duration_ms": row.duration_ms,
        "ok": row.status_code is not None and 200 <= row.status_code < 300,
        "created_at": isoformat(row.created_at),
    }


# --- Relaying events to delivery jobs ----------------------------------------------------


def _private_message(record: EventRecord) -> bool:
    """A note or whisper (message.created for agents only) never leaves Helpline."""
    return record.type == "message.created" and record.audience == "agents"


async def relay_once(services: Services) -> int:
    """Enqueue the deliveries of every active webhook's new events; returns how many."""
    async with services.db.read() as session:
        webhooks = list((await session.scalars(select(Webhook).where(Webhook.is_active.is_(True)))).all())
    queued = 0
    for webhook in webhooks:
        async with services.db.read() as session:
            records = list(
                (
                    await session.scalars(
                        select(EventRecord)
                        .where(EventRecord.account_id == webhook.account_id, EventRecord.id > webhook.cursor)
                        .order_by(EventRecord.id)
                        .limit(BATCH)
                    )
                ).all()
            )
        if not records:
            continue
        async with services.db.transaction() as session:
            for record in records:
                if record.type in webhook.events and not _private_message(record):
                    await enqueue(
                        session,
                        kind="webhook.deliver",
                        payload={"webhook_id": webhook.id, "event_id": record.id},
                        account_id=webhook.account_id,
                        key=f"webhook:{webhook.id}:{record.id}",
                        max_attempts=ATTEMPTS,
                    )
                    queued += 1
            await session.execute(
                update(Webhook)
                .where(Webhook.id == webhook.id, Webhook.cursor < records[-1].id)
                .values(cursor=records[-1].id)
            )
    return queued


class WebhookRelay:
    """The relay loop of this node (started and stopped with the app)."""

    def __init__(self, services: Services, *, interval: float = RELAY_SECONDS) -> None:
        self.services = services
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="webhook-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await relay_once(self.services)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relaying events to webhooks failed")
            await asyncio.sleep(self.interval)


# --- Delivering ----------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@job_handler("webhook.deliver")
async def deliver(services: Services, job: Job) -> None:
    async with services.db.read() as session:
        webhook = await session.get(Webhook, job.payload["webhook_id"])
        record = await session.get(EventRecord, job.payload["event_id"])
    if webhook is None or record is None or not webhook.is_active or webhook.account_id != record.account_id:
        return  # deleted or switched off meanwhile: nothing to deliver
    body = (
        f'{{"id":{record.id},"type":{orjson.dumps(record.type).decode()},'
        f'"created_at":"{isoformat(record.created_at)}","account_id":{record.account_id},"data":{record.payload}}}'
    ).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Helpline-Webhooks/1",
        "X-Helpline-Event": record.type,
        "X-Helpline-Delivery": str(record.id),
        "X-Helpline-Signature": signature(webhook.secret, timestamp, body),
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = await outbound_client().post(webhook.url, content=body, headers=headers, timeout=TIMEOUT)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as failure:
        error = f"{failure.__class__.__name__}: {failure}"[:500] or failure.__class__.__name__
    duration_ms = int((time.perf_counter() - started) * 1000)
    async with services.db.transaction() as session:
        session.add(
            WebhookDelivery(
                account_id=webhook.account_id,
                webhook_id=webhook.id,
                event_id=record.id,
                event_type=record.type,
                attempt=job.attempts,
                status_code=status,
                error=error,
                duration_ms=duration_ms,
                request={k: v for k, v in headers.items() if k != "X-Helpline-Signature"},
                created_at=utcnow(),
            )
        )
        await _trim_log(session, webhook.id)
    if error is not None:
        raise RuntimeError(f"webhook {webhook.id}: {error}")  # tried again with back-off


async def _trim_log(session: AsyncSession, webhook_id: int) -> None:
    oldest_kept = await session.scalar(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .offset(LOG_KEEP)
        .limit(1)
    )
    if oldest_kept is not None:
        await session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id <= oldest_kept)
        )


async def send_ping(services: Services, webhook: Webhook) -> dict[str, Any]:
    """The "send a test" button: one signed `ping` now, not logged as an event; the answer."""
    body = orjson.dumps(
        {
            "id": 0,
            "type": "ping",
            "created_at": isoformat(utcnow()),
            "account_id": webhook.account_id,
            "data": {"webhook_id": webhook.id},
        }
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Helpline-Webhooks/1",
        "X-Helpline-Event": "ping",
        "X-Helpline-Delivery": "0",
        "X-Helpline-Signature": signature(webhook.secret, int(time.time()), body),
    }
    try:
        response = await outbound_client().post(webhook.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as failure:
        return {"ok": False, "status_code": None, "error": f"{failure.__class__.__name__}: {failure}"[:500]}
    ok = 200 <= response.status_code < 300
    return {"ok": ok, "status_code": response.status_code, "error": None if ok else f"HTTP {response.status_code}"}
