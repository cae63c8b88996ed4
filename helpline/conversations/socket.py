"""The console's WebSocket (`/ws/console`): the event log live, replies and typing.

Authenticated by the session cookie and limited to the console's own origin. After
`hello {last_event_id}` the agent gets every event after that id from the log, then live
ones from the hub, each exactly once per connection.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from helpline.accounts import presence
from helpline.accounts.auth import AgentContext, authenticate
from helpline.core.errors import InvalidField, NotAuthenticated, UnknownFrameType
from helpline.core.events import event_frame
from helpline.core.realtime import (
    Connection,
    client_id_of,
    receive_hello,
    serve_frames,
)
from helpline.core.runtime import Services
from helpline.conversations import actions, queries
from helpline.conversations.api import MAX_REPLAY, events_after, head_event_id
from helpline.conversations.files import clean_file_ids
from helpline.conversations.schemas import message_out
from helpline.conversations.typing import signal_agent_typing


def same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on WebSocket handshakes)
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


class ConsoleConnection:
    """One console connection; an AgentSubscriber of the hub."""

    def __init__(self, services: Services, conn: Connection, context: AgentContext) -> None:
        self.services = services
        self.conn = conn
        self.agent = context.agent
        assert context.session is not None  # the socket takes the session cookie only
        self.session_id = context.session.id
        self.account_id = context.agent.account_id
        self.last_sent = 0
        self._replaying = True
        self._held: list[tuple[int, str]] = []
        # Conversation id → contact id, for typing frames (checked once per conversation).
        self._contact_of: dict[int, int] = {}

    def on_event(self, event_id: int, text: str) -> None:
        if self._replaying:
            self._held.append((event_id, text))
        elif event_id > self.last_sent:
            self.last_sent = event_id
            self.conn.send_text(text)

    def on_ephemeral(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "sessions.ended":
            if message.get("agent_id") == self.agent.id or message.get("session_id") == self.session_id:
                self.conn.send({"type": "error", "code": "not_authenticated", "message": "The session has ended."})
                asyncio.get_running_loop().create_task(self.conn.close(4001, "not_authenticated"))
            return
        if message.get("kind") == "chat.message":
            if self.agent.id in message.get("recipients", ()):
                self.conn.send({"type": "chat", "message": message["message"]})
            return
        if message.get("kind") == "viewing":
            if message["agent"]["id"] != self.agent.id:
                self.conn.send(
                    {"type": "viewing", "conversation_id": message.get("conversation_id"), "agent": message["agent"]}
                )
            return
        if message.get("kind") != "typing":
            return
        author = message.get("author", {})
        if author.get("type") == "agent" and author.get("id") == self.agent.id:
            return  # no echo of one's own typing
        self.conn.send(
            {
                "type": "typing",
                "conversation_id": message.get("conversation_id"),
                "author": author,
                "active": bool(message.get("active")),
                "draft": message.get("draft"),
            }
        )

    async def welcome(self, last_event_id: int | None) -> None:
        head = await head_event_id(self.services, self.account_id)
        self.conn.send({"type": "welcome", "agent_id": self.agent.id, "last_event_id": head})
        if last_event_id is not None and last_event_id > head:
            # The client knows events this database never had (it was restored from a
            # backup, or the client talked to another installation): its state is not ours.
            self.conn.send({"type": "resync"})
            self.last_sent = head
        elif last_event_id is None or last_event_id == head:
            self.last_sent = head
        else:
            records = await events_after(self.services, self.account_id, last_event_id, MAX_REPLAY + 1)
            if len(records) > MAX_REPLAY:
                self.conn.send({"type": "resync"})
                self.last_sent = head
            else:
                for record in records:
                    self.conn.send(event_frame(record))
                    self.last_sent = record.id
        self._replaying = False
        held, self._held = self._held, []
        for event_id, text in held:
            self.on_event(event_id, text)

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "ping":
            self.conn.send({"type": "pong"})
        elif kind == "message.send":
            await self.send_message(frame)
        elif kind == "typing":
            await self.typing(frame)
        elif kind == "viewing":
            await self.viewing(frame)
        elif kind == "hello":
            raise InvalidField("hello was already received.", field="type")
        else:
            raise UnknownFrameType(f"Unknown frame type {kind[:40]!r}.")

    def refused(self, now: float) -> bool:
        return False  # agents are not rate limited

    @staticmethod
    def _conversation_id(frame: dict[str, Any]) -> int:
        value = frame.get("conversation_id")
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidField("conversation_id must be an integer.", field="conversation_id")
        return value

    async def send_message(self, frame: dict[str, Any]) -> None:
        client_id = client_id_of(frame)
        conversation_id = self._conversation_id(frame)
        kind = frame.get("kind", "text")
        async with self.services.db.transaction() as session:
            conversation = await queries.get_conversation_for(session, self.agent, conversation_id, lock=True)
            message, duplicate = await actions.post_message(
                session,
                conversation=conversation,
                author=actions.agent_actor(self.agent),
                body=frame.get("body"),
                kind=kind if isinstance(kind, str) else "",
                client_id=client_id,
                file_ids=clean_file_ids(frame.get("file_ids")),
                role=self.agent.role,
                via_inbox_id=frame.get("via_inbox_id"),
            )
        self.conn.send(
            {"type": "ack", "client_id": client_id, "message": message_out(message).model_dump(), "duplicate": duplicate}
        )

    async def _contact_id(self, conversation_id: int) -> int:
        """The conversation's contact, checking once that the agent may see it."""
        if conversation_id not in self._contact_of:
            async with self.services.db.read() as session:
                conversation = await queries.get_conversation_for(session, self.agent, conversation_id)
            self._contact_of[conversation_id] = conversation.contact_id
        return self._contact_of[conversation_id]

    async def typing(self, frame: dict[str, Any]) -> None:
        conversation_id = self._conversation_id(frame)
        active = frame.get("active")
        if not isinstance(active, bool):
            raise InvalidField("active must be true or false.", field="active")
        await signal_agent_typing(
            self.services.hub,
            agent=self.agent,
            conversation_id=conversation_id,
            contact_id=await self._contact_id(conversation_id),
            active=active,
        )

    async def viewing(self, frame: dict[str, Any]) -> None:
        """Which conversation the agent has on screen: the other agents' collision indicator."""
        conversation_id = None if frame.get("conversation_id") is None else self._conversation_id(frame)
        if conversation_id is not None:
            await self._contact_id(conversation_id)
        await self.services.hub.signal(
            {
                "kind": "viewing",
                "account_id": self.account_id,
                "conversation_id": conversation_id,
                "agent": {"id": self.agent.id, "name": self.agent.name},
            }
        )


