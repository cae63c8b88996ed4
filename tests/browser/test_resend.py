"""A message whose ack was lost is sent again with the same client_id and stored once.

How the ack gets lost, honestly: the page's WebSocket goes through Playwright's WebSocket
routing (a transparent proxy between the page and the real server). When the page sends the
message under test, the proxy passes it to the server and from then on drops everything the
server says on that connection — the server stores the message and answers, the page never
hears it, exactly as when the network dies right after a frame went out. The page still has
the frame in its outbox (in localStorage), so we reload it: the new page resends the frame
with the same client_id, the server answers `ack` with `duplicate: true`, and the message is
stored, and shown, once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import (
    Browsing,
    agent_api,
    console_message,
    console_page,
    console_send,
    eventually,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]


class AckLoser:
    """A WebSocket route handler that severs the first connection on which `body` is sent."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.connections = 0
        self.sends: list[tuple[int, Frame]] = []  # (connection number, message.send frame of `body`)
        self.lost: list[Frame] = []  # what the server said after the sever
        self.answers: list[tuple[int, Frame]] = []  # ack/error frames delivered to the page

    def __call__(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.connections += 1
        number = self.connections
        severed = False

        def from_page(message: str | bytes) -> None:
            nonlocal severed
            frame = json.loads(message)
            if frame.get("type") == "message.send" and frame.get("body") == self.body:
                self.sends.append((number, frame))
                severed = severed or len(self.sends) == 1
            server.send(message)

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if severed:
                self.lost.append(frame)
                return
            if frame.get("type") in ("ack", "error"):
                self.answers.append((number, frame))
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    def client_id(self) -> str:
        return self.sends[0][1]["client_id"]

    def lost_ack(self) -> bool:
        return any(f["type"] == "ack" and f.get("client_id") == self.client_id() for f in self.lost) if self.sends else False

    def answers_to(self, client_id: str) -> list[tuple[int, Frame]]:
        return [(number, frame) for number, frame in self.answers if frame.get("client_id") == client_id]


async def local_storage(page: Page, key: str) -> Any:
    return json.loads(await page.evaluate("key => localStorage.getItem(key) || 'null'", key))


async def test_widget_resends_a_message_whose_ack_was_lost_and_it_is_stored_once(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    body = "Подтверждение этого сообщения потеряется"
    loser = AckLoser(body)
    widget = await visitor_page(browsing, web_server, web_tenant.site_key)
    # A new visitor's chat connects on the first click, so the route is in place before.
    await widget.route_web_socket("**/ws/widget", loser)
    await open_widget(widget)
    await introduce(widget, "Анна", "anna@example.com")
    await widget_send(widget, "Первое сообщение")
    await expect(widget_message(widget, "Первое сообщение")).to_have_attribute("data-pending", "false")

    await widget_send(widget, body)
    await eventually(loser.lost_ack, what="the server's ack (to be lost)")
    client_id = loser.client_id()
    await expect(widget_message(widget, body)).to_have_attribute("data-pending", "true")
    outbox = await local_storage(widget, f"helpline:{web_tenant.site_key}:outbox")
    assert [frame["client_id"] for frame in outbox] == [client_id]

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversation_id = (await agent.get("/api/v1/conversations", view="all")).json()["conversations"][0]["id"]

        async def stored() -> list[str]:
            return [m["body"] for m in (await agent.conversation(conversation_id))["messages"]]

        assert await stored() == ["Первое сообщение", body]  # the server has it already

        await widget.reload()
        await open_widget(widget)
        await expect(widget_message(widget, body)).to_have_attribute("data-pending", "false")
        await eventually(lambda: bool(loser.answers_to(client_id)), what="the answer to the resent frame")
        assert [number for number, _ in loser.sends] == [1, 2]  # sent again, on the new connection
        assert all(frame["client_id"] == client_id for _, frame in loser.sends)
        [(number, ack)] = loser.answers_to(client_id)
        assert number == 2 and ack["type"] == "ack" and ack["duplicate"] is True
        assert await stored() == ["Первое сообщение", body]
    await expect(widget_message(widget, body)).to_have_count(1)
    await expect(widget.get_by_test_id("hl-message")).to_have_count(2)
    assert await local_storage(widget, f"helpline:{web_tenant.site_key}:outbox") is None


async def test_console_resends_a_reply_whose_ack_was_lost_and_it_is_stored_once(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    body = "Ответ, подтверждение которого потеряется"
    widget = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(widget)
    await introduce(widget, "Анна", "anna@example.com")
    await widget_send(widget, "Вопрос")
    await expect(widget_message(widget, "Вопрос")).to_have_attribute("data-pending", "false")

    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await console.get_by_test_id("cn-conv-row").click()
    await expect(console_message(console, "Вопрос")).to_be_visible()
    conversation_id = int(await console.get_by_test_id("cn-conversation").get_attribute("data-id") or 0)
    # The console is already connected: the route applies to the next connection, so drop
    # the current one by reloading the page (the session cookie keeps the agent logged in).
    loser = AckLoser(body)
    await console.route_web_socket("**/ws/console", loser)
    await console.reload()
    await expect(console.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    await expect(console_message(console, "Вопрос")).to_be_visible()

    await console_send(console, body)
    await eventually(loser.lost_ack, what="the server's ack (to be lost)")
    client_id = loser.client_id()
    await expect(console_message(console, body)).to_have_attribute("data-pending", "true")
    # The widget got it: the server stored it, only the console does not know.
    await expect(widget_message(widget, body)).to_be_visible()

    await console.reload()
    await expect(console_message(console, body)).to_have_attribute("data-pending", "false")
    await eventually(lambda: bool(loser.answers_to(client_id)), what="the answer to the resent frame")
    assert [(number, frame["client_id"]) for number, frame in loser.sends] == [(1, client_id), (2, client_id)]
    [(_, ack)] = loser.answers_to(client_id)
    assert ack["type"] == "ack" and ack["duplicate"] is True
    await expect(console_message(console, body)).to_have_count(1)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        stored = (await agent.conversation(conversation_id))["messages"]
        assert [m["body"] for m in stored] == ["Вопрос", body]
        assert stored[1]["client_id"] == client_id
    await expect(widget_message(widget, body)).to_have_count(1)
