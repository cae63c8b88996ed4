"""Supervisor tools: the live monitor, whispers that never leave Helpline, taking over."""

from __future__ import annotations

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.smtp import SmtpServer


async def test_the_monitor_lists_waiting_conversations_and_agents(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    try:
        assert (await agent.get("/api/v1/monitor")).status_code == 403
        widget = await visitor.socket()
        conversation_id = (await send_and_ack(widget, "Здравствуйте"))["conversation_id"]
        await send_and_ack(widget, "Есть кто?")
        data = (await supervisor.get("/api/v1/monitor")).json()
        [waiting] = data["conversations"]
        assert waiting["id"] == conversation_id and waiting["waiting_since"] is not None
        first_wait = waiting["waiting_since"]
        assert {a["email"] for a in data["agents"]} >= {tenant.agents[0], tenant.supervisor}
        assert all("load" in a and "status" in a for a in data["agents"])
        # The customer's second message does not reset the wait; an answer ends it.
        await agent.reply(conversation_id, "Добрый день!")
        [answered] = (await supervisor.get("/api/v1/monitor")).json()["conversations"]
        assert answered["waiting_since"] is None
        await send_and_ack(widget, "Хочу вернуть товар")
        [again] = (await supervisor.get("/api/v1/monitor")).json()["conversations"]
        assert again["waiting_since"] is not None and again["waiting_since"] > first_wait
        await widget.close()
    finally:
        await supervisor.close()


async def test_a_whisper_reaches_agents_only_and_never_leaves(server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    try:
        with SmtpServer() as smtp:
            assert (await admin.put("/api/v1/account/smtp", smtp.settings())).status_code == 200
            widget = await visitor.socket()
            await widget.send({"type": "contact.update", "client_id": "contact-0001", "email": "anna@example.com"})
            await widget.wait_for(lambda f: f.get("client_id") == "contact-0001")
            conversation_id = (await send_and_ack(widget, "Сколько стоит доставка?"))["conversation_id"]
            console = await agent.socket()
            # Agents cannot whisper; supervisors can.
            refused = await agent.reply(conversation_id, "psst", kind="whisper")
            assert refused.status_code == 403
            whisper = await supervisor.reply(conversation_id, "Скажи про бесплатную доставку от 3000 ₽", kind="whisper")
            assert whisper.status_code == 201 and whisper.json()["message"]["kind"] == "whisper"
            event = await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "message.created")
            assert event["data"]["message"]["kind"] == "whisper"
            await agent.reply(conversation_id, "Доставка бесплатная от 3000 ₽.")
            await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["author"]["type"] == "agent")
            # Not live, not on replay, not over the HTTP fallback, not in a transcript.
            await widget.drain()
            assert all(f["message"]["kind"] == "text" for f in widget.frames if f["type"] == "message")
            fresh = await visitor.socket()
            bodies = [f["message"]["body"] for f in await fresh.drain() if f["type"] == "message"]
            assert bodies == ["Сколько стоит доставка?", "Доставка бесплатная от 3000 ₽."]
            polled = await visitor.http.post("/api/widget/v1/poll", json={"token": visitor.token, "cursors": {}, "wait": 0})
            assert "бесплатную доставку от 3000" not in polled.text
            await fresh.send({"type": "transcript.request", "client_id": new_client_id(), "conversation_id": conversation_id})
            await fresh.wait_for(lambda f: f["type"] == "ack")
            [mail] = await smtp.wait_for(1)
            text = mail.message.get_body(("plain",)).get_content()
            assert "Доставка бесплатная от 3000 ₽." in text and "бесплатную доставку от 3000" not in text
            await fresh.close()
            await widget.close()
            await console.close()
    finally:
        await supervisor.close()


async def test_a_supervisor_takes_over(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    try:
        widget = await visitor.socket()
        conversation_id = (await send_and_ack(widget, "Жалоба"))["conversation_id"]
        await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})
        taken = await supervisor.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": supervisor.id})
        assert taken.status_code == 200 and taken.json()["conversation"]["assignee"]["id"] == supervisor.id
        reply = await supervisor.reply(conversation_id, "Здравствуйте, я руководитель смены. Разберёмся.")
        assert reply.status_code == 201
        frame = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["author"]["type"] == "agent")
        assert frame["message"]["author"]["name"] == supervisor.me["name"]
        await widget.close()
    finally:
        await supervisor.close()
