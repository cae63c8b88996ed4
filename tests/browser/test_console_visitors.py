"""Live visitors in the console (docs/protocol.md, `GET /api/v1/visitors`, `visitor.updated`,
`POST /api/v1/visitors/{visitor_id}/invite`): the list follows a visitor from page to page,
shows where they came from, and an agent starts a chat that opens in the visitor's widget."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    SHOP,
    VISITOR_PERMISSIONS,
    Browsing,
    agent_api,
    console_message,
    console_page,
    install_shop,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

SEARCH = "https://yandex.ru/search/?text=%D0%BA%D1%83%D0%BF%D0%B8%D1%82%D1%8C+%D1%82%D0%B5%D0%BB%D0%B5%D1%84%D0%BE%D0%BD"


async def arriving_visitor(browsing: Browsing, server: Server, site_key: str, path: str, referer: str) -> Page:
    """A visitor who came from a search engine; the launcher is drawn, the panel never opened."""
    context = await browsing.context(locale="ru-RU", permissions=VISITOR_PERMISSIONS)
    await install_shop(context, server, site_key)
    page = await context.new_page()
    await page.goto(SHOP + path, referer=referer)
    await expect(page.get_by_test_id("hl-launcher")).to_be_visible()
    return page


async def test_the_live_list_follows_a_visitor_and_an_agent_starts_a_chat(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    # No pre-chat form: the visitor answers the operator straight away.
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin:
        hidden = {"name": "hidden", "email": "hidden", "phone": "hidden"}
        changed = await admin.http.patch(
            f"/api/v1/inboxes/{web_tenant.inbox_id}",
            json={"settings": {"offline_when_no_agents": False, "prechat": hidden}},
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert changed.status_code == 200, changed.text
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await console.get_by_test_id("cn-nav-visitors").click()
    await expect(console.get_by_test_id("cn-live-empty")).to_be_visible()

    landing = f"{SHOP}/catalog/phone-x?utm_source=yandex&utm_campaign=winter"
    visitor = await arriving_visitor(browsing, web_server, web_tenant.site_key, "/catalog/phone-x?utm_source=yandex&utm_campaign=winter", SEARCH)

    # The visitor appears without a reload (the widget connects on its own while idle).
    row = console.get_by_test_id("cn-live-visitor")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("cn-live-page")).to_have_attribute("data-url", landing)
    await expect(row.get_by_test_id("cn-live-page")).to_contain_text("Phone X 128 GB — Shop")
    await expect(row).to_have_attribute("data-in-chat", "false")
    await expect(row.get_by_test_id("cn-live-search")).to_contain_text("купить телефон")
    await expect(row.get_by_test_id("cn-live-source")).to_contain_text("yandex.ru")
    await expect(row.locator("[data-testid=cn-utm] [data-key=utm_source]")).to_contain_text("yandex")
    await expect(row.locator("[data-testid=cn-utm] [data-key=utm_campaign]")).to_contain_text("winter")
    await expect(row.get_by_test_id("cn-live-device")).to_contain_text("Chrome")
    await expect(row.get_by_test_id("cn-live-visits")).to_have_text("1")
    await expect(console.get_by_test_id("cn-nav-visitors-count")).to_have_text("1")
    # Time on site ticks.
    time_cell = row.get_by_test_id("cn-live-time")
    first = await time_cell.inner_text()
    await expect(time_cell).not_to_have_text(first, timeout=4000)

    # A single-page site moves on: the list follows, the trail grows.
    await visitor.evaluate("() => { history.pushState({}, '', '/catalog/phone-y'); document.title = 'Phone Y — Shop'; }")
    await expect(row.get_by_test_id("cn-live-page")).to_have_attribute("data-url", f"{SHOP}/catalog/phone-y")
    await expect(row.get_by_test_id("cn-live-page")).to_contain_text("Phone Y — Shop")
    await row.get_by_test_id("cn-trail").locator("summary").click()
    trail = row.get_by_test_id("cn-trail-page")
    await expect(trail).to_have_count(2)
    await expect(trail.nth(0)).to_have_attribute("data-url", landing)
    await expect(trail.nth(1)).to_have_attribute("data-url", f"{SHOP}/catalog/phone-y")

    # A real navigation too: a new page load of the same visitor, still one row.
    await visitor.goto(f"{SHOP}/delivery")
    await expect(row.get_by_test_id("cn-live-page")).to_have_attribute("data-url", f"{SHOP}/delivery")
    await expect(row).to_have_count(1)

    # "Start chat": the visitor's widget opens with the message; the console opens the conversation.
    await row.get_by_test_id("cn-live-invite").click()
    dialog = console.get_by_test_id("cn-invite-dialog")
    await dialog.get_by_test_id("cn-invite-text").fill("Здравствуйте! Подсказать с доставкой?")
    await dialog.get_by_test_id("cn-invite-submit").click()
    await expect(dialog).to_have_count(0)
    conversation = console.get_by_test_id("cn-conversation")
    await expect(conversation).to_be_visible()
    await expect(console_message(console, "Здравствуйте! Подсказать с доставкой?")).to_have_attribute("data-pending", "false")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversation_id = int(await conversation.get_attribute("data-id") or 0)
        assert (await agent.conversation(conversation_id))["conversation"]["assignee"]["id"] == agent.id
        await expect(console.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(agent.id))

    # The widget shows the operator's message by its launcher; a click opens the chat.
    await expect(visitor.get_by_test_id("hl-preview-text")).to_have_text("Здравствуйте! Подсказать с доставкой?")
    await visitor.get_by_test_id("hl-preview-open").click()
    await expect(visitor.get_by_test_id("hl-panel")).to_be_visible()
    await expect(widget_message(visitor, "Здравствуйте! Подсказать с доставкой?")).to_be_visible()

    # The sidebar knows the visit: the trail, the search, the UTM tags.
    sidebar = console.get_by_test_id("cn-visitor")
    await expect(sidebar.get_by_test_id("cn-visitor-page")).to_contain_text(f"{SHOP}/delivery")
    await expect(sidebar.get_by_test_id("cn-visitor-search")).to_contain_text("купить телефон")
    await expect(sidebar.locator("[data-testid=cn-visitor-utm] [data-key=utm_source]")).to_contain_text("yandex")
    await expect(sidebar.get_by_test_id("cn-visitor-trail")).to_contain_text("3")

    # The visitor answers in the same conversation; the live list says they are in chat.
    await widget_send(visitor, "Да, сколько идёт доставка в Казань?")
    await expect(console_message(console, "Да, сколько идёт доставка в Казань?")).to_be_visible()
    await console.get_by_test_id("cn-nav-visitors").click()
    await expect(row).to_have_attribute("data-in-chat", "true")
    await expect(row.get_by_test_id("cn-live-open")).to_be_visible()

    # Leaving the site takes them off the list.
    await visitor.context.close()
    await expect(console.get_by_test_id("cn-live-visitor")).to_have_count(0, timeout=30_000)
