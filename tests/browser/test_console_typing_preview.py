"""The typing preview (docs/protocol.md, `typing` with `draft`): where the site enables it,
the agent sees the visitor's text, greyed, as it is typed; it goes when the message is sent.
Where the site does not, the agent sees only that the visitor is typing."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    Browsing,
    agent_api,
    console_message,
    console_page,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def set_typing_preview(server: Server, tenant: Tenant, on: bool) -> None:
    async with agent_api(server, tenant.admin, tenant.password) as admin:
        changed = await admin.http.patch(
            f"/api/v1/inboxes/{tenant.inbox_id}",
            json={"settings": {"offline_when_no_agents": False, "typing_preview": on}},
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert changed.status_code == 200, changed.text


async def chatting(browsing: Browsing, server: Server, tenant: Tenant, first: str) -> tuple[Page, Page]:
    """A visitor with a conversation, and an agent looking at it."""
    visitor = await visitor_page(browsing, server, tenant.site_key)
    await open_widget(visitor)
    await introduce(visitor, "Анна", "anna@example.com")
    await widget_send(visitor, first)
    await expect(widget_message(visitor, first)).to_have_attribute("data-pending", "false")
    async with agent_api(server, tenant.agents[0], tenant.password) as agent:
        [conversation] = (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"]
    console = await console_page(browsing, server, tenant.agents[0], tenant.password)
    await console.goto(f"{server.url}/console/all/{conversation['id']}")
    await expect(console_message(console, first)).to_be_visible()
    return visitor, console


async def test_the_agent_sees_the_draft_where_the_site_shows_it(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    await set_typing_preview(web_server, web_tenant, True)
    visitor, console = await chatting(browsing, web_server, web_tenant, "Здравствуйте")

    draft = console.get_by_test_id("cn-typing-draft")
    await expect(draft).to_have_count(0)
    composer = visitor.get_by_test_id("hl-input")
    await composer.press_sequentially("Хочу узнать про")
    await expect(draft.get_by_test_id("cn-typing-draft-text")).to_have_text("Хочу узнать про")
    assert await draft.locator(".cn-bubble").evaluate("el => getComputedStyle(el).fontStyle") == "italic"  # greyed, not a message
    await expect(console.get_by_test_id("cn-typing")).to_be_visible()
    # It follows the keystrokes.
    await composer.press_sequentially(" доставку в Казань")
    await expect(draft.get_by_test_id("cn-typing-draft-text")).to_have_text("Хочу узнать про доставку в Казань")

    await composer.press("Enter")
    await expect(console_message(console, "Хочу узнать про доставку в Казань")).to_be_visible()
    await expect(draft).to_have_count(0)


async def test_without_the_preview_only_typing_shows(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    visitor, console = await chatting(browsing, web_server, web_tenant, "Добрый день")
    await visitor.get_by_test_id("hl-input").press_sequentially("Секретный черновик")
    await expect(console.get_by_test_id("cn-typing")).to_be_visible()
    await expect(console.get_by_test_id("cn-typing-draft")).to_have_count(0)
    assert "Секретный черновик" not in await console.get_by_test_id("cn-conversation").inner_text()
