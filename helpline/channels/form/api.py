"""Web forms: the standalone (and embeddable) page `/forms/<key>`, the submission endpoints,
the original submission for agents, and creating forms for admins."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from helpline.accounts.auth import CurrentAdmin, CurrentAgent
from helpline.accounts.models import Account
from helpline.accounts.settings import AccountSettings
from helpline.channels.form.actions import StoredFile, submit
from helpline.channels.form.settings import FormSettings, clean_values
from helpline.contacts.bans import Who
from helpline.conversations import queries
from helpline.conversations.actions import agent_actor, create_inbox
from helpline.conversations.files import MAX_FILES_PER_MESSAGE, clean_filename, content_type_of, file_out
from helpline.conversations.models import Attachment, Channel, Inbox
from helpline.conversations.schemas import CLIENT_ID_PATTERN, inbox_out
from helpline.core.errors import ChatUnavailable, HelplineError, InvalidField, NotFound, RateLimited, UnknownSite, invalid_field_of
from helpline.core.http import ServicesDep, client_ip
from helpline.core.runtime import Services
from helpline.desk.models import FormSubmission

router = APIRouter()

_TEXT = {
    "ru": {"send": "Отправить", "files": "Файлы", "required": "обязательно", "again": "Отправить ещё",
           "gone": "Такой формы нет."},
    "en": {"send": "Send", "files": "Files", "required": "required", "again": "Send another",
           "gone": "There is no such form."},
}


async def _form(services: Services, key: str) -> Inbox:
    async with services.db.read() as session:
        inbox = await session.scalar(select(Inbox).where(Inbox.site_key == key, Inbox.channel == Channel.form))
    if inbox is None or not inbox.is_active:
        raise UnknownSite("No such form.")
    return inbox


def _input(field: Any, value: Any, language: str) -> str:
    name = html.escape(field.key)
    required = " required" if field.required else ""
    label = html.escape(field.label) + (f' <small>({_TEXT[language]["required"]})</small>' if field.required else "")
    current = html.escape(str(value)) if value not in (None, True, False) else ""
    if field.type == "textarea":
        control = f'<textarea name="{name}" maxlength="5000"{required}>{current}</textarea>'
    elif field.type == "select":
        options = "".join(
            f'<option value="{html.escape(o)}"{" selected" if o == value else ""}>{html.escape(o)}</option>'
            for o in field.options or []
        )
        control = f'<select name="{name}"{required}><option value=""></option>{options}</select>'
    elif field.type == "checkbox":
        return f'<label class="check"><input type="checkbox" name="{name}"{" checked" if value else ""}{required}> {label}</label>'
    else:
        kind = {"email": "email", "phone": "tel", "number": "number", "date": "date"}.get(field.type, "text")
        control = f'<input type="{kind}" name="{name}" value="{current}" maxlength="5000"{required}>'
    return f"<label>{label}{control}</label>"


def _page(form: FormSettings, body: str, *, embed: bool, status: int = 200) -> HTMLResponse:
    chrome = "" if embed else "max-width:36rem;margin:2rem auto;"
    page = f"""<!doctype html><html lang="{form.language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(form.title)}</title>
