"""The widget on a page whose visitor has not clicked it: the live list of visitors, single
page navigation, a chat an operator starts, and the typing preview (docs/protocol.md,
"Embedding", "WS /ws/widget")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    SHOP,
    VISITOR_PERMISSIONS,
    Browsing,
    agent_api,
    install_shop,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.browser.test_widget_invitations import change_site

# This `eventually` returns what the check found (conftest's only waits).
from tests.support.clients import Agent, Socket, eventually, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]


async def live_visitors(agent: Agent) -> list[Frame]:
    response = await agent.get("/api/v1/visitors")
    assert response.status_code == 200, response.text
    return response.json()["visitors"]


async def visitor_on(agent: Agent, url: str, title: str | None = None) -> Frame | None:
    """The live visitor whose current page is `url` (and `title`), if any."""
    for visitor in await live_visitors(agent):
        page = visitor["current_page"]
        if page["url"] == url and (title is None or page["title"] == title):
            return visitor
    return None


def page_updates(console: Socket) -> list[str]:
    """The current-page URLs `visitor.updated` events carried so far, in order."""
    return [
        frame["data"]["visitor"]["current_page"]["url"]
        for frame in console.frames
        if frame["type"] == "event" and frame["event"] == "visitor.updated"
    ]


async def shop_page(browsing: Browsing, server: Server, site_key: str, requests: list[str]) -> Page:
    """A visitor on a shop page, with every request the page makes noted in `requests`
    (the launcher may draw nothing, so no waiting for it)."""
    context = await browsing.context(locale="ru-RU", permissions=VISITOR_PERMISSIONS)
    context.on("request", lambda request: requests.append(request.url))
    await install_shop(context, server, site_key)
    page = await context.new_page()
    await page.goto(f"{SHOP}/catalog/phone-x")
    return page


def asked(requests: list[str], *parts: str) -> list[str]:
    return [url for url in requests if any(part in url for part in parts)]


async def test_a_visitor_who_never_clicks_is_on_the_live_list_and_followed_through_navigation(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        console = await agent.socket()
        try:
            page = await visitor_page(browsing, web_server, web_tenant.site_key, path="/catalog/phone-x")
            visitor = await eventually(
                lambda: visitor_on(agent, f"{SHOP}/catalog/phone-x", "Phone X 128 GB — Shop"),
                what="the visitor on the live list",
            )
            assert visitor["online"] and not visitor["in_chat"]
            await expect(page.get_by_test_id("hl-panel")).to_be_hidden()  # connected, nothing drawn

            # A single-page site moves on: pushState, then the new title.
            await page.evaluate(
                "() => { history.pushState({}, '', '/catalog/phone-y'); document.title = 'Phone Y — Shop'; }"
            )
            moved = await eventually(
                lambda: visitor_on(agent, f"{SHOP}/catalog/phone-y", "Phone Y — Shop"), what="the pushState page"
            )
            assert moved["visitor_id"] == visitor["visitor_id"]
            assert [p["url"] for p in moved["pages"]][-2:] == [f"{SHOP}/catalog/phone-x", f"{SHOP}/catalog/phone-y"]

            async def announced(url: str) -> bool:
                await console.drain(0.2)  # what arrived meanwhile, into console.frames
                return url in page_updates(console)

            await eventually(lambda: announced(f"{SHOP}/catalog/phone-y"), what="visitor.updated with the new page")

            # replaceState and the back button are followed too.
            await page.evaluate("() => history.replaceState({}, '', '/catalog/phone-y?color=red')")
            await eventually(
                lambda: visitor_on(agent, f"{SHOP}/catalog/phone-y?color=red"), what="the replaceState page"
            )
            await page.go_back()
            await eventually(lambda: visitor_on(agent, f"{SHOP}/catalog/phone-x"), what="the page after popstate")
            assert len(await live_visitors(agent)) == 1  # still one visitor, not a new one per page
        finally:
            await console.close()


async def test_without_tracking_nothing_loads_before_a_click(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(web_server, web_tenant, track_visitors=False, color="#fbbf24", position="left")
    requests: list[str] = []
    page = await shop_page(browsing, web_server, web_tenant.site_key, requests)
    launcher = page.get_by_test_id("hl-launcher")
    await expect(launcher).to_be_visible()
    # The launcher drew itself from GET /mode: the site's colour, a readable icon, its side.
    assert await launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(251, 191, 36)"
    assert await launcher.evaluate("b => getComputedStyle(b).color") == "rgb(17, 24, 39)"
    box = await launcher.bounding_box()
    assert box and box["x"] < 100

    await page.wait_for_timeout(4000)  # longer than the idle-time load would take
    assert not asked(requests, "/static/widget/chat.js", "/api/widget/v1/session")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        assert await live_visitors(agent) == []
        await open_widget(page)
        await eventually(lambda: visitor_on(agent, f"{SHOP}/catalog/phone-x"), what="the visitor after the click")


async def beeps(page: Page) -> int:
    return await page.evaluate("() => window.__beeps || 0")


# Counts the widget's beeps: every sound it makes starts an oscillator.
COUNT_BEEPS = """(() => {
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) { window.__beeps = (window.__beeps || 0) + 1; return start.apply(this, args); };
})()"""


async def test_an_operator_starts_a_chat_with_a_visitor_who_never_clicked(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key, path="/catalog/phone-x")
    await page.add_init_script(COUNT_BEEPS)
    await page.reload()
    await page.mouse.click(5, 5)  # the visitor has used the page: the browser lets it make a sound
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        visitor = await eventually(
            lambda: visitor_on(agent, f"{SHOP}/catalog/phone-x"), what="the visitor on the live list"
        )
        response = await agent.post(
            f"/api/v1/visitors/{visitor['visitor_id']}/invite",
            {"client_id": new_client_id(), "body": "Здравствуйте! Подсказать с выбором?"},
        )
        assert response.status_code == 201, response.text

    # Noticeable, not in the way: the message by the launcher, the unread badge, a sound;
    # the panel stays closed and the page keeps the focus.
    preview = page.get_by_test_id("hl-preview")
    await expect(preview.get_by_test_id("hl-preview-text")).to_have_text("Здравствуйте! Подсказать с выбором?")
    await expect(preview).to_contain_text("Agent1")
    await expect(page.get_by_test_id("hl-unread")).to_have_text("1")
    await expect(page.get_by_test_id("hl-launcher")).to_have_attribute("aria-label", "Открыть чат (1)")
    await expect(page.get_by_test_id("hl-panel")).to_be_hidden()
    assert await beeps(page) == 1

    await preview.get_by_test_id("hl-preview-open").click()
    await expect(page.get_by_test_id("hl-panel")).to_be_visible()
    await expect(preview).to_have_count(0)
    await expect(widget_message(page, "Здравствуйте! Подсказать с выбором?")).to_have_attribute("data-author", "agent")
    await expect(page.get_by_test_id("hl-unread")).to_be_hidden()
    await widget_send(page, "Да, пожалуйста")
    await expect(widget_message(page, "Да, пожалуйста")).to_have_attribute("data-pending", "false")

    # A reload shows the history, without a sound or a bubble for what was read.
    await page.reload()
    await page.wait_for_timeout(2000)
    await expect(preview).to_have_count(0)
    assert await beeps(page) == 0


async def typing_frames(console: Socket) -> list[Frame]:
    await console.drain(0.2)  # what arrived meanwhile, into console.frames
    return [frame for frame in console.frames if frame["type"] == "typing" and frame["author"]["type"] == "contact"]


async def test_typing_preview_shows_the_draft_to_operators(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(web_server, web_tenant, typing_preview=True)
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await expect(page.get_by_test_id("hl-preview-notice")).to_have_text("Оператор видит текст, пока вы его набираете.")

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        console = await agent.socket()
        try:
            text = "Хочу вернуть телефон, он греется"
            started = page.get_by_test_id("hl-input")
            await started.press_sequentially(text, delay=40)  # about 1.3 s of typing

            async def the_whole_draft() -> bool:
                frames = await typing_frames(console)
                return bool(frames) and frames[-1]["active"] and frames[-1]["draft"] == text

            await eventually(the_whole_draft, what="the whole draft at the agent")
            frames = await typing_frames(console)
            drafts = [frame["draft"] for frame in frames]
            assert all(text.startswith(draft) for draft in drafts)  # each a state of the text as typed
            # Throttled: a frame per keystroke would be 32; ~3 a second are allowed.
            assert 2 <= len(frames) <= 8, drafts

            await started.press("Enter")
            await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")

            async def stopped() -> bool:
                frames = await typing_frames(console)
                return not frames[-1]["active"]

            await eventually(stopped, what="typing over after sending")
        finally:
            await console.close()


async def test_without_typing_preview_no_draft_leaves_the_page(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    sent: list[Frame] = []
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    await page.reload()
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await expect(page.get_by_test_id("hl-preview-notice")).to_have_count(0)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        console = await agent.socket()
        try:
            await page.get_by_test_id("hl-input").press_sequentially("Секретный черновик", delay=30)
            await eventually(lambda: typing_frames(console), what="the typing signal")
            frames = await typing_frames(console)
            assert frames[0]["active"] and frames[0]["draft"] is None
            assert [frame for frame in sent if frame["type"] == "typing" and "draft" in frame] == []
        finally:
            await console.close()
