"""Agent status in the console: the header's switch, what other agents see of it, auto-away
after idle minutes, and the admin changing an agent's capacity and role."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_login, console_page
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


def team_row(page: Page, agent_id: int):
    return page.locator(f"[data-testid=cn-team-agent][data-id='{agent_id}']")


async def test_switching_to_away_shows_in_the_other_agents_console(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna_api:
        anna_id = anna_api.id
    anna = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    boris = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)

    status = anna.get_by_test_id("cn-my-status")
    await expect(status).to_have_value("online")
    await expect(team_row(boris, anna_id)).to_have_attribute("data-status", "online")

    await status.select_option("away")
    await expect(anna.get_by_test_id("cn-my-status-wrap")).to_have_attribute("data-status", "away")
    await expect(team_row(boris, anna_id)).to_have_attribute("data-status", "away")
    await expect(team_row(anna, anna_id)).to_have_attribute("data-status", "away")

    # A chosen "away" is not ended by moving the mouse: only an automatic one is.
    await anna.mouse.move(200, 200)
    await anna.mouse.move(300, 260)
    await anna.keyboard.press("Shift")
    await anna.wait_for_timeout(500)
    await expect(status).to_have_value("away")

    await status.select_option("online")
    await expect(team_row(boris, anna_id)).to_have_attribute("data-status", "online")

    # Logging out of her only session makes her offline for the others at once.
    await anna.get_by_test_id("cn-logout").click()
    await expect(team_row(boris, anna_id)).to_have_attribute("data-status", "offline")


async def test_idle_minutes_send_the_agent_away_and_input_brings_them_back(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna_api:
        me = (await anna_api.get("/api/v1/me")).json()
        minutes = me["account"]["settings"]["auto_away_minutes"]
        assert minutes > 0
    context = await browsing.context(locale="en-US")
    anna = await context.new_page()
    await anna.clock.install()
    await anna.goto(web_server.url + "/console/")
    await console_login(anna, web_tenant.agents[0], web_tenant.password)
    await expect(anna.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    status = anna.get_by_test_id("cn-my-status")
    await expect(status).to_have_value("online")

    await anna.clock.fast_forward((minutes - 1) * 60_000)
    await anna.clock.fast_forward(20_000)
    await expect(status).to_have_value("online")  # not idle long enough yet
    await anna.clock.fast_forward(60_000)
    await expect(status).to_have_value("away")
    await expect(anna.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")

    await anna.mouse.move(150, 150)
    await anna.mouse.move(250, 250)
    await expect(status).to_have_value("online")
    async with agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris:
        agents = (await boris.get("/api/v1/agents")).json()["agents"]
        assert {a["id"]: a["status"] for a in agents}[anna_api.id] == "online"


async def test_the_admin_changes_capacity_and_role_and_sees_load(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris_api:
        boris_id = boris_api.id
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    boris = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
    await admin.get_by_test_id("cn-nav-admin").click()
    row = admin.locator(f"[data-testid=cn-agent-row][data-id='{boris_id}']")
    await expect(row).to_have_attribute("data-status", "online")
    await expect(row.get_by_test_id("cn-agent-load")).to_have_text("0")

    capacity = row.get_by_test_id("cn-agent-capacity")
    await capacity.fill("0")
    await capacity.press("Enter")
    await expect(row.get_by_test_id("cn-field-error")).to_be_visible()
    await capacity.fill("3")
    await capacity.press("Enter")
    await expect(row.get_by_test_id("cn-field-error")).to_have_count(0)
    await expect(team_row(boris, boris_id)).to_have_attribute("data-capacity", "3")

    await row.get_by_test_id("cn-agent-role-select").select_option("supervisor")
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin_api:
        agents = {a["id"]: a for a in (await admin_api.get("/api/v1/agents")).json()["agents"]}
    assert agents[boris_id]["capacity"] == 3
    assert agents[boris_id]["role"] == "supervisor"
    # His own console hears of it: a supervisor may make shared canned responses.
    await boris.get_by_test_id("cn-nav-canned").click()
    await expect(boris.get_by_test_id("cn-canned-scope").locator("option")).to_have_count(2)
