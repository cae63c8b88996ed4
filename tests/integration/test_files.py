"""Files both ways: checked by content, limited in size, attached once, served safely."""

from __future__ import annotations

import base64

import httpx

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import make_tenant
from tests.support.server import Server

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def widget_upload(visitor: Visitor, name: str, content: bytes, content_type: str = "application/octet-stream") -> httpx.Response:
    return await visitor.http.post(
        "/api/widget/v1/files", data={"token": visitor.token or ""}, files={"file": (name, content, content_type)}
    )


async def agent_upload(agent: Agent, name: str, content: bytes) -> httpx.Response:
    return await agent.http.post(
        "/api/v1/files", files={"file": (name, content, "application/octet-stream")}, headers={"X-CSRF-Token": agent.csrf}
    )


async def test_visitor_sends_an_image_and_agent_a_pdf(server: Server, agent: Agent, visitor: Visitor) -> None:
    uploaded = await widget_upload(visitor, "../../photo of receipt.png", PNG, "text/html")
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()["file"]
    # The name loses its path; the type comes from the content, not from what the browser said.
    assert file["name"] == "photo of receipt.png" and file["content_type"] == "image/png" and file["image"] is True
    widget = await visitor.socket()
    client_id = new_client_id()
    await widget.send({"type": "message.send", "client_id": client_id, "body": "", "file_ids": [file["id"]]})
    ack = await widget.wait_for(lambda f: f.get("client_id") == client_id)
    assert ack["type"] == "ack", ack
    assert ack["message"]["body"] == "" and [a["id"] for a in ack["message"]["attachments"]] == [file["id"]]
    conversation_id = ack["conversation_id"]
    # The agent sees it in the history and in the inbox preview.
    data = await agent.conversation(conversation_id)
    assert data["messages"][-1]["attachments"][0]["name"] == "photo of receipt.png"
    assert "photo of receipt.png" in data["conversation"]["last_message"]["body"]
    # Images are served inline for previews, with the type stored and a sandbox.
    image = await httpx.AsyncClient(base_url=server.url).get(file["url"])
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png" and image.headers["content-disposition"].startswith("inline")
    assert image.headers["x-content-type-options"] == "nosniff" and "sandbox" in image.headers["content-security-policy"]
    # A file can be sent once only.
    again = await send_and_ack(widget, "again", client_id=None)
    assert again["type"] == "ack"
    resend_id = new_client_id()
    await widget.send({"type": "message.send", "client_id": resend_id, "body": "x", "file_ids": [file["id"]]})
    refused = await widget.wait_for(lambda f: f.get("client_id") == resend_id)
    assert refused["type"] == "error" and refused["field"] == "file_ids"
    # The agent answers with a PDF: a download, never inline.
    pdf = (await agent_upload(agent, "invoice.pdf", PDF)).json()["file"]
    reply = await agent.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"client_id": new_client_id(), "body": "Счёт", "file_ids": [pdf["id"]]}
    )
    assert reply.status_code == 201, reply.text
    frame = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["body"] == "Счёт")
    assert frame["message"]["attachments"][0]["content_type"] == "application/pdf"
    download = await httpx.AsyncClient(base_url=server.url).get(frame["message"]["attachments"][0]["url"])
    assert download.headers["content-disposition"].startswith("attachment") and download.content == PDF
    await widget.close()


async def test_forbidden_types_and_sizes_store_nothing(server: Server, admin: Agent, agent: Agent, visitor: Visitor) -> None:
    def stored() -> int:
        return sum(1 for p in (server.data_dir / "files").rglob("*") if p.is_file())

    before = stored()
    cases = [
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("page.txt", b"<html><body>hi</body></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),
        ("picture.png", b"not really a picture"),
    ]
    for name, content in cases:
        response = await widget_upload(visitor, name, content)
        assert response.status_code == 415 and response.json()["error"]["code"] == "file_type_not_allowed", name
        response = await agent_upload(agent, name, content)
        assert response.status_code == 415, name
    # The account's limit: 1 MB.
    assert (await admin.http.put(
        "/api/v1/account/settings", json={"auto_away_minutes": 10, "files": {"max_mb": 1}}, headers={"X-CSRF-Token": admin.csrf}
    )).status_code == 200
    big = b"a" * (1024 * 1024 + 1)
    response = await widget_upload(visitor, "big.txt", big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "file_too_large"
    assert (await widget_upload(visitor, "notes.txt", "Заказ 42".encode())).status_code == 201
    # An account that takes only images and PDF refuses a text file it allowed before.
    response = await admin.http.put(
        "/api/v1/account/settings", json={"auto_away_minutes": 10, "files": {"max_mb": 1, "kinds": ["pdf", "images"]}},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert response.json()["settings"]["files"] == {"max_mb": 1, "kinds": ["images", "pdf"]}
    assert (await widget_upload(visitor, "notes.txt", "Заказ 42".encode())).status_code == 415
    bad = await admin.http.put(
        "/api/v1/account/settings", json={"auto_away_minutes": 10, "files": {"max_mb": 1, "kinds": ["exe"]}},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert bad.status_code == 422
    assert (await admin.get("/api/v1/account/settings")).json()["settings"]["files"]["kinds"] == ["images", "pdf"]
    # Nothing of the refused files was kept on disk: only the accepted one.
    assert stored() == before + 1
    # Without a valid token, or without the CSRF header, nothing is accepted.
    visitor.token = "forged"
    assert (await widget_upload(visitor, "notes.txt", b"hello")).status_code == 401
    no_csrf = await agent.http.post("/api/v1/files", files={"file": ("a.txt", b"hello", "text/plain")})
    assert no_csrf.status_code == 403


async def test_files_belong_to_their_uploader(server: Server, agent: Agent, visitor: Visitor) -> None:
    other_tenant = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other_tenant.agents[0], other_tenant.password)
    try:
        widget = await visitor.socket()
        conversation_id = (await send_and_ack(widget, "hi"))["conversation_id"]
        theirs = (await agent_upload(stranger, "a.png", PNG)).json()["file"]
        refused = await agent.post(
            f"/api/v1/conversations/{conversation_id}/messages", {"client_id": new_client_id(), "body": "x", "file_ids": [theirs["id"]]}
        )
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "file_ids"
        assert len((await agent.conversation(conversation_id))["messages"]) == 1
        # A wrong secret is not found.
        bad = theirs["url"].replace(theirs["url"].split("/")[3], "x" * 32)
        assert (await httpx.AsyncClient(base_url=server.url).get(bad)).status_code == 404
        await widget.close()
    finally:
        await stranger.close()


async def test_visitor_uploads_are_rate_limited(visitor: Visitor) -> None:
    statuses = [(await widget_upload(visitor, f"n{i}.txt", b"note")).status_code for i in range(12)]
    assert statuses[:10] == [201] * 10
    assert statuses[10] == 429
