"""The realtime hub of one node: turns bus doorbells into frames for connected clients.

On a doorbell for an account the hub reads the account's new events from the log once (not
once per client) and hands each to the connections that may see it: every agent of the
account, and the widget of the contact the event is about (public events only). Reads are
coalesced: while one read runs, further doorbells for the account just mark it dirty.

Clients resume from the log themselves (by event id or seq) and register here *before* they
read their backlog; whatever arrives twice that way is dropped by the client's own cursor.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import func, select

from helpline.core.bus import Bus
from helpline.core.db import Database
import orjson

from helpline.core.events import EventRecord, event_frame_text
from helpline.core.realtime import dumps

log = logging.getLogger(__name__)

FETCH_BATCH = 500


class AgentSubscriber(Protocol):
    account_id: int

    def on_event(self, event_id: int, text: str) -> None: ...

    def on_ephemeral(self, message: dict[str, Any]) -> None: ...


class WidgetSubscriber(Protocol):
    account_id: int
    contact_id: int

    def on_widget_frame(self, conversation_id: int, seq: int | None, text: str) -> None: ...

    def on_ephemeral(self, message: dict[str, Any]) -> None: ...


def widget_frame(event_type: str, payload: str) -> tuple[int | None, dict[str, Any]] | None:
    """The frame a customer's widget gets for a public event (docs/protocol.md), if any."""
    if event_type not in ("message.created", "conversation.created", "conversation.updated"):
        return None
    data = orjson.loads(payload)
    if event_type == "message.created":
        message = dict(data["message"])
        if message["author"]["type"] != "contact":
            message["client_id"] = None  # agents' idempotency keys are none of the widget's business
        return message["seq"], {"type": "message", "message": message}
    c = data["conversation"]
    conversation = {
        "id": c["id"], "number": c["number"], "status": c["status"], "type": c["type"], "last_seq": c["last_seq"],
        "csat_rating": c.get("csat_rating"),
    }
    return None, {"type": "conversation", "conversation": conversation}


