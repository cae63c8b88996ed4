"""Files sent with messages: checked by content, stored under random names, never served
as something a browser would run.

An upload is stored first (POST .../files) and attached when a message names it in
`file_ids`; until then it belongs to its uploader only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import filetype
from fastapi import UploadFile
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.clock import utcnow
from helpline.core.errors import FileTooLarge, FileTypeNotAllowed, InvalidField
from helpline.conversations.models import Attachment

CHUNK = 64 * 1024
MAX_FILES_PER_MESSAGE = 10
IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# What the content may be (by its signature), and the extensions that may carry it.
_ALLOWED_KINDS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    # Office Open XML and OpenDocument files are ZIP archives; so is a plain .zip.
    "application/zip": (".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"),
    "application/x-ole-storage": (".doc", ".xls", ".ppt"),
}
_CONTENT_TYPE_OF_EXTENSION = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".zip": "application/zip",
}
_TEXT_EXTENSIONS = {".txt": "text/plain", ".csv": "text/csv", ".log": "text/plain"}


def clean_filename(name: str | None) -> str:
    """The name shown and offered for download: no path, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "file"


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8", "cp1251"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    if "\x00" in text:
        return False
    lowered = text.lstrip().lower()
    # Markup would be HTML to a browser that sniffs; refuse it even as .txt.
    return not lowered.startswith(("<", "\ufeff<")) and "<script" not in lowered and "<html" not in lowered


def kind_of(content_type: str) -> str:
    """The account-setting category of an allowed content type."""
    if content_type in IMAGES:
        return "images"
    if content_type == "application/pdf":
        return "pdf"
    if content_type.startswith("text/"):
        return "text"
    if content_type == "application/zip":
        return "archives"
    return "office"


def content_type_of(head: bytes, name: str, kinds: list[str] | None = None) -> str:
    """The content type to store and serve, judged by the content; raises when not allowed
    at all, or not among the account's `kinds`."""
    content_type = _content_type_of(head, name)
    if kinds is not None and kind_of(content_type) not in kinds:
        raise FileTypeNotAllowed()
    return content_type


def _content_type_of(head: bytes, name: str) -> str:
    extension = _extension(name)
    kind = filetype.guess(head)
    if kind is not None:
        mime = "application/x-ole-storage" if kind.mime == "application/x-ole-storage" else kind.mime
        if mime in ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",) or (
            mime.startswith("application/vnd.") and head[:2] == b"PK"
        ):
            mime = "application/zip"
        allowed = _ALLOWED_KINDS.get(mime)
        if allowed is not None:
            if mime in IMAGES or mime == "application/pdf":
                return mime
            if extension in allowed:
                return _CONTENT_TYPE_OF_EXTENSION.get(extension, mime)
        raise FileTypeNotAllowed()
    if extension in _TEXT_EXTENSIONS and _looks_like_text(head):
        return _TEXT_EXTENSIONS[extension] + "; charset=utf-8"
    raise FileTypeNotAllowed()


class FileStore:
    """Files on the local disk of the node (a shared volume when several nodes run)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, storage_name: str) -> Path:
        return self.root / storage_name[:2] / storage_name

    async def save(self, upload: UploadFile, max_bytes: int) -> tuple[str, int, bytes]:
        """Write the upload under a new random name; returns it, the size and the head.
        Nothing is left behind when the file is too large."""
        storage_name = secrets.token_urlsafe(24)
        target = self.path(storage_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        size, head = 0, b""
        try:
            with open(target, "wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(f"Files may be at most {max_bytes // (1024 * 1024)} MB.")
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return storage_name, size, head

    def remove(self, storage_name: str) -> None:
        self.path(storage_name).unlink(missing_ok=True)


async def record_upload(
    session: AsyncSession,
    *,
    account_id: int,
    uploader_type: str,
    uploader_id: int,
    storage_name: str,
    filename: str,
    content_type: str,
    size: int,
) -> Attachment:
    attachment = Attachment(
        account_id=account_id, uploader_type=uploader_type, uploader_id=uploader_id, conversation_id=None,
        message_id=None, storage_name=storage_name, filename=filename, content_type=content_type, size=size,
        created_at=utcnow(),
    )
    session.add(attachment)
    await session.flush()
    return attachment


def file_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "name": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": f"/files/{attachment.id}/{attachment.storage_name}/{quote(attachment.filename)}",
        "image": attachment.content_type in IMAGES,
    }


def clean_file_ids(raw: object) -> list[int]:
    if raw is None:
        return []
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_FILES_PER_MESSAGE
        or any(not isinstance(i, int) or isinstance(i, bool) for i in raw)
    ):
        raise InvalidField(f"file_ids is a list of at most {MAX_FILES_PER_MESSAGE} file ids.", field="file_ids")
    return list(dict.fromkeys(raw))


async def claim_files(
    session: AsyncSession, *, account_id: int, uploader_type: str, uploader_id: int, file_ids: list[int]
) -> list[Attachment]:
    """The sender's own uploads not sent yet, locked for the message that sends them."""
    if not file_ids:
        return []
    rows = (
        await session.scalars(
            select(Attachment)
            .where(
                Attachment.id.in_(file_ids),
                Attachment.account_id == account_id,
                Attachment.uploader_type == uploader_type,
                Attachment.uploader_id == uploader_id,
                Attachment.message_id.is_(None),
            )
            .with_for_update()
        )
    ).all()
    if len(rows) != len(file_ids):
        raise InvalidField("Some files are unknown or were sent already.", field="file_ids")
    by_id = {a.id: a for a in rows}
    return [by_id[i] for i in file_ids]


async def link_files(session: AsyncSession, attachments: list[Attachment], *, conversation_id: int, message_id: int) -> None:
    if attachments:
        await session.execute(
            update(Attachment)
            .where(Attachment.id.in_([a.id for a in attachments]))
            .values(conversation_id=conversation_id, message_id=message_id)
        )
