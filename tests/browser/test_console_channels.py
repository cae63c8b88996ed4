"""Channels in the console, in Russian: an admin connects a Telegram bot on the channels page
(against the loopback Bot API stand-in) — a wrong token is refused by the token field and
nothing is created — sees it working with its webhook address, tests it and switches it off
and on; a customer's Telegram message shows in the inbox with the Telegram mark and their
@username; the agent's answers show their delivery (sent), and one the channel keeps refusing
ends "not delivered" with the reason and is sent again with the button; the customer's
Telegram account is banned from the side panel (docs/protocol.md, "Channels")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_message, console_page, console_send, eventually
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.telegram_api import TOKEN, TelegramApi, error

pytestmark = pytest.mark.browser

CUSTOMER = 777_000_321
# Screenshots for a person to look at, when asked for: HELPLINE_SCREENSHOTS=/some/dir.
SCREENSHOTS = os.environ.get("HELPLINE_SCREENSHOTS")


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def channel_inboxes(server: Server, tenant: Tenant) -> list[dict[str, Any]]:
    async with agent_api(server, tenant.admin, tenant.password) as admin:
        response = await admin.get("/api/v1/inboxes")
        assert response.status_code == 200, response.text
        return [inbox for inbox in response.json()["inboxes"] if inbox["channel"] == "telegram"]


async def test_an_admin_connects_telegram_and_answers_leave_through_it_with_their_delivery(
    browsing: Browsing, web_server: Server, web_tenant: Tenant, telegram: TelegramApi
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password, locale="ru-RU")
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-channels").click()
    await expect(admin.get_by_test_id("cn-channels-none")).to_be_visible()

    # Connecting: the channel first, then its settings, with hints in the admin's words.
    await admin.get_by_test_id("cn-channel-connect-open").click()
    await admin.locator("[data-testid=cn-channel-choice][data-channel=telegram]").click()
    form = admin.get_by_test_id("cn-channel-form")
    await expect(form).to_have_attribute("data-channel", "telegram")
    await expect(form.get_by_test_id("cn-channel-name")).to_have_value("Telegram")
    await expect(form).to_contain_text("Токен от @BotFather")
    await form.get_by_test_id("cn-channel-name").fill("Бот магазина")
    await expect(form.get_by_test_id("cn-channel-setting-mode")).to_have_value("webhook")
    await form.get_by_test_id("cn-channel-more").click()
    api_url = form.get_by_test_id("cn-channel-setting-api_url")
    await expect(api_url).to_have_value("https://api.telegram.org")
    await api_url.fill(telegram.url)
    token = form.get_by_test_id("cn-channel-setting-token")
    token_error = form.locator("[data-testid=cn-field-error][data-field='settings.token']")

    # Something that is no token at all is explained at once, in the admin's words.
    await token.fill("мой бот")
    await form.get_by_test_id("cn-channel-submit").click()
    await expect(token_error).to_contain_text("Это не токен бота")
    assert telegram.calls_of("getMe") == []

    # A token Telegram does not know: refused by the token field, nothing created.
    await token.fill("987654321:AAUnknownTokenUnknownTokenUnknown")
    await expect(token_error).to_be_hidden()
    await form.get_by_test_id("cn-channel-submit").click()
    await expect(token_error).to_contain_text("Telegram does not know this token")
    await screenshot(admin, "channels-connect-refused")
    assert len(telegram.calls_of("getMe")) == 1
    assert await channel_inboxes(web_server, web_tenant) == []
    await expect(admin.get_by_test_id("cn-channels-none")).to_be_visible()

    await token.fill(TOKEN)
    await form.get_by_test_id("cn-channel-submit").click()
    card = admin.locator("[data-testid=cn-channel-inbox][data-channel=telegram]")
    await expect(card).to_have_attribute("data-status", "ok")
    await expect(form).to_be_hidden()
    await expect(admin.get_by_test_id("cn-toast")).to_contain_text("@helpline_test_bot")
    await expect(card.get_by_test_id("cn-channel-inbox-name")).to_have_text("Бот магазина")
    await expect(card.get_by_test_id("cn-channel-status")).to_have_text("Работает")
    [stored] = await channel_inboxes(web_server, web_tenant)
    assert stored["settings"]["token"] == "••••••••" and stored["settings"]["api_url"] == telegram.url
    assert telegram.webhook is not None and telegram.webhook["url"] == stored["webhook_url"]
    await expect(card.get_by_test_id("cn-channel-webhook")).to_have_value(stored["webhook_url"])
    await card.get_by_test_id("cn-channel-copy-webhook").click()
    await expect(card.get_by_test_id("cn-channel-copy-webhook")).to_have_attribute("data-copied", "true")
    await screenshot(admin, "channels-page")

    # Test connection: the channel is asked again, and says which bot it is.
    await card.get_by_test_id("cn-channel-test").click()
    result = card.get_by_test_id("cn-channel-test-result")
    await expect(result).to_have_attribute("data-ok", "true")
    await expect(result).to_contain_text("Подключение работает: @helpline_test_bot")

    # The switch: off is stored, and on again.
    switch = card.get_by_test_id("cn-channel-active")
    await switch.uncheck()
    await expect(card).to_have_attribute("data-active", "false")
    assert [inbox["is_active"] for inbox in await channel_inboxes(web_server, web_tenant)] == [False]
    await switch.check()
    await expect(card).to_have_attribute("data-active", "true")
    assert [inbox["is_active"] for inbox in await channel_inboxes(web_server, web_tenant)] == [True]

    # A new name (the settings untouched: the stored token stays as it was).
    await card.get_by_test_id("cn-channel-edit").click()
    editor = card.get_by_test_id("cn-channel-form")
    await expect(editor.get_by_test_id("cn-channel-setting-token")).to_have_value("••••••••")
    await editor.get_by_test_id("cn-channel-name").fill("Бот магазина в Telegram")
    await editor.get_by_test_id("cn-channel-submit").click()
    await expect(card.get_by_test_id("cn-channel-inbox-name")).to_have_text("Бот магазина в Telegram")
    await expect(editor).to_be_hidden()
    [stored] = await channel_inboxes(web_server, web_tenant)
    assert stored["name"] == "Бот магазина в Telegram" and stored["settings"]["token"] == "••••••••"

    # A customer writes to the bot.
    delivered = await telegram.deliver(telegram.update(CUSTOMER, "Здравствуйте! Где мой заказ 4417?"))
    assert delivered.status_code == 200, delivered.text
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as api:

        async def the_conversation() -> list[dict[str, Any]]:
            response = await api.get("/api/v1/conversations", status="all", inbox_id=str(stored["id"]))
            return response.json()["conversations"]

        await eventually(the_conversation, what="the Telegram conversation")
        [summary] = await the_conversation()

    page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password, locale="ru-RU")
    row = page.locator(f"[data-testid=cn-conv-row][data-id='{summary['id']}']")
    await expect(row.get_by_test_id("cn-channel")).to_have_attribute("data-channel", "telegram")
    await expect(row).to_contain_text("Иван Петров")
    await row.click()
    conversation = page.get_by_test_id("cn-conversation")
    await expect(conversation).to_have_attribute("data-id", str(summary["id"]))
    await expect(conversation.get_by_test_id("cn-channel")).to_have_text("Telegram")
    side = page.get_by_test_id("cn-channel-context")
    await expect(side).to_have_attribute("data-channel", "telegram")
    await expect(side.get_by_test_id("cn-context-username")).to_have_text("@ivan")
    await expect(side.get_by_test_id("cn-channel-inbox")).to_have_text("Бот магазина в Telegram")
    # The customer's own message has no delivery mark.
    await expect(
        console_message(page, "Здравствуйте! Где мой заказ 4417?").get_by_test_id("cn-delivery")
    ).to_have_count(0)

    # The answer leaves through Telegram and shows it was sent.
    await console_send(page, "Добрый день! Заказ 4417 уже у курьера.")
    answer = console_message(page, "Добрый день! Заказ 4417 уже у курьера.")
    await expect(answer).to_have_attribute("data-delivery", "sent")
    await expect(answer.get_by_test_id("cn-delivery")).to_have_attribute("title", "Отправлено")
    [call] = await telegram.wait_for_calls("sendMessage", 1)
    assert call.params == {"chat_id": str(CUSTOMER), "text": "Добрый день! Заказ 4417 уже у курьера."}

    # Telegram is down: five attempts, then "not delivered" with the reason, spelt out.
    telegram.fail_next("sendMessage", lambda: error(502, "Bad Gateway"), times=5)
    await console_send(page, "Вы ещё здесь?")
    second = console_message(page, "Вы ещё здесь?")
    await expect(second).to_have_attribute("data-delivery", "failed", timeout=20_000)
    await expect(second.get_by_test_id("cn-delivery-reason")).to_have_text("Не доставлено: Telegram: Bad Gateway")
    retry = second.get_by_test_id("cn-delivery-retry")
    await expect(retry).to_have_text("Отправить снова")
    assert len(telegram.calls_of("sendMessage")) == 1 + 5
    await screenshot(page, "failed-message")

    # The channels page shows the error and when it was.
    await admin.reload()
    card = admin.locator("[data-testid=cn-channel-inbox][data-channel=telegram]")
    await expect(card).to_have_attribute("data-status", "error")
    await expect(card.get_by_test_id("cn-channel-status")).to_have_text("Ошибка")
    await expect(card.get_by_test_id("cn-channel-last-error")).to_contain_text("Telegram: Bad Gateway")
    await screenshot(admin, "channels-page-error")

    # Send again: it goes, and the message says so.
    await retry.click()
    await expect(second).to_have_attribute("data-delivery", "sent")
    await expect(second.get_by_test_id("cn-delivery-error")).to_have_count(0)
    await telegram.wait_for_calls("sendMessage", 1 + 5 + 1)
    assert telegram.calls_of("sendMessage")[-1].params["text"] == "Вы ещё здесь?"

    # The customer turns abusive: the agent bans their Telegram account from the side panel;
    # what they send then is not stored.
    identity = page.locator("[data-testid=cn-identity][data-kind=telegram]")
    await expect(identity).to_have_attribute("data-value", str(CUSTOMER))
    await identity.get_by_test_id("cn-identity-ban").click()
    dialog = page.get_by_test_id("cn-ban-dialog")
    await expect(dialog.locator("h2")).to_have_text("Заблокировать в Telegram")
    await expect(dialog.get_by_test_id("cn-ban-kind")).to_have_value("telegram")
    await dialog.get_by_test_id("cn-ban-submit").click()
    await expect(dialog).to_have_count(0)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as api:
        [ban] = (await api.get("/api/v1/bans")).json()["bans"]
        assert (ban["kind"], ban["value"]) == ("telegram", str(CUSTOMER))
        before = len((await api.get(f"/api/v1/conversations/{summary['id']}")).json()["messages"])
        assert (await telegram.deliver(telegram.update(CUSTOMER, "Вы пожалеете!"))).status_code == 200
        assert len((await api.get(f"/api/v1/conversations/{summary['id']}")).json()["messages"]) == before
    await expect(console_message(page, "Вы пожалеете!")).to_have_count(0)
    assert not browsing.page_errors, browsing.page_errors


async def test_every_channel_gets_a_form_from_its_schema_and_empty_required_settings_are_named(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password, locale="ru-RU")
    await admin.goto(f"{web_server.url}/console/channels")
    await admin.get_by_test_id("cn-channel-connect-open").click()
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        offered = (await api.get("/api/v1/channels")).json()["channels"]
    assert offered, "the server offers no channel"
    for spec in offered:
        channel, schema = spec["channel"], spec["settings_schema"]
        await admin.locator(f"[data-testid=cn-channel-choice][data-channel='{channel}']").click()
        form = admin.get_by_test_id("cn-channel-form")
        await expect(form).to_have_attribute("data-channel", channel)
        for key in schema["properties"]:
            setting = form.get_by_test_id(f"cn-channel-setting-{key}")
            await expect(setting).to_have_count(1)
            if key in spec["secret_fields"]:
                assert await setting.get_attribute("type") == "password", (channel, key)
        # Required settings left empty are named before the channel is asked.
        await form.get_by_test_id("cn-channel-submit").click()
        for key in schema.get("required", []):
            await expect(form.locator(f"[data-testid=cn-field-error][data-field='settings.{key}']")).to_have_text(
                "Заполните это поле."
            )
        await screenshot(admin, f"channels-form-{channel}")
    await admin.get_by_test_id("cn-channel-cancel").click()
    await expect(admin.get_by_test_id("cn-channel-form")).to_be_hidden()
    assert await channel_inboxes(web_server, web_tenant) == []
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        inboxes = (await api.get("/api/v1/inboxes")).json()["inboxes"]
    assert {inbox["channel"] for inbox in inboxes} == {"web"}
