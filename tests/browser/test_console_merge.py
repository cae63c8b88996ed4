"""Merging contacts in the console, in Russian: two website visitors who are one person (the
second one left an e-mail) are merged from the side panel of the first one's conversation —
found by the contact search (`GET /api/v1/contacts?q=`) by the e-mail or another form of the
name, the merge spelt out before it is made — after which the panel lists both
conversations and the inbox rows show the contact that stayed; the other contact's page says
it was merged, with a link; undoing the merge from the panel puts everything back
(docs/protocol.md, the contacts rows of the console's REST table)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

# Screenshots for a person to look at, when asked for: HELPLINE_SCREENSHOTS=/some/dir.
SCREENSHOTS = os.environ.get("HELPLINE_SCREENSHOTS")
EMAIL = "anna.petrova@example.com"


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


async def customer(server: Server, tenant: Tenant, text: str, contact: dict[str, Any] | None = None) -> tuple[int, int]:
    """A website visitor who wrote `text` (after giving `contact` through `contact.update`):
    (contact id, conversation id)."""
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        if contact:
            await socket.send({"type": "contact.update", "client_id": "contact-update-1", **contact})
            answer = await socket.wait_for(lambda f: f.get("client_id") == "contact-update-1")
            assert answer["type"] == "ack", answer
        ack = await send_and_ack(socket, text)
        await socket.close()
    finally:
        await visitor.close()
    assert ack["type"] == "ack", ack
    return ack["message"]["author"]["id"], ack["message"]["conversation_id"]


async def contact_of(server: Server, tenant: Tenant, contact_id: int) -> dict[str, Any]:
    async with agent_api(server, tenant.agents[0], tenant.password) as api:
        response = await api.get(f"/api/v1/contacts/{contact_id}")
        assert response.status_code == 200, response.text
        return response.json()


async def test_an_agent_merges_two_contacts_from_the_side_panel_and_undoes_it(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    first, chat = await customer(web_server, web_tenant, "Здравствуйте, где мой заказ 5531?")
    other, later = await customer(
        web_server, web_tenant, "Это снова я, пишу с работы", {"name": "Анна Петрова", "email": EMAIL}
    )
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password, locale="ru-RU")
    await console.goto(f"{web_server.url}/console/all/{chat}")
    panel = console.get_by_test_id("cn-visitor")
    await expect(panel).to_have_attribute("data-contact-id", str(first))
    await expect(panel.get_by_test_id("cn-visitor-name")).to_have_text(f"Посетитель #{first}")
    await expect(panel.get_by_test_id("cn-identity")).to_have_count(1)
    await expect(panel.locator("[data-testid=cn-identity][data-kind=web]")).to_contain_text("Посетитель сайта")
    await expect(panel.get_by_test_id("cn-history")).to_contain_text("Других обращений нет")
    chat_row = console.locator(f"[data-testid=cn-conv-row][data-id='{chat}']")
    later_row = console.locator(f"[data-testid=cn-conv-row][data-id='{later}']")
    await expect(later_row).to_have_attribute("data-contact-id", str(other))

    # Find the other contact by another form of its name, then by the e-mail it gave; the
    # merge is spelt out before it is made.
    await panel.get_by_test_id("cn-contact-merge").click()
    dialog = console.get_by_test_id("cn-merge-dialog")
    candidate = dialog.locator(f"[data-testid=cn-merge-candidate][data-contact-id='{other}']")
    async with console.expect_response(lambda r: "/api/v1/contacts?" in r.url and "q=" in r.url) as searched:
        await dialog.get_by_test_id("cn-merge-search").fill("Петровой")
    assert (await searched.value).status == 200
    await expect(candidate).to_contain_text("Анна Петрова")
    await dialog.get_by_test_id("cn-merge-search").fill(EMAIL)
    await expect(candidate).to_contain_text("Анна Петрова")
    await expect(candidate).to_contain_text(EMAIL)
    await expect(candidate).to_contain_text("обращений: 1 · последняя активность")
    await expect(candidate.locator(".cn-glyph-web")).to_be_visible()
    # The contact whose panel this is is never offered.
    await expect(dialog.locator(f"[data-testid=cn-merge-candidate][data-contact-id='{first}']")).to_have_count(0)
    await screenshot(console, "merge-search")
    await candidate.click()
    sentence = dialog.get_by_test_id("cn-merge-sentence")
    await expect(sentence).to_contain_text(
        f"Обращения, адреса и каналы контакта «Анна Петрова» перейдут к «Посетитель #{first}»."
    )
    await expect(dialog.get_by_test_id("cn-merge-other")).to_have_attribute("data-contact-id", str(other))
    await expect(dialog.get_by_test_id("cn-merge-this")).to_have_attribute("data-contact-id", str(first))
    await screenshot(console, "merge-confirm")
    await dialog.get_by_test_id("cn-merge-confirm").click()
    result = dialog.get_by_test_id("cn-merge-result")
    await expect(result).to_contain_text("обращений: 1")
    await screenshot(console, "merge-done")
    await dialog.get_by_test_id("cn-merge-close").click()
    await expect(dialog).to_be_hidden()

    # The panel: both conversations, the details the contact lacked, both visitors' ids, the merge.
    history = panel.get_by_test_id("cn-history")
    await expect(history.locator(f"[data-testid=cn-history-item][data-id='{later}']")).to_have_attribute("data-channel", "web")
    await expect(panel.get_by_test_id("cn-visitor-name")).to_have_text("Анна Петрова")
    await expect(panel.get_by_test_id("cn-visitor-email")).to_have_text(EMAIL)
    await expect(panel.locator("[data-testid=cn-identity][data-kind=web]")).to_have_count(2)
    merge = panel.locator(f"[data-testid=cn-merge][data-merged-id='{other}']")
    await expect(merge).to_have_attribute("data-undone", "false")
    await expect(merge).to_contain_text("Присоединён «Анна Петрова»")
    await merge.scroll_into_view_if_needed()
    await screenshot(console, "merge-panel")
    # The inbox rows show the contact that stayed.
    await expect(later_row).to_have_attribute("data-contact-id", str(first))
    await expect(chat_row.locator(".cn-row-name")).to_have_text("Анна Петрова")
    stored = await contact_of(web_server, web_tenant, first)
    assert {c["id"] for c in stored["conversations"]} == {chat, later}

    # The other contact's page says where it went, with a link there.
    await merge.get_by_test_id("cn-contact-link").click()
    page = console.get_by_test_id("cn-contact-page")
    await expect(page).to_have_attribute("data-contact-id", str(other))
    note = page.get_by_test_id("cn-contact-merged")
    await expect(note).to_contain_text("Этот контакт объединён с контактом")
    await expect(page.get_by_test_id("cn-contact-merge")).to_have_count(0)
    await expect(page.get_by_test_id("cn-history-item")).to_have_count(0)
    await screenshot(console, "contact-merged")
    await note.get_by_test_id("cn-contact-link").click()
    await expect(page).to_have_attribute("data-contact-id", str(first))
    await expect(page.get_by_test_id("cn-history-item")).to_have_count(2)
    await expect(page.get_by_test_id("cn-contact-merged")).to_have_count(0)

    # Undo from the panel (asked twice): everything goes back.
    await page.locator(f"[data-testid=cn-history-item][data-id='{chat}']").click()
    await expect(panel).to_have_attribute("data-contact-id", str(first))
    undo = merge.get_by_test_id("cn-merge-undo")
    await undo.click()
    await expect(undo).to_have_attribute("data-confirming", "true")
    await undo.click()
    await expect(console.get_by_test_id("cn-toast")).to_contain_text("Объединение отменено")
    await expect(merge).to_have_attribute("data-undone", "true")
    await expect(merge.get_by_test_id("cn-merge-undo")).to_have_count(0)
    await expect(history).to_contain_text("Других обращений нет")
    await expect(panel.get_by_test_id("cn-visitor-name")).to_have_text(f"Посетитель #{first}")
    await expect(panel.get_by_test_id("cn-visitor-email")).to_have_count(0)
    await expect(panel.locator("[data-testid=cn-identity][data-kind=web]")).to_have_count(1)
    await expect(later_row).to_have_attribute("data-contact-id", str(other))
    await expect(chat_row.locator(".cn-row-name")).to_have_text(f"Посетитель #{first}")
    back = await contact_of(web_server, web_tenant, other)
    assert back["contact"]["merged_into_id"] is None
    assert [c["id"] for c in back["conversations"]] == [later]

    # And the other contact's page is its own again.
    await console.goto(f"{web_server.url}/console/contacts/{other}")
    await expect(page).to_have_attribute("data-contact-id", str(other))
    await expect(page.get_by_test_id("cn-contact-name")).to_have_text("Анна Петрова")
    await expect(page.get_by_test_id("cn-history-item")).to_have_count(1)
    await expect(page.get_by_test_id("cn-contact-merged")).to_have_count(0)
    await expect(page.locator(f"[data-testid=cn-merge][data-survivor-id='{first}']")).to_have_attribute("data-undone", "true")
    assert not browsing.page_errors, browsing.page_errors


async def test_a_refused_merge_is_explained_and_changes_nothing(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    """A contact merged elsewhere meanwhile is refused (409) in words, and is no longer found;
    a search that finds nobody says so."""
    first, chat = await customer(web_server, web_tenant, "Первый вопрос про доставку")
    other, _ = await customer(web_server, web_tenant, "Второй вопрос", {"email": "boris@example.com"})
    third, _ = await customer(web_server, web_tenant, "Третий вопрос")
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password, locale="ru-RU")
    await console.goto(f"{web_server.url}/console/all/{chat}")
    panel = console.get_by_test_id("cn-visitor")
    await expect(panel).to_have_attribute("data-contact-id", str(first))
    await panel.get_by_test_id("cn-contact-merge").click()
    dialog = console.get_by_test_id("cn-merge-dialog")
    await dialog.get_by_test_id("cn-merge-search").fill("несуществующийклиент")
    await expect(dialog.get_by_test_id("cn-merge-nothing")).to_be_visible()

    # By the contact's number.
    await dialog.get_by_test_id("cn-merge-search").fill(f"#{other}")
    candidate = dialog.locator(f"[data-testid=cn-merge-candidate][data-contact-id='{other}']")
    await expect(candidate).to_contain_text("boris@example.com")
    await candidate.click()
    await expect(dialog.get_by_test_id("cn-merge-sentence")).to_be_visible()
    # Someone else merges it into another contact before this agent confirms.
    async with agent_api(web_server, web_tenant.agents[1], web_tenant.password) as colleague:
        response = await colleague.post(f"/api/v1/contacts/{third}/merge", {"other_id": other})
        assert response.status_code == 200, response.text
    await dialog.get_by_test_id("cn-merge-confirm").click()
    await expect(dialog.get_by_test_id("cn-merge-error")).to_contain_text("Этот контакт уже объединён с другим")
    await expect(dialog.get_by_test_id("cn-merge-result")).to_have_count(0)
    await console.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    # The search no longer offers the merged contact, but the one it went into (which took
    # the e-mail it lacked).
    await panel.get_by_test_id("cn-contact-merge").click()
    await dialog.get_by_test_id("cn-merge-search").fill("boris@example.com")
    await expect(dialog.locator(f"[data-testid=cn-merge-candidate][data-contact-id='{third}']")).to_be_visible()
    await expect(dialog.locator(f"[data-testid=cn-merge-candidate][data-contact-id='{other}']")).to_have_count(0)
    await console.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(panel.get_by_test_id("cn-history")).to_contain_text("Других обращений нет")
    stored = await contact_of(web_server, web_tenant, first)
    assert [c["id"] for c in stored["conversations"]] == [chat]
    assert not browsing.page_errors, browsing.page_errors