class Hub:
    def __init__(self, db: Database, bus: Bus) -> None:
        self.db = db
        self.bus = bus
        self._agents: dict[int, set[AgentSubscriber]] = defaultdict(set)
        self._widgets: dict[int, dict[int, set[WidgetSubscriber]]] = defaultdict(lambda: defaultdict(set))
        self._cursor: dict[int, int] = {}
        self._fetching: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()
        self._news: dict[int, asyncio.Event] = {}
        # Called with every ephemeral signal, for node-wide state (e.g. the ban cache).
        self.signal_listeners: list[Callable[[dict[str, Any]], None]] = []
        bus.subscribe(self._on_bus)

    # -- announcing (called after commit) -------------------------------------------------

    async def ring(self, accounts: set[int]) -> None:
        """Announce new events of `accounts` to every node (this one included)."""
        await self.bus.publish("events", {"accounts": sorted(accounts)})

    async def signal(self, message: dict[str, Any]) -> None:
        """Send an ephemeral signal (`kind`: "typing" ...) to every node; it is never stored."""
        await self.bus.publish("ephemeral", message)

    async def end_sessions(self, account_id: int, *, agent_id: int | None = None, session_id: int | None = None) -> None:
        """Close the console connections of a logged-out session or a deactivated agent,
        on every node. Call after the commit that ended the session(s)."""
        await self.signal(
            {"kind": "sessions.ended", "account_id": account_id, "agent_id": agent_id, "session_id": session_id}
        )

    # -- subscriptions --------------------------------------------------------------------

    async def _track(self, account_id: int) -> None:
        if account_id in self._cursor:
            return
        async with self.db.read() as session:
            head = await session.scalar(
                select(func.max(EventRecord.id)).where(EventRecord.account_id == account_id)
            )
        self._cursor.setdefault(account_id, head or 0)

    async def add_agent(self, subscriber: AgentSubscriber) -> None:
        self._agents[subscriber.account_id].add(subscriber)
        await self._track(subscriber.account_id)

    async def add_widget(self, subscriber: WidgetSubscriber) -> None:
        self._widgets[subscriber.account_id][subscriber.contact_id].add(subscriber)
        await self._track(subscriber.account_id)

    def remove_agent(self, subscriber: AgentSubscriber) -> None:
        self._agents[subscriber.account_id].discard(subscriber)
        self._forget_if_idle(subscriber.account_id)

    def remove_widget(self, subscriber: WidgetSubscriber) -> None:
        by_contact = self._widgets[subscriber.account_id]
        subscribers = by_contact.get(subscriber.contact_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del by_contact[subscriber.contact_id]
        self._forget_if_idle(subscriber.account_id)

    def _forget_if_idle(self, account_id: int) -> None:
        if (
            not self._agents.get(account_id)
            and not self._widgets.get(account_id)
            and account_id not in self._fetching
            and account_id not in self._news
        ):
            self._agents.pop(account_id, None)
            self._widgets.pop(account_id, None)
            self._cursor.pop(account_id, None)

    async def wait_for_news(self, account_id: int, timeout: float) -> None:
        """Long-poll support: return when the account has new events, or after `timeout`."""
        await self._track(account_id)
        news = self._news.setdefault(account_id, asyncio.Event())
        try:
            await asyncio.wait_for(news.wait(), timeout)
        except TimeoutError:
            pass

    # -- fan-out --------------------------------------------------------------------------

    def _on_bus(self, topic: str, message: dict[str, Any]) -> None:
        if topic == "events":
            for account_id in message["accounts"]:
                self._schedule_fetch(account_id)
        elif topic == "ephemeral":
            self._dispatch_ephemeral(message)

    def _schedule_fetch(self, account_id: int) -> None:
        if account_id not in self._cursor:
            return  # nobody here listens to this account
        if account_id in self._fetching:
            self._dirty.add(account_id)
            return
        self._fetching[account_id] = asyncio.get_running_loop().create_task(self._fetch(account_id))

    async def _fetch(self, account_id: int) -> None:
        try:
            while True:
                self._dirty.discard(account_id)
                events = EventRecord.__table__.c
                async with self.db.read() as session:
                    records = (
                        await session.execute(
                            select(
                                events.id, events.type, events.conversation_id, events.contact_id,
                                events.audience, events.payload, events.created_at,
                            )
                            .where(events.account_id == account_id, events.id > self._cursor.get(account_id, 0))
                            .order_by(events.id)
                            .limit(FETCH_BATCH)
                        )
                    ).all()
                for record in records:
                    self._dispatch(account_id, record)
                    self._cursor[account_id] = record.id
                if records:
                    news = self._news.pop(account_id, None)
                    if news is not None:
                        news.set()
                if len(records) < FETCH_BATCH and account_id not in self._dirty:
                    return
        except Exception:
            log.exception("hub: reading events of account %s failed", account_id)
        finally:
            self._fetching.pop(account_id, None)
            self._forget_if_idle(account_id)

    def _dispatch(self, account_id: int, record: Any) -> None:
        agents = self._agents.get(account_id)
        if agents:
            text = event_frame_text(record.id, record.type, record.conversation_id, record.payload, record.created_at)
            for agent in list(agents):
                agent.on_event(record.id, text)
        if record.contact_id is None or record.audience != "public":
            return
        widgets = self._widgets.get(account_id, {}).get(record.contact_id)
        if widgets:
            shaped = widget_frame(record.type, record.payload)
            if shaped is not None:
                seq, frame = shaped
                text = dumps(frame)
                for widget in list(widgets):
                    widget.on_widget_frame(record.conversation_id or 0, seq, text)

    def _dispatch_ephemeral(self, message: dict[str, Any]) -> None:
        for listener in self.signal_listeners:
            listener(message)
        account_id = message["account_id"]
        for agent in list(self._agents.get(account_id, ())):
            agent.on_ephemeral(message)
        contact_id = message.get("contact_id")
        if message.get("to_all_widgets"):
            for widgets in list(self._widgets.get(account_id, {}).values()):
                for widget in list(widgets):
                    widget.on_ephemeral(message)
        elif contact_id is not None:
            for widget in list(self._widgets.get(account_id, {}).get(contact_id, ())):
                widget.on_ephemeral(message)
