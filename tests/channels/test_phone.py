"""Phone: a telephony system posts call events, signed, to the inbox's webhook (the format is
Helpline's own: docs/protocol.md, "Phone webhook"). A missed call becomes an open callback
task of the caller's contact; every event is an internal note of the system in the caller's
conversation; a repeated event stores nothing new; a forged or malformed one stores nothing;
the caller's number links to the contact who has it from another channel, and a ban of the
number applies; answers are not sent through the phone channel."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import httpx

from tests.support.channels import conversations
from tests.support.clients import Agent, Visitor, send_and_answer
from tests.support.seed import Tenant
from tests.support.server import Server

SECRET = "pbx-signing-secret-0123456789"
_calls = itertools.count(1)


async def connect(admin: Agent) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/inboxes", {"channel": "phone", "name": "Офисная АТС", "settings": {"signing_secret": SECRET}}
    )
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == "Telephony webhook ready"
    inbox = response.json()["inbox"]
    assert inbox["settings"]["signing_secret"] == "••••••••"
    return inbox


def event(kind: str, call_id: str, caller: str = "+79991234567", **fields: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "call_id": call_id,
        "from": caller,
        "to": "+74951234567",
        "direction": "in",
        "at": "2026-03-02T09:15:00Z",
        **fields,
    }


async def post(
    url: str, body: dict[str, Any] | bytes, *, secret: str = SECRET, signature: str | None = None
) -> httpx.Response:
    """POST an event as the telephony does: signed with the shared secret (or `signature`)."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    async with httpx.AsyncClient() as client:
        return await client.post(
            url, content=raw, headers={"Content-Type": "application/json", "X-Helpline-Signature": signature}
        )




def call_id() -> str:
    return f"pbx-{time.time_ns()}-{next(_calls)}"


