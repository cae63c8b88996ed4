"""What a site sets about the widget's looks and manners: the logo, the panel's size, sounds,
the invitation line by the launcher, and what the launcher draws from GET /mode before any
chat is loaded (docs/protocol.md, "Embedding", SiteSettings)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.browser.conftest import (
    SHOP,
    Browsing,
    agent_api,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.browser.test_widget_files import png
from tests.browser.test_widget_invitations import change_site
from tests.browser.test_widget_tracking import COUNT_BEEPS, asked, beeps, shop_page
from tests.support.clients import eventually
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

LOGO = f"{SHOP}/static/logo.png"


async def serve_logo(context: BrowserContext) -> None:
    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="image/png", body=png(64, 64, (22, 163, 74)))

    await context.route(LOGO, fulfil)  # registered after the shop's pages, so it wins


async def test_logo_and_size(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    await change_site(web_server, web_tenant, logo_url=LOGO, size="large")
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await serve_logo(page.context)
    await page.reload()
    await open_widget(page)
    logo = page.get_by_test_id("hl-logo")
    await expect(logo).to_be_visible()
    assert await logo.evaluate("img => img.naturalWidth") == 64
    panel = page.get_by_test_id("hl-panel")
    await expect(panel).to_have_attribute("data-size", "large")
    await panel.evaluate("panel => Promise.all(panel.getAnimations().map(animation => animation.finished))")
    assert (await panel.bounding_box() or {})["width"] == 420

    await change_site(web_server, web_tenant, logo_url=None, size="compact")
    await page.reload()
    await open_widget(page)
    await expect(panel).to_have_attribute("data-size", "compact")
    await panel.evaluate("panel => Promise.all(panel.getAnimations().map(animation => animation.finished))")
    assert (await panel.bounding_box() or {})["width"] == 320
    await expect(page.get_by_test_id("hl-logo")).to_have_count(0)


async def agent_says(server: Server, tenant: Tenant, body: str) -> None:
    async with agent_api(server, tenant.agents[0], tenant.password) as agent:
        response = await agent.get("/api/v1/conversations", view="all", status="all")
        [conversation] = response.json()["conversations"]
        response = await agent.reply(conversation["id"], body)
        assert response.status_code == 201, response.text


async def chatting_visitor(browsing: Browsing, server: Server, tenant: Tenant) -> Page:
    page = await visitor_page(browsing, server, tenant.site_key)
    await page.add_init_script(COUNT_BEEPS)
    await page.reload()
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, "Здравствуйте")
    await expect(widget_message(page, "Здравствуйте")).to_have_attribute("data-pending", "false")
    return page


async def test_a_sound_for_operator_messages_unless_the_site_turns_it_off(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await chatting_visitor(browsing, web_server, web_tenant)
    assert await beeps(page) == 0  # not for the visitor's own messages
    await agent_says(web_server, web_tenant, "Добрый день!")
    await expect(widget_message(page, "Добрый день!")).to_be_visible()
    await eventually(lambda: beeps(page), what="a beep")
    assert await beeps(page) == 1

    await change_site(web_server, web_tenant, sounds=False)
    await page.reload()
    await open_widget(page)
    await agent_says(web_server, web_tenant, "Чем помочь?")
    await expect(widget_message(page, "Чем помочь?")).to_be_visible()
    await page.wait_for_timeout(300)
    assert await beeps(page) == 0


async def test_the_invitation_line_by_the_launcher(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    await change_site(web_server, web_tenant, invitation_text="Есть вопрос? Мы на связи!")
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    line = page.get_by_test_id("hl-label")
    await expect(line.get_by_test_id("hl-label-text")).to_have_text("Есть вопрос? Мы на связи!")
    await line.get_by_test_id("hl-label-open").click()
    await expect(page.get_by_test_id("hl-panel")).to_be_visible()
    await expect(line).to_have_count(0)
    await page.get_by_test_id("hl-close").click()
    await expect(line).to_be_visible()  # still nothing said: it may invite again

    await line.get_by_test_id("hl-label-close").click()
    await expect(line).to_have_count(0)
    await page.reload()  # closed for the rest of the visit
    await expect(page.get_by_test_id("hl-launcher")).to_be_visible()
    await page.wait_for_timeout(2500)
    await expect(line).to_have_count(0)


async def test_the_launcher_draws_the_mode_without_the_chat(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(web_server, web_tenant, track_visitors=False, offline_when_no_agents=True)
    requests: list[str] = []
    page = await shop_page(browsing, web_server, web_tenant.site_key, requests)
    launcher = page.get_by_test_id("hl-launcher")
    await expect(launcher).to_have_attribute("aria-label", "Оставить сообщение")  # no operator online
    assert asked(requests, "/api/widget/v1/mode")
    assert not asked(requests, "/static/widget/chat.js", "/api/widget/v1/session")


async def test_a_banned_address_gets_no_launcher_at_all(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        response = await agent.post(
            "/api/v1/bans", {"kind": "ip", "value": "127.0.0.1", "reason": "spam", "minutes": None}
        )
        assert response.status_code == 201, response.text
        ban: dict[str, Any] = response.json()["ban"]

        requests: list[str] = []
        page = await shop_page(browsing, web_server, web_tenant.site_key, requests)
        await eventually(lambda: asked(requests, "/api/widget/v1/mode"), what="the mode asked")
        await page.wait_for_timeout(4000)  # past the idle-time load a tracked site would do
        await expect(page.get_by_test_id("hl-launcher")).to_have_count(0)
        assert not asked(requests, "/static/widget/chat.js", "/api/widget/v1/session")

        response = await agent.post(f"/api/v1/bans/{ban['id']}/lift")
        assert response.status_code == 200, response.text
    await page.reload()
    await open_widget(page)
