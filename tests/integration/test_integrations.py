"""For integrations: API tokens acting as an agent (no CSRF, revocable, scoped to the
account), the OpenAPI document, and outgoing webhooks — signed, retried with back-off, never
carrying notes or whispers, logged per attempt (docs/protocol.md, "Integrations")."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.fake_api import Call, FakeApi
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


class Receiver(FakeApi):
    """The business's own system: takes webhook POSTs at /hook."""

    def routes(self) -> list[Route]:
        return [Route("/hook", self._hook, methods=["POST"])]

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        call = Call("hook", {"body": body}, headers=dict(request.headers))
        failure = self.record(call)
        return failure if failure is not None else JSONResponse({"ok": True})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(c.params["body"]) for c in self.calls_of("hook")]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as api:
        yield api


def verify(secret: str, call: Call) -> bool:
    """As a receiver checks X-Helpline-Signature: t=<unix>,v1=<hmac of "t.body">."""
    parts = dict(item.split("=", 1) for item in call.headers["x-helpline-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + call.params["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


async def make_token(admin: Agent, **body: Any) -> tuple[dict[str, Any], str]:
    response = await admin.post("/api/v1/api-tokens", {"name": "CRM", **body})
    assert response.status_code == 201, response.text
    return response.json()["token"], response.json()["secret"]


async def test_an_api_token_acts_as_its_agent_until_revoked(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    token, secret = await make_token(admin, agent_id=agent.id)
    assert secret.startswith("hl_") and token["prefix"] == secret[:9] and token["agent"]["id"] == agent.id
    listed = (await admin.get("/api/v1/api-tokens")).json()["tokens"]
    assert [t["id"] for t in listed] == [token["id"]] and "secret" not in listed[0]

    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}) as api:
        me = await api.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["agent"]["id"] == agent.id
        # Writes need no CSRF header with a token (no browser sends one by itself).
        visitor = Visitor(server.url, tenant.site_key)
        await visitor.start()
        widget = await visitor.socket()
        ack = await send_and_ack(widget, "Вопрос по интеграции")
        await widget.close()
        await visitor.close()
        conversation_id = ack["message"]["conversation_id"]
        reply = await api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"client_id": "crm-00000001", "body": "Ответ из CRM"})
        assert reply.status_code == 201, reply.text
        assert reply.json()["message"]["author"]["id"] == agent.id
        # The agent's role holds: an agent's token is no admin.
        assert (await api.get("/api/v1/api-tokens")).status_code == 403
        # Another account's conversation is not there.
        other = await make_tenant(server.database_url)
        other_visitor = Visitor(server.url, other.site_key)
        await other_visitor.start()
        other_socket = await other_visitor.socket()
        other_ack = await send_and_ack(other_socket, "Чужой вопрос")
        await other_socket.close()
        await other_visitor.close()
        assert (await api.get(f"/api/v1/conversations/{other_ack['message']['conversation_id']}")).status_code == 404

        assert (await admin.delete(f"/api/v1/api-tokens/{token['id']}")).status_code == 204
        assert (await api.get("/api/v1/me")).status_code == 401
    for bad in ("hl_" + "x" * 40, "Bearer", "not-a-token", secret[:-1]):
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {bad}"}) as api:
            assert (await api.get("/api/v1/me")).status_code == 401, bad


