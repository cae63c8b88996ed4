"""The widget's modes and requests: the offline form, "call me back", the transcript by
e-mail, and a banned visitor who sees nothing (docs/protocol.md, "Widget")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import (
    SHOP,
    VISITOR_PERMISSIONS,
    Browsing,
    install_shop,
    agent_api,
    eventually,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.clients import Agent
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]

# What a site may put above its offline form (test sites are online unless they set
# offline_when_no_agents, as these do).
OFFLINE_TEXT = "Сейчас никого нет. Оставьте вопрос — ответим утром."


async def all_conversations(agent: Agent) -> list[Frame]:
    response = await agent.get("/api/v1/conversations", view="all", status="all")
    assert response.status_code == 200, response.text
    return response.json()["conversations"]


# -- offline ---------------------------------------------------------------------------------


async def test_offline_form_leaves_a_question_the_agents_see(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True, "offline_text": OFFLINE_TEXT})
    page = await visitor_page(browsing, web_server, tenant.site_key)
    await open_widget(page)

    # No agent is online: the offline form instead of the pre-chat form and the composer.
    form = page.get_by_test_id("hl-offline-form")
    await expect(form).to_be_visible()
    await expect(form).to_contain_text(OFFLINE_TEXT)
    await expect(page.get_by_test_id("hl-status")).to_have_text("Операторы не в сети")
    await expect(page.get_by_test_id("hl-input")).to_have_count(0)
    await expect(page.get_by_test_id("hl-prechat")).to_have_count(0)
    await expect(page.get_by_test_id("hl-offline-name")).to_be_focused()

    # The e-mail and the question are required; the check happens before anything is sent.
    await page.get_by_test_id("hl-offline-send").click()
    errors = page.get_by_test_id("hl-field-error")
    await expect(errors).to_have_count(2)
    await expect(errors.and_(page.locator("[data-field=email]"))).to_have_text("Заполните это поле.")
    await expect(errors.and_(page.locator("[data-field=question]"))).to_have_text("Заполните это поле.")
    await expect(page.get_by_test_id("hl-offline-email")).to_be_focused()

    await page.get_by_test_id("hl-offline-name").fill("Ольга")
    await page.get_by_test_id("hl-offline-email").fill("Olga@Example.COM")
    question = page.get_by_test_id("hl-offline-question")
    await question.fill("Есть ли доставка в Казань?")
    await question.press("Enter")  # Enter sends, as in the composer

    await expect(page.get_by_test_id("hl-offline-thanks")).to_be_visible()
    await expect(page.get_by_test_id("hl-offline-form")).to_have_count(0)
    await expect(widget_message(page, "Есть ли доставка в Казань?")).to_have_attribute("data-pending", "false")
    await expect(page.get_by_test_id("hl-input")).to_be_visible()  # they may add something

    async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
        [conversation] = await all_conversations(agent)
        assert conversation["type"] == "offline"
        assert conversation["contact"]["name"] == "Ольга"
        assert conversation["contact"]["email"] == "Olga@example.com"
        assert conversation["last_message"]["body"] == "Есть ли доставка в Казань?"

    # Closed, the button invites a message rather than a chat.
    await page.get_by_test_id("hl-close").click()
    await expect(page.get_by_test_id("hl-launcher")).to_have_attribute("aria-label", "Оставить сообщение")

    # Coming back with an open conversation: the chat as usual, with a word on the answer.
    await page.reload()
    await open_widget(page)
    await expect(widget_message(page, "Есть ли доставка в Казань?")).to_be_visible()
    await expect(page.get_by_test_id("hl-offline-form")).to_have_count(0)
    await expect(page.get_by_test_id("hl-offline-note")).to_have_text("Операторы сейчас не в сети — мы ответим здесь и на e-mail.")
    await widget_send(page, "И сколько она стоит?")
    await expect(widget_message(page, "И сколько она стоит?")).to_have_attribute("data-pending", "false")


async def test_offline_form_in_english_with_the_default_text(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True})
    page = await visitor_page(browsing, web_server, tenant.site_key, lang="en")
    await open_widget(page)
    await expect(page.get_by_test_id("hl-offline-form")).to_contain_text("Our operators are not available right now.")
    await page.get_by_test_id("hl-offline-email").fill("ann@")
    await page.get_by_test_id("hl-offline-question").fill("Do you ship to Riga?")
    await page.get_by_test_id("hl-offline-send").click()
    await expect(page.get_by_test_id("hl-field-error")).to_have_text("This does not look like an e-mail address.")
    await page.get_by_test_id("hl-offline-email").fill("ann@example.com")
    await page.get_by_test_id("hl-offline-send").click()
    await expect(page.get_by_test_id("hl-offline-thanks")).to_have_text(
        "Thank you! We have your question and will answer by e-mail and here in the chat."
    )
    await expect(widget_message(page, "Do you ship to Riga?")).to_have_attribute("data-pending", "false")


async def test_an_online_agent_turns_the_offline_form_into_the_chat(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True})
    async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
        console = await agent.socket()  # a connected console makes its agent online
        try:
            page = await visitor_page(browsing, web_server, tenant.site_key)
            await open_widget(page)
            await expect(page.get_by_test_id("hl-prechat")).to_be_visible()
            await expect(page.get_by_test_id("hl-offline-form")).to_have_count(0)
            await expect(page.get_by_test_id("hl-status")).to_have_text("На связи")
            await introduce(page, "Пётр", "petr@example.com")
            await widget_send(page, "Вы здесь?")
            await expect(widget_message(page, "Вы здесь?")).to_have_attribute("data-pending", "false")
            [conversation] = await all_conversations(agent)
            assert conversation["type"] == "chat"
        finally:
            await console.close()


async def test_a_refused_address_brings_the_offline_form_back(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True})
    page = await visitor_page(browsing, web_server, tenant.site_key)
    await open_widget(page)
    # A one-letter top-level domain passes the widget's check and not the server's.
    await page.get_by_test_id("hl-offline-email").fill("ira@example.c")
    await page.get_by_test_id("hl-offline-question").fill("Когда откроетесь?")
    await page.get_by_test_id("hl-offline-send").click()

    await expect(page.get_by_test_id("hl-offline-form")).to_be_visible()
    await expect(page.get_by_test_id("hl-field-error")).to_have_attribute("data-field", "email")
    await expect(page.get_by_test_id("hl-offline-email")).to_be_focused()
    await expect(page.get_by_test_id("hl-offline-question")).to_have_value("Когда откроетесь?")  # nothing typed is lost
    await expect(page.get_by_test_id("hl-offline-thanks")).to_have_count(0)
    async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
        assert await all_conversations(agent) == []  # the question waited for the address

        await page.get_by_test_id("hl-offline-email").fill("ira@example.com")
        await page.get_by_test_id("hl-offline-send").click()
        await expect(widget_message(page, "Когда откроетесь?")).to_have_attribute("data-pending", "false")
        [conversation] = await all_conversations(agent)
        assert (conversation["type"], conversation["contact"]["email"]) == ("offline", "ira@example.com")


async def agent_is(agent: Agent, status: str) -> bool:
    response = await agent.get("/api/v1/agents")
    assert response.status_code == 200, response.text
    return next(a["status"] for a in response.json()["agents"] if a["id"] == agent.id) == status


async def test_the_mode_follows_welcome_after_a_reconnect(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True})
    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        ws.connect_to_server()  # frames pass untouched; we only want a handle to close it
        sockets.append(ws)

    async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
        console = await agent.socket()
        page = await visitor_page(browsing, web_server, tenant.site_key)
        await page.context.route_web_socket("**/ws/widget", through)
        await open_widget(page)
        await expect(page.get_by_test_id("hl-prechat")).to_be_visible()

        # The only agent leaves; the widget learns it on its next connection (a restart, a
        # network change), not before.
        await console.close()
        await eventually(lambda: agent_is(agent, "offline"), timeout=20, what="the agent offline")
        await sockets[-1].close(code=1012)
        await expect(page.get_by_test_id("hl-offline-form")).to_be_visible()
        await expect(page.get_by_test_id("hl-prechat")).to_have_count(0)
        await expect(page.get_by_test_id("hl-status")).to_have_text("Операторы не в сети")

        # And back.
        console = await agent.socket()
        await sockets[-1].close(code=1012)
        await expect(page.get_by_test_id("hl-prechat")).to_be_visible()
        await expect(page.get_by_test_id("hl-offline-form")).to_have_count(0)
        await expect(page.get_by_test_id("hl-status")).to_have_text("На связи")
        await console.close()


# -- call me back ------------------------------------------------------------------------------


class CallbackAckLoser:
    """Passes frames through, but severs the first connection on which `callback.request`
    goes out: the server stores it and answers, the page never hears the answer."""

    def __init__(self) -> None:
        self.sent: list[Frame] = []

    def __call__(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        severed = False

        def from_page(message: str | bytes) -> None:
            nonlocal severed
            frame = json.loads(message)
            if frame.get("type") == "callback.request":
                self.sent.append(frame)
                severed = severed or len(self.sent) == 1
            server.send(message)

        def from_server(message: str | bytes) -> None:
            if not severed:
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)


async def test_call_me_back(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(page)
    await page.get_by_test_id("hl-callback-open").click()
    form = page.get_by_test_id("hl-callback-form")
    await expect(form).to_contain_text("Оставьте номер телефона — мы вам перезвоним.")
    phone = page.get_by_test_id("hl-callback-phone")
    await expect(phone).to_be_focused()

    await page.get_by_test_id("hl-callback-send").click()
    await expect(page.get_by_test_id("hl-field-error")).to_have_text("Заполните это поле.")
    await phone.fill("позвоните")
    await phone.press("Enter")
    await expect(page.get_by_test_id("hl-field-error")).to_have_text("Проверьте номер телефона.")

    # A number only the server refuses (over 30 characters): its word shows by the field.
    await phone.fill("+7 " + "   ".join("9001234567"))
    await page.get_by_test_id("hl-callback-send").click()
    await expect(page.get_by_test_id("hl-field-error")).to_have_attribute("data-field", "phone")
    await expect(page.get_by_test_id("hl-field-error")).to_have_text("Проверьте номер телефона.")
    await expect(phone).to_be_focused()

    await phone.fill("+7 900 123-45-67")
    await page.get_by_test_id("hl-callback-name").fill("Иван")
    await page.get_by_test_id("hl-callback-time").fill("сегодня после 18:00")
    await page.get_by_test_id("hl-callback-send").click()
    done = page.get_by_test_id("hl-callback-done")
    await expect(done).to_contain_text("Спасибо! Мы вам перезвоним.")
    await expect(done).to_be_focused()

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        [conversation] = await all_conversations(agent)
        assert conversation["type"] == "callback"
        assert conversation["contact"]["phone"] == "+7 900 123-45-67"
        assert conversation["contact"]["name"] == "Иван"
        detail = await agent.conversation(conversation["id"])
        first = detail["messages"][0]["body"]
        assert "+7 900 123-45-67" in first and "сегодня после 18:00" in first

    await page.get_by_test_id("hl-back").click()
    await expect(page.get_by_test_id("hl-callback-form")).to_have_count(0)
    await expect(page.get_by_test_id("hl-messages")).to_be_visible()


async def test_call_me_back_survives_a_lost_ack_and_is_stored_once(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    loser = CallbackAckLoser()
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await page.context.route_web_socket("**/ws/widget", loser)
    await open_widget(page)
    await page.get_by_test_id("hl-callback-open").click()
    await page.get_by_test_id("hl-callback-phone").fill("+7 900 765-43-21")
    await page.get_by_test_id("hl-callback-send").click()
    await eventually(lambda: loser.sent, what="the callback.request frame")
    await expect(page.get_by_test_id("hl-callback-send")).to_have_text("Отправляется…")  # no answer

    # The frame waits in the outbox (localStorage); the next page sends it again.
    await page.reload()
    await open_widget(page)
    await eventually(lambda: len(loser.sent) == 2, what="the resent callback.request")
    assert loser.sent[0]["client_id"] == loser.sent[1]["client_id"]

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversations = await all_conversations(agent)
        assert [(c["type"], c["contact"]["phone"]) for c in conversations] == [("callback", "+7 900 765-43-21")]
    await eventually(
        lambda: page.evaluate(f"() => localStorage.getItem('helpline:{web_tenant.site_key}:outbox') === null"),
        what="an empty outbox",
    )


async def test_callback_link_follows_the_site_setting(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"callback": False, "transcript": False})
    page = await visitor_page(browsing, web_server, tenant.site_key)
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, "Привет")
    await expect(widget_message(page, "Привет")).to_have_attribute("data-pending", "false")
    await expect(page.get_by_test_id("hl-callback-open")).to_have_count(0)
    await expect(page.get_by_test_id("hl-transcript-open")).to_have_count(0)


# -- the conversation by e-mail -------------------------------------------------------------------


async def test_transcript_by_email(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key, lang="en", locale="en-US")
    await open_widget(page)
    await expect(page.get_by_test_id("hl-transcript-open")).to_have_count(0)  # nothing to send yet
    await introduce(page, "Anna", "anna@example.com")
    await widget_send(page, "Is Phone X in stock?")
    await expect(widget_message(page, "Is Phone X in stock?")).to_have_attribute("data-pending", "false")

    opener = page.get_by_test_id("hl-transcript-open")
    await expect(opener).to_have_attribute("aria-label", "Send this conversation by e-mail")
    await opener.click()
    email = page.get_by_test_id("hl-transcript-email")
    await expect(email).to_have_value("anna@example.com")  # what the contact gave
    await expect(email).to_be_focused()
    await email.fill("anna@")
    await email.press("Enter")
    await expect(page.get_by_test_id("hl-field-error")).to_have_text("This does not look like an e-mail address.")

    await email.fill("anna.work@example.com")
    await email.press("Enter")
    await expect(page.get_by_test_id("hl-transcript-done")).to_contain_text("Done! The conversation will arrive by e-mail within a minute.")

    # Five a day: the server's refusal is shown plainly.
    for _ in range(4):
        await page.get_by_test_id("hl-back").click()
        await opener.click()
        await page.get_by_test_id("hl-transcript-send").click()
        await expect(page.get_by_test_id("hl-transcript-done")).to_be_visible()
    await page.get_by_test_id("hl-back").click()
    await opener.click()
    await page.get_by_test_id("hl-transcript-send").click()
    await expect(page.get_by_test_id("hl-form-error")).to_have_text("Too many requests. Please try again later.")
    await expect(page.get_by_test_id("hl-transcript-done")).to_have_count(0)

    # The chat itself is not held up by that refusal.
    await page.get_by_test_id("hl-back").click()
    await widget_send(page, "Thanks!")
    await expect(widget_message(page, "Thanks!")).to_have_attribute("data-pending", "false")


# -- a ban -----------------------------------------------------------------------------------------


async def mode_answered(page: Page, *, reload: bool = True, url: str | None = None) -> None:
    """(Re)loads the page and waits for the launcher's `GET /mode`, which decides whether
    anything is drawn at all."""
    async with page.expect_response("**/api/widget/v1/mode**") as response:
        if url is not None:
            await page.goto(url)
        else:
            await page.reload()
    await (await response.value).finished()


async def test_a_banned_visitor_sees_no_widget(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(page)
    await introduce(page, "Спамер", "spam@example.com")
    await widget_send(page, "Купите слона")
    await expect(widget_message(page, "Купите слона")).to_have_attribute("data-pending", "false")
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        response = await agent.post("/api/v1/bans", {"kind": "ip", "value": "127.0.0.1", "reason": "spam", "minutes": None})
        assert response.status_code == 201, response.text
        ban_id = response.json()["ban"]["id"]

        # The open chat goes quiet at once (chat_unavailable, 4003) and does not come back.
        await expect(page.get_by_test_id("hl-launcher")).to_have_count(0)
        await expect(page.get_by_test_id("hl-panel")).to_have_count(0)
        await page.wait_for_timeout(1500)
        assert sockets == []

        # Later pages draw nothing and connect nowhere: the launcher's /mode says hidden.
        await mode_answered(page)
        await page.wait_for_timeout(500)
        await expect(page.get_by_test_id("hl-launcher")).to_have_count(0)
        assert sockets == []

        # Another browser at the same address sees no launcher either.
        context = await browsing.context(locale="ru-RU", permissions=VISITOR_PERMISSIONS)
        await install_shop(context, web_server, web_tenant.site_key, lang="ru")
        other = await context.new_page()
        other_sockets: list[str] = []
        other.on("websocket", lambda ws: other_sockets.append(ws.url))
        await mode_answered(other, url=SHOP + "/catalog/phone-x")
        await other.wait_for_timeout(500)
        await expect(other.get_by_test_id("hl-launcher")).to_have_count(0)
        assert other_sockets == []

        # The ban is lifted: the visitor is back, with the history.
        response = await agent.post(f"/api/v1/bans/{ban_id}/lift")
        assert response.status_code == 200, response.text
    await mode_answered(page)
    await open_widget(page)
    await expect(widget_message(page, "Купите слона")).to_be_visible()
