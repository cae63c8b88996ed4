"""The server goes away mid-chat and comes back on the same port: both UIs carry on."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    RECONNECT_MS,
    Browsing,
    agent_api,
    console_bodies,
    console_message,
    console_page,
    console_send,
    in_thread,
    introduce,
    open_widget,
    tab_count,
    visitor_page,
    widget_bodies,
    widget_message,
    widget_send,
)
from tests.support.seed import make_tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


def widget_status(page: Page):  # noqa: ANN201 - a Locator
    return page.get_by_test_id("hl-status")


def console_conn(page: Page):  # noqa: ANN201 - a Locator
    return page.get_by_test_id("cn-conn")


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
async def test_restart_mid_chat_loses_and_duplicates_nothing(own_server: Server, browsing: Browsing, kill: bool) -> None:
    tenant = await make_tenant(own_server.database_url)
    console = await console_page(browsing, own_server, tenant.agents[0], tenant.password)
    widget = await visitor_page(browsing, own_server, tenant.site_key)
    await open_widget(widget)
    await introduce(widget, "Анна", "anna@example.com")
    await widget_send(widget, "До перезапуска")
    await console.get_by_test_id("cn-conv-row").click()
    await expect(console_message(console, "До перезапуска")).to_be_visible()
    await console_send(console, "Ответ до перезапуска")
    await expect(widget_message(widget, "Ответ до перезапуска")).to_be_visible()

    await in_thread(lambda: own_server.stop(kill=kill))
    await expect(widget_status(widget)).not_to_have_attribute("data-state", "open")
    await expect(console_conn(console)).not_to_have_attribute("data-state", "open")

    # Written while the server is down: both stay on screen as pending.
    await widget.get_by_test_id("hl-input").press_sequentially("Пока сервер лежал (посетитель)")
    await widget.get_by_test_id("hl-input").press("Enter")
    await expect(widget_message(widget, "Пока сервер лежал (посетитель)")).to_have_attribute("data-pending", "true")
    await console_send(console, "Пока сервер лежал (оператор)")
    await expect(console_message(console, "Пока сервер лежал (оператор)")).to_have_attribute("data-pending", "true")

    await in_thread(own_server.start)
    # Nobody reloads anything: each UI reconnects on its own back-off. (After a few failed
    # attempts that may be over the HTTP fallback instead of a WebSocket — see
    # test_transport.py; delivery must be exactly-once either way.)
    await expect(widget_status(widget)).to_have_attribute("data-state", "open", timeout=RECONNECT_MS)
    await expect(console_conn(console)).to_have_attribute("data-state", "open", timeout=RECONNECT_MS)
    await expect(widget_message(widget, "Пока сервер лежал (посетитель)")).to_have_attribute("data-pending", "false")
    await expect(console_message(console, "Пока сервер лежал (оператор)")).to_have_attribute("data-pending", "false")
    await expect(widget_message(widget, "Пока сервер лежал (оператор)")).to_be_visible()
    await expect(console_message(console, "Пока сервер лежал (посетитель)")).to_be_visible()

    # One more round trip on the new connections: frames of a connection arrive in order, so
    # a duplicate from the resume would be on screen before these.
    await widget_send(widget, "После перезапуска")
    await expect(console_message(console, "После перезапуска")).to_be_visible()
    await console_send(console, "Ответ после перезапуска")
    await expect(widget_message(widget, "Ответ после перезапуска")).to_have_attribute("data-pending", "false")
    await expect(console.locator("[data-testid=cn-message][data-pending=true]")).to_have_count(0)
    await expect(widget.locator("[data-testid=hl-message][data-pending=true]")).to_have_count(0)

    async with agent_api(own_server, tenant.agents[0], tenant.password) as agent:
        conversations = (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"]
        assert len(conversations) == 1
        stored = [(m["author"]["type"], str(m["seq"]), m["body"]) for m in (await agent.conversation(conversations[0]["id"]))["messages"]]
    assert [seq for _, seq, _ in stored] == [str(seq) for seq in range(1, 7)]
    assert sorted(body for _, _, body in stored) == sorted(
        [
            "До перезапуска",
            "Ответ до перезапуска",
            "Пока сервер лежал (посетитель)",
            "Пока сервер лежал (оператор)",
            "После перезапуска",
            "Ответ после перезапуска",
        ]
    )
    # The two written while down may be stored in either order (whoever reconnected first),
    # but each UI shows exactly what was stored: each message once, by seq.
    assert await widget_bodies(widget) == stored
    assert await console_bodies(console) == stored
    await expect(console.get_by_test_id("cn-conv-row")).to_have_count(1)
    await expect(tab_count(console, "all")).to_have_text("1")
    assert not browsing.page_errors
