"""The visitor rates a resolved conversation in the widget: five stars, an optional comment,
`csat.submit` through the outbox; dismissing, reopening and sites that do not ask
(docs/protocol.md, "Widget": `csat.submit`, `csat_rating`, the site's `csat`)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import (
    SHOP,
    VISITOR_PERMISSIONS,
    Browsing,
    agent_api,
    eventually,
    install_shop,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.browser.test_fallback import FALLBACK_MS, refuse
from tests.support.clients import Agent
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]


async def chat_until_resolved(page: Page, agent: Agent, text: str, *, pause: float = 0) -> int:
    """The visitor (the panel open) writes; the agent takes the conversation, answers, resolves it
    (`pause` seconds after the answer is seen)."""
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, text)
    await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")
    response = await agent.get("/api/v1/conversations", view="all", status="all")
    conversation_id = response.json()["conversations"][0]["id"]
    assert (await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})).status_code == 200
    assert (await agent.reply(conversation_id, "Готово, заказ отправлен")).status_code in (200, 201)
    await expect(widget_message(page, "Готово, заказ отправлен")).to_be_visible()
    await asyncio.sleep(pause)
    assert (await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")).status_code == 200
    return conversation_id


async def csat_of(agent: Agent, conversation_id: int) -> Frame | None:
    response = await agent.get(f"/api/v1/conversations/{conversation_id}/csat")
    assert response.status_code == 200, response.text
    return response.json()["csat"]


async def rating_of(agent: Agent, conversation_id: int) -> int | None:
    return (await agent.conversation(conversation_id))["conversation"]["csat_rating"]


async def rated(agent: Agent, conversation_id: int, rating: int) -> bool:
    return await rating_of(agent, conversation_id) == rating


async def test_the_visitor_rates_with_stars_and_a_comment(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await open_widget(page)
        conversation_id = await chat_until_resolved(page, agent, "Где мой заказ?")

        # The card closes the conversation's history; the comment waits for a star.
        card = page.get_by_test_id("hl-csat")
        await expect(card).to_be_visible()
        await expect(page.get_by_test_id("hl-messages").locator("> *").last).to_have_attribute("data-testid", "hl-csat")
        await expect(card.locator("legend")).to_have_text("Оцените, как мы помогли")
        await expect(page.get_by_test_id("hl-csat-comment")).to_have_count(0)
        await expect(page.get_by_test_id("hl-csat-send")).to_have_count(0)

        # The stars are a radio group with names: the keyboard picks four.
        await page.get_by_role("radio", name="1 из 5: Очень плохо").focus()
        await page.keyboard.press("Space")
        for _ in range(3):
            await page.keyboard.press("ArrowRight")
        await expect(page.get_by_role("radio", name="4 из 5: Хорошо")).to_be_checked()
        await expect(card.locator(".hl-star[data-lit]")).to_have_count(4)

        comment = page.get_by_test_id("hl-csat-comment")
        await expect(comment).to_be_visible()
        await comment.fill("Быстро и вежливо")
        await page.get_by_test_id("hl-csat-send").click()
        await expect(page.get_by_test_id("hl-csat-thanks")).to_have_text("Спасибо за оценку!")
        await expect(page.get_by_test_id("hl-csat-thanks")).to_be_focused()  # Send went away; focus did not
        await expect(card).to_have_count(0)

        await eventually(lambda: rated(agent, conversation_id, 4), what="the rating stored")
        stored = await csat_of(agent, conversation_id)
        assert stored and (stored["rating"], stored["comment"], stored["agent_id"]) == (4, "Быстро и вежливо", agent.id)

        # A reload: the conversation is rated, no card and no thanks any more.
        await page.reload()
        await open_widget(page)
        await expect(widget_message(page, "Готово, заказ отправлен")).to_be_visible()
        await expect(page.get_by_text("Обращение закрыто")).to_be_visible()
        await expect(page.get_by_test_id("hl-csat")).to_have_count(0)
        await expect(page.get_by_test_id("hl-csat-thanks")).to_have_count(0)


async def test_writing_again_hides_the_card_and_a_dismissed_one_stays_away(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await open_widget(page)
        conversation_id = await chat_until_resolved(page, agent, "Можно вернуть товар?")
        await expect(page.get_by_test_id("hl-csat")).to_be_visible()
        await page.get_by_test_id("hl-csat-star").nth(1).check()  # a choice not sent is nothing

        # The visitor writes again: the conversation reopens and the card goes.
        await widget_send(page, "И ещё вопрос")
        await expect(widget_message(page, "И ещё вопрос")).to_have_attribute("data-pending", "false")
        await expect(page.get_by_test_id("hl-csat")).to_have_count(0)
        await expect(page.get_by_text("Обращение закрыто")).to_have_count(0)

        # Resolved again: the card is back; the visitor closes it, and it stays closed.
        assert (await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")).status_code == 200
        await expect(page.get_by_test_id("hl-csat")).to_be_visible()
        await page.get_by_test_id("hl-csat-dismiss").click()
        await expect(page.get_by_test_id("hl-csat")).to_have_count(0)
        await expect(page.get_by_test_id("hl-messages")).to_be_focused()
        await page.reload()
        await open_widget(page)
        await expect(widget_message(page, "И ещё вопрос")).to_be_visible()
        await expect(page.get_by_text("Обращение закрыто")).to_be_visible()
        await expect(page.get_by_test_id("hl-csat")).to_have_count(0)
        assert await rating_of(agent, conversation_id) is None


async def test_a_site_that_does_not_ask_shows_no_card(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin:
        inbox = (await admin.get("/api/v1/inboxes")).json()["inboxes"][0]
        response = await admin.patch(f"/api/v1/inboxes/{inbox['id']}", {"settings": {**inbox["settings"], "csat": False}})
        assert response.status_code == 200, response.text
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await open_widget(page)
        await chat_until_resolved(page, agent, "Есть доставка в Казань?")
        await expect(page.get_by_text("Обращение закрыто")).to_be_visible()
        await expect(page.get_by_test_id("hl-csat")).to_have_count(0)


class CsatProxy:
    """The page's WebSockets through a proxy that can hold back `csat.submit` (as if the network
    died just then) or spoil it (a rating the server refuses)."""

    def __init__(self) -> None:
        self.mode = "pass"  # or "hold", "spoil"
        self.sent: list[Frame] = []  # csat.submit frames the page sent, as the page sent them

    def __call__(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "csat.submit":
                self.sent.append(frame)
                if self.mode == "hold":
                    return
                if self.mode == "spoil":
                    message = json.dumps({**frame, "rating": 9})
            server.send(message)

        ws.on_message(from_page)


async def test_the_rating_goes_through_the_outbox_and_a_refusal_is_shown(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url)
    proxy = CsatProxy()
    context = await browsing.context(locale="ru-RU", permissions=VISITOR_PERMISSIONS)
    await context.route_web_socket("**/ws/widget", proxy)
    await install_shop(context, web_server, tenant.site_key)
    page = await context.new_page()
    await page.goto(SHOP + "/catalog")
    async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
        await open_widget(page)
        conversation_id = await chat_until_resolved(page, agent, "Хочу поменять размер")

        # The server refuses (here: a spoiled rating); the card says so and keeps the choice.
        proxy.mode = "spoil"
        await page.get_by_test_id("hl-csat-star").nth(2).check()
        await page.get_by_test_id("hl-csat-send").click()
        await expect(page.get_by_test_id("hl-csat-error")).to_have_text("Оценку не удалось отправить.")
        await expect(page.get_by_role("radio", name="3 из 5: Нормально")).to_be_checked()

        # Sent again, and lost on the way: the frame waits in the outbox, across a reload.
        proxy.mode = "hold"
        await page.get_by_test_id("hl-csat-comment").fill("Долго ждал ответа")
        await page.get_by_test_id("hl-csat-send").click()
        await expect(page.get_by_test_id("hl-csat")).to_have_attribute("data-state", "sending")
        await expect(page.get_by_test_id("hl-csat-error")).to_have_count(0)
        held = proxy.sent[-1]
        await page.reload()
        await open_widget(page)
        # The new page shows it on its way, and resends it (same client_id) after `welcome`.
        await expect(page.get_by_test_id("hl-csat")).to_have_attribute("data-state", "sending")
        await expect(page.get_by_role("radio", name="3 из 5: Нормально")).to_be_checked()
        await expect(page.get_by_test_id("hl-csat-comment")).to_have_value("Долго ждал ответа")
        await eventually(lambda: len(proxy.sent) > 2, what="the rating resent")
        proxy.mode = "pass"
        await page.reload()
        await open_widget(page)
        await expect(page.get_by_test_id("hl-csat-thanks")).to_be_visible()
        assert {frame["client_id"] for frame in proxy.sent[2:]} == {held["client_id"]}
        assert held == {
            "type": "csat.submit", "client_id": held["client_id"], "conversation_id": conversation_id,
            "rating": 3, "comment": "Долго ждал ответа",
        }
        stored = await csat_of(agent, conversation_id)
        assert stored and (stored["rating"], stored["comment"]) == (3, "Долго ждал ответа")


async def test_rating_over_the_http_fallback_in_english(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    context = await browsing.context(locale="en-US", permissions=VISITOR_PERMISSIONS)
    await context.route_web_socket(re.compile(".*"), refuse)
    await install_shop(context, web_server, web_tenant.site_key, lang="en")
    page = await context.new_page()
    await page.goto(SHOP + "/catalog")
    await page.get_by_test_id("hl-launcher").click()
    await expect(page.get_by_test_id("hl-status")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        # A change of status that falls between two polls is never told over the fallback
        # (polling.ts passes on only the first `welcome`, which is what carries statuses):
        # resolve once the next poll is surely waiting.
        conversation_id = await chat_until_resolved(page, agent, "Do you ship to Riga?", pause=1.5)
        card = page.get_by_test_id("hl-csat")
        await expect(card.locator("legend")).to_have_text("How did we do?")
        await page.get_by_role("radio", name="5 of 5: Excellent").check()
        await page.get_by_test_id("hl-csat-send").click()
        await expect(page.get_by_test_id("hl-csat-thanks")).to_have_text("Thank you for your rating!")
        stored = await csat_of(agent, conversation_id)
        assert stored and (stored["rating"], stored["comment"]) == (5, None)
