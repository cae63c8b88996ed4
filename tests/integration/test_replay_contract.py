"""Applying the events a console missed to its old state gives what a fresh load gives."""

from __future__ import annotations

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server


def apply(state: dict[int, dict], events: list[dict]) -> dict[int, dict]:
    """The console's reducer, reduced to conversations: every event carries the snapshot."""
    state = dict(state)
    for event in events:
        conversation = event["data"].get("conversation")
        if conversation is None:
            continue
        known = state.get(conversation["id"])
        if known is None or known["updated_at"] <= conversation["updated_at"]:
            state[conversation["id"]] = conversation
    return state


async def load(agent: Agent) -> dict[int, dict]:
    listed = (await agent.get("/api/v1/conversations", view="all", status="all", limit=200)).json()["conversations"]
    return {c["id"]: c for c in listed}


async def test_missed_events_replayed_onto_old_state_equal_a_fresh_load(
    server: Server, tenant: Tenant, agent: Agent, visitor: Visitor
) -> None:
    widget = await visitor.socket()
    first = await send_and_ack(widget, "before")
    old_state = await load(agent)
    head = (await agent.get("/api/v1/events", after=0)).json()["last_event_id"]

    # the console is away while a lot happens
    other = Visitor(server.url, tenant.site_key)
    await other.start()
    other_widget = await other.socket()
    second = await send_and_ack(other_widget, "a new customer")
    await send_and_ack(widget, "and me again")
    await agent.post(f"/api/v1/conversations/{first['conversation_id']}/assign", {"agent_id": agent.id})
    await agent.reply(first["conversation_id"], "answer")
    await agent.reply(first["conversation_id"], "a note", kind="note")
    await agent.post(f"/api/v1/conversations/{second['conversation_id']}/read", {"seq": 1})
    await agent.post(f"/api/v1/conversations/{first['conversation_id']}/resolve")
    await send_and_ack(other_widget, "still there?")

    console = await agent.socket(last_event_id=head)
    await console.drain()
    missed = [f for f in console.frames if f["type"] == "event"]
    assert missed and all(e["id"] > head for e in missed)
    assert apply(old_state, missed) == await load(agent)
    await other.close()
