"""Service-desk changes to conversations: priority, category, tags, custom fields; the timers
that wake snoozed conversations and close resolved ones; bulk actions.

Preconditions as in helpline.conversations.actions: inside `db.transaction()`, the actor may
see the conversation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Account, Agent
from helpline.accounts.settings import AccountSettings
from helpline.core.audit import SYSTEM, Actor
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField, NotFound
from helpline.core.jobs import Job, enqueue, job_handler
from helpline.core.runtime import Services
from helpline.conversations import actions as conversation_actions
from helpline.conversations.models import Conversation, Status
from helpline.desk import sla
from helpline.desk.filters import InboxFilter
from helpline.desk.models import ConversationTag, Priority, SavedView
from helpline.desk.taxonomy import category_of, clean_field_values, custom_fields_of

MAX_TAGS = 20
_TAG = re.compile(r"^[\w][\w .:/+#&-]{0,49}$")


def clean_tags(tags: object) -> list[str]:
    """Tags lowercased and trimmed, each once, in the order given."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidField("Tags are a list of words.", field="tags")
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(tag.split()).lower()
        if not _TAG.match(tag):
            raise InvalidField(f"A tag is 1 to 50 letters, digits and -_.:/+#&, not {tag[:50]!r}.", field="tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidField(f"At most {MAX_TAGS} tags.", field="tags")
    return cleaned


async def store_tags(session: AsyncSession, conversation: Conversation, tags: list[str]) -> None:
    old = set(conversation.tags or [])
    if removed := old - set(tags):
        await session.execute(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == conversation.id, ConversationTag.tag.in_(removed)
            )
        )
    if added := [tag for tag in tags if tag not in old]:
        await session.execute(
            insert(ConversationTag),
            [{"conversation_id": conversation.id, "tag": tag, "account_id": conversation.account_id} for tag in added],
        )
    conversation.tags = tags


