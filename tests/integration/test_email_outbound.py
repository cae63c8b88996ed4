"""The account's outgoing mail through a real server: SMTP settings (admins only, the
password write-only, bad input refused), and a test e-mail to a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpline.core.audit import AuditEntry
from helpline.core.db import Database
from tests.support.clients import Agent
from tests.support.seed import Tenant
from tests.support.server import Server, free_port
from tests.support.smtp import SmtpServer

PASSWORD = "s3cret-mail-pass"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(credentials=("mailer", PASSWORD)) as server:
        yield server


async def put_smtp(agent: Agent, body: dict[str, Any]) -> httpx.Response:
    return await agent.http.put("/api/v1/account/smtp", json=body, headers={"X-CSRF-Token": agent.csrf})


async def get_smtp(agent: Agent) -> dict[str, Any]:
    response = await agent.get("/api/v1/account/smtp")
    assert response.status_code == 200, response.text
    return response.json()["smtp"]


async def test_settings_keep_the_password_to_themselves(admin: Agent, server: Server, tenant: Tenant, smtp: SmtpServer) -> None:
    assert await get_smtp(admin) == {
        "host": "", "port": 587, "security": "starttls", "username": "", "from_email": "",
        "from_name": "", "password_set": False,
    }
    response = await put_smtp(admin, smtp.settings(from_email="Support@Shop.EXAMPLE"))
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text
    expected = {
        "host": "127.0.0.1", "port": smtp.port, "security": "none", "username": "mailer",
        "from_email": "Support@shop.example", "from_name": "Поддержка магазина", "password_set": True,
    }
    assert response.json()["smtp"] == expected
    assert await get_smtp(admin) == expected

    # Omitted or null keeps the stored password; "" clears it.
    without = {k: v for k, v in smtp.settings(from_name="  Служба   заботы ").items() if k != "password"}
    assert (await put_smtp(admin, without)).json()["smtp"] == {**expected, "from_name": "Служба заботы", "from_email": "support@shop.example"}
    assert (await put_smtp(admin, {**without, "password": None})).json()["smtp"]["password_set"] is True
    cleared = await put_smtp(admin, {**without, "password": ""})
    assert cleared.json()["smtp"]["password_set"] is False
    assert (await get_smtp(admin))["password_set"] is False

    # Every change is audited, the password only as set / not set.
    db = Database(server.database_url)
    try:
        async with db.read() as session:
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.account_id == tenant.account_id, AuditEntry.field.like("smtp.%"))
                )
            ).all()
    finally:
        await db.dispose()
    fields = [entry.field for entry in entries]
    assert {"smtp.host", "smtp.port", "smtp.security", "smtp.from_email", "smtp.from_name"} <= set(fields)
    assert fields.count("smtp.password") == 2
    assert all(PASSWORD not in f"{entry.old_value} {entry.new_value}" for entry in entries)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from_email": "not an address"}, "from_email"),
        ({"from_email": ""}, "from_email"),  # a host without a sender
        ({"host": "smtp example.com"}, "host"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"port": "twenty-five"}, "port"),
        ({"security": "ssl"}, "security"),
        ({"from_name": "x" * 201}, "from_name"),
        ({"host": None}, "host"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(admin: Agent, smtp: SmtpServer, change: dict, field: str) -> None:
    assert (await put_smtp(admin, smtp.settings())).status_code == 200
    before = await get_smtp(admin)
    response = await put_smtp(admin, {**smtp.settings(password="another"), **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_field"
    assert response.json()["error"]["field"] == field
    assert await get_smtp(admin) == before


async def test_only_admins_see_and_change_mail_settings(agent: Agent, server: Server, smtp: SmtpServer) -> None:
    assert (await agent.get("/api/v1/account/smtp")).status_code == 403
    assert (await put_smtp(agent, smtp.settings())).status_code == 403
    response = await agent.post("/api/v1/account/smtp/test", {"to": "someone@example.com"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get("/api/v1/account/smtp")).status_code == 401
    assert smtp.received == []


async def test_a_test_email_is_delivered(admin: Agent, smtp: SmtpServer) -> None:
    assert (await put_smtp(admin, smtp.settings())).status_code == 200
    # Saved again without the password: the stored one still logs in.
    assert (await put_smtp(admin, {k: v for k, v in smtp.settings().items() if k != "password"})).status_code == 200
    response = await admin.post("/api/v1/account/smtp/test", {"to": "Customer@Example.COM"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}

    [received] = smtp.received
    message = received.message
    assert received.mail_from == "support@shop.example"
    assert received.rcpt_tos == ["Customer@example.com"]
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Поддержка магазина", "support@shop.example")
    assert message["To"] == "Customer@example.com"
    assert "проверка почты" in message["Subject"]
    assert message["Message-ID"].endswith("@shop.example>")
    assert message["Date"].datetime is not None
    body = message.get_body(("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert "Это проверочное письмо от Helpline" in body.get_content()


async def test_a_failed_test_email_says_why(admin: Agent, smtp: SmtpServer) -> None:
    async def send_test(to: str = "customer@example.com") -> httpx.Response:
        return await admin.post("/api/v1/account/smtp/test", {"to": to})

    def failure(response: httpx.Response) -> str:
        assert response.status_code == 502, response.text
        assert response.json()["error"]["code"] == "smtp_failed"
        return response.json()["error"]["message"]

    assert "not configured" in failure(await send_test())

    assert (await put_smtp(admin, smtp.settings())).status_code == 200
    response = await send_test("no address")
    assert (response.status_code, response.json()["error"]["field"]) == (422, "to")

    smtp.refuse(550, times=None, text="No such user")
    assert failure(await send_test()) == "550 No such user"
    smtp.accept_all()
    smtp.refuse(451, stage="data", text="Try again later")
    assert failure(await send_test()) == "451 Try again later"  # the test send does not retry

    assert (await put_smtp(admin, smtp.settings(password="wrong"))).status_code == 200
    assert failure(await send_test()).startswith("535")
    assert (await put_smtp(admin, smtp.settings(username="", password=""))).status_code == 200
    assert failure(await send_test()).startswith("530")

    closed_port = free_port()
    assert (await put_smtp(admin, smtp.settings(port=closed_port))).status_code == 200
    assert f"127.0.0.1:{closed_port}" in failure(await send_test())
    assert smtp.received == []
