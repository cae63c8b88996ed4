"""The admin's account settings (docs/protocol.md, `GET/PUT /api/v1/account/settings`):
auto-away minutes and what may be uploaded. A kind switched off, or a file over the limit, is
then refused in the composer in words."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.browser.test_console_files import png, upload
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def test_account_settings_are_saved_and_enforced(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-settings").click()
    form = admin.get_by_test_id("cn-account-form")
    await expect(form.get_by_test_id("cn-auto-away")).to_have_value("10")
    await expect(form.get_by_test_id("cn-files-max-mb")).to_have_value("10")
    for kind in ("images", "pdf", "text", "office", "archives"):
        await expect(form.get_by_test_id(f"cn-files-kind-{kind}")).to_be_checked()

    # Out of range: said next to the field, nothing sent.
    await form.get_by_test_id("cn-auto-away").fill("999")
    await form.get_by_test_id("cn-account-save").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field=auto_away_minutes]")).to_be_visible()

    await form.get_by_test_id("cn-auto-away").fill("25")
    await form.get_by_test_id("cn-files-max-mb").fill("1")
    await form.get_by_test_id("cn-files-kind-images").uncheck()
    await form.get_by_test_id("cn-account-save").click()
    await expect(admin.get_by_test_id("cn-toast")).to_have_attribute("data-kind", "info")
    await expect(form.get_by_test_id("cn-field-error")).to_have_count(0)

    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as api:
        settings = (await api.get("/api/v1/account/settings")).json()["settings"]
        assert settings == {"auto_away_minutes": 25, "close_after_days": 7, "files": {"max_mb": 1, "kinds": ["pdf", "text", "office", "archives"]}}
        assert (await api.get("/api/v1/me")).json()["account"]["settings"]["auto_away_minutes"] == 25

    await admin.reload()
    form = admin.get_by_test_id("cn-account-form")
    await expect(form.get_by_test_id("cn-auto-away")).to_have_value("25")
    await expect(form.get_by_test_id("cn-files-kind-images")).not_to_be_checked()

    # Agents are held to it: an image is refused now, and so is a file over 1 MB.
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Пришлите прайс"))["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()
    agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await agent.goto(f"{web_server.url}/console/all/{conversation_id}")
    await agent.get_by_test_id("cn-file-input").set_input_files(
        [upload("photo.png", "image/png", png()), upload("price.txt", "text/plain", b"x" * (1024 * 1024 + 10))]
    )
    photo = agent.locator("[data-testid=cn-upload][data-name='photo.png']")
    await expect(photo).to_have_attribute("data-code", "file_type_not_allowed")
    await expect(photo.get_by_test_id("cn-upload-error")).to_be_visible()
    big = agent.locator("[data-testid=cn-upload][data-name='price.txt']")
    await expect(big).to_have_attribute("data-code", "file_too_large")
    await expect(big.get_by_test_id("cn-upload-error")).to_contain_text("too large")
    await expect(agent.get_by_test_id("cn-send")).to_be_disabled()

    # Non-admins do not see the page at all.
    await agent.goto(f"{web_server.url}/console/settings")
    await expect(agent.get_by_test_id("cn-account-form")).to_have_count(0)
    await expect(agent.get_by_test_id("cn-nav-settings")).to_have_count(0)
