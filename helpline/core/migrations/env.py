"""Alembic environment: runs migrations on the async engine of the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from helpline.conversations.search import is_search_schema_object
from helpline.desk.filters import ORDER_INDEXES
from helpline.core.schema import metadata

config = context.config


def _include_name(name: str | None, type_: str, _parent_names: dict[str, str | None]) -> bool:
    # Full-text search tables and indexes (migrations 0008, 0010) and PostgreSQL's indexes of
    # the inbox's sort expressions (0016) are not models.
    return not is_search_schema_object(name, type_) and not (type_ == "index" and name in ORDER_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def _run_online(url: str) -> None:
    if url.startswith("sqlite"):
        from helpline.core.sqlite import sync_url

        engine = create_engine(sync_url(url), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online(config.get_main_option("sqlalchemy.url") or "")
