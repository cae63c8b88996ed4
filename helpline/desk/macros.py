"""Macros: one click applies several actions to a conversation and puts a reply, filled in
for this customer, in the composer to edit and send (never sent by itself)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.auth import CurrentAgent
from helpline.accounts.models import Agent, Role, Team
from helpline.canned.actions import clean_canned_body, placeholder_values, render
from helpline.contacts.models import Contact
from helpline.core.clock import utcnow
from helpline.core.errors import Forbidden, InvalidField, NotFound, invalid_field_of
from helpline.core.http import ServicesDep
from helpline.conversations import actions as conversation_actions
from helpline.conversations import queries
from helpline.conversations.models import Conversation, Inbox, Status
from helpline.desk import actions as desk_actions
from helpline.desk.models import Macro, Priority


class SetPriority(BaseModel):
    type: Literal["set_priority"]
    value: Priority


class SetCategory(BaseModel):
    type: Literal["set_category"]
    value: int | None


class Tags(BaseModel):
    type: Literal["add_tags", "remove_tags"]
    value: list[str] = Field(min_length=1, max_length=20)


class SetStatus(BaseModel):
    type: Literal["set_status"]
    value: Literal["open", "pending", "resolved", "closed"]


class Assign(BaseModel):
    type: Literal["assign"]
    value: int | Literal["me"] | None  # an agent, the one applying the macro, or nobody


class SetTeam(BaseModel):
    type: Literal["set_team"]
    value: int


class SetField(BaseModel):
    type: Literal["set_field"]
    key: str = Field(min_length=1, max_length=50)
    value: Any = None


MacroAction = Annotated[SetPriority | SetCategory | Tags | SetStatus | Assign | SetTeam | SetField, Field(discriminator="type")]


class MacroIn(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    actions: list[MacroAction] = Field(default_factory=list, max_length=20)
    reply: str | None = Field(None, max_length=5000)
    shared: bool = False


def macro_out(macro: Macro) -> dict[str, Any]:
    return {"id": macro.id, "name": macro.name, "actions": macro.actions, "reply": macro.reply,
            "shared": macro.agent_id is None}


def _clean(body: MacroIn, agent: Agent) -> tuple[str, list[dict[str, Any]], str | None]:
    if not body.actions and not body.reply:
        raise InvalidField("A macro does something: actions, a reply, or both.", field="actions")
    if body.shared and agent.role == Role.agent:
        raise InvalidField("Only supervisors and admins share macros.", field="shared")
    reply = clean_canned_body(body.reply) if body.reply and body.reply.strip() else None
    return " ".join(body.name.split()), [a.model_dump(mode="json") for a in body.actions], reply


async def apply_macro(session: AsyncSession, *, agent: Agent, conversation: Conversation, macro: Macro) -> str | None:
    """Apply the macro's actions in order (all or nothing) and return its reply rendered for
    this conversation (None when it has none)."""
    actor = conversation_actions.agent_actor(agent)
    fields: dict[str, Any] = {}
    for raw in macro.actions:
        kind, value = raw["type"], raw.get("value")
        if kind == "set_priority":
            await desk_actions.update_properties(session, actor=actor, conversation=conversation, changes={"priority": value})
        elif kind == "set_category":
            await desk_actions.update_properties(session, actor=actor, conversation=conversation, changes={"category_id": value})
        elif kind in ("add_tags", "remove_tags"):
            await desk_actions.update_properties(session, actor=actor, conversation=conversation, changes={kind: value})
        elif kind == "set_field":
            fields[raw["key"]] = value
        elif kind == "assign":
            await conversation_actions.assign_conversation(
                session, actor=agent, conversation=conversation, assignee_id=agent.id if value == "me" else value
            )
        elif kind == "set_team":
            team = await session.get(Team, value)
            if team is None or team.account_id != conversation.account_id:
                raise InvalidField("The macro's team no longer exists.", field="actions")
            await conversation_actions.transfer_conversation(
                session, actor=agent, conversation=conversation, agent_id=None, team_id=team.id
            )
        elif kind == "set_status":
            status = Status(value)
            if conversation.status != status:
                await conversation_actions.set_status(session, actor=actor, conversation=conversation, status=status)
    if fields:
        await desk_actions.update_properties(session, actor=actor, conversation=conversation, changes={"fields": fields})
    if not macro.reply:
        return None
    contact = await session.get(Contact, conversation.contact_id)
    inbox = await session.get(Inbox, conversation.inbox_id)
    return render(macro.reply, placeholder_values(agent, conversation, contact, inbox))


async def save_macro(session: AsyncSession, *, agent: Agent, data: MacroIn, macro: Macro | None = None) -> Macro:
    """Create a macro (the agent's own, or shared by a supervisor or admin), or change one."""
    name, steps, reply = _clean(data, agent)
    if macro is None:
        macro = Macro(account_id=agent.account_id, created_at=utcnow())
        session.add(macro)
    elif macro.agent_id is None and agent.role == Role.agent:
        raise Forbidden("Only supervisors and admins change shared macros.")
    macro.name, macro.actions, macro.reply = name, steps, reply
    macro.agent_id = None if data.shared else agent.id
    await session.flush()
    return macro


async def delete_macro(session: AsyncSession, *, agent: Agent, macro: Macro) -> None:
    if macro.agent_id is None and agent.role == Role.agent:
        raise Forbidden("Only supervisors and admins delete shared macros.")
    await session.delete(macro)
    await session.flush()


router = APIRouter(prefix="/api/v1")


async def _macro_for(session: AsyncSession, agent: Agent, macro_id: int) -> Macro:
    macro = await session.get(Macro, macro_id)
    if macro is None or macro.account_id != agent.account_id or macro.agent_id not in (None, agent.id):
        raise NotFound("No such macro.")
    return macro


@router.get("/macros")
async def list_macros(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        macros = (
            await session.scalars(
                select(Macro)
                .where(Macro.account_id == context.agent.account_id)
                .where((Macro.agent_id == context.agent.id) | Macro.agent_id.is_(None))
                .order_by(Macro.name)
            )
        ).all()
    return {"macros": [macro_out(m) for m in macros]}


def _validated(body: dict[str, Any]) -> MacroIn:
    try:
        return MacroIn.model_validate(body)
    except ValidationError as error:
        raise invalid_field_of(error) from None


@router.post("/macros", status_code=201)
async def create_macro(body: dict[str, Any], context: CurrentAgent, services: ServicesDep) -> dict:
    data = _validated(body)
    async with services.db.transaction() as session:
        macro = await save_macro(session, agent=context.agent, data=data)
    return {"macro": macro_out(macro)}


@router.put("/macros/{macro_id}")
async def update_macro(macro_id: int, body: dict[str, Any], context: CurrentAgent, services: ServicesDep) -> dict:
    data = _validated(body)
    async with services.db.transaction() as session:
        macro = await save_macro(session, agent=context.agent, data=data, macro=await _macro_for(session, context.agent, macro_id))
    return {"macro": macro_out(macro)}


@router.delete("/macros/{macro_id}", status_code=204)
async def delete_macro_route(macro_id: int, context: CurrentAgent, services: ServicesDep) -> Response:
    async with services.db.transaction() as session:
        await delete_macro(session, agent=context.agent, macro=await _macro_for(session, context.agent, macro_id))
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/macros/{macro_id}")
async def apply(conversation_id: int, macro_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    """Apply a macro: `{"conversation", "reply"}` — the reply goes into the composer."""
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        macro = await _macro_for(session, context.agent, macro_id)
        reply = await apply_macro(session, agent=context.agent, conversation=conversation, macro=macro)
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        [summary] = await queries.summaries(session, [conversation])
    return {"conversation": summary, "reply": reply}
