"""Typing indicators: ephemeral signals on the bus, never stored (docs/protocol.md)."""

from __future__ import annotations

from helpline.accounts.models import Agent
from helpline.core.hub import Hub


async def signal_agent_typing(hub: Hub, *, agent: Agent, conversation_id: int, contact_id: int, active: bool) -> None:
    """Tell the customer's widget and the other agents that `agent` is typing (or stopped)."""
    await hub.signal(
        {
            "kind": "typing",
            "account_id": agent.account_id,
            "contact_id": contact_id,
            "conversation_id": conversation_id,
            "author": {"type": "agent", "id": agent.id, "name": agent.name},
            "active": active,
        }
    )
