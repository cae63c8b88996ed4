"""SLA policies and the clocks they put on conversations.

A policy sets, per priority, three targets in business seconds: the first response, each next
response (a customer's message after an agent's answer), and the resolution. A conversation's
clocks live in `conversations.sla` as `{target: SlaTarget}`; the columns `sla_due_at` and
`sla_warn_at` hold the soonest due time of a running target and the moment it turns "at risk",
so the inbox filters and sorts by SQL.

What moves the clocks:
- the conversation gets a policy (routing, or the first matching policy): first response and
  resolution start from the conversation's creation;
- an agent's answer meets the first response and a running next response; a customer's
  message after an answer starts the next response;
- pending pauses every clock, open resumes them (snoozing does not pause: the customer waits);
- resolved meets the resolution (and stops a next response); closed stops everything;
- a priority or policy change restarts the unmet targets with the new times, from when each
  started.

A breach is found by a durable timer (`sla.breach`, keyed by conversation, target and due
time, so it fires once even across restarts and a moved due time makes the old timer a no-op).
It records an audit entry, an `sla.breached` event, and escalates as the policy says: tell
the supervisors, raise the priority, give the conversation to someone else.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.audit import SYSTEM, Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import NotFound, invalid_field_of
from helpline.core.events import Event, queue_event
from helpline.core.jobs import Job, enqueue, job_handler
from helpline.core.runtime import Services
from helpline.conversations import actions as conversation_actions
from helpline.conversations.models import Conversation, Message, MessageKind, Status
from helpline.desk import dispatch
from helpline.desk.hours import BusinessHours, subtract_business_time
from helpline.desk.models import PRIORITY_ORDER, Priority, SlaPolicy
from helpline.desk.sla_clock import SlaTarget

TargetName = Literal["first_response", "next_response", "resolution"]
TARGETS: tuple[TargetName, ...] = ("first_response", "next_response", "resolution")
MAX_TARGET = 90 * 24 * 3600


class Targets(BaseModel):
    model_config = {"extra": "forbid"}

    first_response: int | None = Field(None, ge=1, le=MAX_TARGET)
    next_response: int | None = Field(None, ge=1, le=MAX_TARGET)
    resolution: int | None = Field(None, ge=1, le=MAX_TARGET)


class Escalation(BaseModel):
    model_config = {"extra": "forbid"}

    notify: bool = True  # supervisors get an `sla.breached` event (their consoles alert)
    raise_priority: bool = False  # one step up, at most urgent
    reassign: bool = False  # to another free member of the conversation's team


class PolicyRules(BaseModel):
    """A policy's settings as stored in `sla_policies.rules`."""

    model_config = {"extra": "forbid"}

    targets: dict[Priority, Targets] = Field(default_factory=dict)
    hours: BusinessHours | None = None  # None: around the clock
    at_risk: float = Field(0.25, ge=0, le=1)  # "at risk" when less than this share is left
    # Which conversations get this policy when no routing rule names one (empty: any).
    categories: list[int] = Field(default_factory=list, max_length=100)
    inboxes: list[int] = Field(default_factory=list, max_length=100)
    escalation: Escalation = Escalation()

    @model_validator(mode="after")
    def _some_target(self) -> PolicyRules:
        if not any(getattr(t, name) for t in self.targets.values() for name in TARGETS):
            raise ValueError("a policy needs at least one target")
        return self


class PolicyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    rules: dict[str, Any]
    position: int = Field(0, ge=0, le=10_000)
    is_active: bool = True


def clean_rules(raw: dict[str, Any]) -> PolicyRules:
    try:
        return PolicyRules.model_validate(raw)
    except ValidationError as error:
        raise invalid_field_of(error, "rules") from None


def policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "name": policy.name,
        "rules": policy.rules,
        "position": policy.position,
        "is_active": policy.is_active,
    }


async def save_policy(
    session: AsyncSession, *, actor: Actor, account_id: int, data: PolicyIn, policy: SlaPolicy | None = None
) -> SlaPolicy:
    rules = clean_rules(data.rules).model_dump(mode="json")
    name = " ".join(data.name.split())
    if policy is None:
        policy = SlaPolicy(
            account_id=account_id, name=name, rules=rules, position=data.position, is_active=data.is_active,
            created_at=utcnow(),
        )
        session.add(policy)
        await session.flush()
        record_change(
            session, account_id=account_id, actor=actor, entity_type="sla_policy", entity_id=policy.id,
            field="created", old=None, new=name,
        )
        forget_policies(account_id)
        return policy
    for field, new in (("name", name), ("rules", rules), ("position", data.position), ("is_active", data.is_active)):
        old = getattr(policy, field)
        if old != new:
            record_change(
                session, account_id=account_id, actor=actor, entity_type="sla_policy", entity_id=policy.id,
                field=field, old=old if field != "rules" else None, new=new if field != "rules" else "changed",
            )
            setattr(policy, field, new)
    await session.flush()
    forget_policies(account_id)
    return policy


