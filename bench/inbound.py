"""Inbound channel webhooks: how many updates per second one node stores, without loss.

A Telegram inbox (webhook mode) receives R updates per second for S seconds from U
customers, POSTed as Telegram does (JSON, the secret-token header) over keep-alive
connections; one update in a hundred is delivered twice, as Telegram does when an answer is
slow. Reports the rate achieved, the webhook's answer time (p50 / p99 / max), the server's CPU
per update, and whether every update was stored exactly once. Budget (issue 5): 1,000
updates/s on one node without loss.

    python bench/inbound.py --rate 1000 --seconds 10 --customers 1000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import random
import secrets
import statistics
import time
from typing import Any

import httpx
from _support import cpu_seconds, emit, machine, rss_kb, start_own_server

TOKEN = "123456789:AAFakeTokenForHelplineBenchmarks_abcdef"


def prepare_inbox(url: str, tenant: Any, secret: str) -> int:
    return asyncio.run(_prepare(url, tenant, secret))


async def _prepare(url: str, tenant: Any, secret: str) -> int:
    from helpline.conversations.models import Inbox
    from helpline.core.clock import utcnow
    from helpline.core.db import Database

    db = Database(url)
    async with db.transaction() as session:
        inbox = Inbox(
            account_id=tenant.account_id, channel="telegram", name="Bench bot", secret=secret, status="ok",
            settings={"token": TOKEN, "mode": "webhook", "api_url": "http://127.0.0.1:9"}, is_active=True,
            created_at=utcnow(), cursor={},
        )
        session.add(inbox)
        await session.flush()
        inbox_id = inbox.id
    await db.dispose()
    return inbox_id


def update(update_id: int, user: int, message_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": user, "is_bot": False, "first_name": "Клиент", "last_name": str(user)},
            "chat": {"id": user, "type": "private"},
            "date": int(time.time()),
            "text": f"Здравствуйте! Вопрос по заказу {update_id}",
        },
    }


async def run(base: str, secret: str, signing_key: str, rate: float, seconds: float, customers: int) -> dict[str, Any]:
    token = hmac.new(signing_key.encode(), f"telegram:{secret}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Telegram-Bot-Api-Secret-Token": token}
    total = int(rate * seconds)
    rng = random.Random(5)
    updates = [update(1_000_000 + i, 500_000 + i % customers, 10 + i // customers) for i in range(total)]
    repeats = set(rng.sample(range(total), total // 100))
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:

        async def post(body: dict[str, Any]) -> None:
            nonlocal failures
            started = time.perf_counter()
            try:
                response = await http.post(f"/hooks/{secret}", json=body, headers=headers)
                if response.status_code != 200:
                    failures += 1
            except httpx.HTTPError:
                failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        started = time.perf_counter()
        for i, body in enumerate(updates):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(body)))
            if i in repeats:
                tasks.append(asyncio.create_task(post(body)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "sent": total,
        "repeats": len(repeats),
        "seconds": round(elapsed, 2),
        "achieved_per_second": round(total / elapsed, 1),
        "answer_p50_ms": round(statistics.median(latencies), 1),
        "answer_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "answer_max_ms": round(latencies[-1], 1),
        "failed_requests": failures,
    }


async def stored(url: str, inbox_id: int) -> tuple[int, int]:
    from sqlalchemy import func, select

    from helpline.conversations.models import Conversation, Message
    from helpline.core.db import Database

    db = Database(url)
    async with db.read() as session:
        messages = await session.scalar(
            select(func.count()).select_from(Message).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.inbox_id == inbox_id, Message.author_type == "contact")
        )
        distinct = await session.scalar(
            select(func.count(func.distinct(Message.client_id))).select_from(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.inbox_id == inbox_id, Message.author_type == "contact")
        )
    await db.dispose()
    return messages or 0, distinct or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    from tests.support.server import TEST_SECRET

    secret = secrets.token_urlsafe(24)
    box: dict[str, Any] = {}

    def prepare(url: str, tenant: Any) -> None:
        box["url"], box["inbox_id"] = url, prepare_inbox(url, tenant, secret)

    target = start_own_server(agents=2, database_url=args.database_url, prepare=prepare)
    try:
        cpu_before = cpu_seconds(target.pid)
        result = asyncio.run(run(target.url, secret, TEST_SECRET, args.rate, args.seconds, args.customers))
        cpu = cpu_seconds(target.pid) - cpu_before
        rss = rss_kb(target.pid)
        messages, distinct = asyncio.run(stored(box["url"], box["inbox_id"]))
    finally:
        target.stop()
    emit({
        "benchmark": "inbound", "machine": machine(), "database": "postgresql" if args.database_url else "sqlite",
        "target_per_second": args.rate, **result, "stored": messages, "stored_distinct": distinct,
        "lost": result["sent"] - distinct, "duplicated": messages - distinct,
        "server_cpu_ms_per_update": round(cpu * 1000 / result["sent"], 2), "server_rss_mb": round(rss / 1024),
    })


if __name__ == "__main__":
    main()
