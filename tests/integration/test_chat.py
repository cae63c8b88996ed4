"""The visitor ↔ agent exchange over the real protocol, on every database backend."""

from __future__ import annotations

import asyncio

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server


def is_event(name: str):
    return lambda f: f["type"] == "event" and f["event"] == name


async def test_visitor_message_reaches_agent_live_and_reply_reaches_visitor(agent: Agent, visitor: Visitor) -> None:
    console = await agent.socket()
    widget = await visitor.socket(page={"url": "https://shop.example/phones", "title": "Смартфоны"})

    ack = await send_and_ack(widget, "Здравствуйте, есть ли доставка?")
    assert ack["type"] == "ack" and ack["duplicate"] is False
    message = ack["message"]
    assert message["seq"] == 1 and message["author"]["type"] == "contact"
    conversation_id = ack["conversation_id"]

    created = await console.wait_for(is_event("conversation.created"))
    assert created["data"]["conversation"]["id"] == conversation_id
    assert created["data"]["conversation"]["assignee"] is None
    arrived = await console.wait_for(is_event("message.created"))
    assert arrived["data"]["message"]["body"] == "Здравствуйте, есть ли доставка?"
    assert arrived["data"]["conversation"]["unread_count"] == 1

    response = await agent.reply(conversation_id, "Да, завтра.")
    assert response.status_code == 201
    reply = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["author"]["type"] == "agent")
    assert reply["message"]["body"] == "Да, завтра." and reply["message"]["seq"] == 2
    assert reply["message"]["client_id"] is None  # the agent's idempotency key stays private

    detail = await agent.conversation(conversation_id)
    assert [m["seq"] for m in detail["messages"]] == [1, 2]
    assert detail["conversation"]["unread_count"] == 0  # answering reads
    assert detail["conversation"]["first_response_at"] is not None
    assert detail["visitor"]["current_page"] == {"url": "https://shop.example/phones", "title": "Смартфоны"}
    assert detail["visitor"]["referrer"] == "https://yandex.ru/search/?text=phone"
    await console.close()
    await widget.close()


async def test_typing_is_relayed_both_ways(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "hello")
    console = await agent.socket()
    await widget.send({"type": "typing", "active": True})
    typing = await console.wait_for(lambda f: f["type"] == "typing")
    assert typing["conversation_id"] == ack["conversation_id"]
    assert typing["author"]["type"] == "contact" and typing["active"] is True

    await console.send({"type": "typing", "conversation_id": ack["conversation_id"], "active": True})
    seen = await widget.wait_for(lambda f: f["type"] == "typing")
    assert seen["author"] == {"type": "agent", "name": agent.me["name"]} and seen["active"] is True


