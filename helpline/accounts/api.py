"""Console routes: login, logout, me, and the admin's agent management."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from helpline.accounts import actions
from helpline.accounts.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentAdmin, CurrentAgent
from helpline.accounts.models import Account, Agent
from helpline.accounts.passwords import hash_password, verify_password
from helpline.accounts.schemas import AgentIn, LoginIn, account_out, agent_out
from helpline.core.audit import Actor
from helpline.core.errors import InvalidCredentials, NotFound, TooManyAttempts
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
    async with services.db.transaction() as session:
        await actions.end_session(session, token=context.token)
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
    return {
        "agent": agent_out(context.agent),
        "account": account_out(account),
        "csrf_token": context.session.csrf_token,
    }


@router.get("/agents")
async def list_agents(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        agents = (
            await session.scalars(
                select(Agent).where(Agent.account_id == context.agent.account_id).order_by(Agent.id)
            )
        ).all()
    return {"agents": [agent_out(a) for a in agents]}


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
