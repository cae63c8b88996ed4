"""API shapes of accounts and agents."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from helpline.accounts.models import Account, Agent
from helpline.core.clock import isoformat


class Skills(BaseModel):
    """What an agent is routed: conversations in these languages / categories (empty: any)."""

    model_config = {"extra": "forbid"}

    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]] = Field(default_factory=list, max_length=20)
    categories: list[int] = Field(default_factory=list, max_length=200)


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    status: str
    status_changed_at: str | None
    capacity: int
    is_active: bool
    skills: Skills


class AccountOut(BaseModel):
    id: int
    name: str


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(
        id=agent.id,
        name=agent.name,
        email=agent.email,
        role=agent.role,
        status=agent.status,
        status_changed_at=isoformat(agent.status_changed_at),
        capacity=agent.capacity,
        is_active=agent.is_active,
        skills=Skills.model_validate(agent.skills or {}),
    )


def account_out(account: Account) -> AccountOut:
    return AccountOut(id=account.id, name=account.name)


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)


class AgentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=1000)
    role: Literal["agent", "supervisor", "admin"] = "agent"


class AgentPatchIn(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: Literal["agent", "supervisor", "admin"] | None = None
    capacity: int | None = Field(None, ge=1, le=100)
    skills: Skills | None = None


class StatusIn(BaseModel):
    status: Literal["online", "away"]
