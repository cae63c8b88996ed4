"""The widget's WebSocket (`/ws/widget`): a thin edge that parses frames and calls actions.

Life of a connection: `hello` (token, cursors, page) → `welcome` → the messages the widget
missed, read from the database by seq → live frames from the hub. Every `message.send` is
answered with `ack` (or `error`) after its transaction committed.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from starlette.websockets import WebSocket

from helpline.channels.web import mail
from helpline.channels.web.api import active_site
from helpline.channels.web.site import Mode, Site, site_mode
from helpline.contacts.actions import clean_name, clean_phone, update_contact
from helpline.contacts.bans import Who
from helpline.contacts.models import Contact
from helpline.core.audit import Actor
from helpline.core.errors import (
    ChatUnavailable,
    Forbidden,
    HelplineError,
    InvalidField,
    InvalidToken,
    RateLimited,
    UnknownFrameType,
)
from helpline.core.http import client_ip
from helpline.core.realtime import (
    HEARTBEAT_SECONDS,
    Connection,
    client_id_of,
    receive_hello,
    serve_frames,
)
from helpline.core.runtime import Services
from helpline.conversations import actions
from helpline.conversations.files import clean_file_ids
from helpline.conversations.models import CONTINUABLE, Conversation, ConversationType, Inbox
from helpline.conversations.queries import messages_of
from helpline.conversations.schemas import message_out, widget_conversation_out
from helpline.desk.csat import clean_rating, rate
from helpline.desk.dispatch import place_in_queue
from helpline.visitors.actions import clean_page, count_invitation, visitor_context, visitor_seen
from helpline.visitors.models import Visitor

MAX_DRAFT = 2000
FLOOD_CLOSE_AFTER = 50  # refused messages within FLOOD_WINDOW seconds
FLOOD_WINDOW = 60.0

# Visitors connected to this node, counted per visitor so that closing one of two tabs
# does not mark the visitor offline.
_online_here: dict[int, int] = defaultdict(int)


def online_here(visitor_id: int) -> bool:
    """Whether the visitor has a WebSocket open to this node."""
    return _online_here.get(visitor_id, 0) > 0


class WidgetConnection:
    """One widget connection; a WidgetSubscriber of the hub."""

    def __init__(self, services: Services, conn: Connection, site: Site, visitor: Visitor, ip: str | None) -> None:
        self.services = services
        self.ip = ip
        self.mode: Mode = "online"
        self.conn = conn
        self.inbox = site
        self.settings = site.settings
        self.account_id = site.account_id
        self.contact_id = visitor.contact_id
        self.visitor_id = visitor.id
        self.public_id = visitor.public_id
        self.context = visitor_context(visitor)
        self.sent_seq: dict[int, int] = {}
        self._replaying = True
        self._held: list[tuple[int, int | None, str]] = []
        self.open_conversation_id: int | None = None
        self.refusals: list[float] = []
        # After a refusal every later message is refused until this moment, so a client
        # that pipelines its outbox cannot get a later message stored before an earlier one.
        self.refuse_until = 0.0

    # -- hub side -------------------------------------------------------------------------

    def on_widget_frame(self, conversation_id: int, seq: int | None, text: str) -> None:
        if self._replaying:
            self._held.append((conversation_id, seq, text))
            return
        if seq is not None:
            if seq <= self.sent_seq.get(conversation_id, 0):
                return  # already sent during the replay
            self.sent_seq[conversation_id] = seq
        self.conn.send_text(text)

    def on_ephemeral(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "bans.changed":
            asyncio.get_running_loop().create_task(self._leave_if_banned())
            return
        if message.get("kind") == "queue":
            self.conn.send(queue_frame(message["conversation_id"], message.get("position"), message.get("wait_seconds")))
            return
        if message.get("kind") != "typing" or message.get("author", {}).get("type") != "agent":
            return
        self.conn.send(
            {
                "type": "typing",
                "conversation_id": message.get("conversation_id"),
                "author": {"type": "agent", "name": message["author"].get("name")},
                "active": bool(message.get("active")),
            }
        )

    async def _leave_if_banned(self) -> None:
        """A ban was made somewhere: if it covers this visitor, end the chat quietly."""
        async with self.services.db.read() as session:
            contact = await session.get(Contact, self.contact_id)
        who = Who(self.public_id, self.ip, contact.email if contact else None, contact.phone if contact else None)
        if await self.services.bans.banned(self.account_id, who):
            error = ChatUnavailable()
            self.conn.send({"type": "error", **error.to_dict()})
            await self.conn.close(error.close_code or 4003, error.code)

    # -- resume ---------------------------------------------------------------------------

    async def welcome(self, cursors: dict[int, int]) -> None:
        """Send `welcome` and every message the widget has not got, then go live."""
        async with self.services.db.read() as session:
            conversations = (
                await session.scalars(
                    select(Conversation)
                    .where(Conversation.contact_id == self.contact_id, Conversation.inbox_id == self.inbox.id)
                    .order_by(Conversation.id)
                )
            ).all()
            backlog = []
            for conversation in conversations:
                after = cursors.get(conversation.id, 0)
                if after < conversation.last_seq:
                    backlog.append(await messages_of(session, conversation.id, after_seq=after, include_notes=False))
            self.mode = await site_mode(session, self.inbox)
        for conversation in conversations:
            if conversation.status in CONTINUABLE:
                self.open_conversation_id = conversation.id
        self.conn.send(
            {
                "type": "welcome",
                "visitor_id": self.public_id,
                "country": self.context.get("country"),
                "mode": self.mode,
                "conversations": [widget_conversation_out(c).model_dump() for c in conversations],
                "heartbeat": HEARTBEAT_SECONDS,
            }
        )
        for messages in backlog:
            for message in messages:
                self.conn.send({"type": "message", "message": self._public(message_out(message).model_dump())})
                self.sent_seq[message.conversation_id] = max(self.sent_seq.get(message.conversation_id, 0), message.seq)
        for conversation in conversations:
            self.sent_seq.setdefault(conversation.id, cursors.get(conversation.id, 0))
            if conversation.team_id is not None and conversation.assignee_id is None and conversation.status in CONTINUABLE:
                await self.tell_queue(conversation.id)
        self._replaying = False
        held, self._held = self._held, []
        for conversation_id, seq, text in held:
            self.on_widget_frame(conversation_id, seq, text)

    async def find_open_conversation(self) -> None:
        """Learn the visitor's open conversation (for typing) without a full `welcome`."""
        async with self.services.db.read() as session:
            self.open_conversation_id = await session.scalar(
                select(Conversation.id)
                .where(
                    Conversation.contact_id == self.contact_id,
                    Conversation.inbox_id == self.inbox.id,
                    Conversation.status.in_(CONTINUABLE),
                )
                .order_by(Conversation.id.desc())
                .limit(1)
            )
            self.mode = await site_mode(session, self.inbox)

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        if message["author"]["type"] != "contact":
            message["client_id"] = None
        return message

    # -- frames ---------------------------------------------------------------------------

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "ping":
            self.conn.send({"type": "pong"})
        elif kind == "message.send":
            await self.send_message(frame)
        elif kind == "typing":
            await self.typing(frame)
        elif kind == "contact.update":
            await self.update_contact(frame)
        elif kind == "page":
            page = clean_page(frame)
            async with self.services.db.transaction() as session:
                seen = await visitor_seen(session, visitor_id=self.visitor_id, page=page)
            if seen is not None:
                self.context = visitor_context(seen)
        elif kind == "read":
            await self.read(frame)
        elif kind == "invitation.shown":
            await self.count_invitation(frame, "shown")
        elif kind == "invitation.accepted":
            await self.count_invitation(frame, "accepted")
        elif kind == "callback.request":
            await self.request_callback(frame)
        elif kind == "transcript.request":
            await self.request_transcript(frame)
        elif kind == "csat.submit":
            await self.rate(frame)
        elif kind == "hello":
            raise InvalidField("hello was already received.", field="type")
        else:
            raise UnknownFrameType(f"Unknown frame type {kind[:40]!r}.")

    def _take_token(self) -> None:
        """The visitor's message rate limit (shared by everything that stores a message)."""
        now = time.monotonic()
        if now < self.refuse_until:
            raise RateLimited(self.refuse_until - now)
        wait = self.services.visitor_messages.take(self.contact_id)
        if wait > 0:
            self.refuse_until = now + wait
            raise RateLimited(wait)

    async def send_message(self, frame: dict[str, Any]) -> None:
        client_id = client_id_of(frame)
        file_ids = clean_file_ids(frame.get("file_ids"))
        actions.clean_body(frame.get("body"), with_files=bool(file_ids))  # refuse bad input before spending a token
        self._take_token()
        async with self.services.db.transaction() as session:
            message, conversation, duplicate = await actions.receive_visitor_message(
                session,
                inbox=self.inbox,
                contact_id=self.contact_id,
                body=frame.get("body"),
                client_id=client_id,
                context=self.context,
                require=self.settings.prechat.required(),
                new_type=ConversationType.offline if self.mode == "offline" else ConversationType.chat,
                file_ids=file_ids,
            )
        if conversation.status in CONTINUABLE:
            self.open_conversation_id = conversation.id
        waiting = conversation.team_id is not None and conversation.assignee_id is None and not duplicate
        self.conn.send(
            {
                "type": "ack",
                "client_id": client_id,
                "conversation_id": conversation.id,
                "message": message_out(message).model_dump(),
                "duplicate": duplicate,
            }
        )
        if waiting:
            await self.tell_queue(conversation.id)

    async def rate(self, frame: dict[str, Any]) -> None:
        client_id = client_id_of(frame)
        if not self.settings.csat:
            raise Forbidden("This site does not ask for ratings.")
        conversation_id = frame.get("conversation_id")
        if isinstance(conversation_id, bool) or not isinstance(conversation_id, int):
            raise InvalidField("conversation_id is required.", field="conversation_id")
        clean_rating(frame.get("rating"), frame.get("comment"))  # refuse bad input before the lock
        async with self.services.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id, with_for_update=True)
            if conversation is None or conversation.inbox_id != self.inbox.id:
                raise InvalidField("No such conversation.", field="conversation_id")
            row = await rate(
                session, conversation=conversation, contact_id=self.contact_id,
                rating=frame.get("rating"), comment=frame.get("comment"),
            )
        self.conn.send({"type": "ack", "client_id": client_id, "conversation_id": conversation_id, "rating": row.rating})

    async def tell_queue(self, conversation_id: int) -> None:
        """The customer's place in the team's queue and the estimated wait, if waiting."""
        async with self.services.db.read() as session:
            conversation = await session.get(Conversation, conversation_id)
            place = await place_in_queue(session, conversation) if conversation else None
        if place is not None:
            self.conn.send(queue_frame(conversation_id, *place))

    async def typing(self, frame: dict[str, Any]) -> None:
        active = frame.get("active")
        if not isinstance(active, bool):
            raise InvalidField("active must be true or false.", field="active")
        draft = frame.get("draft")
        if draft is not None and (not isinstance(draft, str) or len(draft) > MAX_DRAFT):
            raise InvalidField(f"draft is text of at most {MAX_DRAFT} characters.", field="draft")
        await self.services.hub.signal(
            {
                "kind": "typing",
                "account_id": self.account_id,
                "contact_id": self.contact_id,
                "conversation_id": self.open_conversation_id,
                "author": {"type": "contact", "id": self.contact_id, "name": None},
                "active": active,
                # Only where the site shows operators the draft (and tells the visitor so).
                "draft": draft if self.settings.typing_preview and active else None,
            }
        )

    async def count_invitation(self, frame: dict[str, Any], what: str) -> None:
        invitation_id = frame.get("invitation_id")
        if not isinstance(invitation_id, str) or invitation_id not in {i.id for i in self.settings.invitations}:
            return  # a rule removed since the page loaded: nothing to count
        async with self.services.db.transaction() as session:
            await count_invitation(session, inbox_id=self.inbox.id, invitation_id=invitation_id, what=what)

    async def update_contact(self, frame: dict[str, Any]) -> None:
        client_id = client_id_of(frame)
        changes = {f: frame[f] for f in ("name", "email", "phone") if f in frame}
        async with self.services.db.transaction() as session:
            contact = await session.get(Contact, self.contact_id, with_for_update=True, populate_existing=True)
            assert contact is not None
            for field in self.settings.prechat.required():
                given = changes.get(field)
                if getattr(contact, field) is None and (not isinstance(given, str) or not given.strip()):
                    raise InvalidField(f"{field} is required.", field=field)
            for field in ("name", "email", "phone"):
                # The offline form always asks for an e-mail (the answer goes there), even
                # where the chat's pre-chat form hides it.
                offline_email = field == "email" and self.mode == "offline"
                if getattr(self.settings.prechat, field) == "hidden" and not offline_email:
                    changes.pop(field, None)
            await update_contact(
                session, actor=Actor("contact", contact.id, contact.name), contact=contact, changes=changes
            )
        self.conn.send(
            {
                "type": "ack",
                "client_id": client_id,
                "contact": {"name": contact.name, "email": contact.email, "phone": contact.phone},
            }
        )
        if contact.email or contact.phone:
            await self._leave_if_banned()  # an address that is banned ends the chat here too

    async def request_callback(self, frame: dict[str, Any]) -> None:
        """"Call me back": a conversation of type callback with the number and the time."""
        client_id = client_id_of(frame)
        if not self.settings.callback:
            raise Forbidden("This site does not take callback requests.")
        phone = clean_phone(frame.get("phone"))
        if phone is None:
            raise InvalidField("A phone number is required.", field="phone")
        name = clean_name(frame.get("name"))
        when = frame.get("time") or ""
        if not isinstance(when, str) or len(when) > 100:
            raise InvalidField("time is free text of at most 100 characters.", field="time")
        self._take_token()
        async with self.services.db.transaction() as session:
            conversation, _ = await actions.request_callback(
                session, inbox=self.inbox, contact_id=self.contact_id, phone=phone, name=name,
                when=" ".join(when.split()), client_id=client_id, context=self.context,
            )
        self.conn.send({"type": "ack", "client_id": client_id, "conversation_id": conversation.id})

    async def request_transcript(self, frame: dict[str, Any]) -> None:
        client_id = client_id_of(frame)
        if not self.settings.transcript:
            raise Forbidden("This site does not send transcripts.")
        conversation_id = frame.get("conversation_id")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            raise InvalidField("conversation_id must be an integer.", field="conversation_id")
        async with self.services.db.transaction() as session:
            await mail.request_transcript(
                session, services=self.services, inbox=self.inbox, contact_id=self.contact_id,
                conversation_id=conversation_id, email=frame.get("email"), client_id=client_id,
            )
        self.conn.send({"type": "ack", "client_id": client_id})

    async def read(self, frame: dict[str, Any]) -> None:
        conversation_id, seq = frame.get("conversation_id"), frame.get("seq")
        if not isinstance(conversation_id, int) or not isinstance(seq, int):
            raise InvalidField("conversation_id and seq must be integers.", field="seq")
        async with self.services.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.contact_id != self.contact_id:
                return  # not this visitor's: ignore quietly, as for a stale cursor
            await actions.mark_read_by_contact(session, conversation=conversation, seq=seq)

    def refused(self, now: float) -> bool:
        """Count a refused message; True when the visitor is flooding and must be cut off."""
        self.refusals = [t for t in self.refusals if t > now - FLOOD_WINDOW]
        self.refusals.append(now)
        return len(self.refusals) > FLOOD_CLOSE_AFTER


