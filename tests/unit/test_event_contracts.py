"""Contracts of actions: which events they queue, for whom, and how many statements the
hot path runs (so an N+1 cannot creep in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest_asyncio
from sqlalchemy import event, select

from helpline.accounts.models import Agent
from helpline.conversations import actions
from helpline.conversations.models import Conversation, Inbox
from helpline.core.db import Database
from helpline.core.events import EventRecord, queued_events
from helpline.core.hub import widget_frame
from helpline.core.migrate import migrate
from helpline.visitors.actions import start_visit
from tests.support.seed import Tenant, make_tenant


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Database, Tenant]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'contracts.db'}"
    migrate(url)
    tenant = await make_tenant(url)
    db = Database(url)
    yield db, tenant
    await db.dispose()


async def _visitor(db: Database, tenant: Tenant) -> tuple[Inbox, int]:
    async with db.transaction() as session:
        inbox = await session.get(Inbox, tenant.inbox_id)
        assert inbox is not None
        visitor = await start_visit(session, inbox=inbox, public_id=None, page=None, ip=None, user_agent=None, language=None)
        return inbox, visitor.contact_id


async def test_a_visitor_message_queues_created_events_for_everyone(world: tuple[Database, Tenant]) -> None:
    db, tenant = world
    inbox, contact_id = await _visitor(db, tenant)
    async with db.transaction() as session:
        message, conversation, duplicate = await actions.receive_visitor_message(
            session, inbox=inbox, contact_id=contact_id, body="hi", client_id="client-0001", context={}
        )
        queued = queued_events(session)
    assert not duplicate
    assert [(e["type"], e["audience"], e["contact_id"]) for e in queued] == [
        ("conversation.created", "public", contact_id),
        ("message.created", "public", contact_id),
    ]
    payload = orjson.loads(queued[1]["payload"])
    assert payload["message"]["seq"] == 1 and payload["conversation"]["unread_count"] == 1
    assert payload["conversation"]["last_seq"] == 1


async def test_a_note_is_for_agents_only_and_never_shaped_for_the_widget(world: tuple[Database, Tenant]) -> None:
    db, tenant = world
    inbox, contact_id = await _visitor(db, tenant)
    async with db.transaction() as session:
        _, conversation, _ = await actions.receive_visitor_message(
            session, inbox=inbox, contact_id=contact_id, body="hi", client_id="client-0002", context={}
        )
    async with db.transaction() as session:
        agent = await session.scalar(select(Agent).where(Agent.email == tenant.agents[0]))
        assert agent is not None
        loaded = await session.get(Conversation, conversation.id)
        assert loaded is not None
        await actions.post_message(
            session, conversation=loaded, author=actions.agent_actor(agent), body="secret", kind="note", client_id="note-0001"
        )
        queued = queued_events(session)
    assert [(e["type"], e["audience"]) for e in queued] == [("message.created", "agents")]
    async with db.read() as session:
        stored = (await session.scalars(select(EventRecord).order_by(EventRecord.id.desc()).limit(1))).one()
    assert stored.audience == "agents"
    # the hub never reaches widgets with it (it checks the audience before shaping);
    # a public message is shaped without the agent's idempotency key
    public = orjson.loads(queued[0]["payload"])
    public["message"]["author"]["type"] = "agent"
    seq, frame = widget_frame("message.created", orjson.dumps(public).decode())  # type: ignore[misc]
    assert frame["message"]["client_id"] is None and seq == public["message"]["seq"]


async def test_the_visitor_message_path_runs_a_fixed_number_of_statements(world: tuple[Database, Tenant]) -> None:
    db, tenant = world
    inbox, contact_id = await _visitor(db, tenant)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    event.listen(db.writer, "before_cursor_execute", count)
    try:
        for n in range(3):
            statements.clear()
            async with db.transaction() as session:
                await actions.receive_visitor_message(
                    session, inbox=inbox, contact_id=contact_id, body=f"m{n}", client_id=f"client-10{n:02d}", context={}
                )
            if n == 0:
                first = list(statements)
    finally:
        event.remove(db.writer, "before_cursor_execute", count)
    # BEGIN, contact, duplicate check, open conversation, numbering UPDATE, message INSERT,
    # event INSERT — the same for every later message of the conversation.
    assert statements == ["BEGIN", "SELECT", "SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"]
    assert len(first) > len(statements)  # the first one also opened the conversation
