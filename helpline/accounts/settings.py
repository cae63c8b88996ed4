"""Per-account settings, kept as JSON in `accounts.settings` and validated here.

Secrets (the SMTP password) are stored as given and never returned by the API: readers get
`password_set` instead.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class SmtpSettings(BaseModel):
    """Where the account's outgoing e-mail goes (offline answers, transcripts)."""

    host: str = Field("", max_length=253)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str = Field("", max_length=254)
    password: str = Field("", max_length=500)
    from_email: str = Field("", max_length=254)
    from_name: str = Field("", max_length=200)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_email)

    def public(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"password"})
        data["password_set"] = bool(self.password)
        return data


FileKind = Literal["images", "pdf", "text", "office", "archives"]
FILE_KINDS: tuple[FileKind, ...] = ("images", "pdf", "text", "office", "archives")


class FileSettings(BaseModel):
    """What customers and agents may upload (never HTML, scripts or programs)."""

    max_mb: int = Field(10, ge=1, le=100)
    kinds: list[FileKind] = Field(default_factory=lambda: list(FILE_KINDS))


class AccountSettings(BaseModel):
    smtp: SmtpSettings = SmtpSettings()
    files: FileSettings = FileSettings()
    # An agent's console switches the agent to "away" after this many idle minutes (0: never).
    auto_away_minutes: int = Field(10, ge=0, le=480)
    # A resolved conversation closes (for good) after this many days without a reply (0: never).
    close_after_days: int = Field(7, ge=0, le=365)

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> AccountSettings:
        return cls.model_validate(raw or {})
