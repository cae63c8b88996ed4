"""The settings of an e-mail inbox: the mailbox Helpline reads (IMAP) and the server its
replies leave through (SMTP). docs/protocol.md, "Channels"."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from helpline.accounts.settings import SmtpSettings
from helpline.contacts.actions import clean_email
from helpline.core.errors import InvalidField

# "ssl": TLS from the first byte (IMAP 993, SMTP 465); "starttls": upgraded after connecting
# (IMAP 143, SMTP 587); "none": plain text (a server on the same host or network only).
Security = Literal["ssl", "starttls", "none"]


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imap_host: str = Field(min_length=1, max_length=253)
    imap_port: int = Field(993, ge=1, le=65535)
    imap_security: Security = "ssl"
    imap_username: str = Field(min_length=1, max_length=254)
    imap_password: str = Field("", max_length=500)
    imap_folder: str = Field("INBOX", min_length=1, max_length=200)
    smtp_host: str = Field(min_length=1, max_length=253)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Security = "starttls"
    smtp_username: str = Field("", max_length=254)  # empty: the server takes mail without a login
    smtp_password: str = Field("", max_length=500)
    from_email: str = Field(max_length=254)  # the address customers write to and replies come from
    from_name: str = Field("", max_length=200)
    # A larger message is read as its headers and text only (its attachments are not kept).
    max_message_mb: int = Field(25, ge=1, le=100)

    @field_validator("imap_host", "smtp_host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("a host name, without spaces")
        return value

    @field_validator("imap_username", "imap_password", "imap_folder", "smtp_username", "smtp_password")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # Each goes into one IMAP command or SMTP line.
        if any(ch in "\r\n\0" for ch in value):
            raise ValueError("one line, without line breaks")
        return value

    @field_validator("from_email")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            address = clean_email(value)
        except InvalidField as error:
            raise ValueError(error.message) from None
        if address is None:
            raise ValueError("the address customers write to is required")
        return address

    @field_validator("from_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return " ".join(value.split())  # one header line

    def smtp(self) -> SmtpSettings:
        """The SMTP part in the shape helpline.channels.email.outbound sends with."""
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            security="tls" if self.smtp_security == "ssl" else self.smtp_security,
            username=self.smtp_username,
            password=self.smtp_password,
            from_email=self.from_email,
            from_name=self.from_name,
        )
