"""Proactive invitations: the site's rules judged in the visitor's page, the bubble by the
launcher, and the shown / accepted counts (docs/protocol.md, "Proactive invitations")."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    SHOP,
    Browsing,
    agent_api,
    eventually,
    introduce,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.clients import Agent
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]

# How long to watch for an invitation that must not come: the rules are judged every second.
QUIET_MS = 2500


def rule(
    rule_id: str, text: str, *, frequency: str = "once_per_visit", enabled: bool = True, **conditions: Any
) -> Frame:
    return {"id": rule_id, "text": text, "enabled": enabled, "frequency": frequency, "conditions": conditions}


async def change_site(server: Server, tenant: Tenant, **changes: Any) -> None:
    """Changes some site settings as an admin would: PATCH replaces them as a whole, so read first."""
    async with agent_api(server, tenant.admin, tenant.password) as admin:
        response = await admin.get("/api/v1/inboxes")
        assert response.status_code == 200, response.text
        [inbox] = [inbox for inbox in response.json()["inboxes"] if inbox["id"] == tenant.inbox_id]
        response = await admin.patch(
            f"/api/v1/inboxes/{tenant.inbox_id}", {"settings": {**inbox["settings"], **changes}}
        )
        assert response.status_code == 200, response.text


async def counts(agent: Agent, tenant: Tenant) -> dict[str, tuple[int, int]]:
    """(shown, accepted) of each rule."""
    response = await agent.get(f"/api/v1/inboxes/{tenant.inbox_id}/invitations")
    assert response.status_code == 200, response.text
    return {item["id"]: (item["shown"], item["accepted"]) for item in response.json()["invitations"]}


async def counts_are(agent: Agent, tenant: Tenant, expected: dict[str, tuple[int, int]]) -> bool:
    return await counts(agent, tenant) == expected


async def on_the_site(agent: Agent, page_url: str) -> bool:
    """The visitor's widget has connected (the chat loaded in the background) from this page."""
    response = await agent.get("/api/v1/visitors")
    return any(v["current_page"]["url"] == page_url for v in response.json()["visitors"])


async def visitors_online(agent: Agent, count: int) -> bool:
    response = await agent.get("/api/v1/visitors")
    return len(response.json()["visitors"]) >= count


async def thread(page: Page) -> list[str]:
    """The panel's lines top to bottom: each message's first line, or "invitation"."""
    return (
        await page.get_by_test_id("hl-messages")
        .locator("[data-author]")
        .evaluate_all(
            "items => items.map(item => item.dataset.testid === 'hl-invitation-line' ? 'invitation' : item.innerText.split('\\n')[0])"
        )
    )


async def no_invitation(page: Page) -> None:
    await page.wait_for_timeout(QUIET_MS)
    await expect(page.get_by_test_id("hl-invitation")).to_have_count(0)


