"""The demo account: a shop with a website widget, an admin and two agents."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from helpline.accounts.actions import create_account, create_agent
from helpline.accounts.models import Role
from helpline.accounts.passwords import hash_password
from helpline.core.audit import SYSTEM
from helpline.core.db import Database
from helpline.canned.actions import create_canned
from helpline.conversations.actions import create_inbox
from helpline.conversations.models import Channel, Inbox

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
    return True


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(email, password, role) for _, email, password, role in DEMO_PEOPLE]
