"""The reviewer in the product: conversations are reviewed when resolved (a durable job),
supervisors mark findings wrong, and the coach checks an agent's draft before it is sent."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Account
from helpline.core.audit import Actor as AuditActor
from helpline.core.audit import record_change
from helpline.core.clock import isoformat, utcnow
from helpline.core.errors import Forbidden, NotFound, invalid_field_of
from helpline.core.events import queue_event
from helpline.core.jobs import Job, job_handler
from helpline.conversations.models import AuthorType, Conversation, Message, MessageKind
from helpline.quality.config import Fault, ReviewConfig
from helpline.quality.conversation import ConversationIn, MessageIn, Role
from helpline.quality.events import ConversationReviewed
from helpline.quality.models import ConversationReview, ReviewMark
from helpline.quality.reviewer import Review, Reviewer

if TYPE_CHECKING:
    from helpline.core.runtime import Services

_ROLES = {
    AuthorType.contact: Role.customer,
    AuthorType.agent: Role.agent,
    AuthorType.bot: Role.bot,
    AuthorType.system: Role.system,
}
# What the coach may warn about: faults a draft itself can cause.
COACH_FAULTS = frozenset({
    Fault.template_phrase, Fault.repeated_message, Fault.link_without_explanation,
    Fault.premature_contact_request, Fault.emoji_in_money_topic, Fault.language_mismatch,
    Fault.unanswered_question, Fault.rude_tone,
})


@lru_cache(maxsize=64)
def _reviewer(overrides_json: str) -> Reviewer:
    """Reviewers are cached per configuration: compiling phrase lists is the slow part."""
    return Reviewer(ReviewConfig.model_validate_json(overrides_json))


def default_reviewer() -> Reviewer:
    return _reviewer("{}")


def reviewer_for(account_settings: dict[str, Any] | None) -> Reviewer:
    """The account's reviewer: the taxonomy's defaults with the account's overrides
    (`accounts.settings["quality"]`: thresholds, phrase lists, faults switched off)."""
    overrides = (account_settings or {}).get("quality") or {}
    return _reviewer(json.dumps(overrides, sort_keys=True, ensure_ascii=False))


def clean_quality_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Validate overrides as a whole configuration; keep only what was given, as JSON."""
    try:
        config = ReviewConfig.model_validate(overrides)
    except ValidationError as error:
        raise invalid_field_of(error) from None
    return config.model_dump(mode="json", include=set(overrides))


async def set_quality_overrides(session: AsyncSession, *, actor: Any, account: Account, overrides: dict[str, Any]) -> None:
    if actor.role != "admin":
        raise Forbidden()
    cleaned = clean_quality_overrides(overrides)
    record_change(
        session, account_id=account.id, actor=AuditActor("agent", actor.id, actor.name),
        entity_type="account", entity_id=account.id, field="quality", old=None, new=sorted(cleaned),
    )
    account.settings = {**(account.settings or {}), "quality": cleaned}
    await session.flush()


async def visible_messages(session: AsyncSession, conversation_id: int) -> list[Message]:
    """What the customer saw: no notes, no whispers."""
    return list(
        (
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.kind == MessageKind.text)
                .order_by(Message.seq)
            )
        ).all()
    )


def reviewer_input(conversation_id: int, messages: list[Message], draft: tuple[str, datetime] | None = None) -> ConversationIn:
    """The conversation in the reviewer's format: seconds from its first message."""
    start = messages[0].created_at if messages else (draft[1] if draft else utcnow())
    items = [
        MessageIn(
            t=max(0.0, (m.created_at - start).total_seconds()),
            role=_ROLES.get(m.author_type, Role.system),
            name=m.author_name,
            text=m.body or " ".join(f"[{a.get('name', 'file')}]" for a in m.attachments or []) or "[file]",
        )
        for m in messages
    ]
    if draft is not None:
        items.append(MessageIn(t=max(0.0, (draft[1] - start).total_seconds()), role=Role.agent, text=draft[0]))
    return ConversationIn(id=conversation_id, messages=items)


