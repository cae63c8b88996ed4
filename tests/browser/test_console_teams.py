"""Teams (admin) and transfer to a team (docs/protocol.md, `/api/v1/teams`, transfer with
`team_id`): the team gets the conversation — its available member, or its queue — and the
conversation shows its team in the header and the list."""

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


async def test_teams_are_managed_and_take_transferred_conversations(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    first = await conversation_of(web_server, web_tenant, "Нужен счёт для юрлица")
    second = await conversation_of(web_server, web_tenant, "Хочу оптовую цену")
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
        agent_api(web_server, web_tenant.supervisor, web_tenant.password) as sveta,
    ):
        admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
        await admin.get_by_test_id("cn-nav-teams").click()
        new = admin.get_by_test_id("cn-team-form")
        await new.get_by_test_id("cn-team-name").fill("Sales")
        for member in (anna.id, sveta.id):
            await new.locator(f"[data-testid=cn-team-member][data-id='{member}'] input").check()
        await new.get_by_test_id("cn-team-create").click()
        team = admin.locator("[data-testid=cn-team][data-name=Sales]")
        await expect(team).to_be_visible()
        await expect(team.get_by_test_id("cn-team-count")).to_contain_text("2")

        # A taken name is refused next to the field.
        await new.get_by_test_id("cn-team-name").fill("Sales")
        await new.get_by_test_id("cn-team-create").click()
        await expect(new.locator("[data-testid=cn-field-error][data-field=name]")).to_be_visible()
        # A second team, deleted again.
        await new.get_by_test_id("cn-team-name").fill("Временная")
        await new.get_by_test_id("cn-team-create").click()
        temporary = admin.locator("[data-testid=cn-team][data-name='Временная']")
        await temporary.get_by_test_id("cn-team-delete").click()
        await temporary.get_by_test_id("cn-team-delete-confirm").click()
        await expect(temporary).to_have_count(0)

        # Rename, and the supervisor leaves.
        await team.get_by_test_id("cn-team-rename").fill("Продажи")
        await team.locator(f"[data-testid=cn-team-member][data-id='{sveta.id}'] input").uncheck()
        await team.get_by_test_id("cn-team-save").click()
        team = admin.locator("[data-testid=cn-team][data-name='Продажи']")
        await expect(team.get_by_test_id("cn-team-count")).to_contain_text("1")
        [stored] = (await anna.get("/api/v1/teams")).json()["teams"]
        assert (stored["name"], stored["member_ids"]) == ("Продажи", [anna.id])
        team_id = stored["id"]

        # Boris has a conversation and hands it to the team: Anna, its member online, gets it.
        taken = await boris.post(f"/api/v1/conversations/{first}/assign", {"agent_id": boris.id})
        assert taken.status_code == 200, taken.text
        anna_page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        boris_page = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)
        await boris_page.goto(f"{web_server.url}/console/all/{first}")
        await expect(boris_page.get_by_test_id("cn-conv-team")).to_have_count(0)
        await boris_page.get_by_test_id("cn-transfer").click()
        dialog = boris_page.get_by_test_id("cn-transfer-dialog")
        choice = dialog.locator(f"[data-testid=cn-transfer-team][data-id='{team_id}']")
        await expect(choice).to_contain_text("Продажи")
        await expect(choice).to_contain_text("1")  # online members
        await choice.click()
        await dialog.get_by_test_id("cn-transfer-note").fill("Клиенту нужен счёт, реквизиты в чате")
        await dialog.get_by_test_id("cn-transfer-submit").click()
        await expect(dialog).to_have_count(0)
        header_team = boris_page.get_by_test_id("cn-conversation").get_by_test_id("cn-conv-team")
        await expect(header_team).to_have_text("Продажи")
        await expect(boris_page.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(anna.id))
        await expect(boris_page.get_by_test_id("cn-toast")).to_contain_text("Продажи")
        row = boris_page.locator(f"[data-testid=cn-conv-row][data-id='{first}']")
        await expect(row.get_by_test_id("cn-conv-team")).to_have_text("Продажи")

        toast = anna_page.get_by_test_id("cn-toast")
        await expect(toast).to_contain_text("was transferred to you")
        await toast.get_by_test_id("cn-toast-action").click()
        await expect(anna_page.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(first))
        await expect(anna_page.get_by_test_id("cn-conversation").get_by_test_id("cn-conv-team")).to_have_text("Продажи")
        await expect(anna_page.locator("[data-testid=cn-message][data-kind=note]")).to_contain_text("реквизиты в чате")

        # Nobody of the team is available: the conversation waits in the team's queue.
        await anna_page.get_by_test_id("cn-my-status").select_option("away")
        await expect(anna_page.get_by_test_id("cn-my-status-wrap")).to_have_attribute("data-status", "away")
        await boris_page.goto(f"{web_server.url}/console/all/{second}")
        await boris_page.get_by_test_id("cn-transfer").click()
        dialog = boris_page.get_by_test_id("cn-transfer-dialog")
        await dialog.locator(f"[data-testid=cn-transfer-team][data-id='{team_id}']").click()
        await dialog.get_by_test_id("cn-transfer-submit").click()
        await expect(dialog).to_have_count(0)
        await expect(boris_page.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", "")
        await expect(boris_page.get_by_test_id("cn-conversation").get_by_test_id("cn-conv-team")).to_have_text("Продажи")
        await expect(boris_page.get_by_test_id("cn-toast")).to_contain_text("queue")
        stored_second = (await boris.conversation(second))["conversation"]
        assert stored_second["assignee"] is None and stored_second["team"] == {"id": team_id, "name": "Продажи"}
