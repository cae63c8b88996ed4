"""Web forms: the standalone page, submissions that become conversations (with files,
custom fields and routing), resends that store nothing new, bad input that stores nothing,
and the original submission kept as sent while the conversation is edited
(docs/protocol.md, "Web forms")."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server

FIELDS = [
    {"key": "name", "label": "Имя", "type": "text", "required": True, "maps_to": "name"},
    {"key": "email", "label": "E-mail", "type": "email", "required": True, "maps_to": "email"},
    {"key": "topic", "label": "Тема", "type": "select", "options": ["Доставка", "Возврат"], "maps_to": "subject"},
    {"key": "order", "label": "Номер заказа", "type": "number", "maps_to": "custom.order_no"},
    {"key": "text", "label": "Сообщение", "type": "textarea", "required": True, "maps_to": "message"},
    {"key": "agree", "label": "Согласен на обработку данных", "type": "checkbox", "required": True},
]


async def make_form(admin: Agent, **settings: Any) -> dict[str, Any]:
    response = await admin.post("/api/v1/forms", {"name": "Обратная связь", "settings": {"fields": FIELDS, **settings}})
    assert response.status_code == 201, response.text
    return response.json()["inbox"]


async def conversations(agent: Agent) -> list[dict[str, Any]]:
    return (await agent.get("/api/v1/conversations", status="all", channel="form")).json()["conversations"]


VALUES = {"name": "Анна", "email": "Anna@Example.com", "topic": "Возврат", "order": "1042",
          "text": "Пришёл не тот размер, хочу вернуть.", "agree": "on"}


async def test_a_submission_becomes_a_conversation_and_stays_as_sent(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    await admin.post("/api/v1/custom-fields", {"key": "order_no", "label": "Заказ", "type": "number"})
    form = await make_form(admin)
    key = form["site_key"]
    assert form["url"].endswith(f"/forms/{key}")
    async with httpx.AsyncClient(base_url=server.url) as customer:
        page = await customer.get(f"/forms/{key}")
        assert page.status_code == 200 and 'name="agree"' in page.text and "Возврат" in page.text
        assert (await customer.get(f"/forms/{key}?embed=1")).status_code == 200
        assert (await customer.get("/forms/nope")).status_code == 404

        client_id = new_client_id()
        files = {"files": ("receipt.pdf", b"%PDF-1.4\n% receipt\n", "application/pdf")}
        sent = await customer.post(f"/api/forms/v1/{key}/submissions", data={**VALUES, "client_id": client_id}, files=files)
        assert sent.status_code == 201, sent.text
        again = await customer.post(f"/api/forms/v1/{key}/submissions", data={**VALUES, "client_id": client_id}, files=files)
        assert again.json()["duplicate"] is True and again.json()["number"] == sent.json()["number"]

    [summary] = await conversations(agent)
    assert summary["number"] == sent.json()["number"] and summary["type"] == "form"
    assert summary["contact"]["name"] == "Анна" and summary["contact"]["email"] == "Anna@example.com"
    assert summary["fields"] == {"order_no": 1042}
    detail = await agent.conversation(summary["id"])
    [message] = detail["messages"]
    assert message["body"].startswith("Возврат\n\nПришёл не тот размер, хочу вернуть.")
    assert "Номер заказа: 1042" in message["body"] and message["attachments"][0]["name"] == "receipt.pdf"

    # Edited afterwards: the edit is audited, the original submission stays as it was.
    await agent.patch(f"/api/v1/conversations/{summary['id']}", {"fields": {"order_no": 1043}})
    original = (await agent.get(f"/api/v1/conversations/{summary['id']}/submission")).json()["submission"]
    assert original["values"] == {"name": "Анна", "email": "Anna@example.com", "topic": "Возврат", "order": 1042,
                                  "text": "Пришёл не тот размер, хочу вернуть.", "agree": True}
    assert [f["name"] for f in original["files"]] == ["receipt.pdf"]
    assert (await agent.http.get(original["files"][0]["url"])).content.startswith(b"%PDF")
    entries = (await agent.get(f"/api/v1/conversations/{summary['id']}/audit")).json()["entries"]
    assert ("fields.order_no", "1042", "1043") in {(e["field"], e["old"], e["new"]) for e in entries}
    assert (await agent.get(f"/api/v1/conversations/{detail['conversation']['id']}/submission")).status_code == 200


async def test_bad_submissions_are_refused_and_store_nothing(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    form = await make_form(admin, attachments=False)
    key = form["site_key"]
    async with httpx.AsyncClient(base_url=server.url) as customer:
        for values, field in (
            ({**VALUES, "email": "not-an-address"}, "values.email"),
            ({**VALUES, "text": " "}, "values.text"),
            ({**VALUES, "topic": "Жалоба"}, "values.topic"),
            ({**VALUES, "order": "много"}, "values.order"),
            ({k: v for k, v in VALUES.items() if k != "agree"}, "values.agree"),
            ({**VALUES, "colour": "red"}, "values.colour"),
        ):
            response = await customer.post(f"/api/forms/v1/{key}/submissions", data={**values, "client_id": new_client_id()})
            assert response.status_code == 422, (values, response.text)
            assert response.json()["error"]["field"] == field
        no_id = await customer.post(f"/api/forms/v1/{key}/submissions", data=VALUES)
        assert no_id.status_code == 422 and no_id.json()["error"]["field"] == "client_id"
        with_file = await customer.post(
            f"/api/forms/v1/{key}/submissions", data={**VALUES, "client_id": new_client_id()},
            files={"files": ("a.txt", b"hello", "text/plain")},
        )
        assert with_file.status_code == 422 and with_file.json()["error"]["field"] == "files"
        page = await customer.post(f"/forms/{key}", data={**VALUES, "email": "nope", "client_id": new_client_id()})
        assert page.status_code == 422 and "E-mail" in page.text and "Анна" in page.text  # typed values kept
    assert await conversations(agent) == []

    bad_form = await admin.post("/api/v1/forms", {"name": "x", "settings": {"fields": [{"key": "A", "label": "x"}]}})
    assert bad_form.status_code == 422 and bad_form.json()["error"]["field"].startswith("settings.fields.0")
    assert (await agent.post("/api/v1/forms", {"name": "x"})).status_code == 403


async def test_the_page_form_works_without_javascript_and_is_routed(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    await admin.post("/api/v1/routing/rules", {
        "name": "Формы о возврате", "conditions": [{"field": "channel", "op": "is", "value": "form"},
                                                   {"field": "text", "op": "contains_words", "value": "вернуть"}],
        "actions": [{"type": "add_tags", "value": ["возврат"]}, {"type": "set_priority", "value": "high"}],
    })
    form = await make_form(admin, success_text="Спасибо, ответим в течение дня.")
    async with httpx.AsyncClient(base_url=server.url) as customer:
        done = await customer.post(f"/forms/{form['site_key']}", data={**VALUES, "client_id": new_client_id()})
    assert done.status_code == 200 and "ответим в течение дня" in done.text
    [summary] = await conversations(agent)
    assert summary["tags"] == ["возврат"] and summary["priority"] == "high"


async def test_a_form_can_be_switched_off(server: Server, tenant: Tenant, admin: Agent) -> None:
    form = await make_form(admin)
    listed = [i for i in (await admin.get("/api/v1/inboxes")).json()["inboxes"] if i["id"] == form["id"]]
    assert listed[0]["url"] == form["url"]
    off = await admin.patch(f"/api/v1/inboxes/{form['id']}", {"is_active": False})
    assert off.status_code == 200 and off.json()["inbox"]["is_active"] is False
    async with httpx.AsyncClient(base_url=server.url) as customer:
        assert (await customer.get(f"/forms/{form['site_key']}")).status_code == 404
        refused = await customer.post(f"/api/forms/v1/{form['site_key']}/submissions", data={**VALUES, "client_id": new_client_id()})
        assert refused.status_code == 404
    assert (await admin.patch(f"/api/v1/inboxes/{form['id']}", {"is_active": "no"})).status_code == 422
