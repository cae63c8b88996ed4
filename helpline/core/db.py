"""The database: engines, sessions and the unit of work.

The edge (an HTTP request, a WebSocket frame, a job) owns the transaction: it opens one with
`db.transaction()`, calls actions, and the context manager commits. Actions never commit, so
they compose. Events the actions queued are written to the event log inside the transaction
and announced on the bus only after the commit succeeded; a rollback drops them.

PostgreSQL runs on asyncpg. SQLite runs inline on the event loop (see `core/sqlite.py`) with
one writer connection — SQLite allows one writer at a time anyway, and queueing writers on an
asyncio lock instead of spinning on SQLITE_BUSY keeps latency flat — and a pool of readers,
all in WAL mode so readers never wait for the writer. Either way actions get a session with
the `AsyncSession` surface.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker

from helpline.core import events
from helpline.core.sqlite import Checkpointer, InlineSession, create_inline_engine, sqlite_path

AfterCommit = Callable[[set[int]], Awaitable[None]]


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.after_commit: AfterCommit | None = None
        self._write_lock = asyncio.Lock()
        self._checkpointer: Checkpointer | None = None
        if self.is_sqlite:
            self.writer = create_inline_engine(url, synchronous=sqlite_synchronous, begin="BEGIN IMMEDIATE", pool_size=1)
            self.reader = create_inline_engine(url, synchronous=sqlite_synchronous, begin="BEGIN", pool_size=4)
            self._sync_writer_sessions = sessionmaker(self.writer, expire_on_commit=False)
            self._sync_reader_sessions = sessionmaker(self.reader, expire_on_commit=False)
            self._checkpointer = Checkpointer(sqlite_path(url))
            self._checkpointer.start()
        else:
            engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.async_engine = engine
            self._async_sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: yields a session, writes queued events, commits, announces."""
        if self.is_sqlite:
            async with self._write_lock:
                with self._sync_writer_sessions() as sync_session, sync_session.begin():
                    session = InlineSession(sync_session)
                    yield session  # type: ignore[misc]
                    accounts = await events.write_queued(session)  # type: ignore[arg-type]
        else:
            async with self._async_sessions() as session, session.begin():
                yield session
                accounts = await events.write_queued(session)
        if accounts and self.after_commit is not None:
            await self.after_commit(accounts)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session; it sees what was committed when its first query ran."""
        if self.is_sqlite:
            with self._sync_reader_sessions() as sync_session, sync_session.begin():
                yield InlineSession(sync_session)  # type: ignore[misc]
        else:
            async with self._async_sessions() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        if self.is_sqlite:
            self.writer.dispose()
            self.reader.dispose()
            if self._checkpointer is not None:
                self._checkpointer.stop()
        else:
            await self.async_engine.dispose()


__all__ = ["Database"]
