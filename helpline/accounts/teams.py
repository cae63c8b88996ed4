"""Teams: groups of agents. Each has a chat room, and conversations can be transferred to
a team (to its least-loaded available member, or its queue when nobody is free)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Role, Team, TeamMember
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import Conflict, Forbidden, InvalidField, NotFound
from helpline.accounts.events import TeamUpdated
from helpline.core.events import queue_event


def team_out(team: Team, member_ids: list[int]) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "member_ids": sorted(member_ids),
        "assignment": team.assignment,
        "reassign_after": team.reassign_after,
    }


async def members_of(session: AsyncSession, team_id: int) -> list[int]:
    return list((await session.scalars(select(TeamMember.agent_id).where(TeamMember.team_id == team_id))).all())


async def teams_of_account(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    teams = (await session.scalars(select(Team).where(Team.account_id == account_id).order_by(Team.name))).all()
    members: dict[int, list[int]] = {t.id: [] for t in teams}
    if teams:
        for team_id, agent_id in (
            await session.execute(select(TeamMember.team_id, TeamMember.agent_id).where(TeamMember.team_id.in_(members)))
        ):
            members[team_id].append(agent_id)
    return [team_out(t, members[t.id]) for t in teams]


async def get_team_for(session: AsyncSession, account_id: int, team_id: int, *, lock: bool = False) -> Team:
    team = await session.get(Team, team_id, with_for_update=lock)
    if team is None or team.account_id != account_id:
        raise NotFound("No such team.")
    return team


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidField("A team needs a name.", field="name")
    return name


async def _check_members(session: AsyncSession, account_id: int, member_ids: list[int]) -> list[int]:
    member_ids = list(dict.fromkeys(member_ids))
    found = set(
        (await session.scalars(select(Agent.id).where(Agent.id.in_(member_ids), Agent.account_id == account_id))).all()
    )
    if found != set(member_ids):
        raise InvalidField("Some members are not agents of this account.", field="member_ids")
    return member_ids


async def _unique(session: AsyncSession, account_id: int, name: str, skip: int | None) -> None:
    query = select(Team.id).where(Team.account_id == account_id, Team.name == name)
    if skip is not None:
        query = query.where(Team.id != skip)
    if await session.scalar(query) is not None:
        raise Conflict("A team with this name exists.")


def _audit(session: AsyncSession, actor: Agent, team: Team, field: str, old: Any, new: Any) -> None:
    record_change(
        session, account_id=team.account_id, actor=Actor("agent", actor.id, actor.name),
        entity_type="team", entity_id=team.id, field=field, old=old, new=new,
    )


async def save_team(
    session: AsyncSession,
    *,
    actor: Agent,
    team: Team | None,
    name: str | None,
    member_ids: list[int] | None,
    assignment: str | None = None,
    reassign_after: int | None = None,
) -> dict[str, Any]:
    """Create (team None) or change a team; admins only. `assignment` is how the team gives
    out waiting conversations (least_loaded, round_robin, manual); `reassign_after` the
    seconds an assignee may leave a customer unanswered (0: never)."""
    if actor.role != Role.admin:
        raise Forbidden()
    if team is None:
        name = _clean_name(name or "")
        await _unique(session, actor.account_id, name, None)
        team = Team(
            account_id=actor.account_id, name=name, assignment=assignment or "least_loaded",
            reassign_after=reassign_after or 0, created_at=utcnow(),
        )
        session.add(team)
        await session.flush()
        _audit(session, actor, team, "created", None, name)
        old_members: list[int] = []
    else:
        old_members = await members_of(session, team.id)
        if name is not None:
            name = _clean_name(name)
            if name != team.name:
                await _unique(session, actor.account_id, name, team.id)
                _audit(session, actor, team, "name", team.name, name)
                team.name = name
        for field, new in (("assignment", assignment), ("reassign_after", reassign_after)):
            if new is not None and getattr(team, field) != new:
                _audit(session, actor, team, field, getattr(team, field), new)
                setattr(team, field, new)
    members = old_members
    if member_ids is not None:
        members = await _check_members(session, actor.account_id, member_ids)
        if set(members) != set(old_members):
            await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
            session.add_all(TeamMember(team_id=team.id, agent_id=a) for a in members)
            _audit(session, actor, team, "members", sorted(old_members), sorted(members))
    await session.flush()
    out = team_out(team, members)
    queue_event(session, team.account_id, TeamUpdated(team=out), audience="agents")
    return out


async def delete_team(session: AsyncSession, *, actor: Agent, team: Team) -> None:
    if actor.role != Role.admin:
        raise Forbidden()
    out = team_out(team, await members_of(session, team.id))
    _audit(session, actor, team, "deleted", team.name, None)
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    await session.delete(team)
    await session.flush()
    queue_event(session, team.account_id, TeamUpdated(team=out, deleted=True), audience="agents")
