"""Bad input to the widget protocol: a clear error, a documented close code, nothing stored."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.clients import Agent, Socket, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import TEST_SECRET, Server


async def stored_conversations(agent: Agent) -> list[dict]:
    return (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"]


async def test_unknown_site_key_is_refused(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/widget/v1/session", json={"site_key": "no-such-site"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"


@pytest.mark.parametrize(
    "body, code",
    [
        ("not json", "malformed_request"),
        ("[1, 2]", "malformed_request"),
        ('{"visitor_token": null}', "invalid_field"),  # site_key missing
        ('{"site_key": 42}', "invalid_field"),
        ('{"site_key": "x", "page": {"url": "javascript:alert(1)"}}', "invalid_field"),
    ],
)
async def test_malformed_session_requests(server: Server, tenant: Tenant, body: str, code: str) -> None:
    body = body.replace('"x"', f'"{tenant.site_key}"')
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/widget/v1/session", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == code


async def test_forged_token_is_refused_over_http_and_websocket(server: Server, tenant: Tenant) -> None:
    forged = URLSafeTimedSerializer("not-the-server-secret", salt="helpline.visitor.v1").dumps(
        {"a": tenant.account_id, "i": tenant.inbox_id, "v": "f" * 32}
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/widget/v1/session", json={"site_key": tenant.site_key, "visitor_token": forged})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"

    sock = await Socket.open(f"{server.ws_url}/ws/widget")
    await sock.send({"type": "hello", "token": forged, "cursors": {}})
    assert (await sock.next())["code"] == "invalid_token"
    assert await sock.closed_with() == 4001


async def test_expired_token_is_refused(server: Server, tenant: Tenant, visitor: Visitor) -> None:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:  # signed 400 days ago
            return int(time.time()) - 400 * 86400

    old = URLSafeTimedSerializer(TEST_SECRET, salt="helpline.visitor.v1", signer=PastSigner).dumps(
        {"a": tenant.account_id, "i": tenant.inbox_id, "v": visitor.session["visitor_id"]}
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/widget/v1/session", json={"site_key": tenant.site_key, "visitor_token": old})
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
    sock = await Socket.open(f"{server.ws_url}/ws/widget")
    await sock.send({"type": "hello", "token": old})
    assert (await sock.next())["code"] == "token_expired"
    assert await sock.closed_with() == 4002


async def test_token_of_another_site_is_refused(server: Server, visitor: Visitor) -> None:
    other = await make_tenant(server.database_url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/widget/v1/session", json={"site_key": other.site_key, "visitor_token": visitor.token})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"


async def test_first_frame_must_be_hello(server: Server) -> None:
    sock = await Socket.open(f"{server.ws_url}/ws/widget")
    await sock.send({"type": "message.send", "client_id": new_client_id(), "body": "hi"})
    assert (await sock.next())["code"] == "hello_required"
    assert await sock.closed_with() == 4000


async def test_garbage_first_frame_closes(server: Server) -> None:
    sock = await Socket.open(f"{server.ws_url}/ws/widget")
    await sock.send("}{")
    assert (await sock.next())["code"] == "hello_required"
    assert await sock.closed_with() == 4000


async def test_silent_connection_is_closed_after_hello_timeout(server: Server) -> None:
    sock = await Socket.open(f"{server.ws_url}/ws/widget")
    started = time.monotonic()
    assert await sock.closed_with(timeout=15) == 4008
    assert 9 <= time.monotonic() - started <= 14


async def test_oversized_frame_closes_with_1009(visitor: Visitor) -> None:
    widget = await visitor.socket()
    await widget.send({"type": "message.send", "client_id": new_client_id(), "body": "x" * 70_000})
    assert await widget.closed_with() == 1009


@pytest.mark.parametrize(
    "frame, code, field",
    [
        ("not json at all", "malformed_request", None),
        ('["a list"]', "malformed_request", None),
        ('{"no": "type"}', "malformed_request", None),
        ('{"type": "dance"}', "unknown_frame_type", None),
        ('{"type": "message.send", "body": "no client id"}', "invalid_field", "client_id"),
        ('{"type": "message.send", "client_id": "short", "body": "x"}', "invalid_field", "client_id"),
        ('{"type": "message.send", "client_id": "valid-id-1", "body": "   "}', "empty_message", "body"),
        ('{"type": "message.send", "client_id": "valid-id-2", "body": 12}', "invalid_field", "body"),
        ('{"type": "message.send", "client_id": "valid-id-3", "body": "' + "я" * 5001 + '"}', "message_too_long", "body"),
        ('{"type": "typing", "active": "yes"}', "invalid_field", "active"),
        ('{"type": "contact.update", "client_id": "valid-id-4", "email": "not-an-email"}', "invalid_field", "email"),
        ('{"type": "contact.update", "client_id": "valid-id-5", "phone": "call me"}', "invalid_field", "phone"),
        ('{"type": "page", "url": "ftp://example.com"}', "invalid_field", "page.url"),
        ('{"type": "hello", "token": "again"}', "invalid_field", "type"),
    ],
)
async def test_bad_frames_get_an_error_and_store_nothing(
    agent: Agent, visitor: Visitor, frame: str, code: str, field: str | None
) -> None:
    widget = await visitor.socket()
    await widget.send(frame)
    error = await widget.wait_for(lambda f: f["type"] == "error")
    assert error["code"] == code
    assert error.get("field") == field
    # the connection stays usable, and nothing was stored
    await widget.send({"type": "ping"})
    assert (await widget.wait_for(lambda f: f["type"] in ("pong", "error")))["type"] == "pong"
    assert await stored_conversations(agent) == []
    session = await visitor.start()
    assert session["contact"] == {"name": None, "email": None, "phone": None}


async def test_exactly_5000_characters_are_accepted(visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "ю" * 5000)
    assert ack["type"] == "ack" and len(ack["message"]["body"]) == 5000


async def test_a_flood_is_rate_limited_then_cut_off(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    for i in range(10):
        assert (await send_and_ack(widget, f"burst {i}"))["type"] == "ack"
    refused = await send_and_ack(widget, "one too many")
    assert refused["type"] == "error" and refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    conversation_id = (await stored_conversations(agent))[0]["id"]
    stored = (await agent.conversation(conversation_id))["messages"]
    assert [m["body"] for m in stored] == [f"burst {i}" for i in range(10)]

    for i in range(60):  # keep hammering: the connection is closed
        try:
            await widget.send({"type": "message.send", "client_id": new_client_id(), "body": f"spam {i}"})
        except Exception:
            break
    assert await widget.closed_with() == 4029
    stored = (await agent.conversation(conversation_id))["messages"]
    assert len(stored) <= 12  # at most a token or two refilled meanwhile

    await asyncio.sleep(1.1)  # after a pause the visitor may write again
    widget = await visitor.socket()
    assert (await send_and_ack(widget, "calm now"))["type"] == "ack"


async def test_required_prechat_fields_are_enforced(server: Server) -> None:
    tenant = await make_tenant(server.database_url, site_settings={"prechat": {"name": "required", "email": "optional", "phone": "hidden"}})
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    visitor = Visitor(server.url, tenant.site_key)
    session = await visitor.start()
    assert session["site"]["prechat"] == {"name": "required", "email": "optional", "phone": "hidden"}
    widget = await visitor.socket()
    refused = await send_and_ack(widget, "no name yet")
    assert refused["type"] == "error" and refused["code"] == "invalid_field" and refused["field"] == "name"
    await widget.send({"type": "contact.update", "client_id": new_client_id(), "email": "a@b.example"})
    missing = await widget.wait_for(lambda f: f["type"] in ("ack", "error"))
    assert missing["type"] == "error" and missing["field"] == "name"
    assert await stored_conversations(agent) == []

    await widget.send({"type": "contact.update", "client_id": new_client_id(), "name": "Олег", "phone": "+7 900 000 00 00"})
    assert (await widget.wait_for(lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
    ack = await send_and_ack(widget, "now with a name")
    assert ack["type"] == "ack"
    contact = (await agent.conversation(ack["conversation_id"]))["conversation"]["contact"]
    assert contact["name"] == "Олег" and contact["phone"] is None  # hidden fields are not taken
    await agent.close()
    await visitor.close()


async def test_an_unusable_page_in_hello_is_ignored_not_refused(visitor: Visitor) -> None:
    widget = await visitor.socket(page={"url": "file:///home/me/shop.html", "title": "local"})
    assert widget.frames[0]["type"] == "welcome"
    assert (await send_and_ack(widget, "still works"))["type"] == "ack"


async def test_after_a_refusal_later_messages_wait_their_turn(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    client_ids = [new_client_id() for _ in range(14)]
    for i, client_id in enumerate(client_ids):  # pipelined, as an outbox resends
        await widget.send({"type": "message.send", "client_id": client_id, "body": f"m{i}"})
    answers = [await widget.wait_for(lambda f, c=c: f.get("client_id") == c) for c in client_ids]
    kinds = [a["type"] for a in answers]
    assert kinds == ["ack"] * 10 + ["error"] * 4  # never an ack after the first refusal
    await asyncio.sleep(answers[10]["retry_after"] + 0.2)
    for i, client_id in enumerate(client_ids[10:], start=10):
        reply = await send_and_ack(widget, f"m{i}", client_id)
        if reply["type"] == "error":
            await asyncio.sleep(reply["retry_after"] + 0.1)
            reply = await send_and_ack(widget, f"m{i}", client_id)
        assert reply["type"] == "ack"
    conversation_id = answers[0]["conversation_id"]
    stored = [m["body"] for m in (await agent.conversation(conversation_id))["messages"]]
    assert stored == [f"m{i}" for i in range(14)]


async def test_contact_update_ack_returns_the_stored_contact(visitor: Visitor) -> None:
    widget = await visitor.socket()
    client_id = new_client_id()
    await widget.send({"type": "contact.update", "client_id": client_id, "email": "Ola@EXAMPLE.org"})
    ack = await widget.wait_for(lambda f: f.get("client_id") == client_id)
    assert ack["contact"] == {"name": None, "email": "Ola@example.org", "phone": None}
