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
import json
import random
import secrets
import statistics
import time
from typing import Any

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


class Connection:
    """One keep-alive HTTP/1.1 connection sending POSTs one after another.

    The load generator is this small on purpose: httpx spends ~5 ms of CPU per request, so
    on a two-core machine it, not the server, would set the rate. Requests are written as
    bytes; a response is read as its status line, headers and Content-Length body."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.lock = asyncio.Lock()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async with self.lock:
            if self.writer is None or self.writer.is_closing():
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            self.writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body
            )
            try:
                status_line = await self.reader.readuntil(b"\r\n")
                length = 0
                while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await self.reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                self.writer.close()
                self.writer = None
                raise
            return int(status_line.split()[1])


async def run(base: str, secret: str, signing_key: str, rate: float, seconds: float, customers: int) -> dict[str, Any]:
    token = hmac.new(signing_key.encode(), f"telegram:{secret}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Telegram-Bot-Api-Secret-Token": token}
    total = int(rate * seconds)
    rng = random.Random(5)
    bodies = [
        json.dumps(update(1_000_000 + i, 500_000 + i % customers, 10 + i // customers)).encode() for i in range(total)
    ]
    repeats = set(rng.sample(range(total), total // 100))
    latencies: list[float] = []
    failures = 0
    host, port = base.removeprefix("http://").split(":")
    pool = [Connection(host, int(port)) for _ in range(64)]
    path = f"/hooks/{secret}"

    async def post(body: bytes, connection: Connection) -> None:
        nonlocal failures
        started = time.perf_counter()
        try:
            if await asyncio.wait_for(connection.post(path, body, headers), 30) != 200:
                failures += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            failures += 1  # a channel delivers such an update again; counted, not retried here
        latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(body, pool[i % len(pool)])))
        if i in repeats:
            tasks.append(asyncio.create_task(post(body, pool[(i + 1) % len(pool)])))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for connection in pool:
        if connection.writer is not None:
            connection.writer.close()
    latencies.sort()
    return {
        "sent": total,
        "repeats": len(repeats),
        "seconds": round(elapsed, 2),
        "accepted_per_second": round(total / elapsed, 1),
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
        started = time.perf_counter()
        result = asyncio.run(run(target.url, secret, TEST_SECRET, args.rate, args.seconds, args.customers))
        accept_cpu = cpu_seconds(target.pid) - cpu_before
        # The queue drains: every update stored as a message (or nothing more for a while).
        messages, distinct, last_change = 0, 0, time.perf_counter()
        while distinct < result["sent"] and time.perf_counter() - last_change < 30:
            time.sleep(0.5)
            now_stored = asyncio.run(stored(box["url"], box["inbox_id"]))
            if now_stored[1] != distinct:
                last_change = time.perf_counter()
            messages, distinct = now_stored
        drained = time.perf_counter() - started
        cpu = cpu_seconds(target.pid) - cpu_before
        rss = rss_kb(target.pid)
    finally:
        target.stop()
    emit({
        "benchmark": "inbound", "machine": machine(), "database": "postgresql" if args.database_url else "sqlite",
        "target_per_second": args.rate, **result, "all_stored_after_seconds": round(drained, 2),
        "stored_per_second": round(distinct / drained, 1), "stored": messages, "stored_distinct": distinct,
        "lost": result["sent"] - distinct, "duplicated": messages - distinct,
        "server_cpu_ms_per_update": round(cpu * 1000 / result["sent"], 2),
        "server_cpu_while_sending_percent": round(accept_cpu * 100 / result["seconds"]), "server_rss_mb": round(rss / 1024),
    })


if __name__ == "__main__":
    main()
