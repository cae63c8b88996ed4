"""The database: engines, sessions and the unit of work.

The edge (an HTTP request, a WebSocket frame, a job) owns the transaction: it opens one with
`db.transaction()`, calls actions, and the context manager commits. Actions never commit, so
they compose. Events the actions queued are written to the event log inside the transaction
and announced on the bus only after the commit succeeded; a rollback drops them.

SQLite: one writer connection guarded by an asyncio lock (SQLite allows one writer at a time
anyway; queueing in Python instead of spinning on SQLITE_BUSY keeps latency flat) and a pool
of readers, all in WAL mode so readers never wait for the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from helpline.core import events

AfterCommit = Callable[[set[int]], Awaitable[None]]


def _sqlite_engine(url: str, *, synchronous: str, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=60)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
        # SQLITE_BUSY when another process (the CLI) writes at the same time.
        conn.exec_driver_sql(begin)

    return engine


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.after_commit: AfterCommit | None = None
        if self.is_sqlite:
            self.writer = _sqlite_engine(url, synchronous=sqlite_synchronous, begin="BEGIN IMMEDIATE", pool_size=1)
            self.reader = _sqlite_engine(url, synchronous=sqlite_synchronous, begin="BEGIN", pool_size=8)
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        else:
            self.writer = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.reader = self.writer
            self._write_lock = None
        self._writer_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._reader_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: yields a session, writes queued events, commits, announces."""
        if self._write_lock is not None:
            await self._write_lock.acquire()
        try:
            async with self._writer_sessions() as session:
                async with session.begin():
                    yield session
                    accounts = await events.write_queued(session)
        finally:
            if self._write_lock is not None:
                self._write_lock.release()
        if accounts and self.after_commit is not None:
            await self.after_commit(accounts)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session; it sees what was committed when its first query ran."""
        async with self._reader_sessions() as session:
            async with session.begin():
                yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
