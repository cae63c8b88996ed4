"""What the reviewer reports: a fault, the message that shows it, and why."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.quality.config import Fault


@dataclass(frozen=True, slots=True)
class Finding:
    fault: Fault
    message: int | None  # index of the message that shows the fault, None for the conversation
    reason: str

    @property
    def evidence(self) -> str:
        return self.reason if self.message is None else f"message {self.message}: {self.reason}"


def quote(text: str, limit: int = 60) -> str:
    """«text», shortened to `limit` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"«{text}»"


def seconds(value: float) -> str:
    return f"{value:g} s"
