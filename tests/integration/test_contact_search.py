"""The contact search, `GET /api/v1/contacts?q=`: an agent finds the account's contacts by
name (in other forms too), e-mail, phone digits, or an identity typed whole (a visitor's id, a
Telegram user id, an e-mail address in any case), the most recently active first; never another
account's contacts or merged ones; bad input is refused (docs/protocol.md, "Contacts")."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from helpline.contacts.queries import contacts_matching
from helpline.contacts.models import Contact
from helpline.core.db import Database
from tests.support.channels import conversations, eventually
from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server
from tests.support.telegram_api import TOKEN, TelegramApi

TELEGRAM_USER = 777_000_222


async def customer(server: Server, tenant: Tenant, *bodies: str, **contact: str) -> int:
    """A new website visitor who gives `contact` (name, email, phone) and writes `bodies` (one
    or more); returns the visitor's contact id."""
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        if contact:
            await socket.send({"type": "contact.update", "client_id": new_client_id(), **contact})
            answer = await socket.wait_for(lambda f: f["type"] in ("ack", "error"))
            assert answer["type"] == "ack", answer
        authors = set()
        for body in bodies:
            ack = await send_and_ack(socket, body)
            assert ack["type"] == "ack", ack
            authors.add(ack["message"]["author"]["id"])
        await socket.close()
    finally:
        await visitor.close()
    [contact_id] = authors
    return contact_id


async def visitor_only(server: Server, tenant: Tenant, db: Database, name: str) -> int:
    """A website visitor who gives their name and writes nothing (a contact without
    conversations); returns the contact id, read from the database (the widget is not told)."""
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        await socket.send({"type": "contact.update", "client_id": new_client_id(), "name": name})
        answer = await socket.wait_for(lambda f: f["type"] in ("ack", "error"))
        assert answer["type"] == "ack", answer
        await socket.close()
    finally:
        await visitor.close()
    async with db.read() as session:
        return await session.scalar(
            select(Contact.id).where(Contact.account_id == tenant.account_id, Contact.name == name)
        )


async def search(agent: Agent, q: Any = None, **params: Any) -> httpx.Response:
    return await agent.get("/api/v1/contacts", **({"q": q} if q is not None else {}), **params)


async def found(agent: Agent, q: str, **params: Any) -> list[int]:
    """The ids of the contacts `q` finds, in the order listed."""
    response = await search(agent, q, **params)
    assert response.status_code == 200, response.text
    return [contact["id"] for contact in response.json()["contacts"]]


