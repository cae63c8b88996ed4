"""Console routes for conversations, messages and the event log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from helpline.accounts import presence
from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.accounts.models import AgentStatus
from helpline.channels.web.site import SiteSettings
from helpline.core.errors import NotFound
from helpline.core.events import EventRecord, event_frame
from helpline.core.http import ServicesDep
from helpline.desk.filters import filter_from_query, list_page
from helpline.conversations import actions, queries
from helpline.conversations.models import Inbox, Status
from helpline.conversations.schemas import (
    AssignIn,
    InboxRef,
    InboxPatchIn,
    ReadIn,
    SendMessageIn,
    TransferIn,
    TypingIn,
    inbox_out,
    message_out,
)
from helpline.conversations.typing import signal_agent_typing
from helpline.visitors.models import InvitationStats
from helpline.visitors.queries import in_chat_contacts, visitor_of_contact
from helpline.visitors.schemas import visitor_out

router = APIRouter(prefix="/api/v1")

MAX_REPLAY = 1000


@router.get("/conversations")
async def list_conversations(
    request: Request,
    context: CurrentAgent,
    services: ServicesDep,
    limit: int = 50,
    cursor: str | None = None,
    before: datetime | None = None,
) -> dict:
    """The inbox: filtered (`desk.filters.InboxFilter`, from the query string), sorted and
    paged by `cursor`. `before` (a last-activity time) still pages the default order."""
    spec = filter_from_query(request.query_params)
    async with services.db.read() as session:
        if before is not None:
            if before.tzinfo is None:
                before = before.replace(tzinfo=UTC)
            spec = spec.model_copy(update={"sort": "recent"})
            rows, next_cursor = await list_page(session, context.agent, spec, limit=limit, cursor=None, before=before)
        else:
            rows, next_cursor = await list_page(session, context.agent, spec, limit=limit, cursor=cursor)
        out = await queries.summaries(session, rows)
    next_before = out[-1].last_activity_at if next_cursor and spec.sort == "recent" else None
    return {"conversations": out, "next_cursor": next_cursor, "next_before": next_before}


@router.get("/conversations/counts")
async def counts(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        return await queries.inbox_counts(session, context.agent)


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        [summary] = await queries.summaries(session, [conversation])
        messages = await queries.messages_of(session, conversation.id)
        visitor = await visitor_of_contact(session, conversation.contact_id)
        in_chat = bool(await in_chat_contacts(session, [conversation.contact_id]))
        answer_via = await actions.answer_inboxes(session, conversation)
    return {
        "conversation": summary,
        "messages": [message_out(m) for m in messages],
        "visitor": visitor_out(visitor, in_chat=in_chat) if visitor else None,
        # Where it started: the page and device (web), the channel's details (a username).
        "context": conversation.context or {},
        # Other inboxes an agent may answer through (`via_inbox_id` of a message): e-mail, when
        # the customer has an address there.
        "answer_via": [InboxRef(id=i.id, name=i.name, channel=i.channel) for i in answer_via],
    }


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def send_message(
    conversation_id: int, body: SendMessageIn, context: CurrentAgent, services: ServicesDep, response: Response
) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        message, duplicate = await actions.post_message(
            session,
            conversation=conversation,
            author=actions.agent_actor(context.agent),
            body=body.body,
            kind=body.kind,
            client_id=body.client_id,
            file_ids=body.file_ids,
            role=context.agent.role,
            via_inbox_id=body.via_inbox_id,
        )
    if duplicate:
        response.status_code = 200
    return {"message": message_out(message), "duplicate": duplicate}


async def _summary_after(services: ServicesDep, context: CurrentAgent, conversation_id: int) -> dict:
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        [summary] = await queries.summaries(session, [conversation])
    return {"conversation": summary}


@router.post("/conversations/{conversation_id}/assign")
async def assign(conversation_id: int, body: AssignIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await actions.assign_conversation(
            session, actor=context.agent, conversation=conversation, assignee_id=body.agent_id, force=body.force
        )
    return await _summary_after(services, context, conversation_id)


@router.post("/conversations/{conversation_id}/transfer")
async def transfer(conversation_id: int, body: TransferIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await actions.transfer_conversation(
            session, actor=context.agent, conversation=conversation, agent_id=body.agent_id,
            team_id=body.team_id, note=body.note, force=body.force,
        )
    return await _summary_after(services, context, conversation_id)


async def _set_status(conversation_id: int, status: Status, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await actions.set_status(
            session, actor=actions.agent_actor(context.agent), conversation=conversation, status=status
        )
    return await _summary_after(services, context, conversation_id)


@router.post("/conversations/{conversation_id}/resolve")
async def resolve(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    return await _set_status(conversation_id, Status.resolved, context, services)


@router.post("/conversations/{conversation_id}/reopen")
async def reopen(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    return await _set_status(conversation_id, Status.open, context, services)


@router.post("/conversations/{conversation_id}/read")
async def read(conversation_id: int, body: ReadIn, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.transaction() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id, lock=True)
        await actions.mark_read(session, actor=context.agent, conversation=conversation, seq=body.seq)
    return await _summary_after(services, context, conversation_id)


@router.post("/conversations/{conversation_id}/typing", status_code=204)
async def typing(conversation_id: int, body: TypingIn, context: CurrentAgent, services: ServicesDep) -> Response:
    """Typing over HTTP, for the console's fallback; the socket sends a `typing` frame."""
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
    await signal_agent_typing(
        services.hub,
        agent=context.agent,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        active=body.active,
    )
    return Response(status_code=204)


