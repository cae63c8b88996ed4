"""Files from the console (docs/protocol.md, "Files"): the agent attaches an image, sees its
preview and sends it; the visitor's widget shows it. A forbidden kind is refused in words and
nothing is sent. A file from the customer shows in the console as a download."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import (
    Browsing,
    agent_api,
    console_login,
    console_message,
    console_page,
    eventually,
    introduce,
    open_widget,
    visitor_page,
    widget_message,
    widget_send,
)
from tests.support.clients import Agent, Visitor, send_and_ack, send_and_answer
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser


def png(width: int = 40, height: int = 30, rgb: tuple[int, int, int] = (220, 38, 38)) -> bytes:
    """A real PNG of one colour: the server judges files by their content, not their name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def _is(value: Any, expected: Any) -> bool:
    return await value == expected


def upload(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


async def image_width(image: Any) -> int:
    """The natural width of a loaded picture (0 while it loads or when it failed)."""
    return await image.evaluate("img => img.complete ? img.naturalWidth : 0")


async def customer_conversation(page: Page, agent: Agent, text: str) -> int:
    """The visitor introduces themself and writes; the conversation's id."""
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, text)
    await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")
    [conversation] = (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"]
    return conversation["id"]


async def test_an_image_from_the_console_reaches_the_widget_and_a_forbidden_file_is_refused(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        visitor = await visitor_page(browsing, web_server, web_tenant.site_key)
        conversation_id = await customer_conversation(visitor, agent, "Пришлите, пожалуйста, схему проезда")

        console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await console.goto(f"{web_server.url}/console/all/{conversation_id}")
        await expect(console_message(console, "Пришлите, пожалуйста, схему проезда")).to_be_visible()

        # An HTML file is refused by its content, whatever it is called: the error is shown
        # on its row, and with nothing else to send, Send stays off.
        await console.get_by_test_id("cn-file-input").set_input_files(
            upload("map.html", "text/html", b"<!doctype html><html><script>alert(1)</script></html>")
        )
        refused = console.locator("[data-testid=cn-upload][data-name='map.html']")
        await expect(refused).to_have_attribute("data-state", "failed")
        await expect(refused).to_have_attribute("data-code", "file_type_not_allowed")
        await expect(refused.get_by_test_id("cn-upload-error")).to_contain_text("map.html")
        await expect(refused.get_by_test_id("cn-upload-error")).to_contain_text("may not be sent")
        await expect(console.get_by_test_id("cn-send")).to_be_disabled()
        await refused.get_by_test_id("cn-upload-remove").click()
        await expect(console.get_by_test_id("cn-upload")).to_have_count(0)

        # The image: uploaded at once, shown as a thumbnail, then sent with the text.
        async with console.expect_file_chooser() as chooser:
            await console.get_by_test_id("cn-attach").click()
        await (await chooser.value).set_files(upload("route.png", "image/png", png()))
        ready = console.locator("[data-testid=cn-upload][data-name='route.png']")
        await expect(ready).to_have_attribute("data-state", "done")
        await eventually(lambda: _is(image_width(ready.locator("img")), 40), what="the thumbnail")
        await expect(ready).to_contain_text("B")  # its size
        composer = console.get_by_test_id("cn-composer")
        await composer.fill("Вот схема")
        await composer.press("Enter")
        await expect(console.get_by_test_id("cn-upload")).to_have_count(0)

        sent = console.locator("[data-testid=cn-message][data-pending=false][data-author=agent]").filter(has_text="Вот схема")
        image = sent.locator("[data-testid=cn-attachment][data-kind=image]")
        await expect(image).to_have_attribute("data-name", "route.png")
        await eventually(lambda: _is(image_width(image.locator("img")), 40), what="the image in the message")
        # It opens full size in place.
        await image.click()
        lightbox = console.get_by_test_id("cn-lightbox")
        await expect(lightbox).to_be_visible()
        await eventually(lambda: _is(image_width(lightbox.get_by_test_id("cn-lightbox-image")), 40), what="the full-size image")
        await console.keyboard.press("Escape")
        await expect(lightbox).to_have_count(0)

        # The widget shows the image under the text; the server stored one message with it.
        reply = widget_message(visitor, "Вот схема")
        await expect(reply.locator("[data-testid=hl-attachment][data-image=true]")).to_be_visible()
        stored = await agent.conversation(conversation_id)
        agent_messages = [m for m in stored["messages"] if m["author"]["type"] == "agent"]
        assert len(agent_messages) == 1, agent_messages
        [attachment] = agent_messages[0]["attachments"]
        assert (attachment["name"], attachment["content_type"], attachment["image"]) == ("route.png", "image/png", True)

        # Only a file, no text: a message of its own; dropped on the conversation this time.
        await console.get_by_test_id("cn-conversation").evaluate(
            """(box, bytes) => {
                const data = new DataTransfer();
                data.items.add(new File([new Uint8Array(bytes)], 'price.csv', { type: 'text/csv' }));
                for (const type of ['dragenter', 'dragover', 'drop']) {
                    box.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
                }
            }""",
            list("Товар;Цена\nТелефон X;49990\n".encode("utf-8")),
        )
        await expect(console.locator("[data-testid=cn-upload][data-name='price.csv']")).to_have_attribute("data-state", "done")
        await console.get_by_test_id("cn-send").click()
        link = console.locator("[data-testid=cn-message][data-pending=false] [data-testid=cn-attachment][data-kind=file]")
        await expect(link).to_have_attribute("data-name", "price.csv")
        await expect(link).to_have_attribute("download", "price.csv")
        await expect(visitor.locator("[data-testid=hl-attachment][data-image=false]")).to_contain_text("price.csv")
        stored = await agent.conversation(conversation_id)
        assert [(m["body"], [f["name"] for f in m["attachments"]]) for m in stored["messages"] if m["author"]["type"] == "agent"] == [
            ("Вот схема", ["route.png"]),
            ("", ["price.csv"]),
        ]


async def test_a_pasted_screenshot_is_attached(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        visitor = await visitor_page(browsing, web_server, web_tenant.site_key)
        conversation_id = await customer_conversation(visitor, agent, "Не работает кнопка оплаты")
        console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
        await console.goto(f"{web_server.url}/console/all/{conversation_id}")
        composer = console.get_by_test_id("cn-composer")
        await composer.evaluate(
            """(area, bytes) => {
                const data = new DataTransfer();
                data.items.add(new File([new Uint8Array(bytes)], 'screenshot.png', { type: 'image/png' }));
                area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }""",
            list(png(12, 12)),
        )
        await expect(console.locator("[data-testid=cn-upload][data-name='screenshot.png']")).to_have_attribute("data-state", "done")
        await composer.fill("Так выглядит у меня")
        await composer.press("Enter")
        await expect(
            console.locator("[data-testid=cn-message][data-pending=false]").filter(has_text="Так выглядит у меня").locator("[data-testid=cn-attachment]")
        ).to_have_attribute("data-name", "screenshot.png")


async def test_files_go_over_the_http_fallback_too(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Покажите фото коробки"))["conversation_id"]
        await socket.close()
    finally:
        await visitor.close()

    async def refuse(ws: WebSocketRoute) -> None:
        await ws.close(code=1011)

    context = await browsing.context(locale="en-US")
    await context.route_web_socket(re.compile(".*"), refuse)
    console = await context.new_page()
    await console.goto(f"{web_server.url}/console/all/{conversation_id}")
    await console_login(console, web_tenant.agents[0], web_tenant.password)
    await expect(console.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open", timeout=20_000)
    await console.get_by_test_id("cn-file-input").set_input_files(upload("box.png", "image/png", png()))
    await expect(console.locator("[data-testid=cn-upload][data-name='box.png']")).to_have_attribute("data-state", "done")
    await console.get_by_test_id("cn-send").click()
    await expect(console.locator("[data-testid=cn-message][data-pending=false] [data-testid=cn-attachment]")).to_have_attribute("data-name", "box.png")
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        messages = (await agent.conversation(conversation_id))["messages"]
    assert [(m["body"], [f["name"] for f in m["attachments"]]) for m in messages] == [("Покажите фото коробки", []), ("", ["box.png"])]


async def test_a_customers_files_show_in_the_console(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    try:
        await visitor.start()
        socket = await visitor.socket()
        conversation_id = (await send_and_ack(socket, "Заказ не пришёл"))["conversation_id"]
        await console.goto(f"{web_server.url}/console/all/{conversation_id}")
        await expect(console_message(console, "Заказ не пришёл")).to_be_visible()

        ids = []
        for name, mime, data in (("check.png", "image/png", png(30, 20)), ("invoice.pdf", "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")):
            uploaded = await visitor.http.post("/api/widget/v1/files", data={"token": visitor.token}, files={"file": (name, data, mime)})
            assert uploaded.status_code == 201, uploaded.text
            ids.append(uploaded.json()["file"]["id"])
        sent = await send_and_answer(socket, {"type": "message.send", "body": "", "file_ids": ids})
        assert sent["type"] == "ack", sent
        await socket.close()
    finally:
        await visitor.close()

    # Live, without a reload: a thumbnail and a download with its name and size.
    message = console.locator("[data-testid=cn-message][data-author=contact]").filter(has=console.get_by_test_id("cn-attachments"))
    image = message.locator("[data-testid=cn-attachment][data-kind=image]")
    await expect(image).to_have_attribute("data-name", "check.png")
    await eventually(lambda: _is(image_width(image.locator("img")), 30), what="the customer's image")
    document = message.locator("[data-testid=cn-attachment][data-kind=file]")
    await expect(document).to_have_attribute("data-name", "invoice.pdf")
    await expect(document).to_contain_text("invoice.pdf")
    await expect(document).to_contain_text(" B")
    href = await document.get_attribute("href")
    assert href and href.startswith("/files/")
    # The list shows a files-only message by its files, not as nothing.
    await expect(console.locator(f"[data-testid=cn-conv-row][data-id='{conversation_id}']")).to_contain_text("invoice.pdf")