async def console_socket(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    await ws.accept()
    conn = Connection(ws)
    conn.start()
    console: ConsoleConnection | None = None
    try:
        if not same_origin(ws):
            await conn.close(4003, "origin_not_allowed")
            return
        try:
            context = await authenticate(ws, services)
        except NotAuthenticated:
            conn.send({"type": "error", "code": "not_authenticated", "message": "Log in first."})
            await conn.close(4001, "not_authenticated")
            return
        frame = await receive_hello(ws, conn)
        if frame is None:
            return
        last_event_id = frame.get("last_event_id")
        if last_event_id is not None and (not isinstance(last_event_id, int) or last_event_id < 0):
            conn.send({"type": "error", "code": "invalid_field", "field": "last_event_id",
                       "message": "last_event_id must be a non-negative integer or null."})
            await conn.close(4000, "bad_hello")
            return
        console = ConsoleConnection(services, conn, context)
        await services.hub.add_agent(console)
        services.presence.socket_opened(context.agent.id)
        async with services.db.transaction() as session:
            await presence.console_connected(session, agent_id=context.agent.id)
        await console.welcome(last_event_id)
        await serve_frames(ws, console)
    finally:
        if console is not None:
            services.hub.remove_agent(console)
            services.presence.socket_closed(console.agent.id)
        await conn.stop()
