"""WhatsApp through the Cloud API (a loopback stand-in speaking the Graph API's wire format):
the dashboard's check of the callback URL, a customer's message arriving once as the right
contact and conversation, the reply leaving in the Cloud API's format, statuses moving the
delivery forward only, forged notifications storing nothing, failures retried and then shown
(and sent again on request), the 24-hour window refused before calling the API, media both
ways, and bad settings refused (docs/protocol.md, "Channels")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from helpline.conversations.models import AuthorType, Message
from helpline.core.clock import utcnow
from helpline.core.db import Database
from tests.support.channels import conversations, delivery_of, eventually, has_status, messages
from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.whatsapp_api import (
    ACCESS_TOKEN,
    APP_SECRET,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    PNG,
    VERIFIED_NAME,
    VERIFY_TOKEN,
    WhatsAppApi,
    error,
)

CUSTOMER = "79161234567"
OUTSIDE_WINDOW = "More than 24 hours since the customer's last message: WhatsApp allows only template messages now."


@pytest.fixture
def whatsapp() -> Iterator[WhatsAppApi]:
    with WhatsAppApi() as api:
        yield api


def settings(api: WhatsAppApi, **changes: Any) -> dict[str, Any]:
    return {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "api_url": api.url,
        **changes,
    }


async def connect(admin: Agent, api: WhatsAppApi) -> dict[str, Any]:
    """Connect the number, and paste the webhook URL and verify token in Meta's dashboard."""
    response = await admin.post(
        "/api/v1/inboxes", {"channel": "whatsapp", "name": "WhatsApp магазина", "settings": settings(api)}
    )
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == f"{DISPLAY_NUMBER} ({VERIFIED_NAME})"
    inbox = response.json()["inbox"]
    assert (await api.subscribe(inbox["webhook_url"], VERIFY_TOKEN)).status_code == 200
    return inbox












async def customer_writes(api: WhatsAppApi, agent: Agent, inbox_id: int, text: str) -> dict[str, Any]:
    assert (await api.deliver(api.message(CUSTOMER, text))).status_code == 200
    [summary] = await conversations(agent, inbox_id)
    return summary


async def test_the_dashboard_checks_the_callback_url_with_the_verify_token(
    server: Server, tenant: Tenant, admin: Agent, whatsapp: WhatsAppApi
) -> None:
    inbox = await connect(admin, whatsapp)
    assert whatsapp.webhook_url == inbox["webhook_url"]
    assert whatsapp.calls_of("phone_number")[0].params == {"fields": "display_phone_number,verified_name"}
    assert whatsapp.calls_of("phone_number")[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert {inbox["settings"][key] for key in ("access_token", "app_secret", "verify_token")} == {"••••••••"}
    answer = await whatsapp.subscribe(inbox["webhook_url"], VERIFY_TOKEN, challenge="8213542")
    assert answer.status_code == 200 and answer.text == "8213542"
    assert answer.headers["content-type"].startswith("text/plain")
    assert (await whatsapp.subscribe(inbox["webhook_url"], "not-the-token")).status_code == 403
    async with httpx.AsyncClient() as client:
        unsubscribe = await client.get(
            inbox["webhook_url"],
            params={"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
        )
    assert unsubscribe.status_code == 403


async def test_a_message_arrives_once_and_the_answer_leaves_in_the_cloud_api_format(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi
) -> None:
    inbox = await connect(admin, whatsapp)
    first = whatsapp.message(CUSTOMER, "Здравствуйте! Где мой заказ 4417?")
    assert (await whatsapp.deliver(first)).status_code == 200
    assert (await whatsapp.deliver(first)).status_code == 200  # Meta delivers again: nothing new
    [summary] = await conversations(agent, inbox["id"])
    assert summary["contact"]["name"] == "Иван Петров" and summary["contact"]["phone"] == f"+{CUSTOMER}"
    assert summary["inbox"]["channel"] == "whatsapp"
    conversation = await agent.conversation(summary["id"])
    assert [m["body"] for m in conversation["messages"]] == ["Здравствуйте! Где мой заказ 4417?"]
    contact = (await agent.get(f"/api/v1/contacts/{summary['contact']['id']}")).json()["contact"]
    # The number is the contact's phone on every channel.
    assert {(i["kind"], i["value"]) for i in contact["identities"]} == {("whatsapp", CUSTOMER), ("phone", CUSTOMER)}

    reply = await agent.reply(summary["id"], "Добрый день! Заказ 4417 уже у курьера.")
    assert reply.status_code == 201, reply.text
    sent = reply.json()["message"]
    [call] = await whatsapp.wait_for_calls("messages", 1)
    assert call.params == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"body": "Добрый день! Заказ 4417 уже у курьера."},
    }
    assert call.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "sent"))

    # Statuses move the delivery forward, never back.
    wamid = whatsapp.sent[-1]
    for status, expected in (("delivered", "delivered"), ("read", "read"), ("delivered", "read"), ("sent", "read")):
        assert (await whatsapp.deliver(whatsapp.status(wamid, status, CUSTOMER))).status_code == 200
        assert await delivery_of(agent, summary["id"], sent["id"]) == {"status": expected, "error": None}
    # A note never leaves Helpline.
    assert (await agent.reply(summary["id"], "Клиент нервничает", kind="note")).status_code == 201
    await asyncio.sleep(0.5)
    assert len(whatsapp.calls_of("messages")) == 1


