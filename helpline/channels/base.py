"""The channel adapter interface: what Telegram, VK, Viber, WhatsApp, e-mail and phone each
implement, and the registry that finds them.

An adapter is a transport (DESIGN.md, principle 3). Inbound, its webhook (or its poller)
parses what the channel sent, checks the channel's signature, and hands each customer message
to `helpline.channels.inbound.receive`, which stores it (once: the channel's id of the
message is the idempotency key). Outbound, `helpline.channels.delivery` calls its `send` from
a durable job for every message an agent (or a bot) writes in one of its conversations, and
records the delivery state; the adapter only speaks the channel's wire format and says what
went wrong (`DeliveryError`). Reports the channel sends later (delivered, read) go to
`helpline.channels.delivery.report_delivery`. A messenger's webhook only checks and parses,
and queues its updates (`ChannelContext.queue`, helpline.channels.intake); the adapter's
`process` then does the rest.

Adapters live in `helpline/channels/<channel>/adapter.py` and define `ADAPTER`; `adapters()`
imports them all once.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from helpline.core.errors import InvalidField, invalid_field_of

from helpline.channels.intake import Update

if TYPE_CHECKING:
    from helpline.conversations.models import Inbox
    from helpline.core.runtime import Services

# Shown instead of a secret setting (a token, a password) in what the API returns; sent back
# unchanged, it keeps the stored value.
MASK = "••••••••"


class ChannelError(Exception):
    """The channel refused or could not be reached while connecting; `reason` is for the admin."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class DeliveryError(Exception):
    """Sending a message failed; `reason` is shown to the agent on the message.

    `permanent`: trying again cannot help (the customer blocked the bot, the message is outside
    the channel's reply window); otherwise it is retried with back-off, after `retry_after`
    seconds at the earliest when the channel said so (Telegram's 429). `blocked`: the customer
    blocked us on this channel; their identity is marked.
    """

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None, blocked: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent or blocked
        self.retry_after = retry_after
        self.blocked = blocked


@dataclass(frozen=True)
class IncomingFile:
    name: str
    content_type: str | None  # as the channel says; checked against the bytes anyway
    data: bytes


@dataclass(frozen=True)
class Inbound:
    """One customer message as a channel delivered it."""

    identity: str  # the customer's id on the channel (a Telegram user id, a phone number ...)
    external_id: str  # the channel's id of the message: a second delivery of it stores nothing
    text: str
    name: str | None = None  # the customer's name as the channel knows it
    email: str | None = None  # verified by the channel (the sender of an e-mail)
    phone: str | None = None  # verified by the channel (a WhatsApp number, a caller)
    files: list[IncomingFile] = field(default_factory=list)
    # What the console shows about where the conversation came from ({"username": ...}).
    context: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    # Channels whose messages say what they answer (e-mail: In-Reply-To, References, "[#1042]"
    # in the subject) set `threaded`: the message continues `conversation_id` when that is the
    # contact's conversation and may be continued, and starts a new conversation otherwise.
    # Other channels continue the contact's open conversation in the inbox.
    threaded: bool = False
    conversation_id: int | None = None
    # It answers a message Helpline sent (by that message's id, which nobody could guess): its
    # sender got that message, so is the conversation's contact when the address is theirs.
    answers_ours: bool = False


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    content_type: str
    size: int
    path: Path  # on this node's file store
    image: bool
    # Where anyone may download it from Helpline (`/files/...`, absolute): for channels that
    # fetch media themselves rather than take an upload (Viber).
    url: str


@dataclass(frozen=True)
class Outgoing:
    """One message for the customer, as `send` gets it."""

    message_id: int
    conversation_id: int
    conversation_number: int
    seq: int
    text: str
    files: list[OutgoingFile]
    recipient: str  # the customer's id on the channel (their identity's value)
    contact_name: str | None
    # The conversation's channel state (e-mail: the thread's Message-IDs and subject).
    conversation_context: dict[str, Any]
    author_name: str | None
    # When the customer last wrote in the conversation: channels that allow free-form replies
    # only for a while after it (WhatsApp's 24 hours) refuse before calling their API.
    customer_last_message_at: datetime | None = None


@dataclass(frozen=True)
class Sent:
    external_id: str | None  # the channel's id of the message sent, if it gives one
    # Keys to merge into the conversation's context (e-mail: the Message-ID just sent).
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChannelContext:
    """What an adapter call gets: the inbox, its validated settings, an HTTP client and the
    node's services."""

    services: Services
    inbox: Inbox
    settings: BaseModel
    http: httpx.AsyncClient

    @property
    def webhook_url(self) -> str:
        return f"{self.services.settings.base_url}/hooks/{self.inbox.secret}"

    async def queue(self, updates: list[Update]) -> None:
        """A webhook's updates, stored for the adapter's `process` (helpline.channels.intake);
        returns once they are stored. Without a running intake (a tool, a test of the adapter)
        they are processed at once."""
        intake = self.services.intake
        if intake is not None:
            await intake.accept(self.inbox, updates)
            return
        adapter = adapter_for(self.inbox.channel)
        assert adapter is not None
        for item in updates:
            await adapter.process(self, item.payload)


