"""Console routes of the service desk: categories, custom fields, tags, conversation
properties and statuses, the audit trail, bulk actions and saved views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.accounts.models import Agent
from helpline.contacts.models import Contact
from helpline.core.audit import AuditEntry
from helpline.core.clock import isoformat
from helpline.core.errors import InvalidField, NotFound
from helpline.core.http import ServicesDep
from helpline.conversations import actions as conversation_actions
from helpline.conversations import queries
from helpline.conversations.models import Status
from helpline.desk import actions, taxonomy
from helpline.desk.filters import InboxFilter
from helpline.desk.models import CustomField, SavedView

router = APIRouter(prefix="/api/v1")


def _actor(context: CurrentAgent) -> Any:
    return conversation_actions.agent_actor(context.agent)


# --- Categories and custom fields -------------------------------------------------------------


@router.get("/categories")
async def list_categories(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        categories = await taxonomy.categories_of(session, context.agent.account_id)
    paths = taxonomy.category_paths(categories)
    return {"categories": [{**taxonomy.category_out(c), "path": paths[c.id]} for c in categories]}


@router.post("/categories", status_code=201)
async def create_category(body: taxonomy.CategoryIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        category = await taxonomy.save_category(
            session, actor=_actor(context), account_id=context.agent.account_id, data=body
        )
    return {"category": taxonomy.category_out(category)}


@router.put("/categories/{category_id}")
async def update_category(
    category_id: int, body: taxonomy.CategoryIn, context: CurrentAdmin, services: ServicesDep
) -> dict:
    async with services.db.transaction() as session:
        category = await taxonomy.category_of(session, context.agent.account_id, category_id)
        await taxonomy.save_category(
            session, actor=_actor(context), account_id=context.agent.account_id, data=body, category=category
        )
    return {"category": taxonomy.category_out(category)}


@router.get("/custom-fields")
async def list_custom_fields(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        fields = await taxonomy.custom_fields_of(session, context.agent.account_id)
    return {"fields": [taxonomy.custom_field_out(f) for f in fields]}


@router.post("/custom-fields", status_code=201)
async def create_custom_field(body: taxonomy.CustomFieldIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        field = await taxonomy.save_custom_field(
            session, actor=_actor(context), account_id=context.agent.account_id, data=body
        )
    return {"field": taxonomy.custom_field_out(field)}


@router.put("/custom-fields/{field_id}")
async def update_custom_field(
    field_id: int, body: taxonomy.CustomFieldIn, context: CurrentAdmin, services: ServicesDep
) -> dict:
    async with services.db.transaction() as session:
        field = await session.get(CustomField, field_id)
        if field is None or field.account_id != context.agent.account_id:
            raise NotFound("No such field.")
        await taxonomy.save_custom_field(
            session, actor=_actor(context), account_id=context.agent.account_id, data=body, field=field
        )
    return {"field": taxonomy.custom_field_out(field)}


@router.get("/tags")
async def list_tags(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        return {"tags": await actions.tag_counts(session, context.agent.account_id)}


# --- One conversation ------------------------------------------------------------------------


async def _summary(services: ServicesDep, context: CurrentAgent, conversation_id: int) -> dict:
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        [summary] = await queries.summaries(session, [conversation])
    return {"conversation": summary}


@router.patch("/conversations/{conversation_id}")
async def patch_conversation(
    conversation_id: int, body: dict[str, Any], context: CurrentAgent, services: ServicesDep
) -> dict:
    """Priority, category, tags, custom fields (see `actions.update_properties`)."""
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await actions.update_properties(session, actor=_actor(context), conversation=conversation, changes=body)
    return await _summary(services, context, conversation_id)


class StatusIn(BaseModel):
    status: Status
    snoozed_until: datetime | None = None


@router.post("/conversations/{conversation_id}/status")
async def set_status(conversation_id: int, body: StatusIn, context: CurrentAgent, services: ServicesDep) -> dict:
    if body.snoozed_until is not None and body.snoozed_until.tzinfo is None:
        raise InvalidField("Give the time with its UTC offset.", field="snoozed_until")
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await conversation_actions.set_status(
            session, actor=_actor(context), conversation=conversation, status=body.status,
            snoozed_until=body.snoozed_until,
        )
    return await _summary(services, context, conversation_id)


@router.get("/conversations/{conversation_id}/audit")
async def audit_trail(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    """Who changed what in the conversation, from what to what, when (oldest first)."""
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.account_id == conversation.account_id,
                    AuditEntry.entity_type == "conversation",
                    AuditEntry.entity_id == conversation.id,
                )
                .order_by(AuditEntry.id)
                .limit(2000)
            )
        ).all()
        agent_ids = {e.actor_id for e in entries if e.actor_type == "agent" and e.actor_id}
        contact_ids = {e.actor_id for e in entries if e.actor_type == "contact" and e.actor_id}
        agents = dict((await session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids)))).all()) if agent_ids else {}
        contacts = dict((await session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids)))).all()) if contact_ids else {}
    names = {"agent": agents, "contact": contacts}
    return {
        "entries": [
            {
                "id": e.id,
                "actor": {
                    "type": e.actor_type,
                    "id": e.actor_id,
                    "name": names.get(e.actor_type, {}).get(e.actor_id) if e.actor_id else None,
                },
                "field": e.field,
                "old": e.old_value,
                "new": e.new_value,
                "created_at": isoformat(e.created_at),
            }
            for e in entries
        ]
    }


# --- Many conversations ----------------------------------------------------------------------


class BulkIn(BaseModel):
    conversation_ids: list[int] = Field(min_length=1, max_length=200)
    action: dict[str, Any]


@router.post("/conversations/bulk")
async def bulk(body: BulkIn, context: CurrentAgent, services: ServicesDep) -> dict:
    """One action on up to 200 conversations, all or nothing."""
    ids = list(dict.fromkeys(body.conversation_ids))
    async with services.db.transaction() as session:
        conversations = [
            await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
            for conversation_id in sorted(ids)  # one lock order: concurrent bulk actions never deadlock
        ]
        await actions.bulk_update(session, actor=context.agent, conversations=conversations, action=body.action)
    return {"updated": len(ids)}


# --- Saved views -----------------------------------------------------------------------------


class ViewIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    filters: InboxFilter
    shared: bool = False  # for the whole account (supervisors and admins only)
    position: int = Field(0, ge=0, le=10_000)


def view_out(view: SavedView) -> dict:
    return {
        "id": view.id,
        "name": view.name,
        "filters": view.filters,
        "shared": view.agent_id is None,
        "position": view.position,
    }


async def _own_view(session: Any, context: CurrentAgent, view_id: int) -> SavedView:
    view = await session.get(SavedView, view_id)
    if view is None or view.account_id != context.agent.account_id:
        raise NotFound("No such view.")
    if view.agent_id != context.agent.id and not (view.agent_id is None and context.agent.role != "agent"):
        raise NotFound("No such view.")
    return view


def _check_shared(body: ViewIn, context: CurrentAgent) -> None:
    if body.shared and context.agent.role == "agent":
        raise InvalidField("Only supervisors and admins share views with everyone.", field="shared")


@router.get("/views")
async def list_views(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        views = (
            await session.scalars(
                select(SavedView)
                .where(SavedView.account_id == context.agent.account_id)
                .where((SavedView.agent_id == context.agent.id) | SavedView.agent_id.is_(None))
                .order_by(SavedView.position, SavedView.id)
            )
        ).all()
    return {"views": [view_out(v) for v in views]}


@router.post("/views", status_code=201)
async def create_view(body: ViewIn, context: CurrentAgent, services: ServicesDep) -> dict:
    _check_shared(body, context)
    async with services.db.transaction() as session:
        view = await actions.save_view(
            session, agent=context.agent, name=body.name, filters=body.filters, shared=body.shared, position=body.position
        )
    return {"view": view_out(view)}


@router.put("/views/{view_id}")
async def update_view(view_id: int, body: ViewIn, context: CurrentAgent, services: ServicesDep) -> dict:
    _check_shared(body, context)
    async with services.db.transaction() as session:
        view = await _own_view(session, context, view_id)
        await actions.save_view(
            session, agent=context.agent, name=body.name, filters=body.filters, shared=body.shared,
            position=body.position, view=view,
        )
    return {"view": view_out(view)}


@router.delete("/views/{view_id}", status_code=204)
async def delete_view(view_id: int, context: CurrentAgent, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        await actions.delete_view(session, view=await _own_view(session, context, view_id))
    return Response(status_code=204)