async def test_a_forged_or_foreign_notification_is_refused_and_stores_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi
) -> None:
    inbox = await connect(admin, whatsapp)
    scam = whatsapp.message(CUSTOMER, "Переведите деньги на этот счёт")
    assert (await whatsapp.deliver(scam, secret="not-the-app-secret-0000000000000")).status_code == 403
    assert (await whatsapp.deliver(scam, signature="")).status_code == 403
    assert (await whatsapp.deliver(scam, signature="sha256=" + "0" * 64)).status_code == 403
    # Signed, but about another number of the app: not this inbox's.
    other = whatsapp.message(CUSTOMER, "Это для другого номера", phone_number_id="999999999999")
    assert (await whatsapp.deliver(other)).status_code == 200
    async with httpx.AsyncClient(base_url=server.url) as anyone:
        assert (await anyone.post("/hooks/" + "x" * 32, json=scam)).status_code == 404
    assert await conversations(agent, inbox["id"]) == []


async def test_media_arrive_as_files_and_leave_as_uploads(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi
) -> None:
    inbox = await connect(admin, whatsapp)
    photo = whatsapp.add_media(PNG, "image/jpeg")
    document = whatsapp.add_media(b"%PDF-1.4\n% invoice\n", "application/pdf")
    voice = whatsapp.add_media(b"OggS\x00\x02" + b"\x00" * 64, "audio/ogg; codecs=opus")
    for notification in (
        whatsapp.message(CUSTOMER, image={"id": photo, "mime_type": "image/jpeg", "sha256": "x", "caption": "Вот чек"}),
        whatsapp.message(
            CUSTOMER, document={"id": document, "mime_type": "application/pdf", "sha256": "y", "filename": "счёт.pdf"}
        ),
        whatsapp.message(CUSTOMER, audio={"id": voice, "mime_type": "audio/ogg; codecs=opus", "voice": True}),
        whatsapp.message(CUSTOMER, image={"id": "404404404", "mime_type": "image/jpeg"}),  # gone from Meta
        whatsapp.message(CUSTOMER, location={"latitude": 55.75, "longitude": 37.61, "name": "Склад"}),
    ):
        assert (await whatsapp.deliver(notification)).status_code == 200
    [summary] = await conversations(agent, inbox["id"])
    found = await messages(agent, summary["id"])
    assert [m["body"] for m in found] == ["Вот чек", "", "", "", "[location] 55.75, 37.61 (Склад)"]
    files = [m["attachments"][0] if m["attachments"] else None for m in found]
    assert files[0]["image"] and files[0]["content_type"] == "image/png"  # judged by the bytes
    assert files[1]["name"] == "счёт.pdf" and files[1]["content_type"] == "application/pdf"
    assert files[2]["name"] == "voice.ogg" and not files[2]["image"]
    assert files[3]["name"] == "photo.jpg.txt" and files[4] is None
    download = await agent.http.get(files[1]["url"])
    assert download.status_code == 200 and download.content == b"%PDF-1.4\n% invoice\n"
    assert all(c.headers["authorization"] == f"Bearer {ACCESS_TOKEN}" for c in whatsapp.calls_of("download"))

    # An image with a short text: one message, the text its caption.
    upload = await agent.http.post(
        "/api/v1/files", files={"file": ("схема.png", PNG, "image/png")}, headers={"X-CSRF-Token": agent.csrf}
    )
    assert upload.status_code == 201, upload.text
    sent = await agent.post(
        f"/api/v1/conversations/{summary['id']}/messages",
        {"client_id": new_client_id(), "body": "Вот схема", "kind": "text", "file_ids": [upload.json()["file"]["id"]]},
    )
    assert sent.status_code == 201, sent.text
    [image] = await whatsapp.wait_for_calls("messages", 1)
    [media] = whatsapp.calls_of("media")
    assert media.params == {"messaging_product": "whatsapp", "type": "image/png"}
    assert media.files["file"] == ("схема.png", PNG, "image/png")
    assert image.params["type"] == "image" and image.params["to"] == CUSTOMER
    assert image.params["image"]["caption"] == "Вот схема" and image.params["image"]["id"] in whatsapp.uploaded
    await eventually(lambda: has_status(agent, summary["id"], sent.json()["message"]["id"], "sent"))

    # A document goes by its name, after the text.
    upload = await agent.http.post(
        "/api/v1/files",
        files={"file": ("договор.pdf", b"%PDF-1.4\n% contract\n", "application/pdf")},
        headers={"X-CSRF-Token": agent.csrf},
    )
    assert upload.status_code == 201, upload.text
    long_text = "Договор во вложении. " * 60  # longer than a caption may be
    sent = await agent.post(
        f"/api/v1/conversations/{summary['id']}/messages",
        {"client_id": new_client_id(), "body": long_text, "kind": "text", "file_ids": [upload.json()["file"]["id"]]},
    )
    assert sent.status_code == 201, sent.text
    _, text, pdf = await whatsapp.wait_for_calls("messages", 3)
    assert text.params["type"] == "text" and text.params["text"]["body"] == long_text.strip()
    assert pdf.params["type"] == "document" and pdf.params["document"]["filename"] == "договор.pdf"
    assert "caption" not in pdf.params["document"]


