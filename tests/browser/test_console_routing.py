"""Routing rules in the console: an admin makes a rule in the editor, tries it on a message
with "Test a message" (each rule's status and each condition's reason), and a real customer's
message is then routed by it; rules are reordered; a refused condition shows its reason next
to itself."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

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


async def open_routing(page: Page) -> None:
    await page.get_by_test_id("cn-nav-settings").click()
    await page.get_by_test_id("cn-subnav-routing").click()
    await expect(page.get_by_test_id("cn-routing")).to_be_visible()


def rule(page: Page, name: str):  # noqa: ANN201 - a Locator
    return page.locator(f"[data-testid=cn-rule][data-name='{name}']")


async def expect_order(page: Page, names: list[str]) -> None:
    """The list shows these rules, in this order."""

    async def shown() -> bool:
        return await page.get_by_test_id("cn-rule").evaluate_all("rules => rules.map(r => r.dataset.name)") == names

    await eventually(shown, what=f"the rules in the order {names}")


async def test_a_rule_made_in_the_editor_is_tried_on_a_message_then_routes_a_customer(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await open_routing(admin)
    await admin.get_by_test_id("cn-rule-new").click()
    form = admin.get_by_test_id("cn-rule-form")
    await form.get_by_test_id("cn-rule-name").fill("Кредиты")
    condition = form.get_by_test_id("cn-condition").nth(0)
    await expect(condition.get_by_test_id("cn-condition-field")).to_have_value("text")
    await condition.get_by_test_id("cn-condition-op").select_option("contains_words")
    await condition.get_by_test_id("cn-condition-value").fill("кредит")
    first = form.get_by_test_id("cn-action").nth(0)
    await first.get_by_test_id("cn-action-type").select_option("set_priority")
    await first.get_by_test_id("cn-action-value").select_option("high")
    await form.get_by_test_id("cn-action-add").click()
    second = form.get_by_test_id("cn-action").nth(1)
    await second.get_by_test_id("cn-action-type").select_option("add_tags")
    await second.get_by_test_id("cn-action-value").fill("кредит")
    await form.get_by_test_id("cn-rule-save").click()
    await expect(form).to_have_count(0)
    saved = rule(admin, "Кредиты")
    await expect(saved).to_have_attribute("data-enabled", "true")
    await expect(saved.get_by_test_id("cn-rule-summary")).to_contain_text("кредит")
    await expect(saved.get_by_test_id("cn-rule-summary")).to_contain_text("Priority: High")

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        [stored] = (await ok(await api.get("/api/v1/routing/rules")))["rules"]
    assert stored["name"] == "Кредиты" and stored["match"] == "all"
    assert stored["conditions"] == [{"field": "text", "op": "contains_words", "value": "кредит", "negate": False}]
    assert stored["actions"] == [{"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["кредит"]}]

    # The dry run: «кредита» is «кредит» in another case; the panel says so and what would happen.
    panel = admin.get_by_test_id("cn-routing-test")
    await panel.get_by_test_id("cn-test-text").fill("Хочу кредита")
    await panel.get_by_test_id("cn-test-run").click()
    traced = panel.locator(f"[data-testid=cn-test-rule][data-rule-id='{stored['id']}']")
    await expect(traced).to_have_attribute("data-status", "matched")
    await expect(traced.get_by_test_id("cn-test-status")).to_have_text("matched")
    reason = traced.get_by_test_id("cn-test-condition")
    await expect(reason).to_have_attribute("data-matched", "true")
    await expect(reason.get_by_test_id("cn-test-condition-reason")).to_contain_text("«кредит» (as «кредита»)")
    effect = panel.get_by_test_id("cn-test-effect")
    await expect(effect.locator("[data-testid=cn-test-effect-item][data-key=priority]")).to_have_text("High")
    await expect(effect.locator("[data-testid=cn-test-effect-item][data-key=tags]")).to_have_text("кредит")

    # Another message does not match, and the reason says which word is missing.
    await panel.get_by_test_id("cn-test-text").fill("Где мой заказ?")
    await panel.get_by_test_id("cn-test-run").click()
    await expect(traced).to_have_attribute("data-status", "not_matched")
    await expect(traced.get_by_test_id("cn-test-condition-reason")).to_contain_text("does not contain «кредит»")
    await expect(panel.get_by_test_id("cn-test-effect")).to_contain_text("No rule matches")

    # A real customer: the new conversation arrives routed.
    conversation_id = await conversation_of(web_server, web_tenant, "нужен кредит")
    await admin.get_by_test_id("cn-nav-inbox").click()
    await admin.get_by_test_id("cn-tab-all").click()
    row = admin.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")
    await expect(row).to_have_attribute("data-priority", "high")
    await expect(row.locator("[data-testid=cn-row-tag][data-tag=кредит]")).to_be_visible()
    await row.click()
    props = admin.get_by_test_id("cn-properties")
    await expect(props.get_by_test_id("cn-prop-priority")).to_have_value("high")
    await expect(props.locator("[data-testid=cn-prop-tag][data-tag=кредит]")).to_be_visible()
    await admin.get_by_test_id("cn-side-tab-audit").click()
    await expect(admin.locator("[data-testid=cn-audit-entry][data-field=routing]")).to_contain_text("Кредиты")


async def test_rules_are_reordered_with_the_arrows_and_switched_off_in_place(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        for name in ("Первое", "Второе"):
            await ok(await api.post("/api/v1/routing/rules", {"name": name, "actions": [{"type": "add_tags", "value": [name.lower()]}]}), 201)

        admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
        await open_routing(admin)
        names = admin.get_by_test_id("cn-rule")
        await expect(names).to_have_count(2)
        await expect_order(admin, ["Первое", "Второе"])
        await expect(rule(admin, "Первое").get_by_test_id("cn-rule-up")).to_be_disabled()

        await rule(admin, "Первое").get_by_test_id("cn-rule-down").click()

        async def reordered() -> bool:
            return [r["name"] for r in (await ok(await api.get("/api/v1/routing/rules")))["rules"]] == ["Второе", "Первое"]

        await eventually(reordered, what="the new order stored")
        await expect_order(admin, ["Второе", "Первое"])

        # The switch turns a rule off without opening it; the order stays after a reload.
        await rule(admin, "Первое").get_by_test_id("cn-rule-enabled").uncheck()
        await expect(rule(admin, "Первое")).to_have_attribute("data-enabled", "false")
        await admin.reload()
        await expect(names).to_have_count(2)
        await expect_order(admin, ["Второе", "Первое"])
        await expect(rule(admin, "Первое").get_by_test_id("cn-rule-enabled")).not_to_be_checked()
        [second, first] = (await ok(await api.get("/api/v1/routing/rules")))["rules"]
        assert second["enabled"] is True and first["enabled"] is False

        # The dry run says a switched-off rule was skipped.
        panel = admin.get_by_test_id("cn-routing-test")
        await panel.get_by_test_id("cn-test-text").fill("Любой вопрос")
        await panel.get_by_test_id("cn-test-run").click()
        await expect(panel.locator(f"[data-testid=cn-test-rule][data-rule-id='{first['id']}']")).to_have_attribute("data-status", "disabled")
        await expect(panel.locator(f"[data-testid=cn-test-rule][data-rule-id='{second['id']}']")).to_have_attribute("data-status", "matched")

        # Dragged onto the rule above it, a rule goes before it.
        await rule(admin, "Первое").drag_to(rule(admin, "Второе"))
        await expect_order(admin, ["Первое", "Второе"])

        async def dragged() -> bool:
            return [r["name"] for r in (await ok(await api.get("/api/v1/routing/rules")))["rules"]] == ["Первое", "Второе"]

        await eventually(dragged, what="the dragged order stored")


async def test_an_invalid_regular_expression_is_refused_next_to_its_condition(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await open_routing(admin)
    await admin.get_by_test_id("cn-rule-new").click()
    form = admin.get_by_test_id("cn-rule-form")
    await form.get_by_test_id("cn-rule-name").fill("Номер заказа")
    await form.get_by_test_id("cn-condition").nth(0).get_by_test_id("cn-condition-value").fill("заказ")
    await form.get_by_test_id("cn-condition-add").click()
    second = form.get_by_test_id("cn-condition").nth(1)
    await second.get_by_test_id("cn-condition-op").select_option("regex")
    await second.get_by_test_id("cn-condition-value").fill("заказ (\\d+")
    await form.get_by_test_id("cn-rule-save").click()

    error = second.locator("[data-testid=cn-field-error][data-field='rule.conditions.1']")
    await expect(error).to_contain_text("invalid regular expression")
    await expect(form.get_by_test_id("cn-condition").nth(0).get_by_test_id("cn-field-error")).to_have_count(0)
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        assert (await ok(await api.get("/api/v1/routing/rules")))["rules"] == []

    # Fixed, it saves; the error goes as soon as the condition is edited.
    await second.get_by_test_id("cn-condition-value").fill("заказ (\\d+)")
    await expect(error).to_have_count(0)
    await form.get_by_test_id("cn-rule-save").click()
    await expect(rule(admin, "Номер заказа")).to_be_visible()
