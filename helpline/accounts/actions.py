"""Every change to accounts, agents and console sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.events import AgentUpdated
from helpline.accounts.models import Account, Agent, AgentSession, AgentStatus, Role
from helpline.accounts.schemas import agent_out
from helpline.accounts.settings import FILE_KINDS, AccountSettings, FileSettings
from helpline.contacts.actions import clean_email
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import Conflict, Forbidden, InvalidField
from helpline.core.events import queue_event


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_account(session: AsyncSession, *, name: str) -> Account:
    account = Account(name=name, last_conversation_number=0, created_at=utcnow())
    session.add(account)
    await session.flush()
    return account


async def create_agent(
    session: AsyncSession,
    *,
    actor: Actor,
    account_id: int,
    name: str,
    email: str,
    password_hash: str,
    role: str = Role.agent,
) -> Agent:
    """Add an agent. The caller hashes the password first (outside the transaction)."""
    clean = clean_email(email)
    if clean is None:
        raise InvalidField("E-mail is required.", field="email")
    email = clean.lower()
    name = " ".join(name.split())
    if not name:
        raise InvalidField("Name is required.", field="name")
    if role not in set(Role):
        raise InvalidField("Unknown role.", field="role")
    if await session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
        raise Conflict("An agent with this e-mail already exists.", field="email")
    agent = Agent(
        account_id=account_id,
        email=email,
        name=name,
        password_hash=password_hash,
        role=role,
        status=AgentStatus.offline,
        is_active=True,
        capacity=5,
        created_at=utcnow(),
    )
    session.add(agent)
    await session.flush()
    record_change(
        session, account_id=account_id, actor=actor, entity_type="agent", entity_id=agent.id,
        field="created", old=None, new=f"{email} ({role})",
    )
    queue_event(session, account_id, AgentUpdated(agent=agent_out(agent)), audience="agents")
    return agent


async def set_agent_active(session: AsyncSession, *, actor: Agent, agent: Agent, active: bool) -> None:
    """Deactivate (ending every session of the agent) or reactivate an agent."""
    if actor.role != Role.admin:
        raise Forbidden()
    if agent.id == actor.id and not active:
        raise InvalidField("You cannot deactivate yourself.", field="agent_id")
    if agent.is_active == active:
        return
    agent.is_active = active
    if not active:
        agent.status = AgentStatus.offline
        await session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id))
    record_change(
        session, account_id=agent.account_id, actor=Actor("agent", actor.id, actor.name),
        entity_type="agent", entity_id=agent.id, field="is_active", old=not active, new=active,
    )
    await session.flush()
    queue_event(session, agent.account_id, AgentUpdated(agent=agent_out(agent)), audience="agents")


async def start_session(
    session: AsyncSession, *, agent: Agent, days: int, ip: str | None, user_agent: str | None
) -> tuple[str, AgentSession]:
    """Log the agent in; returns the cookie token (shown once, stored only as a digest)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = AgentSession(
        token_hash=token_digest(token),
        agent_id=agent.id,
        account_id=agent.account_id,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(days=days),
        ip=ip,
        user_agent=(user_agent or "")[:400] or None,
    )
    session.add(row)
    agent.last_seen_at = now
    await session.flush()
    return token, row


async def end_session(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_digest(token)))


async def update_agent(session: AsyncSession, *, actor: Agent, agent: Agent, changes: dict[str, object]) -> None:
    """An admin renames an agent, changes the role, the capacity or the skills (each change
    audited)."""
    if actor.role != Role.admin:
        raise Forbidden()
    if agent.id == actor.id and changes.get("role") not in (None, Role.admin):
        raise InvalidField("You cannot take away your own admin role.", field="role")
    if isinstance(changes.get("name"), str):
        changes = {**changes, "name": " ".join(str(changes["name"]).split())}
        if not changes["name"]:
            raise InvalidField("A name is required.", field="name")
    changed = False
    for field in ("name", "role", "capacity", "skills"):
        new = changes.get(field)
        if new is None or getattr(agent, field) == new:
            continue
        record_change(
            session, account_id=agent.account_id, actor=Actor("agent", actor.id, actor.name),
            entity_type="agent", entity_id=agent.id, field=field, old=getattr(agent, field), new=new,
        )
        setattr(agent, field, new)
        changed = True
    if changed:
        await session.flush()
        queue_event(session, agent.account_id, AgentUpdated(agent=agent_out(agent)), audience="agents")


async def update_account_settings(
    session: AsyncSession,
    *,
    actor: Agent,
    account: Account,
    auto_away_minutes: int,
    files: FileSettings,
    close_after_days: int | None = None,
) -> AccountSettings:
    """An admin changes the account's general settings (SMTP has its own action)."""
    if actor.role != Role.admin:
        raise Forbidden()
    settings = AccountSettings.of(account.settings)
    files = files.model_copy(update={"kinds": [k for k in FILE_KINDS if k in files.kinds]})
    changes = {
        "auto_away_minutes": (settings.auto_away_minutes, auto_away_minutes),
        "files.max_mb": (settings.files.max_mb, files.max_mb),
        "files.kinds": (settings.files.kinds, files.kinds),
    }
    if close_after_days is not None:
        changes["close_after_days"] = (settings.close_after_days, close_after_days)
        settings.close_after_days = close_after_days
    for field, (old, new) in changes.items():
        if old != new:
            record_change(
                session, account_id=account.id, actor=Actor("agent", actor.id, actor.name),
                entity_type="account", entity_id=account.id, field=field, old=old, new=new,
            )
    settings.auto_away_minutes = auto_away_minutes
    settings.files = files
    account.settings = settings.model_dump(mode="json")
    await session.flush()
    return settings