def review_out(review: ConversationReview | None, marks: set[str]) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "score": review.score,
        "reviewed_at": isoformat(review.reviewed_at),
        "findings": [{**f, "marked_wrong": f["fault"] in marks} for f in review.findings],
    }


async def marks_of(session: AsyncSession, conversation_id: int) -> set[str]:
    return set((await session.scalars(select(ReviewMark.fault).where(ReviewMark.conversation_id == conversation_id))).all())


async def review_conversation(session: AsyncSession, conversation: Conversation) -> ConversationReview | None:
    """Review the conversation now (with the account's configuration) and store the result,
    replacing an earlier review."""
    messages = await visible_messages(session, conversation.id)
    if not messages:
        return None
    account = await session.get(Account, conversation.account_id)
    reviewer = reviewer_for(account.settings if account else None)
    result: Review = reviewer.review(reviewer_input(conversation.id, messages))
    findings = [
        {
            "fault": f.fault.value,
            "seq": messages[f.message].seq if f.message is not None and f.message < len(messages) else None,
            "reason": f.reason,
        }
        for f in sorted(result.findings, key=lambda f: f.fault.value)
    ]
    review = await session.get(ConversationReview, conversation.id, with_for_update=True)
    if review is None:
        review = ConversationReview(conversation_id=conversation.id, account_id=conversation.account_id)
        session.add(review)
    review.assignee_id, review.team_id = conversation.assignee_id, conversation.team_id
    review.score, review.findings = result.score, findings
    review.reviewed_seq, review.reviewed_at = conversation.last_seq, utcnow()
    # Marks on findings the new review no longer makes are moot.
    await session.execute(
        delete(ReviewMark).where(
            ReviewMark.conversation_id == conversation.id, ReviewMark.fault.not_in([f["fault"] for f in findings])
        )
    )
    await session.flush()
    queue_event(
        session, conversation.account_id,
        ConversationReviewed(conversation_id=conversation.id, review=review_out(review, await marks_of(session, conversation.id)) or {}),
        conversation_id=conversation.id, audience="agents",
    )
    return review


@job_handler("quality.review")
async def review_job(services: Services, job: Job) -> None:
    """Idempotent: reviewing again gives the same review."""
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, job.payload["conversation_id"])
        if conversation is not None:
            await review_conversation(session, conversation)


async def mark_finding(session: AsyncSession, *, conversation_id: int, account_id: int, fault: str, wrong: bool, by: int) -> None:
    review = await session.get(ConversationReview, conversation_id)
    if review is None or fault not in {f["fault"] for f in review.findings}:
        raise NotFound("The review has no such finding.")
    existing = await session.get(ReviewMark, (conversation_id, fault))
    if wrong and existing is None:
        session.add(ReviewMark(conversation_id=conversation_id, fault=fault, account_id=account_id, marked_by_id=by, created_at=utcnow()))
    elif not wrong and existing is not None:
        await session.delete(existing)
    await session.flush()
    # Other consoles showing the review see the mark at once.
    queue_event(
        session, account_id,
        ConversationReviewed(conversation_id=conversation_id, review=review_out(review, await marks_of(session, conversation_id)) or {}),
        conversation_id=conversation_id, audience="agents",
    )


def coach(reviewer: Reviewer, messages: list[Message], conversation_id: int, draft: str) -> list[dict[str, str]]:
    """What the draft would add: findings on the draft itself, or a customer question since
    the agent's last message that the draft leaves untouched."""
    now = utcnow()
    with_draft = reviewer.review(reviewer_input(conversation_id, messages, (draft, now)))
    draft_index = len(messages)
    last_agent = max((i for i, m in enumerate(messages) if m.author_type == AuthorType.agent), default=-1)
    warnings = []
    for finding in with_draft.findings:
        if finding.fault not in COACH_FAULTS:
            continue
        on_draft = finding.message == draft_index
        open_question = finding.fault == Fault.unanswered_question and (finding.message or -1) > last_agent
        if on_draft or open_question:
            warnings.append({"fault": finding.fault.value, "reason": finding.reason})
    return warnings
