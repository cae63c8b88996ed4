"""Agent presence and capacity: consoles make agents online, the sweeper and logout make them
offline, agents choose away/online, admins set capacities (docs/protocol.md, "Presence").

The test server runs with HELPLINE_PRESENCE_TIMEOUT=6, so the sweeper runs every 2 s."""

from __future__ import annotations

import time
from typing import Any

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

PRESENCE_TIMEOUT = 6.0  # as set by tests/support/server.py
SWEEP_INTERVAL = PRESENCE_TIMEOUT / 3


def agent_updated(agent_id: int, status: str | None = None):
    def match(frame: dict[str, Any]) -> bool:
        if frame["type"] != "event" or frame["event"] != "agent.updated":
            return False
        agent = frame["data"]["agent"]
        return agent["id"] == agent_id and (status is None or agent["status"] == status)

    return match


async def agents_by_id(viewer: Agent) -> dict[int, dict[str, Any]]:
    response = await viewer.get("/api/v1/agents")
    assert response.status_code == 200, response.text
    return {a["id"]: a for a in response.json()["agents"]}


async def status_of(viewer: Agent, agent_id: int) -> str:
    return (await agents_by_id(viewer))[agent_id]["status"]


async def test_a_console_connect_brings_an_offline_agent_online(admin: Agent, agent: Agent) -> None:
    assert await status_of(admin, agent.id) == "offline"  # logging in is not being at the console
    observer = await admin.socket()

    console = await agent.socket()
    event = await observer.wait_for(agent_updated(agent.id))
    assert event["data"]["agent"]["status"] == "online"
    assert event["data"]["agent"]["status_changed_at"] is not None
    assert await status_of(admin, agent.id) == "online"
    # a second console of the same agent changes nothing and announces nothing
    second = await agent.socket()
    assert [f for f in await observer.drain(0.5) if agent_updated(agent.id)(f)] == []
    for sock in (console, second, observer):
        await sock.close()


async def test_the_events_long_poll_also_brings_an_agent_online(admin: Agent, agent: Agent) -> None:
    """The console's HTTP fallback is a console too."""
    observer = await admin.socket()
    response = await agent.get("/api/v1/events")
    assert response.status_code == 200, response.text
    await observer.wait_for(agent_updated(agent.id, "online"))
    assert await status_of(admin, agent.id) == "online"
    await observer.close()


async def test_agents_choose_away_and_online_and_a_console_does_not_undo_away(admin: Agent, agent: Agent) -> None:
    observer = await admin.socket()
    console = await agent.socket()
    await observer.wait_for(agent_updated(agent.id, "online"))

    away = await agent.post("/api/v1/me/status", {"status": "away"})
    assert away.status_code == 200, away.text
    assert away.json()["agent"]["status"] == "away" and away.json()["agent"]["id"] == agent.id
    await observer.wait_for(agent_updated(agent.id, "away"))
    assert await status_of(admin, agent.id) == "away"

    # an agent who chose away stays away when another console connects
    another = await agent.socket()
    assert [f for f in await observer.drain(0.5) if agent_updated(agent.id)(f)] == []
    assert await status_of(admin, agent.id) == "away"

    me = (await agent.get("/api/v1/me")).json()
    assert me["agent"]["status"] == "away"
    assert me["account"]["settings"]["auto_away_minutes"] == 10

    back = await agent.post("/api/v1/me/status", {"status": "online"})
    assert back.status_code == 200 and back.json()["agent"]["status"] == "online"
    await observer.wait_for(agent_updated(agent.id, "online"))
    assert (await agent.get("/api/v1/me")).json()["agent"]["status"] == "online"
    for sock in (console, another, observer):
        await sock.close()


