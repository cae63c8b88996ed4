"""Telegram through its Bot API (a loopback stand-in speaking its wire format): a customer's
message arrives as the right contact and conversation, the agent's reply leaves as
sendMessage / sendPhoto, a repeated update stores nothing new, a forged webhook stores
nothing, failures are retried and then shown as failed (and sent again on request), a
customer who blocked the bot is marked, and long polling reads what came while Helpline was
down (docs/protocol.md, "Channels")."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from helpline.contacts.models import ContactIdentity
from helpline.core.db import Database
from tests.support.channels import conversations, delivery_of, eventually, has_status, messages
from tests.support.clients import Agent, new_client_id
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server
from tests.support.telegram_api import PNG, TOKEN, TelegramApi, error

CUSTOMER = 777_000_111


async def connect(admin: Agent, api: TelegramApi, *, mode: str = "webhook") -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/inboxes",
        {"channel": "telegram", "name": "Бот магазина", "settings": {"token": TOKEN, "mode": mode, "api_url": api.url}},
    )
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == "@helpline_test_bot"
    return response.json()["inbox"]










async def test_a_message_arrives_once_and_the_answer_leaves_as_sendmessage(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    assert inbox["channel"] == "telegram" and inbox["status"] == "ok"
    assert inbox["settings"]["token"] == "••••••••"  # never shown back
    assert telegram.webhook is not None and telegram.webhook["url"] == inbox["webhook_url"]
    assert telegram.webhook["allowed_updates"] == ["message"] and len(telegram.webhook["secret_token"]) >= 32

    first = telegram.update(CUSTOMER, "Здравствуйте! Где мой заказ 4417?")
    assert (await telegram.deliver(first)).status_code == 200
    assert (await telegram.deliver(first)).status_code == 200  # Telegram delivers again: nothing new
    [summary] = await eventually(lambda: conversations(agent, inbox["id"]))
    assert summary["contact"]["name"] == "Иван Петров" and summary["inbox"]["channel"] == "telegram"
    conversation = await agent.conversation(summary["id"])
    assert conversation["context"]["username"] == "@ivan" and conversation["context"]["channel"] == "telegram"
    assert [m["body"] for m in conversation["messages"]] == ["Здравствуйте! Где мой заказ 4417?"]
    assert conversation["messages"][0]["delivery"] is None  # the customer's own

    assert (await telegram.deliver(telegram.update(CUSTOMER, "Алло?"))).status_code == 200
    assert [m["body"] for m in await messages(agent, summary["id"])] == ["Здравствуйте! Где мой заказ 4417?", "Алло?"]

    console = await agent.socket()
    try:
        reply = await agent.reply(summary["id"], "Добрый день! Заказ 4417 уже у курьера.")
        assert reply.status_code == 201, reply.text
        sent = reply.json()["message"]
        assert sent["delivery"] == {"status": "pending", "error": None}
        [call] = await telegram.wait_for_calls("sendMessage", 1)
        assert call.params == {"chat_id": str(CUSTOMER), "text": "Добрый день! Заказ 4417 уже у курьера."}
        event = await console.wait_for(lambda f: f.get("event") == "message.delivery", timeout=10)
        assert event["data"]["message_id"] == sent["id"] and event["data"]["delivery"]["status"] == "sent"
    finally:
        await console.close()
    assert await delivery_of(agent, summary["id"], sent["id"]) == {"status": "sent", "error": None}
    # A note never leaves Helpline.
    assert (await agent.reply(summary["id"], "Клиент нервничает", kind="note")).status_code == 201
    await asyncio.sleep(0.5)
    assert len(telegram.calls_of("sendMessage")) == 1


async def test_a_forged_webhook_is_refused_and_stores_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    update = telegram.update(CUSTOMER + 1, "Переведите деньги на этот счёт")
    assert (await telegram.deliver(update, token="not-the-secret")).status_code == 403
    assert (await telegram.deliver(update, token="")).status_code == 403
    async with httpx.AsyncClient(base_url=server.url) as anyone:
        assert (await anyone.post("/hooks/" + "x" * 32, json=update)).status_code == 404
    assert await conversations(agent, inbox["id"]) == []


async def test_photos_documents_voice_and_stickers_arrive_as_files(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    photo = telegram.add_file(PNG, "photos/file_1.jpg")
    document = telegram.add_file(b"%PDF-1.4\n% invoice\n", "documents/file_2.pdf")
    voice = telegram.add_file(b"OggS\x00\x02" + b"\x00" * 64, "voice/file_3.oga")
    sticker = telegram.add_file(PNG, "stickers/file_4.webp")
    for update in (
        telegram.update(CUSTOMER, photo=[{"file_id": photo, "file_unique_id": "a", "width": 1, "height": 1}],
                        caption="Вот чек"),
        telegram.update(CUSTOMER, document={"file_id": document, "file_unique_id": "b", "file_name": "счёт.pdf",
                                            "mime_type": "application/pdf"}),
        telegram.update(CUSTOMER, voice={"file_id": voice, "file_unique_id": "c", "duration": 2,
                                         "mime_type": "audio/ogg"}),
        telegram.update(CUSTOMER, sticker={"file_id": sticker, "file_unique_id": "d", "width": 1, "height": 1,
                                           "is_animated": False, "is_video": False, "emoji": "👍"}),
        telegram.update(CUSTOMER, location={"latitude": 55.75, "longitude": 37.61}),
    ):
        assert (await telegram.deliver(update)).status_code == 200
    [summary] = await conversations(agent, inbox["id"])
    found = await messages(agent, summary["id"])
    assert [m["body"] for m in found] == ["Вот чек", "", "", "", "[location]"]
    files = [m["attachments"][0] if m["attachments"] else None for m in found]
    assert files[0]["image"] and files[0]["content_type"] == "image/png"  # judged by the bytes
    assert files[1]["name"] == "счёт.pdf" and files[1]["content_type"] == "application/pdf"
    assert files[2]["name"] == "voice.ogg" and not files[2]["image"]
    assert files[3]["image"] and files[4] is None
    download = await agent.http.get(files[1]["url"])
    assert download.status_code == 200 and download.content == b"%PDF-1.4\n% invoice\n"


async def test_an_answer_with_a_picture_goes_by_sendphoto(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    await telegram.deliver(telegram.update(CUSTOMER, "Пришлите схему проезда"))
    [summary] = await conversations(agent, inbox["id"])
    upload = await agent.http.post(
        "/api/v1/files", files={"file": ("схема.png", PNG, "image/png")}, headers={"X-CSRF-Token": agent.csrf}
    )
    assert upload.status_code == 201, upload.text
    sent = await agent.post(
        f"/api/v1/conversations/{summary['id']}/messages",
        {"client_id": new_client_id(), "body": "Вот схема", "kind": "text", "file_ids": [upload.json()["file"]["id"]]},
    )
    assert sent.status_code == 201, sent.text
    [photo] = await telegram.wait_for_calls("sendPhoto", 1)
    assert photo.params["chat_id"] == str(CUSTOMER) and photo.files["photo"][1] == PNG
    assert telegram.calls_of("sendMessage")[0].params["text"] == "Вот схема"


async def test_failures_are_retried_then_shown_and_sent_again_on_request(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    await telegram.deliver(telegram.update(CUSTOMER, "Есть кто?"))
    [summary] = await conversations(agent, inbox["id"])

    # Too many requests: not tried again before retry_after, then it goes.
    telegram.fail_next("sendMessage", lambda: error(429, "Too Many Requests: retry after 1", retry_after=1))
    first = (await agent.reply(summary["id"], "Да, слушаю")).json()["message"]
    calls = await telegram.wait_for_calls("sendMessage", 2)
    assert calls[1].at - calls[0].at >= 0.9
    await eventually(lambda: has_status(agent, summary["id"], first["id"], "sent"))

    # Telegram down: five attempts, then failed with the reason; the retry button sends it.
    telegram.fail_next("sendMessage", lambda: error(502, "Bad Gateway"), times=5)
    second = (await agent.reply(summary["id"], "Вы ещё здесь?")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "failed"))
    assert await delivery_of(agent, summary["id"], second["id"]) == {"status": "failed", "error": "Telegram: Bad Gateway"}
    assert len(telegram.calls_of("sendMessage")) == 2 + 5
    inbox_now = next(i for i in (await admin.get("/api/v1/inboxes")).json()["inboxes"] if i["id"] == inbox["id"])
    assert inbox_now["status"] == "error" and inbox_now["last_error"] == "Telegram: Bad Gateway"

    retry = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert retry.status_code == 200 and retry.json()["message"]["delivery"]["status"] == "pending"
    await eventually(lambda: has_status(agent, summary["id"], second["id"], "sent"))
    assert telegram.calls_of("sendMessage")[-1].params["text"] == "Вы ещё здесь?"
    # Only a failed message may be sent again; a message of another conversation is not found.
    again = await agent.post(f"/api/v1/conversations/{summary['id']}/messages/{second['id']}/retry")
    assert again.status_code == 409
    assert (await agent.post(f"/api/v1/conversations/{summary['id']}/messages/999999999/retry")).status_code == 404

    # The admin switches the bot off: an answer fails at once, saying so, and nothing is sent.
    assert (await admin.patch(f"/api/v1/inboxes/{inbox['id']}", {"is_active": False})).status_code == 200
    third = (await agent.reply(summary["id"], "Мы на связи.")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], third["id"], "failed"))
    assert (await delivery_of(agent, summary["id"], third["id"]))["error"] == (
        f"The inbox «{inbox['name']}» is switched off: turn it on, then send again."
    )
    assert telegram.calls_of("sendMessage")[-1].params["text"] == "Вы ещё здесь?"



async def test_a_customer_who_blocked_the_bot_is_marked_and_not_retried(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi, db: Database
) -> None:
    inbox = await connect(admin, telegram)
    await telegram.deliver(telegram.update(CUSTOMER + 2, "Спасибо, всё понятно"))
    [summary] = await conversations(agent, inbox["id"])
    telegram.fail_next("sendMessage", lambda: error(403, "Forbidden: bot was blocked by the user"))
    sent = (await agent.reply(summary["id"], "Обращайтесь!")).json()["message"]
    await eventually(lambda: has_status(agent, summary["id"], sent["id"], "failed"))
    assert len(telegram.calls_of("sendMessage")) == 1  # permanent: no second attempt
    assert (await delivery_of(agent, summary["id"], sent["id"]))["error"] == "The customer blocked the bot in Telegram."
    async with db.read() as session:
        identity = await session.scalar(
            select(ContactIdentity).where(ContactIdentity.kind == "telegram", ContactIdentity.value == str(CUSTOMER + 2),
                                          ContactIdentity.account_id == tenant.account_id)
        )
    assert identity is not None and identity.blocked_at is not None


async def test_bad_settings_are_refused_and_store_nothing(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    before = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    for settings, field in (
        ({"token": "not a token", "api_url": telegram.url}, "settings.token"),
        ({"token": "987654321:AAUnknownTokenUnknownTokenUnknown", "api_url": telegram.url}, "settings.token"),
        ({"token": TOKEN, "mode": "carrier pigeon", "api_url": telegram.url}, "settings.mode"),
        ({"token": TOKEN, "api_url": "http://127.0.0.1:1"}, "settings"),  # nobody there
    ):
        response = await admin.post("/api/v1/inboxes", {"channel": "telegram", "name": "Бот", "settings": settings})
        assert response.status_code == 422, (settings, response.text)
        assert response.json()["error"]["field"] == field, response.text
    assert (await admin.post("/api/v1/inboxes", {"channel": "fax", "name": "Факс"})).status_code == 422
    assert (await agent.post("/api/v1/inboxes", {"channel": "telegram", "name": "Бот", "settings": {}})).status_code == 403
    assert (await admin.get("/api/v1/inboxes")).json()["inboxes"] == before


async def test_long_polling_reads_what_came_while_helpline_was_down(
    private_server: Server, telegram: TelegramApi
) -> None:
    server = private_server
    tenant = await make_tenant(server.database_url)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    try:
        telegram.webhook = {"url": "https://old.example/hook"}
        inbox = await connect(admin, telegram, mode="polling")
        assert telegram.webhook is None  # deleteWebhook: getUpdates works only without one
        first = telegram.update(CUSTOMER, "Вы работаете в выходные?")
        telegram.queue_update(first)
        [summary] = await eventually(lambda: conversations(agent, inbox["id"]), timeout=20)
        # The next getUpdates confirms it (offset past it).
        await eventually(lambda: _asked_after(telegram, first["update_id"]))
    finally:
        await admin.close()
        await agent.close()

    server.stop()
    later = telegram.update(CUSTOMER, "Ау, ответьте")
    telegram.queue_update(first)  # at least once: the same update again must store nothing
    telegram.queue_update(later)
    server.start()
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    try:
        async def both() -> list[str] | None:
            bodies = [m["body"] for m in await messages(agent, summary["id"])]
            return bodies if len(bodies) >= 2 else None

        assert await eventually(both, timeout=20) == ["Вы работаете в выходные?", "Ау, ответьте"]
        await asyncio.sleep(1.0)
        assert len(await messages(agent, summary["id"])) == 2
    finally:
        await agent.close()


async def _asked_after(telegram: TelegramApi, update_id: int) -> bool:
    return any(int(c.params.get("offset") or 0) > update_id for c in telegram.calls_of("getUpdates"))


async def test_a_banned_telegram_user_is_not_heard_until_the_ban_is_lifted(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi
) -> None:
    inbox = await connect(admin, telegram)
    spammer = CUSTOMER + 50
    # Malformed ids are refused by their field, and nothing is stored.
    for value in ("abc", "", "12 34", "1" * 21):
        response = await agent.post("/api/v1/bans", {"kind": "telegram", "value": value})
        assert response.status_code == 422 and response.json()["error"]["field"] == "value", (value, response.text)
    assert (await agent.get("/api/v1/bans", state="all")).json()["bans"] == []

    response = await agent.post("/api/v1/bans", {"kind": "telegram", "value": f" {spammer} ", "reason": "Спам"})
    assert response.status_code == 201, response.text
    ban = response.json()["ban"]
    assert (ban["kind"], ban["value"]) == ("telegram", str(spammer))
    assert (await telegram.deliver(telegram.update(spammer, "Купите криптовалюту"))).status_code == 200
    assert (await telegram.deliver(telegram.update(CUSTOMER, "Здравствуйте"))).status_code == 200  # others are heard
    [only] = await eventually(lambda: conversations(agent, inbox["id"]))
    assert [m["body"] for m in await messages(agent, only["id"])] == ["Здравствуйте"]

    assert (await agent.post(f"/api/v1/bans/{ban['id']}/lift", {})).status_code == 200
    assert (await telegram.deliver(telegram.update(spammer, "Теперь можно?"))).status_code == 200

    async def two() -> list[dict[str, Any]] | None:
        found = await conversations(agent, inbox["id"])
        return found if len(found) == 2 else None

    bodies = sorted([[m["body"] for m in await messages(agent, c["id"])] for c in await eventually(two)])
    assert bodies == [["Здравствуйте"], ["Теперь можно?"]]
