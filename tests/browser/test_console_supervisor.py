"""Supervision in the console: the live monitor of waits and agents, whispers that only
agents see, and taking a conversation over. Agents get none of it."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import (
    Browsing,
    agent_api,
    console_login,
    console_message,
    console_page,
    console_send,
    introduce,
    open_widget,
    visitor_page,
    widget_bodies,
    widget_message,
    widget_send,
)
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

FALLBACK_MS = 20_000  # two failed WebSocket opens with back-off come first


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


async def widget_conversation(page: Page, agent_api_client, text: str) -> int:
    """The visitor on the shop page introduces themself and writes; the conversation's id."""
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, text)
    await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")
    listed = (await agent_api_client.get("/api/v1/conversations", view="all")).json()["conversations"]
    return next(c["id"] for c in listed if c["last_message"]["body"] == text)


def monitor_row(page: Page, conversation_id: int):
    return page.locator(f"[data-testid=cn-monitor-conv][data-id='{conversation_id}']")


def monitor_agent(page: Page, agent_id: int):
    return page.locator(f"[data-testid=cn-monitor-agent][data-id='{agent_id}']")


async def open_in_console(page: Page, conversation_id: int) -> None:
    """Clicks the conversation's row and waits until it is the one on screen."""
    await page.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']").click()
    await expect(page.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))


async def open_monitor(page: Page) -> None:
    await page.get_by_test_id("cn-nav-monitor").click()
    await expect(page.get_by_test_id("cn-monitor")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/console/monitor$"))


async def test_the_monitor_shows_waits_ticking_and_agents_live(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.supervisor, web_tenant.password) as boss,
    ):
        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
        await open_monitor(supervisor)
        await expect(supervisor.get_by_test_id("cn-monitor-empty")).to_be_visible()
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await expect(monitor_agent(supervisor, anna.id)).to_have_attribute("data-status", "online")
        await expect(monitor_agent(supervisor, boss.id)).to_have_attribute("data-status", "online")

        # New conversations appear by themselves, waiting, with the wait ticking.
        first = await customer_writes(web_server, web_tenant, "Где мой заказ?")
        second = await customer_writes(web_server, web_tenant, "Есть ли доставка в Казань?")
        row = monitor_row(supervisor, first)
        await expect(row).to_have_attribute("data-waiting", "true")
        await expect(row).to_have_attribute("data-wait-level", "ok")
        await expect(row.get_by_test_id("cn-monitor-assignee")).to_have_text("Unassigned")
        await expect(row.get_by_test_id("cn-monitor-last")).to_have_text("Где мой заказ?")
        await expect(row.get_by_test_id("cn-monitor-channel")).to_contain_text("Website")
        await expect(supervisor.get_by_test_id("cn-monitor-waiting-count")).to_have_attribute("data-count", "2")
        wait = row.get_by_test_id("cn-monitor-wait")
        await expect(wait).to_have_text(re.compile(r"^\d+ s$"))
        before = await wait.inner_text()
        await expect(wait).not_to_have_text(before)  # it ticks

        # An agent answers the second one: its wait clears, the load shows.
        await agent.get_by_test_id("cn-tab-all").click()
        await open_in_console(agent, second)
        await agent.get_by_test_id("cn-assign-me").click()
        await console_send(agent, "Да, доставляем, 2–3 дня.")
        answered = monitor_row(supervisor, second)
        await expect(answered).to_have_attribute("data-waiting", "false")
        await expect(answered).to_have_attribute("data-wait-level", "none")
        await expect(answered.get_by_test_id("cn-monitor-wait")).to_have_text("—")
        await expect(answered.get_by_test_id("cn-monitor-assignee")).to_have_attribute("data-agent-id", str(anna.id))
        await expect(answered.get_by_test_id("cn-monitor-last")).to_have_text("Agent: Да, доставляем, 2–3 дня.")
        await expect(monitor_agent(supervisor, anna.id)).to_have_attribute("data-load", "1")
        await expect(supervisor.get_by_test_id("cn-monitor-waiting-count")).to_have_attribute("data-count", "1")

        # Longest waiting first by default; by last activity the answered one leads.
        ids = supervisor.get_by_test_id("cn-monitor-conv")
        await expect(ids).to_have_count(2)
        assert await ids.evaluate_all("rows => rows.map(r => r.dataset.id)") == [str(first), str(second)]
        await supervisor.get_by_test_id("cn-monitor-sort-activity").click()
        await expect(ids.first).to_have_attribute("data-id", str(second))
        await supervisor.get_by_test_id("cn-monitor-sort-wait").click()
        await expect(ids.first).to_have_attribute("data-id", str(first))

        # The agent answers the first one too: nobody waits any more.
        await open_in_console(agent, first)
        await console_send(agent, "Заказ в пути, трек-номер отправили на почту.")
        await expect(row).to_have_attribute("data-waiting", "false")
        await expect(supervisor.get_by_test_id("cn-monitor-waiting-count")).to_have_attribute("data-count", "0")

        # The agent steps away: the monitor shows it at once, the time in status restarting.
        agent_row = monitor_agent(supervisor, anna.id)
        since = await agent_row.get_attribute("data-status-since")
        await agent.get_by_test_id("cn-my-status").select_option("away")
        await expect(agent_row).to_have_attribute("data-status", "away")
        await expect(agent_row).not_to_have_attribute("data-status-since", since or "")
        await expect(agent_row.get_by_test_id("cn-monitor-status-time")).to_have_text(re.compile(r"^\d+ s$"))

        # Resolved conversations leave the monitor.
        resolved = await anna.post(f"/api/v1/conversations/{first}/resolve", {})
        assert resolved.status_code == 200, resolved.text
        await expect(row).to_have_count(0)
        await expect(supervisor.get_by_test_id("cn-monitor-conv")).to_have_count(1)

        # A row opens the conversation: the supervisor follows it live.
        await answered.click()
        await expect(supervisor.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(second))
        await expect(supervisor).to_have_url(re.compile(rf"/console/all/{second}$"))
        await open_in_console(agent, second)
        await console_send(agent, "Что-нибудь ещё?")
        await expect(console_message(supervisor, "Что-нибудь ещё?")).to_be_visible()


