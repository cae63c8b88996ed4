"""Typed events of the contacts domain."""

from __future__ import annotations

from typing import Literal

from helpline.contacts.schemas import ContactOut
from helpline.core.events import Event


class ContactUpdated(Event):
    type: Literal["contact.updated"] = "contact.updated"
    contact: ContactOut