async def authenticate_visitor(services: Services, frame: dict[str, Any], ip: str | None) -> tuple[Inbox, Visitor]:
    account_id, inbox_id, public_id = services.tokens.read(frame.get("token"))
    async with services.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None or inbox.account_id != account_id or not inbox.is_active or not inbox.site_key:
            raise InvalidToken()
        await active_site(session, inbox.site_key)  # raises unknown_site if disabled since
        visitor = await session.scalar(
            select(Visitor).where(Visitor.public_id == public_id, Visitor.inbox_id == inbox.id)
        )
        if visitor is None:
            raise InvalidToken()
        contact = await session.get(Contact, visitor.contact_id)
    who = Who(public_id, ip, contact.email if contact else None, contact.phone if contact else None)
    if await services.bans.banned(inbox.account_id, who):
        raise ChatUnavailable()
    return inbox, visitor


def _cursors(raw: object) -> dict[int, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 1000:
        raise InvalidField("cursors must be an object of conversation id → seq.", field="cursors")
    cursors = {}
    for key, value in raw.items():
        try:
            conversation_id = int(key)
        except (TypeError, ValueError):
            raise InvalidField("cursors keys must be conversation ids.", field="cursors") from None
        if not isinstance(value, int) or value < 0:
            raise InvalidField("cursors values must be seq numbers.", field="cursors")
        cursors[conversation_id] = value
    return cursors


async def widget_socket(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    await ws.accept()
    conn = Connection(ws)
    conn.start()
    widget: WidgetConnection | None = None
    try:
        frame = await receive_hello(ws, conn)
        if frame is None:
            return
        try:
            ip = client_ip(ws.client, ws.headers, services.settings.trust_proxy)
            inbox, visitor = await authenticate_visitor(services, frame, ip)
            cursors = _cursors(frame.get("cursors"))
        except HelplineError as error:
            conn.send({"type": "error", **error.to_dict()})
            await conn.close(error.close_code or 4000, error.code)
            return
        try:
            page = clean_page(frame.get("page"))
        except InvalidField:
            # Pages the widget cannot describe (file:, about:, very long URLs) are no reason to
            # refuse the chat: closing would only make the widget reconnect with the same page.
            page = None
        widget = WidgetConnection(services, conn, Site.of(inbox), visitor, ip)
        await services.hub.add_widget(widget)
        _online_here[visitor.id] += 1
        async with services.db.transaction() as session:
            seen = await visitor_seen(session, visitor_id=visitor.id, page=page, online=True)
            if seen is not None:
                widget.context = visitor_context(seen)
        await widget.welcome(cursors)
        await serve_frames(ws, widget)
    finally:
        if widget is not None:
            services.hub.remove_widget(widget)
            _online_here[widget.visitor_id] -= 1
            if _online_here[widget.visitor_id] <= 0:
                del _online_here[widget.visitor_id]
                try:
                    async with services.db.transaction() as session:
                        await visitor_seen(session, visitor_id=widget.visitor_id, online=False)
                except Exception:  # shutting down: the next start marks everyone offline
                    pass
        await conn.stop()


def queue_frame(conversation_id: int, position: int | None, wait_seconds: int | None) -> dict[str, Any]:
    """Where the customer is in the team's queue (position None: not waiting any more)."""
    return {"type": "queue", "conversation_id": conversation_id, "position": position, "wait_seconds": wait_seconds}
