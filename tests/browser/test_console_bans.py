"""Bans in the console: the Bans page (create, change, lift) and banning a visitor from the
sidebar, which the widget's session call then answers with `mode: "hidden"`."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def widget_mode(visitor: Visitor) -> str:
    """What the widget would be told to show now (a banned visitor gets no new token)."""
    response = await visitor.http.post(
        "/api/widget/v1/session",
        json={"site_key": visitor.site_key, "visitor_token": visitor.token, "page": None, "locale": "ru-RU"},
    )
    assert response.status_code == 200, response.text
    return response.json()["mode"]


async def test_a_ban_made_on_the_bans_page_is_changed_and_lifted(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await console.get_by_test_id("cn-nav-bans").click()
    await expect(console.get_by_test_id("cn-bans")).to_be_visible()
    await expect(console.get_by_test_id("cn-ban-row")).to_have_count(0)

    # A network wider than /16 is refused next to the value.
    await console.get_by_test_id("cn-ban-kind").select_option("ip")
    await console.get_by_test_id("cn-ban-value").fill("198.18.0.0/15")
    await console.get_by_test_id("cn-ban-submit").click()
    await expect(console.locator("[data-testid=cn-field-error][data-field=value]")).to_be_visible()

    await console.get_by_test_id("cn-ban-value").fill("203.0.113.0/24")
    await console.get_by_test_id("cn-ban-reason").fill("Спам в чате")
    await console.get_by_test_id("cn-ban-duration").select_option("10080")  # a week
    await console.get_by_test_id("cn-ban-submit").click()
    row = console.locator("[data-testid=cn-ban-row][data-value='203.0.113.0/24']")
    await expect(row).to_have_attribute("data-active", "true")
    await expect(row).to_contain_text("Спам в чате")
    await expect(row).to_contain_text("Agent1")
    await expect(console.get_by_test_id("cn-ban-value")).to_have_value("")

    # The same ban again is a conflict, said in words.
    await console.get_by_test_id("cn-ban-value").fill("203.0.113.0/24")
    await console.get_by_test_id("cn-ban-submit").click()
    await expect(console.locator("[data-testid=cn-field-error][data-field=value]")).to_contain_text("already")
    await expect(console.get_by_test_id("cn-ban-row")).to_have_count(1)

    await row.get_by_test_id("cn-ban-edit").click()
    edit = console.get_by_test_id("cn-ban-edit-dialog")
    await edit.get_by_test_id("cn-ban-edit-reason").fill("Спам и грубость")
    await edit.get_by_test_id("cn-ban-edit-duration").select_option("forever")
    await edit.get_by_test_id("cn-ban-edit-submit").click()
    await expect(edit).to_be_hidden()
    await expect(row.get_by_test_id("cn-ban-reason-cell")).to_have_text("Спам и грубость")
    await expect(row.get_by_test_id("cn-ban-until")).to_have_text("Forever")

    await row.get_by_test_id("cn-ban-lift").click()
    await expect(console.get_by_test_id("cn-ban-row")).to_have_count(0)  # not active any more
    await console.get_by_test_id("cn-bans-state").select_option("all")
    await expect(row).to_have_attribute("data-active", "false")
    await expect(row.get_by_test_id("cn-ban-state")).to_have_attribute("data-state", "lifted")

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        bans = (await agent.get("/api/v1/bans", state="all")).json()["bans"]
        assert [(b["value"], b["reason"], b["active"], b["expires_at"]) for b in bans] == [
            ("203.0.113.0/24", "Спам и грубость", False, None)
        ]
        assert bans[0]["lifted_at"]


async def test_the_sidebar_bans_a_visitor_who_then_gets_no_chat(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Куплю дёшево, пишите"))["conversation_id"]
        await socket.close()

        console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await console.goto(f"{web_server.url}/console/all/{conversation_id}")
        await expect(console.get_by_test_id("cn-visitor-ip")).to_have_text("127.0.0.1")
        await console.get_by_test_id("cn-ban-visitor").click()
        dialog = console.get_by_test_id("cn-ban-dialog")
        await expect(dialog.get_by_test_id("cn-ban-kind")).to_have_value("visitor")
        await expect(dialog.get_by_test_id("cn-ban-value")).to_have_value(visitor.session["visitor_id"])
        await dialog.get_by_test_id("cn-ban-reason").fill("Реклама")
        await dialog.get_by_test_id("cn-ban-duration").select_option("60")
        await dialog.get_by_test_id("cn-ban-submit").click()
        await expect(dialog).to_be_hidden()
        await expect(console.get_by_test_id("cn-toast")).to_contain_text(visitor.session["visitor_id"])
        assert await widget_mode(visitor) == "hidden"

        # "Ban IP" comes with the address filled in; Esc leaves without banning.
        await console.get_by_test_id("cn-ban-ip").click()
        dialog = console.get_by_test_id("cn-ban-dialog")
        await expect(dialog.get_by_test_id("cn-ban-kind")).to_have_value("ip")
        await expect(dialog.get_by_test_id("cn-ban-value")).to_have_value("127.0.0.1")
        await console.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()

        await console.get_by_test_id("cn-nav-bans").click()
        row = console.locator(
            f"[data-testid=cn-ban-row][data-kind=visitor][data-value='{visitor.session['visitor_id']}']"
        )
        await expect(row).to_contain_text("Реклама")
        await expect(console.get_by_test_id("cn-ban-row")).to_have_count(1)
        await row.get_by_test_id("cn-ban-lift").click()
        await expect(row).to_have_count(0)
        assert await widget_mode(visitor) != "hidden"
    finally:
        await visitor.close()