async def policies_of(session: AsyncSession, account_id: int) -> list[SlaPolicy]:
    return list(
        (
            await session.scalars(
                select(SlaPolicy).where(SlaPolicy.account_id == account_id).order_by(SlaPolicy.position, SlaPolicy.id)
            )
        ).all()
    )


async def policy_of(session: AsyncSession, account_id: int, policy_id: int) -> SlaPolicy:
    policy = await session.get(SlaPolicy, policy_id)
    if policy is None or policy.account_id != account_id:
        raise NotFound("No such SLA policy.")
    return policy


# Each account's active policies, parsed, for a moment (read for every new conversation and
# every message of a conversation under a policy). A change on this node clears the entry at
# once; other nodes see it within POLICIES_TTL seconds.
POLICIES_TTL = 2.0
_cached: dict[int, tuple[float, list[tuple[int, PolicyRules]]]] = {}


def forget_policies(account_id: int) -> None:
    _cached.pop(account_id, None)


async def active_policies(session: AsyncSession, account_id: int) -> list[tuple[int, PolicyRules]]:
    now = time.monotonic()
    hit = _cached.get(account_id)
    if hit is not None and now - hit[0] < POLICIES_TTL:
        return hit[1]
    rows = (
        await session.execute(
            select(SlaPolicy.id, SlaPolicy.rules)
            .where(SlaPolicy.account_id == account_id, SlaPolicy.is_active.is_(True))
            .order_by(SlaPolicy.position, SlaPolicy.id)
        )
    ).all()
    policies = [(row.id, PolicyRules.model_validate(row.rules)) for row in rows]
    if len(_cached) > 10_000:
        _cached.clear()
    _cached[account_id] = (now, policies)
    return policies


async def matching_policy(session: AsyncSession, conversation: Conversation) -> SlaPolicy | None:
    """The first active policy (by position) whose scope takes the conversation."""
    for policy_id, rules in await active_policies(session, conversation.account_id):
        if rules.categories and conversation.category_id not in rules.categories:
            continue
        if rules.inboxes and conversation.inbox_id not in rules.inboxes:
            continue
        return await session.get(SlaPolicy, policy_id)
    return None


# --- Clocks -----------------------------------------------------------------------------------


class SlaBreached(Event):
    type: Literal["sla.breached"] = "sla.breached"
    conversation_id: int
    number: int
    target: str
    due_at: str
    escalation: dict[str, bool]


class Clocks:
    """A conversation's SLA clocks under its policy, changed in memory and written back with
    `store` (which also keeps the due/warn columns and the breach timer in step)."""

    def __init__(self, conversation: Conversation, rules: PolicyRules) -> None:
        self.conversation = conversation
        self.rules = rules
        self.hours = rules.hours
        self.targets: dict[str, SlaTarget] = {
            name: SlaTarget.model_validate(value) for name, value in (conversation.sla or {}).items()
        }

    def seconds(self, name: TargetName) -> int | None:
        targets = self.rules.targets.get(Priority(self.conversation.priority))
        return getattr(targets, name) if targets else None

    def start(self, name: TargetName, at: datetime) -> None:
        seconds = self.seconds(name)
        if seconds:
            target = SlaTarget.start(self.hours, at, seconds)
            if self.conversation.status == Status.pending:
                target = target.pause(self.hours, max(at, utcnow()))
            self.targets[name] = target
        else:
            self.targets.pop(name, None)

    def meet(self, name: str, at: datetime) -> None:
        target = self.targets.get(name)
        if target is not None and target.met_at is None:
            self.targets[name] = target.met(at)

    def pause(self, at: datetime) -> None:
        for name, target in self.targets.items():
            if target.met_at is None and target.is_running:
                self.targets[name] = target.pause(self.hours, at)

    def resume(self, at: datetime) -> None:
        for name, target in self.targets.items():
            if target.met_at is None and target.is_paused:
                self.targets[name] = target.resume(self.hours, at)

    def running(self) -> list[tuple[str, SlaTarget]]:
        return [(n, t) for n, t in self.targets.items() if t.met_at is None and t.due_at is not None]

    async def store(self, session: AsyncSession) -> None:
        conversation = self.conversation
        conversation.sla = {name: target.model_dump(mode="json") for name, target in self.targets.items()}
        running = self.running()
        if not running:
            conversation.sla_due_at = conversation.sla_warn_at = None
            return
        name, soonest = min(running, key=lambda item: item[1].due_at)  # type: ignore[arg-type, return-value]
        assert soonest.due_at is not None
        conversation.sla_due_at = soonest.due_at
        conversation.sla_warn_at = min(
            subtract_business_time(self.hours, t.due_at, t.target_seconds * self.rules.at_risk)  # type: ignore[arg-type]
            for _, t in running
        )
        for name, target in running:
            if target.breached or target.due_at is None:
                continue
            await enqueue(
                session, kind="sla.breach",
                payload={"conversation_id": conversation.id, "target": name, "due_at": target.due_at.isoformat()},
                account_id=conversation.account_id, due_at=target.due_at,
                key=f"sla.breach:{conversation.id}:{name}:{target.due_at.isoformat()}",
            )


