"""The service desk's classification and life cycle: categories, custom fields, priority,
tags, statuses with their timers, the audit trail, filters, saved views and bulk actions
(docs/protocol.md, "Service desk")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from helpline.core.audit import AuditEntry
from helpline.core.db import Database
from helpline.core.jobs import Job
from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def conversation_from(server: Server, tenant: Tenant, body: str = "Где мой заказ?") -> tuple[Visitor, Any, int]:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    ack = await send_and_ack(widget, body)
    return visitor, widget, ack["conversation_id"]


async def summary(agent: Agent, conversation_id: int) -> dict[str, Any]:
    return (await agent.conversation(conversation_id))["conversation"]


async def my_id(agent: Agent) -> int:
    return (await agent.get("/api/v1/me")).json()["agent"]["id"]


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.status_code != 204 else {}


async def test_categories_form_a_tree_and_refuse_cycles_duplicates_and_agents(admin: Agent, agent: Agent) -> None:
    payments = (await ok(await admin.post("/api/v1/categories", {"name": "Платежи"}), 201))["category"]
    refunds = (await ok(await admin.post("/api/v1/categories", {"name": "Возвраты", "parent_id": payments["id"]}), 201))["category"]
    listed = (await ok(await agent.get("/api/v1/categories")))["categories"]
    assert {c["id"]: c["path"] for c in listed}[refunds["id"]] == "Платежи › Возвраты"

    cycle = await admin.put(f"/api/v1/categories/{payments['id']}", {"name": "Платежи", "parent_id": refunds["id"]})
    assert cycle.status_code == 422 and cycle.json()["error"]["field"] == "parent_id"
    duplicate = await admin.post("/api/v1/categories", {"name": "Возвраты", "parent_id": payments["id"]})
    assert duplicate.status_code == 422 and duplicate.json()["error"]["field"] == "name"
    assert (await agent.post("/api/v1/categories", {"name": "Мои"})).status_code == 403
    assert len((await ok(await agent.get("/api/v1/categories")))["categories"]) == 2  # nothing stored

    renamed = await ok(await admin.put(f"/api/v1/categories/{refunds['id']}", {"name": "Refunds", "parent_id": payments["id"]}))
    assert renamed["category"]["name"] == "Refunds"


async def test_properties_are_validated_audited_and_announced(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    category = (await ok(await admin.post("/api/v1/categories", {"name": "Доставка"}), 201))["category"]
    await ok(await admin.post("/api/v1/custom-fields", {"key": "order_no", "label": "Заказ", "type": "number"}), 201)
    await ok(
        await admin.post(
            "/api/v1/custom-fields",
            {"key": "city", "label": "Город", "type": "select", "options": ["Москва", "Казань"], "required": True},
        ),
        201,
    )
    bad_field = await admin.post("/api/v1/custom-fields", {"key": "Bad Key", "label": "x", "type": "text"})
    assert bad_field.status_code == 422
    no_options = await admin.post("/api/v1/custom-fields", {"key": "kind", "label": "x", "type": "select"})
    assert no_options.status_code == 422

    _, widget, conversation_id = await conversation_from(server, tenant)
    changed = await ok(
        await agent.patch(
            f"/api/v1/conversations/{conversation_id}",
            {"priority": "high", "category_id": category["id"], "tags": ["VIP ", "доставка", "vip"],
             "fields": {"order_no": 1042, "city": "Казань"}},
        )
    )
    conversation = changed["conversation"]
    assert (conversation["priority"], conversation["category_id"], conversation["tags"]) == ("high", category["id"], ["vip", "доставка"])
    assert conversation["fields"] == {"order_no": 1042, "city": "Казань"}

    before = await summary(agent, conversation_id)
    for body, field in (
        ({"priority": "asap"}, "priority"),
        ({"category_id": 999999}, "category_id"),
        ({"fields": {"city": "Париж"}}, "fields.city"),
        ({"fields": {"order_no": "сорок два"}}, "fields.order_no"),
        ({"fields": {"nope": 1}}, "fields.nope"),
        ({"tags": ["<script>"]}, "tags"),
        ({"priority": "low", "fields": {"city": "Париж"}}, "fields.city"),  # all or nothing
        ({"colour": "red"}, "colour"),
    ):
        response = await agent.patch(f"/api/v1/conversations/{conversation_id}", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field
    assert await summary(agent, conversation_id) == before

    entries = (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    changes = {(e["field"], e["old"], e["new"]) for e in entries}
    assert ("priority", "normal", "high") in changes
    assert ("fields.city", None, "Казань") in changes
    assert ("tags", "", "vip, доставка") in changes
    assert all(e["actor"]["name"] for e in entries if e["actor"]["type"] == "agent")
    tags = (await ok(await agent.get("/api/v1/tags")))["tags"]
    assert {"tag": "vip", "count": 1} in tags
    await widget.close()


async def test_pending_snoozed_and_resolved_reopen_on_a_customer_reply(server: Server, tenant: Tenant, agent: Agent) -> None:
    _, widget, conversation_id = await conversation_from(server, tenant)
    for status in ("pending", "resolved"):
        await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": status}))
        assert (await summary(agent, conversation_id))["status"] == status
        ack = await send_and_ack(widget, f"after {status}")
        assert ack["conversation_id"] == conversation_id
        assert (await summary(agent, conversation_id))["status"] == "open"
    until = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    snoozed = await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "snoozed", "snoozed_until": until}))
    assert snoozed["conversation"]["snoozed_until"] is not None
    await send_and_ack(widget, "я ещё здесь")
    woken = await summary(agent, conversation_id)
    assert (woken["status"], woken["snoozed_until"]) == ("open", None)

    entries = (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    reopened_by_customer = [e for e in entries if e["field"] == "status" and e["actor"]["type"] == "contact"]
    assert [e["new"] for e in reopened_by_customer] == ["open", "open", "open"]
    await widget.close()


async def test_bad_status_changes_are_refused_and_change_nothing(server: Server, tenant: Tenant, agent: Agent) -> None:
    _, widget, conversation_id = await conversation_from(server, tenant)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    for body in (
        {"status": "snoozed"},
        {"status": "snoozed", "snoozed_until": past},
        {"status": "snoozed", "snoozed_until": far},
        {"status": "snoozed", "snoozed_until": "2030-01-01T10:00:00"},  # no offset
        {"status": "pending", "snoozed_until": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        {"status": "archived"},
    ):
        response = await agent.post(f"/api/v1/conversations/{conversation_id}/status", body)
        assert response.status_code == 422, (body, response.text)
    assert (await summary(agent, conversation_id))["status"] == "open"
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "closed"}))
    final = await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "open"})
    assert final.status_code == 422 and "final" in final.json()["error"]["message"]
    await widget.close()


async def test_a_snooze_wakes_once_even_across_a_restart(private_server: Server) -> None:
    tenant = await make_tenant(private_server.database_url)
    agent = await Agent.login(private_server.url, tenant.agents[0], tenant.password)
    _, widget, conversation_id = await conversation_from(private_server, tenant)
    until = datetime.now(UTC) + timedelta(seconds=2)
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "snoozed", "snoozed_until": until.isoformat()}))
    await widget.close()
    await agent.close()
    private_server.stop()
    await asyncio.sleep(2.5)  # the wake-up time passes while nothing runs
    private_server.start()
    agent = await Agent.login(private_server.url, tenant.agents[0], tenant.password)
    for _ in range(100):
        if (await summary(agent, conversation_id))["status"] == "open":
            break
        await asyncio.sleep(0.1)
    assert (await summary(agent, conversation_id))["status"] == "open"
    await asyncio.sleep(1.5)  # a second firing would add a second entry
    entries = (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    wakes = [e for e in entries if e["field"] == "status" and e["old"] == "snoozed"]
    assert len(wakes) == 1 and wakes[0]["actor"]["type"] == "system"
    await agent.close()


async def test_a_resolved_conversation_closes_after_the_account_s_days(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    settings = (await ok(await admin.get("/api/v1/account/settings")))["settings"]
    assert settings["close_after_days"] == 7
    _, widget, conversation_id = await conversation_from(server, tenant)
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/resolve"))
    # Seven days pass: the timer is made due now (the job itself is what is tested).
    db = Database(server.database_url)
    try:
        async with db.transaction() as session:
            moved = await session.execute(
                update(Job).where(Job.key.like(f"desk.close:{conversation_id}:%")).values(due_at=datetime.now(UTC))
            )
            assert moved.rowcount == 1
        for _ in range(100):
            if (await summary(agent, conversation_id))["status"] == "closed":
                break
            await asyncio.sleep(0.1)
        closed = await summary(agent, conversation_id)
        assert closed["status"] == "closed" and closed["closed_at"]
        ack = await send_and_ack(widget, "новый вопрос")
        assert ack["conversation_id"] != conversation_id
        async with db.read() as session:
            closes = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(
                    AuditEntry.entity_id == conversation_id, AuditEntry.field == "status", AuditEntry.new_value == "closed"
                )
            )
        assert closes == 1
    finally:
        await db.dispose()
    await widget.close()

    await ok(await admin.put("/api/v1/account/settings", {**settings, "close_after_days": 0}))
    assert (await ok(await admin.get("/api/v1/account/settings")))["settings"]["close_after_days"] == 0
    refused = await admin.put("/api/v1/account/settings", {**settings, "close_after_days": -1})
    assert refused.status_code == 422


async def ids(agent: Agent, **params: Any) -> list[int]:
    response = await agent.get("/api/v1/conversations", **params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


async def test_filters_sorting_and_paging(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    parent = (await ok(await admin.post("/api/v1/categories", {"name": "Оплата"}), 201))["category"]
    child = (await ok(await admin.post("/api/v1/categories", {"name": "Карта", "parent_id": parent["id"]}), 201))["category"]
    await ok(await admin.post("/api/v1/custom-fields", {"key": "plan", "label": "Тариф", "type": "multiselect", "options": ["basic", "pro"]}), 201)
    made = []
    widgets = []
    for i in range(5):
        _, widget, conversation_id = await conversation_from(server, tenant, f"вопрос {i}")
        made.append(conversation_id)
        widgets.append(widget)
    a, b, c, d, e = made
    await ok(await agent.patch(f"/api/v1/conversations/{a}", {"priority": "urgent", "tags": ["vip"]}))
    await ok(await agent.patch(f"/api/v1/conversations/{b}", {"category_id": child["id"], "fields": {"plan": ["pro"]}}))
    await ok(await agent.patch(f"/api/v1/conversations/{c}", {"priority": "high", "tags": ["vip", "late"]}))
    await ok(await agent.post(f"/api/v1/conversations/{d}/status", {"status": "pending"}))
    await ok(await agent.post(f"/api/v1/conversations/{e}/assign", {"agent_id": await my_id(agent)}))

    assert set(await ids(agent, priority="urgent,high")) == {a, c}
    assert await ids(agent, tag="vip", sort="number") == [c, a]
    assert await ids(agent, tag=["vip", "late"]) == [c]
    assert await ids(agent, category_id=parent["id"]) == [b]  # subcategories count
    assert await ids(agent, **{"field.plan": "pro"}) == [b]
    assert set(await ids(agent, status="pending")) == {d}
    assert set(await ids(agent, status="open,pending")) == set(made)
    assert await ids(agent, view="mine") == [e]
    today = datetime.now(UTC).date()
    assert set(await ids(agent, status="all", created_from=today.isoformat(), created_to=today.isoformat())) >= set(made)
    assert await ids(agent, created_to=(today - timedelta(days=1)).isoformat()) == []

    # Paging by cursor in the number order visits each once.
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": "number", "limit": 2, "status": "all"}
        if cursor:
            params["cursor"] = cursor
        page = (await ok(await agent.get("/api/v1/conversations", **params)))
        seen += [c["id"] for c in page["conversations"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and set(made) <= set(seen) and len(seen) == len(set(seen))

    for params, field in (
        ({"priority": "asap"}, "priority"),
        ({"colour": "red"}, "colour"),
        ({"cursor": "garbage"}, "cursor"),
        ({"sort": "random"}, "sort"),
        ({"limit": 0}, "limit"),
    ):
        response = await agent.get("/api/v1/conversations", **params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["field"].split(".")[0] == field

    # Another account sees none of it.
    other = await make_tenant(server.database_url)
    outsider = await Agent.login(server.url, other.agents[0], other.password)
    assert set(await ids(outsider, status="all")) & set(made) == set()
    assert (await outsider.patch(f"/api/v1/conversations/{a}", {"priority": "low"})).status_code == 404
    await outsider.close()
    for widget in widgets:
        await widget.close()


async def test_bulk_actions_are_all_or_nothing(server: Server, tenant: Tenant, agent: Agent) -> None:
    made = []
    for i in range(3):
        _, widget, conversation_id = await conversation_from(server, tenant, f"bulk {i}")
        made.append(conversation_id)
        await widget.close()
    me = {"id": await my_id(agent)}
    await ok(await agent.post("/api/v1/conversations/bulk", {"conversation_ids": made, "action": {"type": "add_tags", "tags": ["wave"]}}))
    await ok(await agent.post("/api/v1/conversations/bulk", {"conversation_ids": made, "action": {"type": "priority", "priority": "high"}}))
    await ok(await agent.post("/api/v1/conversations/bulk", {"conversation_ids": made, "action": {"type": "assign", "agent_id": me["id"]}}))
    for conversation_id in made:
        conversation = await summary(agent, conversation_id)
        assert (conversation["tags"], conversation["priority"], conversation["assignee"]["id"]) == (["wave"], "high", me["id"])

    other = await make_tenant(server.database_url)
    _, foreign_widget, foreign = await conversation_from(server, other)
    await foreign_widget.close()
    refused = await agent.post("/api/v1/conversations/bulk", {"conversation_ids": [*made, foreign], "action": {"type": "status", "status": "resolved"}})
    assert refused.status_code == 404
    bad = await agent.post("/api/v1/conversations/bulk", {"conversation_ids": made, "action": {"type": "delete"}})
    assert bad.status_code == 422
    assert {(await summary(agent, i))["status"] for i in made} == {"open"}
    await ok(await agent.post("/api/v1/conversations/bulk", {"conversation_ids": made, "action": {"type": "status", "status": "resolved"}}))
    assert {(await summary(agent, i))["status"] for i in made} == {"resolved"}


async def test_saved_views_are_personal_or_shared_by_supervisors(server: Server, tenant: Tenant, agent: Agent) -> None:
    mine = await ok(await agent.post("/api/v1/views", {"name": "Срочные", "filters": {"priority": ["urgent"], "sort": "sla"}}), 201)
    assert mine["view"]["filters"] == {"priority": ["urgent"], "sort": "sla"} and mine["view"]["shared"] is False
    refused = await agent.post("/api/v1/views", {"name": "Всем", "filters": {}, "shared": True})
    assert refused.status_code == 422
    bad = await agent.post("/api/v1/views", {"name": "x", "filters": {"colour": "red"}})
    assert bad.status_code == 422
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    shared = await ok(await supervisor.post("/api/v1/views", {"name": "Без ответа", "filters": {"view": "unassigned"}, "shared": True}), 201)
    names = [v["name"] for v in (await ok(await agent.get("/api/v1/views")))["views"]]
    assert names == ["Срочные", "Без ответа"]
    assert [v["name"] for v in (await ok(await supervisor.get("/api/v1/views")))["views"]] == ["Без ответа"]
    gone = await agent.delete(f"/api/v1/views/{shared['view']['id']}")
    assert gone.status_code == 404, gone.text
    assert (await agent.delete(f"/api/v1/views/{mine['view']['id']}")).status_code == 204
    await supervisor.close()


async def test_the_inbox_searches_messages_and_contacts(server: Server, tenant: Tenant, agent: Agent) -> None:
    _, widget, loan = await conversation_from(server, tenant, "Хочу досрочно погасить кредиты")
    _, other_widget, other = await conversation_from(server, tenant, "Where is my parcel?")
    assert await ids(agent, q="кредита") == [loan]
    assert await ids(agent, q="parcels") == [other]
    assert await ids(agent, q="кредит посылка") == []
    assert set(await ids(agent, q="кредит", status="open,pending")) == {loan}
    refused = await agent.get("/api/v1/conversations", q="!!!")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "q"
    for sock in (widget, other_widget):
        await sock.close()


async def test_an_agent_resolves_only_with_the_required_fields(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    await ok(await admin.post("/api/v1/custom-fields", {"key": "reason", "label": "Причина", "type": "select",
                                                        "options": ["брак", "размер"], "required": True}), 201)
    _, widget, conversation_id = await conversation_from(server, tenant)
    refused = await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "fields.reason"
    assert (await summary(agent, conversation_id))["status"] == "open"
    await ok(await agent.patch(f"/api/v1/conversations/{conversation_id}", {"fields": {"reason": "размер"}}))
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/resolve"))
    entries = (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    resolved = next(e for e in entries if e["field"] == "status" and e["new"] == "resolved")
    assert resolved["old"] == "open"
    await widget.close()