async def test_a_missed_call_becomes_an_open_callback_task_once(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    inbox = await connect(admin)
    missed = event("call.missed", call_id())
    first = await post(inbox["webhook_url"], missed)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    again = await post(inbox["webhook_url"], missed)  # the telephony delivers again: nothing new
    assert again.json() == {"ok": True, "conversation_id": first.json()["conversation_id"], "duplicate": True}

    [summary] = await conversations(agent, inbox["id"])
    assert summary["id"] == first.json()["conversation_id"]
    assert summary["status"] == "open" and summary["type"] == "callback" and summary["assignee"] is None
    assert summary["waiting_since"] == "2026-03-02T09:15:00.000Z"
    assert summary["contact"]["phone"] == "+79991234567" and summary["inbox"]["channel"] == "phone"
    detail = await agent.conversation(summary["id"])
    [note] = detail["messages"]
    assert note["author"] == {"type": "system", "id": None, "name": "Офисная АТС"} and note["kind"] == "note"
    assert note["body"] == "📞 Пропущенный звонок с +79991234567 на +74951234567: перезвоните клиенту"
    assert detail["context"]["phone"] == "+79991234567"
    contact = (await agent.get(f"/api/v1/contacts/{summary['contact']['id']}")).json()["contact"]
    assert [(i["kind"], i["value"]) for i in contact["identities"]] == [("phone", "79991234567")]

    # A text answer cannot go by phone: it fails at once, saying so.
    reply = await agent.reply(summary["id"], "Перезвоним через 5 минут")
    assert reply.status_code == 201, reply.text
    sent = reply.json()["message"]

    async def failed() -> dict[str, Any] | None:
        [found] = [m for m in (await agent.conversation(summary["id"]))["messages"] if m["id"] == sent["id"]]
        return found["delivery"] if found["delivery"]["status"] == "failed" else None

    deadline = time.monotonic() + 15
    while not (delivery := await failed()):
        assert time.monotonic() < deadline, "the answer never failed"
        await asyncio.sleep(0.1)
    assert delivery == {"status": "failed", "error": "Phone conversations are answered by calling back."}


async def test_a_whole_call_is_recorded_in_one_conversation(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    inbox = await connect(admin)
    call = call_id()
    recording = "https://pbx.example/recordings/2026/03/02/call-8812.mp3"
    for payload in (
        event("call.started", call),
        event("call.answered", call, agent_email=tenant.agents[0].upper()),
        event("call.ended", call, duration_seconds=125, recording_url=recording, pbx_extra={"trunk": 2}),
    ):
        response = await post(inbox["webhook_url"], payload)
        assert response.status_code == 200, response.text
    [summary] = await conversations(agent, inbox["id"])
    assert summary["type"] == "chat" and summary["status"] == "open" and summary["waiting_since"] is None
    assert summary["assignee"]["id"] == agent.id  # the agent who answered has it
    found = (await agent.conversation(summary["id"]))["messages"]
    assert [m["body"] for m in found] == [
        "📞 Входящий звонок с +79991234567 на +74951234567",
        "📞 Звонок принят: Agent1",
        f"📞 Звонок завершён, 2 мин 5 с\nЗапись разговора: {recording}",
    ]
    assert {(m["author"]["type"], m["kind"]) for m in found} == {("system", "note")}
    assert all(m["attachments"] == [] and m["delivery"] is None for m in found)

    # Another agent answering the caller's next call does not take it from the first.
    next_call = call_id()
    for payload in (event("call.started", next_call), event("call.answered", next_call, agent_email=tenant.agents[1])):
        assert (await post(inbox["webhook_url"], payload)).status_code == 200
    [summary] = await conversations(agent, inbox["id"])
    assert summary["assignee"]["id"] == agent.id and summary["last_seq"] == 5

    # The caller calls again and nobody answers: the same conversation becomes a callback task.
    later = call_id()
    assert (await post(inbox["webhook_url"], event("call.started", later))).status_code == 200
    assert (await post(inbox["webhook_url"], event("call.missed", later))).status_code == 200
    [summary] = await conversations(agent, inbox["id"])
    assert summary["type"] == "callback" and summary["waiting_since"] is not None
    # The agent calls back and the customer answers: nobody waits any more.
    back = call_id()
    outgoing = {"from": "+74951234567", "to": "+7 999 123-45-67", "direction": "out"}
    for kind in ("call.started", "call.answered"):
        response = await post(inbox["webhook_url"], {**event(kind, back), **outgoing})
        assert response.status_code == 200, response.text
    [summary] = await conversations(agent, inbox["id"])
    assert summary["waiting_since"] is None and summary["last_seq"] == 9


async def test_a_forged_or_malformed_event_is_refused_and_stores_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    inbox = await connect(admin)
    url = inbox["webhook_url"]
    missed = event("call.missed", call_id())
    assert (await post(url, missed, secret="someone-elses-secret-00000")).status_code == 403
    assert (await post(url, missed, signature="")).status_code == 403
    assert (await post(url, missed, signature="sha256=" + "0" * 64)).status_code == 403
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 405
    for body, field in (
        (b"{not json", "body"),
        ({**missed, "event": "call.transferred"}, "event"),
        ({**missed, "call_id": ""}, "call_id"),
        ({**missed, "from": "anonymous"}, "from"),
        ({k: v for k, v in missed.items() if k != "from"}, "from"),
        ({**missed, "recording_url": "javascript:alert(1)"}, "recording_url"),
        ({**missed, "duration_seconds": -5}, "duration_seconds"),
    ):
        response = await post(url, body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, response.text
    assert await conversations(agent, inbox["id"]) == []


async def test_the_callers_number_links_to_their_contact_and_a_ban_applies(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor
) -> None:
    inbox = await connect(admin)
    # The customer left their number in the widget's "call me back" form.
    widget = await visitor.socket()
    try:
        ack = await send_and_answer(
            widget, {"type": "callback.request", "phone": "+7 (916) 555-12-34", "name": "Мария", "time": ""}
        )
    finally:
        await widget.close()
    assert ack["type"] == "ack", ack
    web = (await agent.conversation(ack["conversation_id"]))["conversation"]

    response = await post(inbox["webhook_url"], event("call.missed", call_id(), caller="79165551234"))
    assert response.status_code == 200, response.text
    [summary] = await conversations(agent, inbox["id"])
    assert summary["contact"]["id"] == web["contact"]["id"] and summary["contact"]["name"] == "Мария"
    assert summary["contact"]["phone"] == "+7 (916) 555-12-34"  # kept as the customer typed it

    # A banned number is ignored, however it is written.
    ban = await admin.post("/api/v1/bans", {"kind": "phone", "value": "+7 903 000-00-01", "reason": "спам"})
    assert ban.status_code == 201, ban.text
    ignored = await post(inbox["webhook_url"], event("call.missed", call_id(), caller="+7 (903) 000-00-01"))
    assert ignored.status_code == 200 and ignored.json()["conversation_id"] is None
    assert [c["id"] for c in await conversations(agent, inbox["id"])] == [summary["id"]]
