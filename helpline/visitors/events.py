"""Typed events of website visitors."""

from __future__ import annotations

from typing import Literal

from helpline.core.events import Event
from helpline.visitors.schemas import VisitorOut


class VisitorUpdated(Event):
    type: Literal["visitor.updated"] = "visitor.updated"
    contact_id: int
    visitor: VisitorOut
