"""Fixtures: a real server per database backend, tenants, agents and visitors."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from helpline.core.db import Database
from helpline.core.migrate import migrate
from tests.support.clients import Agent, Visitor
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server
from tests.support.telegram_api import TelegramApi

PG_URL = os.environ.get("HELPLINE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL")

BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def pytest_report_header(config: pytest.Config) -> str:
    return f"helpline backends: {', '.join(BACKENDS)}; redis: {'yes' if REDIS_URL else 'no'}"


class Databases:
    """Creates throw-away databases of either backend."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg_databases: list[str] = []

    def _pg_admin_dsn(self) -> str:
        assert PG_URL
        return PG_URL.replace("postgresql+asyncpg://", "postgresql://")

    def new(self, backend: str) -> str:
        name = f"helpline_t_{secrets.token_hex(4)}"
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.root / name}.db"
        else:
            async def create() -> None:
                conn = await asyncpg.connect(self._pg_admin_dsn())
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                finally:
                    await conn.close()

            _run_in_new_loop(create())
            self.pg_databases.append(name)
            assert PG_URL
            url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
        migrate(url)
        return url

    def drop_all(self) -> None:
        if not self.pg_databases:
            return

        async def drop() -> None:
            conn = await asyncpg.connect(self._pg_admin_dsn())
            try:
                for name in self.pg_databases:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        _run_in_new_loop(drop())


def _run_in_new_loop(coro: object) -> None:
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def server(backend: str, databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One shared server per backend; tests isolate themselves by using their own tenant."""
    srv = Server(database_url=databases.new(backend), data_dir=tmp_path_factory.mktemp(f"srv-{backend}"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def private_server(backend: str, databases: Databases, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, for tests that stop or restart it."""
    srv = Server(database_url=databases.new(backend), data_dir=tmp_path / "srv")
    srv.start()
    yield srv
    srv.stop()


@pytest_asyncio.fixture
async def db(server: Server) -> AsyncIterator[Database]:
    """The shared server's database, for setting up and checking what was stored."""
    database = Database(server.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def telegram() -> Iterator[TelegramApi]:
    """A loopback Telegram Bot API (tests/support/telegram_api.py)."""
    with TelegramApi() as api:
        yield api


@pytest_asyncio.fixture
async def tenant(server: Server) -> Tenant:
    return await make_tenant(server.database_url)


@pytest_asyncio.fixture
async def agent(server: Server, tenant: Tenant) -> AsyncIterator[Agent]:
    client = await Agent.login(server.url, tenant.agents[0], tenant.password)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def admin(server: Server, tenant: Tenant) -> AsyncIterator[Agent]:
    client = await Agent.login(server.url, tenant.admin, tenant.password)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def visitor(server: Server, tenant: Tenant) -> AsyncIterator[Visitor]:
    client = Visitor(server.url, tenant.site_key)
    await client.start({"url": "https://shop.example/catalog", "title": "Каталог", "referrer": "https://yandex.ru/search/?text=phone"})
    yield client
    await client.close()
