"""Keyboard shortcuts: `?` lists them, and every one listed does what it says."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

LISTED = [
    "Alt+↓ / Alt+↑",
    "j / k",
    "Alt+1 / 2 / 3",
    "r",
    "Enter",
    "/",
    "Alt+C",
    "Alt+Q",
    "Alt+N",
    "Alt+A",
    "Alt+R",
    "Alt+X",
    "Esc",
    "?",
]


async def conversations(server: Server, tenant: Tenant, *bodies: str) -> list[int]:
    ids = []
    for body in bodies:
        visitor = Visitor(server.url, tenant.site_key)
        try:
            await visitor.start()
            socket = await visitor.socket()
            ids.append((await send_and_ack(socket, body))["conversation_id"])
            await socket.close()
        finally:
            await visitor.close()
    return ids


async def open_id(page: Page) -> str | None:
    return await page.get_by_test_id("cn-conversation").get_attribute("data-id")


async def test_question_mark_shows_every_shortcut_and_each_one_works(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    older, newer = await conversations(web_server, web_tenant, "Первый вопрос", "Второй вопрос")
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await expect(console.get_by_test_id("cn-conv-row")).to_have_count(2)

    await console.keyboard.press("?")
    help_dialog = console.get_by_test_id("cn-shortcuts")
    await expect(help_dialog).to_be_visible()
    assert (
        await help_dialog.get_by_test_id("cn-shortcut").evaluate_all("rows => rows.map(r => r.dataset.keys)") == LISTED
    )
    await expect(help_dialog).to_contain_text("Transfer the conversation")
    await console.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()
    await console.keyboard.press("?")
    await expect(help_dialog).to_be_visible()
    await console.keyboard.press("?")  # toggles
    await expect(help_dialog).to_be_hidden()

    # Next / previous: j and k, Alt+↓ and Alt+↑ (newest first).
    await console.keyboard.press("j")
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(newer))
    await console.keyboard.press("j")
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(older))
    await console.keyboard.press("k")
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(newer))
    await console.keyboard.press("Alt+ArrowDown")
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(older))
    await console.keyboard.press("Alt+ArrowUp")
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(newer))

    # r focuses the reply box; there `?` and j are just text.
    composer = console.get_by_test_id("cn-composer")
    await console.locator("body").click(position={"x": 5, "y": 300})
    await console.keyboard.press("r")
    await expect(composer).to_be_focused()
    await console.keyboard.type("j?")
    await expect(composer).to_have_value("j?")
    await expect(help_dialog).to_be_hidden()
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(newer))
    await composer.fill("")

    # Alt+N: internal note on and off.
    await console.keyboard.press("Alt+n")
    await expect(console.get_by_test_id("cn-note-toggle")).to_have_attribute("aria-pressed", "true")
    await console.keyboard.press("Alt+n")
    await expect(console.get_by_test_id("cn-note-toggle")).to_have_attribute("aria-pressed", "false")

    # Alt+A: take it; Alt+R: resolve and reopen.
    await console.keyboard.press("Alt+a")
    await expect(console.get_by_test_id("cn-assignee")).to_have_text("Agent1")
    await console.keyboard.press("Alt+r")
    await expect(console.get_by_test_id("cn-status")).to_have_attribute("data-status", "resolved")
    await console.keyboard.press("Alt+r")
    await expect(console.get_by_test_id("cn-status")).to_have_attribute("data-status", "open")

    # Alt+X: the transfer dialog; Esc closes it.
    await console.keyboard.press("Alt+x")
    await expect(console.get_by_test_id("cn-transfer-dialog")).to_be_visible()
    await console.keyboard.press("j")  # hotkeys wait while a dialog is open
    await expect(console.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(newer))
    await console.keyboard.press("Escape")
    await expect(console.get_by_test_id("cn-transfer-dialog")).to_be_hidden()

    # Alt+C: the canned responses picker in the reply box; Esc closes it.
    await console.keyboard.press("Alt+c")
    await expect(console.get_by_test_id("cn-canned-picker")).to_be_visible()
    await expect(composer).to_be_focused()
    await console.keyboard.press("Escape")
    await expect(console.get_by_test_id("cn-canned-picker")).to_be_hidden()
    await expect(composer).to_have_value("")

    # Enter sends.
    await composer.fill("Сейчас посмотрю")
    await composer.press("Enter")
    await expect(composer).to_have_value("")
    await expect(console.get_by_test_id("cn-message")).to_have_count(2)

    # Alt+1 / 2 / 3: the tabs.
    await console.keyboard.press("Alt+2")
    await expect(console.get_by_test_id("cn-tab-mine")).to_have_attribute("aria-selected", "true")
    await console.keyboard.press("Alt+1")
    await expect(console.get_by_test_id("cn-tab-unassigned")).to_have_attribute("aria-selected", "true")
    await console.keyboard.press("Alt+3")
    await expect(console.get_by_test_id("cn-tab-all")).to_have_attribute("aria-selected", "true")
