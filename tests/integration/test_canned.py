"""Canned responses: personal and shared, scoped to their owners, filled per conversation."""

from __future__ import annotations

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def patch(agent: Agent, path: str, body: dict) -> object:
    return await agent.http.patch(path, json=body, headers={"X-CSRF-Token": agent.csrf})


async def delete(agent: Agent, path: str) -> object:
    # Like every console write, a DELETE carries a JSON body (docs/protocol.md).
    return await agent.http.request("DELETE", path, json={}, headers={"X-CSRF-Token": agent.csrf})


async def shortcuts(agent: Agent) -> list[str]:
    response = await agent.get("/api/v1/canned")
    assert response.status_code == 200
    return [c["shortcut"] for c in response.json()["canned"]]


async def test_personal_and_shared_responses(server: Server, tenant: Tenant, agent: Agent) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    other = await Agent.login(server.url, tenant.agents[1], tenant.password)
    try:
        mine = await agent.post("/api/v1/canned", {"shortcut": "/Hello", "title": "Hello", "body": "Hi {{contact.name|there}}"})
        assert mine.status_code == 201, mine.text
        assert mine.json()["canned"] | {"updated_at": None, "id": None} == {
            "id": None, "shortcut": "hello", "title": "Hello", "body": "Hi {{contact.name|there}}",
            "scope": "personal", "owner_id": agent.id, "updated_at": None,
        }
        # Agents may not share; supervisors may.
        refused = await agent.post("/api/v1/canned", {"shortcut": "team", "body": "x", "scope": "shared"})
        assert refused.status_code == 403
        shared = await supervisor.post("/api/v1/canned", {"shortcut": "доставка", "body": "Доставка 1–3 дня.", "scope": "shared"})
        assert shared.status_code == 201
        # Each agent sees the shared ones and their own, never another agent's.
        assert await shortcuts(agent) == ["hello", "доставка"]
        assert await shortcuts(other) == ["доставка"]
        mine_id = mine.json()["canned"]["id"]
        assert (await patch(other, f"/api/v1/canned/{mine_id}", {"body": "stolen"})).status_code == 404
        assert (await delete(other, f"/api/v1/canned/{mine_id}")).status_code == 404
        # The same shortcut is fine in another scope, not twice in one.
        assert (await other.post("/api/v1/canned", {"shortcut": "hello", "body": "Hey"})).status_code == 201
        taken = await agent.post("/api/v1/canned", {"shortcut": "HELLO", "body": "again"})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
        # Agents cannot edit shared ones; supervisors can.
        shared_id = shared.json()["canned"]["id"]
        assert (await patch(agent, f"/api/v1/canned/{shared_id}", {"body": "changed"})).status_code == 403
        edited = await patch(supervisor, f"/api/v1/canned/{shared_id}", {"body": "Доставка 1–2 дня."})
        assert edited.status_code == 200 and edited.json()["canned"]["body"] == "Доставка 1–2 дня."
        assert (await delete(agent, f"/api/v1/canned/{mine_id}")).status_code == 204
        assert await shortcuts(agent) == ["доставка"]
    finally:
        await supervisor.close()
        await other.close()


async def test_bad_input_changes_nothing(agent: Agent) -> None:
    created = await agent.post("/api/v1/canned", {"shortcut": "thanks", "body": "Thank you!"})
    canned_id = created.json()["canned"]["id"]
    cases = [
        ({"shortcut": "two words", "body": "x"}, "shortcut"),
        ({"shortcut": "ok", "body": "   "}, "body"),
        ({"shortcut": "ok", "body": "Hi {{contact.surname}}"}, "body"),
        ({"shortcut": "ok", "body": "x" * 5001}, "body"),
    ]
    for body, field in cases:
        response = await agent.post("/api/v1/canned", body)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, response.text
        response = await patch(agent, f"/api/v1/canned/{canned_id}", body)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, response.text
    assert (await patch(agent, f"/api/v1/canned/{canned_id}", {"scope": "shared"})).status_code == 422
    [stored] = (await agent.get("/api/v1/canned")).json()["canned"]
    assert (stored["shortcut"], stored["body"], stored["scope"]) == ("thanks", "Thank you!", "personal")


async def test_rendered_for_a_conversation(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "Где мой заказ?")
    conversation_id = ack["conversation_id"]
    created = await agent.post(
        "/api/v1/canned",
        {"shortcut": "hi", "body": "Здравствуйте, {{contact.name|друг}}! Я {{agent.first_name}}, {{site.name}}, #{{conversation.number}}."},
    )
    canned_id = created.json()["canned"]["id"]
    conversation = (await agent.conversation(conversation_id))["conversation"]
    rendered = await agent.get(f"/api/v1/conversations/{conversation_id}/canned/{canned_id}")
    assert rendered.status_code == 200
    assert rendered.json()["body"] == (
        f"Здравствуйте, друг! Я {agent.me['name'].split()[0]}, {conversation['inbox']['name']}, #{conversation['number']}."
    )
    await widget.send({"type": "contact.update", "client_id": "contact-update-1", "name": "Анна"})
    await widget.wait_for(lambda f: f.get("client_id") == "contact-update-1")
    rendered = await agent.get(f"/api/v1/conversations/{conversation_id}/canned/{canned_id}")
    assert rendered.json()["body"].startswith("Здравствуйте, Анна!")
    # Rendering sends nothing: the conversation still has only the customer's message.
    assert [m["body"] for m in (await agent.conversation(conversation_id))["messages"]] == ["Где мой заказ?"]
    # Another account can neither see the conversation nor use the response.
    stranger_tenant = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, stranger_tenant.agents[0], stranger_tenant.password)
    try:
        assert (await stranger.get(f"/api/v1/conversations/{conversation_id}/canned/{canned_id}")).status_code == 404
        assert await shortcuts(stranger) == []
    finally:
        await stranger.close()
        await widget.close()
