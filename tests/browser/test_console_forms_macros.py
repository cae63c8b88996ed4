"""Web forms, macros, ratings and the reviewer's settings in the console: an admin makes a form
and a customer's submission shows in the conversation as sent; an agent makes a macro and
applies it (the actions done, the reply in the composer and not sent); a rated conversation
shows its stars; the reviewer's settings save and refuse by field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_page, eventually
from tests.support.clients import Visitor, new_client_id, send_and_ack, send_and_answer
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


async def open_conversation(page: Page, server: Server, conversation_id: int) -> None:
    await page.goto(f"{server.url}/console/all/{conversation_id}")
    await expect(page.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))


async def test_a_form_made_in_the_console_is_submitted_and_shown_as_sent(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-forms").click()
    await admin.get_by_test_id("cn-form-new").click()
    editor = admin.get_by_test_id("cn-form-form")
    await editor.get_by_test_id("cn-form-name").fill("Заявка на кредит")
    await editor.get_by_test_id("cn-form-title").fill("Заявка")
    # The default fields (name, e-mail, message) and one more: the amount, a number.
    await expect(editor.get_by_test_id("cn-form-field")).to_have_count(3)
    await editor.get_by_test_id("cn-form-field-add").click()
    amount = editor.get_by_test_id("cn-form-field").nth(3)
    await amount.get_by_test_id("cn-form-field-label").fill("Сумма")
    await amount.get_by_test_id("cn-form-field-key").fill("amount")
    await amount.get_by_test_id("cn-form-field-type").select_option("number")
    await amount.get_by_test_id("cn-form-field-required").check()
    await editor.get_by_test_id("cn-form-save").click()
    card = admin.locator("[data-testid=cn-form][data-name='Заявка на кредит']")
    await expect(card).to_be_visible()
    key = await card.get_attribute("data-key")
    assert key and key.startswith("form-")
    await expect(card.get_by_test_id("cn-form-url")).to_have_text(f"{web_server.url}/forms/{key}")
    await expect(card.get_by_test_id("cn-form-embed")).to_have_value(f'<iframe src="{web_server.url}/forms/{key}?embed=1" title="Заявка" style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>')
    await card.get_by_test_id("cn-form-copy").click()
    await expect(card.get_by_test_id("cn-form-copy")).to_have_attribute("data-copied", "true")

    # A key the server refuses is shown by its row, and nothing is stored.
    await card.get_by_test_id("cn-form-edit").click()
    editor = admin.get_by_test_id("cn-form-form")
    await editor.get_by_test_id("cn-form-field").nth(3).get_by_test_id("cn-form-field-key").fill("Сумма")
    await editor.get_by_test_id("cn-form-save").click()
    await expect(editor.locator("[data-testid=cn-field-error][data-field='fields.3']")).to_contain_text("lowercase latin letters")
    await editor.get_by_test_id("cn-form-cancel").click()

    async with httpx.AsyncClient(base_url=web_server.url) as customer:
        values = {"name": "Ольга", "email": "olga@example.com", "message": "Нужен кредит на ремонт", "amount": "150000"}
        answer = await ok(await customer.post(f"/api/forms/v1/{key}/submissions", json={"client_id": new_client_id(), "values": values}), 201)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        [listed] = [c for c in (await ok(await agent.get("/api/v1/conversations", view="all")))["conversations"] if c["number"] == answer["number"]]
    assert listed["type"] == "form"

    page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await open_conversation(page, web_server, listed["id"])
    await expect(page.get_by_test_id("cn-conversation").get_by_test_id("cn-type")).to_have_text("Web form")
    block = page.get_by_test_id("cn-submission")
    await expect(block).to_contain_text("Submitted form")
    await expect(block.locator("[data-testid=cn-submission-value][data-key=message]")).to_have_text("Нужен кредит на ремонт")
    await expect(block.locator("[data-testid=cn-submission-value][data-key=amount]")).to_have_text("150000")
    await expect(block.locator("dt", has_text="Сумма")).to_be_visible()
    # A form has no widget to ask for a rating: the link is offered instead.
    await expect(page.get_by_test_id("cn-csat").get_by_test_id("cn-csat-copy-link")).to_be_visible()


async def test_a_macro_made_by_an_agent_does_its_actions_and_leaves_the_reply_unsent(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        await send_and_answer(socket, {"type": "contact.update", "name": "Анна"})
        conversation_id = (await send_and_ack(socket, "Хочу вернуть деньги"))["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()

    page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await page.get_by_test_id("cn-nav-canned").click()
    await page.get_by_test_id("cn-subnav-macros").click()
    form = page.get_by_test_id("cn-macro-form")
    await form.get_by_test_id("cn-macro-name").fill("Ждём чек")
    await form.get_by_test_id("cn-macro-action-add").click()
    first = form.get_by_test_id("cn-macro-action").nth(0)
    await first.get_by_test_id("cn-macro-action-type").select_option("add_tags")
    await first.get_by_test_id("cn-macro-action-value").fill("чек")
    await form.get_by_test_id("cn-macro-action-add").click()
    second = form.get_by_test_id("cn-macro-action").nth(1)
    await second.get_by_test_id("cn-macro-action-type").select_option("set_status")
    await second.get_by_test_id("cn-macro-action-value").select_option("pending")
    await form.get_by_test_id("cn-macro-reply").fill("{{contact.name|Здравствуйте}}, пришлите, пожалуйста, фото чека.")
    await expect(form.get_by_test_id("cn-macro-shared")).to_have_count(0)  # agents do not share
    await form.get_by_test_id("cn-macro-submit").click()
    listed = page.locator("[data-testid=cn-macro-row][data-name='Ждём чек']")
    await expect(listed).to_contain_text("Tags +чек · Status: Waiting for customer")

    await open_conversation(page, web_server, conversation_id)
    composer = page.get_by_test_id("cn-composer")
    await composer.fill("Добрый день!")
    await page.get_by_test_id("cn-macros").click()
    picker = page.get_by_test_id("cn-macro-picker")
    await picker.get_by_test_id("cn-macro-search").fill("чек")
    await picker.locator("[data-testid=cn-macro-option][data-name='Ждём чек']").click()
    await expect(picker).to_have_count(0)
    await expect(page.get_by_test_id("cn-status")).to_have_attribute("data-status", "pending")
    await expect(page.get_by_test_id("cn-properties").locator("[data-testid=cn-prop-tag][data-tag=чек]")).to_be_visible()
    await expect(composer).to_have_value("Добрый день!\nАнна, пришлите, пожалуйста, фото чека.")
    await expect(composer).to_be_focused()
    await expect(page.locator("[data-testid=cn-message][data-author=agent]")).to_have_count(0)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        detail = await agent.conversation(conversation_id)
        assert detail["conversation"]["status"] == "pending" and detail["conversation"]["tags"] == ["чек"]
        assert [m for m in detail["messages"] if m["author"]["type"] == "agent"] == []

    # Alt+Q opens the picker from the keyboard; Esc closes it and leaves the text alone.
    await composer.fill("")
    await page.keyboard.press("Alt+q")
    await expect(picker).to_be_visible()
    await expect(picker.get_by_test_id("cn-macro-search")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(picker).to_have_count(0)
    await expect(composer).to_have_value("")
    await page.get_by_test_id("cn-shortcuts-button").click()
    await expect(page.locator("[data-testid=cn-shortcut][data-keys='Alt+Q']")).to_contain_text("Macros")


async def test_a_rating_shows_as_stars_in_the_sidebar_and_on_the_quality_page(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Как сменить тариф?"))["conversation_id"]
        async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
            await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id}))
            await ok(await agent.reply(conversation_id, "В личном кабинете, раздел «Тариф»."), 201)
            await ok(await agent.post(f"/api/v1/conversations/{conversation_id}/resolve"))
            page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
            await open_conversation(page, web_server, conversation_id)
            await expect(page.get_by_test_id("cn-csat")).to_have_count(0)  # the widget asks; nothing yet

            rated = await send_and_answer(socket, {"type": "csat.submit", "conversation_id": conversation_id, "rating": 4, "comment": "Спасибо, быстро"})
            assert rated["type"] == "ack", rated
            agent_id = agent.id

            async def reviewed() -> bool:
                return (await ok(await agent.get(f"/api/v1/conversations/{conversation_id}/review")))["review"] is not None

            await eventually(reviewed, what="the automatic review")
        await socket.close()
    finally:
        await visitor.close()

    block = page.get_by_test_id("cn-csat")
    await expect(block).to_have_attribute("data-rating", "4")
    await expect(block.get_by_test_id("cn-stars")).to_have_attribute("aria-label", "Rated 4 of 5")
    await expect(block.locator(".cn-stars i.is-on")).to_have_count(4)
    await expect(block.get_by_test_id("cn-csat-comment")).to_have_text("Спасибо, быстро")
    await expect(block.get_by_test_id("cn-csat-copy-link")).to_have_count(0)  # a web chat: the widget asks

    supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
    await supervisor.get_by_test_id("cn-nav-quality").click()
    csat = supervisor.locator(f"[data-testid=cn-quality-row][data-id='{agent_id}']").get_by_test_id("cn-quality-csat")
    await expect(csat).to_have_attribute("data-average", "4")
    await expect(csat).to_have_attribute("data-ratings", "1")


async def test_the_reviewer_settings_save_a_threshold_and_refuse_a_bad_one_by_its_field(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-reviewer").click()
    form = admin.get_by_test_id("cn-reviewer-form")
    threshold = form.get_by_test_id("cn-reviewer-first_response_seconds")
    await expect(threshold).to_have_value("60")
    await threshold.fill("45")
    await form.locator("[data-testid=cn-reviewer-fault][data-fault=template_phrase]").get_by_test_id("cn-reviewer-enabled").uncheck()
    await form.get_by_test_id("cn-reviewer-stock_phrases").fill("спасибо за обращение\nваш звонок очень важен для нас")
    await form.get_by_test_id("cn-reviewer-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_contain_text("Reviewer settings saved")

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:

        async def config() -> dict[str, Any]:
            return (await ok(await api.get("/api/v1/account/quality")))["config"]

        saved = await config()
        assert saved["first_response_seconds"] == 45
        assert "template_phrase" not in saved["enabled"] and "slow_reply" in saved["enabled"]
        assert saved["stock_phrases"] == ["спасибо за обращение", "ваш звонок очень важен для нас"]

        # Zero seconds is refused: the reason shows by the field and nothing changes.
        await threshold.fill("0")
        await form.get_by_test_id("cn-reviewer-save").click()
        error = form.locator("[data-testid=cn-field-error][data-field=first_response_seconds]")
        await expect(error).to_contain_text("greater than 0")
        await expect(threshold).to_have_attribute("aria-invalid", "true")
        assert (await config())["first_response_seconds"] == 45

        # Back to the defaults: asked once more, then done.
        await form.get_by_test_id("cn-reviewer-reset").click()
        await expect(form.get_by_test_id("cn-reviewer-reset")).to_have_text("Reset everything?")
        await form.get_by_test_id("cn-reviewer-reset").click()
        await expect(admin.get_by_test_id("cn-reviewer-form").get_by_test_id("cn-reviewer-first_response_seconds")).to_have_value("60")

        async def reset() -> bool:
            current = await config()
            return current["first_response_seconds"] == 60 and "template_phrase" in current["enabled"]

        await eventually(reset, what="the defaults back")
