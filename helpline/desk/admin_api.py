"""Admin routes of the service desk: routing rules with their dry run, and SLA policies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.accounts.models import Agent, Team
from helpline.core.http import ServicesDep
from helpline.conversations.actions import agent_actor
from helpline.desk import routing, sla
from helpline.desk.models import Category, SlaPolicy

router = APIRouter(prefix="/api/v1")


# --- Routing rules ---------------------------------------------------------------------------


@router.get("/routing/rules")
async def list_rules(context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        rows = await routing.rules_of(session, context.agent.account_id)
    return {"rules": [routing.rule_out(r) for r in rows]}


@router.post("/routing/rules", status_code=201)
async def create_rule(body: dict[str, Any], context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        row = await routing.create_rule(
            session, actor=agent_actor(context.agent), account_id=context.agent.account_id, raw=body
        )
    return {"rule": routing.rule_out(row)}


@router.put("/routing/rules/{rule_id}")
async def update_rule(rule_id: int, body: dict[str, Any], context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        row = await routing.rule_of(session, context.agent.account_id, rule_id)
        await routing.update_rule(session, actor=agent_actor(context.agent), row=row, raw=body)
    return {"rule": routing.rule_out(row)}


@router.delete("/routing/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: int, context: CurrentAdmin, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        row = await routing.rule_of(session, context.agent.account_id, rule_id)
        await routing.delete_rule(session, actor=agent_actor(context.agent), row=row)
    return Response(status_code=204)


class OrderIn(BaseModel):
    ids: list[int] = Field(max_length=routing.MAX_RULES)


@router.put("/routing/order")
async def reorder(body: OrderIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        rows = await routing.reorder(
            session, actor=agent_actor(context.agent), account_id=context.agent.account_id, ids=body.ids
        )
    return {"rules": [routing.rule_out(r) for r in rows]}


@router.post("/routing/test")
async def dry_run(body: dict[str, Any], context: CurrentAdmin, services: ServicesDep) -> dict:
    """Which rules a message would match and what they would do; nothing is stored."""
    request = routing.dry_run_input(body)
    account_id = context.agent.account_id
    async with services.db.read() as session:
        outcome = await routing.run_rules(session, account_id, request)
        effect = outcome.effect
        names: dict[str, str | None] = {}
        for key, model, id_ in (
            ("team", Team, effect.team_id), ("category", Category, effect.category_id),
            ("sla_policy", SlaPolicy, effect.sla_policy_id), ("assignee", Agent, effect.assignee_id),
        ):
            if id_ is not None:
                row = await session.get(model, id_)
                names[key] = row.name if row is not None and row.account_id == account_id else None
    return {**routing.outcome_out(outcome), "names": names, "language": request.language}


# --- SLA policies ----------------------------------------------------------------------------


@router.get("/sla-policies")
async def list_policies(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        policies = await sla.policies_of(session, context.agent.account_id)
    return {"policies": [sla.policy_out(p) for p in policies]}


@router.post("/sla-policies", status_code=201)
async def create_policy(body: sla.PolicyIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        policy = await sla.save_policy(
            session, actor=agent_actor(context.agent), account_id=context.agent.account_id, data=body
        )
    return {"policy": sla.policy_out(policy)}


@router.put("/sla-policies/{policy_id}")
async def update_policy(policy_id: int, body: sla.PolicyIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        policy = await sla.policy_of(session, context.agent.account_id, policy_id)
        await sla.save_policy(
            session, actor=agent_actor(context.agent), account_id=context.agent.account_id, data=body, policy=policy
        )
    return {"policy": sla.policy_out(policy)}

