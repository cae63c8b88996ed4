"""@mentions in internal notes (docs/protocol.md, "Mentions"): `@` in note mode opens a picker
of agents, choosing one writes `@NameWithoutSpaces`; the mentioned agent's console tells them
(on screen, with "Open"), and the note shows the mention highlighted."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Browsing, agent_api, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def test_a_mention_in_a_note_notifies_the_mentioned_agent(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Можно вернуть товар без чека?"))["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()

    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
    ):
        writer = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        reader = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
        await writer.goto(f"{web_server.url}/console/all/{conversation_id}")
        composer = writer.get_by_test_id("cn-composer")

        # Outside note mode `@` is just a character: no picker (the customer would see it).
        await composer.fill("")
        await composer.press_sequentially("@Ag")
        await expect(writer.get_by_test_id("cn-mention-picker")).to_have_count(0)
        await composer.fill("")

        await writer.get_by_test_id("cn-note-toggle").click()
        await composer.press_sequentially("Глянь, пожалуйста, @agent")
        picker = writer.get_by_test_id("cn-mention-picker")
        await expect(picker).to_be_visible()
        options = picker.get_by_test_id("cn-mention-option")
        await expect(options.filter(has_text="Agent2")).to_have_count(1)
        await expect(picker.locator(f"[data-testid=cn-mention-option][data-id='{anna.id}']")).to_have_count(0)  # not myself
        await composer.press_sequentially("2")
        await expect(options).to_have_count(1)
        await composer.press("Enter")  # chooses; does not send
        await expect(picker).to_have_count(0)
        await expect(composer).to_have_value("Глянь, пожалуйста, @Agent2 ")
        await composer.press_sequentially("— возврат без чека, ты в курсе правил?")
        await composer.press("Enter")
        await expect(composer).to_have_value("")

        note = writer.locator("[data-testid=cn-message][data-kind=note][data-pending=false]")
        await expect(note.get_by_test_id("cn-mention")).to_have_text("@Agent2")
        await expect(note.get_by_test_id("cn-mention")).to_have_attribute("data-agent-id", str(boris.id))
        stored = await anna.conversation(conversation_id)
        [saved] = [m for m in stored["messages"] if m["kind"] == "note"]
        assert saved["mentions"] == [boris.id]
        assert saved["body"] == "Глянь, пожалуйста, @Agent2 — возврат без чека, ты в курсе правил?"

        # Boris is told, wherever he is, and "Open" takes him to the note.
        toast = reader.get_by_test_id("cn-toast")
        await expect(toast).to_contain_text("Agent1 mentioned you")
        await expect(toast).to_contain_text("возврат без чека")
        await toast.get_by_test_id("cn-toast-action").click()
        await expect(reader.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
        mention = reader.locator("[data-testid=cn-message][data-kind=note] [data-testid=cn-mention]")
        await expect(mention).to_have_text("@Agent2")
        await expect(mention).to_have_class("cn-mention is-me")

        # A note that mentions nobody tells nobody.
        await writer.get_by_test_id("cn-composer").fill("Себе на память: клиент вежливый")
        await writer.get_by_test_id("cn-composer").press("Enter")
        await expect(reader.locator("[data-testid=cn-message][data-kind=note]").filter(has_text="Себе на память")).to_be_visible()
        await expect(reader.get_by_test_id("cn-toast")).to_have_count(0)
