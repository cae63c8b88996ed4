"""The demo account: a shop with a website widget, an admin and two agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from helpline.accounts.actions import create_account, create_agent
from helpline.accounts.models import Role, Team
from helpline.accounts.passwords import hash_password
from helpline.core.audit import SYSTEM
from helpline.core.db import Database
from helpline.canned.actions import create_canned
from helpline.conversations.actions import create_inbox
from helpline.conversations.models import Channel, Inbox
from helpline.accounts.models import TeamMember
from helpline.core.clock import utcnow
from helpline.desk.models import Macro, RoutingRule
from helpline.desk.sla import PolicyIn, save_policy
from helpline.desk.taxonomy import CategoryIn, CustomFieldIn, save_category, save_custom_field

DEMO_SITE_KEY = "demo"
DEMO_PEOPLE = (
    ("Админ Демо", "admin@demo.helpline", "demo-admin-pass", Role.admin),
    ("Мария Петрова", "maria@demo.helpline", "demo-agent-pass", Role.agent),
    ("Ivan Smirnov", "ivan@demo.helpline", "demo-agent-pass", Role.agent),
)


DEMO_CANNED = [
    ("привет", "Приветствие", "Здравствуйте, {{contact.name|друг}}! Меня зовут {{agent.first_name}}, чем могу помочь?"),
    ("hello", "Greeting", "Hello {{contact.name|there}}! I'm {{agent.first_name}} from {{site.name}}. How can I help?"),
    ("доставка", "Сроки доставки", "Доставка по Москве — 1–2 дня, по России — 3–7 дней. Номер заказа подскажете?"),
    ("спасибо", "Завершение", "Спасибо за обращение, {{contact.name|друг}}! Если появятся вопросы — пишите."),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str


async def seed_demo(db: Database) -> bool:
    """Create the demo account unless it exists. Returns whether it was created."""
    async with db.read() as session:
        if await session.scalar(select(Inbox.id).where(Inbox.site_key == DEMO_SITE_KEY)) is not None:
            return False
    hashes = [await hash_password(password) for _, _, password, _ in DEMO_PEOPLE]
    async with db.transaction() as session:
        account = await create_account(session, name="Demo shop")
        agents = []
        for (name, email, _, role), password_hash in zip(DEMO_PEOPLE, hashes, strict=True):
            agents.append(
                await create_agent(
                    session, actor=SYSTEM, account_id=account.id, name=name, email=email,
                    password_hash=password_hash, role=role,
                )
            )
        admin = next(a for a in agents if a.role == "admin")
        for shortcut, title, body in DEMO_CANNED:
            await create_canned(session, actor=admin, shortcut=shortcut, title=title, body=body, scope="shared")
        await create_inbox(
            session,
            actor=SYSTEM,
            account_id=account.id,
            channel=Channel.web,
            name="Demo shop website",
            site_key=DEMO_SITE_KEY,
            settings={
                "title": "Demo shop",
                "greeting": "Здравствуйте! Напишите нам — ответим за пару минут. / Hi! Write to us, we answer in minutes.",
                "offline_text": "Сейчас операторов нет на месте. Оставьте вопрос — ответим на e-mail. / "
                "Nobody is online now. Leave your question and we will answer by e-mail.",
            },
        )
        await _seed_desk(session, account.id, [a for a in agents if a.role == "agent"])
    return True


WORKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


async def _seed_desk(session: Any, account_id: int, agents: list[Any]) -> None:
    """Categories, a custom field, an SLA policy in business hours, a team that takes every
    chat, a routing rule, a web form and a macro — so the service desk shows at once."""
    now = utcnow()
    delivery = await save_category(session, actor=SYSTEM, account_id=account_id, data=CategoryIn(name="Доставка"))
    payments = await save_category(session, actor=SYSTEM, account_id=account_id, data=CategoryIn(name="Оплата"))
    refunds = await save_category(
        session, actor=SYSTEM, account_id=account_id, data=CategoryIn(name="Возвраты", parent_id=payments.id)
    )
    await save_custom_field(
        session, actor=SYSTEM, account_id=account_id,
        data=CustomFieldIn(key="order_no", label="Номер заказа / Order", type="number"),
    )
    await save_policy(
        session, actor=SYSTEM, account_id=account_id,
        data=PolicyIn(name="Стандарт / Standard", rules={
            "targets": {
                "low": {"first_response": 3600, "resolution": 3 * 86400},
                "normal": {"first_response": 900, "next_response": 1800, "resolution": 8 * 3600},
                "high": {"first_response": 600, "next_response": 900, "resolution": 4 * 3600},
                "urgent": {"first_response": 300, "next_response": 600, "resolution": 2 * 3600},
            },
            "hours": {"timezone": "Europe/Moscow", "weekly": WORKDAYS},
            "escalation": {"notify": True, "raise_priority": True},
        }),
    )
    team = Team(account_id=account_id, name="Поддержка / Support", created_at=now)
    session.add(team)
    await session.flush()
    session.add_all(TeamMember(team_id=team.id, agent_id=agent.id) for agent in agents)
    session.add_all([
        RoutingRule(account_id=account_id, position=1, created_at=now, updated_at=now, rule={
            "name": "Возвраты / Refunds", "match": "any",
            "conditions": [{"field": "text", "op": "contains_any", "value": ["вернуть", "возврат", "refund"]}],
            "actions": [{"type": "set_category", "value": refunds.id}, {"type": "add_tags", "value": ["возврат"]}],
        }),
        RoutingRule(account_id=account_id, position=2, created_at=now, updated_at=now, rule={
            "name": "Доставка / Delivery", "match": "any",
            "conditions": [{"field": "text", "op": "contains_any", "value": ["доставка", "курьер", "delivery"]}],
            "actions": [{"type": "set_category", "value": delivery.id}],
        }),
        RoutingRule(account_id=account_id, position=3, created_at=now, updated_at=now, rule={
            "name": "Всё в поддержку / Everything to Support",
            "actions": [{"type": "set_team", "value": team.id}],
        }),
    ])
    await create_inbox(
        session, actor=SYSTEM, account_id=account_id, channel=Channel.form, name="Обратная связь / Contact form",
        site_key="demo-form", settings={},
    )
    session.add(Macro(
        account_id=account_id, agent_id=None, name="Возврат: нужен чек / Refund: receipt", created_at=now,
        actions=[{"type": "set_category", "value": refunds.id}, {"type": "add_tags", "value": ["возврат"]},
                 {"type": "set_status", "value": "pending"}],
        reply="{{contact.name|Здравствуйте}}, пришлите, пожалуйста, фото чека — оформим возврат.",
    ))


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(email, password, role) for _, email, password, role in DEMO_PEOPLE]
