"""Routes for integrations: API tokens and outgoing webhooks (admins). docs/protocol.md,
"Integrations"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select

from helpline.accounts.auth import CurrentAdmin
from helpline.accounts.models import Agent
from helpline.core.http import ServicesDep
from helpline.integrations import tokens, webhooks
from helpline.integrations.models import ApiToken, WebhookDelivery

router = APIRouter(prefix="/api/v1")


class TokenIn(BaseModel):
    name: Any = None
    agent_id: Any = None


@router.get("/api-tokens")
async def list_tokens(context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        rows = (
            await session.execute(
                select(ApiToken, Agent.name)
                .join(Agent, Agent.id == ApiToken.agent_id)
                .where(ApiToken.account_id == context.agent.account_id)
                .order_by(ApiToken.id)
            )
        ).all()
    return {"tokens": [tokens.token_out(token, name) for token, name in rows]}


@router.post("/api-tokens", status_code=201)
async def create_token(body: TokenIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    """The token itself is in this answer only."""
    async with services.db.transaction() as session:
        token, secret = await tokens.create_token(session, actor=context.agent, name=body.name, agent_id=body.agent_id)
        agent = await session.get(Agent, token.agent_id)
        out = tokens.token_out(token, agent.name if agent else None)
    return {"token": out, "secret": secret}


@router.delete("/api-tokens/{token_id}", status_code=204)
async def revoke_token(token_id: int, context: CurrentAdmin, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        await tokens.revoke_token(session, actor=context.agent, token_id=token_id)
    return Response(status_code=204)


class WebhookIn(BaseModel):
    url: Any = None
    events: Any = None


@router.get("/webhooks")
async def list_webhooks(context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        rows = (
            await session.scalars(
                select(webhooks.Webhook)
                .where(webhooks.Webhook.account_id == context.agent.account_id)
                .order_by(webhooks.Webhook.id)
            )
        ).all()
    return {"webhooks": [webhooks.webhook_out(w) for w in rows], "event_types": list(webhooks.EVENT_TYPES)}


@router.post("/webhooks", status_code=201)
async def create_webhook(body: WebhookIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        webhook = await webhooks.create_webhook(session, actor=context.agent, url=body.url, events=body.events)
    return {"webhook": webhooks.webhook_out(webhook)}


@router.patch("/webhooks/{webhook_id}")
async def patch_webhook(webhook_id: int, body: dict[str, Any], context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        webhook = await webhooks.get_webhook_for(session, context.agent, webhook_id, lock=True)
        await webhooks.update_webhook(session, actor=context.agent, webhook=webhook, changes=body)
    return {"webhook": webhooks.webhook_out(webhook)}


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: int, context: CurrentAdmin, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        webhook = await webhooks.get_webhook_for(session, context.agent, webhook_id, lock=True)
        await webhooks.delete_webhook(session, actor=context.agent, webhook=webhook)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries")
async def webhook_deliveries(webhook_id: int, context: CurrentAdmin, services: ServicesDep) -> dict:
    """The delivery log, newest first (the last 100 attempts)."""
    async with services.db.read() as session:
        webhook = await webhooks.get_webhook_for(session, context.agent, webhook_id)
        rows = (
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook.id)
                .order_by(WebhookDelivery.id.desc())
                .limit(100)
            )
        ).all()
    return {"deliveries": [webhooks.delivery_out(row) for row in rows]}


@router.post("/webhooks/{webhook_id}/ping")
async def ping_webhook(webhook_id: int, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        webhook = await webhooks.get_webhook_for(session, context.agent, webhook_id)
    return await webhooks.send_ping(services, webhook)
