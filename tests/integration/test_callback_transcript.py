"""The widget's "call me back" and "e-mail me the conversation" frames (docs/protocol.md, the
widget socket table: `callback.request`, `transcript.request`). Transcripts go through the
account's SMTP settings to a real SMTP server (tests/support/smtp.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.clients import Agent, Socket, Visitor, new_client_id, send_and_ack, send_and_answer
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.smtp import Received, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


async def use_smtp(admin: Agent, smtp: SmtpServer) -> None:
    response = await admin.put("/api/v1/account/smtp", smtp.settings())
    assert response.status_code == 200, response.text


async def all_conversations(agent: Agent) -> list[dict[str, Any]]:
    response = await agent.get("/api/v1/conversations", view="all", status="all")
    assert response.status_code == 200, response.text
    return response.json()["conversations"]


async def quiet(smtp: SmtpServer, seconds: float = 0.8) -> list[Received]:
    """What the SMTP server got after `seconds` more, to check that nothing else arrives.
    Transcripts are jobs due at once, and the runner is woken when they are committed."""
    await asyncio.sleep(seconds)
    return list(smtp.received)


# -- call me back ------------------------------------------------------------------------------


async def test_a_callback_request_opens_a_callback_conversation(agent: Agent, visitor: Visitor) -> None:
    console = await agent.socket()
    widget = await visitor.socket()
    client_id = new_client_id()
    ack = await send_and_answer(widget, {
        "type": "callback.request", "client_id": client_id, "phone": "+7 (900) 123-45-67", "name": "  Иван  ",
        "time": "после  18:00",
    })
    assert ack["type"] == "ack", ack
    assert ack["client_id"] == client_id and isinstance(ack["conversation_id"], int)

    detail = await agent.conversation(ack["conversation_id"])
    conversation = detail["conversation"]
    assert conversation["type"] == "callback" and conversation["status"] == "open"
    assert conversation["contact"]["phone"] == "+7 (900) 123-45-67"
    assert conversation["contact"]["name"] == "Иван"
    [first] = detail["messages"]
    assert first["body"] == "☎ +7 (900) 123-45-67 · после 18:00"
    assert first["author"]["type"] == "contact" and first["kind"] == "text" and first["seq"] == 1

    created = await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "conversation.created")
    assert created["data"]["conversation"]["id"] == ack["conversation_id"]
    assert created["data"]["conversation"]["type"] == "callback"
    # the widget learns of the new conversation and its message, as of any other
    await widget.drain()
    [announced] = [f["conversation"] for f in widget.frames if f["type"] == "conversation"]
    assert announced["id"] == ack["conversation_id"] and announced["type"] == "callback"
    assert [f["message"]["body"] for f in widget.frames if f["type"] == "message"] == [first["body"]]

    # a resend (the outbox after a reconnect) answers the same and stores nothing new
    widget2 = await visitor.socket()
    again = await send_and_answer(widget2, {
        "type": "callback.request", "client_id": client_id, "phone": "+7 (900) 123-45-67", "time": "после 18:00",
    })
    assert again == {"type": "ack", "client_id": client_id, "conversation_id": ack["conversation_id"]}
    assert [c["id"] for c in await all_conversations(agent)] == [ack["conversation_id"]]
    assert len((await agent.conversation(ack["conversation_id"]))["messages"]) == 1
    for sock in (console, widget, widget2):
        await sock.close()


async def test_a_callback_request_without_a_time_says_only_the_number(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_answer(widget, {"type": "callback.request", "phone": "8 800 555-35-35"})
    assert ack["type"] == "ack", ack
    detail = await agent.conversation(ack["conversation_id"])
    assert [m["body"] for m in detail["messages"]] == ["☎ 8 800 555-35-35"]
    assert detail["conversation"]["contact"]["name"] is None
    await widget.close()


async def test_a_callback_keeps_the_name_the_visitor_already_gave(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    assert (await send_and_answer(widget, {"type": "contact.update", "name": "Анна"}))["type"] == "ack"
    ack = await send_and_answer(widget, {"type": "callback.request", "phone": "+7 900 000-00-01", "name": "Someone else"})
    contact = (await agent.conversation(ack["conversation_id"]))["conversation"]["contact"]
    assert contact["name"] == "Анна" and contact["phone"] == "+7 900 000-00-01"
    await widget.close()


async def test_bad_callback_requests_are_refused_and_store_nothing(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    for frame, field in (
        ({"type": "callback.request"}, "phone"),
        ({"type": "callback.request", "phone": ""}, "phone"),
        ({"type": "callback.request", "phone": "call me maybe"}, "phone"),
        ({"type": "callback.request", "phone": "123"}, "phone"),
        ({"type": "callback.request", "phone": "+7 900 123 45 67 89 01 23 45"}, "phone"),
        ({"type": "callback.request", "phone": 79001234567}, "phone"),
        ({"type": "callback.request", "phone": "+7 900 123-45-67", "time": "x" * 101}, "time"),
        ({"type": "callback.request", "phone": "+7 900 123-45-67", "time": 18}, "time"),
        ({"type": "callback.request", "phone": "+7 900 123-45-67", "client_id": "short"}, "client_id"),
    ):
        error = await send_and_answer(widget, frame)
        assert error["type"] == "error", (frame, error)
        assert error["code"] == "invalid_field" and error["field"] == field, (frame, error)
    assert await all_conversations(agent) == []
    # the contact got no phone from the refused frames
    ack = await send_and_ack(widget, "hello")
    assert (await agent.conversation(ack["conversation_id"]))["conversation"]["contact"]["phone"] is None
    await widget.close()


# -- transcripts ---------------------------------------------------------------------------------


async def chat_with_a_note(widget: Socket, agent: Agent) -> tuple[int, int]:
    """A conversation of two customer messages, an answer and an internal note; (id, number)."""
    ack = await send_and_ack(widget, "Здравствуйте, где мой заказ 1042?")
    conversation_id = ack["conversation_id"]
    assert (await agent.reply(conversation_id, "Ваш заказ в пути, будет завтра.")).status_code == 201
    assert (await agent.reply(conversation_id, "СЕКРЕТ: клиент VIP, дать скидку", kind="note")).status_code == 201
    await send_and_ack(widget, "Спасибо!")
    number = (await agent.conversation(conversation_id))["conversation"]["number"]
    return conversation_id, number


async def test_a_transcript_is_emailed_without_internal_notes(
    server: Server, admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer
) -> None:
    await use_smtp(admin, smtp)
    widget = await visitor.socket()
    conversation_id, number = await chat_with_a_note(widget, agent)

    client_id = new_client_id()
    ack = await send_and_answer(widget, {
        "type": "transcript.request", "client_id": client_id, "conversation_id": conversation_id,
        "email": "Anna@Example.COM",
    })
    assert ack == {"type": "ack", "client_id": client_id}
    [mail] = await smtp.wait_for(1)
    assert mail.rcpt_tos == ["Anna@example.com"]
    assert mail.message["To"] == "Anna@example.com"
    assert f"#{number}" in mail.message["Subject"]
    text = mail.message.get_content()
    positions = [text.index(body) for body in ("Здравствуйте, где мой заказ 1042?", "Ваш заказ в пути, будет завтра.", "Спасибо!")]
    assert positions == sorted(positions)
    assert "СЕКРЕТ" not in text and "VIP" not in text
    assert agent.me["name"] in text  # who answered

    # a resend of the same request (the widget's outbox) is acknowledged and sends nothing more
    again = await send_and_answer(widget, {
        "type": "transcript.request", "client_id": client_id, "conversation_id": conversation_id,
        "email": "Anna@Example.COM",
    })
    assert again == {"type": "ack", "client_id": client_id}
    assert len(await quiet(smtp)) == 1
    await widget.close()


async def test_a_transcript_goes_to_the_contacts_address_when_none_is_given(
    admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer
) -> None:
    await use_smtp(admin, smtp)
    widget = await visitor.socket()
    assert (await send_and_answer(widget, {"type": "contact.update", "email": "known@example.com"}))["type"] == "ack"
    conversation_id, _ = await chat_with_a_note(widget, agent)
    ack = await send_and_answer(widget, {"type": "transcript.request", "conversation_id": conversation_id})
    assert ack["type"] == "ack", ack
    [mail] = await smtp.wait_for(1)
    assert mail.rcpt_tos == ["known@example.com"]
    await widget.close()


async def test_bad_transcript_requests_are_refused_and_send_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer
) -> None:
    await use_smtp(admin, smtp)
    widget = await visitor.socket()
    conversation_id, _ = await chat_with_a_note(widget, agent)
    neighbour = Visitor(server.url, tenant.site_key)
    await neighbour.start()
    neighbour_widget = await neighbour.socket()
    theirs = (await send_and_ack(neighbour_widget, "my own question"))["conversation_id"]

    for frame, code, field in (
        ({"conversation_id": conversation_id}, "invalid_field", "email"),  # the contact has no address
        ({"conversation_id": conversation_id, "email": ""}, "invalid_field", "email"),
        ({"conversation_id": conversation_id, "email": "not-an-address"}, "invalid_field", "email"),
        ({"conversation_id": conversation_id, "email": 42}, "invalid_field", "email"),
        ({"conversation_id": str(conversation_id), "email": "a@example.com"}, "invalid_field", "conversation_id"),
        ({"email": "a@example.com"}, "invalid_field", "conversation_id"),
        ({"conversation_id": theirs, "email": "a@example.com"}, "not_found", None),
        ({"conversation_id": 999_999_999, "email": "a@example.com"}, "not_found", None),
    ):
        error = await send_and_answer(widget, {"type": "transcript.request", **frame})
        assert error["type"] == "error", (frame, error)
        assert error["code"] == code and error.get("field") == field, (frame, error)

    # none of them sent anything, nor used up the visitor's transcripts: five still go out
    for _ in range(5):
        ack = await send_and_answer(widget, {"type": "transcript.request", "conversation_id": conversation_id, "email": "a@example.com"})
        assert ack["type"] == "ack", ack
    received = await smtp.wait_for(5)
    assert len(await quiet(smtp)) == 5
    assert all(mail.rcpt_tos == ["a@example.com"] for mail in received)
    assert "my own question" not in str([mail.message.get_content() for mail in received])
    await neighbour_widget.close()
    await neighbour.close()
    await widget.close()


async def test_more_than_five_transcripts_are_rate_limited(admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer) -> None:
    await use_smtp(admin, smtp)
    widget = await visitor.socket()
    conversation_id, _ = await chat_with_a_note(widget, agent)
    for i in range(5):
        ack = await send_and_answer(widget, {"type": "transcript.request", "conversation_id": conversation_id, "email": f"t{i}@example.com"})
        assert ack["type"] == "ack", ack
    refused = await send_and_answer(widget, {"type": "transcript.request", "conversation_id": conversation_id, "email": "t5@example.com"})
    assert refused["type"] == "error" and refused["code"] == "rate_limited", refused
    assert refused["retry_after"] >= 1
    await smtp.wait_for(5)
    received = await quiet(smtp)
    assert sorted(mail.rcpt_tos[0] for mail in received) == [f"t{i}@example.com" for i in range(5)]
    # chatting is not limited by it
    assert (await send_and_ack(widget, "one more thing"))["type"] == "ack"
    await widget.close()


async def test_resending_one_transcript_request_does_not_use_up_the_days_allowance(
    admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer
) -> None:
    """"Sending the same client_id again returns the same answer and stores nothing new"
    (docs/protocol.md, Conventions): a widget that resends its outbox after reconnects must get
    the same ack, however often it resends, and the visitor can still ask for another one."""
    await use_smtp(admin, smtp)
    widget = await visitor.socket()
    conversation_id, _ = await chat_with_a_note(widget, agent)
    frame = {"type": "transcript.request", "client_id": new_client_id(), "conversation_id": conversation_id, "email": "a@example.com"}
    for attempt in range(6):
        answer = await send_and_answer(widget, frame)
        assert answer == {"type": "ack", "client_id": frame["client_id"]}, (attempt, answer)
    other = await send_and_answer(widget, {"type": "transcript.request", "conversation_id": conversation_id, "email": "b@example.com"})
    assert other["type"] == "ack", other
    await smtp.wait_for(2)
    assert sorted(mail.rcpt_tos[0] for mail in await quiet(smtp)) == ["a@example.com", "b@example.com"]
    await widget.close()


async def test_callback_and_transcript_requests_work_over_the_http_fallback(
    admin: Agent, agent: Agent, visitor: Visitor, smtp: SmtpServer
) -> None:
    await use_smtp(admin, smtp)

    async def frames(*batch: dict[str, Any]) -> list[dict[str, Any]]:
        response = await visitor.http.post("/api/widget/v1/frames", json={"token": visitor.token, "frames": list(batch)})
        assert response.status_code == 200, response.text
        return response.json()["frames"]

    [ack] = await frames({"type": "callback.request", "client_id": "callback-http-1", "phone": "+7 900 111-22-33", "time": "утром"})
    assert ack["type"] == "ack" and ack["client_id"] == "callback-http-1"
    conversation_id = ack["conversation_id"]
    [again] = await frames({"type": "callback.request", "client_id": "callback-http-1", "phone": "+7 900 111-22-33", "time": "утром"})
    assert again == ack
    assert [c["id"] for c in await all_conversations(agent)] == [conversation_id]
    [error] = await frames({"type": "callback.request", "client_id": "callback-http-2", "phone": "nope"})
    assert error["type"] == "error" and error["field"] == "phone" and error["client_id"] == "callback-http-2"

    [ack] = await frames({"type": "transcript.request", "client_id": "transcript-http-1", "conversation_id": conversation_id, "email": "me@example.com"})
    assert ack == {"type": "ack", "client_id": "transcript-http-1"}
    [mail] = await smtp.wait_for(1)
    assert mail.rcpt_tos == ["me@example.com"] and "☎ +7 900 111-22-33 · утром" in mail.message.get_content()
