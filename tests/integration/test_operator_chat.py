"""Teams, the operator chat (direct and team rooms, live and after reconnect), transfer to a team."""

from __future__ import annotations

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def patch(agent: Agent, path: str, body: dict) -> object:
    return await agent.http.patch(path, json=body, headers={"X-CSRF-Token": agent.csrf})


async def say(agent: Agent, room: str, body: str, client_id: str | None = None) -> object:
    return await agent.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": client_id or new_client_id(), "body": body})


async def test_teams_are_managed_by_admins(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    agents = {a["email"]: a["id"] for a in (await agent.get("/api/v1/agents")).json()["agents"]}
    members = [agents[tenant.agents[0]], agents[tenant.agents[1]]]
    assert (await agent.post("/api/v1/teams", {"name": "Sales", "member_ids": members})).status_code == 403
    created = await admin.post("/api/v1/teams", {"name": "  Sales ", "member_ids": members})
    assert created.status_code == 201 and created.json()["team"]["name"] == "Sales"
    team_id = created.json()["team"]["id"]
    # Bad input changes nothing.
    assert (await admin.post("/api/v1/teams", {"name": "Sales"})).status_code == 409
    assert (await admin.post("/api/v1/teams", {"name": "  "})).status_code == 422
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    try:
        bad = await patch(admin, f"/api/v1/teams/{team_id}", {"member_ids": [stranger.id]})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "member_ids"
        assert (await stranger.get("/api/v1/teams")).json()["teams"] == []
    finally:
        await stranger.close()
    [team] = (await agent.get("/api/v1/teams")).json()["teams"]
    assert team == {"id": team_id, "name": "Sales", "member_ids": sorted(members), "assignment": "least_loaded", "reassign_after": 0}


async def test_direct_and_team_rooms_live_private_and_unread(server: Server, tenant: Tenant, admin: Agent) -> None:
    anna = await Agent.login(server.url, tenant.agents[0], tenant.password)
    boris = await Agent.login(server.url, tenant.agents[1], tenant.password)
    sveta = await Agent.login(server.url, tenant.supervisor, tenant.password)
    try:
        team = (await admin.post("/api/v1/teams", {"name": "Support", "member_ids": [anna.id, boris.id]})).json()["team"]
        boris_socket = await boris.socket()
        sveta_socket = await sveta.socket()
        dm = f"dm:{min(anna.id, boris.id)}:{max(anna.id, boris.id)}"
        sent = await say(anna, dm, "Можешь взять #12?", client_id="chat-dm-0001")
        assert sent.status_code == 201
        frame = await boris_socket.wait_for(lambda f: f["type"] == "chat")
        assert frame["message"]["body"] == "Можешь взять #12?" and frame["message"]["room"] == dm
        # A resend stores nothing new and announces nothing.
        again = await say(anna, dm, "Можешь взять #12?", client_id="chat-dm-0001")
        assert again.status_code == 200 and again.json()["duplicate"] is True
        # Team room: members only.
        room = f"team:{team['id']}"
        assert (await say(anna, room, "Всем привет")).status_code == 201
        await boris_socket.wait_for(lambda f: f["type"] == "chat" and f["message"]["room"] == room)
        assert (await say(sveta, room, "I am not in the team")).status_code == 404
        assert (await sveta.get(f"/api/v1/chat/rooms/{dm}/messages")).status_code == 404
        await sveta_socket.drain()
        assert not [f for f in sveta_socket.frames if f["type"] == "chat"], "a third agent saw a private message"
        # Unread counts for the receiver; reading clears them; history in order.
        rooms = {r["room"]: r for r in (await boris.get("/api/v1/chat/rooms")).json()["rooms"]}
        assert rooms[dm]["unread"] == 1 and rooms[room]["unread"] == 1 and rooms[dm]["name"] == anna.me["name"]
        history = (await boris.get(f"/api/v1/chat/rooms/{dm}/messages")).json()["messages"]
        assert [m["body"] for m in history] == ["Можешь взять #12?"]
        assert (await boris.post(f"/api/v1/chat/rooms/{dm}/read", {"message_id": history[-1]["id"]})).status_code == 200
        rooms = {r["room"]: r for r in (await boris.get("/api/v1/chat/rooms")).json()["rooms"]}
        assert rooms[dm]["unread"] == 0
        # Bad input.
        assert (await say(anna, dm, "   ")).status_code == 422
        assert (await say(anna, "dm:1:1", "x")).status_code == 404
        assert (await say(anna, "lobby", "x")).status_code == 404
        await boris_socket.close()
        await sveta_socket.close()
    finally:
        for client in (anna, boris, sveta):
            await client.close()


async def test_transfer_to_a_team_goes_to_a_free_member_or_its_queue(
    server: Server, tenant: Tenant, admin: Agent, visitor: Visitor
) -> None:
    anna = await Agent.login(server.url, tenant.agents[0], tenant.password)
    boris = await Agent.login(server.url, tenant.agents[1], tenant.password)
    try:
        team = (await admin.post("/api/v1/teams", {"name": "Billing", "member_ids": [boris.id]})).json()["team"]
        widget = await visitor.socket()
        conversation_id = (await send_and_ack(widget, "Счёт не пришёл"))["conversation_id"]
        await anna.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": anna.id})
        # Nobody of the team is online: the conversation waits in the team's queue.
        queued = await anna.post(f"/api/v1/conversations/{conversation_id}/transfer", {"team_id": team["id"], "note": "про счёт"})
        assert queued.status_code == 200, queued.text
        conversation = queued.json()["conversation"]
        assert conversation["assignee"] is None and conversation["team"] == {"id": team["id"], "name": "Billing"}
        assert conversation["transfer_count"] == 1
        # Boris comes online (his console connects): the next transfer to the team reaches him.
        boris_socket = await boris.socket()
        await admin.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": anna.id})
        moved = await anna.post(f"/api/v1/conversations/{conversation_id}/transfer", {"team_id": team["id"]})
        assert moved.json()["conversation"]["assignee"]["id"] == boris.id
        assert (await anna.post(f"/api/v1/conversations/{conversation_id}/transfer", {})).status_code == 422
        assert (await anna.post(f"/api/v1/conversations/{conversation_id}/transfer", {"team_id": 999999})).status_code in (403, 404)
        await boris_socket.close()
        await widget.close()
    finally:
        await anna.close()
        await boris.close()
