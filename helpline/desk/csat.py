"""Customer satisfaction: after a conversation is resolved the customer rates it 1–5 with an
optional comment — in the widget, or on a rating page whose link other channels send. A
rating is stored per conversation and credited to the agent who had it; a later rating of
the same conversation replaces the earlier one.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.accounts.auth import CurrentAgent
from helpline.core.audit import Actor
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField
from helpline.core.http import ServicesDep
from helpline.conversations import actions as conversation_actions
from helpline.conversations import queries
from helpline.conversations.models import AuthorType, Conversation, Status
from helpline.desk.models import CsatRating

MAX_COMMENT = 2000
RATEABLE = (Status.resolved, Status.closed)


def clean_rating(rating: object, comment: object) -> tuple[int, str | None]:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidField("A rating is a whole number from 1 to 5.", field="rating")
    if comment is not None and not isinstance(comment, str):
        raise InvalidField("A comment is text.", field="comment")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidField(f"A comment is at most {MAX_COMMENT} characters.", field="comment")
    return rating, comment or None


async def rate(
    session: AsyncSession, *, conversation: Conversation, contact_id: int, rating: object, comment: object
) -> CsatRating:
    """Store the customer's rating (`conversation` locked, and the contact's own)."""
    rating, comment = clean_rating(rating, comment)
    if conversation.contact_id != contact_id:
        raise InvalidField("No such conversation.", field="conversation_id")
    if conversation.status not in RATEABLE:
        raise InvalidField("A conversation is rated once it is resolved.", field="conversation_id")
    row = await session.scalar(select(CsatRating).where(CsatRating.conversation_id == conversation.id))
    if row is None:
        row = CsatRating(
            account_id=conversation.account_id, conversation_id=conversation.id, agent_id=conversation.assignee_id,
            rating=rating, comment=comment, created_at=utcnow(),
        )
        session.add(row)
    else:
        row.rating, row.comment, row.created_at = rating, comment, utcnow()
    old = conversation.csat_rating
    conversation.csat_rating = rating
    await conversation_actions.announce_changes(
        session, conversation, Actor(AuthorType.contact, contact_id, None), ("csat_rating", old, rating)
    )
    return row


def csat_out(row: CsatRating | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"rating": row.rating, "comment": row.comment, "agent_id": row.agent_id, "created_at": row.created_at.isoformat()}


# --- Rating links for channels without the widget ---------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="helpline.csat.v1")


def rating_link(base_url: str, secret: str, conversation: Conversation) -> str:
    token = _serializer(secret).dumps([conversation.account_id, conversation.id, conversation.contact_id])
    return f"{base_url}/rate/{token}"


def _read(secret: str, token: str) -> tuple[int, int, int] | None:
    try:
        account_id, conversation_id, contact_id = _serializer(secret).loads(token)
        return int(account_id), int(conversation_id), int(contact_id)
    except (BadSignature, TypeError, ValueError):
        return None


router = APIRouter()

_TEXT = {
    "ru": {
        "title": "Оцените, как мы помогли", "comment": "Комментарий (по желанию)", "send": "Отправить",
        "thanks": "Спасибо за оценку!", "gone": "Ссылка недействительна.", "early": "Обращение ещё не решено.",
        "stars": ["Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично"],
    },
    "en": {
        "title": "How did we do?", "comment": "Comment (optional)", "send": "Send",
        "thanks": "Thank you for your rating!", "gone": "This link is not valid.", "early": "This request is not resolved yet.",
        "stars": ["Very bad", "Bad", "OK", "Good", "Excellent"],
    },
}


def _language(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    return "ru" if accept.lower().startswith("ru") or "ru" in request.query_params.get("lang", "") else "en"


def _page(language: str, body: str, status: int = 200) -> HTMLResponse:
    text = _TEXT[language]
    page = f"""<!doctype html><html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(text["title"])}</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#111}}