async def _clocks(session: AsyncSession, conversation: Conversation) -> Clocks | None:
    if conversation.sla_policy_id is None:
        return None
    for policy_id, rules in await active_policies(session, conversation.account_id):
        if policy_id == conversation.sla_policy_id:
            return Clocks(conversation, rules)
    policy = await session.get(SlaPolicy, conversation.sla_policy_id)  # archived: its clocks still run
    if policy is None:
        return None
    return Clocks(conversation, PolicyRules.model_validate(policy.rules))


async def apply_policy(session: AsyncSession, conversation: Conversation, policy: SlaPolicy | None) -> None:
    """Put the conversation under `policy` (None: no SLA); unmet targets restart under it
    from when they started (first response and resolution: from the conversation's start)."""
    conversation.sla_policy_id = policy.id if policy else None
    if policy is None:
        conversation.sla, conversation.sla_due_at, conversation.sla_warn_at = {}, None, None
        return
    await restart(session, conversation)


async def restart(session: AsyncSession, conversation: Conversation) -> None:
    """Recount the unmet targets (after a priority or policy change)."""
    clocks = await _clocks(session, conversation)
    if clocks is None:
        return
    old = clocks.targets
    clocks.targets = {name: target for name, target in old.items() if target.met_at is not None}
    if conversation.status in (Status.resolved, Status.closed):
        await clocks.store(session)
        return
    for name in TARGETS:
        if name in clocks.targets:
            continue
        if name == "next_response":
            if name in old:
                clocks.start(name, old[name].started_at)
        else:
            clocks.start(name, old[name].started_at if name in old else conversation.created_at)
    await clocks.store(session)


async def on_message(session: AsyncSession, row: Any, message: Message) -> Conversation | None:
    """A message hook: answers meet targets, the customer's next message starts one."""
    if row.sla_policy_id is None or message.kind != MessageKind.text or message.author_type not in ("agent", "contact"):
        return None
    conversation = await session.get(Conversation, row.id)
    assert conversation is not None
    clocks = await _clocks(session, conversation)
    if clocks is None:
        return None
    at = message.created_at
    if message.author_type == "agent":
        clocks.meet("first_response", at)
        clocks.meet("next_response", at)
    elif "first_response" in clocks.targets and clocks.targets["first_response"].met_at is not None:
        current = clocks.targets.get("next_response")
        if current is None or current.met_at is not None:
            clocks.start("next_response", at)
    else:
        return None
    await clocks.store(session)
    return conversation


async def on_status(session: AsyncSession, conversation: Conversation, old: str, new: Status) -> None:
    """A status hook: pending pauses, open resumes, resolved meets, closed stops."""
    clocks = await _clocks(session, conversation)
    if clocks is None:
        return
    now = utcnow()
    if new == Status.pending:
        clocks.pause(now)
    elif new == Status.open and old == Status.pending:
        clocks.resume(now)
    elif new == Status.resolved:
        clocks.resume(now)  # a pending conversation resolved: its clocks stop where they are
        clocks.meet("resolution", now)
        clocks.meet("next_response", now)
    elif new == Status.closed:
        for name in list(clocks.targets):
            clocks.meet(name, now)
    else:
        return
    await clocks.store(session)


@job_handler("sla.breach")
async def breach_job(services: Services, job: Job) -> None:
    """A target's due time came: if it is still due then, record the breach and escalate.
    Idempotent: a breach is recorded once (the target's `breached` flag)."""
    name = job.payload["target"]
    due_at = datetime.fromisoformat(job.payload["due_at"])
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, job.payload["conversation_id"], with_for_update=True)
        if conversation is None:
            return
        clocks = await _clocks(session, conversation)
        target = clocks.targets.get(name) if clocks else None
        if clocks is None or target is None or target.met_at is not None or target.due_at != due_at or target.breached:
            return
        clocks.targets[name] = target.model_copy(update={"breached": True})
        await clocks.store(session)
        escalation = clocks.rules.escalation
        changes: list[tuple[str, Any, Any]] = [(f"sla.{name}", "due", "breached")]
        if escalation.raise_priority and conversation.priority != Priority.urgent:
            order = list(Priority)
            raised = order[min(PRIORITY_ORDER[Priority(conversation.priority)] + 1, len(order) - 1)]
            changes.append(("priority", conversation.priority, raised.value))
            conversation.priority = raised.value
        await conversation_actions.announce_changes(session, conversation, SYSTEM, *changes)
        queue_event(
            session, conversation.account_id,
            SlaBreached(
                conversation_id=conversation.id, number=conversation.number, target=name,
                due_at=due_at.isoformat(), escalation=escalation.model_dump(),
            ),
            conversation_id=conversation.id, audience="agents",
        )
        if escalation.reassign and conversation.assignee_id is not None:
            await dispatch.reassign(session, conversation, reason=f"sla.{name} breached")


conversation_actions.message_hooks.append(on_message)
conversation_actions.status_hooks.append(on_status)