async def test_bad_token_requests_are_refused_and_change_nothing(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    for body, field in (({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"agent_id": "2"}, "agent_id"),
                        ({"agent_id": 999_999_999}, "agent_id")):
        response = await admin.post("/api/v1/api-tokens", {"name": "CRM", **body})
        assert response.status_code == 422 and response.json()["error"]["field"] == field, response.text
    assert (await agent.post("/api/v1/api-tokens", {"name": "Мой"})).status_code == 403
    assert (await admin.delete("/api/v1/api-tokens/999999999")).status_code == 404
    assert (await admin.get("/api/v1/api-tokens")).json()["tokens"] == []


async def test_the_openapi_document_describes_the_api_and_its_tokens(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/conversations" in document["paths"] and "/api/v1/webhooks" in document["paths"]
    assert document["components"]["securitySchemes"]["apiToken"] == {
        "type": "http", "scheme": "bearer", "description": "An API token, hl_…"
    }


async def test_webhooks_are_signed_retried_logged_and_never_carry_notes(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, receiver: Receiver
) -> None:
    created = await admin.post(
        "/api/v1/webhooks", {"url": f"{receiver.url}/hook", "events": ["conversation.created", "message.created"]}
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    assert len(webhook["secret"]) == 64

    # The receiver is down for the first two attempts of the first event.
    receiver.fail_next("hook", lambda: Response("down", status_code=503), times=2)
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "Здравствуйте, хочу оформить возврат")
    await widget.close()
    await visitor.close()
    conversation_id = ack["message"]["conversation_id"]
    await agent.reply(conversation_id, "Клиент постоянный, можно без чека", kind="note")
    await agent.reply(conversation_id, "Конечно, оформим")

    async def delivered() -> list[dict[str, Any]]:
        seen: dict[int, dict[str, Any]] = {}
        for event in receiver.events():
            seen[event["id"]] = event
        return sorted(seen.values(), key=lambda e: e["id"])

    deadline = time.monotonic() + 20
    while len(await delivered()) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    events = await delivered()
    assert [e["type"] for e in events] == ["conversation.created", "message.created", "message.created"], events
    assert [e["data"]["message"]["body"] for e in events[1:]] == ["Здравствуйте, хочу оформить возврат", "Конечно, оформим"]
    assert all(e["account_id"] == tenant.account_id for e in events)
    calls = receiver.calls_of("hook")
    assert all(verify(webhook["secret"], call) for call in calls)
    assert all(c.headers["x-helpline-delivery"] == str(json.loads(c.params["body"])["id"]) for c in calls)
    # The note never left, even after a while.
    await asyncio.sleep(1.5)
    assert not any("без чека" in c.params["body"].decode() for c in receiver.calls_of("hook"))

    # The log has every attempt: the two refused ones, each followed by a later attempt of
    # the same event that went through.
    log = (await admin.get(f"/api/v1/webhooks/{webhook['id']}/deliveries")).json()["deliveries"]
    refused = [row for row in log if not row["ok"]]
    assert [(row["status_code"], row["error"]) for row in refused] == [(503, "HTTP 503")] * 2
    for row in refused:
        later = [r for r in log if r["event_id"] == row["event_id"] and r["attempt"] > row["attempt"]]
        assert any(r["ok"] for r in later), log
    assert {row["event_id"] for row in log if row["ok"]} == {e["id"] for e in events}

    ping = await admin.post(f"/api/v1/webhooks/{webhook['id']}/ping")
    assert ping.json() == {"ok": True, "status_code": 200, "error": None}
    assert verify(webhook["secret"], receiver.calls_of("hook")[-1])

    # Switched off: nothing more is sent.
    off = await admin.patch(f"/api/v1/webhooks/{webhook['id']}", {"is_active": False})
    assert off.status_code == 200 and off.json()["webhook"]["is_active"] is False
    count = len(receiver.calls_of("hook"))
    await agent.reply(conversation_id, "Готово")
    await asyncio.sleep(2)
    assert len(receiver.calls_of("hook")) == count


async def test_bad_webhooks_are_refused_and_change_nothing(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    for body, field in (
        ({"url": "ftp://example.com/hook", "events": ["message.created"]}, "url"),
        ({"url": "https://user:pass@example.com/hook", "events": ["message.created"]}, "url"),
        ({"url": "https://example.com/hook", "events": []}, "events"),
        ({"url": "https://example.com/hook", "events": ["message.deleted"]}, "events"),
        ({"url": 42, "events": ["message.created"]}, "url"),
    ):
        response = await admin.post("/api/v1/webhooks", body)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, (body, response.text)
    assert (await agent.post("/api/v1/webhooks", {"url": "https://example.com/h", "events": ["message.created"]})).status_code == 403
    good = (await admin.post("/api/v1/webhooks", {"url": "https://example.com/h", "events": ["message.created"]})).json()
    bad = await admin.patch(f"/api/v1/webhooks/{good['webhook']['id']}", {"url": "https://example.com/new", "events": ["x"]})
    assert bad.status_code == 422
    [stored] = (await admin.get("/api/v1/webhooks")).json()["webhooks"]
    assert stored["url"] == "https://example.com/h" and stored["events"] == ["message.created"]
    other = await make_tenant(server.database_url)
    outsider = await Agent.login(server.url, other.admin, other.password)
    try:
        assert (await outsider.get(f"/api/v1/webhooks/{stored['id']}/deliveries")).status_code == 404
        assert (await outsider.delete(f"/api/v1/webhooks/{stored['id']}")).status_code == 404
    finally:
        await outsider.close()
    assert (await admin.delete(f"/api/v1/webhooks/{stored['id']}")).status_code == 204
    assert (await admin.get("/api/v1/webhooks")).json()["webhooks"] == []
