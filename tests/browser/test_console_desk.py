"""The service desk in the console: a conversation's properties in the sidebar and its history
of changes, statuses with snooze and a final close, the list's filters and saved views, bulk
actions, SLA chips, and the admin's categories and custom fields used in a conversation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import update

from helpline.conversations.models import Conversation
from helpline.core.db import Database
from tests.browser.conftest import Browsing, agent_api, console_page, eventually
from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


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


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


async def stored(agent: Agent, conversation_id: int) -> dict[str, Any]:
    return (await agent.conversation(conversation_id))["conversation"]


def row(page: Page, conversation_id: int):
    return page.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")


async def shown_ids(page: Page) -> list[int]:
    return [int(i) for i in await page.get_by_test_id("cn-conv-row").evaluate_all("rows => rows.map(r => r.dataset.id)")]


async def expect_rows(page: Page, ids: list[int] | set[int]) -> None:
    """The list shows exactly these conversations (in any order)."""
    wanted = sorted(ids)
    await eventually(lambda: _sorted(page, wanted), what=f"rows {wanted}")


async def _sorted(page: Page, wanted: list[int]) -> bool:
    return sorted(await shown_ids(page)) == wanted


async def test_properties_are_set_in_the_sidebar_kept_and_listed_in_the_history(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.admin, web_tenant.password) as admin,
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent,
    ):
        delivery = (await ok(await admin.post("/api/v1/categories", {"name": "Доставка"}), 201))["category"]
        courier = (await ok(await admin.post("/api/v1/categories", {"name": "Курьер", "parent_id": delivery["id"]}), 201))["category"]
        await ok(await admin.post("/api/v1/custom-fields", {"key": "order_no", "label": "Заказ", "type": "number"}), 201)
        await ok(
            await admin.post(
                "/api/v1/custom-fields",
                {"key": "city", "label": "Город", "type": "select", "options": ["Москва", "Казань"], "required": True},
            ),
            201,
        )
        conversation_id = await conversation_of(web_server, web_tenant, "Где мой заказ?")
        number = (await stored(agent, conversation_id))["number"]

        page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await page.goto(f"{web_server.url}/console/all/{conversation_id}")
        await expect(page.get_by_test_id("cn-conv-number")).to_have_text(f"#{number}")
        props = page.get_by_test_id("cn-properties")
        await expect(props.get_by_test_id("cn-prop-priority")).to_have_value("normal")

        await props.get_by_test_id("cn-prop-priority").select_option("high")
        await props.get_by_test_id("cn-prop-category").select_option(label="Доставка › Курьер")
        tag_input = props.get_by_test_id("cn-prop-tag-input")
        await tag_input.fill("VIP")
        await tag_input.press("Enter")
        await expect(props.locator("[data-testid=cn-prop-tag][data-tag=vip]")).to_be_visible()
        await tag_input.fill("late")
        await tag_input.press("Enter")
        await expect(props.locator("[data-testid=cn-prop-tag][data-tag=late]")).to_be_visible()
        city = props.locator("[data-testid=cn-prop-field][data-key=city]")
        await expect(props.locator("label", has_text="Город").get_by_test_id("cn-prop-required")).to_be_visible()
        await city.get_by_test_id("cn-prop-field-input").select_option("Казань")
        order = props.locator("[data-testid=cn-prop-field][data-key=order_no]").get_by_test_id("cn-prop-field-input")
        await order.fill("1042")
        await order.press("Enter")

        async def saved() -> bool:
            c = await stored(agent, conversation_id)
            return (c["priority"], c["category_id"], c["tags"], c["fields"]) == (
                "high", courier["id"], ["vip", "late"], {"city": "Казань", "order_no": 1042}
            )

        await eventually(saved, what="the properties stored")

        # A value the server refuses is shown by its field; nothing changes. (First the console
        # shows what was stored: a stored value arriving later replaces what is being typed.)
        await expect(order).to_have_value("1042")
        await order.fill("10000000000000000")
        await order.press("Enter")
        error = props.locator("[data-testid=cn-field-error][data-field='fields.order_no']")
        await expect(error).to_contain_text("a number")
        assert (await stored(agent, conversation_id))["fields"] == {"city": "Казань", "order_no": 1042}

        await props.locator("[data-testid=cn-prop-tag][data-tag=late]").get_by_test_id("cn-prop-tag-remove").click()
        await expect(props.locator("[data-testid=cn-prop-tag][data-tag=late]")).to_have_count(0)

        # After a reload everything is as stored.
        await page.reload()
        props = page.get_by_test_id("cn-properties")
        await expect(props.get_by_test_id("cn-prop-priority")).to_have_value("high")
        await expect(props.get_by_test_id("cn-prop-category")).to_have_value(str(courier["id"]))
        await expect(props.get_by_test_id("cn-prop-tag")).to_have_count(1)
        await expect(props.locator("[data-testid=cn-prop-tag][data-tag=vip]")).to_be_visible()
        await expect(props.locator("[data-testid=cn-prop-field][data-key=city]").get_by_test_id("cn-prop-field-input")).to_have_value("Казань")
        await expect(props.locator("[data-testid=cn-prop-field][data-key=order_no]").get_by_test_id("cn-prop-field-input")).to_have_value("1042")
        await expect(row(page, conversation_id).get_by_test_id("cn-row-priority")).to_have_text("High")
        await expect(row(page, conversation_id).locator("[data-testid=cn-row-tag][data-tag=vip]")).to_be_visible()

        # The history says who changed what, in words.
        await page.get_by_test_id("cn-side-tab-audit").click()
        audit = page.get_by_test_id("cn-audit")
        priority = audit.locator("[data-testid=cn-audit-entry][data-field=priority]")
        await expect(priority).to_contain_text("Agent1")
        await expect(priority.get_by_test_id("cn-audit-change")).to_have_text("Priority: Normal → High")
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field=category_id]")).to_contain_text("— → Доставка › Курьер")
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field='fields.city']")).to_contain_text("Город: — → Казань")
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field='fields.order_no']")).to_have_count(1)  # the refused one is not there
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field=tags]")).to_have_count(3)

        # Someone else's change arrives live, in the sidebar and in the history.
        await ok(await admin.patch(f"/api/v1/conversations/{conversation_id}", {"priority": "urgent"}))
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field=priority]").first).to_contain_text("High → Urgent")
        await expect(audit.locator("[data-testid=cn-audit-entry][data-field=priority]").first).to_contain_text("Admin")
        await page.get_by_test_id("cn-side-tab-details").click()
        await expect(page.get_by_test_id("cn-prop-priority")).to_have_value("urgent")
        await expect(row(page, conversation_id).get_by_test_id("cn-row-priority")).to_have_text("Urgent")


async def test_snooze_with_a_preset_then_wait_for_the_customer_then_close_for_good(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    conversation_id = await conversation_of(web_server, web_tenant, "Позвоните мне завтра")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await page.goto(f"{web_server.url}/console/all/{conversation_id}")
        status = page.get_by_test_id("cn-status")
        await expect(status).to_have_attribute("data-status", "open")

        before = datetime.now(UTC)
        await page.get_by_test_id("cn-status-menu").click()
        await page.get_by_test_id("cn-snooze-hour").click()
        await expect(status).to_have_attribute("data-status", "snoozed")
        await expect(page.get_by_test_id("cn-snoozed-until")).to_be_visible()
        until = datetime.fromisoformat((await stored(agent, conversation_id))["snoozed_until"].replace("Z", "+00:00"))
        assert timedelta(minutes=59) < until - before < timedelta(minutes=61)
        # The default list shows open conversations: a snoozed one leaves it.
        await expect(row(page, conversation_id)).to_have_count(0)

        await page.get_by_test_id("cn-status-menu").click()
        await page.get_by_test_id("cn-snooze-tomorrow").click()
        await expect(page.get_by_test_id("cn-snoozed-until")).to_contain_text("09:00")
        until = datetime.fromisoformat((await stored(agent, conversation_id))["snoozed_until"].replace("Z", "+00:00"))
        assert timedelta(hours=0) < until - datetime.now(UTC) <= timedelta(hours=33)

        await page.get_by_test_id("cn-status-menu").click()
        await page.get_by_test_id("cn-set-status-pending").click()
        await expect(status).to_have_attribute("data-status", "pending")
        await expect(status).to_have_text("Waiting for customer")

        # Closing is final, so it asks; "Cancel" leaves everything as it was.
        await page.get_by_test_id("cn-status-menu").click()
        await page.get_by_test_id("cn-set-status-closed").click()
        await page.get_by_test_id("cn-close-cancel").click()
        await expect(page.get_by_test_id("cn-close-dialog")).to_have_count(0)
        await expect(status).to_have_attribute("data-status", "pending")
        await page.get_by_test_id("cn-status-menu").click()
        await page.get_by_test_id("cn-set-status-closed").click()
        await page.get_by_test_id("cn-close-confirm").click()
        await expect(status).to_have_attribute("data-status", "closed")
        await expect(page.get_by_test_id("cn-status-menu")).to_have_count(0)
        await expect(page.get_by_test_id("cn-resolve")).to_have_count(0)
        await expect(page.get_by_test_id("cn-reopen")).to_have_count(0)
        assert (await stored(agent, conversation_id))["status"] == "closed"

        await page.get_by_test_id("cn-side-tab-audit").click()
        statuses = page.locator("[data-testid=cn-audit-entry][data-field=status]")
        await expect(statuses).to_have_count(3)
        await expect(statuses.first).to_contain_text("Waiting for customer → Closed")


async def test_filters_narrow_the_list_and_a_saved_view_brings_them_back_after_a_reload(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    urgent_vip = await conversation_of(web_server, web_tenant, "Срочно, я VIP")
    high = await conversation_of(web_server, web_tenant, "Важный вопрос")
    plain_vip = await conversation_of(web_server, web_tenant, "Обычный вопрос")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await ok(await agent.patch(f"/api/v1/conversations/{urgent_vip}", {"priority": "urgent", "tags": ["vip"]}))
        await ok(await agent.patch(f"/api/v1/conversations/{high}", {"priority": "high"}))
        await ok(await agent.patch(f"/api/v1/conversations/{plain_vip}", {"tags": ["vip"]}))

        page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await page.get_by_test_id("cn-tab-all").click()
        await expect_rows(page, {urgent_vip, high, plain_vip})
        await expect(row(page, urgent_vip).get_by_test_id("cn-row-priority")).to_have_attribute("data-priority", "urgent")
        await expect(row(page, plain_vip).get_by_test_id("cn-row-priority")).to_have_count(0)

        await page.get_by_test_id("cn-filters-toggle").click()
        panel = page.get_by_test_id("cn-filter-panel")
        await panel.get_by_test_id("cn-filter-priority-urgent").check()
        await panel.get_by_test_id("cn-filter-priority-high").check()
        await expect_rows(page, {urgent_vip, high})
        tag = panel.get_by_test_id("cn-filter-tag-input")
        await tag.fill("VIP")
        await tag.press("Enter")
        await expect(panel.locator("[data-testid=cn-filter-tag][data-tag=vip]")).to_be_visible()
        await expect_rows(page, {urgent_vip})
        await expect(page.get_by_test_id("cn-filters-count")).to_have_text("2")

        # A new conversation comes in: it is shown only once it matches.
        newcomer = await conversation_of(web_server, web_tenant, "Новый вопрос")
        await ok(await agent.patch(f"/api/v1/conversations/{newcomer}", {"priority": "low"}))
        await page.wait_for_timeout(500)
        await expect_rows(page, {urgent_vip})
        await ok(await agent.patch(f"/api/v1/conversations/{newcomer}", {"priority": "high", "tags": ["vip", "new"]}))
        await expect_rows(page, {urgent_vip, newcomer})
        await ok(await agent.patch(f"/api/v1/conversations/{urgent_vip}", {"remove_tags": ["vip"]}))
        await expect_rows(page, {newcomer})
        await ok(await agent.patch(f"/api/v1/conversations/{urgent_vip}", {"add_tags": ["vip"]}))
        await expect_rows(page, {urgent_vip, newcomer})

        # The order: by number, highest first.
        await page.get_by_test_id("cn-sort").select_option("number")
        await eventually(lambda: _in_order(page, [newcomer, urgent_vip]), what="rows by number")

        await page.get_by_test_id("cn-view-save").click()
        dialog = page.get_by_test_id("cn-view-dialog")
        await expect(dialog.get_by_test_id("cn-view-shared")).to_have_count(0)  # agents do not share
        await dialog.get_by_test_id("cn-view-name").fill("Срочные VIP")
        await dialog.get_by_test_id("cn-view-submit").click()
        await expect(dialog).to_have_count(0)
        views = (await ok(await agent.get("/api/v1/views")))["views"]
        assert [(v["name"], v["shared"]) for v in views] == [("Срочные VIP", False)]
        assert views[0]["filters"] == {"priority": ["urgent", "high"], "tag": ["vip"], "sort": "number"}

        await page.get_by_test_id("cn-filter-reset").click()
        await expect_rows(page, {urgent_vip, high, plain_vip, newcomer})
        await page.reload()
        await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
        await expect_rows(page, {urgent_vip, high, plain_vip, newcomer})
        await page.get_by_test_id("cn-views").select_option(label="Срочные VIP")
        await expect_rows(page, {urgent_vip, newcomer})
        await expect(page.get_by_test_id("cn-filters-count")).to_have_text("2")
        await expect(page.get_by_test_id("cn-sort")).to_have_value("number")

        # A filter the console cannot judge by itself (the search) is the server's to answer;
        # whatever it says, the list says so instead of breaking.
        search = page.get_by_test_id("cn-search")
        await search.fill("вопрос")
        await search.press("Enter")
        await expect(page.get_by_test_id("cn-list").locator("[data-testid=cn-conv-row], [data-testid=cn-list-error], .cn-list-empty").first).to_be_visible()
        await search.fill("")
        await search.press("Enter")
        await expect_rows(page, {urgent_vip, newcomer})

        await page.get_by_test_id("cn-view-delete").click()
        await page.get_by_test_id("cn-view-delete-confirm").click()
        await eventually(lambda: _no_views(agent), what="the view deleted")
        assert not browsing.page_errors, browsing.page_errors


async def _in_order(page: Page, ids: list[int]) -> bool:
    return await shown_ids(page) == ids


async def _no_views(agent: Agent) -> bool:
    return (await ok(await agent.get("/api/v1/views")))["views"] == []


async def test_a_supervisor_shares_a_view_that_agents_see_marked_as_shared(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
    await supervisor.get_by_test_id("cn-tab-unassigned").click()
    await supervisor.get_by_test_id("cn-view-save").click()
    dialog = supervisor.get_by_test_id("cn-view-dialog")
    await dialog.get_by_test_id("cn-view-name").fill("Без ответа")
    await dialog.get_by_test_id("cn-view-shared").check()
    await dialog.get_by_test_id("cn-view-submit").click()
    await expect(dialog).to_have_count(0)

    agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await agent.get_by_test_id("cn-tab-all").click()
    option = agent.get_by_test_id("cn-views").locator("option[data-shared=true]")
    await expect(option).to_have_text("Без ответа · shared")
    await agent.get_by_test_id("cn-views").select_option(label="Без ответа · shared")
    await expect(agent.get_by_test_id("cn-tab-unassigned")).to_have_attribute("aria-selected", "true")
    await expect(agent.get_by_test_id("cn-view-delete")).to_have_count(0)  # not the agent's to delete


async def test_bulk_actions_tag_two_conversations_and_clear_the_selection(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    first = await conversation_of(web_server, web_tenant, "Первый")
    second = await conversation_of(web_server, web_tenant, "Второй")
    third = await conversation_of(web_server, web_tenant, "Третий")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await page.get_by_test_id("cn-tab-all").click()
        await expect_rows(page, {first, second, third})
        await expect(page.get_by_test_id("cn-bulk-bar")).to_have_count(0)

        for conversation_id in (first, second):
            await page.locator(f"[data-testid=cn-row-check][data-id='{conversation_id}']").check()
        bar = page.get_by_test_id("cn-bulk-bar")
        await expect(bar.get_by_test_id("cn-bulk-count")).to_have_attribute("data-count", "2")
        await bar.get_by_test_id("cn-bulk-tag").fill("Wave")
        await bar.get_by_test_id("cn-bulk-add-tag").click()
        await expect(page.get_by_test_id("cn-toast")).to_contain_text("2 conversations updated")
        await expect(bar).to_have_count(0)  # the selection is cleared
        for conversation_id in (first, second):
            await expect(row(page, conversation_id).locator("[data-testid=cn-row-tag][data-tag=wave]")).to_be_visible()
        await expect(row(page, third).get_by_test_id("cn-row-tag")).to_have_count(0)
        assert [(await stored(agent, i))["tags"] for i in (first, second, third)] == [["wave"], ["wave"], []]

        # Everything on the page at once: priority, then assigned to me.
        await page.get_by_test_id("cn-select-all").check()
        await expect(page.get_by_test_id("cn-bulk-count")).to_have_attribute("data-count", "3")
        await page.get_by_test_id("cn-bulk-priority").select_option("urgent")
        await expect(page.get_by_test_id("cn-bulk-bar")).to_have_count(0)
        await expect(page.locator("[data-testid=cn-row-priority][data-priority=urgent]")).to_have_count(3)
        await page.get_by_test_id("cn-select-all").check()
        await page.get_by_test_id("cn-bulk-assign-me").click()
        await expect(page.get_by_test_id("cn-bulk-bar")).to_have_count(0)
        await eventually(lambda: _all_mine(agent, [first, second, third]), what="all assigned")

        # A refusal (a tag the server does not accept) changes nothing and keeps the selection.
        await page.locator(f"[data-testid=cn-row-check][data-id='{third}']").check()
        await page.get_by_test_id("cn-bulk-tag").fill("<script>")
        await page.get_by_test_id("cn-bulk-add-tag").click()
        await expect(page.get_by_test_id("cn-toast")).to_contain_text("Nothing changed")
        await expect(page.get_by_test_id("cn-bulk-count")).to_have_attribute("data-count", "1")
        assert (await stored(agent, third))["tags"] == []


async def _all_mine(agent: Agent, ids: list[int]) -> bool:
    assignees = [(await stored(agent, i))["assignee"] for i in ids]
    return all(assignee and assignee["id"] == agent.id for assignee in assignees)


async def set_sla(server: Server, conversation_id: int, *, warn_at: datetime | None, due_at: datetime | None) -> None:
    """Gives a conversation an SLA clock as the SLA engine will (its columns, written directly:
    the engine that sets them is not built yet; the console only reads them)."""
    db = Database(server.database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(
                    sla={"first_response": {"target_seconds": 3600, "due_at": due_at.isoformat() if due_at else None}},
                    sla_warn_at=warn_at,
                    sla_due_at=due_at,
                )
            )
    finally:
        await db.dispose()


async def test_sla_chips_are_coloured_by_the_clock_and_the_list_sorts_by_due_time(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    now = datetime.now(UTC)
    on_time = await conversation_of(web_server, web_tenant, "Есть время")
    at_risk = await conversation_of(web_server, web_tenant, "Скоро срок")
    breached = await conversation_of(web_server, web_tenant, "Срок прошёл")
    soon = await conversation_of(web_server, web_tenant, "Срок через минуту")
    none = await conversation_of(web_server, web_tenant, "Без SLA")
    await set_sla(web_server, on_time, warn_at=now + timedelta(hours=1), due_at=now + timedelta(hours=2))
    await set_sla(web_server, at_risk, warn_at=now - timedelta(minutes=5), due_at=now + timedelta(minutes=10))
    await set_sla(web_server, breached, warn_at=now - timedelta(hours=1), due_at=now - timedelta(minutes=20))
    await set_sla(web_server, soon, warn_at=now + timedelta(seconds=20), due_at=now + timedelta(seconds=50))

    context = await browsing.context(locale="en-US")
    page = await context.new_page()
    await page.clock.install()  # the chips are re-coloured by timers: this clock can be moved on
    await page.goto(web_server.url + "/console/")
    await page.get_by_test_id("cn-login-email").fill(web_tenant.agents[0])
    await page.get_by_test_id("cn-login-password").fill(web_tenant.password)
    await page.get_by_test_id("cn-login-submit").click()
    await page.get_by_test_id("cn-tab-all").click()
    await expect_rows(page, {on_time, at_risk, breached, soon, none})

    chip = lambda conversation_id: row(page, conversation_id).get_by_test_id("cn-sla")  # noqa: E731
    await expect(chip(on_time)).to_have_attribute("data-state", "ok")
    await expect(chip(on_time)).to_have_text(re.compile(r"^1 h 5\d min$|^2 h$"))
    await expect(chip(on_time)).to_have_attribute("title", re.compile(r"^On time: .* left$"))
    await expect(chip(at_risk)).to_have_attribute("data-state", "at_risk")
    await expect(chip(breached)).to_have_attribute("data-state", "breached")
    await expect(chip(breached)).to_have_text(re.compile(r"^−2\d min$"))
    await expect(chip(breached)).to_have_attribute("title", re.compile(r"^Breached: overdue 2\d min$"))
    await expect(chip(soon)).to_have_attribute("data-state", "ok")
    await expect(chip(none)).to_have_count(0)

    # Time passes: the list looks again every 30 s.
    await page.clock.fast_forward("00:35")
    await expect(chip(soon)).to_have_attribute("data-state", "at_risk")
    await page.clock.fast_forward("00:35")
    await expect(chip(soon)).to_have_attribute("data-state", "breached")

    # Soonest due first; conversations without a running target last.
    await page.get_by_test_id("cn-sort").select_option("sla")
    await eventually(lambda: _in_order(page, [breached, soon, at_risk, on_time, none]), what="rows by due time")
    # And the SLA filter: only the breached ones.
    await page.get_by_test_id("cn-filters-toggle").click()
    await page.get_by_test_id("cn-filter-sla-breached").check()
    await expect_rows(page, {breached, soon})


async def test_admin_adds_a_subcategory_and_a_select_field_that_an_agent_then_uses(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    conversation_id = await conversation_of(web_server, web_tenant, "Не прошла оплата картой")
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-categories").click()
    form = admin.get_by_test_id("cn-category-form")
    for name, parent in (("Оплата", None), ("Возврат", "Оплата"), ("Карта", "Оплата")):
        await form.get_by_test_id("cn-category-name").fill(name)
        await form.get_by_test_id("cn-category-parent").select_option(label=parent or "— Top level —")
        await form.get_by_test_id("cn-category-create").click()
        await expect(admin.locator(f"[data-testid=cn-category][data-name='{name}']")).to_be_visible()
    payment = admin.locator("[data-testid=cn-category][data-name='Оплата']")
    payment_id = await payment.get_attribute("data-id")
    card = admin.locator("[data-testid=cn-category][data-name='Карта']")
    await expect(card).to_have_attribute("data-parent-id", str(payment_id))
    # The same name twice under one parent is refused by its field.
    await form.get_by_test_id("cn-category-name").fill("Карта")
    await form.get_by_test_id("cn-category-parent").select_option(label="Оплата")
    await form.get_by_test_id("cn-category-create").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field=name]")).to_be_visible()

    names = lambda: admin.get_by_test_id("cn-category").evaluate_all("rows => rows.map(r => r.dataset.name)")  # noqa: E731
    assert await names() == ["Оплата", "Возврат", "Карта"]
    await card.get_by_test_id("cn-category-up").click()
    await eventually(lambda: _equals(names(), ["Оплата", "Карта", "Возврат"]), what="Карта moved up")
    # Archived categories stay in the tree, but cannot be chosen for a conversation.
    await admin.locator("[data-testid=cn-category][data-name='Возврат']").get_by_test_id("cn-category-archive").click()
    await expect(admin.locator("[data-testid=cn-category][data-name='Возврат']")).to_have_attribute("data-active", "false")
    await card.get_by_test_id("cn-category-rename").fill("Банковская карта")
    await card.get_by_test_id("cn-category-rename").press("Enter")
    card = admin.locator("[data-testid=cn-category][data-name='Банковская карта']")
    await expect(card).to_have_attribute("data-parent-id", str(payment_id))
    card_id = int(await card.get_attribute("data-id") or 0)

    await admin.get_by_test_id("cn-subnav-fields").click()
    field_form = admin.get_by_test_id("cn-field-form")
    await field_form.get_by_test_id("cn-field-label").fill("Тариф")
    await field_form.get_by_test_id("cn-field-key").fill("Plan")
    await field_form.get_by_test_id("cn-field-type").select_option("select")
    await field_form.get_by_test_id("cn-field-options").fill("basic\npro\n")
    await field_form.get_by_test_id("cn-field-create").click()
    await expect(field_form.locator("[data-testid=cn-field-error][data-field=key]")).to_be_visible()  # not a key
    await field_form.get_by_test_id("cn-field-key").fill("plan")
    await field_form.get_by_test_id("cn-field-create").click()
    plan = admin.locator("[data-testid=cn-field][data-key=plan]")
    await expect(plan).to_have_attribute("data-type", "select")
    # The card shows what was stored before it is edited (a re-render after the create would
    # otherwise put back the stored values over what the test typed); then what was typed is
    # there when Save is pressed.
    await expect(plan.get_by_test_id("cn-field-edit-options")).to_have_value("basic\npro")
    await plan.get_by_test_id("cn-field-edit-options").fill("basic\npro\nenterprise")
    await plan.get_by_test_id("cn-field-edit-required").check()
    await expect(plan.get_by_test_id("cn-field-edit-options")).to_have_value("basic\npro\nenterprise")
    await expect(plan.get_by_test_id("cn-field-edit-required")).to_be_checked()
    await plan.get_by_test_id("cn-field-save").click()
    await expect(plan.get_by_test_id("cn-field-save")).to_be_disabled()

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:

        async def field_saved() -> bool:  # the button may be disabled while the save is in flight
            fields = (await ok(await api.get("/api/v1/custom-fields")))["fields"]
            return [(f["key"], f["options"], f["required"]) for f in fields] == [("plan", ["basic", "pro", "enterprise"], True)]

        await eventually(field_saved, what="the field's options and required flag stored")

        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await agent.goto(f"{web_server.url}/console/all/{conversation_id}")
        props = agent.get_by_test_id("cn-properties")
        category = props.get_by_test_id("cn-prop-category")
        await expect(category.locator("option")).to_have_text(["— No category —", "Оплата", "Оплата › Банковская карта"])
        await category.select_option(label="Оплата › Банковская карта")
        plan_input = props.locator("[data-testid=cn-prop-field][data-key=plan]").get_by_test_id("cn-prop-field-input")
        await plan_input.select_option("enterprise")

        async def used() -> bool:
            c = await stored(api, conversation_id)
            return c["category_id"] == card_id and c["fields"] == {"plan": "enterprise"}

        await eventually(used, what="the category and field stored")
        # The list filters by the parent category and takes in its subcategories.
        await agent.get_by_test_id("cn-filters-toggle").click()
        await agent.get_by_test_id("cn-filter-category").select_option(label="Оплата")
        await expect_rows(agent, {conversation_id})

    # The general settings: resolved conversations close after this many days.
    await admin.get_by_test_id("cn-subnav-settings").click()
    days = admin.get_by_test_id("cn-close-after-days")
    await expect(days).to_have_value("7")
    await days.fill("400")
    await admin.get_by_test_id("cn-account-save").click()
    await expect(admin.locator("[data-testid=cn-field-error][data-field=close_after_days]")).to_be_visible()
    await days.fill("3")
    await admin.get_by_test_id("cn-account-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_be_visible()
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        assert (await ok(await api.get("/api/v1/account/settings")))["settings"]["close_after_days"] == 3


async def _equals(value: Any, wanted: Any) -> bool:
    return await value == wanted
