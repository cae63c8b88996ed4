"""Uploads (widget and console) and downloads of message files (docs/protocol.md, "Files")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from helpline.accounts.auth import CurrentUploader
from helpline.accounts.models import Account
from helpline.accounts.settings import AccountSettings, FileSettings
from helpline.channels.web.socket import authenticate_visitor
from helpline.conversations.files import IMAGES, clean_filename, content_type_of, file_out, record_upload
from helpline.conversations.models import Attachment
from helpline.core.errors import NotFound, RateLimited
from helpline.core.http import ServicesDep, client_ip
from helpline.core.runtime import Services

router = APIRouter()


async def _rules(services: Services, account_id: int) -> FileSettings:
    async with services.db.read() as session:
        account = await session.get(Account, account_id)
    return AccountSettings.of(account.settings if account else None).files


async def _store(services: Services, upload: UploadFile, *, account_id: int, uploader_type: str, uploader_id: int) -> dict:
    name = clean_filename(upload.filename)
    rules = await _rules(services, account_id)
    storage_name, size, head = await services.files.save(upload, rules.max_mb * 1024 * 1024)
    try:
        content_type = content_type_of(head, name, rules.kinds)
        async with services.db.transaction() as session:
            attachment = await record_upload(
                session, account_id=account_id, uploader_type=uploader_type, uploader_id=uploader_id,
                storage_name=storage_name, filename=name, content_type=content_type, size=size,
            )
    except BaseException:
        services.files.remove(storage_name)  # refused or failed: nothing stays on disk
        raise
    return {"file": file_out(attachment)}


@router.post("/api/widget/v1/files", status_code=201)
async def widget_upload(
    request: Request, services: ServicesDep, token: Annotated[str, Form(max_length=500)], file: Annotated[UploadFile, File()]
) -> dict:
    ip = client_ip(request.client, request.headers, services.settings.trust_proxy)
    inbox, visitor = await authenticate_visitor(services, {"token": token}, ip)
    wait = services.visitor_uploads.take(visitor.contact_id)
    if wait > 0:
        raise RateLimited(wait, "Too many files; wait a little.")
    return await _store(services, file, account_id=inbox.account_id, uploader_type="contact", uploader_id=visitor.contact_id)


@router.post("/api/v1/files", status_code=201)
async def console_upload(context: CurrentUploader, services: ServicesDep, file: Annotated[UploadFile, File()]) -> dict:
    agent = context.agent
    return await _store(services, file, account_id=agent.account_id, uploader_type="agent", uploader_id=agent.id)


@router.get("/files/{file_id}/{secret}/{name}", include_in_schema=False)
async def download(file_id: int, secret: str, name: str, services: ServicesDep) -> FileResponse:
    async with services.db.read() as session:
        attachment = await session.scalar(
            select(Attachment).where(Attachment.id == file_id, Attachment.storage_name == secret[:64])
        )
    path = services.files.path(attachment.storage_name) if attachment else None
    if attachment is None or path is None or not path.exists():
        raise NotFound("No such file.")
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="inline" if attachment.content_type in IMAGES else "attachment",
        headers={
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=86400",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )

