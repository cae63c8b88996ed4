"""Create test tenants directly through the actions, as the CLI does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from helpline.accounts.actions import create_account, create_agent
from helpline.accounts.passwords import hash_password_sync
from helpline.core.audit import SYSTEM
from helpline.core.db import Database
from helpline.conversations.actions import create_inbox

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = hash_password_sync(PASSWORD)  # hashing is slow on purpose; do it once


@dataclass
class Tenant:
    account_id: int
    inbox_id: int
    site_key: str
    admin: str
    agents: list[str] = field(default_factory=list)
    supervisor: str = ""
    password: str = PASSWORD


async def make_tenant(database_url: str, *, site_settings: dict[str, Any] | None = None, agents: int = 2) -> Tenant:
    """A new account with a website inbox, an admin, a supervisor and `agents` agents."""
    tag = secrets.token_hex(4)
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            account = await create_account(session, name=f"Test {tag}")

            async def agent(name: str, role: str) -> str:
                email = f"{name}-{tag}@example.com"
                await create_agent(
                    session, actor=SYSTEM, account_id=account.id, name=name.title(), email=email,
                    password_hash=_PASSWORD_HASH, role=role,
                )
                return email

            admin = await agent("admin", "admin")
            supervisor = await agent("supervisor", "supervisor")
            agent_emails = [await agent(f"agent{i}", "agent") for i in range(1, agents + 1)]
            inbox = await create_inbox(
                session, actor=SYSTEM, account_id=account.id, channel="web", name=f"Site {tag}",
                site_key=f"site-{tag}",
                # Test sites stay online without a console connected unless a test says otherwise.
                settings={"offline_when_no_agents": False, **(site_settings or {})},
            )
            return Tenant(account.id, inbox.id, inbox.site_key or "", admin, agent_emails, supervisor)
    finally:
        await db.dispose()