class ChannelAdapter:
    """Base of every adapter; override what the channel has."""

    channel: ClassVar[str]
    # The kind of contact identity the channel's customers have (telegram, email, phone ...).
    identity_kind: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]
    # Settings never shown back (tokens, passwords): the API returns MASK instead.
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    # Whether messages can be sent to the customer at all (the phone cannot): where not, a
    # bot's automatic replies are not tried, and an agent's answer fails with the reason.
    sends: ClassVar[bool] = True
    # Whether it can write first to any customer's address (e-mail can; a messenger bot may
    # write only to those who wrote to it): then an agent may answer a conversation of
    # another channel through it, to the contact's identity of `identity_kind` or, lacking
    # one, to their own field of that name (the e-mail they typed in the chat's form).
    writes_first: ClassVar[bool] = False

    def clean_settings(self, raw: object, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        """The settings validated (422 `invalid_field` naming `settings.<key>`); a secret sent
        back as MASK keeps the `stored` value."""
        if not isinstance(raw, dict):
            raise InvalidField("settings must be an object.", field="settings")
        merged = dict(raw)
        for key in self.secret_fields:
            if merged.get(key) == MASK and stored is not None:
                merged[key] = stored.get(key)
        try:
            return self.settings_model.model_validate(merged).model_dump(mode="json")
        except ValidationError as error:
            raise invalid_field_of(error, "settings") from None

    def parse_settings(self, stored: dict[str, Any]) -> BaseModel:
        return self.settings_model.model_validate(stored)

    def masked(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {key: (MASK if key in self.secret_fields and value else value) for key, value in stored.items()}

    async def connect(self, ctx: ChannelContext) -> str:
        """Check the settings against the channel and register the webhook where its API
        allows; returns what the admin sees ("@helpline_bot"). Raises ChannelError."""
        return ""

    async def webhook(self, ctx: ChannelContext, request: Request) -> Response:
        """Answer a request to the inbox's webhook URL."""
        return Response(status_code=404)

    async def process(self, ctx: ChannelContext, payload: dict[str, Any]) -> None:
        """Process one update the webhook queued (`ctx.queue`): download its files, store the
        customer's message (`inbound.receive`), record a delivery report. Raising makes it
        tried again later; it must be safe to run twice."""
        raise NotImplementedError(f"{self.channel} queues no updates")

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        """Send one message; raises DeliveryError (any other exception counts as a temporary
        failure)."""
        raise DeliveryError(f"{self.channel} cannot send messages.", permanent=True)

    def polls(self, settings: BaseModel) -> bool:
        """Whether this inbox is read by polling (`poll`) rather than by its webhook."""
        return False

    async def poll(self, ctx: ChannelContext) -> None:
        """Read what arrived, hand it to inbound.receive and return; called again at once
        (a long poll waits inside) while this node holds the inbox's lease. Keep the position
        in `inbox.cursor` (helpline.channels.pollers.save_cursor)."""


def split_text(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, as channels take them, cut at a line
    break or a space where one is in the second half of a piece."""
    text = text.strip()
    pieces = []
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


async def download(ctx: ChannelContext, url: str, limit: int, headers: dict[str, str] | None = None) -> bytes | None:
    """The file at `url` (a channel's media link); None when the channel answers with an error
    or the file is larger than `limit` bytes (read no further then)."""
    async with ctx.http.stream("GET", url, headers=headers, follow_redirects=True) as response:
        if response.status_code != 200:
            return None
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > limit:
                return None
        return bytes(data)


_ADAPTERS: dict[str, ChannelAdapter] = {}


def adapters() -> dict[str, ChannelAdapter]:
    """Every adapter by channel name (imported from helpline/channels/*/adapter.py once)."""
    if not _ADAPTERS:
        package = Path(__file__).parent
        for module in pkgutil.iter_modules([str(package)]):
            if module.ispkg and (package / module.name / "adapter.py").exists():
                adapter = importlib.import_module(f"helpline.channels.{module.name}.adapter").ADAPTER
                _ADAPTERS[adapter.channel] = adapter
    return _ADAPTERS


def adapter_for(channel: str) -> ChannelAdapter | None:
    return adapters().get(channel)