async def test_failures_are_retried_then_shown_and_sent_again_on_request(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi
) -> None:
    inbox = await connect(admin, whatsapp)
    summary = await customer_writes(whatsapp, agent, inbox["id"], "Есть кто?")

    # A rate limit is tried again, and then it goes.
    whatsapp.fail_next("messages", lambda: error(400, 130429, "Rate limit hit", "Too many messages"))
    first = (await agent.reply(summary["id"], "Да, слушаю")).json()["message"]
    await whatsapp.wait_for_calls("messages", 2)
    await eventually(lambda: has_status(agent, summary["id"], first["id"], "sent"))

    # Meta down: five attempts, then failed with the reason; the retry button sends it.
    whatsapp.fail_next("messages", lambda: error(500, 131000, "Something went wrong"), times=5)
    second = (await agent.reply(summary["id"], "Вы ещё здесь?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "failed"))
    assert await delivery_of(agent, summary["id"], second["id"]) == {
        "status": "failed",
        "error": "WhatsApp: (#131000) Something went wrong",
    }
    assert len(whatsapp.calls_of("messages")) == 2 + 5
    retry = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert retry.status_code == 200 and retry.json()["message"]["delivery"]["status"] == "pending"
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    assert whatsapp.calls_of("messages")[-1].params["text"] == {"body": "Вы ещё здесь?"}

    # A number not on WhatsApp: failed at once, no second attempt.
    whatsapp.fail_next("messages", lambda: error(400, 131026, "Message Undeliverable"))
    third = (await agent.reply(summary["id"], "Алло?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], third["id"], "failed"))
    assert (await delivery_of(agent, summary["id"], third["id"]))["error"] == (
        "WhatsApp cannot deliver to this number (not on WhatsApp, or an old app)."
    )
    assert len(whatsapp.calls_of("messages")) == 2 + 5 + 1 + 1

    # Accepted, then reported failed by a status notification.
    fourth = (await agent.reply(summary["id"], "Последняя попытка")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], fourth["id"], "sent"))
    wamid = whatsapp.sent[-1]
    failed = whatsapp.status(
        wamid, "failed", CUSTOMER, errors=[{"code": 131049, "title": "Not delivered to maintain healthy ecosystem"}]
    )
    assert (await whatsapp.deliver(failed)).status_code == 200
    assert await delivery_of(agent, summary["id"], fourth["id"]) == {
        "status": "failed",
        "error": "WhatsApp: Not delivered to maintain healthy ecosystem",
    }


async def test_past_the_24_hour_window_a_reply_fails_without_calling_the_api(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi, db: Database
) -> None:
    inbox = await connect(admin, whatsapp)
    summary = await customer_writes(whatsapp, agent, inbox["id"], "Спасибо, всё получил")
    async with db.transaction() as session:  # the customer wrote 25 hours ago
        await session.execute(
            update(Message)
            .where(Message.conversation_id == summary["id"], Message.author_type == AuthorType.contact)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    late = (await agent.reply(summary["id"], "Как вам заказ?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], late["id"], "failed"))
    assert (await delivery_of(agent, summary["id"], late["id"]))["error"] == OUTSIDE_WINDOW
    assert whatsapp.calls_of("messages") == []

    # The customer writes again: the window opens. Should Meta still refuse (its clock), the
    # reason reads the same.
    await customer_writes(whatsapp, agent, inbox["id"], "Всё хорошо")
    whatsapp.fail_next("messages", lambda: error(400, 131047, "Re-engagement message"))
    refused = (await agent.reply(summary["id"], "Рады слышать!")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], refused["id"], "failed"))
    assert (await delivery_of(agent, summary["id"], refused["id"]))["error"] == OUTSIDE_WINDOW
    assert len(whatsapp.calls_of("messages")) == 1  # permanent: not tried again


async def test_bad_settings_are_refused_and_store_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, whatsapp: WhatsAppApi
) -> None:
    before = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    for changes, field in (
        ({"phone_number_id": "not a number"}, "settings.phone_number_id"),
        ({"phone_number_id": "555000555000"}, "settings.phone_number_id"),  # not this token's
        ({"access_token": "EAAGsomeoneElsesTokenThatExpiredLongAgo"}, "settings.access_token"),
        ({"verify_token": "short"}, "settings.verify_token"),
        ({"app_secret": ""}, "settings.app_secret"),
        ({"api_version": "latest"}, "settings.api_version"),
        ({"api_url": "http://127.0.0.1:1"}, "settings"),  # nobody there
    ):
        response = await admin.post(
            "/api/v1/inboxes", {"channel": "whatsapp", "name": "WhatsApp", "settings": settings(whatsapp, **changes)}
        )
        assert response.status_code == 422, (changes, response.text)
        assert response.json()["error"]["field"] == field, response.text
    assert (await admin.get("/api/v1/inboxes")).json()["inboxes"] == before
