"""SLA in the console: an admin makes a policy in the editor, a customer's conversation gets its
clock — the inbox row and the supervisors' monitor show the chip —, a breach alerts the
supervisors with a link to the conversation; and a team's assignment is set in the teams
admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page, eventually
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


async def conversation_of(server: Server, tenant: Tenant, body: str) -> int:
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        ack = await send_and_ack(socket, body)
        assert ack["type"] == "ack", ack
        await socket.close()
        return ack["conversation_id"]
    finally:
        await visitor.close()


async def test_a_policy_made_in_the_editor_puts_a_clock_on_the_inbox_row_and_the_monitor(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-sla").click()
    await admin.get_by_test_id("cn-sla-new").click()
    form = admin.get_by_test_id("cn-sla-form")
    await form.get_by_test_id("cn-sla-name").fill("Быстрая поддержка")
    await form.get_by_test_id("cn-sla-target-normal-first_response").fill("1")
    await expect(form.get_by_test_id("cn-sla-unit-normal-first_response")).to_have_value("min")
    await form.get_by_test_id("cn-sla-target-normal-resolution").fill("8")
    await form.get_by_test_id("cn-sla-unit-normal-resolution").select_option("h")
    await form.get_by_test_id("cn-sla-escalation-raise_priority").check()
    await form.get_by_test_id("cn-sla-save").click()
    await expect(form).to_have_count(0)
    card = admin.locator("[data-testid=cn-sla-policy][data-name='Быстрая поддержка']")
    await expect(card.locator("[data-testid=cn-sla-summary-row][data-priority=normal]")).to_contain_text("1 min")
    await expect(card.locator("[data-testid=cn-sla-summary-row][data-priority=normal]")).to_contain_text("8 h")

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        [policy] = (await ok(await api.get("/api/v1/sla-policies")))["policies"]
        assert policy["is_active"] and policy["rules"]["targets"] == {"normal": {"first_response": 60, "next_response": None, "resolution": 28800}}
        assert policy["rules"]["escalation"] == {"notify": True, "raise_priority": True, "reassign": False}
        assert policy["rules"]["hours"] is None and policy["rules"]["at_risk"] == 0.25

        conversation_id = await conversation_of(web_server, web_tenant, "Когда доставят заказ?")
        summary = (await api.conversation(conversation_id))["conversation"]
        assert summary["sla"]["policy_id"] == policy["id"] and summary["sla"]["due_at"]

    await admin.get_by_test_id("cn-nav-inbox").click()
    await admin.get_by_test_id("cn-tab-all").click()
    row = admin.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")
    chip = row.get_by_test_id("cn-sla")
    await expect(chip).to_be_visible()
    assert await chip.get_attribute("data-state") in ("ok", "at_risk")
    await expect(chip).to_have_attribute("title", re.compile(r"^(On time|At risk): .* left$"))

    await admin.get_by_test_id("cn-nav-monitor").click()
    monitored = admin.locator(f"[data-testid=cn-monitor-conv][data-id='{conversation_id}']")
    await expect(monitored.get_by_test_id("cn-monitor-sla").get_by_test_id("cn-sla")).to_be_visible()
    assert await monitored.get_by_test_id("cn-monitor-sla").get_attribute("data-state") in ("ok", "at_risk")


async def test_a_breach_alerts_the_supervisor_with_a_link_to_the_conversation(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        rules = {"targets": {"normal": {"first_response": 2}}, "escalation": {"notify": True}}
        await ok(await api.post("/api/v1/sla-policies", {"name": "Две секунды", "rules": rules}), 201)
        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        conversation_id = await conversation_of(web_server, web_tenant, "Ответьте, пожалуйста")
        number = (await api.conversation(conversation_id))["conversation"]["number"]

        toast = supervisor.get_by_test_id("cn-toast")
        await expect(toast).to_contain_text(f"#{number}: first response overdue")
        # "Open" goes to the conversation, whose chip is red now.
        await supervisor.get_by_test_id("cn-toast-action").click()
        await expect(supervisor.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
        row = supervisor.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")
        await expect(row.get_by_test_id("cn-sla")).to_have_attribute("data-state", "breached")
        # Agents are not alerted.
        await expect(agent.locator("[data-testid=cn-toast]", has_text="overdue")).to_have_count(0)


async def test_a_teams_assignment_and_reassign_time_are_set_in_the_teams_admin(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
        await admin.get_by_test_id("cn-nav-teams").click()
        new = admin.get_by_test_id("cn-team-form")
        await new.get_by_test_id("cn-team-name").fill("Кредиты")
        await expect(new.get_by_test_id("cn-team-assignment")).to_have_value("least_loaded")
        await new.get_by_test_id("cn-team-assignment").select_option("round_robin")
        await new.get_by_test_id("cn-team-reassign").fill("5")
        await new.get_by_test_id("cn-team-create").click()
        card = admin.locator("[data-testid=cn-team][data-name='Кредиты']")
        await expect(card.get_by_test_id("cn-team-assignment")).to_have_value("round_robin")

        async def stored() -> dict[str, Any]:
            [team] = (await ok(await api.get("/api/v1/teams")))["teams"]
            return team

        team = await stored()
        assert (team["assignment"], team["reassign_after"]) == ("round_robin", 300)

        # Changed on the card: manual, never handed on.
        await card.get_by_test_id("cn-team-assignment").select_option("manual")
        await card.get_by_test_id("cn-team-reassign").fill("0")
        await card.get_by_test_id("cn-team-save").click()
        await eventually(lambda: _team_is(stored, ("manual", 0)), what="the team's assignment stored")
        await expect(card.get_by_test_id("cn-team-save")).to_be_disabled()

        # A value out of range is refused before it is sent.
        await card.get_by_test_id("cn-team-reassign").fill("5000")
        await card.get_by_test_id("cn-team-save").click()
        await expect(card.locator("[data-testid=cn-field-error][data-field=reassign_after]")).to_be_visible()
        assert (await stored())["reassign_after"] == 0


async def _team_is(stored: Any, expected: tuple[str, int]) -> bool:
    team = await stored()
    return (team["assignment"], team["reassign_after"]) == expected
