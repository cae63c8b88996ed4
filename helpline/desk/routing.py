"""Routing: what happens to a new conversation. The account's ordered rules
(helpline.desk.rules) decide team, category, priority, tags, custom fields, SLA policy,
assignee and automatic replies; then the SLA clocks start and the team assigns it or queues it.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent, Team
from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField, NotFound, invalid_field_of
from helpline.conversations.models import Conversation, Inbox, Message
from helpline.conversations import actions as conversation_actions
from helpline.desk import dispatch, sla
from helpline.desk.actions import clean_tags, store_tags
from helpline.desk.hours import BusinessHours
from helpline.desk.models import Category, RoutingRule, SlaPolicy
from helpline.desk.rules import Effect, Outcome, Rule, RoutingInput, detect_language, evaluate
from helpline.desk.taxonomy import clean_field_values, custom_fields_of

ROUTER = Actor("system", None, "Routing")
MAX_RULES = 200

# Each account's parsed rules, for a moment: parsing precomputes lemmas and regexes, and a new
# conversation should not pay for reading and parsing them. A change on this node clears the
# account's entry at once; other nodes see it within RULES_TTL seconds.
RULES_TTL = 2.0
_cached: dict[int, tuple[float, list[tuple[int, Rule]]]] = {}


def parse_rule(raw: dict[str, Any]) -> Rule:
    try:
        return Rule.model_validate(raw)
    except ValidationError as error:
        raise invalid_field_of(error, "rule") from None


def forget_rules(account_id: int) -> None:
    _cached.pop(account_id, None)


async def parsed_rules(session: AsyncSession, account_id: int) -> list[tuple[int, Rule]]:
    now = time.monotonic()
    hit = _cached.get(account_id)
    if hit is not None and now - hit[0] < RULES_TTL:
        return hit[1]
    rows = (
        await session.execute(
            select(RoutingRule.id, RoutingRule.rule)
            .where(RoutingRule.account_id == account_id)
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    ).all()
    rules = [(row.id, Rule.model_validate(row.rule)) for row in rows]
    if len(_cached) > 10_000:
        _cached.clear()
    _cached[account_id] = (now, rules)
    return rules


async def rules_of(session: AsyncSession, account_id: int) -> list[RoutingRule]:
    return list(
        (
            await session.scalars(
                select(RoutingRule)
                .where(RoutingRule.account_id == account_id)
                .order_by(RoutingRule.position, RoutingRule.id)
            )
        ).all()
    )


def rule_out(row: RoutingRule) -> dict[str, Any]:
    """The rule in its full shape (defaults filled in), with its id and place."""
    return {"id": row.id, "position": row.position, **Rule.model_validate(row.rule).model_dump(mode="json")}


async def create_rule(session: AsyncSession, *, actor: Actor, account_id: int, raw: dict[str, Any]) -> RoutingRule:
    rule = parse_rule(raw)
    count = await session.scalar(select(func.count()).where(RoutingRule.account_id == account_id)) or 0
    if count >= MAX_RULES:
        raise InvalidField(f"At most {MAX_RULES} routing rules.", field="rule")
    last = await session.scalar(select(func.max(RoutingRule.position)).where(RoutingRule.account_id == account_id))
    now = utcnow()
    row = RoutingRule(
        account_id=account_id, position=(last or 0) + 1, rule=rule.model_dump(mode="json"), created_at=now, updated_at=now
    )
    session.add(row)
    await session.flush()
    record_change(
        session, account_id=account_id, actor=actor, entity_type="routing_rule", entity_id=row.id,
        field="created", old=None, new=rule.name,
    )
    forget_rules(account_id)
    return row


async def rule_of(session: AsyncSession, account_id: int, rule_id: int) -> RoutingRule:
    row = await session.get(RoutingRule, rule_id)
    if row is None or row.account_id != account_id:
        raise NotFound("No such routing rule.")
    return row


async def update_rule(session: AsyncSession, *, actor: Actor, row: RoutingRule, raw: dict[str, Any]) -> None:
    rule = parse_rule(raw)
    row.rule = rule.model_dump(mode="json")
    row.updated_at = utcnow()
    record_change(
        session, account_id=row.account_id, actor=actor, entity_type="routing_rule", entity_id=row.id,
        field="rule", old=None, new=rule.name,
    )
    await session.flush()
    forget_rules(row.account_id)


async def delete_rule(session: AsyncSession, *, actor: Actor, row: RoutingRule) -> None:
    record_change(
        session, account_id=row.account_id, actor=actor, entity_type="routing_rule", entity_id=row.id,
        field="deleted", old=row.rule.get("name"), new=None,
    )
    await session.delete(row)
    await session.flush()
    forget_rules(row.account_id)


async def reorder(session: AsyncSession, *, actor: Actor, account_id: int, ids: list[int]) -> list[RoutingRule]:
    rows = await rules_of(session, account_id)
    if sorted(ids) != sorted(r.id for r in rows):
        raise InvalidField("Name every rule of the account once.", field="ids")
    by_id = {r.id: r for r in rows}
    for position, rule_id in enumerate(ids, start=1):
        by_id[rule_id].position = position
    record_change(
        session, account_id=account_id, actor=actor, entity_type="routing_rule", entity_id=0,
        field="order", old=None, new=",".join(map(str, ids)),
    )
    await session.flush()
    forget_rules(account_id)
    return sorted(rows, key=lambda r: r.position)


# --- Evaluation ------------------------------------------------------------------------------


def in_business_hours(inbox: Inbox, at: datetime) -> bool:
    hours = (inbox.settings or {}).get("hours")
    return True if not hours else BusinessHours.model_validate(hours).is_open(at)


async def run_rules(session: AsyncSession, account_id: int, request: RoutingInput) -> Outcome:
    return evaluate(await parsed_rules(session, account_id), request)


def request_of(inbox: Inbox, contact: Any, conversation: Conversation, text: str) -> RoutingInput:
    context = conversation.context or {}
    page = context.get("page") if isinstance(context.get("page"), dict) else {}
    return RoutingInput(
        channel=inbox.channel if inbox.channel in ("web", "email", "telegram", "vk", "viber", "whatsapp", "phone", "form") else "web",
        inbox_id=inbox.id,
        text=text,
        contact={"name": contact.name, "email": contact.email, "phone": contact.phone},
        page_url=(page or {}).get("url") or context.get("url"),
        language=conversation.language,
        in_business_hours=in_business_hours(inbox, conversation.created_at),
        custom=conversation.fields or {},
        priority=conversation.priority,
    )


async def _exists(session: AsyncSession, model: type, account_id: int, id_: int | None) -> bool:
    if id_ is None:
        return False
    row = await session.get(model, id_)
    return row is not None and row.account_id == account_id and getattr(row, "is_active", True)


async def route_new_conversation(session: AsyncSession, conversation: Conversation, first: Message, contact: Any) -> None:
    """A created hook: classify, time and place a conversation that its first customer
    message opened. Settings a rule names that no longer exist are skipped (and noted)."""
    conversation.language = detect_language(first.body) if first.body else None
    rules = await parsed_rules(session, conversation.account_id)
    if rules:
        inbox = await session.get(Inbox, conversation.inbox_id)
        assert inbox is not None
        outcome = evaluate(rules, request_of(inbox, contact, conversation, first.body))
    else:
        outcome = Outcome(trace=[], effect=Effect())
    effect = outcome.effect
    account_id = conversation.account_id
    changes: list[tuple[str, Any, Any]] = []
    skipped: list[str] = []

    def change(field: str, value: Any) -> None:
        old = getattr(conversation, field)
        if old != value:
            changes.append((field, old, value))
            setattr(conversation, field, value)

    if effect.team_id is not None:
        change("team_id", effect.team_id) if await _exists(session, Team, account_id, effect.team_id) else skipped.append("team")
    if effect.category_id is not None:
        (change("category_id", effect.category_id) if await _exists(session, Category, account_id, effect.category_id)
         else skipped.append("category"))
    if effect.priority is not None:
        change("priority", str(effect.priority))
    if effect.fields:
        definitions = await custom_fields_of(session, account_id)
        try:
            change("fields", clean_field_values(definitions, conversation.fields or {}, effect.fields, enforce_required=False))
        except InvalidField:
            skipped.append("fields")
    if effect.tags:
        tags = clean_tags(effect.tags)
        changes.append(("tags", ", ".join(conversation.tags or []), ", ".join(tags)))
        await store_tags(session, conversation, tags)
    if outcome.matched_rule_ids:
        names = [t.name for t in outcome.trace if t.matched]
        changes.append(("routing", None, "; ".join(names)[:500]))
    if skipped:
        changes.append(("routing.skipped", None, ", ".join(skipped)))

    policy = None
    if effect.sla_policy_id is not None and await _exists(session, SlaPolicy, account_id, effect.sla_policy_id):
        policy = await session.get(SlaPolicy, effect.sla_policy_id)
    else:
        policy = await sla.matching_policy(session, conversation)
    if policy is not None:
        changes.append(("sla_policy", None, policy.name))
        await sla.apply_policy(session, conversation, policy)

    # Never taken from an agent who has it already (one who invited the visitor, answered the call).
    if (
        effect.assignee_id is not None
        and conversation.assignee_id is None
        and await _exists(session, Agent, account_id, effect.assignee_id)
    ):
        change("assignee_id", effect.assignee_id)
        conversation.assigned_at = utcnow()
    if changes:
        await conversation_actions.announce_changes(session, conversation, ROUTER, *changes)
    if conversation.assignee_id is None:
        await dispatch.assign_from_team(session, conversation, reason="routing")

    # A conversation a machine started (an e-mail auto-reply or mailing: the channel marks its
    # context "automatic") gets no auto-reply: two responders answering each other loop.
    if effect.auto_replies and not (conversation.context or {}).get("automatic"):
        place = await dispatch.place_in_queue(session, conversation)
        for text in effect.auto_replies:
            body = render_queue(text, place, conversation.language or "ru")
            await conversation_actions.post_bot_message(session, conversation=conversation, body=body)


def _wait_text(seconds: int | None, language: str) -> str:
    if seconds is None:
        return "—"
    minutes = max(1, round(seconds / 60))
    return f"~{minutes} мин" if language == "ru" else f"~{minutes} min"


def render_queue(text: str, place: tuple[int, int | None] | None, language: str) -> str:
    """Fill {{queue.position}} and {{queue.wait}} (a conversation not waiting is first)."""
    position, wait = place if place else (0, 0)
    return (
        text.replace("{{queue.position}}", str(position) if place else "—")
        .replace("{{queue.wait}}", _wait_text(wait, language) if place else "—")
    )


def outcome_out(outcome: Outcome) -> dict[str, Any]:
    effect = asdict(outcome.effect)
    effect["priority"] = str(outcome.effect.priority) if outcome.effect.priority else None
    return {
        "trace": [asdict(t) for t in outcome.trace],
        "effect": effect,
        "matched_rule_ids": outcome.matched_rule_ids,
    }


def dry_run_input(raw: dict[str, Any]) -> RoutingInput:
    """A "test a message" request as a RoutingInput (422 naming the bad field)."""
    allowed = {"channel", "inbox_id", "text", "contact", "page_url", "language", "in_business_hours", "custom", "priority"}
    unknown = set(raw) - allowed
    if unknown:
        raise InvalidField(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    text = raw.get("text", "")
    if not isinstance(text, str) or len(text) > 5000:
        raise InvalidField("text is up to 5,000 characters.", field="text")
    for name in ("contact", "custom"):
        if not isinstance(raw.get(name, {}), dict):
            raise InvalidField(f"{name} is an object.", field=name)
    try:
        return RoutingInput(
            channel=raw.get("channel", "web"),
            inbox_id=raw.get("inbox_id"),
            text=text,
            contact=raw.get("contact", {}),
            page_url=raw.get("page_url"),
            language=raw.get("language") or None,
            in_business_hours=bool(raw.get("in_business_hours", True)),
            custom=raw.get("custom", {}),
            priority=raw.get("priority", "normal"),
        )
    except ValueError as error:
        raise InvalidField(str(error), field="channel" if "channel" in str(error) else "priority") from None


conversation_actions.created_hooks.append(route_new_conversation)
