"""Console routes of the operator chat (docs/protocol.md, "Operator chat")."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from helpline.accounts.auth import CurrentAgent
from helpline.chat import actions
from helpline.conversations.schemas import CLIENT_ID_PATTERN
from helpline.core.http import ServicesDep

router = APIRouter(prefix="/api/v1/chat")


class ChatMessageIn(BaseModel):
    client_id: str = Field(pattern=CLIENT_ID_PATTERN)
    body: str


class ChatReadIn(BaseModel):
    message_id: int = Field(ge=0)


@router.get("/rooms")
async def rooms(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        return {"rooms": await actions.rooms_of(session, context.agent)}


@router.get("/rooms/{room}/messages")
async def messages(
    room: str, context: CurrentAgent, services: ServicesDep,
    before: int | None = Query(None, ge=1), limit: int = Query(50, ge=1, le=200),
) -> dict:
    async with services.db.read() as session:
        await actions.room_members(session, context.agent, room)
        rows = await actions.history(session, room=room, account_id=context.agent.account_id, before=before, limit=limit)
    return {"messages": [actions.chat_message_out(m) for m in rows]}


@router.post("/rooms/{room}/messages", status_code=201)
async def post(room: str, body: ChatMessageIn, context: CurrentAgent, services: ServicesDep, response: Response) -> dict:
    async with services.db.transaction() as session:
        message, members, duplicate = await actions.post_chat_message(
            session, agent=context.agent, room=room, body=body.body, client_id=body.client_id
        )
    out = actions.chat_message_out(message)
    if duplicate:
        response.status_code = 200
    else:
        # Stored first, then announced: a console that misses this reloads the rooms.
        await services.hub.signal(
            {"kind": "chat.message", "account_id": context.agent.account_id, "recipients": members, "message": out}
        )
    return {"message": out, "duplicate": duplicate}


@router.post("/rooms/{room}/read")
async def read(room: str, body: ChatReadIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        await actions.room_members(session, context.agent, room)
        await actions.mark_chat_read(session, agent=context.agent, room=room, message_id=body.message_id)
    return {"room": room, "last_read_id": body.message_id}
