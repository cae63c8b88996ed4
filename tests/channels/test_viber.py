"""Viber through its REST Bot API (a loopback stand-in speaking its wire format): connecting
registers the webhook (which Viber checks with a signed call before the inbox is stored), a
customer's message arrives as the right contact and conversation, the agent's reply leaves as
send_message, a repeated callback stores nothing new, a forged signature stores nothing,
delivered and seen reports move the delivery forward only, files go both ways (Viber fetches
ours from their links), failures are retried and then shown as failed (and sent again on
request), a customer who unsubscribed is marked, and bad settings are refused
(docs/protocol.md, "Channels")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from starlette.responses import Response

from helpline.contacts.models import ContactIdentity
from helpline.core.db import Database
from tests.support.channels import conversations, delivery_of, eventually, has_status, messages
from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.viber_api import PNG, TOKEN, ViberApi, sign, status

CUSTOMER = "Zy7hQ2b0cVv+uS1dK9xW3g=="
PDF = b"%PDF-1.4\n% invoice 4417\n"


@pytest.fixture
def viber() -> Iterator[ViberApi]:
    with ViberApi() as api:
        yield api


async def connect(admin: Agent, api: ViberApi, **changes: Any) -> dict[str, Any]:
    settings = {"auth_token": TOKEN, "api_url": api.url, **changes}
    response = await admin.post("/api/v1/inboxes", {"channel": "viber", "name": "Viber", "settings": settings})
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == "Ромашка в Viber"
    return response.json()["inbox"]












async def delivered_ok(api: ViberApi, event: dict[str, Any], **options: Any) -> None:
    response = await api.deliver(event, **options)
    assert response.status_code == 200, response.text


async def start_conversation(agent: Agent, viber: ViberApi, inbox: dict[str, Any], text: str) -> dict[str, Any]:
    await delivered_ok(viber, viber.message(CUSTOMER, text))
    [summary] = await conversations(agent, inbox["id"])
    return summary


async def test_connecting_registers_the_webhook_and_a_message_arrives_once(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    assert inbox["channel"] == "viber" and inbox["status"] == "ok"
    assert inbox["settings"] == {"auth_token": "••••••••", "sender_name": "Helpline", "api_url": viber.url}
    # Viber checked the webhook (signed, before the inbox was stored) and took it.
    assert viber.webhook_check == 200 and viber.webhook is not None
    assert viber.webhook["url"] == inbox["webhook_url"] and viber.webhook["send_name"] is True
    assert {"delivered", "seen", "failed"} <= set(viber.webhook["event_types"])
    assert all(c.headers["x-viber-auth-token"] == TOKEN for c in viber.calls)

    first = viber.message(CUSTOMER, "Здравствуйте! Где мой заказ 4417?")
    await delivered_ok(viber, first)
    await delivered_ok(viber, first)  # Viber sends it again: nothing new
    [summary] = await eventually(lambda: conversations(agent, inbox["id"]))
    assert summary["contact"]["name"] == "Анна Смирнова" and summary["inbox"]["channel"] == "viber"
    conversation = await agent.conversation(summary["id"])
    assert conversation["context"]["channel"] == "viber"
    assert [m["body"] for m in conversation["messages"]] == ["Здравствуйте! Где мой заказ 4417?"]
    assert conversation["messages"][0]["delivery"] is None  # the customer's own
    # Callbacks that are not messages store nothing.
    for event in ("subscribed", "unsubscribed", "conversation_started"):
        await delivered_ok(viber, {"event": event, "timestamp": 1, "message_token": viber.token(), "user_id": CUSTOMER})
    await delivered_ok(viber, viber.message(CUSTOMER, "Алло?"))
    assert [m["body"] for m in await messages(agent, summary["id"])] == ["Здравствуйте! Где мой заказ 4417?", "Алло?"]

    reply = await agent.reply(summary["id"], "Добрый день! Заказ 4417 уже у курьера.")
    assert reply.status_code == 201, reply.text
    sent = reply.json()["message"]
    assert sent["delivery"] == {"status": "pending", "error": None}
    [call] = await viber.wait_for_calls("send_message", 1)
    assert call.params == {
        "receiver": CUSTOMER,
        "min_api_version": 1,
        "sender": {"name": "Helpline"},
        "type": "text",
        "text": "Добрый день! Заказ 4417 уже у курьера.",
    }
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "sent"))
    # A note never leaves Helpline.
    assert (await agent.reply(summary["id"], "Клиент нервничает", kind="note")).status_code == 201
    await asyncio.sleep(0.5)
    assert len(viber.calls_of("send_message")) == 1


async def test_a_new_token_is_checked_and_registered_again(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    tested = await admin.post(f"/api/v1/inboxes/{inbox['id']}/test")  # the "test connection" button
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text
    assert len(viber.calls_of("set_webhook")) == 2 and viber.webhook_check == 200

    # A regenerated token: Viber checks the webhook signing with the new one while the old
    # one is still stored; Helpline answers with the settings being tried.
    old_token, new_token = TOKEN, viber.regenerate_token()
    changed = await admin.patch(
        f"/api/v1/inboxes/{inbox['id']}",
        {"settings": {"auth_token": new_token, "sender_name": "Ромашка", "api_url": viber.url}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["inbox"]["settings"]["auth_token"] == "••••••••"
    assert viber.webhook_check == 200 and viber.calls_of("set_webhook")[-1].headers["x-viber-auth-token"] == new_token
    event = viber.message(CUSTOMER, "Проверка нового токена")
    body = orjson.dumps(event)
    async with httpx.AsyncClient() as client:
        stale = await client.post(
            inbox["webhook_url"], content=body, headers={"X-Viber-Content-Signature": sign(body, old_token)}
        )
    assert stale.status_code == 403
    await delivered_ok(viber, event)
    [summary] = await conversations(agent, inbox["id"])
    await agent.reply(summary["id"], "Работает")
    [call] = await viber.wait_for_calls("send_message", 1)
    assert call.headers["x-viber-auth-token"] == new_token and call.params["sender"] == {"name": "Ромашка"}


async def test_delivered_and_seen_reports_move_the_delivery_forward_only(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber, sender_name="Магазин Ромашка")
    summary = await start_conversation(agent, viber, inbox, "Когда доставка?")
    first = (await agent.reply(summary["id"], "Завтра до обеда.")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], first["id"], "sent"))
    [sent] = viber.sent
    assert sent["sender"] == {"name": "Магазин Ромашка"}
    token = sent["message_token"]

    # A forged report changes nothing.
    forged = await viber.deliver(viber.receipt("seen", token, CUSTOMER), signature=sign(b"{}"))
    assert forged.status_code == 403
    await delivered_ok(viber, viber.receipt("delivered", token, CUSTOMER))
    assert await delivery_of(agent, summary["id"], first["id"]) == {"status": "delivered", "error": None}
    await delivered_ok(viber, viber.receipt("seen", token, CUSTOMER))
    assert await delivery_of(agent, summary["id"], first["id"]) == {"status": "read", "error": None}
    # Late or repeated reports never move it back.
    await delivered_ok(viber, viber.receipt("delivered", token, CUSTOMER))
    await delivered_ok(viber, viber.receipt("failed", token, CUSTOMER, desc="too late"))
    assert await delivery_of(agent, summary["id"], first["id"]) == {"status": "read", "error": None}
    # A report about a message Helpline did not send is ignored.
    await delivered_ok(viber, viber.receipt("seen", viber.token(), CUSTOMER))

    # Viber may fail a message it took: shown with its reason.
    second = (await agent.reply(summary["id"], "Курьер позвонит.")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    await delivered_ok(viber, viber.receipt("failed", viber.sent[-1]["message_token"], CUSTOMER, desc="user blocked"))
    assert await delivery_of(agent, summary["id"], second["id"]) == {"status": "failed", "error": "Viber: user blocked"}


async def test_a_forged_signature_is_refused_and_stores_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    event = viber.message(CUSTOMER, "Переведите деньги на этот счёт")
    assert (await viber.deliver(event, signature="0" * 64)).status_code == 403
    assert (await viber.deliver(event, signature="")).status_code == 403
    assert (await viber.deliver(event, signature=sign(b"{}"))).status_code == 403  # another body's
    other_token = "0000000000000000-1111111111111111-2222222222222222"
    async with httpx.AsyncClient(base_url=server.url) as anyone:
        path = inbox["webhook_url"].removeprefix(server.url)
        body = orjson.dumps(event)
        forged = await anyone.post(path, content=body, headers={"X-Viber-Content-Signature": sign(body, other_token)})
        assert forged.status_code == 403
        assert (await anyone.post("/hooks/" + "x" * 32, json=event)).status_code == 404
    assert await conversations(agent, inbox["id"]) == []


async def test_pictures_files_and_stickers_arrive_as_files(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    picture, document = viber.add_media(PNG, "img-1.jpg"), viber.add_media(PDF, "file-2.pdf")
    sticker = viber.add_media(PNG, "sticker-3.png")
    for event in (
        viber.message(CUSTOMER, "Вот чек", type="picture", media=picture, thumbnail=picture, size=len(PNG)),
        viber.message(CUSTOMER, type="file", media=document, file_name="счёт.pdf", size=len(PDF)),
        viber.message(CUSTOMER, type="sticker", sticker_id=46105, media=sticker),
        viber.message(CUSTOMER, type="video", media=f"{viber.url}/media/video.mp4", size=10_000, duration=3),
        viber.message(CUSTOMER, type="location", location={"lat": 55.75, "lon": 37.61}),
        viber.message(CUSTOMER, type="url", media="https://shop.example/orders/4417"),
        viber.message(CUSTOMER, type="file", media=f"{viber.url}/media/expired.pdf", file_name="old.pdf", size=9),
    ):
        await delivered_ok(viber, event)
    [summary] = await conversations(agent, inbox["id"])
    found = await messages(agent, summary["id"])
    assert [m["body"] for m in found] == [
        "Вот чек",
        "",
        "",
        "[video]",
        "[location]",
        "https://shop.example/orders/4417",
        "",
    ]
    files = [m["attachments"][0] if m["attachments"] else None for m in found]
    assert files[0]["image"] and files[0]["content_type"] == "image/png"  # judged by the bytes
    assert files[1]["name"] == "счёт.pdf" and files[1]["content_type"] == "application/pdf"
    assert files[2]["image"] and files[2]["name"] == "sticker.png"
    assert files[3] is None and files[4] is None and files[5] is None
    assert files[6]["name"] == "old.pdf.txt"  # Viber did not give it out: said so, the message kept
    download = await agent.http.get(files[1]["url"])
    assert download.status_code == 200 and download.content == PDF


async def test_an_answer_with_a_picture_and_a_file_gives_viber_their_links(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    summary = await start_conversation(agent, viber, inbox, "Пришлите схему проезда и счёт")
    uploaded = []
    for name, data, content_type in (("схема.png", PNG, "image/png"), ("счёт.pdf", PDF, "application/pdf")):
        upload = await agent.http.post(
            "/api/v1/files", files={"file": (name, data, content_type)}, headers={"X-CSRF-Token": agent.csrf}
        )
        assert upload.status_code == 201, upload.text
        uploaded.append(upload.json()["file"])
    sent = await agent.post(
        f"/api/v1/conversations/{summary['id']}/messages",
        {
            "client_id": new_client_id(),
            "body": "Вот схема и счёт",
            "kind": "text",
            "file_ids": [f["id"] for f in uploaded],
        },
    )
    assert sent.status_code == 201, sent.text
    text, picture, document = await viber.wait_for_calls("send_message", 3)
    assert text.params["type"] == "text" and text.params["text"] == "Вот схема и счёт"
    assert picture.params["type"] == "picture" and picture.params["media"] == server.url + uploaded[0]["url"]
    assert picture.params["receiver"] == CUSTOMER and picture.params["sender"] == {"name": "Helpline"}
    assert document.params["type"] == "file" and document.params["media"] == server.url + uploaded[1]["url"]
    assert document.params["file_name"] == "счёт.pdf" and document.params["size"] == len(PDF)
    await eventually(lambda: has_status(agent, summary["id"], sent.json()["message"]["id"], "sent"))
    # Viber fetched both from Helpline.
    assert [data for _, data in viber.fetched] == [PNG, PDF]
    # The text's token is the message's: reports about it move its state.
    await delivered_ok(viber, viber.receipt("delivered", viber.sent[0]["message_token"], CUSTOMER))
    assert (await delivery_of(agent, summary["id"], sent.json()["message"]["id"]))["status"] == "delivered"


async def test_failures_are_retried_then_shown_and_sent_again_on_request(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    inbox = await connect(admin, viber)
    summary = await start_conversation(agent, viber, inbox, "Есть кто?")

    # Too many requests: not tried again at once, then it goes.
    viber.fail_next("send_message", lambda: status(12))
    first = (await agent.reply(summary["id"], "Да, слушаю")).json()["message"]
    calls = await viber.wait_for_calls("send_message", 2)
    assert calls[1].at - calls[0].at >= 0.9
    await eventually(lambda: has_status(agent, summary["id"], first["id"], "sent"))

    # Viber down, five times: failed with the reason; the retry button sends it.
    viber.fail_next("send_message", lambda: Response("Bad Gateway", status_code=502), times=5)
    second = (await agent.reply(summary["id"], "Вы ещё здесь?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "failed"))
    assert await delivery_of(agent, summary["id"], second["id"]) == {"status": "failed", "error": "Viber: HTTP 502"}
    assert len(viber.calls_of("send_message")) == 2 + 5
    inbox_now = next(i for i in (await admin.get("/api/v1/inboxes")).json()["inboxes"] if i["id"] == inbox["id"])
    assert inbox_now["status"] == "error" and inbox_now["last_error"] == "Viber: HTTP 502"

    retry = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert retry.status_code == 200 and retry.json()["message"]["delivery"]["status"] == "pending"
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    assert [m["text"] for m in viber.sent] == ["Да, слушаю", "Вы ещё здесь?"]
    again = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert again.status_code == 409

    # A refusal Viber calls final (bad data) is not tried again.
    viber.fail_next("send_message", lambda: status(3))
    third = (await agent.reply(summary["id"], "Ау")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], third["id"], "failed"))
    assert (await delivery_of(agent, summary["id"], third["id"]))["error"] == "Viber: badData"
    assert len(viber.calls_of("send_message")) == 2 + 5 + 1 + 1


async def test_a_customer_who_unsubscribed_is_marked_and_not_retried(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi, db: Database
) -> None:
    inbox = await connect(admin, viber)
    summary = await start_conversation(agent, viber, inbox, "Спасибо, всё понятно")
    viber.fail_next("send_message", lambda: status(6))
    sent = (await agent.reply(summary["id"], "Обращайтесь!")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "failed"))
    assert len(viber.calls_of("send_message")) == 1  # permanent: no second attempt
    assert (await delivery_of(agent, summary["id"], sent["id"]))["error"] == (
        "The customer is not subscribed to the bot in Viber."
    )
    async with db.read() as session:
        identity = await session.scalar(
            select(ContactIdentity).where(
                ContactIdentity.kind == "viber",
                ContactIdentity.value == CUSTOMER,
                ContactIdentity.account_id == tenant.account_id,
            )
        )
    assert identity is not None and identity.blocked_at is not None


async def test_bad_settings_are_refused_and_store_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, viber: ViberApi
) -> None:
    before = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    viber.fail_next("set_webhook", lambda: status(1))
    for settings, field in (
        ({"auth_token": TOKEN, "api_url": viber.url}, "settings"),  # the webhook check failed
        ({"auth_token": "not a token", "api_url": viber.url}, "settings.auth_token"),
        (
            {"auth_token": "0000000000000000-1111111111111111-2222222222222222", "api_url": viber.url},
            "settings.auth_token",
        ),
        (
            {"auth_token": TOKEN, "sender_name": "Очень длинное имя отправителя", "api_url": viber.url},
            "settings.sender_name",
        ),
        ({"auth_token": TOKEN, "sender_name": "", "api_url": viber.url}, "settings.sender_name"),
        ({"auth_token": TOKEN, "api_url": "http://127.0.0.1:1"}, "settings"),  # nobody there
    ):
        response = await admin.post("/api/v1/inboxes", {"channel": "viber", "name": "Viber", "settings": settings})
        assert response.status_code == 422, (settings, response.text)
        assert response.json()["error"]["field"] == field, response.text
    assert viber.webhook is None
    assert (
        await agent.post("/api/v1/inboxes", {"channel": "viber", "name": "Viber", "settings": {}})
    ).status_code == 403
    assert (await admin.get("/api/v1/inboxes")).json()["inboxes"] == before
