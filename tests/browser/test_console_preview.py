"""The site settings' widget preview redraws as the admin edits (colour, title, logo, greeting,
position, size, the invitation line, offline text), and the proactive invitation rules are
edited, saved and shown with how often they were shown and accepted."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

LOGO = "https://cdn.shop.test/logo.png"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def box(locator: Locator) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found is not None
    return found


async def css(locator: Locator, prop: str) -> str:
    return await locator.evaluate("(el, prop) => getComputedStyle(el)[prop]", prop)


async def open_settings(page: Page) -> Locator:
    await page.get_by_test_id("cn-nav-settings").click()
    form = page.get_by_test_id("cn-site-form")
    await expect(form).to_be_visible()
    return form


async def stored_settings(server: Server, tenant: Tenant) -> dict:
    async with agent_api(server, tenant.admin, tenant.password) as api:
        inboxes = (await api.get("/api/v1/inboxes")).json()["inboxes"]
    return next(i for i in inboxes if i["id"] == tenant.inbox_id)["settings"]


async def test_the_widget_preview_follows_the_form(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    form = await open_settings(admin)
    preview = form.get_by_test_id("cn-preview")
    head = preview.get_by_test_id("cn-preview-head")
    launcher = preview.get_by_test_id("cn-preview-launcher")
    panel = preview.get_by_test_id("cn-preview-panel")
    await expect(panel).to_be_visible()

    # Colour: the header, the launcher and the send button take it; the text on it stays readable.
    await form.get_by_test_id("cn-site-color").fill("#16a34a")
    await expect(preview).to_have_attribute("data-color", "#16a34a")
    assert await css(head, "backgroundColor") == "rgb(22, 163, 74)"
    assert await css(launcher, "backgroundColor") == "rgb(22, 163, 74)"
    await form.get_by_test_id("cn-site-color").fill("#1e3a8a")
    await expect(preview).to_have_attribute("data-color", "#1e3a8a")
    assert await css(head, "color") == "rgb(255, 255, 255)"
    await form.get_by_test_id("cn-site-color").fill("#fbbf24")
    await expect(preview).to_have_attribute("data-color", "#fbbf24")
    assert await css(head, "backgroundColor") == "rgb(251, 191, 36)"
    assert await css(head, "color") == "rgb(17, 24, 39)"  # dark text on a light colour
    assert await css(launcher, "color") == "rgb(17, 24, 39)"

    # Title and greeting, as typed; an empty title falls back to the widget's own.
    title = preview.get_by_test_id("cn-preview-title")
    await form.get_by_test_id("cn-site-title").fill("Магазин телефонов")
    await expect(title).to_have_text("Магазин телефонов")
    await form.get_by_test_id("cn-site-title").fill("")
    await expect(title).to_have_text("Chat with us")
    await form.get_by_test_id("cn-site-language").select_option("ru")
    await expect(title).to_have_text("Чат с поддержкой")
    await form.get_by_test_id("cn-site-title").fill("Магазин телефонов")
    await form.get_by_test_id("cn-site-greeting").fill("Здравствуйте! Мы на связи.")
    await expect(preview.get_by_test_id("cn-preview-greeting")).to_have_text("Здравствуйте! Мы на связи.")

    # The logo: the picture itself in the header (the site's CDN is served by interception).
    await admin.context.route(LOGO, lambda route: route.fulfill(body=PNG, content_type="image/png"))
    await expect(preview.get_by_test_id("cn-preview-logo")).to_have_count(0)
    await form.get_by_test_id("cn-site-logo").fill(LOGO)
    await expect(preview.get_by_test_id("cn-preview-logo")).to_have_attribute("data-src", LOGO)
    await expect(preview.get_by_test_id("cn-preview-logo")).to_have_attribute("data-state", "image")
    logo_box = await box(preview.get_by_test_id("cn-preview-logo"))
    assert logo_box["x"] < (await box(title))["x"]  # before the title, as in the widget

    # Position: the launcher and the panel move to the left corner.
    frame = await box(preview.locator(".cn-wp-frame"))
    right = await box(launcher)
    assert right["x"] > frame["x"] + frame["width"] / 2
    await form.get_by_test_id("cn-site-position").select_option("left")
    await expect(preview).to_have_attribute("data-position", "left")
    left = await box(launcher)
    assert left["x"] < frame["x"] + frame["width"] / 2
    assert (await box(panel))["x"] < frame["x"] + 20

    # Size: compact < standard < large, in width and height.
    standard = await box(panel)
    await form.get_by_test_id("cn-site-size").select_option("compact")
    await expect(panel).to_have_attribute("data-size", "compact")
    compact = await box(panel)
    await form.get_by_test_id("cn-site-size").select_option("large")
    await expect(panel).to_have_attribute("data-size", "large")
    large = await box(panel)
    assert compact["width"] < standard["width"] < large["width"]
    assert compact["height"] < standard["height"] < large["height"]

    # Closed: the launcher with the invitation line. Offline: the offline text and form.
    await form.get_by_test_id("cn-site-invitation-text").fill("Есть вопросы? Мы онлайн")
    await preview.get_by_test_id("cn-preview-mode-closed").click()
    await expect(panel).to_have_count(0)
    await expect(preview.get_by_test_id("cn-preview-teaser")).to_have_text("Есть вопросы? Мы онлайн")
    await form.get_by_test_id("cn-site-offline-text").fill("Оставьте вопрос — ответим утром.")
    await preview.get_by_test_id("cn-preview-mode-offline").click()
    await expect(preview.get_by_test_id("cn-preview-offline")).to_contain_text("Оставьте вопрос — ответим утром.")

    # Saved as shown.
    await form.get_by_test_id("cn-site-typing-preview").check()
    await form.get_by_test_id("cn-site-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")
    settings = await stored_settings(web_server, web_tenant)
    assert (settings["color"], settings["title"], settings["logo_url"], settings["position"], settings["size"]) == (
        "#fbbf24", "Магазин телефонов", LOGO, "left", "large",
    )
    assert (settings["invitation_text"], settings["typing_preview"], settings["language"]) == ("Есть вопросы? Мы онлайн", True, "ru")

    # A logo that is not https is refused next to its field.
    await form.get_by_test_id("cn-site-logo").fill("http://cdn.shop.test/logo.png")
    await form.get_by_test_id("cn-site-save").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field=logo_url]")).to_be_visible()


async def test_invitation_rules_are_edited_and_show_their_counts(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    form = await open_settings(admin)
    editor = form.get_by_test_id("cn-invitations")
    rules = editor.get_by_test_id("cn-invitation")
    await expect(rules).to_have_count(0)

    await editor.get_by_test_id("cn-invitation-add").click()
    first = rules.nth(0)
    await first.get_by_test_id("cn-invitation-id").fill("catalog")
    await first.get_by_test_id("cn-invitation-text").fill("Помочь с выбором телефона?")
    await first.get_by_test_id("cn-cond-time_on_page").fill("20")
    await first.get_by_test_id("cn-cond-url").fill("*/catalog/*")
    await first.get_by_test_id("cn-cond-utm").fill("utm_source=yandex, utm_campaign=winter")
    await first.get_by_test_id("cn-cond-countries").fill("Russia")
    await first.get_by_test_id("cn-invitation-frequency").select_option("once_per_day")

    await editor.get_by_test_id("cn-invitation-add").click()
    second = rules.nth(1)
    await second.get_by_test_id("cn-invitation-id").fill("delivery")
    await second.get_by_test_id("cn-invitation-text").fill("Расскажем о доставке")
    await second.get_by_test_id("cn-cond-only_when_online").uncheck()
    await second.get_by_test_id("cn-invitation-enabled").uncheck()

    # "Russia" is no country code: refused next to the field, nothing stored.
    await form.get_by_test_id("cn-site-save").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field='invitations.0.conditions.countries']")).to_be_visible()
    assert (await stored_settings(web_server, web_tenant))["invitations"] == []

    await first.get_by_test_id("cn-cond-countries").fill("ru, by")
    await expect(form.locator("[data-testid=cn-field-error][data-field='invitations.0.conditions.countries']")).to_have_count(0)
    # The disabled one goes first: order matters to the widget.
    await second.get_by_test_id("cn-invitation-up").click()
    await expect(rules.nth(0)).to_have_attribute("data-id", "delivery")
    await expect(rules.nth(1).get_by_test_id("cn-cond-countries")).to_have_value("ru, by")  # moved with its rule
    await form.get_by_test_id("cn-site-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")

    stored = (await stored_settings(web_server, web_tenant))["invitations"]
    assert [rule["id"] for rule in stored] == ["delivery", "catalog"]
    delivery, catalog = stored
    assert delivery["enabled"] is False and delivery["conditions"]["only_when_online"] is False
    assert catalog["frequency"] == "once_per_day"
    assert catalog["conditions"] == {
        "time_on_page": 20, "time_on_site": None, "url": "*/catalog/*", "pages_viewed": None, "visit_number": None,
        "referrer": None, "utm": {"utm_source": "yandex", "utm_campaign": "winter"}, "countries": ["RU", "BY"],
        "only_when_online": True,
    }

    # Visitors see the rule and accept it once in two showings: the editor shows the counts.
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        for kind in ("invitation.shown", "invitation.shown", "invitation.accepted"):
            await socket.send({"type": kind, "invitation_id": "catalog"})
        await socket.send({"type": "ping"})
        await socket.wait_for(lambda frame: frame["type"] == "pong")
        await socket.close()
    finally:
        await visitor.close()
    await admin.reload()
    catalog_row = form.locator("[data-testid=cn-invitation][data-id=catalog]")
    await expect(catalog_row.get_by_test_id("cn-invitation-stats")).to_have_attribute("data-shown", "2")
    await expect(catalog_row.get_by_test_id("cn-invitation-stats")).to_have_attribute("data-accepted", "1")
    await expect(catalog_row.get_by_test_id("cn-invitation-stats")).to_contain_text("50%")
    await expect(catalog_row.get_by_test_id("cn-cond-utm")).to_have_value("utm_source=yandex, utm_campaign=winter")

    # Removing a rule and saving removes it on the server.
    await form.locator("[data-testid=cn-invitation][data-id=delivery]").get_by_test_id("cn-invitation-remove").click()
    await form.get_by_test_id("cn-site-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")
    assert [rule["id"] for rule in (await stored_settings(web_server, web_tenant))["invitations"]] == ["catalog"]
