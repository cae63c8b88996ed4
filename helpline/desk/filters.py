"""Finding work: the inbox's filters, sorting and paging, shared by the list endpoint and
saved views (a saved view is an `InboxFilter` kept as JSON)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import Select, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.models import Agent
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField, invalid_field_of
from helpline.conversations.models import Conversation, Inbox, Status
from helpline.desk.models import Category, ConversationTag, Priority

Sort = Literal["recent", "waiting", "sla", "created", "number"]
SlaState = Literal["ok", "at_risk", "breached"]
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class InboxFilter(BaseModel):
    """What an inbox list shows. Every part is optional; parts combine with AND, the values
    of one list part with OR."""

    model_config = {"extra": "forbid"}

    view: Literal["all", "mine", "unassigned"] = "all"
    status: list[Status] | Literal["all"] = Field(default_factory=lambda: [Status.open])
    assignee_id: int | Literal["none"] | None = None
    team_id: int | Literal["none"] | None = None
    priority: list[Priority] = Field(default_factory=list)
    category_id: int | None = None  # and its subcategories
    tag: list[str] = Field(default_factory=list, max_length=10)
    channel: list[str] = Field(default_factory=list, max_length=10)
    inbox_id: int | None = None
    sla: list[SlaState] = Field(default_factory=list)
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    fields: dict[str, str] = Field(default_factory=dict, max_length=10)
    q: str | None = Field(None, max_length=200)
    sort: Sort = "recent"

    @field_validator("tag")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [" ".join(tag.split()).lower() for tag in value if tag.strip()]


LIST_PARAMS = {"view", "status", "assignee_id", "team_id", "priority", "category_id", "tag", "channel",
               "inbox_id", "sla", "created_from", "created_to", "q", "sort"}
MULTI = {"priority", "tag", "channel", "sla"}


def filter_from_query(params: Any) -> InboxFilter:
    """The filter a list request's query string describes: `status=open,pending`,
    `priority=high&priority=urgent`, `field.order_no=42`, ... (unknown parameters other
    than paging are refused, so a typo does not silently show everything)."""
    raw: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for key in params:
        values = params.getlist(key)
        if key in ("limit", "cursor", "before"):
            continue
        if key.startswith("field."):
            fields[key[len("field."):]] = values[-1]
            continue
        if key not in LIST_PARAMS:
            raise InvalidField(f"Unknown filter {key[:40]!r}.", field=key[:40])
        if key in MULTI or key == "status":
            items = [item for value in values for item in value.split(",") if item]
            raw[key] = "all" if key == "status" and items == ["all"] else items
        else:
            raw[key] = values[-1]
    if fields:
        raw["fields"] = fields
    try:
        return InboxFilter.model_validate(raw)
    except ValidationError as error:
        raise invalid_field_of(error) from None


def _subtree(categories: list[tuple[int, int | None]], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for category_id, parent_id in categories:
        children.setdefault(parent_id, []).append(category_id)
    found, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found


# PostgreSQL uses an index on an expression only for the same expression, constants and all:
# there the "never" of the waiting and SLA sorts is written into the statement, as migration
# 0016 indexes them (SQLite, which has those indexes not, sorts them fast enough).
NEVER_SQL = "TIMESTAMP WITH TIME ZONE '9999-01-01 00:00:00+00'"
ORDER_INDEXES = ("ix_conversations_sla_order", "ix_conversations_waiting_order")  # not models


def sort_key(sort: Sort, dialect_name: str) -> tuple[Any, bool]:
    """The sort expression and whether it runs descending (ties break by id the same way)."""
    if sort in ("waiting", "sla"):
        column = Conversation.waiting_since if sort == "waiting" else Conversation.sla_due_at
        never = literal_column(NEVER_SQL) if dialect_name == "postgresql" else literal(FAR_FUTURE, column.type)
        return func.coalesce(column, never), False
    if sort == "created":
        return Conversation.created_at, True
    if sort == "number":
        return Conversation.number, True
    return Conversation.last_activity_at, True


def _cursor_value(conversation: Conversation, sort: Sort) -> Any:
    if sort == "waiting":
        return conversation.waiting_since or FAR_FUTURE
    if sort == "sla":
        return conversation.sla_due_at or FAR_FUTURE
    if sort == "created":
        return conversation.created_at
    if sort == "number":
        return conversation.number
    return conversation.last_activity_at


def encode_cursor(conversation: Conversation, sort: Sort) -> str:
    value = _cursor_value(conversation, sort)
    payload = [value.isoformat() if isinstance(value, datetime) else value, conversation.id]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    try:
        value, conversation_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "number":
            assert isinstance(value, int)
        else:
            value = datetime.fromisoformat(value)
            assert value.tzinfo is not None
        assert isinstance(conversation_id, int)
    except (ValueError, TypeError, AssertionError, json.JSONDecodeError):
        raise InvalidField("This cursor is not one the server gave.", field="cursor") from None
    return value, conversation_id


def sla_condition(state: SlaState, now: datetime) -> Any:
    if state == "breached":
        return Conversation.sla_due_at <= now
    if state == "at_risk":
        return and_(Conversation.sla_due_at > now, Conversation.sla_warn_at <= now)
    return and_(Conversation.sla_due_at > now, or_(Conversation.sla_warn_at.is_(None), Conversation.sla_warn_at > now))


async def filtered_query(
    session: AsyncSession, agent: Agent, spec: InboxFilter, *, now: datetime | None = None
) -> Select:
    """SELECT of the agent's account's conversations that `spec` keeps (unordered)."""
    now = now or utcnow()
    c = Conversation
    query = select(c).where(c.account_id == agent.account_id)
    if spec.status != "all":
        query = query.where(c.status.in_([s.value for s in spec.status]))
    if spec.view == "mine":
        query = query.where(c.assignee_id == agent.id)
    elif spec.view == "unassigned":
        query = query.where(c.assignee_id.is_(None))
    if spec.assignee_id is not None:
        query = query.where(c.assignee_id.is_(None) if spec.assignee_id == "none" else c.assignee_id == spec.assignee_id)
    if spec.team_id is not None:
        query = query.where(c.team_id.is_(None) if spec.team_id == "none" else c.team_id == spec.team_id)
    if spec.priority:
        query = query.where(c.priority.in_([p.value for p in spec.priority]))
    if spec.category_id is not None:
        rows = (
            await session.execute(select(Category.id, Category.parent_id).where(Category.account_id == agent.account_id))
        ).all()
        query = query.where(c.category_id.in_(_subtree(list(rows), spec.category_id)))
    for tag in spec.tag:
        query = query.where(
            select(ConversationTag.conversation_id)
            .where(ConversationTag.conversation_id == c.id, ConversationTag.tag == tag)
            .exists()
        )
    if spec.channel:
        query = query.where(
            c.inbox_id.in_(
                select(Inbox.id).where(Inbox.account_id == agent.account_id, Inbox.channel.in_(spec.channel))
            )
        )
    if spec.inbox_id is not None:
        query = query.where(c.inbox_id == spec.inbox_id)
    if spec.sla:
        query = query.where(or_(*(sla_condition(state, now) for state in spec.sla)))
    if spec.created_from is not None:
        query = query.where(c.created_at >= datetime.combine(spec.created_from, time(), UTC))
    if spec.created_to is not None:
        query = query.where(c.created_at < datetime.combine(spec.created_to, time(), UTC) + timedelta(days=1))
    for key, value in spec.fields.items():
        stored = c.fields[key].as_string()
        query = query.where(or_(stored == value, stored.like(f'%"{_like_escape(value)}"%', escape="\\")))
    if spec.q:
        from helpline.conversations.search import conversations_matching  # the search index

        query = query.where(await conversations_matching(session, agent.account_id, spec.q))
    return query


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', '\\"')


async def list_page(
    session: AsyncSession,
    agent: Agent,
    spec: InboxFilter,
    *,
    limit: int,
    cursor: str | None,
    before: datetime | None = None,
) -> tuple[list[Conversation], str | None]:
    """One page of the filtered list in the filter's order, and the cursor of the next."""
    if not 1 <= limit <= 200:
        raise InvalidField("limit must be between 1 and 200.", field="limit")
    query = await filtered_query(session, agent, spec)
    if before is not None:
        query = query.where(Conversation.last_activity_at < before)
    key, descending = sort_key(spec.sort, session.bind.dialect.name)
    if cursor:
        value, last_id = _decode_cursor(cursor, spec.sort)
        if descending:
            query = query.where(or_(key < value, and_(key == value, Conversation.id < last_id)))
        else:
            query = query.where(or_(key > value, and_(key == value, Conversation.id > last_id)))
    order = (key.desc(), Conversation.id.desc()) if descending else (key.asc(), Conversation.id.asc())
    rows = list((await session.scalars(query.order_by(*order).limit(limit))).all())
    return rows, encode_cursor(rows[-1], spec.sort) if len(rows) == limit else None


async def count(session: AsyncSession, agent: Agent, spec: InboxFilter) -> int:
    query = await filtered_query(session, agent, spec)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0