async def test_an_invitation_fires_by_its_rule_and_opens_the_chat(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(
        web_server,
        web_tenant,
        invitations=[
            rule("cart", "Оформляете заказ?", url="*/cart*", time_on_page=1),
            rule("catalog", "Нужна помощь с выбором?", url="*/catalog/*", time_on_page=1),
        ],
    )
    page = await visitor_page(browsing, web_server, web_tenant.site_key, path="/catalog/phone-x")
    invitation = page.get_by_test_id("hl-invitation")
    await expect(invitation).to_be_visible()
    await expect(invitation.get_by_test_id("hl-invitation-text")).to_have_text("Нужна помощь с выбором?")
    await expect(page.get_by_test_id("hl-panel")).to_be_hidden()

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await eventually(
            lambda: counts_are(agent, web_tenant, {"cart": (0, 0), "catalog": (1, 0)}), what="shown counted"
        )

        await invitation.get_by_test_id("hl-invitation-open").click()
        await expect(page.get_by_test_id("hl-panel")).to_be_visible()
        await expect(page.get_by_test_id("hl-launcher")).to_have_attribute("aria-expanded", "true")
        await expect(invitation).to_have_count(0)
        # The invitation is the conversation's first line, from the operators' side.
        line = page.get_by_test_id("hl-invitation-line")
        await expect(line).to_have_text("Нужна помощь с выбором?")
        await expect(line).to_have_attribute("data-author", "agent")
        await eventually(
            lambda: counts_are(agent, web_tenant, {"cart": (0, 0), "catalog": (1, 1)}), what="accepted counted"
        )

        await introduce(page, "Анна", "anna@example.com")
        await widget_send(page, "Да, какой телефон лучше?")
        await expect(widget_message(page, "Да, какой телефон лучше?")).to_have_attribute("data-pending", "false")
        assert (await thread(page))[:2] == ["invitation", "Да, какой телефон лучше?"]


async def test_invitations_wait_until_every_condition_holds(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(
        web_server,
        web_tenant,
        invitations=[
            rule("other-page", "Ищете корзину?", url="*/cart"),
            rule("country", "Hello from abroad", countries=["US"]),
            rule("campaign", "Вы из рекламы?", utm={"utm_source": "yandex"}),
            rule("search", "Нашли нас в Google?", referrer="google."),
            rule("returning", "С возвращением!", visit_number=2),
            rule("off", "Выключено", enabled=False),
            rule("second-page", "Уже второй товар смотрите?", pages_viewed=2, url="*/catalog/*"),
        ],
    )
    page = await visitor_page(browsing, web_server, web_tenant.site_key, path="/catalog/phone-x")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await eventually(lambda: on_the_site(agent, f"{SHOP}/catalog/phone-x"), what="the visitor on the site")
        await no_invitation(page)  # one page viewed: none of the rules holds

        # The second page of the visit, a new page load.
        await page.goto(f"{SHOP}/catalog/phone-y")
        invitation = page.get_by_test_id("hl-invitation")
        await expect(invitation.get_by_test_id("hl-invitation-text")).to_have_text("Уже второй товар смотрите?")
        await eventually(
            lambda: counts_are(
                agent,
                web_tenant,
                {
                    "other-page": (0, 0),
                    "country": (0, 0),
                    "campaign": (0, 0),
                    "search": (0, 0),
                    "returning": (0, 0),
                    "off": (0, 0),
                    "second-page": (1, 0),
                },
            ),
            what="only second-page shown",
        )

        # Closed: gone, and nothing else on this page.
        await invitation.get_by_test_id("hl-invitation-close").click()
        await expect(invitation).to_have_count(0)
        await expect(page.get_by_test_id("hl-panel")).to_be_hidden()
        await no_invitation(page)
        assert (await counts(agent, web_tenant))["second-page"] == (1, 0)


async def test_a_landing_pages_tags_and_frequencies(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    await change_site(
        web_server,
        web_tenant,
        invitations=[
            rule("campaign", "Скидка по рекламе!", utm={"utm_source": "yandex"}, frequency="once"),
            rule("every", "Есть вопросы?", frequency="every_page", time_on_page=1),
        ],
    )
    page = await visitor_page(
        browsing, web_server, web_tenant.site_key, path="/catalog/phone-x?utm_source=yandex&utm_campaign=winter"
    )
    invitation = page.get_by_test_id("hl-invitation-text")
    await expect(invitation).to_have_text("Скидка по рекламе!")
    await page.get_by_test_id("hl-invitation-close").click()

    # Later pages of the visit keep the landing page's tags, but `once` is once.
    await page.goto(f"{SHOP}/catalog/phone-y")
    await expect(invitation).to_have_text("Есть вопросы?")
    await page.reload()
    await expect(invitation).to_have_text("Есть вопросы?")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await eventually(
            lambda: counts_are(agent, web_tenant, {"campaign": (1, 0), "every": (2, 0)}), what="the counts"
        )


async def test_no_invitation_over_an_open_conversation_or_when_offline(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    await change_site(
        web_server, web_tenant, invitations=[rule("help", "Помочь?", time_on_page=3, frequency="every_page")]
    )
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await page.get_by_test_id("hl-launcher").click()
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, "Уже пишу")
    await expect(widget_message(page, "Уже пишу")).to_have_attribute("data-pending", "false")
    await page.get_by_test_id("hl-close").click()
    await no_invitation(page)
    await page.reload()
    await no_invitation(page)

    # No operator online and the rule wants one (only_when_online, the default): nothing.
    await change_site(web_server, web_tenant, offline_when_no_agents=True)
    other = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        await eventually(lambda: visitors_online(agent, 2), what="the second visitor on the site")
        await no_invitation(other)
        assert await counts(agent, web_tenant) == {"help": (0, 0)}


async def test_an_accepted_invitation_opens_a_new_conversation_after_the_history(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await page.get_by_test_id("hl-launcher").click()
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, "Старый вопрос")
    await expect(widget_message(page, "Старый вопрос")).to_have_attribute("data-pending", "false")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        [conversation] = (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"]
        # Closed (not just resolved, which the visitor's next message would reopen).
        response = await agent.post(f"/api/v1/conversations/{conversation['id']}/status", {"status": "closed"})
        assert response.status_code == 200, response.text

    await change_site(web_server, web_tenant, invitations=[rule("back", "Снова здесь? Чем помочь?", time_on_page=1)])
    await page.reload()
    await page.get_by_test_id("hl-invitation-open").click()
    line = page.get_by_test_id("hl-invitation-line")
    await expect(line).to_have_text("Снова здесь? Чем помочь?")
    assert await thread(page) == ["Старый вопрос", "invitation"]

    await widget_send(page, "Новый вопрос")
    await expect(widget_message(page, "Новый вопрос")).to_have_attribute("data-pending", "false")
    assert await thread(page) == ["Старый вопрос", "invitation", "Новый вопрос"]
