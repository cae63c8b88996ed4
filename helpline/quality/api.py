"""Console routes of the quality domain (docs/protocol.md: reviews, marks, coach, report)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.accounts.models import Account, Agent, Role, Team
from helpline.core.clock import utcnow
from helpline.core.errors import Forbidden
from helpline.core.http import ServicesDep
from helpline.conversations.models import Conversation
from helpline.conversations.queries import get_conversation_for, summaries
from helpline.quality import actions
from helpline.quality.models import ConversationReview, ReviewMark

router = APIRouter(prefix="/api/v1")


class MarkIn(BaseModel):
    fault: str = Field(max_length=40)
    wrong: bool = Field(strict=True)


class CoachIn(BaseModel):
    draft: str = Field(max_length=5000)


def _supervisor(context: CurrentAgent) -> None:
    if context.agent.role not in (Role.supervisor, Role.admin):
        raise Forbidden("Quality reports are for supervisors and admins.")


@router.get("/conversations/{conversation_id}/review")
async def get_review(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        conversation = await get_conversation_for(session, context.agent, conversation_id)
        review = await session.get(ConversationReview, conversation.id)
        marks = await actions.marks_of(session, conversation.id)
    return {"review": actions.review_out(review, marks)}


@router.post("/conversations/{conversation_id}/review/marks")
async def mark(conversation_id: int, body: MarkIn, context: CurrentAgent, services: ServicesDep) -> dict:
    _supervisor(context)
    async with services.db.transaction() as session:
        conversation = await get_conversation_for(session, context.agent, conversation_id)
        await actions.mark_finding(
            session, conversation_id=conversation.id, account_id=conversation.account_id,
            fault=body.fault, wrong=body.wrong, by=context.agent.id,
        )
        review = await session.get(ConversationReview, conversation.id)
        marks = await actions.marks_of(session, conversation.id)
    return {"review": actions.review_out(review, marks)}


@router.post("/conversations/{conversation_id}/coach")
async def coach(conversation_id: int, body: CoachIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        conversation = await get_conversation_for(session, context.agent, conversation_id)
        messages = await actions.visible_messages(session, conversation.id)
        account = await session.get(Account, conversation.account_id)
    if not body.draft.strip():
        return {"warnings": []}
    reviewer = actions.reviewer_for(account.settings if account else None)
    return {"warnings": actions.coach(reviewer, messages, conversation.id, body.draft.strip())}


def _config_out(account: Account | None) -> dict:
    return {"config": actions.reviewer_for(account.settings if account else None).config.model_dump(mode="json")}


@router.get("/account/quality")
async def get_quality_config(context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        return _config_out(await session.get(Account, context.agent.account_id))


@router.put("/account/quality")
async def put_quality_config(body: dict[str, Any], context: CurrentAdmin, services: ServicesDep) -> dict:
    """Overrides of the reviewer's defaults (any fields of the configuration); {} resets."""
    async with services.db.transaction() as session:
        account = await session.get(Account, context.agent.account_id, with_for_update=True, populate_existing=True)
        assert account is not None
        await actions.set_quality_overrides(session, actor=context.agent, account=account, overrides=body)
    return _config_out(account)


@router.get("/quality")
async def report(
    context: CurrentAgent, services: ServicesDep,
    days: int = Query(30, ge=1, le=366), group: str = Query("agent", pattern="^(agent|team)$"),
) -> dict:
    _supervisor(context)
    account_id = context.agent.account_id
    since = utcnow() - timedelta(days=days)
    async with services.db.read() as session:
        reviews = (
            await session.scalars(
                select(ConversationReview)
                .where(ConversationReview.account_id == account_id, ConversationReview.reviewed_at >= since)
                .limit(50_000)
            )
        ).all()
        model = Agent if group == "agent" else Team
        names = dict((await session.execute(select(model.id, model.name).where(model.account_id == account_id))).all())
        marked = await session.scalar(
            select(func.count()).select_from(ReviewMark).where(ReviewMark.account_id == account_id, ReviewMark.created_at >= since)
        )
    groups: dict[int | None, list[ConversationReview]] = defaultdict(list)
    for review in reviews:
        groups[review.assignee_id if group == "agent" else review.team_id].append(review)
    out = []
    for key, rows in groups.items():
        by_day: dict[str, list[int]] = defaultdict(list)
        faults: Counter[str] = Counter()
        for review in rows:
            by_day[review.reviewed_at.date().isoformat()].append(review.score)
            faults.update(f["fault"] for f in review.findings)
        out.append({
            "id": key,
            "name": names.get(key) if key is not None else None,
            "conversations": len(rows),
            "average_score": round(sum(r.score for r in rows) / len(rows), 1),
            "series": [
                {"date": day, "conversations": len(scores), "average_score": round(sum(scores) / len(scores), 1)}
                for day, scores in sorted(by_day.items())
            ],
            "top_faults": [{"fault": fault, "count": count} for fault, count in faults.most_common(5)],
        })
    out.sort(key=lambda g: g["average_score"])
    findings = sum(len(r.findings) for r in reviews)
    return {"groups": out, "marks": {"findings": findings, "marked_wrong": marked or 0}}


@router.get("/quality/conversations")
async def drill_down(
    context: CurrentAgent, services: ServicesDep, days: int = Query(30, ge=1, le=366),
    agent_id: int | None = None, team_id: int | None = None, fault: str | None = Query(None, max_length=40),
) -> dict:
    _supervisor(context)
    since = utcnow() - timedelta(days=days)
    query = select(ConversationReview).where(
        ConversationReview.account_id == context.agent.account_id, ConversationReview.reviewed_at >= since
    )
    if agent_id is not None:
        query = query.where(ConversationReview.assignee_id == agent_id)
    if team_id is not None:
        query = query.where(ConversationReview.team_id == team_id)
    async with services.db.read() as session:
        reviews = [
            r for r in (await session.scalars(query.order_by(ConversationReview.score).limit(2000))).all()
            if fault is None or fault in {f["fault"] for f in r.findings}
        ][:200]
        conversations = {
            c.id: c
            for c in (await session.scalars(select(Conversation).where(Conversation.id.in_([r.conversation_id for r in reviews])))).all()
        }
        shaped = {s.id: s for s in await summaries(session, list(conversations.values()))}
    return {
        "conversations": [
            {"conversation": shaped[r.conversation_id], "score": r.score, "faults": sorted({f["fault"] for f in r.findings})}
            for r in reviews
            if r.conversation_id in shaped
        ]
    }
