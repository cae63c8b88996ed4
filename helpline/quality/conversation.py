"""A conversation as the reviewer reads it: the format of `shared/data/quality/dev.jsonl`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    customer = "customer"
    agent = "agent"
    bot = "bot"
    system = "system"


class MessageIn(BaseModel):
    """One message; `t` is seconds from the start of the conversation."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    t: float = Field(ge=0)
    role: Role = Field(alias="from")
    name: str | None = None
    text: str


class ConversationIn(BaseModel):
    """A conversation to review. Labels (`faults`, `why`) in the input are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | int
    lang: str | None = None
    channel: str | None = None
    business: str | None = None
    messages: list[MessageIn] = Field(min_length=1)
