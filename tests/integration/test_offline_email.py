"""Answers a visitor missed are e-mailed (docs/protocol.md, "Offline answers by e-mail").

The test server waits HELPLINE_OFFLINE_EMAIL_DELAY=2 s for the visitor to read an answer in
the widget before e-mailing it, through the account's SMTP settings, to a real SMTP server.
To show that an e-mail is *not* sent, a second visitor ("the sentinel") is answered right
after: once the sentinel's e-mail has arrived, the earlier answer's turn has passed too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.clients import Agent, Visitor, eventually, send_and_ack, send_and_answer
from tests.support.seed import Tenant
from tests.support.server import Server
from tests.support.smtp import Received, SmtpServer

OFFLINE_EMAIL_DELAY = 2.0  # as set by tests/support/server.py
MAIL_TIMEOUT = OFFLINE_EMAIL_DELAY + 8  # the delay, the job runner's poll (1 s), and slack


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(autouse=True)
async def account_smtp(admin: Agent, smtp: SmtpServer) -> None:
    response = await admin.put("/api/v1/account/smtp", smtp.settings())
    assert response.status_code == 200, response.text


@dataclass
class Customer:
    visitor: Visitor
    email: str | None
    conversation_id: int
    number: int


async def customer(server: Server, tenant: Tenant, agent: Agent, email: str | None, *, leave: bool = True) -> Customer:
    """A visitor who gave `email` (None: no address) and asked a question; by default gone
    from the site (the agent's console shows them offline) by the time this returns."""
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start({"url": "https://shop.example/cart", "title": "Корзина"})
    widget = await visitor.socket()
    if email is not None:
        assert (await send_and_answer(widget, {"type": "contact.update", "name": "Анна", "email": email}))["type"] == "ack"
    ack = await send_and_ack(widget, "Можно изменить адрес доставки?")
    conversation_id = ack["conversation_id"]
    number = (await agent.conversation(conversation_id))["conversation"]["number"]
    await widget.close()

    async def gone() -> bool:
        return (await agent.conversation(conversation_id))["visitor"]["online"] is False

    await eventually(gone, timeout=5, what="the visitor to be offline")
    return Customer(visitor, email, conversation_id, number)


async def answer(agent: Agent, conversation_id: int, body: str, kind: str = "text") -> None:
    response = await agent.reply(conversation_id, body, kind=kind)
    assert response.status_code == 201, response.text


async def quiet(smtp: SmtpServer, seconds: float = 0.8) -> list[Received]:
    """Everything received after `seconds` more: an e-mail job enqueued by a job that ran
    wakes the runner at once, so anything still coming would be here by then."""
    await asyncio.sleep(seconds)
    return list(smtp.received)


async def sentinel_mail(server: Server, tenant: Tenant, agent: Agent, smtp: SmtpServer) -> list[Received]:
    """Answer an absent visitor now and wait for that e-mail; then return all mail received."""
    sentinel = await customer(server, tenant, agent, "sentinel@example.com")
    await answer(agent, sentinel.conversation_id, "sentinel answer")

    def arrived() -> bool:
        return any(mail.rcpt_tos == ["sentinel@example.com"] for mail in smtp.received)

    await eventually(arrived, timeout=MAIL_TIMEOUT, what="the sentinel's e-mail")
    # The earlier answer's job was due first, so it has run (or runs alongside): an e-mail it
    # made would be committed with the sentinel's, and arrive within moments.
    received = await quiet(smtp, 0.5)
    await sentinel.visitor.close()
    return received


async def test_answers_in_a_row_go_out_as_one_email_and_a_later_one_alone(
    server: Server, tenant: Tenant, agent: Agent, smtp: SmtpServer
) -> None:
    anna = await customer(server, tenant, agent, "Anna@Example.COM")
    await answer(agent, anna.conversation_id, "Да, можно.")
    await answer(agent, anna.conversation_id, "Клиентка уже дважды меняла адрес", kind="note")
    last_answer_at = time.time()
    await answer(agent, anna.conversation_id, "Напишите новый адрес, пожалуйста.")

    [mail] = await smtp.wait_for(1, timeout=MAIL_TIMEOUT)
    assert mail.at >= last_answer_at + OFFLINE_EMAIL_DELAY - 0.2  # the visitor had the delay to read it
    assert mail.rcpt_tos == ["Anna@example.com"]
    assert f"#{anna.number}" in mail.message["Subject"]
    text = mail.message.get_content()
    assert text.index("Да, можно.") < text.index("Напишите новый адрес, пожалуйста.")
    assert "дважды" not in text  # internal notes stay inside
    assert len(await quiet(smtp)) == 1  # one e-mail for both answers

    # the visitor is still away: the next answer gets an e-mail of its own, without the old ones
    await answer(agent, anna.conversation_id, "Адрес изменён.")
    mails = await smtp.wait_for(2, timeout=MAIL_TIMEOUT)
    later = mails[1].message
    assert mails[1].rcpt_tos == ["Anna@example.com"]
    assert f"#{anna.number}" in later["Subject"]
    body = later.get_content()
    assert "Адрес изменён." in body
    assert "Да, можно." not in body and "Напишите новый адрес" not in body
    assert len(await quiet(smtp)) == 2
    await anna.visitor.close()


async def test_an_answer_read_in_the_widget_within_the_delay_is_not_emailed(
    server: Server, tenant: Tenant, agent: Agent, smtp: SmtpServer
) -> None:
    anna = await customer(server, tenant, agent, "anna@example.com")
    await answer(agent, anna.conversation_id, "Да, можно.")

    widget = await anna.visitor.socket(cursors={anna.conversation_id: 1})  # she comes back
    shown = await widget.wait_for(lambda f: f["type"] == "message")
    assert shown["message"]["body"] == "Да, можно." and shown["message"]["seq"] == 2
    await widget.send({"type": "read", "conversation_id": anna.conversation_id, "seq": 2})
    await widget.send({"type": "ping"})  # frames are handled in order: the pong follows the read
    await widget.wait_for(lambda f: f["type"] == "pong")
    await widget.close()

    received = await sentinel_mail(server, tenant, agent, smtp)
    assert [mail.rcpt_tos for mail in received] == [["sentinel@example.com"]]
    await anna.visitor.close()


async def test_visitors_on_the_site_or_without_an_address_get_no_email(
    server: Server, tenant: Tenant, agent: Agent, smtp: SmtpServer
) -> None:
    # on the site when the answer comes (and gone before reading it)
    present = Visitor(server.url, tenant.site_key)
    await present.start()
    widget = await present.socket()
    await send_and_answer(widget, {"type": "contact.update", "email": "present@example.com"})
    ack = await send_and_ack(widget, "Есть ли размер M?")
    await answer(agent, ack["conversation_id"], "Есть.")
    await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["body"] == "Есть.")
    await widget.close()
    # away, but left no address
    nameless = await customer(server, tenant, agent, None)
    await answer(agent, nameless.conversation_id, "Ответ без адреса")

    received = await sentinel_mail(server, tenant, agent, smtp)
    assert [mail.rcpt_tos for mail in received] == [["sentinel@example.com"]]
    await present.close()
    await nameless.visitor.close()


async def test_an_unread_answer_is_emailed_even_if_a_later_one_came_while_the_visitor_was_back(
    server: Server, tenant: Tenant, agent: Agent, smtp: SmtpServer
) -> None:
    """The first answer found the visitor away, and she did not read it within the delay: it is
    e-mailed. (She came back to the site with the chat closed, so the widget connected but
    sent no `read`; the second answer found her on the site and is not e-mailed.)"""
    anna = await customer(server, tenant, agent, "anna@example.com")
    await answer(agent, anna.conversation_id, "Первый ответ")
    widget = await anna.visitor.socket(cursors={anna.conversation_id: 1})

    async def back() -> bool:
        return (await agent.conversation(anna.conversation_id))["visitor"]["online"] is True

    await eventually(back, timeout=5, what="the visitor to be back")
    await answer(agent, anna.conversation_id, "Второй ответ")

    received = await sentinel_mail(server, tenant, agent, smtp)
    to_anna = [mail for mail in received if mail.rcpt_tos == ["anna@example.com"]]
    assert len(to_anna) == 1, [mail.rcpt_tos for mail in received]
    assert "Первый ответ" in to_anna[0].message.get_content()
    await widget.close()
    await anna.visitor.close()
