"""The collision indicator: agents with the same conversation on screen see each other, and
see each other typing; conversation types show as badges."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def test_two_agents_on_one_conversation_see_each_other_viewing_and_typing(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Помогите выбрать размер"))["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna_api,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris_api,
    ):
        anna_id, boris_id = anna_api.id, boris_api.id

    anna = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await anna.goto(f"{web_server.url}/console/all/{conversation_id}")
    await expect(anna.get_by_test_id("cn-conversation")).to_be_visible()
    await expect(anna.get_by_test_id("cn-collision")).to_have_count(0)

    # Boris comes later: Anna answers his `viewing` at once, so he sees her without waiting
    # for her next resend (20 s).
    boris = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
    await boris.goto(f"{web_server.url}/console/all/{conversation_id}")
    await expect(boris.locator(f"[data-testid=cn-viewer][data-agent-id='{anna_id}']")).to_have_attribute(
        "data-state", "viewing", timeout=5_000
    )
    await expect(boris.get_by_test_id("cn-viewer")).to_contain_text("Agent1 is viewing")
    seen_by_anna = anna.locator(f"[data-testid=cn-viewer][data-agent-id='{boris_id}']")
    await expect(seen_by_anna).to_have_attribute("data-state", "viewing", timeout=5_000)

    await boris.get_by_test_id("cn-composer").press_sequentially("Подскажу по размерам", delay=30)
    await expect(seen_by_anna).to_have_attribute("data-state", "typing")
    await expect(seen_by_anna).to_contain_text("Agent2 is typing…")
    await boris.get_by_test_id("cn-composer").fill("")

    # Leaving the conversation says so (null), so Anna stops showing him at once.
    await boris.get_by_test_id("cn-nav-bans").click()
    await expect(anna.get_by_test_id("cn-viewer")).to_have_count(0, timeout=5_000)
    await boris.go_back()
    await expect(seen_by_anna).to_have_attribute("data-state", "viewing", timeout=5_000)
    # A closed page ends it too.
    await boris.close()
    await expect(anna.get_by_test_id("cn-viewer")).to_have_count(0, timeout=5_000)


async def test_offline_and_callback_conversations_carry_a_badge(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        chat_id = (await send_and_ack(socket, "Обычный вопрос"))["conversation_id"]
        client_id = new_client_id()
        await socket.send(
            {
                "type": "callback.request",
                "client_id": client_id,
                "phone": "+7 900 123-45-67",
                "name": "Пётр",
                "time": "после 18:00",
            }
        )
        ack = await socket.wait_for(lambda f: f.get("client_id") == client_id)
        assert ack["type"] == "ack", ack
        callback_id = ack["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()

    callback_row = console.locator(f"[data-testid=cn-conv-row][data-id='{callback_id}']")
    await expect(callback_row).to_have_attribute("data-type", "callback")
    await expect(callback_row.get_by_test_id("cn-type")).to_have_text("Callback request")
    chat_row = console.locator(f"[data-testid=cn-conv-row][data-id='{chat_id}']")
    await expect(chat_row).to_have_attribute("data-type", "chat")
    await expect(chat_row.get_by_test_id("cn-type")).to_have_count(0)
    await callback_row.click()
    await expect(console.get_by_test_id("cn-conversation").get_by_test_id("cn-type")).to_have_attribute(
        "data-type", "callback"
    )

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        assert (await agent.conversation(callback_id))["conversation"]["type"] == "callback"
