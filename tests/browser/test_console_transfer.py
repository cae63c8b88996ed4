"""Transferring a conversation to another agent with a note: the receiver is told and finds
the note; an agent at capacity is offered "transfer anyway"."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def conversation_of(server: Server, tenant: Tenant, body: str) -> int:
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        ack = await send_and_ack(socket, body)
        assert ack["type"] == "ack", ack
        await socket.close()
        return ack["conversation_id"]
    finally:
        await visitor.close()


async def test_a_transfer_with_a_note_reaches_the_other_agent(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    first = await conversation_of(web_server, web_tenant, "Где мой заказ 1042?")
    second = await conversation_of(web_server, web_tenant, "Хочу вернуть товар")
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
        agent_api(web_server, web_tenant.admin, web_tenant.password) as admin,
    ):
        for conversation_id in (first, second):
            taken = await anna.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": anna.id})
            assert taken.status_code == 200, taken.text

        sender = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        receiver = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
        await receiver.get_by_test_id("cn-tab-all").click()

        await sender.goto(f"{web_server.url}/console/mine/{first}")
        await expect(sender.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(anna.id))
        await expect(sender.get_by_test_id("cn-transfer-count")).to_have_count(0)
        await sender.get_by_test_id("cn-transfer").click()
        dialog = sender.get_by_test_id("cn-transfer-dialog")
        await expect(dialog).to_be_visible()
        choice = dialog.locator(f"[data-testid=cn-transfer-agent][data-id='{boris.id}']")
        await expect(choice).to_have_attribute("data-status", "online")  # his console is open
        await expect(choice).to_contain_text("0 / ")  # load / capacity
        await expect(dialog.locator(f"[data-testid=cn-transfer-agent][data-id='{anna.id}']")).to_have_count(0)
        await choice.click()
        await dialog.get_by_test_id("cn-transfer-note").fill("Клиент ждёт ответа про доставку, трек уже отправлен")
        await dialog.get_by_test_id("cn-transfer-submit").click()
        await expect(dialog).to_be_hidden()
        await expect(sender.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(boris.id))
        await expect(sender.get_by_test_id("cn-transfer-count")).to_have_attribute("data-count", "1")

        # The receiver is told (beep, notification, and on screen) and opens it from there.
        toast = receiver.get_by_test_id("cn-toast")
        await expect(toast).to_contain_text("was transferred to you")
        await toast.get_by_test_id("cn-toast-action").click()
        await expect(receiver.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(first))
        note = receiver.locator("[data-testid=cn-message][data-kind=note]")
        await expect(note).to_contain_text("Клиент ждёт ответа про доставку, трек уже отправлен")
        await expect(note).to_contain_text("Agent1")  # written by the sender
        await expect(receiver.get_by_test_id("cn-transfer-count")).to_have_attribute("data-count", "1")
        await expect(receiver.get_by_test_id("cn-transfer-count")).to_contain_text("1")

        # Anna can take one conversation only and has one: the transfer back is refused
        # until Boris chooses to transfer anyway. Alt+X opens the dialog.
        capped = await admin.http.patch(
            f"/api/v1/agents/{anna.id}", json={"capacity": 1}, headers={"X-CSRF-Token": admin.csrf}
        )
        assert capped.status_code == 200, capped.text
        await receiver.get_by_test_id("cn-composer").click()
        await receiver.keyboard.press("Alt+x")
        dialog = receiver.get_by_test_id("cn-transfer-dialog")
        back = dialog.locator(f"[data-testid=cn-transfer-agent][data-id='{anna.id}']")
        await expect(back).to_contain_text("1 / 1")
        await back.click()
        await dialog.get_by_test_id("cn-transfer-submit").click()
        await expect(dialog.get_by_test_id("cn-transfer-error")).to_have_attribute("data-code", "at_capacity")
        await expect(receiver.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(boris.id))
        await dialog.get_by_test_id("cn-transfer-force").click()
        await expect(dialog).to_be_hidden()
        await expect(receiver.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(anna.id))
        await expect(receiver.get_by_test_id("cn-transfer-count")).to_have_attribute("data-count", "2")
        # No note this time: nothing was added to the conversation.
        await expect(receiver.locator("[data-testid=cn-message][data-kind=note]")).to_have_count(1)
        await expect(sender.get_by_test_id("cn-toast")).to_contain_text("was transferred to you")

        stored = await anna.conversation(first)
        assert stored["conversation"]["transfer_count"] == 2
        assert stored["conversation"]["assignee"]["id"] == anna.id
        assert [m["kind"] for m in stored["messages"]] == ["text", "note"]
