"""Full-text search: conversations written through the real app, found by `search_condition`
on the test database (SQLite, and PostgreSQL when it is configured)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from helpline.contacts.models import Contact
from helpline.core.db import Database
from helpline.core.errors import InvalidField
from helpline.core.migrate import alembic_config, migrate
from helpline.conversations.models import Conversation
from helpline.conversations.search import contact_search_condition, conversations_matching, search_condition
from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def found(db: Database, account_id: int, query: str) -> set[int]:
    """The ids of the account's conversations that `query` finds, as the inbox searches; the
    same whichever way the query is written (for common words or for rare ones)."""
    async with db.read() as session:

        async def ids(condition: Any) -> set[int]:
            return set(
                await session.scalars(select(Conversation.id).where(Conversation.account_id == account_id, condition))
            )

        chosen = await ids(await conversations_matching(session, account_id, query))
        for common in (True, False):
            written = await ids(search_condition(session.bind.dialect.name, account_id, query, common=common))
            assert written == chosen, (query, common)
        return chosen


async def contacts_found(db: Database, account_id: int, query: str) -> set[int]:
    async with db.read() as session:
        condition = contact_search_condition(session.bind.dialect.name, account_id, query)
        return set(await session.scalars(select(Contact.id).where(condition)))


async def customer_writes(server_url: str, site_key: str, *bodies: str, contact: dict[str, str] | None = None) -> int:
    """A new website visitor (a new contact) fills the pre-chat form if given and writes
    `bodies`; returns the conversation."""
    visitor = Visitor(server_url, site_key)
    try:
        await visitor.start({"url": "https://shop.example/", "title": "Shop"})
        widget = await visitor.socket()
        if contact:
            await widget.send({"type": "contact.update", "client_id": new_client_id(), **contact})
            assert (await widget.wait_for(lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
        conversation_ids = set()
        for body in bodies:
            ack = await send_and_ack(widget, body)
            assert ack["type"] == "ack", ack
            conversation_ids.add(ack["conversation_id"])
        await widget.close()
        assert len(conversation_ids) == 1
        return conversation_ids.pop()
    finally:
        await visitor.close()


async def answer(agent: Agent, conversation_id: int, body: str, kind: str = "text") -> None:
    response = await agent.reply(conversation_id, body, kind=kind)
    assert response.status_code == 201, response.text


async def test_words_are_found_in_any_form_in_any_message(
    server: Server, tenant: Tenant, agent: Agent, admin: Agent, db: Database
) -> None:
    partial = await customer_writes(server.url, tenant.site_key, "Хочу досрочно погасить часть кредита")
    overdue = await customer_writes(server.url, tenant.site_key, "Добрый день", "Платёж по кредиту просрочен?")
    await answer(agent, overdue, "Проверю ваш счёт и перезвоню")
    closing = await customer_writes(server.url, tenant.site_key, "Что делать с кредитом после закрытия карты?")
    refund = await customer_writes(
        server.url, tenant.site_key, "Hello, I asked for a refund twice and nothing happened"
    )
    await answer(agent, refund, "Refunds are processed within five days, sorry for the delay")
    noted = await customer_writes(server.url, tenant.site_key, "Позовите менеджера")
    await answer(agent, noted, "Клиентка просила перезвонить после обеда", kind="note")
    whispered = await customer_writes(server.url, tenant.site_key, "Где мой заказ 88231?")
    await answer(admin, whispered, "Предложи промокод на доставку", kind="whisper")
    account = tenant.account_id

    # Russian: every form of "кредит" finds every other (Snowball stem, then a prefix).
    credit = {partial, overdue, closing}
    for query in ("кредит", "кредиты", "кредита", "КРЕДИТОМ"):
        assert await found(db, account, query) == credit, query
    # English stems: "refunds" and "refunding" find "refund".
    for query in ("refund", "refunds", "Refunding"):
        assert await found(db, account, query) == {refund}, query
    assert await found(db, account, "process delays") == {refund}
    # Every word must match, in the conversation's messages taken together.
    assert await found(db, account, "кредит просрочен") == {overdue}
    assert await found(db, account, "кредит карта") == {closing}
    assert await found(db, account, "кредит refund") == set()
    assert await found(db, account, "добрый просрочен счет") == {overdue}  # a customer's two messages and the answer
    # "ё" and "е" are one letter to search.
    assert await found(db, account, "счет") == await found(db, account, "СЧЁТ") == {overdue}
    # Agents' own messages, internal notes and supervisors' whispers are searched too.
    assert await found(db, account, "перезвонить") == {overdue, noted}
    assert await found(db, account, "промокод доставку") == {whispered}
    # Numbers: whole, or by their start.
    assert await found(db, account, "88231") == await found(db, account, "882") == {whispered}
    assert await found(db, account, "8823 1") == set()

    # Another account never sees these conversations, and they never see its own.
    other = await make_tenant(server.database_url)
    elsewhere = await customer_writes(server.url, other.site_key, "Вопрос по кредиту и refund")
    assert await found(db, other.account_id, "кредит") == {elsewhere}
    assert await found(db, account, "кредит") == credit
    assert await found(db, account, "refund") == {refund}


async def test_conversations_and_contacts_are_found_by_the_contact(
    server: Server, tenant: Tenant, db: Database
) -> None:
    anna = await customer_writes(
        server.url,
        tenant.site_key,
        "Здравствуйте",
        contact={"name": "Анна Петрова", "email": "anna.petrova@example.com", "phone": "+7 (900) 123-45-67"},
    )
    boris = await customer_writes(
        server.url,
        tenant.site_key,
        "Добрый вечер",
        contact={"name": "Борис Petrov", "email": "boris@mail.example", "phone": "8 912 000-11-22"},
    )
    vera = await customer_writes(
        server.url,
        tenant.site_key,
        "Доброе утро",
        contact={"name": "Вера Борисова", "email": "borisova@mail.example"},
    )
    account = tenant.account_id
    async with db.read() as session:
        contact_of = dict(
            (
                await session.execute(
                    select(Conversation.id, Conversation.contact_id).where(Conversation.id.in_((anna, boris, vera)))
                )
            ).all()
        )

    cases = {
        # Names, in other forms too.
        "Петрова": {anna},
        "петровой": {anna},
        "анна": {anna},
        "Анна Петрова": {anna},
        # E-mail addresses, whole or by their words.
        "anna.petrova@example.com": {anna},
        "petrova@example": {anna},
        "example": {anna, boris, vera},
        "mail.example": {boris, vera},
        "boris": {boris, vera},  # a word alone also finds the words it starts
        "boris@mail.example": {boris},  # in an address, "boris" is the whole word
        # Phones: as written, as digits, any run of digits, the last digits.
        "+7 (900) 123-45-67": {anna},
        "79001234567": {anna},
        "123-45-67": {anna},
        "4567": {anna},
        "1122": {boris},
        "900 123": {anna},
        "912": {boris},
        "000": {boris},
        # "petrov" starts "petrova" in Anna's address too.
        "Petrov": {anna, boris},
        # A name and a word of the name's contact (all words must match the contact).
        "Борис boris": {boris, vera},
        "Анна 4567": {anna},
        "Анна 1122": set(),
    }
    for query, expected in cases.items():
        assert await found(db, account, query) == expected, query
        assert await contacts_found(db, account, query) == {contact_of[c] for c in expected}, query

    # Another account finds none of them by their contacts.
    other = await make_tenant(server.database_url)
    assert await found(db, other.account_id, "Петрова") == set()
    assert await contacts_found(db, other.account_id, "4567") == set()


async def test_an_edited_contact_is_found_by_its_new_name(server: Server, tenant: Tenant, db: Database) -> None:
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start({"url": "https://shop.example/", "title": "Shop"})
        widget = await visitor.socket()

        async def fill_form(**contact: str) -> None:
            await widget.send({"type": "contact.update", "client_id": new_client_id(), **contact})
            assert (await widget.wait_for(lambda f: f["type"] in ("ack", "error")))["type"] == "ack"

        await fill_form(name="Ольга Сидорова", phone="+7 999 555-44-33")
        conversation_id = (await send_and_ack(widget, "Добрый день"))["conversation_id"]
        assert await found(db, tenant.account_id, "Сидорова") == {conversation_id}
        await fill_form(name="Ольга Кузнецова", phone="+7 999 555-00-11")
        assert await found(db, tenant.account_id, "Кузнецова") == {conversation_id}
        assert await found(db, tenant.account_id, "Сидорова") == set()
        assert await found(db, tenant.account_id, "0011") == {conversation_id}
        assert await found(db, tenant.account_id, "4433") == set()
        assert await found(db, tenant.account_id, "Ольга") == {conversation_id}
        await widget.close()
    finally:
        await visitor.close()


async def test_changed_and_deleted_messages_leave_the_index(server: Server, tenant: Tenant, db: Database) -> None:
    """Nothing in Helpline edits or deletes messages yet; the index follows the table anyway
    (triggers on SQLite). Written directly and rolled back."""
    conversation_id = await customer_writes(server.url, tenant.site_key, "Сломался холодильник", "Ещё вопрос")
    account = tenant.account_id

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with db.transaction() as session:
            dialect = session.bind.dialect.name

            async def ids(query: str) -> set[int]:
                condition = search_condition(dialect, account, query)
                return set(await session.scalars(select(Conversation.id).where(condition)))

            assert await ids("холодильник") == {conversation_id}
            await session.execute(
                text("UPDATE messages SET body = 'Сломалась кофемашина' WHERE conversation_id = :c AND seq = 1"),
                {"c": conversation_id},
            )
            assert await ids("холодильник") == set()
            assert await ids("кофемашина") == {conversation_id}
            await session.execute(
                text("DELETE FROM messages WHERE conversation_id = :c AND seq = 1"), {"c": conversation_id}
            )
            assert await ids("кофемашина") == set()
            assert await ids("вопрос") == {conversation_id}
            raise Rollback
    assert await found(db, account, "холодильник") == {conversation_id}
    assert await found(db, account, "кофемашина") == set()


async def test_query_syntax_is_never_obeyed(server: Server, tenant: Tenant, db: Database) -> None:
    account = tenant.account_id
    both = await customer_writes(server.url, tenant.site_key, 'Ошибка NEAR(promo, 5) при вводе "кредит*" -скидка')
    credit = await customer_writes(server.url, tenant.site_key, "Кредит одобрен")
    discount = await customer_writes(server.url, tenant.site_key, "Скидка не применилась")

    # Operators of FTS5, tsquery and web search syntax are read as words or ignored.
    assert await found(db, account, "кредит OR скидка") == {both}  # "or" is not OR
    assert await found(db, account, "кредит -скидка") == {both}  # "-" is not NOT
    assert await found(db, account, "кредит AND NOT скидка") == {both}
    assert await found(db, account, '"кредит*"') == {both, credit}
    assert await found(db, account, "NEAR(promo") == {both}
    assert await found(db, account, "NEAR(") == {both}  # the word "near"
    assert await found(db, account, "скидка*") == {both, discount}
    for query in (
        'кредит" OR "скидка',
        "кредит' | 'скидка",
        "кредит:*",
        "body:кредит",
        "^кредит",
        "кредит & !скидка",
        "(кредит",
        "{кредит}",
        "кредит\\",
        "кредит; DROP TABLE messages; --",
        "кредит%",
        "кредит_",
        "кредит\x00",
        "кредит\u200bскидка",
    ):
        result = await found(db, account, query)
        assert result <= {both, credit, discount}, query
    # Nothing to search for: a clear error naming the field.
    for query in ("", "   ", '"', "*", "-", "()", ":*", "!!!", "«—»", "и", "OR", "the and", "x" * 201):
        with pytest.raises(InvalidField) as error:
            await found(db, account, query)
        assert error.value.field == "q" and error.value.message, query


async def test_postgresql_answers_from_the_search_indexes(backend: str, tenant: Tenant, db: Database) -> None:
    """The search tests the stored vectors that the GIN indexes are built on (migration 0010),
    so the planner can use them (with no index, every search would read every conversation)."""
    if backend != "postgres":
        pytest.skip("SQLite searches its FTS5 tables, nothing else")
    async with db.read() as session:
        for common in (True, False):  # walking the newest, or collecting from the index first
            condition = search_condition("postgresql", tenant.account_id, "кредит 4567", common=common)
            assert "search_vector @@" in str(select(Conversation.id).where(condition)), common
        contacts = contact_search_condition("postgresql", tenant.account_id, "кредит")
        assert "contacts.search_vector @@" in str(select(Contact.id).where(contacts))
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        for table, condition, index in (
            ("conversations", "search_vector @@ to_tsquery('russian', 'кредит:*')", "ix_conversations_search"),
            ("conversations", "account_id = 1 AND search_vector IS NULL", "ix_conversations_search_overflow"),
            ("contacts", "search_vector @@ to_tsquery('russian', 'кредит:*')", "ix_contacts_search_vector"),
            (
                "messages",
                "helpline_message_search_vector(body) @@ to_tsquery('russian', 'кредит:*')",
                "ix_messages_search",
            ),
        ):
            plan = "\n".join(
                (await session.execute(text(f"EXPLAIN SELECT id FROM {table} WHERE {condition}"))).scalars()
            )
            assert f"Index Scan on {index}" in plan or f"Index Scan using {index}" in plan, plan


async def test_postgresql_finds_a_conversation_with_more_words_than_a_vector_holds(
    backend: str, server: Server, tenant: Tenant, db: Database
) -> None:
    """A tsvector holds 1 MB of words; a conversation that has more keeps no vector (NULL) and
    is searched message by message, with nothing lost and no message refused."""
    if backend != "postgres":
        pytest.skip("SQLite indexes every message on its own")
    account = tenant.account_id
    big = await customer_writes(server.url, tenant.site_key, "Сломался холодильник")
    other = await customer_writes(server.url, tenant.site_key, "Холодильник шумит")
    async with db.transaction() as session:
        # 300 messages of 120 distinct 32-character "words" each: some 1.3 MB of lexemes.
        await session.execute(
            text(
                "INSERT INTO messages (account_id, conversation_id, seq, author_type, kind, body, created_at) "
                "SELECT :account, :conversation, 1 + n, 'contact', 'text', "
                "(SELECT string_agg(md5(n || '-' || k), ' ') FROM generate_series(1, 120) AS k), now() "
                "FROM generate_series(1, 300) AS n"
            ),
            {"account": account, "conversation": big},
        )
        await session.execute(
            text(
                "INSERT INTO messages (account_id, conversation_id, seq, author_type, kind, body, created_at) "
                "VALUES (:account, :conversation, 302, 'contact', 'text', 'И кофемашина протекает', now())"
            ),
            {"account": account, "conversation": big},
        )
        await session.execute(text("UPDATE conversations SET last_seq = 302 WHERE id = :c"), {"c": big})
    async with db.read() as session:
        overflowed = await session.scalar(
            text("SELECT search_vector IS NULL FROM conversations WHERE id = :c"), {"c": big}
        )
    assert overflowed
    assert await found(db, account, "холодильник") == {big, other}
    assert await found(db, account, "кофемашины") == {big}
    assert await found(db, account, "протекает холодильник") == {big}  # in two of its messages
    assert await found(db, account, "шумит") == {other}
    assert await found(db, account, hashlib.md5(b"7-42").hexdigest()) == {big}


def _downgrade(url: str, revision: str) -> None:
    """Like helpline.core.migrate.migrate, for a downgrade: alembic runs its own event loop."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            command.downgrade(alembic_config(url), revision)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def test_the_migration_indexes_what_is_already_there(private_server: Server) -> None:
    """A database that held conversations before search existed: downgraded below 0008 (which
    drops the index) and migrated again, it finds them all."""
    server = private_server
    tenant = await make_tenant(server.database_url)
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    try:
        old = await customer_writes(
            server.url,
            tenant.site_key,
            "Верните деньги за заказ",
            contact={"name": "Игорь Лебедев", "phone": "+7 911 222-33-44"},
        )
        await answer(agent, old, "Оформили возврат", kind="note")
    finally:
        await agent.close()
    server.stop()
    await asyncio.to_thread(_downgrade, server.database_url, "0007")
    await asyncio.to_thread(migrate, server.database_url)
    db = Database(server.database_url)
    try:
        for query in ("деньгами", "возвраты", "Лебедева", "3344", "заказ"):
            assert await found(db, tenant.account_id, query) == {old}, query
    finally:
        await db.dispose()
    # And it keeps up with what comes after.
    server.start()
    new = await customer_writes(server.url, tenant.site_key, "Заказ не пришёл")
    db = Database(server.database_url)
    try:
        assert await found(db, tenant.account_id, "заказ") == {old, new}
    finally:
        await db.dispose()
