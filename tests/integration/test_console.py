"""The console API: login, CSRF, roles, tenant isolation, inbox views and conversation actions."""

from __future__ import annotations

import httpx
import pytest

from tests.support.clients import Agent, Socket, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def open_conversation(visitor: Visitor, body: str = "help") -> int:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, body)
    await widget.close()
    return ack["conversation_id"]


async def test_login_sets_httponly_session_and_csrf_cookies(server: Server, tenant: Tenant) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/v1/auth/login", json={"email": tenant.agents[0].upper(), "password": tenant.password})
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("helpline_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        csrf_cookie = next(c for c in cookies if c.startswith("helpline_csrf="))
        assert "HttpOnly" not in csrf_cookie
        me = await http.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["agent"]["email"] == tenant.agents[0]
        assert me.json()["csrf_token"] == response.json()["csrf_token"]


@pytest.mark.parametrize("email_suffix, password", [("", "wrong-password"), ("x", "correct-horse-battery")])
async def test_wrong_credentials_are_refused_alike(server: Server, tenant: Tenant, email_suffix: str, password: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/v1/auth/login", json={"email": tenant.agents[0] + email_suffix, "password": password})
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_login_is_rate_limited(server: Server, tenant: Tenant) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(5):
            r = await http.post("/api/v1/auth/login", json={"email": tenant.agents[1], "password": "nope-nope"})
            assert r.status_code == 401
        blocked = await http.post("/api/v1/auth/login", json={"email": tenant.agents[1], "password": tenant.password})
        assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "too_many_attempts"
        assert int(blocked.headers["retry-after"]) > 0
        # other agents from the same address are not locked out by one agent's failures
        other = await http.post("/api/v1/auth/login", json={"email": tenant.agents[0], "password": tenant.password})
        assert other.status_code == 200


async def test_state_changes_need_the_csrf_header_and_json(agent: Agent, visitor: Visitor) -> None:
    conversation_id = await open_conversation(visitor)
    path = f"/api/v1/conversations/{conversation_id}/resolve"
    no_header = await agent.http.post(path, json={})
    assert no_header.status_code == 403 and no_header.json()["error"]["code"] == "csrf_failed"
    wrong = await agent.http.post(path, json={}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    form = await agent.http.post(path, data={"a": "b"}, headers={"X-CSRF-Token": agent.csrf})
    assert form.status_code == 400 and form.json()["error"]["code"] == "malformed_request"
    assert (await agent.conversation(conversation_id))["conversation"]["status"] == "open"
    assert (await agent.post(path)).status_code == 200


async def test_logout_ends_the_session_on_the_server(server: Server, tenant: Tenant) -> None:
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    stolen_cookie = agent.cookie_header()
    assert (await agent.post("/api/v1/auth/logout")).status_code == 204
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": stolen_cookie}) as http:
        assert (await http.get("/api/v1/me")).status_code == 401
    sock = await Socket.open(f"{server.ws_url}/ws/console", {"Cookie": stolen_cookie, "Origin": server.url})
    assert (await sock.next())["code"] == "not_authenticated"
    assert await sock.closed_with() == 4001


async def test_console_socket_refuses_other_origins(server: Server, agent: Agent) -> None:
    sock = await Socket.open(f"{server.ws_url}/ws/console", {"Cookie": agent.cookie_header(), "Origin": "https://evil.example"})
    assert await sock.closed_with() == 4003


async def test_another_accounts_conversations_are_not_found(server: Server, agent: Agent, visitor: Visitor) -> None:
    conversation_id = await open_conversation(visitor)
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.admin, other.password)
    for response in (
        await stranger.get(f"/api/v1/conversations/{conversation_id}"),
        await stranger.reply(conversation_id, "hijack"),
        await stranger.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": stranger.id}),
        await stranger.post(f"/api/v1/conversations/{conversation_id}/resolve"),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (await stranger.get("/api/v1/conversations", view="all")).json()["conversations"] == []
    contact_id = (await agent.conversation(conversation_id))["conversation"]["contact"]["id"]
    assert (await stranger.get(f"/api/v1/contacts/{contact_id}")).status_code == 404
    assert [m["body"] for m in (await agent.conversation(conversation_id))["messages"]] == ["help"]
    # the stranger's live stream carries nothing of ours
    sock = await stranger.socket()
    await open_conversation(visitor, "more")
    assert [f for f in await sock.drain(0.5) if f["type"] == "event"] == []
    await stranger.close()


async def test_views_and_counts_follow_assignment(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    conversation_id = await open_conversation(visitor)
    counts = (await agent.get("/api/v1/conversations/counts")).json()
    assert counts == {"unassigned": 1, "mine": 0, "all": 1, "unread": {"unassigned": 1, "mine": 0, "all": 1}}
    assigned = await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})
    assert assigned.json()["conversation"]["assignee"] == {"id": agent.id, "name": agent.me["name"]}
    mine = (await agent.get("/api/v1/conversations", view="mine")).json()["conversations"]
    assert [c["id"] for c in mine] == [conversation_id]
    assert (await agent.get("/api/v1/conversations", view="unassigned")).json()["conversations"] == []
    read = await agent.post(f"/api/v1/conversations/{conversation_id}/read", {"seq": 1})
    assert read.json()["conversation"]["unread_count"] == 0
    counts = (await agent.get("/api/v1/conversations/counts")).json()
    assert counts == {"unassigned": 0, "mine": 1, "all": 1, "unread": {"unassigned": 0, "mine": 0, "all": 0}}

    colleague = await Agent.login(server.url, tenant.agents[1], tenant.password)
    taken = await colleague.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": colleague.id})
    assert taken.status_code == 403 and taken.json()["error"]["code"] == "forbidden"
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    moved = await supervisor.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": colleague.id})
    assert moved.status_code == 200 and moved.json()["conversation"]["assignee"]["id"] == colleague.id
    missing = await supervisor.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": 999_999})
    assert missing.status_code == 404
    await colleague.close()
    await supervisor.close()


async def test_resolve_and_reopen_reach_console_and_widget(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "thanks, bye")
    conversation_id = ack["conversation_id"]
    console = await agent.socket()
    resolved = await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
    assert resolved.json()["conversation"]["status"] == "resolved"
    assert resolved.json()["conversation"]["resolved_at"] is not None
    event = await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "conversation.updated")
    assert event["data"]["changed"] == ["status"] and event["data"]["conversation"]["status"] == "resolved"
    frame = await widget.wait_for(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    assert frame["conversation"]["id"] == conversation_id
    assert set(frame["conversation"]) == {"id", "number", "status", "type", "last_seq", "csat_rating"}
    reopened = await agent.post(f"/api/v1/conversations/{conversation_id}/reopen")
    assert reopened.json()["conversation"]["status"] == "open"
    assert reopened.json()["conversation"]["resolved_at"] is None
    assert (await agent.get("/api/v1/conversations", status="resolved")).json()["conversations"] == []


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"client_id": "valid-client", "body": ""}, "empty_message", "body"),
        ({"client_id": "valid-client", "body": "x" * 5001}, "message_too_long", "body"),
        ({"client_id": "bad id!", "body": "x"}, "invalid_field", "client_id"),
        ({"client_id": "valid-client", "body": "x", "kind": "shout"}, "invalid_field", "kind"),
        ({"body": "x"}, "invalid_field", "client_id"),
    ],
)
async def test_bad_replies_are_refused_and_store_nothing(agent: Agent, visitor: Visitor, body: dict, code: str, field: str) -> None:
    conversation_id = await open_conversation(visitor)
    response = await agent.post(f"/api/v1/conversations/{conversation_id}/messages", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code and response.json()["error"]["field"] == field
    assert len((await agent.conversation(conversation_id))["messages"]) == 1


async def test_console_socket_reports_bad_frames(agent: Agent, visitor: Visitor) -> None:
    conversation_id = await open_conversation(visitor)
    console = await agent.socket()
    await console.send("nonsense")
    assert (await console.wait_for(lambda f: f["type"] == "error"))["code"] == "malformed_request"
    await console.send({"type": "message.send", "client_id": "valid-client-1", "conversation_id": "1", "body": "x"})
    assert (await console.wait_for(lambda f: f["type"] == "error"))["field"] == "conversation_id"
    await console.send({"type": "message.send", "client_id": "valid-client-2", "conversation_id": 999999, "body": "x"})
    error = await console.wait_for(lambda f: f["type"] == "error")
    assert error["code"] == "not_found" and error["client_id"] == "valid-client-2"
    await console.send({"type": "message.send", "client_id": "valid-client-3", "conversation_id": conversation_id, "body": ""})
    assert (await console.wait_for(lambda f: f["type"] == "error"))["code"] == "empty_message"
    assert len((await agent.conversation(conversation_id))["messages"]) == 1


async def test_admin_adds_and_deactivates_agents(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    created = await admin.post("/api/v1/agents", {"name": "Новый Оператор", "email": "new-op@example.com", "password": "long-enough-pw", "role": "agent"})
    assert created.status_code == 201, created.text
    new_id = created.json()["agent"]["id"]
    duplicate = await admin.post("/api/v1/agents", {"name": "Again", "email": "NEW-OP@example.com", "password": "long-enough-pw"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "email"
    short = await admin.post("/api/v1/agents", {"name": "Short", "email": "short@example.com", "password": "123"})
    assert short.status_code == 422 and short.json()["error"]["field"] == "password"
    bad_email = await admin.post("/api/v1/agents", {"name": "Bad", "email": "nope", "password": "long-enough-pw"})
    assert bad_email.status_code == 422 and bad_email.json()["error"]["field"] == "email"
    not_admin = await agent.post("/api/v1/agents", {"name": "X", "email": "x@example.com", "password": "long-enough-pw"})
    assert not_admin.status_code == 403

    newcomer = await Agent.login(server.url, "new-op@example.com", "long-enough-pw")
    deactivated = await admin.post(f"/api/v1/agents/{new_id}/deactivate")
    assert deactivated.json()["agent"]["is_active"] is False
    assert (await newcomer.get("/api/v1/me")).status_code == 401  # sessions end at once
    async with httpx.AsyncClient(base_url=server.url) as http:
        again = await http.post("/api/v1/auth/login", json={"email": "new-op@example.com", "password": "long-enough-pw"})
        assert again.status_code == 401
    self_off = await admin.post(f"/api/v1/agents/{admin.id}/deactivate")
    assert self_off.status_code == 422
    assert (await admin.post(f"/api/v1/agents/{new_id}/activate")).json()["agent"]["is_active"] is True
    emails = [a["email"] for a in (await admin.get("/api/v1/agents")).json()["agents"]]
    assert emails == [tenant.admin, tenant.supervisor, *tenant.agents, "new-op@example.com"]
    await newcomer.close()


async def test_healthz(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_deactivation_and_logout_close_open_console_sockets(server: Server, tenant: Tenant, admin: Agent) -> None:
    deactivated = await Agent.login(server.url, tenant.agents[1], tenant.password)
    leaving = await Agent.login(server.url, tenant.agents[0], tenant.password)
    other_tab = await Agent.login(server.url, tenant.agents[0], tenant.password)  # another session
    sockets = [await deactivated.socket(), await leaving.socket(), await other_tab.socket()]

    assert (await leaving.post("/api/v1/auth/logout")).status_code == 204
    assert await sockets[1].closed_with() == 4001
    assert (await admin.post(f"/api/v1/agents/{deactivated.id}/deactivate")).status_code == 200
    assert await sockets[0].closed_with() == 4001
    # the other session of the agent who logged out is untouched
    await sockets[2].send({"type": "ping"})
    assert (await sockets[2].wait_for(lambda f: f["type"] == "pong"))["type"] == "pong"
    for client in (deactivated, leaving, other_tab):
        await client.close()


async def test_a_client_ahead_of_the_log_is_told_to_resync(agent: Agent) -> None:
    sock = await agent.socket(last_event_id=10**12)
    assert (await sock.next())["type"] == "resync"


async def test_console_page_is_served_with_a_strict_content_security_policy(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/console/inbox")
        widget = await http.get("/widget.js")
    assert page.status_code == 200 and "<div id=\"app\">" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["access-control-allow-origin"] == "*"  # embeddable on any site


async def test_typing_over_http_reaches_the_widget(server: Server, agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "anyone?")
    response = await agent.post(f"/api/v1/conversations/{ack['conversation_id']}/typing", {"active": True})
    assert response.status_code == 204
    typing = await widget.wait_for(lambda f: f["type"] == "typing")
    assert typing["active"] is True and typing["author"] == {"type": "agent", "name": agent.me["name"]}
    bad = await agent.post(f"/api/v1/conversations/{ack['conversation_id']}/typing", {"active": "yes"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "active"
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    assert (await stranger.post(f"/api/v1/conversations/{ack['conversation_id']}/typing", {"active": True})).status_code == 404
    await stranger.close()
