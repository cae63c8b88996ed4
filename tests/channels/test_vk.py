"""VK through its API and Callback API (a loopback stand-in speaking their wire format): the
confirmation handshake answers the code, a customer's message arrives as the right contact
and conversation, the agent's reply leaves as messages.send with random_id = the message id
(so a send repeated after a lost answer is delivered once), a repeated event stores nothing
new, an event with a wrong secret key or community stores nothing, files go both ways,
failures are retried and then shown as failed (and sent again on request), a customer who
forbade the community's messages is marked, and bad settings are refused
(docs/protocol.md, "Channels")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpline.contacts.models import ContactIdentity
from helpline.core.db import Database
from tests.support.channels import conversations, delivery_of, eventually, has_status, messages
from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.vk_api import CONFIRMATION_CODE, GROUP_ID, PNG, SECRET_KEY, TOKEN, VkApi, error

CUSTOMER = 512_000_111
PDF = b"%PDF-1.4\n% invoice 4417\n"


@pytest.fixture
def vk() -> Iterator[VkApi]:
    with VkApi() as api:
        api.users[CUSTOMER] = ("Иван", "Петров")
        yield api


def settings_for(api: VkApi, **changes: Any) -> dict[str, Any]:
    return {
        "group_id": GROUP_ID,
        "access_token": TOKEN,
        "secret_key": SECRET_KEY,
        "confirmation_code": CONFIRMATION_CODE,
        "api_url": api.url,
        **changes,
    }


async def connect(admin: Agent, api: VkApi, **changes: Any) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/inboxes", {"channel": "vk", "name": "Сообщество", "settings": settings_for(api, **changes)}
    )
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == "Магазин «Ромашка»"
    inbox = response.json()["inbox"]
    api.callback_url = inbox["webhook_url"]  # what the admin enters in the community's settings
    return inbox












async def delivered_ok(api: VkApi, event: dict[str, Any], **options: Any) -> None:
    response = await api.deliver(event, **options)
    assert response.status_code == 200 and response.text == "ok", response.text  # exactly "ok", or VK repeats


async def test_a_message_arrives_once_and_the_answer_leaves_as_messages_send(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    inbox = await connect(admin, vk)
    assert inbox["channel"] == "vk" and inbox["status"] == "ok"
    assert inbox["settings"]["access_token"] == inbox["settings"]["secret_key"] == "••••••••"  # never shown back
    assert inbox["settings"]["group_id"] == GROUP_ID and inbox["settings"]["api_version"] == "5.199"
    assert [c.method for c in vk.calls] == ["groups.getById"]  # the code was given: not asked

    first = vk.message_new(CUSTOMER, "Здравствуйте! Где мой заказ 4417?")
    await delivered_ok(vk, first)
    await delivered_ok(vk, first)  # VK sends it again: nothing new
    await delivered_ok(vk, {**first, "event_id": "another-delivery"})
    [summary] = await eventually(lambda: conversations(agent, inbox["id"]))
    assert summary["contact"]["name"] == "Иван Петров" and summary["inbox"]["channel"] == "vk"
    conversation = await agent.conversation(summary["id"])
    assert conversation["context"]["channel"] == "vk"
    assert conversation["context"]["profile"] == f"https://vk.com/id{CUSTOMER}"
    assert [m["body"] for m in conversation["messages"]] == ["Здравствуйте! Где мой заказ 4417?"]
    assert conversation["messages"][0]["delivery"] is None  # the customer's own

    await delivered_ok(vk, vk.message_new(CUSTOMER, "Алло?"))
    assert [m["body"] for m in await messages(agent, summary["id"])] == ["Здравствуйте! Где мой заказ 4417?", "Алло?"]
    assert len(vk.calls_of("users.get")) == 1  # the name is asked once

    reply = await agent.reply(summary["id"], "Добрый день! Заказ 4417 уже у курьера.")
    assert reply.status_code == 201, reply.text
    sent = reply.json()["message"]
    assert sent["delivery"] == {"status": "pending", "error": None}
    [call] = await vk.wait_for_calls("messages.send", 1)
    assert call.params == {
        "peer_id": str(CUSTOMER),
        "random_id": str(sent["id"]),  # VK's key against sending twice: the message id
        "message": "Добрый день! Заказ 4417 уже у курьера.",
        "access_token": TOKEN,
        "v": "5.199",
    }
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "sent"))
    assert [m["message"] for m in vk.sent] == ["Добрый день! Заказ 4417 уже у курьера."]

    # The send reaches VK but its answer is lost: tried again with the same random_id, and
    # the customer gets it once.
    vk.lose_answers("messages.send")
    second = (await agent.reply(summary["id"], "Курьер позвонит за час.")).json()["message"]
    calls = await vk.wait_for_calls("messages.send", 3)
    assert calls[1].params["random_id"] == calls[2].params["random_id"] == str(second["id"])
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    assert [m["message"] for m in vk.sent] == ["Добрый день! Заказ 4417 уже у курьера.", "Курьер позвонит за час."]

    # A note never leaves Helpline.
    assert (await agent.reply(summary["id"], "Клиент нервничает", kind="note")).status_code == 201
    await asyncio.sleep(0.5)
    assert len(vk.calls_of("messages.send")) == 3


async def test_the_confirmation_handshake_answers_the_code(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    await connect(admin, vk)
    response = await vk.deliver(vk.confirmation())
    assert response.status_code == 200 and response.text == CONFIRMATION_CODE
    assert response.headers["content-type"].startswith("text/plain")
    # With the secret key VK may add, the same; with a wrong one or another community, nothing.
    assert (await vk.deliver({**vk.confirmation(), "secret": SECRET_KEY})).text == CONFIRMATION_CODE
    assert (await vk.deliver({**vk.confirmation(), "secret": "wrong"})).status_code == 403
    assert (await vk.deliver({**vk.confirmation(), "group_id": GROUP_ID + 1})).status_code == 403

    # Without a code in the settings it is asked from VK (checked when connecting, too).
    inbox = await connect(admin, vk, confirmation_code="")
    assert inbox["settings"]["confirmation_code"] == ""
    assert len(vk.calls_of("groups.getCallbackConfirmationCode")) == 1
    response = await vk.deliver(vk.confirmation())
    assert response.status_code == 200 and response.text == CONFIRMATION_CODE
    [*_, asked] = vk.calls_of("groups.getCallbackConfirmationCode")
    assert asked.params["group_id"] == str(GROUP_ID) and asked.params["access_token"] == TOKEN
    assert await conversations(agent, inbox["id"]) == []


async def test_a_forged_event_is_refused_and_stores_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    inbox = await connect(admin, vk)
    event = vk.message_new(CUSTOMER + 1, "Переведите деньги на этот счёт")
    assert (await vk.deliver(event, secret="not-the-secret")).status_code == 403
    assert (await vk.deliver(event, secret="")).status_code == 403
    without = {key: value for key, value in event.items() if key != "secret"}
    assert (await vk.deliver(without)).status_code == 403
    assert (await vk.deliver({**event, "group_id": GROUP_ID + 1})).status_code == 403  # another community
    async with httpx.AsyncClient(base_url=server.url) as anyone:
        assert (
            await anyone.post(inbox["webhook_url"].removeprefix(server.url), content=b"{not json")
        ).status_code == 400
        assert (await anyone.get(inbox["webhook_url"].removeprefix(server.url))).status_code == 403
        assert (await anyone.post("/hooks/" + "x" * 32, json=event)).status_code == 404
    assert await conversations(agent, inbox["id"]) == []
    assert vk.calls_of("users.get") == []  # nothing was even looked at


async def test_photos_documents_voice_and_stickers_arrive_as_files(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    inbox = await connect(admin, vk)
    small, large = vk.add_media(b"not this one", "small.jpg"), vk.add_media(PNG, "large.jpg")
    document = vk.add_media(PDF, "doc.pdf")
    voice = vk.add_media(b"OggS\x00\x02" + b"\x00" * 64, "voice.ogg")
    sticker_small, sticker_large = vk.add_media(b"small", "s64.png"), vk.add_media(PNG, "s512.png")
    photo = {
        "type": "photo",
        "photo": {
            "id": 1,
            "owner_id": CUSTOMER,
            "sizes": [
                {"type": "s", "url": small, "width": 75, "height": 50},
                {"type": "w", "url": large, "width": 2560, "height": 1707},
                {"type": "m", "url": small, "width": 130, "height": 87},
            ],
        },
    }
    doc = {
        "type": "doc",
        "doc": {
            "id": 2,
            "owner_id": CUSTOMER,
            "title": "счёт",
            "ext": "pdf",
            "size": len(PDF),
            "url": document,
            "type": 1,
        },
    }
    audio = {
        "type": "audio_message",
        "audio_message": {"id": 3, "owner_id": CUSTOMER, "duration": 2, "link_ogg": voice, "link_mp3": voice + ".mp3"},
    }
    sticker = {
        "type": "sticker",
        "sticker": {
            "product_id": 1,
            "sticker_id": 9,
            "images": [
                {"url": sticker_small, "width": 64, "height": 64},
                {"url": sticker_large, "width": 512, "height": 512},
            ],
        },
    }
    gone = {
        "type": "doc",
        "doc": {"id": 4, "owner_id": CUSTOMER, "title": "old.pdf", "ext": "pdf", "url": f"{vk.url}/media/expired.pdf"},
    }
    # users.get fails the first time: stored without a name, which the next message brings.
    vk.fail_next("users.get", lambda: error(10, "Internal server error"))
    for event in (
        vk.message_new(CUSTOMER, "Вот чек", attachments=[photo]),
        vk.message_new(CUSTOMER, attachments=[doc]),
        vk.message_new(CUSTOMER, attachments=[audio]),
        vk.message_new(CUSTOMER, attachments=[sticker]),
        vk.message_new(CUSTOMER, attachments=[{"type": "video", "video": {"id": 5, "owner_id": CUSTOMER}}]),
        vk.message_new(CUSTOMER, attachments=[gone]),
    ):
        await delivered_ok(vk, event)
        if event["object"]["message"]["text"] == "Вот чек":
            [summary] = await conversations(agent, inbox["id"])
            assert summary["contact"]["name"] is None
    [summary] = await conversations(agent, inbox["id"])
    assert summary["contact"]["name"] == "Иван Петров"
    found = await messages(agent, summary["id"])
    assert [m["body"] for m in found] == ["Вот чек", "", "", "", "[video]", ""]
    files = [m["attachments"][0] if m["attachments"] else None for m in found]
    assert files[0]["image"] and files[0]["content_type"] == "image/png"  # the largest size, judged by the bytes
    assert files[1]["name"] == "счёт.pdf" and files[1]["content_type"] == "application/pdf"
    assert files[2]["name"] == "voice.ogg" and not files[2]["image"]
    assert files[3]["image"] and files[3]["name"] == "sticker.png" and files[4] is None
    assert files[5]["name"] == "old.pdf.txt"  # VK did not give it out: said so, the message kept
    download = await agent.http.get(files[1]["url"])
    assert download.status_code == 200 and download.content == PDF
    assert (await agent.http.get(files[0]["url"])).content == PNG


async def test_an_answer_with_a_picture_and_a_document_uploads_and_attaches_them(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    inbox = await connect(admin, vk)
    await delivered_ok(vk, vk.message_new(CUSTOMER, "Пришлите схему проезда и счёт"))
    [summary] = await conversations(agent, inbox["id"])
    file_ids = []
    for name, data, content_type in (("схема.png", PNG, "image/png"), ("счёт.pdf", PDF, "application/pdf")):
        upload = await agent.http.post(
            "/api/v1/files", files={"file": (name, data, content_type)}, headers={"X-CSRF-Token": agent.csrf}
        )
        assert upload.status_code == 201, upload.text
        file_ids.append(upload.json()["file"]["id"])
    sent = await agent.post(
        f"/api/v1/conversations/{summary['id']}/messages",
        {"client_id": new_client_id(), "body": "Вот схема и счёт", "kind": "text", "file_ids": file_ids},
    )
    assert sent.status_code == 201, sent.text
    [call] = await vk.wait_for_calls("messages.send", 1)
    [server_call] = vk.calls_of("photos.getMessagesUploadServer")
    assert server_call.params["peer_id"] == str(CUSTOMER)
    [doc_server] = vk.calls_of("docs.getMessagesUploadServer")
    assert doc_server.params["type"] == "doc" and doc_server.params["peer_id"] == str(CUSTOMER)
    assert [(kind, data) for kind, _, data in vk.uploads] == [("photo", PNG), ("doc", PDF)]
    [saved_photo] = vk.calls_of("photos.saveMessagesPhoto")
    assert saved_photo.params["server"] == "851234" and saved_photo.params["hash"] == "h"
    [saved_doc] = vk.calls_of("docs.save")
    assert saved_doc.params["title"] == "счёт.pdf"
    photo, document = call.params["attachment"].split(",")
    assert photo.startswith(f"photo-{GROUP_ID}_") and document.startswith(f"doc-{GROUP_ID}_")
    assert call.params["message"] == "Вот схема и счёт" and call.params["random_id"] == str(
        sent.json()["message"]["id"]
    )
    await eventually(lambda: has_status(agent, summary["id"], sent.json()["message"]["id"], "sent"))

    # A text longer than VK takes goes in two parts, each with a random_id of its own.
    long_text = ("Подробная инструкция. " * 220).strip()
    assert 4096 < len(long_text) <= 5000
    second = (await agent.reply(summary["id"], long_text)).json()["message"]
    parts = (await vk.wait_for_calls("messages.send", 3))[1:]
    assert " ".join(p.params["message"] for p in parts) == long_text
    assert [p.params["random_id"] for p in parts] == [str(second["id"]), str(second["id"] + 2**30)]
    assert all(len(p.params["message"]) <= 4096 for p in parts)


async def test_failures_are_retried_then_shown_and_sent_again_on_request(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    inbox = await connect(admin, vk)
    await delivered_ok(vk, vk.message_new(CUSTOMER, "Есть кто?"))
    [summary] = await conversations(agent, inbox["id"])

    # Too many requests per second: not tried again at once, then it goes.
    vk.fail_next("messages.send", lambda: error(6, "Too many requests per second"))
    first = (await agent.reply(summary["id"], "Да, слушаю")).json()["message"]
    calls = await vk.wait_for_calls("messages.send", 2)
    assert calls[1].at - calls[0].at >= 0.9
    await eventually(lambda: has_status(agent, summary["id"], first["id"], "sent"))

    # VK's internal error, five times: failed with the reason; the retry button sends it.
    vk.fail_next("messages.send", lambda: error(10, "Internal server error"), times=5)
    second = (await agent.reply(summary["id"], "Вы ещё здесь?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "failed"))
    assert await delivery_of(agent, summary["id"], second["id"]) == {
        "status": "failed",
        "error": "VK: Internal server error",
    }
    assert len(vk.calls_of("messages.send")) == 2 + 5
    inbox_now = next(i for i in (await admin.get("/api/v1/inboxes")).json()["inboxes"] if i["id"] == inbox["id"])
    assert inbox_now["status"] == "error" and inbox_now["last_error"] == "VK: Internal server error"

    retry = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert retry.status_code == 200 and retry.json()["message"]["delivery"]["status"] == "pending"
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    assert vk.calls_of("messages.send")[-1].params["message"] == "Вы ещё здесь?"
    assert [m["message"] for m in vk.sent] == ["Да, слушаю", "Вы ещё здесь?"]
    again = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert again.status_code == 409

    # A refusal VK calls final (a bad parameter) is not tried again.
    vk.fail_next("messages.send", lambda: error(100, "One of the parameters specified was missing or invalid"))
    third = (await agent.reply(summary["id"], "Ау")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], third["id"], "failed"))
    assert len(vk.calls_of("messages.send")) == 2 + 5 + 1 + 1


async def test_a_customer_who_forbade_messages_is_marked_and_not_retried(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi, db: Database
) -> None:
    inbox = await connect(admin, vk)
    vk.users[CUSTOMER + 2] = ("Ольга", "Ким")
    await delivered_ok(vk, vk.message_new(CUSTOMER + 2, "Спасибо, всё понятно"))
    [summary] = await conversations(agent, inbox["id"])
    vk.fail_next("messages.send", lambda: error(901, "Can't send messages for users without permission"))
    sent = (await agent.reply(summary["id"], "Обращайтесь!")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "failed"))
    assert len(vk.calls_of("messages.send")) == 1  # permanent: no second attempt
    assert (await delivery_of(agent, summary["id"], sent["id"]))["error"] == (
        "The customer does not allow messages from the community in VK."
    )
    async with db.read() as session:
        identity = await session.scalar(
            select(ContactIdentity).where(
                ContactIdentity.kind == "vk",
                ContactIdentity.value == str(CUSTOMER + 2),
                ContactIdentity.account_id == tenant.account_id,
            )
        )
    assert identity is not None and identity.blocked_at is not None


async def test_bad_settings_are_refused_and_store_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, vk: VkApi
) -> None:
    before = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    vk.fail_next("groups.getCallbackConfirmationCode", lambda: error(15, "Access denied"))
    for settings, field in (
        (settings_for(vk, access_token="not a token"), "settings.access_token"),
        (settings_for(vk, access_token="vk1.a.UnknownTokenUnknownTokenUnknown"), "settings.access_token"),
        (settings_for(vk, group_id=GROUP_ID + 1), "settings.group_id"),
        (settings_for(vk, group_id="club"), "settings.group_id"),
        (settings_for(vk, secret_key="short"), "settings.secret_key"),
        (settings_for(vk, secret_key=None), "settings.secret_key"),
        (settings_for(vk, confirmation_code=""), "settings.confirmation_code"),  # the token may not read it
        (settings_for(vk, api_version="7"), "settings.api_version"),
        (settings_for(vk, api_url="http://127.0.0.1:1"), "settings"),  # nobody there
    ):
        response = await admin.post("/api/v1/inboxes", {"channel": "vk", "name": "VK", "settings": settings})
        assert response.status_code == 422, (settings, response.text)
        assert response.json()["error"]["field"] == field, response.text
    assert (await agent.post("/api/v1/inboxes", {"channel": "vk", "name": "VK", "settings": {}})).status_code == 403
    assert (await admin.get("/api/v1/inboxes")).json()["inboxes"] == before
