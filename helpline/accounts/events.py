"""Typed events of accounts and agents."""

from __future__ import annotations

from typing import Literal

from helpline.accounts.schemas import AgentOut
from helpline.core.events import Event


class AgentUpdated(Event):
    type: Literal["agent.updated"] = "agent.updated"
    agent: AgentOut
