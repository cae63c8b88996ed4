"""A visitor and an agent talk through the real widget and the real console."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    SHOP,
    Browsing,
    agent_api,
    console_bodies,
    console_message,
    console_page,
    introduce,
    open_widget,
    tab_count,
    visitor_page,
    widget_bodies,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def type_two_lines(composer_page: Page, testid: str, first: str, second: str) -> None:
    """Types `first`, Shift+Enter, `second`, then Enter: one message of two lines."""
    composer = composer_page.get_by_test_id(testid)
    await composer.press_sequentially(first)
    await composer.press("Shift+Enter")
    await composer.press_sequentially(second)
    await expect(composer).to_have_value(f"{first}\n{second}")
    await composer.press("Enter")
    await expect(composer).to_have_value("")


async def test_visitor_and_agent_talk_live_with_typing(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await console.get_by_test_id("cn-tab-unassigned").click()
    await expect(tab_count(console, "unassigned")).to_have_text("0")
    await expect(console.get_by_test_id("cn-conv-row")).to_have_count(0)

    widget = await visitor_page(browsing, web_server, web_tenant.site_key, path="/catalog/phone-x")
    await open_widget(widget)
    await introduce(widget, "Анна Смирнова", "anna@example.com")
    await widget_send(widget, "Здравствуйте! Phone X есть в наличии?")
    await expect(widget_message(widget, "Здравствуйте! Phone X есть в наличии?")).to_have_attribute("data-pending", "false")

    # The conversation appears in the agent's inbox by itself.
    await expect(tab_count(console, "unassigned")).to_have_text("1")
    row = console.get_by_test_id("cn-conv-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Анна Смирнова")
    await expect(row).to_contain_text("Phone X есть в наличии?")
    await expect(row.get_by_test_id("cn-unread")).to_have_text("1")
    await row.click()
    await expect(console.get_by_test_id("cn-conversation")).to_be_visible()
    await expect(row.get_by_test_id("cn-unread")).to_have_count(0)  # opening it marks it read
    await expect(console_message(console, "Здравствуйте! Phone X есть в наличии?")).to_have_attribute("data-author", "contact")

    # What the widget told the server about the visitor.
    await expect(console.get_by_test_id("cn-visitor-name")).to_have_text("Анна Смирнова")
    await expect(console.get_by_test_id("cn-visitor-email")).to_have_text("anna@example.com")
    await expect(console.get_by_test_id("cn-visitor-page")).to_contain_text("Phone X 128 GB — Shop")
    await expect(console.get_by_test_id("cn-visitor-page")).to_contain_text(f"{SHOP}/catalog/phone-x")
    await expect(console.get_by_test_id("cn-visitor-browser")).to_contain_text("Chrome")
    await expect(console.get_by_test_id("cn-visitor-visits")).to_have_text("1")

    # The visitor types: the agent sees it.
    await widget.get_by_test_id("hl-input").press_sequentially("А доставка", delay=20)
    await expect(console.get_by_test_id("cn-typing")).to_be_visible()
    await expect(console.get_by_test_id("cn-typing")).to_contain_text("Анна Смирнова")
    await widget.get_by_test_id("hl-input").fill("")

    await console.get_by_test_id("cn-assign-me").click()
    await expect(console.get_by_test_id("cn-assignee")).to_have_text("Agent1")
    await expect(tab_count(console, "unassigned")).to_have_text("0")
    await expect(tab_count(console, "mine")).to_have_text("1")

    # The agent types: the visitor sees it; Shift+Enter makes a second line, Enter sends.
    await expect(widget.get_by_test_id("hl-typing")).to_have_count(0)
    await console.get_by_test_id("cn-composer").press_sequentially("Да, есть.", delay=20)
    await expect(widget.get_by_test_id("hl-typing")).to_be_visible()
    await console.get_by_test_id("cn-composer").press("Shift+Enter")
    await console.get_by_test_id("cn-composer").press_sequentially("Доставим завтра.")
    await console.get_by_test_id("cn-composer").press("Enter")
    await expect(console.get_by_test_id("cn-composer")).to_have_value("")
    agent_reply = widget.get_by_test_id("hl-message").filter(has_text="Доставим завтра.")
    await expect(agent_reply).to_have_attribute("data-author", "agent")
    await expect(widget.get_by_test_id("hl-typing")).to_have_count(0)

    # The visitor answers in two lines.
    await type_two_lines(widget, "hl-input", "Отлично!", "Оформляю заказ.")
    await expect(console.get_by_test_id("cn-message")).to_have_count(3)
    await expect(console.locator("[data-testid=cn-message][data-pending=true]")).to_have_count(0)

    # Both sides show the same three messages, in order, line breaks kept.
    expected = [
        ("contact", "1", "Здравствуйте! Phone X есть в наличии?"),
        ("agent", "2", "Да, есть.\nДоставим завтра."),
        ("contact", "3", "Отлично!\nОформляю заказ."),
    ]
    await expect(widget.locator("[data-testid=hl-message][data-pending=false]")).to_have_count(3)
    assert await console_bodies(console) == expected
    assert await widget_bodies(widget) == expected

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversations = (await agent.get("/api/v1/conversations", view="all")).json()["conversations"]
        assert len(conversations) == 1
        stored = (await agent.conversation(conversations[0]["id"]))["messages"]
        assert [(m["author"]["type"], str(m["seq"]), m["body"]) for m in stored] == expected
        assert conversations[0]["assignee"]["id"] == agent.id
    assert not browsing.page_errors


async def test_reload_keeps_history_and_brings_replies_sent_while_away(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        widget = await visitor_page(browsing, web_server, web_tenant.site_key)
        await open_widget(widget)
        await introduce(widget, "Олег", "oleg@example.com")
        await widget_send(widget, "Первый вопрос")
        await expect(widget_message(widget, "Первый вопрос")).to_have_attribute("data-seq", "1")
        conversation_id = (await agent.get("/api/v1/conversations", view="all")).json()["conversations"][0]["id"]
        assert (await agent.reply(conversation_id, "Ответ оператора")).status_code == 201
        await expect(widget_message(widget, "Ответ оператора")).to_have_attribute("data-seq", "2")
        await widget_send(widget, "Второй вопрос")
        await expect(widget_message(widget, "Второй вопрос")).to_have_attribute("data-seq", "3")
        history = [("contact", "1", "Первый вопрос"), ("agent", "2", "Ответ оператора"), ("contact", "3", "Второй вопрос")]

        await widget.reload()
        await open_widget(widget)
        await expect(widget.get_by_test_id("hl-message")).to_have_count(3)
        assert await widget_bodies(widget) == history
        await expect(widget.get_by_test_id("hl-prechat")).to_have_count(0)

        # The visitor leaves the site; the agent answers; the visitor comes back later.
        context = widget.context
        await widget.close()
        assert (await agent.reply(conversation_id, "Ответ, пока вас не было")).status_code == 201
        widget = await context.new_page()
        await widget.goto(f"{SHOP}/catalog")
        # The launcher connects at once for a known visitor, so the reply raises the badge.
        await expect(widget.get_by_test_id("hl-unread")).to_have_text("1")
        await open_widget(widget)
        await expect(widget.get_by_test_id("hl-message")).to_have_count(4)
        assert await widget_bodies(widget) == [*history, ("agent", "4", "Ответ, пока вас не было")]
        await expect(widget.get_by_test_id("hl-unread")).to_be_hidden()


async def test_markup_in_messages_shows_as_text(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    from_visitor = "<img src=x onerror=alert(1)>"
    from_agent = '<img src=y onerror=alert(2)><script>alert(3)</script><b onclick="alert(4)">bold?</b>'
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    widget = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(widget)
    await introduce(widget, "<i>Ева</i>", "eva@example.com")
    await widget_send(widget, from_visitor)
    await expect(widget_message(widget, from_visitor)).to_have_attribute("data-pending", "false")

    row = console.get_by_test_id("cn-conv-row")
    await expect(row).to_contain_text(from_visitor)
    await row.click()
    await expect(console_message(console, from_visitor)).to_be_visible()
    await expect(console.get_by_test_id("cn-visitor-name")).to_have_text("<i>Ева</i>")
    await console.get_by_test_id("cn-composer").fill(from_agent)
    await console.get_by_test_id("cn-send").click()
    await expect(console_message(console, from_agent)).to_have_attribute("data-pending", "false")
    await expect(widget_message(widget, from_agent)).to_be_visible()

    for page, prefix in ((widget, "hl"), (console, "cn")):
        bodies = page.get_by_test_id(f"{prefix}-message-body")
        assert await bodies.all_text_contents() == [from_visitor, from_agent]
        assert await page.locator(f"[data-testid={prefix}-message-body] *").count() == 0
    assert await console.locator("[data-testid=cn-conv-row] img, [data-testid=cn-visitor] img, [data-testid=cn-visitor] i").count() == 0
    # Had any of it run, `browsing` would have recorded the dialog; it fails the test at teardown too.
    assert browsing.dialogs == []
    assert not browsing.page_errors