async def contact_page(agent: Agent, contact_id: int) -> dict[str, Any]:
    response = await agent.get(f"/api/v1/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    return response.json()["contact"]


async def test_contacts_are_found_by_name_email_phone_and_an_identity_typed_whole(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, db: Database, telegram: TelegramApi
) -> None:
    igor = await customer(server, tenant, "Здравствуйте", name="Игорь Лебедев", email="igor.lebedev@example.com")
    anna = await customer(server, tenant, "Добрый день", name="Анна Смирнова", phone="+7 (900) 123-45-67")
    # Visits without writing: a contact with no conversation yet is found too.
    quiet = await visitor_only(server, tenant, db, "Ольга Лебедева")
    inbox = await admin.post(
        "/api/v1/inboxes",
        {"channel": "telegram", "name": "Бот", "settings": {"token": TOKEN, "mode": "webhook", "api_url": telegram.url}},
    )
    assert inbox.status_code == 201, inbox.text
    assert (await telegram.deliver(telegram.update(TELEGRAM_USER, "Где мой заказ?"))).status_code == 200
    [from_telegram] = await eventually(lambda: conversations(agent, inbox.json()["inbox"]["id"]))
    ivan = from_telegram["contact"]["id"]

    # Names, in other forms: Russian word forms find each other ("Лебедева" finds "Лебедев").
    assert set(await found(agent, "Лебедев")) == {igor, quiet}
    assert set(await found(agent, "лебедева")) == {igor, quiet}
    assert await found(agent, "Игорь Лебедева") == [igor]
    assert await found(agent, "Смирновой") == [anna]
    # E-mail, whole or by its words; phone, as typed or by a run of its digits.
    assert await found(agent, "igor.lebedev@example.com") == [igor]
    assert await found(agent, "IGOR.LEBEDEV@EXAMPLE.COM") == [igor]
    for phone in ("+7 (900) 123-45-67", "79001234567", "4567", "900 123"):
        assert await found(agent, phone) == [anna], phone
    # Identities typed whole: a Telegram user id, a website visitor's id.
    assert await found(agent, str(TELEGRAM_USER)) == [ivan]
    assert await found(agent, str(TELEGRAM_USER)[:-1]) == []  # whole values only
    [web] = [i["value"] for i in (await contact_page(agent, quiet))["identities"] if i["kind"] == "web"]
    assert await found(agent, web) == [quiet]
    assert await found(agent, f"  {web} ") == [quiet]
    assert await found(agent, web.upper()) == []  # not an e-mail address: exactly as kept

    # Each contact as the contact page has it, with how many conversations and how lately.
    response = await search(agent, "Игорь")
    [listed] = response.json()["contacts"]
    page = await contact_page(agent, igor)
    assert {k: v for k, v in listed.items() if k not in ("conversations_count", "last_activity_at")} == page
    assert listed["conversations_count"] == 1 and listed["last_activity_at"].endswith("Z")
    [listed_quiet] = (await search(agent, "Ольга")).json()["contacts"]
    assert listed_quiet["conversations_count"] == 0 and listed_quiet["last_activity_at"] is None
    assert await found(agent, "несуществующийклиент") == []


async def test_an_address_found_by_an_identity_in_any_case_and_merged_contacts_are_not_found(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    """A merge moves the merged contact's identities to the one that stays but not its own
    e-mail: that address then finds the one that stays, by the identity, in any case."""
    created = await admin.post(
        "/api/v1/forms",
        {
            "name": "Обратная связь",
            "settings": {
                "fields": [
                    {"key": "name", "label": "Имя", "type": "text", "required": True, "maps_to": "name"},
                    {"key": "email", "label": "E-mail", "type": "email", "required": True, "maps_to": "email"},
                    {"key": "text", "label": "Сообщение", "type": "textarea", "required": True, "maps_to": "message"},
                ]
            },
        },
    )
    assert created.status_code == 201, created.text
    async with httpx.AsyncClient(base_url=server.url) as sender:
        sent = await sender.post(
            f"/api/forms/v1/{created.json()['inbox']['site_key']}/submissions",
            data={"name": "Мария", "email": "Maria.Sokolova@Example.com", "text": "Вопрос", "client_id": new_client_id()},
        )
        assert sent.status_code == 201, sent.text
    [maria] = await found(agent, "Мария")
    stays = await customer(server, tenant, "Это снова я", name="Мария Соколова", email="masha@example.com")
    assert set(await found(agent, "maria.sokolova@example.com")) == {maria}

    merged = await agent.post(f"/api/v1/contacts/{stays}/merge", {"other_id": maria})
    assert merged.status_code == 200, merged.text
    assert (await contact_page(agent, stays))["email"] == "masha@example.com"
    for address in ("Maria.Sokolova@example.com", "maria.sokolova@example.com", "MARIA.SOKOLOVA@EXAMPLE.COM"):
        assert await found(agent, address) == [stays], address
    assert await found(agent, "Мария") == [stays]  # the merged one is never offered
    [listed] = (await search(agent, "Соколова")).json()["contacts"]
    assert listed["conversations_count"] == 2 and listed["merged_into_id"] is None

    # Undone: each is found by its own again.
    undone = await agent.post(f"/api/v1/contact-merges/{merged.json()['merge']['id']}/undo")
    assert undone.status_code == 200, undone.text
    assert await found(agent, "maria.sokolova@example.com") == [maria]
    assert set(await found(agent, "Мария")) == {maria, stays}


async def test_another_accounts_contacts_are_never_found(server: Server, tenant: Tenant, agent: Agent) -> None:
    mine = await customer(server, tenant, "Вопрос", name="Пётр Смирнов", email="petr@example.com", phone="+7 901 555-66-77")
    other = await make_tenant(server.database_url)
    theirs = await customer(server, other, "Вопрос", name="Пётр Смирнов", email="petr@example.com", phone="+7 901 555-66-77")
    other_agent = await Agent.login(server.url, other.agents[0], other.password)
    try:
        their_web = next(i["value"] for i in (await contact_page(other_agent, theirs))["identities"] if i["kind"] == "web")
        for query in ("Смирнов", "petr@example.com", "5556677", their_web):
            assert theirs not in await found(agent, query), query
        assert await found(agent, "Смирнов") == [mine]
        assert await found(other_agent, "Смирнов") == [theirs]
        assert await found(agent, their_web) == []
    finally:
        await other_agent.close()


async def test_the_most_recently_active_come_first_up_to_the_limit(
    server: Server, tenant: Tenant, agent: Agent, db: Database
) -> None:
    first = await customer(server, tenant, "Первый", name="Кузнецов Первый")
    second = await customer(server, tenant, "Второй", name="Кузнецов Второй")
    silent = await visitor_only(server, tenant, db, "Кузнецов Молчаливый")
    third = await customer(server, tenant, "Третий", name="Кузнецов Третий")
    assert await found(agent, "Кузнецов") == [third, second, first, silent]
    # An agent answers the first one: its conversation is the latest active now.
    [conversation] = (await agent.get(f"/api/v1/contacts/{first}")).json()["conversations"]
    reply = await agent.reply(conversation["id"], "Слушаю")
    assert reply.status_code == 201, reply.text
    assert await found(agent, "Кузнецов") == [first, third, second, silent]
    listed = (await search(agent, "Кузнецов")).json()["contacts"]
    times = [c["last_activity_at"] for c in listed]
    assert times[:3] == sorted(times[:3], reverse=True) and times[3] is None
    assert await found(agent, "Кузнецов", limit=2) == [first, third]
    assert await found(agent, "Кузнецов", limit=1) == [first]
    assert await found(agent, "Кузнецов", limit=50) == [first, third, second, silent]

    # A search matching more contacts than are ranked one by one (MAX_RANKED, lowered here)
    # walks the latest conversations instead: the same order; and when the walk meets fewer
    # than asked for, the other matches are ranked with them.
    expected = [first, third, second, silent]
    async with db.read() as session:
        for max_ranked, limits in ((1, (1, 2, 3)), (2, (1, 3)), (3, (4,))):
            for limit in limits:
                listed = await contacts_matching(session, tenant.account_id, "Кузнецов", limit=limit, max_ranked=max_ranked)
                assert [c.id for c in listed] == expected[:limit], (max_ranked, limit)
                assert [c.conversations_count for c in listed] == [1, 1, 1, 0][:limit]


async def test_bad_searches_are_refused(server: Server, tenant: Tenant, agent: Agent) -> None:
    await customer(server, tenant, "Вопрос", name="Вера Орлова")
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "q"),  # no q at all
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "..."}, "q"),  # punctuation alone
        ({"q": "и не"}, "q"),  # stop words alone
        ({"q": "Орлова" + "я" * 195}, "q"),  # 201 characters
        ({"q": "Орлова", "limit": 0}, "limit"),
        ({"q": "Орлова", "limit": 51}, "limit"),
        ({"q": "Орлова", "limit": -1}, "limit"),
    ]
    for params, field in cases:
        response = await agent.get("/api/v1/contacts", **params)
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_field" and error["field"] == field and error["message"], params
    not_a_number = await agent.get("/api/v1/contacts", q="Орлова", limit="many")
    assert not_a_number.status_code == 422 and not_a_number.json()["error"]["code"] == "invalid_field"
    # 200 characters is still a search; the bad ones changed nothing.
    assert await found(agent, "Орлова " + "я" * 193) == []
    assert len(await found(agent, "Орлова")) == 1
    async with httpx.AsyncClient(base_url=server.url) as stranger:
        refused = await stranger.get("/api/v1/contacts", params={"q": "Орлова"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
