"""The demo account seeds once, with the service desk set up (categories, SLA, team, rules,
form, macro) so `make run` shows it at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from helpline.core.db import Database
from helpline.core.migrate import migrate
from helpline.conversations.models import Inbox
from helpline.demo import seed_demo
from helpline.desk.models import Category, Macro, RoutingRule, SlaPolicy
from helpline.desk.rules import Rule
from helpline.desk.sla import PolicyRules


async def test_the_demo_seeds_once_with_a_working_desk(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    migrate(url)
    db = Database(url)
    try:
        assert await seed_demo(db) is True
        assert await seed_demo(db) is False
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(Category)) == 3
            [policy] = (await session.scalars(select(SlaPolicy))).all()
            PolicyRules.model_validate(policy.rules)
            rules = (await session.scalars(select(RoutingRule).order_by(RoutingRule.position))).all()
            assert [Rule.model_validate(r.rule).name for r in rules][-1].startswith("Всё в поддержку")
            assert await session.scalar(select(Inbox.channel).where(Inbox.site_key == "demo-form")) == "form"
            assert await session.scalar(select(func.count()).select_from(Macro)) == 1
    finally:
        await db.dispose()
