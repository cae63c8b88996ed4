"""Customers' mail for tests, delivered as the Internet would: a real SMTP client hands each
message to an MTA (aiosmtpd, on a thread of its own), which files it into the recipient's
mailbox on the test Dovecot by IMAP APPEND, where Helpline's e-mail inbox reads it.

Dovecot comes from scripts/test-services.sh (HELPLINE_TEST_IMAP_PORT, and the one password
every user name logs in with, HELPLINE_TEST_IMAP_PASSWORD): a new user name is a new, empty
mailbox, so each test has its own.
"""

from __future__ import annotations

import os
import secrets
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from tests.support.server import free_port

IMAP_HOST = "127.0.0.1"
IMAP_PORT = int(os.environ.get("HELPLINE_TEST_IMAP_PORT") or 0)
IMAP_PASSWORD = os.environ.get("HELPLINE_TEST_IMAP_PASSWORD", "")


def imap_client(user: str) -> IMAPClient:
    client = IMAPClient(IMAP_HOST, port=IMAP_PORT, ssl=False, timeout=10)
    client.login(user, IMAP_PASSWORD)
    return client


class Mta:
    """`with Mta() as mta:` ... `mta.send(message)`: every recipient's mailbox is the Dovecot
    user of that address."""

    def __init__(self) -> None:
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mta:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()

    def send(self, message: EmailMessage, *, sender: str | None = None, to: list[str] | None = None) -> None:
        """Hand `message` over by SMTP (envelope from `sender` or its From, to `to` or its To);
        when this returns, it is in the mailbox."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.send_message(message, from_addr=sender, to_addrs=to)

    def send_raw(self, raw: bytes, *, sender: str, to: list[str]) -> None:
        """Hand over bytes as they are (charsets and encodings a client of ours would not write)."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.sendmail(sender, to, raw)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        for recipient in envelope.rcpt_tos:
            with imap_client(recipient.lower()) as mailbox:
                mailbox.append("INBOX", content)
        return "250 Delivered"


def new_mailbox() -> str:
    """The address of a new, empty mailbox on the test Dovecot."""
    return f"support-{secrets.token_hex(4)}@shop.example"


def mail(
    sender: str,
    to: str,
    subject: str,
    text: str | None = None,
    *,
    html: str | None = None,
    charset: str = "utf-8",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    """A customer's e-mail as their mail client would write it (`files`: name, type, bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "example.com")
    for name, value in (headers or {}).items():
        del message[name]
        message[name] = value
    if text is not None:
        message.set_content(text, charset=charset)
        if html is not None:
            message.add_alternative(html, subtype="html", charset=charset)
    elif html is not None:
        message.set_content(html, subtype="html", charset=charset)
    for name, content_type, data in files or []:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message
