"""Routing rules, their dry run, and assignment by teams: least-loaded and round-robin within
capacity and skills, the queue with its place and estimated wait, reassignment when an
assignee does not answer (docs/protocol.md, "Routing and assignment")."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.clients import Agent, Socket, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else {}


async def new_chat(server: Server, tenant: Tenant, body: str) -> tuple[Socket, dict[str, Any]]:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    return widget, await send_and_ack(widget, body)


async def eventually(check: Any, timeout: float = 8.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


LOANS_RULE = {
    "name": "Кредиты",
    "conditions": [{"field": "text", "op": "contains_words", "value": "кредит"}],
    "actions": [
        {"type": "set_priority", "value": "high"},
        {"type": "add_tags", "value": ["кредит"]},
        {"type": "auto_reply", "value": "Вы {{queue.position}}-й в очереди, ждать {{queue.wait}}."},
    ],
    "stop": True,
}


async def test_rules_are_validated_tested_and_kept_in_order(server: Server, admin: Agent, agent: Agent) -> None:
    team = await ok(await admin.post("/api/v1/teams", {"name": "Кредитный отдел"}), 201)
    rule = {**LOANS_RULE, "actions": [*LOANS_RULE["actions"], {"type": "set_team", "value": team["team"]["id"]}]}
    first = (await ok(await admin.post("/api/v1/routing/rules", rule), 201))["rule"]
    second = (await ok(await admin.post("/api/v1/routing/rules", {
        "name": "English", "conditions": [{"field": "language", "op": "is", "value": "en"}],
        "actions": [{"type": "add_tags", "value": ["english"]}],
    }), 201))["rule"]

    bad = await admin.post("/api/v1/routing/rules", {"name": "x", "conditions": [{"field": "text", "op": "regex", "value": "("}], "actions": [{"type": "add_tags", "value": ["a"]}]})
    assert bad.status_code == 422 and bad.json()["error"]["field"].startswith("rule.conditions.0")
    assert (await agent.post("/api/v1/routing/rules", rule)).status_code == 403
    assert [r["id"] for r in (await ok(await admin.get("/api/v1/routing/rules")))["rules"]] == [first["id"], second["id"]]

    # The dry run: which rules match, why, and what they would do — nothing stored.
    before = (await ok(await admin.get("/api/v1/conversations", status="all")))["conversations"]
    run = await ok(await admin.post("/api/v1/routing/test", {"channel": "web", "text": "Хочу оформить кредита побольше"}))
    assert run["matched_rule_ids"] == [first["id"]]
    assert run["effect"]["priority"] == "high" and run["effect"]["tags"] == ["кредит"]
    assert run["names"]["team"] == "Кредитный отдел"
    assert "кредита" in run["trace"][0]["conditions"][0]["reason"]
    assert run["trace"][1]["status"] == "not_reached"  # the first rule stops
    english = await ok(await admin.post("/api/v1/routing/test", {"text": "Where is my parcel?"}))
    assert english["matched_rule_ids"] == [second["id"]] and english["language"] is None
    assert (await ok(await admin.get("/api/v1/conversations", status="all")))["conversations"] == before
    refused = await admin.post("/api/v1/routing/test", {"channel": "pigeon", "text": "x"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "channel"

    # Reorder, then delete.
    reordered = await ok(await admin.put("/api/v1/routing/order", {"ids": [second["id"], first["id"]]}))
    assert [r["id"] for r in reordered["rules"]] == [second["id"], first["id"]]
    assert (await admin.put("/api/v1/routing/order", {"ids": [first["id"]]})).status_code == 422
    await ok(await admin.delete(f"/api/v1/routing/rules/{second['id']}"), 204)
    assert [r["id"] for r in (await ok(await admin.get("/api/v1/routing/rules")))["rules"]] == [first["id"]]


async def test_a_new_conversation_is_routed_queued_and_told_its_place(server: Server) -> None:
    tenant = await make_tenant(server.database_url)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    team = (await ok(await admin.post("/api/v1/teams", {"name": "Кредиты", "member_ids": [agent.id]}), 201))["team"]
    await ok(await admin.patch(f"/api/v1/agents/{agent.id}", {"capacity": 1}))
    rule = {**LOANS_RULE, "actions": [*LOANS_RULE["actions"], {"type": "set_team", "value": team["id"]}]}
    await ok(await admin.post("/api/v1/routing/rules", rule), 201)
    console = await agent.socket()  # online: the team can give it conversations

    first_widget, first = await new_chat(server, tenant, "Нужен кредит на машину")
    conversation = (await agent.conversation(first["conversation_id"]))
    summary = conversation["conversation"]
    assert (summary["team"]["id"], summary["priority"], summary["tags"]) == (team["id"], "high", ["кредит"])
    assert summary["assignee"]["id"] == agent.id  # free, so assigned at once
    assert conversation["messages"][-1]["author"]["type"] == "bot"
    assert conversation["messages"][-1]["body"] == "Вы —-й в очереди, ждать —."  # not waiting

    # The agent is full now: the next customer waits, first in the queue, and is told so.
    second_widget, second = await new_chat(server, tenant, "А мне кредит на квартиру")
    queued = await second_widget.wait_for(lambda f: f["type"] == "queue")
    assert queued["conversation_id"] == second["conversation_id"] and queued["position"] == 1
    assert queued["wait_seconds"] == 300  # one slot, five minutes a conversation (no history yet)
    history = (await agent.conversation(second["conversation_id"]))["messages"]
    assert history[-1]["body"] == "Вы 1-й в очереди, ждать ~5 мин."
    third_visitor = Visitor(server.url, tenant.site_key)
    await third_visitor.start()
    third_widget = await third_visitor.socket()
    third = await send_and_ack(third_widget, "И мне кредит")
    assert (await third_widget.wait_for(lambda f: f["type"] == "queue"))["position"] == 2

    # The first is resolved: the queue moves; the second gets the agent, the third is first.
    await ok(await agent.post(f"/api/v1/conversations/{first['conversation_id']}/resolve"))
    moved = await second_widget.wait_for(lambda f: f["type"] == "queue" and f["position"] is None)
    assert moved["conversation_id"] == second["conversation_id"]
    assert (await third_widget.wait_for(lambda f: f["type"] == "queue" and f["position"] == 1))["wait_seconds"] is not None
    assert (await agent.conversation(second["conversation_id"]))["conversation"]["assignee"]["id"] == agent.id

    # A reconnecting customer learns its place again.
    await third_widget.close()
    third_widget = await third_visitor.socket(welcome=False)
    welcome = await third_widget.wait_for(lambda f: f["type"] == "welcome")
    assert third["conversation_id"] in [c["id"] for c in welcome["conversations"]]
    again = await third_widget.wait_for(lambda f: f["type"] == "queue")
    assert (again["conversation_id"], again["position"]) == (third["conversation_id"], 1)
    await third_widget.close()
    entries = (await ok(await agent.get(f"/api/v1/conversations/{first['conversation_id']}/audit")))["entries"]
    assert any(e["field"] == "routing" and e["new"] == "Кредиты" for e in entries)
    for sock in (first_widget, second_widget, console):
        await sock.close()
    for client in (admin, agent):
        await client.close()


async def test_least_loaded_and_round_robin_are_fair_within_capacity_and_skills(server: Server) -> None:
    tenant = await make_tenant(server.database_url, agents=3)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    agents = [await Agent.login(server.url, email, tenant.password) for email in tenant.agents]
    a, b, c = agents
    consoles = [await x.socket() for x in agents]
    team = (await ok(await admin.post("/api/v1/teams", {"name": "Все", "member_ids": [a.id, b.id], "assignment": "round_robin"}), 201))["team"]
    await ok(await admin.post("/api/v1/routing/rules", {"name": "всё", "actions": [{"type": "set_team", "value": team["id"]}]}), 201)

    async def assignee(body: str) -> int | None:
        widget, ack = await new_chat(server, tenant, body)
        await widget.close()
        summary = (await a.conversation(ack["conversation_id"]))["conversation"]
        return summary["assignee"]["id"] if summary["assignee"] else None

    assert [await assignee(f"вопрос {i}") for i in range(4)] == [a.id, b.id, a.id, b.id]

    # Least loaded, with c joining and a at capacity 2: c is given the next ones until even.
    await ok(await admin.patch(f"/api/v1/teams/{team['id']}", {"assignment": "least_loaded", "member_ids": [a.id, b.id, c.id]}))
    await ok(await admin.patch(f"/api/v1/agents/{a.id}", {"capacity": 2}))
    assert [await assignee(f"ещё {i}") for i in range(2)] == [c.id, c.id]
    assert await assignee("третий") == b.id  # b (2) and c (2) tie: lower id; a is full

    # Skills: only an English speaker gets English, and when none is free it waits.
    await ok(await admin.patch(f"/api/v1/agents/{c.id}", {"skills": {"languages": ["en"]}}))
    await ok(await admin.patch(f"/api/v1/agents/{b.id}", {"skills": {"languages": ["ru"]}}))
    await ok(await admin.patch(f"/api/v1/agents/{c.id}", {"capacity": 10}))
    assert await assignee("Where is my order, please?") == c.id
    bad = await admin.patch(f"/api/v1/agents/{c.id}", {"skills": {"languages": ["english"]}})
    assert bad.status_code == 422
    for wrong in ({"assignment": "random"}, {"reassign_after": -1}, {"reassign_after": 86_401}):
        refused = await admin.patch(f"/api/v1/teams/{team['id']}", wrong)
        assert refused.status_code == 422, (wrong, refused.text)
    [kept] = [t for t in (await ok(await admin.get("/api/v1/teams")))["teams"] if t["id"] == team["id"]]
    assert (kept["assignment"], kept["reassign_after"]) == ("least_loaded", 0)
    assert (await ok(await admin.get("/api/v1/agents")))["agents"]
    for sock in consoles:
        await sock.close()
    for client in (admin, *agents):
        await client.close()


async def test_an_assignee_who_does_not_answer_loses_the_conversation(server: Server) -> None:
    tenant = await make_tenant(server.database_url)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    first, second = [await Agent.login(server.url, email, tenant.password) for email in tenant.agents]
    team = (await ok(await admin.post("/api/v1/teams", {
        "name": "Быстрые", "member_ids": [first.id], "assignment": "round_robin", "reassign_after": 2,
    }), 201))["team"]
    await ok(await admin.post("/api/v1/routing/rules", {"name": "всё", "actions": [{"type": "set_team", "value": team["id"]}]}), 201)
    consoles = [await first.socket()]
    widget, ack = await new_chat(server, tenant, "Алло?")
    conversation_id = ack["conversation_id"]
    assert (await first.conversation(conversation_id))["conversation"]["assignee"]["id"] == first.id
    await ok(await admin.patch(f"/api/v1/teams/{team['id']}", {"member_ids": [first.id, second.id]}))
    consoles.append(await second.socket())

    async def handed_on() -> bool:
        summary = (await first.conversation(conversation_id))["conversation"]
        return summary["assignee"]["id"] == second.id and summary

    summary = await eventually(handed_on)
    assert summary and summary["transfer_count"] == 1
    entries = (await ok(await first.get(f"/api/v1/conversations/{conversation_id}/audit")))["entries"]
    assert any(e["field"] == "assignment" and e["new"] == "no answer in 2 s" for e in entries)

    # An answer stops the clock: the second keeps it.
    await second.post(f"/api/v1/conversations/{conversation_id}/messages", {"client_id": "answer-0001", "body": "Здравствуйте!"})
    await asyncio.sleep(3)
    assert (await first.conversation(conversation_id))["conversation"]["assignee"]["id"] == second.id
    await widget.close()
    for sock in consoles:
        await sock.close()
    for client in (admin, first, second):
        await client.close()
