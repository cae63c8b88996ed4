"""API shapes of canned responses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from helpline.canned.models import CannedResponse
from helpline.core.clock import isoformat


class CannedIn(BaseModel):
    shortcut: str = Field(max_length=65)
    title: str = Field("", max_length=200)
    body: str = Field(max_length=20000)
    scope: Literal["personal", "shared"] = "personal"


class CannedPatchIn(BaseModel):
    shortcut: str | None = Field(None, max_length=65)
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20000)
    scope: Literal["personal", "shared"] | None = None


def canned_out(canned: CannedResponse) -> dict:
    return {
        "id": canned.id,
        "shortcut": canned.shortcut,
        "title": canned.title,
        "body": canned.body,
        "scope": "shared" if canned.owner_id is None else "personal",
        "owner_id": canned.owner_id,
        "updated_at": isoformat(canned.updated_at),
    }