fieldset{{border:0;padding:0;display:flex;gap:.5rem;flex-wrap:wrap}}label.star{{border:1px solid #ccc;border-radius:.5rem;padding:.5rem .75rem;cursor:pointer}}
textarea{{width:100%;min-height:6rem;margin:1rem 0}}button{{font:inherit;padding:.5rem 1.25rem}}</style></head>
<body>{body}</body></html>"""
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


async def _rateable(services: Any, token: str) -> tuple[Conversation | None, int | None, str | None]:
    found = _read(services.settings.signing_key, token)
    if found is None:
        return None, None, "gone"
    account_id, conversation_id, contact_id = found
    async with services.db.read() as session:
        conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.account_id != account_id or conversation.contact_id != contact_id:
        return None, None, "gone"
    if conversation.status not in RATEABLE:
        return conversation, contact_id, "early"
    return conversation, contact_id, None


@router.get("/rate/{token}", include_in_schema=False)
async def rating_page(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    language = _language(request)
    text = _TEXT[language]
    conversation, _, problem = await _rateable(services, token)
    if problem:
        return _page(language, f"<p>{html.escape(text[problem])}</p>", 404 if problem == "gone" else 409)
    assert conversation is not None
    stars = "".join(
        f'<label class="star"><input type="radio" name="rating" value="{n}" required'
        f'{" checked" if conversation.csat_rating == n else ""}> {n} — {html.escape(text["stars"][n - 1])}</label>'
        for n in range(1, 6)
    )
    return _page(
        language,
        f"""<h1>{html.escape(text["title"])}</h1><p>#{conversation.number}</p>
<form method="post"><fieldset>{stars}</fieldset>
<label>{html.escape(text["comment"])}<textarea name="comment" maxlength="{MAX_COMMENT}"></textarea></label>
<button type="submit">{html.escape(text["send"])}</button></form>""",
    )


@router.post("/rate/{token}", include_in_schema=False)
async def submit_rating(
    token: str, request: Request, services: ServicesDep, rating: str = Form(""), comment: str = Form("")
) -> HTMLResponse:
    """The rating page's form (a plain HTML form: no cookies, so no CSRF to forge — the
    signed token is the credential, and it only rates its own conversation)."""
    language = _language(request)
    text = _TEXT[language]
    conversation, contact_id, problem = await _rateable(services, token)
    if problem:
        return _page(language, f"<p>{html.escape(text[problem])}</p>", 404 if problem == "gone" else 409)
    assert conversation is not None and contact_id is not None
    value: object = int(rating) if rating.isdigit() else rating
    async with services.db.transaction() as session:
        locked = await session.get(Conversation, conversation.id, with_for_update=True, populate_existing=True)
        assert locked is not None
        try:
            await rate(session, conversation=locked, contact_id=contact_id, rating=value, comment=comment)
        except InvalidField as error:
            return _page(language, f"<p>{html.escape(error.message)}</p>", 422)
    return _page(language, f"<h1>{html.escape(text['thanks'])}</h1>")


@router.get("/api/v1/conversations/{conversation_id}/csat")
async def conversation_csat(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    """The rating (if any) and the link to the rating page, for channels without the widget."""
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        row = await session.scalar(select(CsatRating).where(CsatRating.conversation_id == conversation.id))
    return {
        "csat": csat_out(row),
        "link": rating_link(services.settings.base_url, services.settings.signing_key, conversation),
    }


@router.get("/api/v1/csat")
async def csat_report(context: CurrentAgent, services: ServicesDep, days: int = 30) -> dict:
    """Ratings per agent over the last `days` days: count, average, share of 4–5."""
    if not 1 <= days <= 366:
        raise InvalidField("days is 1 to 366.", field="days")
    since = utcnow() - timedelta(days=days)
    async with services.db.read() as session:
        rows = (
            await session.execute(
                select(
                    CsatRating.agent_id, func.count(), func.avg(CsatRating.rating),
                    func.count().filter(CsatRating.rating >= 4),
                )
                .where(CsatRating.account_id == context.agent.account_id)
                .where(CsatRating.created_at >= since)
                .group_by(CsatRating.agent_id)
            )
        ).all()
    return {
        "agents": [
            {"agent_id": agent_id, "ratings": count, "average": round(float(avg), 2), "satisfied": round(good / count, 3)}
            for agent_id, count, avg, good in rows
        ]
    }
