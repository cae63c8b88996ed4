"""SLA policies on conversations: targets per priority in business hours, answers meeting
them, pending pausing them, breaches found by a timer that fires once — also across a
restart — and escalation (docs/protocol.md, "SLA")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from helpline.conversations.models import Conversation
from helpline.core.db import Database
from helpline.desk.filters import sort_key
from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

HOUR = 3600


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def policy(admin: Agent, rules: dict[str, Any], name: str = "Стандарт") -> dict[str, Any]:
    return (await ok(await admin.post("/api/v1/sla-policies", {"name": name, "rules": rules}), 201))["policy"]


async def chat(server: Server, tenant: Tenant, body: str = "Здравствуйте, где мой заказ?") -> tuple[Any, int]:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    ack = await send_and_ack(widget, body)
    return widget, ack["conversation_id"]


async def sla_of(agent: Agent, conversation_id: int) -> dict[str, Any]:
    return (await agent.conversation(conversation_id))["conversation"]["sla"]


async def answer(agent: Agent, conversation_id: int, body: str = "Сейчас проверю, минуту.") -> None:
    await ok(
        await agent.post(f"/api/v1/conversations/{conversation_id}/messages", {"client_id": new_client_id(), "body": body}), 201
    )


async def test_policies_are_validated_and_admin_only(admin: Agent, agent: Agent) -> None:
    for rules, field in (
        ({}, "rules"),
        ({"targets": {"normal": {"first_response": 0}}}, "rules.targets.normal.first_response"),
        ({"targets": {"asap": {"first_response": 60}}}, "rules.targets.asap"),
        ({"targets": {"normal": {"first_response": 60}}, "hours": {"timezone": "Mars/Olympus"}}, "rules.hours.timezone"),
        ({"targets": {"normal": {"first_response": 60}}, "colour": "red"}, "rules.colour"),
    ):
        response = await admin.post("/api/v1/sla-policies", {"name": "x", "rules": rules})
        assert response.status_code == 422, (rules, response.text)
        assert response.json()["error"]["field"].startswith(field), response.json()
    assert (await agent.post("/api/v1/sla-policies", {"name": "x", "rules": {"targets": {"normal": {"first_response": 60}}}})).status_code == 403
    assert (await ok(await agent.get("/api/v1/sla-policies")))["policies"] == []


async def test_answers_meet_targets_and_pending_pauses(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    await policy(admin, {"targets": {"normal": {"first_response": HOUR, "next_response": 2 * HOUR, "resolution": 8 * HOUR},
                                     "urgent": {"first_response": 600}}})
    widget, conversation_id = await chat(server, tenant)
    summary = (await agent.conversation(conversation_id))["conversation"]
    created = when(summary["created_at"])
    sla = summary["sla"]
    assert abs((when(sla["due_at"]) - created).total_seconds() - HOUR) < 1  # first response, the soonest
    assert abs((when(sla["due_at"]) - when(sla["warn_at"])).total_seconds() - HOUR * 0.25) < 1
    assert set(sla["targets"]) == {"first_response", "resolution"}

    # Urgent: the unmet targets restart with the urgent times (from the start).
    await ok(await agent.patch(f"/api/v1/conversations/{conversation_id}", {"priority": "urgent"}))
    sla = await sla_of(agent, conversation_id)
    assert abs((when(sla["due_at"]) - created).total_seconds() - 600) < 1 and set(sla["targets"]) == {"first_response"}
    await ok(await agent.patch(f"/api/v1/conversations/{conversation_id}", {"priority": "normal"}))

    await answer(agent, conversation_id)
    sla = await sla_of(agent, conversation_id)
    assert sla["targets"]["first_response"]["met_at"] and not sla["targets"]["first_response"]["breached"]
    assert abs((when(sla["due_at"]) - created).total_seconds() - 8 * HOUR) < 1  # now the resolution

    await send_and_ack(widget, "Спасибо, а когда привезут?")
    sla = await sla_of(agent, conversation_id)
    next_due = when(sla["targets"]["next_response"]["due_at"])
    assert abs((when(sla["due_at"]) - next_due).total_seconds()) < 0.01

    # Waiting for the customer pauses every clock; coming back resumes with the time left.
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "pending"}))
    paused = await sla_of(agent, conversation_id)
    assert paused["due_at"] is None and paused["targets"]["next_response"]["remaining_seconds"] > 2 * HOUR - 10
    await asyncio.sleep(1.2)
    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/status", {"status": "open"}))
    resumed = await sla_of(agent, conversation_id)
    assert when(resumed["targets"]["next_response"]["due_at"]) > next_due + timedelta(seconds=1)  # never shorter

    await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/resolve"))
    done = await sla_of(agent, conversation_id)
    assert done["due_at"] is None and all(t["met_at"] for t in done["targets"].values())
    await widget.close()


async def test_the_clock_counts_business_hours_only(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    moscow = ZoneInfo("Europe/Moscow")
    today = datetime.now(moscow).date()
    every_day = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await policy(admin, {"targets": {"normal": {"first_response": HOUR}},
                         "hours": {"timezone": "Europe/Moscow", "weekly": every_day, "holidays": [today.isoformat()]}})
    widget, conversation_id = await chat(server, tenant)
    due = when((await sla_of(agent, conversation_id))["due_at"])
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), moscow)
    assert due == (tomorrow + timedelta(hours=1)).astimezone(UTC)  # today is a holiday
    await widget.close()


async def test_a_breach_is_recorded_once_and_escalates(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    await policy(admin, {"targets": {"normal": {"first_response": 1}, "high": {"first_response": 1}},
                         "escalation": {"notify": True, "raise_priority": True}})
    console = await agent.socket()
    widget, conversation_id = await chat(server, tenant)
    breached = await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "sla.breached", timeout=10)
    assert breached["data"]["conversation_id"] == conversation_id and breached["data"]["target"] == "first_response"
    summary = (await agent.conversation(conversation_id))["conversation"]
    assert summary["priority"] == "high" and summary["sla"]["targets"]["first_response"]["breached"]

    listed = (await ok(await agent.get("/api/v1/conversations", sla="breached")))["conversations"]
    assert conversation_id in [c["id"] for c in listed]
    assert conversation_id not in [c["id"] for c in (await ok(await agent.get("/api/v1/conversations", sla="ok")))["conversations"]]
    await asyncio.sleep(1.5)  # the raised priority restarts nothing that was breached
    entries = (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    assert [e["new"] for e in entries if e["field"] == "sla.first_response"] == ["breached"]
    await answer(agent, conversation_id)
    met = (await sla_of(agent, conversation_id))["targets"]["first_response"]
    assert met["met_at"] and met["breached"]
    await widget.close()
    await console.close()


async def test_a_breach_timer_fires_once_after_a_restart(private_server: Server) -> None:
    tenant = await make_tenant(private_server.database_url)
    admin = await Agent.login(private_server.url, tenant.admin, tenant.password)
    await policy(admin, {"targets": {"normal": {"first_response": 2}}})
    widget, conversation_id = await chat(private_server, tenant)
    await widget.close()
    await admin.close()
    private_server.stop()
    await asyncio.sleep(2.5)  # due while nothing runs
    private_server.start()
    admin = await Agent.login(private_server.url, tenant.admin, tenant.password)

    async def breaches() -> list[dict[str, Any]]:
        entries = (await ok(await admin.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
        return [e for e in entries if e["field"] == "sla.first_response"]

    for _ in range(100):
        if await breaches():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)
    assert len(await breaches()) == 1
    await admin.close()


async def test_sorting_by_sla_puts_the_soonest_due_first(server: Server) -> None:
    tenant = await make_tenant(server.database_url)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    await policy(admin, {"targets": {"normal": {"first_response": HOUR}, "urgent": {"first_response": 60}}})
    made = []
    for i in range(3):
        widget, conversation_id = await chat(server, tenant, f"вопрос {i}")
        await widget.close()
        made.append(conversation_id)
    await ok(await admin.patch(f"/api/v1/conversations/{made[1]}", {"priority": "urgent"}))
    await answer(admin, made[2])  # met: no due time, last
    ordered = [c["id"] for c in (await ok(await admin.get("/api/v1/conversations", sort="sla")))["conversations"]]
    assert ordered == [made[1], made[0], made[2]]
    await admin.close()


async def test_postgresql_sorts_by_sla_and_waiting_from_an_index(backend: str, server: Server) -> None:
    """The SLA and waiting orders are expressions (coalesce with "never"); migration 0016
    indexes them as the list writes them, so a page is read in order instead of sorting every
    conversation of the account. With no usable index the plan would have a Sort."""
    if backend != "postgres":
        pytest.skip("SQLite sorts these without an index")
    tenant = await make_tenant(server.database_url)
    db = Database(server.database_url)
    try:
        async with db.read() as session:
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            for sort, index in (("sla", "ix_conversations_sla_order"), ("waiting", "ix_conversations_waiting_order")):
                key, _descending = sort_key(sort, "postgresql")
                page = (
                    select(Conversation.id)
                    .where(Conversation.account_id == tenant.account_id, Conversation.status.in_(["open", "pending"]))
                    .order_by(key, Conversation.id)
                    .limit(50)
                )
                sql = str(page.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}))
                plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
                assert f"Index Scan using {index}" in plan and "Sort" not in plan, plan
    finally:
        await db.dispose()
