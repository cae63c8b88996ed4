"""A server that stops mid-chat (gracefully or killed) loses and duplicates nothing."""

from __future__ import annotations

import pytest

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import make_tenant
from tests.support.server import Server


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
async def test_restart_mid_chat_delivers_everything_once(private_server: Server, kill: bool) -> None:
    tenant = await make_tenant(private_server.database_url)
    agent = await Agent.login(private_server.url, tenant.agents[0], tenant.password)
    visitor = Visitor(private_server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    console = await agent.socket()
    ack = await send_and_ack(widget, "before the restart")
    conversation_id = ack["conversation_id"]
    await console.wait_for(lambda f: f.get("event") == "message.created")
    last_event_id = max(f["id"] for f in console.frames if f["type"] == "event")

    # Both sides send a frame and the server goes down before (or while) answering: the
    # client does not know whether it was stored, so it keeps it in its outbox.
    pending_visitor = new_client_id()
    pending_agent = new_client_id()
    await widget.send({"type": "message.send", "client_id": pending_visitor, "body": "in flight (visitor)"})
    await console.send({"type": "message.send", "client_id": pending_agent, "conversation_id": conversation_id, "body": "in flight (agent)"})
    private_server.stop(kill=kill)
    assert await widget.closed_with() in (1001, 1006, 1012, None)
    private_server.start()

    # Written while the server was down; sent after reconnecting, after the in-flight ones.
    widget = await visitor.socket(cursors={conversation_id: 1})
    console = await agent.socket(last_event_id=last_event_id)
    for client_id, body in ((pending_visitor, "in flight (visitor)"), (new_client_id(), "while down (visitor)")):
        assert (await send_and_ack(widget, body, client_id))["type"] == "ack"
    for client_id, body in ((pending_agent, "in flight (agent)"), (new_client_id(), "while down (agent)")):
        await console.send({"type": "message.send", "client_id": client_id, "conversation_id": conversation_id, "body": body})
        assert (await console.wait_for(lambda f, c=client_id: f.get("client_id") == c))["type"] == "ack"

    stored = [(m["author"]["type"], m["body"]) for m in (await agent.conversation(conversation_id))["messages"]]
    assert sorted(stored) == sorted(
        [
            ("contact", "before the restart"),
            ("contact", "in flight (visitor)"),
            ("agent", "in flight (agent)"),
            ("contact", "while down (visitor)"),
            ("agent", "while down (agent)"),
        ]
    )
    seqs = [m["seq"] for m in (await agent.conversation(conversation_id))["messages"]]
    assert seqs == list(range(1, 6))

    # Each side received every message of the other exactly once.
    await widget.drain()
    got_by_widget = [f["message"]["body"] for f in widget.frames if f["type"] == "message" and f["message"]["author"]["type"] == "agent"]
    assert sorted(got_by_widget) == ["in flight (agent)", "while down (agent)"]
    await console.drain()
    events = [f for f in console.frames if f["type"] == "event" and f["event"] == "message.created"]
    bodies = [e["data"]["message"]["body"] for e in events]
    assert sorted(bodies) == sorted(["in flight (visitor)", "in flight (agent)", "while down (visitor)", "while down (agent)"])
    assert len({e["id"] for e in events}) == len(events)
    await agent.close()
    await visitor.close()


async def test_sessions_and_tokens_survive_a_restart(private_server: Server) -> None:
    tenant = await make_tenant(private_server.database_url)
    agent = await Agent.login(private_server.url, tenant.agents[0], tenant.password)
    visitor = Visitor(private_server.url, tenant.site_key)
    first = await visitor.start()
    private_server.restart()
    assert (await agent.get("/api/v1/me")).status_code == 200
    again = await visitor.start()
    assert again["visitor_id"] == first["visitor_id"]
    await agent.close()
    await visitor.close()
