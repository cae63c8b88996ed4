"""On a network that blocks WebSockets the widget and the console fall back to HTTP."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.browser.conftest import (
    SHOP,
    VISITOR_PERMISSIONS,
    Browsing,
    agent_api,
    console_login,
    console_message,
    install_shop,
    introduce,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

FALLBACK_MS = 20_000  # two failed opens with back-off come first


async def refuse(ws: WebSocketRoute) -> None:
    """A proxy that drops every WebSocket: the connection closes before any frame."""
    await ws.close(code=1011)


async def test_both_sides_talk_over_http_when_websockets_are_blocked(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    visitor_context = await browsing.context(locale="ru-RU", permissions=VISITOR_PERMISSIONS)
    await visitor_context.route_web_socket(re.compile(".*"), refuse)
    await install_shop(visitor_context, web_server, web_tenant.site_key)
    visitor = await visitor_context.new_page()
    await visitor.goto(SHOP + "/catalog")
    await visitor.get_by_test_id("hl-launcher").click()
    await expect(visitor.get_by_test_id("hl-status")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await introduce(visitor, "Ольга", "olga@example.com")
    await widget_send(visitor, "Пишу через прокси без WebSocket")
    mine = widget_message(visitor, "Пишу через прокси без WebSocket")
    await expect(mine).to_have_attribute("data-pending", "false")

    agent_context = await browsing.context(locale="en-US")
    await agent_context.route_web_socket(re.compile(".*"), refuse)
    agent = await agent_context.new_page()
    await agent.goto(web_server.url + "/console/")
    await console_login(agent, web_tenant.agents[0], web_tenant.password)
    await expect(agent.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await agent.get_by_test_id("cn-conv-row").first.click()
    await expect(console_message(agent, "Пишу через прокси без WebSocket")).to_be_visible()
    composer = agent.get_by_test_id("cn-composer")
    await composer.fill("Отвечаю по HTTP, всё дошло")
    await composer.press("Enter")
    await expect(console_message(agent, "Отвечаю по HTTP, всё дошло")).to_have_attribute("data-pending", "false")

    # the visitor's long-poll brings the answer; the agent's long-poll the next question
    await expect(widget_message(visitor, "Отвечаю по HTTP, всё дошло")).to_be_visible()
    await widget_send(visitor, "Спасибо!")
    await expect(console_message(agent, "Спасибо!")).to_be_visible()

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as api:
        listed = (await api.get("/api/v1/conversations", view="all")).json()["conversations"]
        stored = [m["body"] for m in (await api.conversation(listed[0]["id"]))["messages"]]
    assert stored == ["Пишу через прокси без WebSocket", "Отвечаю по HTTP, всё дошло", "Спасибо!"]
