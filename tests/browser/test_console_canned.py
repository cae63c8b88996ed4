"""Canned responses in the console: made on their page, inserted with `/shortcut` or Alt+C,
filled for the conversation, edited, and sent only when the agent sends them."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_bodies, console_message, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def anonymous_conversation(server: Server, tenant: Tenant, body: str) -> int:
    """A visitor who never gave a name writes; returns the conversation id."""
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        ack = await send_and_ack(socket, body)
        assert ack["type"] == "ack", ack
        await socket.close()
        return ack["conversation_id"]
    finally:
        await visitor.close()


async def add_canned(page: Page, shortcut: str, title: str, body: str, scope: str = "personal") -> None:
    """Fills in the canned responses page's form and waits for the new row."""
    await page.get_by_test_id("cn-canned-shortcut").fill(shortcut)
    await page.get_by_test_id("cn-canned-title").fill(title)
    await page.get_by_test_id("cn-canned-body").fill(body)
    await page.get_by_test_id("cn-canned-scope").select_option(scope)
    await page.get_by_test_id("cn-canned-submit").click()
    await expect(
        page.locator(f'[data-testid=cn-canned-row][data-shortcut="{shortcut}"][data-scope={scope}]')
    ).to_have_count(1)


async def test_a_canned_response_is_inserted_with_its_fallback_edited_and_sent_by_the_agent(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    conversation_id = await anonymous_conversation(web_server, web_tenant, "Здравствуйте, есть вопрос")
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)

    await console.get_by_test_id("cn-nav-canned").click()
    # A plain agent makes personal responses only: "shared" is not even offered.
    await expect(console.get_by_test_id("cn-canned-scope").locator("option")).to_have_count(1)
    await add_canned(
        console, "privet", "Приветствие", "Здравствуйте, {{contact.name|друг}}! Меня зовут {{agent.first_name}}."
    )
    await add_canned(console, "pay", "Оплата картой", "Оплатить можно картой на сайте, заказ №{{conversation.number}}.")

    await console.goto(f"{web_server.url}/console/all/{conversation_id}")
    composer = console.get_by_test_id("cn-composer")
    await expect(composer).to_be_visible()
    # The browser checks spelling in the customer's language (the widget said ru-RU).
    await expect(composer).to_have_attribute("spellcheck", "true")
    await expect(composer).to_have_attribute("lang", "ru")

    await composer.press_sequentially("/pri")
    picker = console.get_by_test_id("cn-canned-picker")
    await expect(picker).to_be_visible()
    await expect(picker.get_by_test_id("cn-canned-option")).to_have_count(1)
    await expect(picker.get_by_test_id("cn-canned-option")).to_have_attribute("data-shortcut", "privet")
    await composer.press("Enter")
    # The contact has no name: the fallback fills in. Nothing is sent by itself.
    await expect(composer).to_have_value("Здравствуйте, друг! Меня зовут Agent1.")
    await expect(picker).to_be_hidden()
    await expect(console.get_by_test_id("cn-message")).to_have_count(1)

    await composer.press("End")
    await composer.press_sequentially(" Чем помочь?")
    await composer.press("Enter")
    await expect(composer).to_have_value("")
    sent = "Здравствуйте, друг! Меня зовут Agent1. Чем помочь?"
    await expect(console_message(console, sent)).to_have_attribute("data-pending", "false")
    assert [body for _, _, body in await console_bodies(console)] == ["Здравствуйте, есть вопрос", sent]

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        stored = await agent.conversation(conversation_id)
        assert [m["body"] for m in stored["messages"]] == ["Здравствуйте, есть вопрос", sent]
        number = stored["conversation"]["number"]

    # Alt+C opens the same picker; the title finds it too, the arrows choose, Tab inserts.
    await composer.press_sequentially("Смотрите: ")
    await composer.press("Alt+c")
    await expect(picker).to_be_visible()
    await expect(composer).to_have_value("Смотрите: /")
    await expect(picker.get_by_test_id("cn-canned-option")).to_have_count(2)
    await composer.press_sequentially("опл")
    await expect(picker.get_by_test_id("cn-canned-option")).to_have_count(1)
    await composer.press("Backspace")
    await composer.press("Backspace")
    await composer.press("Backspace")
    await expect(picker.get_by_test_id("cn-canned-option")).to_have_count(2)
    await composer.press("ArrowDown")
    await expect(picker.locator("[aria-selected=true]")).to_have_attribute("data-shortcut", "privet")
    await composer.press("ArrowUp")
    await expect(picker.locator("[aria-selected=true]")).to_have_attribute("data-shortcut", "pay")
    await composer.press("Tab")
    await expect(composer).to_have_value(f"Смотрите: Оплатить можно картой на сайте, заказ №{number}.")
    await expect(console.get_by_test_id("cn-message")).to_have_count(2)

    # Esc closes the picker; what the hotkey typed goes away again, the text stays.
    await composer.press("Alt+c")
    await expect(picker).to_be_visible()
    await composer.press("Escape")
    await expect(picker).to_be_hidden()
    await expect(composer).to_have_value(f"Смотрите: Оплатить можно картой на сайте, заказ №{number}.")
    # A `/` inside a word is not a shortcut.
    await composer.press_sequentially(" 1/2")
    await expect(picker).to_be_hidden()


async def test_shared_responses_are_made_by_supervisors_and_kept_apart_from_personal_ones(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
    await supervisor.get_by_test_id("cn-nav-canned").click()
    await add_canned(supervisor, "bye", "Прощание", "До свидания, {{contact.name|друг}}!", scope="shared")
    # An unknown placeholder is refused next to the body.
    await supervisor.get_by_test_id("cn-canned-shortcut").fill("oops")
    await supervisor.get_by_test_id("cn-canned-body").fill("Привет, {{contact.surname}}")
    await supervisor.get_by_test_id("cn-canned-submit").click()
    await expect(supervisor.locator("[data-testid=cn-field-error][data-field=body]")).to_be_visible()
    await expect(supervisor.locator("[data-testid=cn-canned-row][data-shortcut=oops]")).to_have_count(0)

    agent = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
    await agent.get_by_test_id("cn-nav-canned").click()
    shared = agent.locator("[data-testid=cn-canned-row][data-shortcut=bye]")
    await expect(shared).to_have_attribute("data-scope", "shared")
    await expect(shared.get_by_test_id("cn-canned-edit")).to_have_count(0)  # not theirs to change
    await add_canned(agent, "bye", "Моё прощание", "Пока!")  # a personal one may share the shortcut
    await expect(agent.locator("[data-testid=cn-canned-row][data-shortcut=bye]")).to_have_count(2)

    mine = agent.locator("[data-testid=cn-canned-row][data-shortcut=bye][data-scope=personal]")
    await mine.get_by_test_id("cn-canned-edit").click()
    await expect(agent.get_by_test_id("cn-canned-body")).to_have_value("Пока!")
    await agent.get_by_test_id("cn-canned-body").fill("Всего доброго!")
    await agent.get_by_test_id("cn-canned-submit").click()
    await expect(mine).to_contain_text("Всего доброго!")
    await mine.get_by_test_id("cn-canned-delete").click()
    await mine.get_by_test_id("cn-canned-delete").click()  # the second click confirms
    await expect(agent.locator("[data-testid=cn-canned-row][data-shortcut=bye]")).to_have_count(1)

    async with agent_api(web_server, web_tenant.agents[1], web_tenant.password) as api:
        listed = (await api.get("/api/v1/canned")).json()["canned"]
        assert [(c["shortcut"], c["scope"]) for c in listed if c["shortcut"] == "bye"] == [("bye", "shared")]
