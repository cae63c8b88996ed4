"""What the channel tests (tests/channels) ask the console's API over and over: an inbox's
conversations, a conversation's messages and a message's delivery state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.support import clients
from tests.support.clients import Agent


async def eventually(check: Callable[[], Any | Awaitable[Any]], timeout: float = 15.0) -> Any:
    """clients.eventually with the wait channel deliveries need (retries back off)."""
    return await clients.eventually(check, timeout=timeout)


async def conversations(agent: Agent, inbox_id: int) -> list[dict[str, Any]]:
    response = await agent.get("/api/v1/conversations", status="all", inbox_id=str(inbox_id))
    assert response.status_code == 200, response.text
    return response.json()["conversations"]


async def messages(agent: Agent, conversation_id: int) -> list[dict[str, Any]]:
    return (await agent.conversation(conversation_id))["messages"]


async def delivery_of(agent: Agent, conversation_id: int, message_id: int) -> dict[str, Any] | None:
    for message in await messages(agent, conversation_id):
        if message["id"] == message_id:
            return message["delivery"]
    raise AssertionError("no such message")


async def has_status(agent: Agent, conversation_id: int, message_id: int, status: str) -> bool:
    delivery = await delivery_of(agent, conversation_id, message_id)
    return delivery is not None and delivery["status"] == status