async def update_properties(
    session: AsyncSession, *, actor: Actor, conversation: Conversation, changes: dict[str, Any]
) -> None:
    """Change any of priority, category_id, tags (the whole list), add_tags, remove_tags and
    fields (a partial map of custom field values; null clears one) and sla_policy_id (the
    SLA clocks restart under it, as they do when the priority changes). Everything is checked
    before anything changes; one audit entry per field, one event."""
    unknown = set(changes) - {"priority", "category_id", "tags", "add_tags", "remove_tags", "fields", "sla_policy_id"}
    if unknown:
        raise InvalidField(f"Unknown property {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    new: dict[str, Any] = {}
    if "priority" in changes:
        if changes["priority"] not in tuple(Priority):
            raise InvalidField("Priority is low, normal, high or urgent.", field="priority")
        new["priority"] = changes["priority"]
    if "category_id" in changes:
        category_id = changes["category_id"]
        if category_id is not None:
            if isinstance(category_id, bool) or not isinstance(category_id, int):
                raise InvalidField("No such category.", field="category_id")
            try:
                category = await category_of(session, conversation.account_id, category_id)
            except NotFound:
                raise InvalidField("No such category.", field="category_id") from None
            if not category.is_active:
                raise InvalidField("This category is archived.", field="category_id")
        new["category_id"] = category_id
    tags = list(conversation.tags or [])
    if "tags" in changes:
        tags = clean_tags(changes["tags"])
    if "add_tags" in changes:
        tags += [tag for tag in clean_tags(changes["add_tags"]) if tag not in tags]
    if "remove_tags" in changes:
        removed = set(clean_tags(changes["remove_tags"]))
        tags = [tag for tag in tags if tag not in removed]
    if len(tags) > MAX_TAGS:
        raise InvalidField(f"At most {MAX_TAGS} tags.", field="tags")
    if "fields" in changes:
        if not isinstance(changes["fields"], dict):
            raise InvalidField("Fields are a map of field keys to values.", field="fields")
        definitions = await custom_fields_of(session, conversation.account_id)
        new["fields"] = clean_field_values(
            definitions, conversation.fields or {}, changes["fields"], enforce_required=False
        )
    policy_changes = "sla_policy_id" in changes and changes["sla_policy_id"] != conversation.sla_policy_id
    policy = None
    if policy_changes and changes["sla_policy_id"] is not None:
        policy_id = changes["sla_policy_id"]
        if isinstance(policy_id, bool) or not isinstance(policy_id, int):
            raise InvalidField("No such SLA policy.", field="sla_policy_id")
        try:
            policy = await sla.policy_of(session, conversation.account_id, policy_id)
        except NotFound:
            raise InvalidField("No such SLA policy.", field="sla_policy_id") from None
    audit: list[tuple[str, Any, Any]] = []
    old_priority = conversation.priority
    for field, value in new.items():
        old = getattr(conversation, field)
        if old != value:
            if field == "fields":
                for key in sorted(set(old or {}) | set(value)):
                    if (old or {}).get(key) != value.get(key):
                        audit.append((f"fields.{key}", (old or {}).get(key), value.get(key)))
            else:
                audit.append((field, old, value))
            setattr(conversation, field, value)
    if policy_changes:
        audit.append(("sla_policy", conversation.sla_policy_id, policy.id if policy else None))
        await sla.apply_policy(session, conversation, policy)
    elif conversation.priority != old_priority and conversation.sla_policy_id is not None:
        await sla.restart(session, conversation)  # the new priority's targets
    if tags != list(conversation.tags or []):
        audit.append(("tags", ", ".join(conversation.tags or []), ", ".join(tags)))
        await store_tags(session, conversation, tags)
    if audit:
        await conversation_actions.announce_changes(session, conversation, actor, *audit)


async def bulk_update(
    session: AsyncSession, *, actor: Agent, conversations: list[Conversation], action: dict[str, Any]
) -> None:
    """One action on many conversations (already loaded and locked, all the actor's to see):
    assign, set status, tag, untag, set priority. All or nothing."""
    kind = action.get("type")
    audit_actor = conversation_actions.agent_actor(actor)
    for conversation in conversations:
        if kind == "assign":
            await conversation_actions.assign_conversation(
                session, actor=actor, conversation=conversation, assignee_id=action.get("agent_id"),
                force=bool(action.get("force")),
            )
        elif kind == "status":
            try:
                status = Status(action.get("status"))
            except ValueError:
                raise InvalidField("Unknown status.", field="status") from None
            if status == Status.snoozed:
                raise InvalidField("Snooze conversations one at a time.", field="status")
            if conversation.status != status:
                await conversation_actions.set_status(
                    session, actor=audit_actor, conversation=conversation, status=status
                )
        elif kind in ("add_tags", "remove_tags"):
            await update_properties(
                session, actor=audit_actor, conversation=conversation, changes={kind: action.get("tags")}
            )
        elif kind == "priority":
            await update_properties(
                session, actor=audit_actor, conversation=conversation, changes={"priority": action.get("priority")}
            )
        else:
            raise InvalidField("Bulk actions are assign, status, add_tags, remove_tags and priority.", field="type")


# --- Saved views -------------------------------------------------------------------------------


async def save_view(
    session: AsyncSession,
    *,
    agent: Agent,
    name: str,
    filters: InboxFilter,
    shared: bool,
    position: int,
    view: SavedView | None = None,
) -> SavedView:
    """Create a saved view (the agent's own, or shared with the account), or change one."""
    if view is None:
        view = SavedView(account_id=agent.account_id, created_at=utcnow())
        session.add(view)
    view.name = " ".join(name.split())
    view.filters = filters.model_dump(mode="json", exclude_defaults=True)
    view.agent_id = None if shared else agent.id
    view.position = position
    await session.flush()
    return view


async def delete_view(session: AsyncSession, *, view: SavedView) -> None:
    await session.delete(view)
    await session.flush()


# --- Timers ------------------------------------------------------------------------------------


async def schedule_timers(session: AsyncSession, conversation: Conversation, old: str, new: Status) -> None:
    """A status hook: a snoozed conversation wakes at `snoozed_until`; a resolved one closes
    after the account's `close_after_days`. The jobs are keyed by the moment they were set,
    so a later change makes them no-ops and a restart fires each once."""
    if new == Status.snoozed and conversation.snoozed_until is not None:
        at = conversation.snoozed_until
        await enqueue(
            session, kind="desk.wake", payload={"conversation_id": conversation.id, "at": at.isoformat()},
            account_id=conversation.account_id, due_at=at, key=f"desk.wake:{conversation.id}:{at.isoformat()}",
        )
    elif new == Status.resolved and conversation.resolved_at is not None:
        account = await session.get(Account, conversation.account_id)
        days = AccountSettings.of(account.settings if account else None).close_after_days
        if days:
            at = conversation.resolved_at
            await enqueue(
                session, kind="desk.close", payload={"conversation_id": conversation.id, "resolved_at": at.isoformat()},
                account_id=conversation.account_id, due_at=at + timedelta(days=days),
                key=f"desk.close:{conversation.id}:{at.isoformat()}",
            )


@job_handler("desk.wake")
async def wake_job(services: Services, job: Job) -> None:
    """A snoozed conversation's time has come: open it again (unless it changed since)."""
    at = datetime.fromisoformat(job.payload["at"])
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, job.payload["conversation_id"], with_for_update=True)
        if conversation is None or conversation.status != Status.snoozed or conversation.snoozed_until != at:
            return
        await conversation_actions.set_status(session, actor=SYSTEM, conversation=conversation, status=Status.open)


@job_handler("desk.close")
async def close_job(services: Services, job: Job) -> None:
    """A resolved conversation nobody came back to: close it for good (unless it changed)."""
    resolved_at = datetime.fromisoformat(job.payload["resolved_at"])
    async with services.db.transaction() as session:
        conversation = await session.get(Conversation, job.payload["conversation_id"], with_for_update=True)
        if conversation is None or conversation.status != Status.resolved or conversation.resolved_at != resolved_at:
            return
        await conversation_actions.set_status(session, actor=SYSTEM, conversation=conversation, status=Status.closed)


async def tag_counts(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    """The account's tags by use, for suggestions and filters."""
    rows = await session.execute(
        select(ConversationTag.tag, func.count())
        .where(ConversationTag.account_id == account_id)
        .group_by(ConversationTag.tag)
        .order_by(func.count().desc(), ConversationTag.tag)
        .limit(500)
    )
    return [{"tag": tag, "count": count} for tag, count in rows]


conversation_actions.status_hooks.append(schedule_timers)