async def test_long_waits_turn_amber_then_red_and_the_keys_are_listed(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    context = await browsing.context(locale="ru-RU")
    supervisor = await context.new_page()
    await supervisor.clock.install()
    await supervisor.goto(web_server.url + "/console/")
    await console_login(supervisor, web_tenant.supervisor, web_tenant.password)
    await expect(supervisor.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    await expect(supervisor.get_by_test_id("cn-nav-monitor")).to_have_text("Мониторинг")

    # Alt+M opens the monitor; `?` lists it and the whisper.
    await supervisor.keyboard.press("Alt+m")
    await expect(supervisor.get_by_test_id("cn-monitor")).to_be_visible()
    await supervisor.keyboard.press("?")
    keys = supervisor.get_by_test_id("cn-shortcuts").get_by_test_id("cn-shortcut")
    listed = await keys.evaluate_all("rows => rows.map(r => r.dataset.keys)")
    assert "Alt+M" in listed and "Alt+W" in listed
    await supervisor.keyboard.press("Escape")

    conversation_id = await customer_writes(web_server, web_tenant, "Алло, есть кто-нибудь?")
    row = monitor_row(supervisor, conversation_id)
    await expect(row).to_have_attribute("data-wait-level", "ok")
    await expect(row.get_by_test_id("cn-monitor-assignee")).to_have_text("Не назначен")
    await supervisor.clock.fast_forward(70_000)
    await expect(row).to_have_attribute("data-wait-level", "warn")
    await expect(row.get_by_test_id("cn-monitor-wait")).to_have_text(re.compile(r"^1 мин \d\d с$"))
    await supervisor.clock.fast_forward(120_000)
    await expect(row).to_have_attribute("data-wait-level", "alert")
    await expect(supervisor.get_by_test_id("cn-monitor-longest")).to_contain_text("3 мин")


async def test_an_agent_has_no_monitor_and_no_whisper(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    conversation_id = await customer_writes(web_server, web_tenant, "Вопрос по оплате")
    agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await expect(agent.get_by_test_id("cn-nav-visitors")).to_be_visible()
    await expect(agent.get_by_test_id("cn-nav-monitor")).to_have_count(0)

    await agent.goto(f"{web_server.url}/console/monitor")
    await expect(agent.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    await expect(agent).not_to_have_url(re.compile(r"/monitor$"))
    await expect(agent.get_by_test_id("cn-monitor")).to_have_count(0)
    await agent.keyboard.press("Alt+m")
    await expect(agent.get_by_test_id("cn-monitor")).to_have_count(0)

    await agent.goto(f"{web_server.url}/console/all/{conversation_id}")
    await expect(agent.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
    await expect(agent.get_by_test_id("cn-note-toggle")).to_be_visible()
    await expect(agent.get_by_test_id("cn-whisper-toggle")).to_have_count(0)
    await agent.get_by_test_id("cn-composer").click()
    await agent.keyboard.press("Alt+w")
    await expect(agent.locator("form.cn-composer")).to_have_attribute("data-mode", "text")
    await agent.keyboard.press("Escape")
    await agent.keyboard.press("?")
    listed = await agent.get_by_test_id("cn-shortcut").evaluate_all("rows => rows.map(r => r.dataset.keys)")
    assert "Alt+W" not in listed and "Alt+M" not in listed


async def test_a_whisper_shows_to_agents_distinctly_and_never_in_the_widget(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    hint = "Предложи бесплатную доставку от 3000 ₽"
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna:
        visitor = await visitor_page(browsing, web_server, web_tenant.site_key)
        conversation_id = await widget_conversation(visitor, anna, "Сколько стоит доставка?")
        taken = await anna.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": anna.id})
        assert taken.status_code == 200, taken.text

        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await agent.goto(f"{web_server.url}/console/mine/{conversation_id}")
        await expect(agent.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))

        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
        await supervisor.goto(f"{web_server.url}/console/all/{conversation_id}")
        await expect(supervisor.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
        composer_form = supervisor.locator("form.cn-composer")
        await supervisor.get_by_test_id("cn-whisper-toggle").click()
        await expect(supervisor.get_by_test_id("cn-whisper-toggle")).to_have_attribute("aria-pressed", "true")
        await expect(composer_form).to_have_attribute("data-mode", "whisper")
        await expect(supervisor.get_by_test_id("cn-send")).to_have_text("Whisper")
        await console_send(supervisor, hint)
        mine = console_message(supervisor, hint)
        await expect(mine).to_have_attribute("data-kind", "whisper")
        await expect(mine).to_have_attribute("data-pending", "false")
        await expect(mine.get_by_test_id("cn-whisper-label")).to_have_text("Whisper from Supervisor (you)")

        # The agent sees it marked as a whisper (dashed purple), and is alerted.
        whisper = console_message(agent, hint)
        await expect(whisper).to_have_attribute("data-kind", "whisper")
        await expect(whisper.get_by_test_id("cn-whisper-label")).to_have_text("Whisper from Supervisor")
        style = await whisper.locator(".cn-bubble").evaluate(
            "b => { const s = getComputedStyle(b); return [s.borderTopStyle, s.borderTopColor]; }"
        )
        assert style == ["dashed", "rgb(139, 92, 246)"], style
        await expect(agent.get_by_test_id("cn-toast")).to_contain_text("Whisper from Supervisor in #")
        await expect(agent.get_by_test_id("cn-toast")).to_contain_text(hint)

        # The agent follows the hint; the customer gets the answer and never the whisper.
        await console_send(agent, "Доставка бесплатная от 3000 ₽.")
        await expect(widget_message(visitor, "Доставка бесплатная от 3000 ₽.")).to_be_visible()
        assert [body for _, _, body in await widget_bodies(visitor)] == ["Сколько стоит доставка?", "Доставка бесплатная от 3000 ₽."]
        await expect(visitor.get_by_text(hint)).to_have_count(0)
        await visitor.reload()
        await expect(visitor.get_by_test_id("hl-launcher")).to_be_visible()
        await open_widget(visitor)
        await expect(widget_message(visitor, "Доставка бесплатная от 3000 ₽.")).to_be_visible()
        assert [body for _, _, body in await widget_bodies(visitor)] == ["Сколько стоит доставка?", "Доставка бесплатная от 3000 ₽."]
        await expect(visitor.get_by_text(hint)).to_have_count(0)

        stored = await anna.conversation(conversation_id)
        assert [m["kind"] for m in stored["messages"]] == ["text", "whisper", "text"]


async def test_a_supervisor_takes_over_and_the_reply_reaches_the_widget(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.supervisor, web_tenant.password) as boss,
    ):
        visitor = await visitor_page(browsing, web_server, web_tenant.site_key)
        conversation_id = await widget_conversation(visitor, anna, "Хочу пожаловаться на курьера")
        agent = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await agent.get_by_test_id("cn-tab-mine").click()
        taken = await anna.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": anna.id})
        assert taken.status_code == 200, taken.text
        await expect(agent.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")).to_be_visible()

        # From the monitor into the conversation: listening in, then taking over.
        supervisor = await console_page(browsing, web_server, web_tenant.supervisor, web_tenant.password)
        await open_monitor(supervisor)
        await monitor_row(supervisor, conversation_id).get_by_test_id("cn-monitor-open").click()
        await expect(supervisor.get_by_test_id("cn-conversation")).to_have_attribute("data-id", str(conversation_id))
        await expect(supervisor.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(anna.id))
        await expect(supervisor.get_by_test_id("cn-assign-me")).to_have_count(0)
        await widget_send(visitor, "Он опоздал на два часа")
        await expect(console_message(supervisor, "Он опоздал на два часа")).to_be_visible()

        await supervisor.get_by_test_id("cn-whisper-toggle").click()
        await expect(supervisor.locator("form.cn-composer")).to_have_attribute("data-mode", "whisper")
        await supervisor.get_by_test_id("cn-take-over").click()
        await expect(supervisor.get_by_test_id("cn-assignee")).to_have_attribute("data-agent-id", str(boss.id))
        await expect(supervisor.get_by_test_id("cn-take-over")).to_have_count(0)
        # Taking over means answering the customer: the composer is back to replies.
        await expect(supervisor.locator("form.cn-composer")).to_have_attribute("data-mode", "text")

        # The agent who had it is told.
        toast = agent.get_by_test_id("cn-toast")
        await expect(toast).to_contain_text("Supervisor took over conversation #")
        await expect(agent.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")).to_have_count(0)

        await console_send(supervisor, "Здравствуйте, я руководитель смены. Разберёмся и вернём деньги за доставку.")
        reply = widget_message(visitor, "Здравствуйте, я руководитель смены. Разберёмся и вернём деньги за доставку.")
        await expect(reply).to_be_visible()
        await expect(reply).to_have_attribute("data-author", "agent")

        stored = await boss.conversation(conversation_id)
        assert stored["conversation"]["assignee"]["id"] == boss.id
        assert [m["kind"] for m in stored["messages"]] == ["text", "text", "text"]


async def refuse(ws: WebSocketRoute) -> None:
    """A proxy that drops every WebSocket: the connection closes before any frame."""
    await ws.close(code=1011)


async def test_the_monitor_stays_live_over_the_http_fallback(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    context = await browsing.context(locale="en-US")
    await context.route_web_socket(re.compile(".*"), refuse)
    supervisor = await context.new_page()
    await supervisor.goto(web_server.url + "/console/monitor")
    await console_login(supervisor, web_tenant.supervisor, web_tenant.password)
    await expect(supervisor.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)
    await expect(supervisor.get_by_test_id("cn-monitor")).to_be_visible()

    conversation_id = await customer_writes(web_server, web_tenant, "Пишу, а вы на long-poll")
    row = monitor_row(supervisor, conversation_id)
    await expect(row).to_have_attribute("data-waiting", "true")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna:
        answer = await anna.reply(conversation_id, "Видим вас, отвечаем.")
        assert answer.status_code == 201, answer.text
        await expect(row).to_have_attribute("data-waiting", "false")
        status = await anna.post("/api/v1/me/status", {"status": "away"})
        assert status.status_code == 200, status.text
        await expect(monitor_agent(supervisor, anna.id)).to_have_attribute("data-status", "away")
