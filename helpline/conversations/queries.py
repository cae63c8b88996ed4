"""Reads of conversations and messages. Tenant isolation lives in these functions."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Team
from helpline.contacts.models import Contact
from helpline.core.errors import NotFound
from helpline.conversations.models import Conversation, Inbox, Message, MessageKind, Status
from helpline.conversations.schemas import ConversationOut, conversation_out

async def get_conversation_for(
    session: AsyncSession, agent: Agent, conversation_id: int, *, lock: bool = False
) -> Conversation:
    """The conversation if it exists and `agent` may see it; the same NotFound otherwise."""
    query = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.account_id == agent.account_id
    )
    if lock:
        query = query.with_for_update()
    conversation = await session.scalar(query.execution_options(populate_existing=True))
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


async def summaries(session: AsyncSession, conversations: list[Conversation]) -> list[ConversationOut]:
    """Shape many conversations with four extra queries at most (no N+1)."""
    if not conversations:
        return []

    async def by_id(model: type, ids: set[int]) -> dict[int, object]:
        if not ids:
            return {}
        rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()
        return {row.id: row for row in rows}

    inboxes = await by_id(Inbox, {c.inbox_id for c in conversations})
    contacts = await by_id(Contact, {c.contact_id for c in conversations})
    agents = await by_id(Agent, {c.assignee_id for c in conversations if c.assignee_id})
    teams = await by_id(Team, {c.team_id for c in conversations if c.team_id})
    return [
        conversation_out(
            c,
            inbox=inboxes[c.inbox_id],  # type: ignore[arg-type]
            contact=contacts[c.contact_id],  # type: ignore[arg-type]
            assignee=agents.get(c.assignee_id) if c.assignee_id else None,  # type: ignore[arg-type]
            team=teams.get(c.team_id) if c.team_id else None,  # type: ignore[arg-type]
        )
        for c in conversations
    ]


async def inbox_counts(session: AsyncSession, agent: Agent) -> dict[str, object]:
    """Open conversations per tab, and how many of them have unread messages."""
    unassigned = Conversation.assignee_id.is_(None)
    mine = Conversation.assignee_id == agent.id
    unread = Conversation.unread_count > 0
    row = (
        await session.execute(
            select(
                func.count().filter(unassigned),
                func.count().filter(mine),
                func.count(),
                func.count().filter(and_(unassigned, unread)),
                func.count().filter(and_(mine, unread)),
                func.count().filter(unread),
            ).where(Conversation.account_id == agent.account_id, Conversation.status == Status.open)
        )
    ).one()
    return {
        "unassigned": row[0],
        "mine": row[1],
        "all": row[2],
        "unread": {"unassigned": row[3], "mine": row[4], "all": row[5]},
    }


async def messages_of(
    session: AsyncSession, conversation_id: int, *, after_seq: int = 0, include_notes: bool = True
) -> list[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after_seq)
    if not include_notes:  # what the customer sees: no notes, no whispers
        query = query.where(Message.kind == MessageKind.text)
    return list((await session.scalars(query.order_by(Message.seq))).all())


async def conversations_of_contact(session: AsyncSession, account_id: int, contact_id: int) -> list[Conversation]:
    return list(
        (
            await session.scalars(
                select(Conversation)
                .where(Conversation.account_id == account_id, Conversation.contact_id == contact_id)
                .order_by(Conversation.id.desc())
            )
        ).all()
    )


async def open_loads(session: AsyncSession, account_id: int) -> dict[int, int]:
    """Open conversations per assignee of the account (an agent's `load`)."""
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.account_id == account_id, Conversation.status == Status.open)
        .where(Conversation.assignee_id.is_not(None))
        .group_by(Conversation.assignee_id)
    )
    return dict(rows.all())
