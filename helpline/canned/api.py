"""Console routes for canned responses (docs/protocol.md, "REST")."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
