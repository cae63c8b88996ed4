"""Operator chat: who may be in which room, posting, reading.

Rooms are named, not stored: "team:<id>" is the room of a team (its members), and
"dm:<a>:<b>" (a < b) the direct conversation of two agents. Messages are stored, then
announced to the room's members as an ephemeral signal carrying the stored message; a
console that was away reloads the rooms (with unread counts) over REST.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Team, TeamMember
from helpline.chat.models import ChatMessage, ChatRead
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import InvalidField, NotFound
from helpline.conversations.actions import clean_body

_ROOM = re.compile(r"^(team):(\d+)$|^(dm):(\d+):(\d+)$")


def direct_room(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"dm:{low}:{high}"


async def room_members(session: AsyncSession, agent: Agent, room: str) -> list[int]:
    """The agents of a room the agent may use; "not found" for any other room."""
    match = _ROOM.match(room)
    if match is None:
        raise NotFound("No such room.")
    if match.group(1):
        team = await session.get(Team, int(match.group(2)))
        if team is None or team.account_id != agent.account_id:
            raise NotFound("No such room.")
        members = list((await session.scalars(select(TeamMember.agent_id).where(TeamMember.team_id == team.id))).all())
    else:
        low, high = int(match.group(4)), int(match.group(5))
        if low >= high:
            raise NotFound("No such room.")
        members = list(
            (await session.scalars(select(Agent.id).where(Agent.id.in_((low, high)), Agent.account_id == agent.account_id))).all()
        )
        if len(members) != 2:
            raise NotFound("No such room.")
    if agent.id not in members:
        raise NotFound("No such room.")
    return members


def chat_message_out(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "room": message.room,
        "author": {"id": message.author_id, "name": message.author_name},
        "body": message.body,
        "client_id": message.client_id,
        "created_at": isoformat(message.created_at),
    }


async def post_chat_message(
    session: AsyncSession, *, agent: Agent, room: str, body: object, client_id: str
) -> tuple[ChatMessage, list[int], bool]:
    """Store a message in a room; returns it, the room's members and whether it was a resend."""
    members = await room_members(session, agent, room)
    text = clean_body(body)
    existing = await session.scalar(
        select(ChatMessage).where(
            ChatMessage.account_id == agent.account_id, ChatMessage.author_id == agent.id, ChatMessage.client_id == client_id
        )
    )
    if existing is not None:
        return existing, members, True
    message = ChatMessage(
        account_id=agent.account_id, room=room, author_id=agent.id, author_name=agent.name, body=text,
        client_id=client_id, created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    await mark_chat_read(session, agent=agent, room=room, message_id=message.id)
    return message, members, False


async def mark_chat_read(session: AsyncSession, *, agent: Agent, room: str, message_id: int) -> None:
    if message_id < 0:
        raise InvalidField("message_id must not be negative.", field="message_id")
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ChatRead).values(agent_id=agent.id, room=room, last_read_id=message_id)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["agent_id", "room"],
            set_={"last_read_id": func.max(ChatRead.last_read_id, statement.excluded.last_read_id)}
            if session.bind.dialect.name == "sqlite"
            else {"last_read_id": func.greatest(ChatRead.last_read_id, statement.excluded.last_read_id)},
        )
    )


async def rooms_of(session: AsyncSession, agent: Agent) -> list[dict[str, Any]]:
    """The agent's rooms: each team they are in, and a direct room with every other agent."""
    teams = (
        await session.scalars(
            select(Team).join(TeamMember, TeamMember.team_id == Team.id).where(TeamMember.agent_id == agent.id).order_by(Team.name)
        )
    ).all()
    others = (
        await session.scalars(
            select(Agent)
            .where(Agent.account_id == agent.account_id, Agent.id != agent.id, Agent.is_active.is_(True))
            .order_by(Agent.name)
        )
    ).all()
    rooms = [{"room": f"team:{t.id}", "kind": "team", "name": t.name, "agent_id": None} for t in teams]
    rooms += [{"room": direct_room(agent.id, o.id), "kind": "direct", "name": o.name, "agent_id": o.id} for o in others]
    names = [r["room"] for r in rooms]
    last = dict(
        (
            await session.execute(
                select(ChatMessage.room, func.max(ChatMessage.id))
                .where(ChatMessage.account_id == agent.account_id, ChatMessage.room.in_(names))
                .group_by(ChatMessage.room)
            )
        ).all()
    ) if names else {}
    read = dict(
        (await session.execute(select(ChatRead.room, ChatRead.last_read_id).where(ChatRead.agent_id == agent.id))).all()
    )
    unread = dict(
        (
            await session.execute(
                select(ChatMessage.room, func.count())
                .outerjoin(ChatRead, (ChatRead.room == ChatMessage.room) & (ChatRead.agent_id == agent.id))
                .where(
                    ChatMessage.account_id == agent.account_id,
                    ChatMessage.room.in_(names),
                    ChatMessage.author_id != agent.id,
                    ChatMessage.id > func.coalesce(ChatRead.last_read_id, 0),
                )
                .group_by(ChatMessage.room)
            )
        ).all()
    ) if names else {}
    for room in rooms:
        room["last_message_id"] = last.get(room["room"])
        room["last_read_id"] = read.get(room["room"], 0)
        room["unread"] = unread.get(room["room"], 0)
    return rooms


async def history(session: AsyncSession, *, room: str, account_id: int, before: int | None, limit: int) -> list[ChatMessage]:
    query = select(ChatMessage).where(ChatMessage.account_id == account_id, ChatMessage.room == room)
    if before is not None:
        query = query.where(ChatMessage.id < before)
    rows = (await session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit))).all()
    return list(reversed(rows))
