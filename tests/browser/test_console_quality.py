"""Conversation quality in the console: the review of a resolved conversation with its faults on
the messages, a supervisor's marks on wrong findings, the supervisors' quality report with its
drill-down, and the live coach that warns (never blocks) before a reply goes."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_message, console_page, eventually
from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

# The review is a job run after the resolve commits.
REVIEW_MS = 20_000
STOCK_REPLY = "Спасибо за обращение! Ваш заказ уже в пути, курьер привезёт его завтра до 18:00."


async def customer_writes(server: Server, tenant: Tenant, body: str) -> int:
    """A visitor (protocol client) starts a conversation; its id."""
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


async def answered_conversation(server: Server, tenant: Tenant, agent: Agent, reply: str) -> int:
    """A customer asks, `agent` takes the conversation and answers with `reply` (still open)."""
    conversation_id = await customer_writes(server, tenant, "Здравствуйте, где мой заказ?")
    assert (await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})).status_code == 200
    assert (await agent.reply(conversation_id, reply)).status_code == 201
    return conversation_id


async def resolve(agent: Agent, conversation_id: int) -> None:
    assert (await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")).status_code == 200


async def open_conversation(page: Page, server: Server, conversation_id: int) -> None:
    await page.goto(f"{server.url}/console/all/{conversation_id}")
    await expect(page.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))


def finding(page: Page, fault: str):
    return page.locator(f"[data-testid=cn-finding][data-fault='{fault}']").first


async def test_a_resolved_conversation_shows_its_review_and_a_supervisor_marks_a_finding_wrong(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna:
        conversation_id = await answered_conversation(web_server, web_tenant, anna, STOCK_REPLY)
        # The agent has it open when it is resolved: the review arrives live.
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await open_conversation(agent, web_server, conversation_id)
        await expect(agent.get_by_test_id("cn-review")).to_have_count(0)
        await resolve(anna, conversation_id)

        review = agent.get_by_test_id("cn-review")
        await expect(review).to_be_visible(timeout=REVIEW_MS)
        score = int(await review.get_attribute("data-score") or "-1")
        assert 0 <= score < 100
        await expect(agent.get_by_test_id("cn-review-score")).to_have_text(str(score))
        await expect(finding(agent, "template_phrase")).to_contain_text("Stock phrase")
        # The evidence: the reply with the stock phrase is outlined and labelled.
        reply = console_message(agent, STOCK_REPLY)
        await expect(reply).to_have_attribute("data-faults", re.compile(r"\btemplate_phrase\b"))
        await expect(reply).to_have_class(re.compile(r"\bhas-fault\b"))
        await expect(reply.locator("[data-testid=cn-msg-fault][data-fault=template_phrase]")).to_have_text("Stock phrase")
        # Agents do not mark findings.
        await expect(agent.get_by_test_id("cn-finding-mark")).to_have_count(0)

        # A supervisor, in Russian, marks it wrong: struck through, and kept after a reload.
        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password, locale="ru-RU")
        await open_conversation(supervisor, web_server, conversation_id)
        stock = finding(supervisor, "template_phrase")
        await expect(stock).to_contain_text("Шаблонная фраза")
        await expect(stock).to_have_attribute("data-wrong", "false")
        await stock.get_by_test_id("cn-finding-go").click()  # scrolls to the message
        await stock.get_by_test_id("cn-finding-mark").click()
        await expect(stock).to_have_attribute("data-wrong", "true")
        decoration = await stock.get_by_test_id("cn-finding-go").evaluate("el => getComputedStyle(el).textDecorationLine")
        assert "line-through" in decoration
        marked = console_message(supervisor, STOCK_REPLY).locator("[data-testid=cn-msg-fault][data-fault=template_phrase]")
        await expect(marked).to_have_attribute("data-wrong", "true")
        stored = (await anna.get(f"/api/v1/conversations/{conversation_id}/review")).json()["review"]
        assert [f["marked_wrong"] for f in stored["findings"] if f["fault"] == "template_phrase"] == [True]
        await supervisor.reload()
        await expect(finding(supervisor, "template_phrase")).to_have_attribute("data-wrong", "true")

        # The mark is taken back.
        await finding(supervisor, "template_phrase").get_by_test_id("cn-finding-mark").click()
        await expect(finding(supervisor, "template_phrase")).to_have_attribute("data-wrong", "false")


async def test_the_quality_page_lists_the_agent_and_drills_down_to_the_conversation(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.supervisor, web_tenant.password) as boss,
    ):
        conversation_id = await answered_conversation(web_server, web_tenant, anna, STOCK_REPLY)
        await resolve(anna, conversation_id)

        async def reviewed() -> dict | None:
            return (await boss.get(f"/api/v1/conversations/{conversation_id}/review")).json()["review"]

        await eventually(reviewed, timeout=REVIEW_MS / 1000, what="the review")
        review = await reviewed()
        assert review

        # Agents have no quality page.
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await expect(agent.get_by_test_id("cn-nav-quality")).to_have_count(0)

        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
        await supervisor.get_by_test_id("cn-nav-quality").click()
        await expect(supervisor).to_have_url(re.compile(r"/console/quality$"))
        row = supervisor.locator(f"[data-testid=cn-quality-row][data-id='{anna.id}']")
        await expect(row).to_be_visible()
        await expect(row.get_by_test_id("cn-quality-name")).to_have_text("Agent1")
        await expect(row).to_have_attribute("data-conversations", "1")
        await expect(row.get_by_test_id("cn-quality-score")).to_have_text(str(review["score"]))
        await expect(row.get_by_test_id("cn-quality-spark").locator("rect")).to_have_count(1)
        marks = supervisor.get_by_test_id("cn-quality-marks")
        await expect(marks).to_have_attribute("data-findings", str(len(review["findings"])))
        await expect(marks).to_have_attribute("data-marked-wrong", "0")

        # A fault drills down to its conversations; one opens the conversation.
        await row.locator("[data-testid=cn-quality-fault][data-fault=template_phrase]").click()
        drill = supervisor.get_by_test_id("cn-quality-drill")
        await expect(drill).to_have_attribute("data-fault", "template_phrase")
        conv = drill.locator(f"[data-testid=cn-quality-conv][data-id='{conversation_id}']")
        await expect(conv).to_have_attribute("data-score", str(review["score"]))
        await expect(conv.locator("[data-testid=cn-quality-conv-fault][data-fault=template_phrase]")).to_be_visible()
        await conv.get_by_test_id("cn-quality-open").click()
        await expect(supervisor.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
        await expect(supervisor.get_by_test_id("cn-review")).to_be_visible()

        # By team: nobody is in a team, one row for no team.
        await supervisor.get_by_test_id("cn-nav-quality").click()
        await supervisor.get_by_test_id("cn-quality-group-team").click()
        await expect(supervisor.get_by_test_id("cn-quality-groups")).to_have_attribute("data-group", "team")
        await expect(supervisor.get_by_test_id("cn-quality-row")).to_have_count(1)
        await expect(supervisor.get_by_test_id("cn-quality-name")).to_have_text("No team")


async def test_the_coach_warns_before_a_stock_phrase_and_the_second_enter_sends(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna:
        conversation_id = await answered_conversation(web_server, web_tenant, anna, "Сейчас посмотрю ваш заказ.")
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await open_conversation(agent, web_server, conversation_id)
        composer = agent.get_by_test_id("cn-composer")

        # Enter on a draft with a stock phrase shows the warning first and keeps the text.
        stock = "Благодарим за обращение, заказ приедет завтра."
        await composer.fill(stock)
        await composer.press("Enter")
        coach = agent.get_by_test_id("cn-coach")
        await expect(coach).to_be_visible()
        await expect(coach.locator("[data-testid=cn-coach-warning][data-fault=template_phrase]")).to_contain_text("Stock phrase")
        await expect(composer).to_have_value(stock)
        await expect(console_message(agent, stock)).to_have_count(0)
        # The second Enter sends it as it is.
        await composer.press("Enter")
        await expect(composer).to_have_value("")
        await expect(console_message(agent, stock)).to_have_attribute("data-pending", "false")
        await expect(coach).to_have_count(0)

        # A plain answer goes at once.
        plain = "Курьер позвонит вам за час до приезда."
        await composer.fill(plain)
        await composer.press("Enter")
        await expect(composer).to_have_value("")
        await expect(console_message(agent, plain)).to_have_attribute("data-pending", "false")
        await expect(coach).to_have_count(0)

        # Notes are never coached.
        await agent.get_by_test_id("cn-note-toggle").click()
        note = "Спасибо за обращение — клиент VIP"
        await composer.fill(note)
        await composer.press("Enter")
        await expect(composer).to_have_value("")
        await expect(console_message(agent, note)).to_have_attribute("data-kind", "note")
