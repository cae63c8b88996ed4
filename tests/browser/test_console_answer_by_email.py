"""Answering a site chat by e-mail from the console, in Russian: the visitor left their
address and went away; the agent picks "E-mail" beside the composer, the answer is in the
chat marked "через E-mail" and leaves by SMTP; the customer's e-mail reply comes back into
the same chat (through a real Dovecot mailbox), and the next answer goes by e-mail again
without being asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_message, console_page, console_send
from tests.support.clients import Visitor, new_client_id, send_and_ack
from tests.support.mail import IMAP_PASSWORD, IMAP_PORT, Mta, mail, new_mailbox
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser

# Screenshots for a person to look at, when asked for: HELPLINE_SCREENSHOTS=/some/dir.
SCREENSHOTS = os.environ.get("HELPLINE_SCREENSHOTS")


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def test_an_agent_answers_a_site_chat_by_email_and_the_reply_comes_back(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    if not IMAP_PORT:
        pytest.skip('needs the test Dovecot: eval "$(scripts/test-services.sh start)"')
    with SmtpServer() as smtp, Mta() as mta:
        address = new_mailbox()
        settings: dict[str, Any] = {
            "imap_host": "127.0.0.1", "imap_port": IMAP_PORT, "imap_security": "none", "imap_username": address,
            "imap_password": IMAP_PASSWORD, "smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_security": "none",
            "from_email": address, "from_name": "Поддержка",
        }
        async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin:
            created = await admin.post("/api/v1/inboxes", {"channel": "email", "name": "Почта поддержки", "settings": settings})
            assert created.status_code == 201, created.text

        # A visitor leaves their address, asks, and goes.
        visitor = Visitor(web_server.url, web_tenant.site_key)
        try:
            await visitor.start()
            widget = await visitor.socket()
            await widget.send({"type": "contact.update", "client_id": new_client_id(), "name": "Мария", "email": "maria@example.com"})
            await widget.wait_for(lambda f: f["type"] in ("ack", "error"))
            ack = await send_and_ack(widget, "Можно ли вернуть товар без чека?")
            await widget.close()
        finally:
            await visitor.close()

        page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password, locale="ru-RU")
        await page.locator(f"[data-testid=cn-conv-row][data-id='{ack['conversation_id']}']").click()
        via = page.get_by_test_id("cn-answer-via")
        await expect(via).to_have_value("")  # the chat's own channel, until the agent chooses
        await expect(via.locator("option")).to_have_text(["Сайт", "E-mail · Почта поддержки"])
        await via.select_option(label="E-mail · Почта поддержки")
        await console_send(page, "Да, с паспортом в течение 14 дней.")
        answer = console_message(page, "Да, с паспортом в течение 14 дней.")
        await expect(answer.get_by_test_id("cn-via")).to_have_text("через E-mail")
        await expect(answer).to_have_attribute("data-delivery", "sent")
        [sent] = await smtp.wait_for(1)
        assert sent.rcpt_tos == ["maria@example.com"]
        assert sent.message["Subject"].startswith("Re: Можно ли вернуть товар без чека?")

        # A note is never e-mailed: the choice is for replies only.
        await page.get_by_test_id("cn-note-toggle").click()
        await expect(via).to_have_count(0)
        await console_send(page, "Уточнить у склада")
        await expect(console_message(page, "Уточнить у склада").get_by_test_id("cn-via")).to_have_count(0)
        await page.get_by_test_id("cn-note-toggle").click()

        # The customer answers the e-mail: it is in the chat, marked as come by e-mail.
        customer_reply = mail(
            "Мария <maria@example.com>", address, f"Re: {sent.message['Subject']}", "А если коробка вскрыта?",
            headers={"In-Reply-To": sent.message["Message-ID"], "References": sent.message["Message-ID"]},
        )
        mta.send(customer_reply)
        reply = console_message(page, "А если коробка вскрыта?")
        await expect(reply).to_have_attribute("data-author", "contact", timeout=45_000)
        await expect(reply.get_by_test_id("cn-via")).to_have_text("через E-mail")
        # Their address is now one of the contact's identities, shown without a reload.
        identity = page.locator("[data-testid=cn-identity][data-kind=email]")
        await expect(identity).to_have_attribute("data-value", "maria@example.com")
        await screenshot(page, "answered-by-email")

        # Reopened later, the composer answers the way the customer wrote last: by e-mail.
        await page.reload()
        await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
        await expect(page.get_by_test_id("cn-answer-via")).to_have_value(str(created.json()["inbox"]["id"]))
        await console_send(page, "Тоже можно, если товар цел.")
        second = console_message(page, "Тоже можно, если товар цел.")
        await expect(second).to_have_attribute("data-delivery", "sent")
        await expect(second.get_by_test_id("cn-via")).to_have_text("через E-mail")
        received = await smtp.wait_for(2)
        assert received[1].message["In-Reply-To"] == customer_reply["Message-ID"]