<style>body{{font:16px system-ui,sans-serif;color:#111;{chrome}padding:0 1rem}}
label{{display:block;margin:0 0 1rem}}input,textarea,select{{display:block;width:100%;box-sizing:border-box;font:inherit;padding:.5rem;margin-top:.25rem}}
label.check input{{display:inline;width:auto}}textarea{{min-height:8rem}}
button{{font:inherit;padding:.6rem 1.5rem;border:0;border-radius:.4rem;color:#fff;background:{form.color}}}
.error{{color:#b91c1c}}</style></head><body>{body}</body></html>"""
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _form_body(form: FormSettings, values: dict[str, Any], *, error: str | None, embed: bool) -> str:
    text = _TEXT[form.language]
    inputs = "".join(_input(f, values.get(f.key), form.language) for f in form.fields)
    files = (
        f'<label>{text["files"]}<input type="file" name="files" multiple></label>' if form.attachments else ""
    )
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    description = f"<p>{html.escape(form.description)}</p>" if form.description else ""
    return (
        f"<h1>{html.escape(form.title)}</h1>{description}{problem}"
        f'<form method="post" enctype="multipart/form-data"{" action=?embed=1" if embed else ""}>'
        f'<input type="hidden" name="client_id" value="{secrets.token_urlsafe(16)}">'
        f'{inputs}{files}<button type="submit">{text["send"]}</button></form>'
    )


@router.get("/forms/{key}", include_in_schema=False)
async def form_page(key: str, services: ServicesDep, embed: int = 0) -> HTMLResponse:
    """The form on a page of its own, or (`?embed=1`) without margins for an iframe."""
    try:
        inbox = await _form(services, key)
    except UnknownSite:
        return _page(FormSettings(), f"<p>{_TEXT['ru']['gone']} / {_TEXT['en']['gone']}</p>", embed=bool(embed), status=404)
    form = FormSettings.of(inbox.settings)
    return _page(form, _form_body(form, {}, error=None, embed=bool(embed)), embed=bool(embed))


async def _accept(
    services: Services, request: Request, inbox: Inbox, raw: dict[str, Any], client_id: object, uploads: list[UploadFile]
) -> tuple[int, int, bool]:
    """Check, store and announce a submission; (conversation id, number, resent)."""
    form = FormSettings.of(inbox.settings)
    if not isinstance(client_id, str) or not re.match(CLIENT_ID_PATTERN, client_id):
        raise InvalidField("client_id is 8 to 64 letters, digits, - or _.", field="client_id")
    values = clean_values(form, raw)
    if uploads and not form.attachments:
        raise InvalidField("This form takes no files.", field="files")
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise InvalidField(f"At most {MAX_FILES_PER_MESSAGE} files.", field="files")
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
    by_target = {f.maps_to: f.key for f in form.fields if f.maps_to}
    who = Who(None, ip, values.get(by_target.get("email", "")), values.get(by_target.get("phone", "")))
    if await services.bans.banned(inbox.account_id, who):
        raise ChatUnavailable()
    wait = services.form_submissions.take((inbox.id, ip or "unknown"))
    if wait > 0:
        raise RateLimited(wait, "Too many submissions; wait a little.")
    async with services.db.read() as session:
        account = await session.get(Account, inbox.account_id)
    rules = AccountSettings.of(account.settings if account else None).files
    stored: list[StoredFile] = []
    try:
        for upload in uploads:
            name = clean_filename(upload.filename)
            storage_name, size, head = await services.files.save(upload, rules.max_mb * 1024 * 1024)
            stored.append(StoredFile(storage_name, name, "", size))  # on disk: removed if anything fails
            stored[-1] = replace(stored[-1], content_type=content_type_of(head, name, rules.kinds))
        context = {"page": {"url": str(request.url).split("?")[0]}, "ip": ip}
        async with services.db.transaction() as session:
            locked = await session.get(Inbox, inbox.id)
            assert locked is not None
            conversation, resent = await submit(
                session, inbox=locked, values=values, client_id=client_id, files=stored, context=context
            )
        if resent:
            for f in stored:
                services.files.remove(f.storage_name)
    except BaseException:
        for f in stored:
            services.files.remove(f.storage_name)  # refused or failed: nothing stays on disk
        raise
    return conversation.id, conversation.number, resent


def _split(form: FormData) -> tuple[dict[str, Any], object, list[UploadFile]]:
    raw: dict[str, Any] = {}
    uploads: list[UploadFile] = []
    client_id: object = None
    for key, value in form.multi_items():
        if key == "client_id":
            client_id = value
        elif key == "files":
            if isinstance(value, str):
                continue
            if value.filename:
                uploads.append(value)
        elif isinstance(value, str):
            raw[key] = value
    return raw, client_id, uploads


@router.post("/forms/{key}", include_in_schema=False)
async def form_post(key: str, request: Request, services: ServicesDep, embed: int = 0) -> HTMLResponse:
    """The page's own form (multipart); answers with the thank-you text or the form again
    with the problem shown and what was typed kept."""
    inbox = await _form(services, key)
    form = FormSettings.of(inbox.settings)
    data = await request.form(max_files=MAX_FILES_PER_MESSAGE + 1, max_fields=100)
    raw, client_id, uploads = _split(data)
    try:
        _, number, _ = await _accept(services, request, inbox, raw, client_id, uploads)
    except HelplineError as error:
        return _page(form, _form_body(form, raw, error=error.message, embed=bool(embed)), embed=bool(embed), status=error.status)
    text = _TEXT[form.language]
    return _page(
        form,
        f'<h1>{html.escape(form.title)}</h1><p role="status">{html.escape(form.success_text)}</p><p>#{number}</p>'
        f'<p><a href="?embed={embed}">{text["again"]}</a></p>',
        embed=bool(embed),
    )


@router.post("/api/forms/v1/{key}/submissions", status_code=201)
async def submit_json(key: str, request: Request, services: ServicesDep) -> dict:
    """For sites that build their own form: multipart/form-data (fields, `client_id`, `files`)
    or JSON `{"client_id", "values": {...}}` (no files)."""
    inbox = await _form(services, key)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("values", {}), dict):
            raise InvalidField("Send {client_id, values}.", field="values")
        raw, client_id, uploads = body.get("values", {}), body.get("client_id"), []
    else:
        raw, client_id, uploads = _split(await request.form(max_files=MAX_FILES_PER_MESSAGE + 1, max_fields=100))
    conversation_id, number, resent = await _accept(services, request, inbox, raw, client_id, uploads)
    form = FormSettings.of(inbox.settings)
    return {"number": number, "duplicate": resent, "message": form.success_text}


# --- Agents and admins ---------------------------------------------------------------------------


@router.get("/api/v1/conversations/{conversation_id}/submission")
async def original_submission(conversation_id: int, context: CurrentAgent, services: ServicesDep) -> dict:
    """What the customer sent through the form, exactly as sent (later edits are in the audit
    trail, never here)."""
    async with services.db.read() as session:
        conversation = await queries.get_conversation_for(session, context.agent, conversation_id)
        row = await session.scalar(select(FormSubmission).where(FormSubmission.conversation_id == conversation.id))
        if row is None:
            raise NotFound("This conversation did not come from a form.")
        files = (
            await session.scalars(
                select(Attachment).where(Attachment.id.in_(row.data["files"]), Attachment.account_id == conversation.account_id)
            )
        ).all() if row.data["files"] else []
    return {"submission": {"values": row.data["values"], "fields": row.data["fields"], "files": [file_out(f) for f in files],
                           "created_at": row.created_at.isoformat()}}


class FormIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    settings: dict[str, Any] = Field(default_factory=dict)


def form_settings(raw: dict[str, Any]) -> dict[str, Any]:
    try:
        return FormSettings.model_validate(raw).model_dump(mode="json")
    except ValidationError as error:
        raise invalid_field_of(error, "settings") from None


@router.post("/api/v1/forms", status_code=201)
async def create_form(body: FormIn, context: CurrentAdmin, services: ServicesDep) -> dict:
    """A new web form (an inbox of channel `form`); its page is `/forms/<site_key>`."""
    settings = form_settings(body.settings)
    async with services.db.transaction() as session:
        inbox = await create_inbox(
            session, actor=agent_actor(context.agent), account_id=context.agent.account_id, channel=Channel.form,
            name=body.name, site_key=f"form-{secrets.token_urlsafe(9)}", settings=settings,
        )
    out = inbox_out(inbox)
    out["url"] = f"{services.settings.base_url}/forms/{inbox.site_key}"
    return {"inbox": out}

