"""Console authentication: the session cookie, CSRF, and the `CurrentAgent` dependency."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from starlette.requests import HTTPConnection

from helpline.accounts.actions import token_digest
from helpline.accounts.models import Agent, AgentSession, Role
from helpline.core.clock import utcnow
from helpline.core.errors import BadRequest, CsrfFailed, Forbidden, NotAuthenticated
from helpline.core.http import ServicesDep
from helpline.core.runtime import Services

SESSION_COOKIE = "helpline_session"
CSRF_COOKIE = "helpline_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class AgentContext:
    agent: Agent
    session: AgentSession | None  # None: an API token (helpline.integrations.tokens)
    token: str


async def authenticate(connection: HTTPConnection, services: Services) -> AgentContext:
    """The agent behind the session cookie of a request or WebSocket, or behind the API token
    of a request (`Authorization: Bearer hl_…`); else NotAuthenticated."""
    scheme, _, bearer = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and connection.scope["type"] == "http":
        from helpline.integrations.tokens import agent_of_token, is_api_token

        if not is_api_token(bearer):
            raise NotAuthenticated()
        async with services.db.transaction() as session:
            agent = await agent_of_token(session, bearer)
        if agent is None:
            raise NotAuthenticated()
        return AgentContext(agent=agent, session=None, token=bearer)
    token = connection.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        raise NotAuthenticated()
    async with services.db.read() as session:
        row = (
            await session.execute(
                select(AgentSession, Agent)
                .join(Agent, Agent.id == AgentSession.agent_id)
                .where(AgentSession.token_hash == token_digest(token))
            )
        ).first()
    if row is None:
        raise NotAuthenticated()
    agent_session, agent = row
    if agent_session.expires_at <= utcnow() or not agent.is_active:
        raise NotAuthenticated()
    return AgentContext(agent=agent, session=agent_session, token=token)


def check_csrf(request: Request, agent_session: AgentSession | None, *, body: str = "application/json") -> None:
    """State-changing requests must echo the session's CSRF token and send JSON (or, for
    uploads, multipart/form-data).

    The JSON requirement matters too: a cross-site HTML form cannot send
    `application/json`, and a cross-site script cannot without a CORS preflight we refuse.
    An upload is a form, but no cross-site form can add the CSRF header. A request with an
    API token (no session) needs no CSRF token: no browser adds the token by itself.
    """
    if request.method in SAFE_METHODS:
        return
    if agent_session is not None:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), agent_session.csrf_token.encode()):
            raise CsrfFailed()
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == body:
        raise BadRequest(f"Send Content-Type: {body}.")


async def current_agent(request: Request, services: ServicesDep) -> AgentContext:
    context = await authenticate(request, services)
    check_csrf(request, context.session)
    return context


CurrentAgent = Annotated[AgentContext, Depends(current_agent)]


async def current_uploader(request: Request, services: ServicesDep) -> AgentContext:
    context = await authenticate(request, services)
    check_csrf(request, context.session, body="multipart/form-data")
    return context


CurrentUploader = Annotated[AgentContext, Depends(current_uploader)]


async def current_admin(context: CurrentAgent) -> AgentContext:
    if context.agent.role != Role.admin:
        raise Forbidden("Only admins may do this.")
    return context


CurrentAdmin = Annotated[AgentContext, Depends(current_admin)]
