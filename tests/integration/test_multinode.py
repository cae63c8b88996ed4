"""Two nodes on one PostgreSQL database with the Redis bus: clients on different nodes
see each other live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, REDIS_URL, Databases
from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import make_tenant
from tests.support.server import Server

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL),
    reason="needs HELPLINE_TEST_DATABASE_URL and HELPLINE_TEST_REDIS_URL (make test starts both)",
)


@pytest.fixture
def two_nodes(databases: Databases, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    url = databases.new("postgres")
    nodes = (
        Server(database_url=url, data_dir=tmp_path / "a", redis_url=REDIS_URL),
        Server(database_url=url, data_dir=tmp_path / "b", redis_url=REDIS_URL),
    )
    for node in nodes:
        node.start()
    yield nodes
    for node in nodes:
        node.stop()


async def test_messages_typing_and_logouts_cross_nodes(two_nodes: tuple[Server, Server]) -> None:
    node_a, node_b = two_nodes
    tenant = await make_tenant(node_a.database_url)
    visitor = Visitor(node_a.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    agent = await Agent.login(node_b.url, tenant.agents[0], tenant.password)
    console = await agent.socket()

    ack = await send_and_ack(widget, "from node A")
    event = await console.wait_for(lambda f: f.get("event") == "message.created")
    assert event["data"]["message"]["body"] == "from node A"

    await widget.send({"type": "typing", "active": True})
    assert (await console.wait_for(lambda f: f["type"] == "typing"))["conversation_id"] == ack["conversation_id"]

    assert (await agent.reply(ack["conversation_id"], "from node B")).status_code == 201
    reply = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["author"]["type"] == "agent")
    assert reply["message"]["body"] == "from node B"

    # a logout through node A closes the same session's socket on node B
    on_a = Agent(node_a.url)
    on_a.http.cookies.update(agent.http.cookies)
    on_a.csrf = agent.csrf
    assert (await on_a.post("/api/v1/auth/logout")).status_code == 204
    assert await console.closed_with() == 4001
    await on_a.close()
    await agent.close()
    await visitor.close()
