"""Console routes: login, logout, me, and the admin's agent management."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from helpline.accounts import actions, presence, teams
from helpline.accounts.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentAdmin, CurrentAgent
from helpline.accounts.models import Account, Agent, AgentSession, AgentStatus
from helpline.accounts.passwords import hash_password, verify_password
from helpline.accounts.schemas import AgentIn, AgentPatchIn, LoginIn, StatusIn, account_out, agent_out
from helpline.accounts.settings import FILE_KINDS, AccountSettings, FileKind, FileSettings
from helpline.conversations.queries import open_loads
from helpline.core.audit import Actor
from helpline.core.clock import utcnow
from helpline.core.errors import BadRequest, InvalidCredentials, NotFound, TooManyAttempts
from helpline.core.http import ServicesDep, client_ip

router = APIRouter(prefix="/api/v1")


def _set_cookies(request: Request, response: Response, token: str, csrf: str, max_age: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/"
    )


@router.post("/auth/login")
async def login(body: LoginIn, request: Request, response: Response, services: ServicesDep) -> dict:
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy) or "?"
    email = body.email.strip().lower()
    key = (ip, email)
    wait = max(services.login_failures.retry_after(key), services.login_failures_by_ip.retry_after(ip))
    if wait > 0:
        raise TooManyAttempts(wait)
    async with services.db.read() as session:
        agent = await session.scalar(select(Agent).where(Agent.email == email))
    ok = await verify_password(agent.password_hash if agent else None, body.password)
    if not ok or agent is None or not agent.is_active:
        services.login_failures.fail(key)
        services.login_failures_by_ip.fail(ip)
        raise InvalidCredentials()
    services.login_failures.reset(key)
    async with services.db.transaction() as session:
        agent = await session.get(Agent, agent.id)
        assert agent is not None
        token, row = await actions.start_session(
            session,
            agent=agent,
            days=services.settings.session_days,
            ip=ip,
            user_agent=request.headers.get("user-agent"),
        )
    _set_cookies(request, response, token, row.csrf_token, services.settings.session_days * 86400)
    return {"agent": agent_out(agent), "csrf_token": row.csrf_token}


@router.post("/auth/logout", status_code=204)
async def logout(context: CurrentAgent, response: Response, services: ServicesDep) -> Response:
    if context.session is None:
        raise BadRequest("An API token has no session to end; an admin revokes it.")
    async with services.db.transaction() as session:
        await actions.end_session(session, token=context.token)
        others = await session.scalar(
            select(func.count())
            .select_from(AgentSession)
            .where(AgentSession.agent_id == context.agent.id, AgentSession.expires_at > utcnow())
        )
        if not others:  # the last session: nobody is at this agent's console any more
            agent = await session.get(Agent, context.agent.id, with_for_update=True, populate_existing=True)
            if agent is not None:
                await presence.set_status(session, agent=agent, status=AgentStatus.offline)
    await services.hub.end_sessions(context.agent.account_id, session_id=context.session.id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me")
async def me(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        account = await session.get(Account, context.agent.account_id)
    assert account is not None
    settings = AccountSettings.of(account.settings)
    return {
        "agent": agent_out(context.agent),
        "account": {
            **account_out(account).model_dump(),
            "settings": {
                "auto_away_minutes": settings.auto_away_minutes,
                "close_after_days": settings.close_after_days,
                "files": settings.files.model_dump(),
            },
        },
        "csrf_token": context.session.csrf_token if context.session else None,
    }


Assignment = Literal["least_loaded", "round_robin", "manual"]


class TeamIn(BaseModel):
    name: str = Field(max_length=100)
    member_ids: list[int] = Field(default_factory=list, max_length=500)
    assignment: Assignment = "least_loaded"
    reassign_after: int = Field(0, ge=0, le=86_400)


class TeamPatchIn(BaseModel):
    name: str | None = Field(None, max_length=100)
    member_ids: list[int] | None = Field(None, max_length=500)
    assignment: Assignment | None = None
    reassign_after: int | None = Field(None, ge=0, le=86_400)


@router.get("/teams")
async def list_teams(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        return {"teams": await teams.teams_of_account(session, context.agent.account_id)}


@router.post("/teams", status_code=201)
async def create_team(body: TeamIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        team = await teams.save_team(
            session, actor=context.agent, team=None, name=body.name, member_ids=body.member_ids,
            assignment=body.assignment, reassign_after=body.reassign_after,
        )
    return {"team": team}


@router.patch("/teams/{team_id}")
async def update_team(team_id: int, body: TeamPatchIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        team = await teams.get_team_for(session, context.agent.account_id, team_id, lock=True)
        out = await teams.save_team(
            session, actor=context.agent, team=team, name=body.name, member_ids=body.member_ids,
            assignment=body.assignment, reassign_after=body.reassign_after,
        )
    return {"team": out}


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: int, context: CurrentAdmin, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        team = await teams.get_team_for(session, context.agent.account_id, team_id, lock=True)
        await teams.delete_team(session, actor=context.agent, team=team)
    return Response(status_code=204)


class FilesIn(BaseModel):
    max_mb: int = Field(ge=1, le=100)
    kinds: list[FileKind] = Field(default_factory=lambda: list(FILE_KINDS), max_length=5)


class AccountSettingsIn(BaseModel):
    auto_away_minutes: int = Field(ge=0, le=480)
    files: FilesIn
    close_after_days: int | None = Field(None, ge=0, le=365)


def _general(settings: AccountSettings) -> dict:
    return {
        "settings": {
            "auto_away_minutes": settings.auto_away_minutes,
            "close_after_days": settings.close_after_days,
            "files": settings.files.model_dump(),
        }
    }


@router.get("/account/settings")
async def get_account_settings(context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        account = await session.get(Account, context.agent.account_id)
    assert account is not None
    return _general(AccountSettings.of(account.settings))


@router.put("/account/settings")
async def put_account_settings(body: AccountSettingsIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        account = await session.get(Account, context.agent.account_id, with_for_update=True, populate_existing=True)
        assert account is not None
        settings = await actions.update_account_settings(
            session, actor=context.agent, account=account,
            auto_away_minutes=body.auto_away_minutes, files=FileSettings(**body.files.model_dump()),
            close_after_days=body.close_after_days,
        )
    return _general(settings)


@router.post("/me/status")
async def set_my_status(body: StatusIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        agent = await session.get(Agent, context.agent.id, with_for_update=True, populate_existing=True)
        assert agent is not None
        await presence.set_status(session, agent=agent, status=AgentStatus(body.status))
    return {"agent": agent_out(agent)}


@router.get("/agents")
async def list_agents(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        agents = (
            await session.scalars(
                select(Agent).where(Agent.account_id == context.agent.account_id).order_by(Agent.id)
            )
        ).all()
        loads = await open_loads(session, context.agent.account_id)
    return {"agents": [{**agent_out(a).model_dump(), "load": loads.get(a.id, 0)} for a in agents]}


@router.patch("/agents/{agent_id}")
async def patch_agent(agent_id: int, body: AgentPatchIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        agent = await session.get(Agent, agent_id, with_for_update=True)
        if agent is None or agent.account_id != context.agent.account_id:
            raise NotFound("No such agent.")
        await actions.update_agent(session, actor=context.agent, agent=agent, changes=body.model_dump())
    return {"agent": agent_out(agent)}


@router.post("/agents", status_code=201)
async def add_agent(body: AgentIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    password_hash = await hash_password(body.password)
    admin = context.agent
    async with services.db.transaction() as session:
        agent = await actions.create_agent(
            session,
            actor=Actor("agent", admin.id, admin.name),
            account_id=admin.account_id,
            name=body.name,
            email=body.email,
            password_hash=password_hash,
            role=body.role,
        )
    return {"agent": agent_out(agent)}


async def _set_active(agent_id: int, active: bool, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        agent = await session.get(Agent, agent_id)
        if agent is None or agent.account_id != context.agent.account_id:
            raise NotFound("No such agent.")
        await actions.set_agent_active(session, actor=context.agent, agent=agent, active=active)
    if not active:
        await services.hub.end_sessions(agent.account_id, agent_id=agent.id)
    return {"agent": agent_out(agent)}


@router.post("/agents/{agent_id}/deactivate")
async def deactivate_agent(agent_id: int, context: CurrentAdmin, services: ServicesDep) -> dict:
    return await _set_active(agent_id, False, context, services)


@router.post("/agents/{agent_id}/activate")
async def activate_agent(agent_id: int, context: CurrentAdmin, services: ServicesDep) -> dict:
    return await _set_active(agent_id, True, context, services)