@router.get("/inboxes")
async def list_inboxes(context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        inboxes = (
            await session.scalars(select(Inbox).where(Inbox.account_id == context.agent.account_id).order_by(Inbox.id))
        ).all()
    return {"inboxes": [_with_url(services, inbox_out(i), i) for i in inboxes]}


def _with_url(services: ServicesDep, out: dict, inbox: Inbox | None = None) -> dict:
    """A web form's page address (its embed snippet is an iframe of `url?embed=1`); a channel
    adapter's webhook URL (to register with the channel where Helpline cannot)."""
    if out["channel"] == "form":
        out["url"] = f"{services.settings.base_url}/forms/{out['site_key']}"
    if inbox is not None and inbox.secret:
        out["webhook_url"] = f"{services.settings.base_url}/hooks/{inbox.secret}"
    return out


@router.patch("/inboxes/{inbox_id}")
async def patch_inbox(inbox_id: int, body: InboxPatchIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    settings = body.settings
    if settings is not None:
        from helpline.channels.api import checked_settings  # a channel accepts its settings first
        from helpline.channels.base import adapter_for

        async with services.db.read() as session:
            inbox = await session.get(Inbox, inbox_id)
        if inbox is None or inbox.account_id != context.agent.account_id:
            raise NotFound("No such inbox.")
        if adapter_for(inbox.channel) is not None:
            settings = await checked_settings(services, inbox, settings)
    async with services.db.transaction() as session:
        inbox = await session.get(Inbox, inbox_id, with_for_update=True)
        if inbox is None or inbox.account_id != context.agent.account_id:
            raise NotFound("No such inbox.")
        await actions.update_inbox(
            session, actor=context.agent, inbox=inbox, name=body.name, settings=settings, is_active=body.is_active
        )
    from helpline.channels.api import forget_inbox  # its webhook sees the change at once

    forget_inbox(inbox.secret)
    return {"inbox": _with_url(services, inbox_out(inbox), inbox)}


@router.get("/inboxes/{inbox_id}/invitations")
async def invitation_stats(inbox_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    async with services.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None or inbox.account_id != context.agent.account_id:
            raise NotFound("No such inbox.")
        counts = {
            row.invitation_id: row
            for row in (await session.scalars(select(InvitationStats).where(InvitationStats.inbox_id == inbox.id))).all()
        }
    rules = SiteSettings.of(inbox.settings).invitations if inbox.channel == "web" else []
    return {
        "invitations": [
            {
                "id": rule.id,
                "shown": counts[rule.id].shown if rule.id in counts else 0,
                "accepted": counts[rule.id].accepted if rule.id in counts else 0,
            }
            for rule in rules
        ]
    }


async def events_after(services: ServicesDep, account_id: int, after: int, limit: int) -> list[EventRecord]:
    async with services.db.read() as session:
        return list(
            (
                await session.scalars(
                    select(EventRecord)
                    .where(EventRecord.account_id == account_id, EventRecord.id > after)
                    .order_by(EventRecord.id)
                    .limit(limit)
                )
            ).all()
        )


async def head_event_id(services: ServicesDep, account_id: int) -> int:
    from sqlalchemy import func

    async with services.db.read() as session:
        head = await session.scalar(
            select(func.max(EventRecord.id)).where(EventRecord.account_id == account_id)
        )
    return head or 0


@router.get("/events")
async def poll_events(
    context: CurrentAgent,
    services: ServicesDep,
    after: int | None = Query(None, ge=0),
    wait: float = Query(0, ge=0, le=25),
) -> dict:
    """Long-poll fallback for networks that block WebSockets; same frames as /ws/console.
    Without `after` it answers at once with the newest event id (where to start from)."""
    account_id = context.agent.account_id
    services.presence.polled(context.agent.id)
    if context.agent.status == AgentStatus.offline:
        async with services.db.transaction() as session:
            await presence.console_connected(session, agent_id=context.agent.id)
    if after is None:
        return {"events": [], "last_event_id": await head_event_id(services, account_id)}
    records = await events_after(services, account_id, after, MAX_REPLAY)
    if not records and wait > 0:
        await services.hub.wait_for_news(account_id, wait)
        records = await events_after(services, account_id, after, MAX_REPLAY)
    if not records:
        return {"events": [], "last_event_id": max(after, 0)}
    return {"events": [event_frame(r) for r in records], "last_event_id": records[-1].id}


