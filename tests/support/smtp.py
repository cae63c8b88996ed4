"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in a thread of its own.

It keeps every message it accepts (parsed with the `email` package) and can be told to
refuse the next deliveries with a given reply, at RCPT (where greylisting answers) or after
DATA. Being a thread with its own event loop, it answers while a test awaits on its loop,
and a Helpline server in a subprocess can reach it too.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.server import free_port

Stage = Literal["rcpt", "data"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    at: float  # time.time() when accepted


@dataclass
class _Refusal:
    reply: str
    stage: Stage
    remaining: int | None  # None: for ever


class SmtpServer:
    """`with SmtpServer() as smtp:` ... `smtp.port`, `smtp.received`, `smtp.refuse(...)`.

    With `credentials=(user, password)` it takes mail only after AUTH with those.
    """

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.credentials = credentials
        self.received: list[Received] = []
        self.refused: list[str] = []  # the replies it refused deliveries with
        self._refusals: list[_Refusal] = []
        self._lock = threading.Lock()
        # AUTH is offered over plain text (tests only) and demanded by handle_MAIL: aiosmtpd's
        # own auth_required would warn about the missing TLS on every connection.
        auth: dict[str, Any] = {}
        if credentials is not None:
            auth = {"auth_require_tls": False, "authenticator": self._authenticate}
        self.controller = Controller(self, hostname=self.host, port=self.port, **auth)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()

    def refuse(self, code: int, times: int | None = 1, *, stage: Stage = "rcpt", text: str | None = None) -> None:
        """Refuse the next `times` deliveries (None: all) with `code`, at `stage`."""
        reply = f"{code} {text or ('Try again later' if code < 500 else 'Mailbox unavailable')}"
        with self._lock:
            self._refusals.append(_Refusal(reply, stage, times))

    def accept_all(self) -> None:
        with self._lock:
            self._refusals.clear()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """A body for PUT /api/v1/account/smtp pointing at this server."""
        user, password = self.credentials or ("", "")
        body = {
            "host": self.host, "port": self.port, "security": "none", "username": user, "password": password,
            "from_email": "support@shop.example", "from_name": "Поддержка магазина",
        }
        return {**body, **overrides}

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The received messages once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.received)}; refused {self.refused}")
            await asyncio.sleep(0.05)
        return list(self.received)

    # --- aiosmtpd handler hooks (run on the server's thread) ---------------------------------

    def _refusal(self, stage: Stage) -> str | None:
        with self._lock:
            for refusal in self._refusals:
                if refusal.stage != stage:
                    continue
                if refusal.remaining is not None:
                    refusal.remaining -= 1
                    if refusal.remaining == 0:
                        self._refusals.remove(refusal)
                self.refused.append(refusal.reply)
                return refusal.reply
        return None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]) -> str:
        if self.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        reply = self._refusal("rcpt")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._refusal("data")
        if reply is not None:
            return reply
        content = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(content)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, time.time()))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(), auth_data.password.decode()
        ) == self.credentials
        # handled=False: aiosmtpd itself answers a failure with 535.
        return AuthResult(success=ok, handled=False)
