"""Inbox list, filter and search latency over a large account, through the HTTP API.

Fills one account with N conversations (default 100,000) and ~5 messages each in Russian and
English — statuses, priorities, categories, tags, custom fields, assignees, teams and SLA
due times spread as in a busy service desk — then times the console's requests: the default
inbox page, the next page, filters (priority + tag, category subtree, assignee, SLA state,
date range, custom field), the SLA sort, full-text searches, and the contact search. Each
request runs a number of times; reports p50 / p95 / max in milliseconds. Budget (issue 4): p95 ≤ 100 ms on SQLite
and PostgreSQL.

    python bench/inbox.py                                   # SQLite, 100,000 conversations
    python bench/inbox.py --database-url postgresql+asyncpg://…/empty_db
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from _support import emit, machine, start_own_server

WORDS_RU = ("заказ доставка курьер возврат деньги карта оплата кредит платёж размер куртка телефон адрес "
            "посылка скидка промокод чек магазин отмена обмен гарантия ремонт счёт договор").split()
WORDS_EN = "order delivery refund payment card parcel address discount receipt warranty invoice exchange".split()
FORMS_RU = {"заказ": ["заказа", "заказу", "заказом"], "кредит": ["кредита", "кредиту", "кредитом"],
            "возврат": ["возврата", "возвратом"], "доставка": ["доставки", "доставку"]}
TAGS = ["vip", "возврат", "опт", "жалоба", "b2b", "late", "repeat", "new"]
STATUSES = ["open"] * 2 + ["pending"] + ["resolved"] * 5 + ["closed"] * 2
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.7:
        words = [rng.choice(FORMS_RU.get(w, [w])) if rng.random() < 0.5 else w for w in rng.sample(WORDS_RU, 6)]
    else:
        words = rng.sample(WORDS_EN, 6)
    return " ".join(words).capitalize() + rng.choice([".", "?", "!"])


def _body(rng: random.Random) -> str:
    """One to three sentences; a third of messages name an order, as customers' do: the long
    tail of words that real text has (the database's statistics depend on it)."""
    body = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        body += f" Заказ №{rng.randint(1_000_000, 9_999_999)}."
    return body


def fill(url: str, tenant: Any, conversations: int, messages_per: int, seed: int = 7) -> dict[str, Any]:
    """Bulk-insert the account's conversations, messages, contacts and tags."""
    return asyncio.run(_fill(url, tenant, conversations, messages_per, seed))


async def _fill(url: str, tenant: Any, count: int, messages_per: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import insert, select, text, update

    from helpline.accounts.models import Account, Agent, Team, TeamMember
    from helpline.contacts.models import Contact, ContactIdentity
    from helpline.conversations.models import Conversation, Message
    from helpline.core.db import Database
    from helpline.desk.models import Category, ConversationTag, CustomField

    rng = random.Random(seed)
    db = Database(url)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        account_id = tenant.account_id
        agents = list((await session.scalars(select(Agent.id).where(Agent.account_id == account_id))).all())
        team = Team(account_id=account_id, name="Bench", assignment="least_loaded", reassign_after=0, created_at=now)
        session.add(team)
        root = Category(account_id=account_id, name="Оплата", position=0, is_active=True, created_at=now)
        session.add(root)
        await session.flush()
        child = Category(account_id=account_id, parent_id=root.id, name="Возвраты", position=0, is_active=True, created_at=now)
        other = Category(account_id=account_id, name="Доставка", position=1, is_active=True, created_at=now)
        session.add_all([child, other])
        session.add(CustomField(account_id=account_id, key="plan", label="Plan", type="select",
                                options=["basic", "pro"], required=False, position=0, is_active=True, created_at=now))
        await session.flush()
        session.add_all(TeamMember(team_id=team.id, agent_id=a) for a in agents)
        categories = [None, root.id, child.id, other.id]
        team_id = team.id
    started = time.perf_counter()
    batch = 2000
    number = 0
    order_no = ""
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        async with db.transaction() as session:
            contacts = []
            for i in range(size):
                n = offset + i
                contacts.append({"account_id": account_id, "name": f"Клиент {n}", "email": f"client{n}@example.com",
                                 "phone": f"+7900{n:07d}", "created_at": now, "updated_at": now})
            contact_ids = list((await session.execute(insert(Contact).returning(Contact.id), contacts)).scalars())
            await session.execute(insert(ContactIdentity), [
                {"account_id": account_id, "contact_id": cid, "kind": "email", "value": f"client{offset + i}@example.com",
                 "created_at": now} for i, cid in enumerate(contact_ids)])
            rows = []
            for contact_id in contact_ids:
                number += 1
                created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                status = rng.choice(STATUSES)
                active = status in ("open", "pending")
                due = created + timedelta(minutes=rng.choice([15, 30, 60, 240])) if active and rng.random() < 0.8 else None
                last = created + timedelta(minutes=rng.randint(1, 600))
                rows.append({
                    "account_id": account_id, "number": number, "inbox_id": tenant.inbox_id, "contact_id": contact_id,
                    "status": status, "type": "chat", "assignee_id": rng.choice([None, *agents]),
                    "team_id": team_id if rng.random() < 0.5 else None, "last_seq": messages_per,
                    "unread_count": 0, "contact_last_read_seq": 0, "last_message_body": "…",
                    "last_message_author_type": "contact", "last_message_kind": "text", "last_message_at": last,
                    "last_activity_at": last, "created_at": created, "updated_at": last, "transfer_count": 0,
                    "priority": rng.choice(PRIORITIES), "category_id": rng.choice(categories),
                    "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])), "fields": {"plan": rng.choice(["basic", "pro"])} if rng.random() < 0.3 else {},
                    "sla": {}, "sla_due_at": due, "sla_warn_at": due - timedelta(minutes=5) if due else None,
                    "resolved_at": last if status in ("resolved", "closed") else None,
                    "waiting_since": created if active and rng.random() < 0.5 else None, "context": {},
                })
            ids = list((await session.execute(insert(Conversation).returning(Conversation.id), rows)).scalars())
            messages, tags = [], []
            for conversation_id, row in zip(ids, rows, strict=True):
                for seq in range(1, messages_per + 1):
                    body = _body(rng)
                    if "№" in body:
                        order_no = body.rsplit("№", 1)[1].rstrip(".")  # one that is there
                    messages.append({
                        "account_id": account_id, "conversation_id": conversation_id, "seq": seq,
                        "author_type": "contact" if seq % 2 else "agent", "author_id": None, "author_name": None,
                        "kind": "text", "body": body,
                        "created_at": row["created_at"] + timedelta(minutes=seq),
                    })
                tags += [{"conversation_id": conversation_id, "tag": t, "account_id": account_id} for t in row["tags"]]
            await session.execute(insert(Message), messages)
            if tags:
                await session.execute(insert(ConversationTag), tags)
    async with db.transaction() as session:
        await session.execute(update(Account).where(Account.id == account_id).values(last_conversation_number=number))
    async with db.transaction() as session:  # fresh statistics, as a live database has
        await session.execute(text("ANALYZE"))
    await db.dispose()
    return {"fill_seconds": round(time.perf_counter() - started, 1), "root_category": root.id, "agent": agents[0],
            "order_no": order_no}


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("inbox: open, newest activity", {}),
    ("inbox: mine", {"view": "mine"}),
    ("inbox: all statuses", {"status": "all"}),
    ("filter: priority + tag", {"status": "all", "priority": "high,urgent", "tag": "vip"}),
    ("filter: category subtree", {"status": "all", "category_id": "{root}"}),
    ("filter: assignee, open+pending", {"status": "open,pending", "assignee_id": "{agent}"}),
    ("filter: SLA breached", {"status": "open,pending", "sla": "breached"}),
    ("filter: created last 30 days", {"status": "all", "created_from": "{month_ago}"}),
    ("filter: custom field", {"status": "all", "field.plan": "pro"}),
    ("sort: SLA due", {"status": "open,pending", "sort": "sla"}),
    ("search: «заказ» (any form)", {"status": "all", "q": "заказ"}),
    ("search: two words", {"status": "all", "q": "возврат куртки"}),
    ("search: english", {"status": "all", "q": "refunds"}),
    ("search: contact e-mail", {"status": "all", "q": "client4242@example.com"}),
    ("search: an order number", {"status": "all", "q": "{order_no}"}),
    ("search: a word in no conversation", {"status": "all", "q": "холодильник"}),
    ("search: every contact's domain", {"status": "all", "q": "example.com"}),
]
# The contact search (GET /api/v1/contacts, 20 at a time, no paging): every contact of the
# bench is "Клиент <n>" with client<n>@example.com and +7900<n>.
CONTACT_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("contacts: a name every contact has", {"q": "клиент"}),
    ("contacts: one by name and number", {"q": "Клиент 4242"}),
    ("contacts: an e-mail address", {"q": "client4242@example.com"}),
    ("contacts: phone digits", {"q": "0004242"}),
    ("contacts: every contact's domain", {"q": "example.com"}),
]


