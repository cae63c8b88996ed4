"""Transfers between agents (with a note for the receiver) and assignment within capacity
(docs/protocol.md, "REST": `/transfer`, `/assign`, `at_capacity`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from tests.support.clients import Agent, Socket, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


@dataclass
class Team:
    admin: Agent
    supervisor: Agent
    first: Agent  # role agent
    second: Agent  # role agent


@pytest_asyncio.fixture
async def team(server: Server, tenant: Tenant) -> AsyncIterator[Team]:
    team = Team(
        admin=await Agent.login(server.url, tenant.admin, tenant.password),
        supervisor=await Agent.login(server.url, tenant.supervisor, tenant.password),
        first=await Agent.login(server.url, tenant.agents[0], tenant.password),
        second=await Agent.login(server.url, tenant.agents[1], tenant.password),
    )
    yield team
    for client in (team.admin, team.supervisor, team.first, team.second):
        await client.close()


async def new_conversation(server: Server, tenant: Tenant, body: str = "Где мой заказ?") -> tuple[Visitor, Socket, int]:
    """A new visitor with an open widget and a conversation of one message."""
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    ack = await send_and_ack(widget, body)
    assert ack["type"] == "ack", ack
    return visitor, widget, ack["conversation_id"]


async def assign(by: Agent, conversation_id: int, agent_id: int | None, **extra: Any) -> None:
    response = await by.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent_id, **extra})
    assert response.status_code == 200, response.text


async def state(viewer: Agent, conversation_id: int) -> tuple[int | None, int, list[tuple[int, str, str]]]:
    """What a refused request must leave alone: assignee, transfer count and the history."""
    detail = await viewer.conversation(conversation_id)
    conversation = detail["conversation"]
    assignee = conversation["assignee"]["id"] if conversation["assignee"] else None
    return assignee, conversation["transfer_count"], [(m["seq"], m["kind"], m["body"]) for m in detail["messages"]]


async def load_of(viewer: Agent, agent_id: int) -> int:
    agents = (await viewer.get("/api/v1/agents")).json()["agents"]
    return next(a["load"] for a in agents if a["id"] == agent_id)


async def test_a_transfer_with_a_note_hands_over_the_conversation_and_its_context(
    server: Server, tenant: Tenant, team: Team
) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    assert (await team.first.reply(conversation_id, "Сейчас посмотрю")).status_code == 201
    await widget.drain()
    receiver_console = await team.second.socket()

    response = await team.first.post(
        f"/api/v1/conversations/{conversation_id}/transfer",
        {"agent_id": team.second.id, "note": "  Клиент ждёт возврат за заказ 1042  "},
    )
    assert response.status_code == 200, response.text
    conversation = response.json()["conversation"]
    assert conversation["assignee"] == {"id": team.second.id, "name": team.second.me["name"]}
    assert conversation["transfer_count"] == 1

    detail = await team.second.conversation(conversation_id)
    note = detail["messages"][-1]
    assert [m["seq"] for m in detail["messages"]] == [1, 2, 3]
    assert note["kind"] == "note"
    assert note["author"] == {"type": "agent", "id": team.first.id, "name": team.first.me["name"]}
    assert note["body"] == f"→ {team.second.me['name']}: Клиент ждёт возврат за заказ 1042"
    assert detail["conversation"]["transfer_count"] == 1

    # the receiver's console learns of the note and of the hand-over
    arrived = await receiver_console.wait_for(lambda f: f["type"] == "event" and f["event"] == "message.created")
    assert arrived["data"]["message"]["id"] == note["id"]
    updated = await receiver_console.wait_for(lambda f: f["type"] == "event" and f["event"] == "conversation.updated")
    assert set(updated["data"]["changed"]) == {"assignee", "transfer_count"}
    assert updated["data"]["conversation"]["assignee"]["id"] == team.second.id
    assert updated["data"]["conversation"]["transfer_count"] == 1

    # the customer never sees the note, live or on a fresh page
    frames = await widget.drain(0.5)
    assert [f for f in frames if f["type"] == "message"] == []
    assert "возврат" not in str(frames)
    fresh = await visitor.socket()
    history = [f["message"]["body"] for f in await fresh.drain() if f["type"] == "message"]
    assert history == ["Где мой заказ?", "Сейчас посмотрю"]
    for sock in (widget, fresh, receiver_console):
        await sock.close()
    await visitor.close()


async def test_a_transfer_without_a_note_stores_no_message_and_counts_every_transfer(
    server: Server, tenant: Tenant, team: Team
) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    first = await team.first.post(f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": team.second.id})
    assert first.status_code == 200, first.text
    # a supervisor moves it on, and an empty note is no note
    second = await team.supervisor.post(
        f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": team.first.id, "note": "   "}
    )
    assert second.status_code == 200, second.text
    assignee, transfers, history = await state(team.admin, conversation_id)
    assert (assignee, transfers) == (team.first.id, 2)
    assert history == [(1, "text", "Где мой заказ?")]
    await widget.close()
    await visitor.close()


async def test_an_agent_may_transfer_an_unassigned_conversation(server: Server, tenant: Tenant, team: Team) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    response = await team.first.post(f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": team.second.id})
    assert response.status_code == 200, response.text
    assert (await state(team.admin, conversation_id))[:2] == (team.second.id, 1)
    await widget.close()
    await visitor.close()


async def test_a_transfer_to_the_current_assignee_is_refused(server: Server, tenant: Tenant, team: Team) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    before = await state(team.admin, conversation_id)
    response = await team.first.post(
        f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": team.first.id, "note": "to myself"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_field" and response.json()["error"]["field"] == "agent_id"
    assert await state(team.admin, conversation_id) == before
    await widget.close()
    await visitor.close()


async def test_a_transfer_to_an_unknown_inactive_or_foreign_agent_is_not_found(
    server: Server, tenant: Tenant, team: Team
) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    created = await team.admin.post(
        "/api/v1/agents", {"name": "Ушедший", "email": f"gone-{tenant.site_key}@example.com", "password": "long-enough-pw"}
    )
    gone_id = created.json()["agent"]["id"]
    assert (await team.admin.post(f"/api/v1/agents/{gone_id}/deactivate")).status_code == 200
    before = await state(team.admin, conversation_id)

    for agent_id in (999_999_999, stranger.id, gone_id):
        response = await team.first.post(
            f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": agent_id, "note": "take it"}
        )
        assert response.status_code == 404, (agent_id, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert await state(team.admin, conversation_id) == before
    # and the stranger cannot transfer our conversation to anyone
    hijack = await stranger.post(f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": stranger.id})
    assert hijack.status_code == 404
    assert await state(team.admin, conversation_id) == before
    await stranger.close()
    await widget.close()
    await visitor.close()


async def test_bad_transfer_bodies_are_refused(server: Server, tenant: Tenant, team: Team) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    before = await state(team.admin, conversation_id)
    for body, field in (
        ({}, "agent_id"),
        ({"agent_id": "someone"}, "agent_id"),
        ({"agent_id": team.second.id, "note": "x" * 5001}, "note"),
        ({"agent_id": team.second.id, "force": "yes"}, "force"),
    ):
        response = await team.first.post(f"/api/v1/conversations/{conversation_id}/transfer", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_field" and response.json()["error"]["field"] == field
    assert await state(team.admin, conversation_id) == before
    await widget.close()
    await visitor.close()


async def test_an_agent_cannot_transfer_a_colleagues_conversation(server: Server, tenant: Tenant, team: Team) -> None:
    visitor, widget, conversation_id = await new_conversation(server, tenant)
    await assign(team.first, conversation_id, team.first.id)
    before = await state(team.admin, conversation_id)
    for target in (team.second.id, team.supervisor.id):
        response = await team.second.post(
            f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": target, "note": "mine now"}
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert await state(team.admin, conversation_id) == before
    await widget.close()
    await visitor.close()


async def test_a_transfer_to_an_agent_at_capacity_needs_force(server: Server, tenant: Tenant, team: Team) -> None:
    busy_visitor, busy_widget, busy_conversation = await new_conversation(server, tenant, "first customer")
    visitor, widget, conversation_id = await new_conversation(server, tenant, "second customer")
    assert (await team.admin.patch(f"/api/v1/agents/{team.second.id}", {"capacity": 1})).status_code == 200
    await assign(team.second, busy_conversation, team.second.id)
    await assign(team.first, conversation_id, team.first.id)
    before = await state(team.admin, conversation_id)

    for by in (team.first, team.supervisor):
        refused = await by.post(
            f"/api/v1/conversations/{conversation_id}/transfer", {"agent_id": team.second.id, "note": "please help"}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "at_capacity"
    assert await state(team.admin, conversation_id) == before  # not even the note was stored
    assert await load_of(team.admin, team.second.id) == 1

    forced = await team.first.post(
        f"/api/v1/conversations/{conversation_id}/transfer",
        {"agent_id": team.second.id, "note": "please help", "force": True},
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["conversation"]["assignee"]["id"] == team.second.id
    assignee, transfers, history = await state(team.admin, conversation_id)
    assert (assignee, transfers) == (team.second.id, 1)
    assert history[-1][1] == "note" and "please help" in history[-1][2]
    assert await load_of(team.admin, team.second.id) == 2
    for sock in (busy_widget, widget):
        await sock.close()
    for client in (busy_visitor, visitor):
        await client.close()


async def test_assigning_to_an_agent_at_capacity_needs_force(server: Server, tenant: Tenant, team: Team) -> None:
    busy_visitor, busy_widget, busy_conversation = await new_conversation(server, tenant, "first customer")
    visitor, widget, conversation_id = await new_conversation(server, tenant, "second customer")
    assert (await team.admin.patch(f"/api/v1/agents/{team.second.id}", {"capacity": 1})).status_code == 200
    await assign(team.supervisor, busy_conversation, team.second.id)

    refused = await team.supervisor.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": team.second.id})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "at_capacity"
    assert (await state(team.admin, conversation_id))[:2] == (None, 0)
    bad = await team.supervisor.post(
        f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": team.second.id, "force": "true"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "force"
    assert (await state(team.admin, conversation_id))[:2] == (None, 0)

    forced = await team.supervisor.post(
        f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": team.second.id, "force": True}
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["conversation"]["assignee"]["id"] == team.second.id
    assert forced.json()["conversation"]["transfer_count"] == 0  # an assignment is not a transfer
    assert await load_of(team.admin, team.second.id) == 2
    for sock in (busy_widget, widget):
        await sock.close()
    for client in (busy_visitor, visitor):
        await client.close()


async def test_an_agent_at_capacity_may_still_take_a_conversation_themselves(
    server: Server, tenant: Tenant, team: Team
) -> None:
    busy_visitor, busy_widget, busy_conversation = await new_conversation(server, tenant, "first customer")
    visitor, widget, conversation_id = await new_conversation(server, tenant, "second customer")
    assert (await team.admin.patch(f"/api/v1/agents/{team.second.id}", {"capacity": 1})).status_code == 200
    await assign(team.second, busy_conversation, team.second.id)
    taken = await team.second.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": team.second.id})
    assert taken.status_code == 200, taken.text
    assert await load_of(team.admin, team.second.id) == 2
    for sock in (busy_widget, widget):
        await sock.close()
    for client in (busy_visitor, visitor):
        await client.close()
