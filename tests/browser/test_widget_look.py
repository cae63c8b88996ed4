"""How the widget looks on a phone and which language it speaks."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, open_widget, visitor_page
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def test_widget_opens_full_screen_on_a_phone(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(
        browsing, web_server, web_tenant.site_key,
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2,
    )
    launcher = page.get_by_test_id("hl-launcher")
    await open_widget(page)
    panel = page.get_by_test_id("hl-panel")
    await panel.evaluate("panel => Promise.all(panel.getAnimations().map(animation => animation.finished))")  # slides in
    box = await panel.bounding_box()
    assert box and {side: round(value) for side, value in box.items()} == {"x": 0, "y": 0, "width": 375, "height": 667}
    await expect(launcher).to_be_hidden()  # the panel's own close button takes its place
    await expect(page.get_by_test_id("hl-prechat-name")).to_be_in_viewport()
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 375

    await page.get_by_test_id("hl-close").tap()
    await expect(panel).to_be_hidden()
    await expect(launcher).to_be_visible()


ENGLISH = {
    "open": "Open chat",
    "status": "Online",
    "intro": "Please introduce yourself",
    "start": "Start chat",
    "bad_email": "This does not look like an e-mail address.",
}
RUSSIAN = {
    "open": "Открыть чат",
    "status": "На связи",
    "intro": "Представьтесь, пожалуйста",
    "start": "Начать чат",
    "bad_email": "Проверьте адрес e-mail.",
}


# The browser asks for the other language each time: data-lang on the embed must win.
@pytest.mark.parametrize("lang, locale, strings", [("en", "ru-RU", ENGLISH), ("ru", "en-US", RUSSIAN)], ids=["en", "ru"])
async def test_embed_language_wins_over_the_browser(
    browsing: Browsing, web_server: Server, web_tenant: Tenant, lang: str, locale: str, strings: dict[str, str]
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key, lang=lang, locale=locale)
    await expect(page.get_by_test_id("hl-launcher")).to_have_attribute("aria-label", strings["open"])
    await open_widget(page)
    await expect(page.get_by_test_id("hl-panel")).to_have_attribute("lang", lang)
    await expect(page.get_by_test_id("hl-status")).to_have_text(strings["status"])
    await expect(page.get_by_test_id("hl-prechat")).to_contain_text(strings["intro"])
    await expect(page.get_by_test_id("hl-prechat-submit")).to_have_text(strings["start"])
    await page.get_by_test_id("hl-prechat-email").fill("anna@")
    await page.get_by_test_id("hl-prechat-submit").click()
    await expect(page.get_by_test_id("hl-field-error")).to_have_text(strings["bad_email"])
    await expect(page.get_by_test_id("hl-field-error")).to_have_attribute("data-field", "email")
