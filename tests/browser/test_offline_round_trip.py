"""The offline round trip in a real browser: a visitor leaves a question through the offline
form and goes away; the agent answers; the answer is e-mailed (to a real SMTP server) and is
in the widget when the visitor comes back."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import SHOP, Browsing, agent_api, eventually, open_widget, visitor_page, widget_message
from tests.support.seed import make_tenant
from tests.support.server import Server
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser


async def test_offline_question_answered_by_email_and_in_the_widget(browsing: Browsing, web_server: Server) -> None:
    tenant = await make_tenant(web_server.database_url, site_settings={"offline_when_no_agents": True})
    with SmtpServer() as smtp:
        async with agent_api(web_server, tenant.admin, tenant.password) as admin:
            assert (await admin.put("/api/v1/account/smtp", smtp.settings())).status_code == 200
        page = await visitor_page(browsing, web_server, tenant.site_key)
        await open_widget(page)
        await page.get_by_test_id("hl-offline-name").fill("Ольга")
        await page.get_by_test_id("hl-offline-email").fill("olga@example.com")
        await page.get_by_test_id("hl-offline-question").fill("Доставляете ли вы в Казань?")
        await page.get_by_test_id("hl-offline-send").click()
        await expect(page.get_by_test_id("hl-offline-thanks")).to_be_visible()
        await expect(widget_message(page, "Доставляете ли вы в Казань?")).to_have_attribute("data-pending", "false")
        await page.close()  # the visitor leaves the site

        async with agent_api(web_server, tenant.agents[0], tenant.password) as agent:
            [conversation] = (await agent.get("/api/v1/conversations", view="all")).json()["conversations"]
            assert conversation["type"] == "offline"
            # Answer once the server has seen the visitor go.
            async def gone() -> bool:
                visitor = (await agent.conversation(conversation["id"]))["visitor"]
                return visitor is not None and not visitor["online"]

            await eventually(gone, what="the visitor left")
            reply = await agent.reply(conversation["id"], "Да, доставка в Казань — 3 дня.")
            assert reply.status_code == 201

        [mail] = await smtp.wait_for(1, timeout=20)
        assert mail.rcpt_tos == ["olga@example.com"]
        assert f"#{conversation['number']}" in mail.message["Subject"]
        assert "Да, доставка в Казань — 3 дня." in mail.message.get_body(("plain",)).get_content()

        # Back on the site: the answer is in the chat.
        page = await page.context.new_page()
        await page.goto(SHOP + "/catalog/phone-x")
        await open_widget(page)
        await expect(widget_message(page, "Да, доставка в Казань — 3 дня.")).to_be_visible()
        await expect(widget_message(page, "Доставляете ли вы в Казань?")).to_be_visible()
