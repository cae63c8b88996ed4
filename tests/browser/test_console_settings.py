"""The admin's settings page: a website's chat settings with business hours, and the SMTP
server with a test e-mail. Refused values are shown next to their field."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser


async def test_site_settings_with_business_hours_are_saved_and_reach_the_widget(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    form = admin.get_by_test_id("cn-site-form")
    await expect(form).to_have_attribute("data-inbox-id", str(web_tenant.inbox_id))

    await form.get_by_test_id("cn-site-title").fill("Поддержка магазина")
    await form.get_by_test_id("cn-site-greeting").fill("Здравствуйте! Спросите нас о чём угодно.")
    await form.get_by_test_id("cn-site-color").fill("#16a34a")
    await form.get_by_test_id("cn-site-position").select_option("left")
    await form.get_by_test_id("cn-prechat-email").select_option("required")
    await form.get_by_test_id("cn-site-offline-text").fill("Оставьте вопрос, ответим утром.")
    await form.get_by_test_id("cn-site-callback").uncheck()

    await form.get_by_test_id("cn-hours-on").check()
    timezone = form.get_by_test_id("cn-hours-timezone")
    await expect(timezone).not_to_have_value("")  # a sensible default is filled in
    await expect(form.get_by_test_id("cn-hours-mon-0-start")).to_have_value("09:00")
    await expect(form.get_by_test_id("cn-hours-sat-0-start")).to_have_count(0)  # weekends closed
    await timezone.fill("Mars/Olympus_Mons")
    await form.get_by_test_id("cn-site-save").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field='hours.timezone']")).to_be_visible()

    await timezone.fill("Europe/Moscow")
    await form.get_by_test_id("cn-hours-mon-0-end").fill("08:00")  # ends before it starts
    await form.get_by_test_id("cn-site-save").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field^='hours.weekly']")).to_be_visible()
    await expect(form.locator("[data-testid=cn-field-error][data-field='hours.timezone']")).to_have_count(0)

    await form.get_by_test_id("cn-hours-mon-0-end").fill("18:00")
    await form.get_by_test_id("cn-hours-sat-add").click()
    await form.get_by_test_id("cn-hours-sat-0-start").fill("10:00")
    await form.get_by_test_id("cn-hours-sat-0-end").fill("15:00")
    await form.get_by_test_id("cn-holiday-add").click()
    await form.get_by_test_id("cn-holiday-0").fill("2026-12-31")
    await form.get_by_test_id("cn-site-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")
    await expect(form.get_by_test_id("cn-field-error")).to_have_count(0)

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        inboxes = (await api.get("/api/v1/inboxes")).json()["inboxes"]
        settings = next(i for i in inboxes if i["id"] == web_tenant.inbox_id)["settings"]
    assert settings["title"] == "Поддержка магазина"
    assert settings["color"] == "#16a34a"
    assert settings["position"] == "left"
    assert settings["prechat"]["email"] == "required"
    assert settings["callback"] is False
    assert settings["hours"]["timezone"] == "Europe/Moscow"
    assert settings["hours"]["weekly"]["mon"] == [["09:00", "18:00"]]
    assert settings["hours"]["weekly"]["sat"] == [["10:00", "15:00"]]
    assert "sun" not in settings["hours"]["weekly"] or settings["hours"]["weekly"]["sun"] == []
    assert settings["hours"]["holidays"] == ["2026-12-31"]

    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        site = (await visitor.start())["site"]
    finally:
        await visitor.close()
    assert (site["title"], site["offline_text"], site["callback"]) == (
        "Поддержка магазина",
        "Оставьте вопрос, ответим утром.",
        False,
    )

    # A fresh page shows what was stored; switching the hours off means "always open".
    await admin.reload()
    form = admin.get_by_test_id("cn-site-form")
    await expect(form.get_by_test_id("cn-hours-sat-0-end")).to_have_value("15:00")
    await form.get_by_test_id("cn-hours-on").uncheck()
    await form.get_by_test_id("cn-site-save").click()
    await expect(form.get_by_test_id("cn-hours-timezone")).to_have_count(0)
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        inboxes = (await api.get("/api/v1/inboxes")).json()["inboxes"]
        assert next(i for i in inboxes if i["id"] == web_tenant.inbox_id)["settings"]["hours"] is None


async def test_smtp_settings_and_the_test_email(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    with SmtpServer() as smtp:
        admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
        await admin.get_by_test_id("cn-nav-settings").click()
        form = admin.get_by_test_id("cn-smtp-form")
        await form.get_by_test_id("cn-smtp-host").fill(smtp.host)
        await form.get_by_test_id("cn-smtp-security").select_option("none")
        await form.get_by_test_id("cn-smtp-port").fill(str(smtp.port))
        await form.get_by_test_id("cn-smtp-from-email").fill("not an address")
        await form.get_by_test_id("cn-smtp-save").click()
        await expect(form.locator("[data-testid=cn-field-error][data-field=from_email]")).to_be_visible()

        await form.get_by_test_id("cn-smtp-from-email").fill("support@shop.example")
        await form.get_by_test_id("cn-smtp-from-name").fill("Поддержка магазина")
        await form.get_by_test_id("cn-smtp-password").fill("secret-password")
        await form.get_by_test_id("cn-smtp-save").click()
        await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")
        await expect(form.get_by_test_id("cn-smtp-password")).to_have_value("")  # never shown again
        await expect(form.get_by_test_id("cn-smtp-password")).to_have_attribute(
            "placeholder", "Stored; leave empty to keep it"
        )

        await expect(form.get_by_test_id("cn-smtp-test-to")).to_have_value(web_tenant.admin)
        await form.get_by_test_id("cn-smtp-test").click()
        result = form.get_by_test_id("cn-smtp-result")
        await expect(result).to_have_attribute("data-ok", "true")
        received = await smtp.wait_for(1)
        assert received[0].rcpt_tos == [web_tenant.admin]

        smtp.refuse(550, text="No such mailbox here")
        await form.get_by_test_id("cn-smtp-test").click()
        await expect(result).to_have_attribute("data-ok", "false")
        await expect(result).to_contain_text("No such mailbox here")

        async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
            stored = (await api.get("/api/v1/account/smtp")).json()["smtp"]
        assert stored["host"] == smtp.host and stored["port"] == smtp.port and stored["password_set"] is True
        assert "password" not in stored
