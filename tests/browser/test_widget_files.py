"""Files in the widget, both ways: the visitor attaches (picker, paste, drop), the agent
sends, a forbidden or too large file is refused in words (docs/protocol.md, "Files")."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx
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
from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

Frame = dict[str, Any]


def png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (37, 99, 235)) -> bytes:
    """A real PNG of one colour (the server judges files by their content)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def payload(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


async def started_conversation(page: Page, agent: Agent, text: str) -> int:
    """The visitor introduces themself and writes; returns the conversation's id."""
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    await widget_send(page, text)
    await expect(widget_message(page, text)).to_have_attribute("data-pending", "false")
    response = await agent.get("/api/v1/conversations", view="all", status="all")
    [conversation] = response.json()["conversations"]
    return conversation["id"]


async def image_loaded(page: Page, attachment: Any) -> bool:
    return await attachment.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")


async def agent_upload(agent: Agent, name: str, mime: str, data: bytes) -> httpx.Response:
    return await agent.http.post(
        "/api/v1/files", files={"file": (name, data, mime)}, headers={"X-CSRF-Token": agent.csrf}
    )


async def test_visitor_sends_a_picture_the_agent_gets_it(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversation_id = await started_conversation(page, agent, "Пришлю фото")
        picture = png()
        await page.get_by_test_id("hl-file-input").set_input_files(payload("screen.png", "image/png", picture))
        upload = page.get_by_test_id("hl-upload")
        await expect(upload).to_have_attribute("data-state", "ready")
        await expect(upload.locator("img")).to_be_visible()  # a thumbnail before sending

        # A picture alone, without words, is a message too.
        await page.get_by_test_id("hl-send").click()
        await expect(page.get_by_test_id("hl-upload")).to_have_count(0)
        message = page.get_by_test_id("hl-message").last
        await expect(message).to_have_attribute("data-pending", "false")
        attachment = message.get_by_test_id("hl-attachment")
        await expect(attachment).to_have_attribute("data-image", "true")
        assert await image_loaded(page, attachment)

        detail = await agent.conversation(conversation_id)
        last = detail["messages"][-1]
        assert last["author"]["type"] == "contact" and last["body"] == ""
        [stored] = last["attachments"]
        assert (stored["name"], stored["content_type"], stored["image"], stored["size"]) == (
            "screen.png",
            "image/png",
            True,
            len(picture),
        )
        download = await agent.http.get(stored["url"])
        assert download.status_code == 200 and download.content == picture

        # Words and a file together.
        await page.get_by_test_id("hl-file-input").set_input_files(
            payload("list.txt", "text/plain", "молоко\nхлеб\n".encode())
        )
        await expect(page.get_by_test_id("hl-upload")).to_have_attribute("data-state", "ready")
        await widget_send(page, "И список")
        sent = widget_message(page, "И список")
        await expect(sent).to_have_attribute("data-pending", "false")
        await expect(sent.get_by_test_id("hl-attachment")).to_have_attribute("data-image", "false")
        await expect(sent.get_by_test_id("hl-attachment")).to_contain_text("list.txt")
        detail = await agent.conversation(conversation_id)
        assert [(m["body"], [a["name"] for a in m["attachments"]]) for m in detail["messages"][-1:]] == [
            ("И список", ["list.txt"])
        ]


async def test_an_agents_files_reach_the_widget_with_a_preview(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversation_id = await started_conversation(page, agent, "Как выглядит чехол?")
        picture = await agent_upload(agent, "case.png", "image/png", png(40, 30, (220, 38, 38)))
        assert picture.status_code == 201, picture.text
        manual = await agent_upload(agent, "manual.txt", "text/plain", b"Step 1. Open the box.\n")
        assert manual.status_code == 201, manual.text
        file_ids = [picture.json()["file"]["id"], manual.json()["file"]["id"]]
        response = await agent.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            {"client_id": new_client_id(), "body": "Вот так", "kind": "text", "file_ids": file_ids},
        )
        assert response.status_code == 201, response.text

    message = widget_message(page, "Вот так")
    await expect(message).to_have_attribute("data-author", "agent")
    files = message.get_by_test_id("hl-attachment")
    await expect(files).to_have_count(2)
    image = files.and_(page.locator("[data-image=true]"))
    await expect(image.locator("img")).to_have_attribute("alt", "case.png")
    await expect(image.locator("img")).to_be_visible()
    assert await image_loaded(page, image)
    download = files.and_(page.locator("[data-image=false]"))
    await expect(download).to_contain_text("manual.txt")
    assert (await download.get_attribute("href") or "").startswith(web_server.url + "/files/")


@pytest.mark.parametrize(
    "name, mime, data",
    [
        ("page.html", "text/html", b"<!doctype html><html><body><script>alert(1)</script></body></html>"),
        (
            "logo.svg",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
        ),
        ("photo.png", "image/png", b"<html><script>alert(1)</script></html>"),  # judged by content, not name
    ],
    ids=["html", "svg", "html-named-png"],
)
async def test_a_forbidden_file_is_refused_and_nothing_is_sent(
    browsing: Browsing, web_server: Server, web_tenant: Tenant, name: str, mime: str, data: bytes
) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        conversation_id = await started_conversation(page, agent, "Смотрите файл")
        async with page.expect_response("**/api/widget/v1/files") as answer:
            await page.get_by_test_id("hl-file-input").set_input_files(payload(name, mime, data))
        assert (await answer.value).status == 415
        await expect(page.get_by_test_id("hl-notice")).to_have_text(f"Такие файлы здесь отправлять нельзя: «{name}».")
        await expect(page.get_by_test_id("hl-upload")).to_have_count(0)
        await page.get_by_test_id("hl-send").click()  # nothing left to send
        await page.wait_for_timeout(500)
        detail = await agent.conversation(conversation_id)
        assert [m["body"] for m in detail["messages"]] == ["Смотрите файл"]
        assert all(not m["attachments"] for m in detail["messages"])


async def test_a_file_over_the_limit_is_refused_in_words(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin:
        settings = (await admin.get("/api/v1/account/settings")).json()["settings"]
        response = await admin.put(
            "/api/v1/account/settings", {**settings, "files": {**settings["files"], "max_mb": 1}}
        )
        assert response.status_code == 200, response.text
    page = await visitor_page(browsing, web_server, web_tenant.site_key, lang="en", locale="en-US")
    await open_widget(page)
    await introduce(page, "Ann", "ann@example.com")
    big = b"plain text line\n" * (80 * 1024)  # 1.25 MB
    await page.get_by_test_id("hl-file-input").set_input_files(payload("log.txt", "text/plain", big))
    await expect(page.get_by_test_id("hl-notice")).to_have_text("The file “log.txt” is too large to send.")
    await expect(page.get_by_test_id("hl-upload")).to_have_count(0)

    # A small one still goes, and a removed one does not.
    await page.get_by_test_id("hl-file-input").set_input_files(
        [payload("a.png", "image/png", png()), payload("b.png", "image/png", png(8, 8))]
    )
    uploads = page.get_by_test_id("hl-upload")
    await expect(uploads).to_have_count(2)
    await expect(uploads.and_(page.locator("[data-state=ready]"))).to_have_count(2)
    await uploads.first.get_by_test_id("hl-upload-remove").click()
    await widget_send(page, "Only b")
    message = widget_message(page, "Only b")
    await expect(message).to_have_attribute("data-pending", "false")
    await expect(message.get_by_test_id("hl-attachment").locator("img")).to_have_attribute("alt", "b.png")


# The page builds a DataTransfer holding a PNG, as the browser does for a paste or a drop.
DATA_TRANSFER = """bytes => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'pasted.png', {type: 'image/png'}));
    return transfer;
}"""


async def test_paste_and_drop_attach_files(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    page = await visitor_page(browsing, web_server, web_tenant.site_key)
    await open_widget(page)
    await introduce(page, "Анна", "anna@example.com")
    picture = list(png())

    # A screenshot pasted into the composer.
    transfer = await page.evaluate_handle(DATA_TRANSFER, picture)
    await page.get_by_test_id("hl-input").evaluate(
        "(input, transfer) => input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}))",
        transfer,
    )
    await expect(page.get_by_test_id("hl-upload")).to_have_attribute("data-state", "ready")
    await expect(page.get_by_test_id("hl-input")).to_have_value("")  # nothing pasted as text
    await widget_send(page, "Скриншот")
    await expect(widget_message(page, "Скриншот").get_by_test_id("hl-attachment")).to_have_count(1)

    # A file dragged from the desktop onto the panel.
    panel = page.get_by_test_id("hl-panel")
    transfer = await page.evaluate_handle(DATA_TRANSFER, picture)
    await panel.dispatch_event("dragenter", {"dataTransfer": transfer})
    await panel.dispatch_event("dragover", {"dataTransfer": transfer})
    await expect(page.get_by_test_id("hl-drop")).to_be_visible()
    await panel.dispatch_event("drop", {"dataTransfer": transfer})
    await expect(page.get_by_test_id("hl-drop")).to_have_count(0)
    await expect(page.get_by_test_id("hl-upload")).to_have_attribute("data-state", "ready")
    await widget_send(page, "Перетащил")
    await expect(widget_message(page, "Перетащил").get_by_test_id("hl-attachment")).to_have_count(1)
    await expect(widget_message(page, "Перетащил")).to_have_attribute("data-pending", "false")


async def test_a_kind_the_account_switched_off_is_refused(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    async with agent_api(web_server, web_tenant.admin, web_tenant.password) as admin:
        settings = (await admin.get("/api/v1/account/settings")).json()["settings"]
        response = await admin.put(
            "/api/v1/account/settings", {**settings, "files": {**settings["files"], "kinds": ["text", "pdf"]}}
        )
        assert response.status_code == 200, response.text
    page = await visitor_page(browsing, web_server, web_tenant.site_key, lang="en", locale="en-US")
    await open_widget(page)
    await introduce(page, "Ann", "ann@example.com")
    await page.get_by_test_id("hl-file-input").set_input_files(payload("photo.png", "image/png", png()))
    await expect(page.get_by_test_id("hl-notice")).to_have_text("Files like “photo.png” cannot be sent here.")
    await expect(page.get_by_test_id("hl-upload")).to_have_count(0)
    await page.get_by_test_id("hl-file-input").set_input_files(payload("order.txt", "text/plain", b"Order 1042\n"))
    await expect(page.get_by_test_id("hl-upload")).to_have_attribute("data-state", "ready")
