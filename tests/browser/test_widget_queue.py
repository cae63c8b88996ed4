"""The widget tells a visitor waiting in a team's queue their place and the estimated wait, as a
quiet line under the conversation, and takes it away when an operator has them
(docs/protocol.md, "Widget": the `queue` frame; "Assignment")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    Browsing,
    agent_api,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


async def one_agent_team(admin: Agent, agent: Agent) -> None:
    """A team of `agent` alone, with room for one conversation, that gets every conversation."""
    team = (await ok(await admin.post("/api/v1/teams", {"name": "Поддержка", "member_ids": [agent.id]}), 201))["team"]
    await ok(await admin.patch(f"/api/v1/agents/{agent.id}", {"capacity": 1}))
    await ok(await admin.post("/api/v1/routing/rules", {"name": "all", "actions": [{"type": "set_team", "value": team["id"]}]}), 201)


async def waits(page: Page, name: str, email: str, text: str) -> None:
    await open_widget(page)
    await introduce(page, name, email)
    await widget_send(page, text)
    await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")


async def test_the_visitor_sees_their_place_until_an_operator_takes_them(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.admin, web_tenant.password) as admin,
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent,
    ):
        await one_agent_team(admin, agent)
        console = await agent.socket()  # online: the team can give out conversations
        first = Visitor(web_server.url, web_tenant.site_key)
        await first.start()
        first_widget = await first.socket()
        try:
            taken = await send_and_ack(first_widget, "Я первый")
            assert (await agent.conversation(taken["conversation_id"]))["conversation"]["assignee"]["id"] == agent.id

            # The agent is full: the next visitor waits, first in line, five minutes a conversation.
            page = await visitor_page(browsing, web_server, web_tenant.site_key)
            await waits(page, "Анна", "anna@example.com", "Я второй")
            line = page.get_by_test_id("hl-queue")
            await expect(line).to_have_text("Вы 1-й в очереди · ожидание ~5 мин")
            await expect(line).to_have_attribute("role", "status")
            await expect(page.get_by_test_id("hl-message")).to_have_count(1)  # a line, not a message

            # One more, in English, behind her.
            english = await visitor_page(browsing, web_server, web_tenant.site_key, lang="en", locale="en-US")
            await waits(english, "Ann", "ann@example.com", "Me too")
            english_line = english.get_by_test_id("hl-queue")
            await expect(english_line).to_have_text("You are number 2 in the queue · about 10 min")

            # The first conversation is resolved: Анна gets the agent, the line goes; the
            # queue moves up for the one behind.
            await ok(await agent.post(f"/api/v1/conversations/{taken['conversation_id']}/resolve"))
            await expect(line).to_have_count(0)
            await expect(english_line).to_have_text(re.compile(r"^You are number 1 in the queue · about \d+ min$"))
            conversations = (await ok(await agent.get("/api/v1/conversations", view="mine")))["conversations"]
            assert [c["last_message"]["body"] for c in conversations] == ["Я второй"]

            # With nobody of the team online there is no estimate: only the place, told again
            # after a reload.
            await ok(await agent.post("/api/v1/me/status", {"status": "away"}))
            await english.reload()
            await open_widget(english)
            await expect(english_line).to_have_text("You are number 1 in the queue")
            await page.reload()
            await open_widget(page)
            await expect(widget_message(page, "Я второй")).to_be_visible()
            await expect(line).to_have_count(0)
        finally:
            await first_widget.close()
            await first.close()
            await console.close()
