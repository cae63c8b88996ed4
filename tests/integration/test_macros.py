"""Macros: several actions in one click and a reply for the composer (docs/protocol.md,
"Macros")."""

from __future__ import annotations

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server


async def test_a_macro_applies_its_actions_and_fills_its_reply(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    category = (await admin.post("/api/v1/categories", {"name": "Возвраты"})).json()["category"]
    made = await agent.post("/api/v1/macros", {
        "name": "Возврат: ждём чек",
        "actions": [{"type": "set_category", "value": category["id"]}, {"type": "add_tags", "value": ["возврат"]},
                    {"type": "set_priority", "value": "high"}, {"type": "assign", "value": "me"},
                    {"type": "set_status", "value": "pending"}],
        "reply": "{{contact.name|Здравствуйте}}, пришлите, пожалуйста, фото чека. {{agent.first_name}}",
    })
    assert made.status_code == 201, made.text
    macro = made.json()["macro"]
    assert macro["shared"] is False

    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Хочу вернуть куртку"))["conversation_id"]
    applied = await agent.post(f"/api/v1/conversations/{conversation_id}/macros/{macro['id']}")
    assert applied.status_code == 200, applied.text
    conversation = applied.json()["conversation"]
    assert (conversation["category_id"], conversation["tags"], conversation["priority"], conversation["status"]) == (
        category["id"], ["возврат"], "high", "pending")
    assert conversation["assignee"]["id"] == agent.id
    assert applied.json()["reply"].startswith("Здравствуйте, пришлите, пожалуйста, фото чека.")
    history = (await agent.conversation(conversation_id))["messages"]
    assert len(history) == 1  # the reply is for the composer, not sent
    await widget.close()


async def test_bad_macros_are_refused_and_a_failing_one_changes_nothing(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    for body, field in (
        ({"name": "x"}, "actions"),
        ({"name": "x", "actions": [{"type": "explode"}]}, "actions.0"),
        ({"name": "x", "actions": [{"type": "set_priority", "value": "asap"}]}, "actions.0"),
        ({"name": "x", "reply": "{{contact.age}}"}, "body"),
        ({"name": "x", "reply": "hi", "shared": True}, "shared"),
    ):
        response = await agent.post("/api/v1/macros", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"].startswith(field), response.json()
    assert (await agent.get("/api/v1/macros")).json()["macros"] == []

    shared = (await admin.post("/api/v1/macros", {"name": "Всем", "reply": "Добрый день!", "shared": True})).json()["macro"]
    assert [m["name"] for m in (await agent.get("/api/v1/macros")).json()["macros"]] == ["Всем"]
    assert (await agent.delete(f"/api/v1/macros/{shared['id']}")).status_code == 403

    # A macro whose second action cannot be done leaves the first undone too.
    category = (await admin.post("/api/v1/categories", {"name": "Архив"})).json()["category"]
    broken = (await agent.post("/api/v1/macros", {"name": "Сломан", "actions": [
        {"type": "add_tags", "value": ["x"]}, {"type": "set_category", "value": category["id"]}]})).json()["macro"]
    await admin.put(f"/api/v1/categories/{category['id']}", {"name": "Архив", "is_active": False})
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "вопрос"))["conversation_id"]
    refused = await agent.post(f"/api/v1/conversations/{conversation_id}/macros/{broken['id']}")
    assert refused.status_code == 422
    assert (await agent.conversation(conversation_id))["conversation"]["tags"] == []
    await widget.close()