async def measure(base: str, email: str, password: str, rounds: int, context: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).raise_for_status()
        results = {}
        for name, params in QUERIES:
            params = {k: v.format(**context) if isinstance(v, str) else v for k, v in params.items()}
            first = await http.get("/api/v1/conversations", params={**params, "limit": 50})
            first.raise_for_status()
            cursor = first.json()["next_cursor"]
            pages = [{**params, "limit": 50, **({"cursor": cursor} if i % 5 == 4 and cursor else {})} for i in range(rounds)]
            # (some next pages too)
            results[name] = await _timed(http, "/api/v1/conversations", pages, len(first.json()["conversations"]))
        for name, params in CONTACT_QUERIES:
            first = await http.get("/api/v1/contacts", params={**params, "limit": 20})
            first.raise_for_status()
            results[name] = await _timed(http, "/api/v1/contacts", [{**params, "limit": 20}] * rounds, len(first.json()["contacts"]))
        return results


async def _timed(http: httpx.AsyncClient, path: str, requests: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    timings = []
    for params in requests:
        started = time.perf_counter()
        response = await http.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=5, help="messages per conversation")
    parser.add_argument("--rounds", type=int, default=40, help="timed requests per query")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()

    filled: dict[str, Any] = {}

    def prepare(url: str, tenant: Any) -> None:
        filled.update(fill(url, tenant, args.conversations, args.messages))

    target = start_own_server(agents=3, database_url=args.database_url, prepare=prepare)
    try:
        context = {
            "root": filled["root_category"], "agent": filled["agent"], "order_no": filled["order_no"],
            "month_ago": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
        }
        results = asyncio.run(measure(target.url, target.agent_emails[0], target.password, args.rounds, context))
    finally:
        target.stop()
    worst = max(r["p95_ms"] for r in results.values())
    emit({
        "benchmark": "inbox",
        "machine": machine(),
        "database": "postgresql" if args.database_url else "sqlite",
        "conversations": args.conversations,
        "messages": args.conversations * args.messages,
        "fill_seconds": filled["fill_seconds"],
        "queries": results,
        "worst_p95_ms": worst,
        "budget_p95_ms": 100,
        "within_budget": worst <= 100,
    })


if __name__ == "__main__":
    main()
