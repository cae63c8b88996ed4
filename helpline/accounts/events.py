"""Typed events of accounts and agents."""

from __future__ import annotations

from typing import Any, Literal

from helpline.accounts.schemas import AgentOut
from helpline.core.events import Event


class AgentUpdated(Event):
    type: Literal["agent.updated"] = "agent.updated"
    agent: AgentOut


class TeamUpdated(Event):
    """A team was created or changed (`deleted`: removed); `team` is {id, name, member_ids}."""

    type: Literal["team.updated"] = "team.updated"
    team: dict[str, Any]
    deleted: bool = False
