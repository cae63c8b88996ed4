"""API shapes of accounts and agents."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from helpline.accounts.models import Account, Agent


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    status: str
    is_active: bool


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
        is_active=agent.is_active,
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