async def test_an_invalid_status_is_refused_and_changes_nothing(admin: Agent, agent: Agent) -> None:
    console = await agent.socket()
    before = (await agents_by_id(admin))[agent.id]
    assert before["status"] == "online"
    for body in ({"status": "offline"}, {"status": "busy"}, {"status": None}, {"status": ["away"]}, {}):
        response = await agent.post("/api/v1/me/status", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_field"
        assert response.json()["error"]["field"] == "status"
    assert (await agents_by_id(admin))[agent.id] == before
    await console.close()


async def test_agents_without_a_console_go_offline_within_the_presence_timeout(
    server: Server, tenant: Tenant, admin: Agent
) -> None:
    leaving = await Agent.login(server.url, tenant.agents[0], tenant.password)
    staying = await Agent.login(server.url, tenant.agents[1], tenant.password)
    observer = await admin.socket()
    leaving_console = await leaving.socket()
    staying_tabs = [await staying.socket(), await staying.socket()]
    await observer.wait_for(agent_updated(leaving.id, "online"))
    await observer.wait_for(agent_updated(staying.id, "online"))

    await leaving_console.close()
    await staying_tabs[0].close()  # one of two tabs: the agent is still at the console
    closed_at = time.monotonic()
    assert await status_of(admin, leaving.id) == "online"  # not at once: a reload must not flicker

    event = await observer.wait_for(agent_updated(leaving.id, "offline"), timeout=PRESENCE_TIMEOUT + 2 * SWEEP_INTERVAL + 2)
    took = time.monotonic() - closed_at
    # last refreshed at most one sweep interval before the close, swept one interval after the timeout at most
    assert took <= PRESENCE_TIMEOUT + SWEEP_INTERVAL + 1.5, took
    assert event["data"]["agent"]["status"] == "offline"
    assert await status_of(admin, leaving.id) == "offline"
    # the sweep that took the leaving agent offline kept the agent with a tab open online
    assert await status_of(admin, staying.id) == "online"
    assert [f for f in await observer.drain(0.3) if agent_updated(staying.id)(f)] == []

    for sock in (staying_tabs[1], observer):
        await sock.close()
    for client in (leaving, staying):
        await client.close()


async def test_logging_out_of_the_last_session_goes_offline_at_once(server: Server, tenant: Tenant, admin: Agent) -> None:
    laptop = await Agent.login(server.url, tenant.agents[0], tenant.password)
    phone = await Agent.login(server.url, tenant.agents[0], tenant.password)  # a second session
    observer = await admin.socket()
    laptop_console, phone_console = await laptop.socket(), await phone.socket()
    await observer.wait_for(agent_updated(laptop.id, "online"))

    assert (await laptop.post("/api/v1/auth/logout")).status_code == 204
    assert await laptop_console.closed_with() == 4001
    assert await status_of(admin, laptop.id) == "online"  # the phone is still logged in

    logged_out_at = time.monotonic()
    assert (await phone.post("/api/v1/auth/logout")).status_code == 204
    assert await status_of(admin, phone.id) == "offline"  # already when the logout answered
    await observer.wait_for(agent_updated(phone.id, "offline"), timeout=2)
    assert time.monotonic() - logged_out_at < PRESENCE_TIMEOUT / 2  # not the sweeper's doing
    assert await phone_console.closed_with() == 4001
    await observer.close()
    for client in (laptop, phone):
        await client.close()


async def test_agents_list_shows_capacity_and_the_load_of_open_conversations(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    agents = await agents_by_id(agent)  # any agent may read the team
    assert all(a["capacity"] == 5 and a["load"] == 0 for a in agents.values())
    assert {"id", "name", "email", "role", "status", "status_changed_at", "capacity", "is_active", "load"} <= set(agents[agent.id])

    conversation_ids = []
    for i in range(3):
        visitor = Visitor(server.url, tenant.site_key)
        await visitor.start()
        widget = await visitor.socket()
        conversation_ids.append((await send_and_ack(widget, f"question {i}"))["conversation_id"])
        await widget.close()
        await visitor.close()
    for conversation_id in conversation_ids:
        taken = await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})
        assert taken.status_code == 200, taken.text
    assert (await agents_by_id(admin))[agent.id]["load"] == 3

    # resolved conversations are no load
    assert (await agent.post(f"/api/v1/conversations/{conversation_ids[0]}/resolve")).status_code == 200
    agents = await agents_by_id(admin)
    assert agents[agent.id]["load"] == 2
    assert all(a["load"] == 0 for a in agents.values() if a["id"] != agent.id)


