"""The operator chat between two agents' consoles (docs/protocol.md, "Operator chat"): live
`chat` frames, unread badges in the room list and the navigation, read marks, a reply, and a
message whose answer was lost sent again with the same client_id — stored once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, Route, WebSocketRoute, expect

from tests.browser.conftest import Browsing, agent_api, console_login, console_page, eventually
from tests.support.clients import Agent
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

FALLBACK_MS = 20_000  # two failed WebSocket opens with back-off come first
POLL_MS = 15_000  # the rooms are polled every 10 s on the fallback


def chat_message(page: Page, body: str) -> Any:
    return page.get_by_test_id("cn-chat-message").filter(has=page.get_by_test_id("cn-chat-body").get_by_text(body, exact=True))


async def room_messages(agent: Agent, room: str) -> list[str]:
    response = await agent.get(f"/api/v1/chat/rooms/{room}/messages")
    assert response.status_code == 200, response.text
    return [message["body"] for message in response.json()["messages"]]


async def unread_of(agent: Agent, room: str) -> int:
    rooms = (await agent.get("/api/v1/chat/rooms")).json()["rooms"]
    return next(r["unread"] for r in rooms if r["room"] == room)


async def test_two_agents_chat_live_with_unread_badges_and_a_resend_stored_once(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
    ):
        room = f"dm:{min(anna.id, boris.id)}:{max(anna.id, boris.id)}"
        anna_page = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        boris_page = await console_page(browsing, web_server, web_tenant.agents[1], web_tenant.password)

        await anna_page.get_by_test_id("cn-nav-chat").click()
        anna_room = anna_page.locator(f"[data-testid=cn-chat-room][data-room='{room}']")
        await anna_room.click()
        await expect(anna_page.get_by_test_id("cn-chat-room-view")).to_have_attribute("data-room", room)
        await expect(anna_page.get_by_test_id("cn-chat-room-title")).to_have_text("Agent2")
        anna_input = anna_page.get_by_test_id("cn-chat-input")
        await anna_input.fill("Борис, возьмёшь обращение про опт?")
        await anna_input.press("Enter")
        await expect(chat_message(anna_page, "Борис, возьмёшь обращение про опт?")).to_have_attribute("data-pending", "false")

        # Boris is in the inbox: the navigation counts it, a toast says who wrote.
        unread = boris_page.get_by_test_id("cn-nav-chat-unread")
        await expect(unread).to_have_text("1")
        await expect(boris_page.get_by_test_id("cn-toast")).to_contain_text("Борис, возьмёшь обращение про опт?")
        await anna_input.fill("Там клиент ждёт")
        await anna_input.press("Enter")
        await expect(unread).to_have_text("2")
        assert await unread_of(boris, room) == 2

        await boris_page.get_by_test_id("cn-nav-chat").click()
        boris_room = boris_page.locator(f"[data-testid=cn-chat-room][data-room='{room}']")
        await expect(boris_room).to_have_attribute("data-unread", "0")  # opened: it is read at once
        await expect(boris_page.get_by_test_id("cn-chat-room-view")).to_have_attribute("data-room", room)
        await expect(chat_message(boris_page, "Борис, возьмёшь обращение про опт?")).to_be_visible()
        await expect(chat_message(boris_page, "Там клиент ждёт")).to_be_visible()
        await expect(unread).to_have_count(0)
        await eventually(lambda: _equals(unread_of(boris, room), 0), what="the read mark on the server")

        # The reply arrives live on Anna's screen, in the room she has open: no badge there.
        boris_input = boris_page.get_by_test_id("cn-chat-input")
        await boris_input.fill("Да, беру")
        await boris_input.press("Enter")
        await expect(chat_message(anna_page, "Да, беру")).to_be_visible()
        await expect(anna_page.get_by_test_id("cn-nav-chat-unread")).to_have_count(0)
        await expect(anna_room.get_by_test_id("cn-chat-room-unread")).to_have_count(0)

        # Boris's answer to a message is lost on the way back: the console sends it again with
        # the same client_id, and the server keeps it once.
        seen: list[str] = []

        async def lose_first_answer(route: Route) -> None:
            if route.request.method != "POST" or not route.request.url.endswith("/messages"):
                await route.continue_()
                return
            seen.append(route.request.post_data_json["client_id"])
            if len(seen) == 1:
                await route.fetch()  # the server stores it…
                await route.abort("connectionreset")  # …but the console never hears
            else:
                await route.continue_()

        await boris_page.route("**/api/v1/chat/rooms/*/messages", lose_first_answer)
        await boris_input.fill("Уже пишу ему")
        await boris_input.press("Enter")
        await expect(chat_message(anna_page, "Уже пишу ему")).to_be_visible()
        await expect(chat_message(boris_page, "Уже пишу ему")).to_have_count(1)
        await expect(chat_message(boris_page, "Уже пишу ему")).to_have_attribute("data-pending", "false")
        assert (await room_messages(anna, room)).count("Уже пишу ему") == 1
        assert len(set(seen)) == 1  # whatever was sent again went with the same client_id
        await boris_page.unroute("**/api/v1/chat/rooms/*/messages")

        # A message sent while the server cannot be reached waits and goes out later, once.
        async def refuse(route: Route) -> None:
            if route.request.method == "POST":
                await route.abort("internetdisconnected")
            else:
                await route.continue_()

        await anna_page.route("**/api/v1/chat/rooms/*/messages", refuse)
        await anna_input.fill("Спасибо!")
        await anna_input.press("Enter")
        waiting = anna_page.locator("[data-testid=cn-chat-message][data-pending=true]")
        await expect(waiting).to_contain_text("Спасибо!")
        await anna_page.unroute("**/api/v1/chat/rooms/*/messages")
        await expect(chat_message(boris_page, "Спасибо!")).to_be_visible(timeout=20_000)
        await expect(waiting).to_have_count(0)
        assert (await room_messages(boris, room)).count("Спасибо!") == 1
        await expect(chat_message(anna_page, "Спасибо!")).to_have_count(1)

        # Older messages load on demand (a page is 50).
        for n in range(55):
            sent = await anna.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": f"bulk-msg-{n:04d}", "body": f"Сообщение {n}"})
            assert sent.status_code == 201, sent.text
        await boris_page.reload()
        await expect(boris_page.get_by_test_id("cn-chat-room-view")).to_have_attribute("data-room", room)
        await expect(chat_message(boris_page, "Сообщение 54")).to_be_visible()
        await expect(chat_message(boris_page, "Борис, возьмёшь обращение про опт?")).to_have_count(0)
        await boris_page.get_by_test_id("cn-chat-older").click()
        await expect(chat_message(boris_page, "Борис, возьмёшь обращение про опт?")).to_be_visible()
        await expect(boris_page.get_by_test_id("cn-chat-older")).to_have_count(0)


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected


async def refuse(ws: WebSocketRoute) -> None:
    """A proxy that drops every WebSocket: the console falls back to HTTP."""
    await ws.close(code=1011)


async def test_on_the_http_fallback_the_chat_polls_its_rooms(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
    ):
        room = f"dm:{min(anna.id, boris.id)}:{max(anna.id, boris.id)}"
        context = await browsing.context(locale="en-US")
        await context.route_web_socket(re.compile(".*"), refuse)
        page = await context.new_page()
        await page.goto(web_server.url + "/console/")
        await console_login(page, web_tenant.agents[1], web_tenant.password)
        await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=FALLBACK_MS)

        # No `chat` frames come this way: the rooms are read again every 10 s.
        sent = await anna.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": "fallback-0001", "body": "Ты тут?"})
        assert sent.status_code == 201, sent.text
        await expect(page.get_by_test_id("cn-nav-chat-unread")).to_have_text("1", timeout=POLL_MS)
        await page.get_by_test_id("cn-nav-chat").click()
        await page.locator(f"[data-testid=cn-chat-room][data-room='{room}']").click()
        await expect(chat_message(page, "Ты тут?")).to_be_visible()
        await expect(page.get_by_test_id("cn-nav-chat-unread")).to_have_count(0)

        # With the room open, a new message shows up by the same polling, and is read.
        sent = await anna.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": "fallback-0002", "body": "Ответь, как сможешь"})
        assert sent.status_code == 201, sent.text
        await expect(chat_message(page, "Ответь, как сможешь")).to_be_visible(timeout=POLL_MS)
        await eventually(lambda: _equals(unread_of(boris, room), 0), what="the read mark")
        # Sending works over HTTP as ever.
        await page.get_by_test_id("cn-chat-input").fill("Тут, через прокси")
        await page.get_by_test_id("cn-chat-input").press("Enter")
        await expect(chat_message(page, "Тут, через прокси")).to_have_attribute("data-pending", "false")
        assert (await room_messages(anna, room))[-1] == "Тут, через прокси"


async def test_after_a_reconnect_the_rooms_are_read_again(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    """Chat messages are not in the event log: one sent while a console was away shows up
    when it reconnects, because the rooms are read again after `welcome`."""
    async with (
        agent_api(web_server, web_tenant.agents[0], web_tenant.password) as anna,
        agent_api(web_server, web_tenant.agents[1], web_tenant.password) as boris,
    ):
        room = f"dm:{min(anna.id, boris.id)}:{max(anna.id, boris.id)}"
        state: dict[str, Any] = {"block": False, "live": []}

        async def proxy(ws: WebSocketRoute) -> None:
            if state["block"]:
                await ws.close(code=1011)
                return
            state["live"].append((ws, ws.connect_to_server()))

        context = await browsing.context(locale="en-US")
        await context.route_web_socket(re.compile(".*/ws/console"), proxy)
        page = await context.new_page()
        await page.goto(web_server.url + "/console/")
        await console_login(page, web_tenant.agents[1], web_tenant.password)
        await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
        await expect(page.get_by_test_id("cn-nav-chat-unread")).to_have_count(0)

        # The connection drops; while Boris is away Anna writes (no frame can reach him).
        state["block"] = True
        for client, server in state["live"]:
            await server.close(code=1001)
            await client.close(code=1012)
        await expect(page.get_by_test_id("cn-conn")).not_to_have_attribute("data-state", "open")
        sent = await anna.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": "away-msg-0001", "body": "Пока тебя не было"})
        assert sent.status_code == 201, sent.text
        state["block"] = False

        await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=30_000)
        await expect(page.get_by_test_id("cn-nav-chat-unread")).to_have_text("1")
        await page.get_by_test_id("cn-nav-chat").click()
        await expect(chat_message(page, "Пока тебя не было")).to_be_visible()

        # With the room on screen, its history is read again too.
        state["block"] = True
        live, state["live"] = state["live"], []
        for client, server in live:
            await server.close(code=1001)
            await client.close(code=1012)
        await expect(page.get_by_test_id("cn-conn")).not_to_have_attribute("data-state", "open")
        sent = await anna.post(f"/api/v1/chat/rooms/{room}/messages", {"client_id": "away-msg-0002", "body": "И ещё одно"})
        assert sent.status_code == 201, sent.text
        state["block"] = False
        await expect(chat_message(page, "И ещё одно")).to_be_visible(timeout=30_000)
        await expect(page.get_by_test_id("cn-nav-chat-unread")).to_have_count(0)
        await eventually(lambda: _equals(unread_of(boris, room), 0), what="the read mark after the reconnect")
