"""The intake of webhook updates (helpline.channels.intake), through Telegram's webhook: an
update is stored before the channel hears 200 and processed after; one whose processing fails
is tried again, the same customer's later updates wait for it (their order is kept) while
other customers' do not; and what was queued survives a restart."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from helpline.channels.models import ChannelUpdate
from helpline.core.db import Database
from tests.channels.test_telegram import connect
from tests.support.channels import conversations, eventually, messages
from tests.support.clients import Agent
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server
from tests.support.telegram_api import PNG, TelegramApi, error

FIRST, SECOND = 777_000_501, 777_000_502


def photo_update(telegram: TelegramApi, user: int, caption: str) -> dict[str, Any]:
    photo = telegram.add_file(PNG, f"photos/{caption}.jpg")
    return telegram.update(
        user, photo=[{"file_id": photo, "file_unique_id": caption, "width": 1, "height": 1}], caption=caption
    )


async def queued(db: Database, inbox_id: int) -> list[ChannelUpdate]:
    async with db.read() as session:
        return list(await session.scalars(select(ChannelUpdate).where(ChannelUpdate.inbox_id == inbox_id)))


async def bodies_of(agent: Agent, inbox_id: int, count: int) -> list[str] | None:
    found = await conversations(agent, inbox_id)
    if len(found) != 1:
        return None
    bodies = [m["body"] for m in await messages(agent, found[0]["id"])]
    return bodies if len(bodies) >= count else None


async def test_a_failed_update_is_retried_and_the_chats_later_updates_wait_for_it(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, telegram: TelegramApi, db: Database
) -> None:
    inbox = await connect(admin, telegram)
    # The photo cannot be fetched twice (Telegram answers 500), then can.
    telegram.fail_next("getFile", lambda: error(500, "Internal Server Error"), times=2)
    assert (await telegram.deliver(photo_update(telegram, FIRST, "чек"))).status_code == 200
    later = telegram.update(FIRST, "Вы получили чек?")
    assert (await telegram.deliver(later)).status_code == 200
    assert (await telegram.deliver(later)).status_code == 200  # again: queued once, stored once
    assert (await telegram.deliver(telegram.update(SECOND, "А мне ответят?"))).status_code == 200

    # Another customer is not held up by the first one's trouble; the first one's messages
    # arrive in the order they were sent, each once.
    async def stored() -> list[list[str]] | None:
        found = sorted([[m["body"] for m in await messages(agent, c["id"])] for c in await conversations(agent, inbox["id"])])
        return found if len(found) == 2 and all(len(bodies) >= 1 for bodies in found) and len(found[1]) >= 2 else None

    assert await eventually(stored, timeout=20) == [["А мне ответят?"], ["чек", "Вы получили чек?"]]
    assert len(telegram.calls_of("getFile")) == 3

    async def drained() -> bool:
        return not await queued(db, inbox["id"])

    assert await eventually(drained)


async def test_an_oversized_malformed_or_wrongly_sent_webhook_is_refused_and_stores_nothing(
    server: Server, admin: Agent, agent: Agent, telegram: TelegramApi, db: Database
) -> None:
    inbox = await connect(admin, telegram)
    assert telegram.webhook is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": telegram.webhook["secret_token"], "Content-Type": "application/json"}
    update = telegram.update(FIRST, "x" * (5 * 1024 * 1024))
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(telegram.webhook["url"], content=orjson.dumps(update), headers=headers)
        assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
        response = await client.put(telegram.webhook["url"], json=telegram.update(FIRST, "PUT"), headers=headers)
        assert response.status_code == 405
        without_id = {"message": telegram.update(FIRST, "Без update_id")["message"]}
        response = await client.post(telegram.webhook["url"], json=without_id, headers=headers)
        assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_request"
    assert await queued(db, inbox["id"]) == []
    assert await conversations(agent, inbox["id"]) == []


async def test_what_was_queued_is_processed_after_a_restart(
    private_server: Server, telegram: TelegramApi
) -> None:
    server = private_server
    tenant = await make_tenant(server.database_url)
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    db = Database(server.database_url)
    try:
        inbox = await connect(admin, telegram)
        telegram.fail_next("getFile", lambda: error(502, "Bad Gateway"), times=1000)
        assert (await telegram.deliver(photo_update(telegram, FIRST, "паспорт"))).status_code == 200

        async def tried_twice() -> bool:
            rows = await queued(db, inbox["id"])
            return len(rows) == 1 and rows[0].attempts >= 2 and "Bad Gateway" in (rows[0].last_error or "")

        await eventually(tried_twice)
    finally:
        await admin.close()

    server.stop()
    telegram._failures.clear()  # Telegram works again
    server.start()
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    try:
        assert await eventually(lambda: bodies_of(agent, inbox["id"], 1), timeout=20) == ["паспорт"]
        async with db.read() as session:
            left = await session.scalar(select(func.count()).select_from(ChannelUpdate))
        assert left == 0
    finally:
        await agent.close()
        await db.dispose()