async def test_resent_client_id_is_stored_once_on_both_sides(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    client_id = new_client_id()
    first = await send_and_ack(widget, "once", client_id)
    again = await send_and_ack(widget, "once", client_id)
    assert again["duplicate"] is True and again["message"]["id"] == first["message"]["id"]
    # ... also over a new connection, as after a reconnect
    await widget.close()
    widget = await visitor.socket()
    third = await send_and_ack(widget, "once", client_id)
    assert third["duplicate"] is True and third["message"]["id"] == first["message"]["id"]

    conversation_id = first["conversation_id"]
    client_id = new_client_id()
    r1 = await agent.reply(conversation_id, "answer", client_id=client_id)
    r2 = await agent.reply(conversation_id, "answer", client_id=client_id)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r2.json()["duplicate"] is True and r2.json()["message"]["id"] == r1.json()["message"]["id"]
    console = await agent.socket()
    await console.send({"type": "message.send", "client_id": client_id, "conversation_id": conversation_id, "body": "answer"})
    ack = await console.wait_for(lambda f: f["type"] == "ack")
    assert ack["duplicate"] is True

    detail = await agent.conversation(conversation_id)
    assert [(m["seq"], m["body"]) for m in detail["messages"]] == [(1, "once"), (2, "answer")]


async def test_widget_resume_sends_exactly_what_was_missed(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "first")
    conversation_id = ack["conversation_id"]
    await widget.close()
    for text in ("a1", "a2", "a3"):
        assert (await agent.reply(conversation_id, text)).status_code == 201
    assert (await agent.reply(conversation_id, "internal", kind="note")).status_code == 201

    widget = await visitor.socket(cursors={conversation_id: 1})
    got = await widget.drain()
    messages = [f["message"] for f in got if f["type"] == "message"]
    assert [(m["seq"], m["body"]) for m in messages] == [(2, "a1"), (3, "a2"), (4, "a3")]

    # a fresh page (no cursors) gets the whole history, notes never
    fresh = await visitor.socket()
    history = [f["message"]["body"] for f in await fresh.drain() if f["type"] == "message"]
    assert history == ["first", "a1", "a2", "a3"]
    welcome = fresh.frames[0]
    assert welcome["conversations"] == [{"id": conversation_id, "number": welcome["conversations"][0]["number"], "status": "open", "type": "chat", "last_seq": 5, "csat_rating": None}]


async def test_internal_notes_never_reach_the_widget(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "hi")
    await widget.drain()
    note = await agent.reply(ack["conversation_id"], "this customer is rude", kind="note")
    assert note.status_code == 201 and note.json()["message"]["kind"] == "note"
    await agent.reply(ack["conversation_id"], "public answer")
    frames = await widget.drain(0.5)
    bodies = [f["message"]["body"] for f in frames if f["type"] == "message"]
    assert bodies == ["public answer"]
    assert "rude" not in str(frames)


async def test_console_resume_replays_missed_events_in_order(agent: Agent, visitor: Visitor) -> None:
    console = await agent.socket()
    head = console.frames[0]["last_event_id"]
    await console.close()
    widget = await visitor.socket()
    for i in range(3):
        await send_and_ack(widget, f"m{i}")
    console = await agent.socket(last_event_id=head)
    events = [f for f in await console.drain() if f["type"] == "event"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > head
    bodies = [e["data"]["message"]["body"] for e in events if e["event"] == "message.created"]
    assert bodies == ["m0", "m1", "m2"]

    # the same replay over the long-poll fallback
    polled = (await agent.get("/api/v1/events", after=head)).json()
    assert [e["id"] for e in polled["events"]] == ids
    assert polled["last_event_id"] == ids[-1]


async def test_long_poll_waits_for_news(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()  # connecting is an event too (visitor online): before head
    head = (await agent.get("/api/v1/events", after=0)).json()["last_event_id"]

    async def later() -> None:
        await asyncio.sleep(0.5)
        await send_and_ack(widget, "wake up")

    task = asyncio.create_task(later())
    response = await agent.get("/api/v1/events", after=head, wait=10)
    await task
    events = response.json()["events"]
    assert any(e["event"] == "message.created" for e in events)


async def test_returning_visitor_sees_history_and_agent_sees_earlier_conversations(
    server: Server, tenant: Tenant, agent: Agent, visitor: Visitor
) -> None:
    widget = await visitor.socket()
    first = await send_and_ack(widget, "yesterday's question")
    resolved = await agent.post(f"/api/v1/conversations/{first['conversation_id']}/resolve")
    assert resolved.json()["conversation"]["status"] == "resolved"
    await widget.close()

    again = Visitor(server.url, tenant.site_key)
    again.token = visitor.token  # the same browser (localStorage), next day
    session = await again.start({"url": "https://shop.example/", "title": "Shop"})
    assert session["visitor_id"] == visitor.session["visitor_id"] and session["has_conversations"] is True
    widget = await again.socket()
    history = [f["message"]["body"] for f in await widget.drain() if f["type"] == "message"]
    assert history == ["yesterday's question"]
    reply = await send_and_ack(widget, "one more thing")
    assert reply["conversation_id"] == first["conversation_id"]  # the customer's reply reopens it
    reopened = await agent.conversation(first["conversation_id"])
    assert reopened["conversation"]["status"] == "open"
    closed = await agent.post(f"/api/v1/conversations/{first['conversation_id']}/status", {"status": "closed"})
    assert closed.json()["conversation"]["status"] == "closed"
    second = await send_and_ack(widget, "today's question")
    assert second["conversation_id"] != first["conversation_id"]  # a closed one stays closed

    detail = await agent.conversation(second["conversation_id"])
    contact = (await agent.get(f"/api/v1/contacts/{detail['conversation']['contact']['id']}")).json()
    assert [c["id"] for c in contact["conversations"]] == [second["conversation_id"], first["conversation_id"]]
    assert contact["contact"]["identities"] == [{"kind": "web", "value": visitor.session["visitor_id"], "blocked": False}]
    await again.close()


async def test_prechat_form_fills_the_contact(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    await widget.send({"type": "contact.update", "client_id": new_client_id(), "name": "Анна", "email": "Anna@Example.COM", "phone": "+7 900 123-45-67"})
    assert (await widget.wait_for(lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
    ack = await send_and_ack(widget, "hi")
    detail = await agent.conversation(ack["conversation_id"])
    assert detail["conversation"]["contact"] == {
        "id": detail["conversation"]["contact"]["id"], "name": "Анна", "email": "Anna@example.com", "phone": "+7 900 123-45-67",
    }


async def test_two_tabs_of_one_visitor_share_one_conversation(visitor: Visitor) -> None:
    tab1, tab2 = await visitor.socket(), await visitor.socket()
    acks = await asyncio.gather(*(send_and_ack(tab, f"tab{i}") for i, tab in enumerate((tab1, tab2))))
    assert acks[0]["conversation_id"] == acks[1]["conversation_id"]
    # each tab sees the other's message (perhaps before its own ack: look at every frame)
    for tab, other in ((tab1, "tab1"), (tab2, "tab0")):
        await tab.drain()
        seen = [f["message"] for f in tab.frames if f["type"] == "message" and f["message"]["body"] == other]
        assert len(seen) == 1 and seen[0]["seq"] in (1, 2)


async def test_many_messages_keep_gapless_seq(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    acks = [await send_and_ack(widget, f"n{i}") for i in range(8)]
    conversation_id = acks[0]["conversation_id"]
    replies = await asyncio.gather(*(agent.reply(conversation_id, f"r{i}") for i in range(8)))
    assert all(r.status_code == 201 for r in replies)
    detail = await agent.conversation(conversation_id)
    assert [m["seq"] for m in detail["messages"]] == list(range(1, 17))


async def test_ping_is_answered_with_pong(visitor: Visitor) -> None:
    widget = await visitor.socket()
    await widget.send({"type": "ping"})
    assert (await widget.next())["type"] == "pong"


async def test_long_poll_without_a_cursor_tells_where_to_start(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    await send_and_ack(widget, "hello")
    head = (await agent.get("/api/v1/events")).json()
    assert head["events"] == [] and head["last_event_id"] > 0
    assert (await agent.get("/api/v1/events", after=head["last_event_id"])).json()["events"] == []