async def test_admins_set_capacities(admin: Agent, agent: Agent) -> None:
    observer = await agent.socket()
    response = await admin.patch(f"/api/v1/agents/{agent.id}", {"capacity": 2})
    assert response.status_code == 200, response.text
    assert response.json()["agent"]["capacity"] == 2
    event = await observer.wait_for(agent_updated(agent.id))
    assert event["data"]["agent"]["capacity"] == 2
    assert (await agents_by_id(agent))[agent.id]["capacity"] == 2
    for edge in (1, 100):
        edged = await admin.patch(f"/api/v1/agents/{agent.id}", {"capacity": edge})
        assert edged.status_code == 200 and edged.json()["agent"]["capacity"] == edge
    await observer.close()


async def test_a_capacity_out_of_range_is_refused_and_changes_nothing(admin: Agent, agent: Agent) -> None:
    before = await agents_by_id(admin)
    for capacity in (0, 101, -1, "many", 2.5):
        response = await admin.patch(f"/api/v1/agents/{agent.id}", {"capacity": capacity})
        assert response.status_code == 422, (capacity, response.text)
        assert response.json()["error"]["code"] == "invalid_field"
        assert response.json()["error"]["field"] == "capacity"
    assert await agents_by_id(admin) == before


async def test_a_blank_name_is_refused_and_changes_nothing(admin: Agent, agent: Agent) -> None:
    """The same PATCH renames agents; a name of spaces is no name (POST /agents refuses it too)."""
    before = await agents_by_id(admin)
    for name in ("", "   ", "\t\n"):
        response = await admin.patch(f"/api/v1/agents/{agent.id}", {"name": name, "capacity": 3})
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["code"] == "invalid_field" and response.json()["error"]["field"] == "name"
    assert await agents_by_id(admin) == before
    renamed = await admin.patch(f"/api/v1/agents/{agent.id}", {"name": "  Мария   Петрова "})
    assert renamed.status_code == 200 and renamed.json()["agent"]["name"] == "Мария Петрова"


async def test_only_admins_set_capacities(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    before = await agents_by_id(admin)
    for who, target in ((agent, agent.id), (agent, admin.id), (supervisor, agent.id)):
        response = await who.patch(f"/api/v1/agents/{target}", {"capacity": 50})
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert await agents_by_id(admin) == before
    await supervisor.close()


async def test_another_accounts_agent_is_not_found(server: Server, admin: Agent) -> None:
    other = await make_tenant(server.database_url)
    stranger_admin = await Agent.login(server.url, other.admin, other.password)
    their_agent_id = next(a["id"] for a in (await agents_by_id(stranger_admin)).values() if a["role"] == "agent")
    before = (await agents_by_id(stranger_admin))[their_agent_id]

    response = await admin.patch(f"/api/v1/agents/{their_agent_id}", {"capacity": 1})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    missing = await admin.patch("/api/v1/agents/999999999", {"capacity": 1})
    assert missing.status_code == 404
    assert (await agents_by_id(stranger_admin))[their_agent_id] == before
    assert their_agent_id not in await agents_by_id(admin)
    await stranger_admin.close()


async def test_presence_is_announced_only_within_the_account(server: Server, admin: Agent) -> None:
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    observer = await admin.socket()
    await observer.drain(0.3)  # the admin's own coming online
    console = await stranger.socket()
    assert (await agents_by_id(stranger))[stranger.id]["status"] == "online"
    assert [f for f in await observer.drain(0.5) if f["type"] == "event"] == []
    await console.close()
    await observer.close()
    await stranger.close()
