"""Which transport the UIs end up on, and what still works on the HTTP fallback.

The realtime client (web/shared/realtime.ts) falls back to HTTP long-poll after two opens in a
row fail to reach `welcome`. That happens on networks that block WebSockets, but also after
any outage of a few seconds — a server restart — since the reconnect attempts fail while the
server is down. Both tests here drive the fallback deterministically by refusing the page's
WebSockets through Playwright's WebSocket routing, and then letting them through again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from playwright.async_api import BrowserContext, Page, WebSocket, WebSocketRoute, expect

from tests.browser.conftest import (
    Browsing,
    console_message,
    console_page,
    eventually,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

FALLBACK_MS = 20_000  # two failed opens with back-off come before the first poll
# How long a client on a working fallback may take to notice that WebSockets work again.
# The realtime client promises to "return to it when it works again"; a poll cycle is 25 s.
BACK_TO_WEBSOCKET_S = 40


@dataclass
class Gate:
    """Refuses a page's WebSockets while closed, passes them to the server while open."""

    closed: bool = True

    async def __call__(self, ws: WebSocketRoute) -> None:
        if self.closed:
            await ws.close(code=1011)
        else:
            ws.connect_to_server()


class Welcomes:
    """Counts the `welcome` frames a page received over real WebSockets."""

    def __init__(self, page: Page) -> None:
        self.count = 0
        page.on("websocket", self._watch)

    def _watch(self, ws: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            if isinstance(payload, str) and json.loads(payload).get("type") == "welcome":
                self.count += 1

        ws.on("framereceived", received)


async def gated(context: BrowserContext) -> Gate:
    gate = Gate()
    await context.route_web_socket(re.compile(r".*/ws/(widget|console)$"), gate)
    return gate


async def test_visitor_typing_reaches_the_agent_while_the_widget_is_on_the_http_fallback(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    widget = await visitor_page(browsing, web_server, web_tenant.site_key)
    await gated(widget.context)  # the visitor's network blocks WebSockets; the agent's does not
    await widget.get_by_test_id("hl-launcher").click()
    await expect(widget.get_by_test_id("hl-status")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await introduce(widget, "Анна", "anna@example.com")
    await widget_send(widget, "Пишу без WebSocket")
    await expect(widget_message(widget, "Пишу без WebSocket")).to_have_attribute("data-pending", "false")
    await console.get_by_test_id("cn-conv-row").click()
    await expect(console_message(console, "Пишу без WebSocket")).to_be_visible()

    # `typing` is one of the frames POST /api/widget/v1/frames carries (docs/protocol.md).
    await widget.get_by_test_id("hl-input").press_sequentially("Ещё вопрос", delay=30)
    await expect(console.get_by_test_id("cn-typing")).to_be_visible()


async def test_both_uis_go_back_to_websockets_when_they_work_again(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    widget = await visitor_page(browsing, web_server, web_tenant.site_key)
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await open_widget(widget)
    await introduce(widget, "Анна", "anna@example.com")
    await widget_send(widget, "Вопрос")
    await console.get_by_test_id("cn-conv-row").click()
    await expect(console_message(console, "Вопрос")).to_be_visible()

    # Both lose their WebSockets (an outage, a proxy) and carry on over HTTP.
    gates = [await gated(page.context) for page in (widget, console)]
    for page in (widget, console):
        await page.reload()
    await widget.get_by_test_id("hl-launcher").click()
    await expect(widget.get_by_test_id("hl-status")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await expect(console.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await expect(console.get_by_test_id("cn-conversation")).to_be_visible()
    welcomes = {"widget": Welcomes(widget), "console": Welcomes(console)}

    # WebSockets work again. The clients should find out by themselves: on the fallback the
    # console carries no typing either way, and every client costs a long-poll.
    for gate in gates:
        gate.closed = False
    for name, counter in welcomes.items():
        await eventually(lambda counter=counter: counter.count > 0, timeout=BACK_TO_WEBSOCKET_S, what=f"the {name} back on a WebSocket")
    await console.get_by_test_id("cn-composer").press_sequentially("Сейчас отвечу", delay=30)
    await expect(widget.get_by_test_id("hl-typing")).to_be_visible()
