"""API tokens: the REST API for integrations, without a browser session.

An admin makes a token for an agent of the account (a dedicated "integration" agent, or
themself); a request with `Authorization: Bearer <token>` then acts as that agent, with that
agent's role, and stops working when the token is revoked or the agent deactivated. A token
carries no ambient authority (a browser never sends it by itself), so requests with one need
no CSRF token. Only its SHA-256 is stored; the token is shown once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.actions import token_digest
from helpline.accounts.models import Agent, Role
from helpline.core.audit import Actor, record_change
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import Forbidden, InvalidField, NotFound
from helpline.integrations.models import ApiToken

PREFIX = "hl_"
# last_used_at is written at most this often per token (a busy integration calls constantly).
TOUCH_EVERY = timedelta(minutes=1)


def is_api_token(value: str) -> bool:
    return value.startswith(PREFIX) and 20 <= len(value) <= 100


async def create_token(session: AsyncSession, *, actor: Agent, name: object, agent_id: object) -> tuple[ApiToken, str]:
    """A new token acting as `agent_id` (default: the admin); returns it and its secret."""
    if actor.role != Role.admin:
        raise Forbidden("Only admins make API tokens.")
    if not isinstance(name, str) or not " ".join(name.split()) or len(name) > 200:
        raise InvalidField("Name the token (up to 200 characters): who or what uses it.", field="name")
    if agent_id is None:
        agent_id = actor.id
    if not isinstance(agent_id, int) or isinstance(agent_id, bool):
        raise InvalidField("agent_id must be an agent's id.", field="agent_id")
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.account_id != actor.account_id or not agent.is_active:
        raise InvalidField("No such active agent in this account.", field="agent_id")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=actor.account_id,
        agent_id=agent.id,
        name=" ".join(name.split()),
        token_hash=token_digest(secret),
        prefix=secret[: len(PREFIX) + 6],
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(token)
    await session.flush()
    record_change(
        session, account_id=actor.account_id, actor=Actor("agent", actor.id, actor.name),
        entity_type="api_token", entity_id=token.id, field="created", old=None, new=f"{token.name} as {agent.name}",
    )  # fmt: skip
    return token, secret


async def revoke_token(session: AsyncSession, *, actor: Agent, token_id: int) -> None:
    if actor.role != Role.admin:
        raise Forbidden("Only admins revoke API tokens.")
    token = await session.get(ApiToken, token_id)
    if token is None or token.account_id != actor.account_id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_change(
            session,
            account_id=actor.account_id,
            actor=Actor("agent", actor.id, actor.name),
            entity_type="api_token",
            entity_id=token.id,
            field="revoked",
            old=None,
            new=token.name,
        )


async def agent_of_token(session: AsyncSession, secret: str) -> Agent | None:
    """The active agent a live token acts as, or None; notes when it was used."""
    row = (
        await session.execute(
            select(ApiToken, Agent)
            .join(Agent, Agent.id == ApiToken.agent_id)
            .where(ApiToken.token_hash == token_digest(secret))
        )
    ).first()
    if row is None:
        return None
    token, agent = row
    if token.revoked_at is not None or not agent.is_active or agent.account_id != token.account_id:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        await session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return agent


def token_out(token: ApiToken, agent_name: str | None) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "agent": {"id": token.agent_id, "name": agent_name},
        "created_at": isoformat(token.created_at),
        "last_used_at": isoformat(token.last_used_at),
        "revoked_at": isoformat(token.revoked_at),
    }
