"""SQLite, run inline on the event loop.

Why not aiosqlite: it runs every driver call in a helper thread and wakes the event loop for
each result, and SQLAlchemy makes several driver calls per statement; a trivial statement
costs ~300 µs of hops while SQLite itself needs ~1 µs. With WAL and `synchronous=NORMAL` a
commit only appends to the WAL (no fsync), so running SQLite on the loop thread is faster
and blocks it for microseconds. The one slow operation, the checkpoint that copies the WAL
back into the database and fsyncs, is taken off the write path: connections never
checkpoint on commit (`wal_autocheckpoint=0`); a background thread checkpoints passively
(without blocking readers or the writer) once a second.

`InlineSession` gives a synchronous SQLAlchemy `Session` the awaitable surface of
`AsyncSession` that actions use, so actions are written once for both databases.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0


def sqlite_path(url: str) -> str:
    return make_url(url).database or ":memory:"


def sync_url(url: str) -> str:
    """`sqlite+aiosqlite:///x.db` (or plain `sqlite:///x.db`) as a pysqlite URL."""
    return make_url(url).set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)


def create_inline_engine(url: str, *, synchronous: str, begin: str, pool_size: int) -> Engine:
    engine = create_engine(
        sync_url(url),
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
            "busy_timeout=5000",
            "wal_autocheckpoint=0",  # the checkpointer thread does it, off the write path
            "journal_size_limit=67108864",
        ):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
        # SQLITE_BUSY when another process (the CLI) writes at the same time.
        conn.exec_driver_sql(begin)

    return engine


class Checkpointer:
    """Checkpoints the WAL passively in a thread of its own."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    log.warning("sqlite checkpoint failed", exc_info=True)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            log.warning("sqlite final checkpoint failed", exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class InlineSession:
    """The awaitable surface of `AsyncSession` over a synchronous `Session`."""

    __slots__ = ("sync_session",)

    def __init__(self, sync_session: Session) -> None:
        self.sync_session = sync_session

    @property
    def info(self) -> dict[str, Any]:
        return self.sync_session.info

    @property
    def bind(self) -> Any:
        return self.sync_session.get_bind()

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kw)

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        return self.sync_session.get(entity, ident, **kw)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def refresh(self, instance: object, attribute_names: Any = None) -> None:
        self.sync_session.refresh(instance, attribute_names)

    async def merge(self, instance: Any, *, load: bool = True) -> Any:
        return self.sync_session.merge(instance, load=load)
