"""The e-mail channel against real servers: customers' mail goes through an MTA into a real
Dovecot mailbox, Helpline reads it over IMAP, and agents' replies leave over SMTP to an
aiosmtpd server (docs/protocol.md, "Channels").

Each test has a tenant, a mailbox (a new Dovecot user name), an e-mail inbox and an SMTP
server of its own: a `desk`. The desks of the module are made in one go before its first
test, so that the pollers, which look for new inboxes every few seconds, find them all at
once rather than one test at a time.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import update

from helpline.channels.email.parse import DeliveryReport, read_mail
from helpline.channels.email.quotes import split_reply
from helpline.conversations.models import Inbox
from helpline.core.db import Database
from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.mail import IMAP_PASSWORD, IMAP_PORT, Mta, imap_client, mail, new_mailbox
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server
from tests.support.smtp import Received, SmtpServer


ANNA = "Анна Петрова <anna@example.com>"


@pytest.fixture(scope="module")
def dovecot() -> None:
    if not IMAP_PORT:
        pytest.skip('needs the test Dovecot: eval "$(scripts/test-services.sh start)"')


@pytest.fixture(scope="module")
def mta(dovecot: None) -> Iterator[Mta]:
    with Mta() as server:
        yield server


def settings_for(address: str, smtp: SmtpServer, **overrides: Any) -> dict[str, Any]:
    return {
        "imap_host": "127.0.0.1", "imap_port": IMAP_PORT, "imap_security": "none", "imap_username": address,
        "imap_password": IMAP_PASSWORD, "smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_security": "none",
        "from_email": address, "from_name": "Поддержка магазина", **overrides,
    }


async def connect(admin: Agent, smtp: SmtpServer, **overrides: Any) -> tuple[dict[str, Any], str]:
    """A new e-mail inbox on a new mailbox: (the inbox, its address)."""
    address = new_mailbox()
    response = await admin.post(
        "/api/v1/inboxes", {"channel": "email", "name": "Почта", "settings": settings_for(address, smtp, **overrides)}
    )
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == address
    return response.json()["inbox"], address


@dataclass
class Desk:
    tenant: Tenant
    inbox: dict[str, Any]
    address: str  # the mailbox customers write to
    smtp: SmtpServer  # where its replies go
    settings: dict[str, Any] = field(default_factory=dict)  # beyond the usual ones


class Desks:
    """Desks made ahead; `take` hands out one with the given settings (made then if none is)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.ready: list[Desk] = []
        self.servers: list[SmtpServer] = []

    async def make(self, settings: dict[str, Any]) -> Desk:
        tenant = await make_tenant(self.server.database_url)
        smtp = SmtpServer().__enter__()
        self.servers.append(smtp)
        admin = await Agent.login(self.server.url, tenant.admin, tenant.password)
        try:
            inbox, address = await connect(admin, smtp, **settings)
        finally:
            await admin.close()
        return Desk(tenant, inbox, address, smtp, settings)

    async def take(self, settings: dict[str, Any]) -> Desk:
        for desk in self.ready:
            if desk.settings == settings:
                self.ready.remove(desk)
                return desk
        return await self.make(settings)

    def close(self) -> None:
        for smtp in self.servers:
            smtp.__exit__(None, None, None)


@pytest_asyncio.fixture(scope="module")
async def desks(request: pytest.FixtureRequest, dovecot: None, server: Server, backend: str) -> AsyncIterator[Desks]:
    pool = Desks(server)
    for item in request.session.items:  # this module's tests on this backend that take a desk
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module is request.module and "desk" in item.fixturenames and params.get("backend") == backend:
            pool.ready.append(await pool.make(params.get("desk", {})))
    yield pool
    pool.close()


@pytest_asyncio.fixture
async def desk(request: pytest.FixtureRequest, desks: Desks) -> Desk:
    """Settings other than the usual: `@pytest.mark.parametrize("desk", [{...}], indirect=True)`."""
    return await desks.take(getattr(request, "param", {}))


@pytest_asyncio.fixture
async def admin(server: Server, desk: Desk) -> AsyncIterator[Agent]:
    client = await Agent.login(server.url, desk.tenant.admin, desk.tenant.password)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def agent(server: Server, desk: Desk) -> AsyncIterator[Agent]:
    client = await Agent.login(server.url, desk.tenant.agents[0], desk.tenant.password)
    yield client
    await client.close()


async def eventually(check: Any, timeout: float = 45.0, what: str = "it") -> Any:
    # Generous: under the whole suite a poller may be pausing after a failed poll (1 s, 2 s …).
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def conversations(agent: Agent) -> list[dict[str, Any]]:
    response = await agent.get("/api/v1/conversations", status="all", channel="email")
    assert response.status_code == 200, response.text
    return sorted(response.json()["conversations"], key=lambda c: c["id"])


async def messages(agent: Agent, conversation_id: int) -> list[dict[str, Any]]:
    return (await agent.conversation(conversation_id))["messages"]


async def wait_conversations(agent: Agent, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await conversations(agent)
        return found if len(found) >= count else None

    return await eventually(enough, what=f"{count} e-mail conversations")


async def wait_messages(agent: Agent, conversation_id: int, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await messages(agent, conversation_id)
        return found if len(found) >= count else None

    return await eventually(enough, what=f"{count} messages in conversation {conversation_id}")


async def wait_delivery(agent: Agent, conversation_id: int, message_id: int, status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = next(m for m in await messages(agent, conversation_id) if m["id"] == message_id)
        return found if (found["delivery"] or {}).get("status") == status else None

    return await eventually(reached, what=f"message {message_id} to be {status}")


async def reply(agent: Agent, conversation_id: int, body: str) -> dict[str, Any]:
    response = await agent.reply(conversation_id, body)
    assert response.status_code == 201, response.text
    return response.json()["message"]


async def download(server: Server, attachment: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await client.get(attachment["url"])


def ids(value: str | None) -> list[str]:
    return (value or "").split()


async def test_mail_becomes_a_conversation_and_replies_thread_both_ways(
    server: Server, desk: Desk, agent: Agent, mta: Mta
) -> None:
    inbox, address, smtp = desk.inbox, desk.address, desk.smtp
    assert inbox["channel"] == "email" and inbox["settings"]["imap_password"] == "••••••••"
    assert IMAP_PASSWORD not in str(inbox)

    first = mail(ANNA, address, "Заказ 1042 не пришёл", "Здравствуйте! Заказ 1042 так и не пришёл.\n\nАнна")
    mta.send(first)
    [conversation] = await wait_conversations(agent, 1)
    assert conversation["contact"]["email"] == "anna@example.com" and conversation["contact"]["name"] == "Анна Петрова"
    assert conversation["inbox"]["id"] == inbox["id"]
    [message] = await wait_messages(agent, conversation["id"], 1)
    assert message["author"]["type"] == "contact" and message["body"] == "Здравствуйте! Заказ 1042 так и не пришёл.\n\nАнна"
    assert message["attachments"] == []

    # The agent's reply leaves by SMTP, threaded under the customer's mail.
    answer = await reply(agent, conversation["id"], "Отправили вчера, трек придёт письмом.")
    assert answer["delivery"] == {"status": "pending", "error": None}
    [sent] = await smtp.wait_for(1)
    number = conversation["number"]
    assert sent.rcpt_tos == ["anna@example.com"] and sent.mail_from == address
    assert sent.message["Subject"] == f"Re: Заказ 1042 не пришёл [#{number}]"
    assert sent.message["From"].addresses[0].addr_spec == address
    assert sent.message["From"].addresses[0].display_name == "Поддержка магазина"
    assert sent.message["To"].addresses[0].addr_spec == "anna@example.com"
    assert sent.message["In-Reply-To"] == first["Message-ID"] and ids(sent.message["References"]) == [first["Message-ID"]]
    assert "Отправили вчера" in sent.message.get_body(("plain",)).get_content()
    await wait_delivery(agent, conversation["id"], answer["id"], "sent")

    # The customer answers it, quoting it: the same conversation, only the new words shown.
    second = mail(
        ANNA, address, sent.message["Subject"].replace("Re: ", "RE: Re: ", 1),
        f"Спасибо, но трека всё нет.\n\nOn Mon, 1 Dec 2025 at 10:00, Поддержка магазина <{address}> wrote:\n\n"
        "> Отправили вчера, трек придёт письмом.\n",
        headers={"In-Reply-To": sent.message["Message-ID"], "References": f"{first['Message-ID']} {sent.message['Message-ID']}"},
    )
    mta.send(second)
    found = await wait_messages(agent, conversation["id"], 3)
    assert found[2]["body"] == "Спасибо, но трека всё нет."
    [whole] = found[2]["attachments"]
    assert whole["name"] == "full-message.txt"
    assert "> Отправили вчера" in (await download(server, whole)).text

    # The second answer, with a file: threaded under the whole exchange.
    pdf = b"%PDF-1.4\n% waybill\n%%EOF\n"
    uploaded = await agent.http.post(
        "/api/v1/files", files={"file": ("накладная.pdf", pdf, "application/pdf")}, headers={"X-CSRF-Token": agent.csrf}
    )
    assert uploaded.status_code == 201, uploaded.text
    answer2 = (await agent.post(f"/api/v1/conversations/{conversation['id']}/messages", {
        "client_id": new_client_id(), "body": "Трек: RA123456789RU, накладная во вложении.", "kind": "text",
        "file_ids": [uploaded.json()["file"]["id"]],
    })).json()["message"]
    received = await smtp.wait_for(2)
    assert received[1].message["In-Reply-To"] == second["Message-ID"]
    assert ids(received[1].message["References"]) == [first["Message-ID"], sent.message["Message-ID"], second["Message-ID"]]
    assert received[1].message["Subject"] == f"Re: Заказ 1042 не пришёл [#{number}]"
    [attached] = list(received[1].message.iter_attachments())
    assert attached.get_filename() == "накладная.pdf" and attached.get_content() == pdf
    await wait_delivery(agent, conversation["id"], answer2["id"], "sent")
    assert len(await conversations(agent)) == 1


async def test_new_subjects_start_conversations_and_a_number_in_the_subject_threads(
    desk: Desk, agent: Agent, mta: Mta
) -> None:
    address = desk.address
    mta.send(mail(ANNA, address, "Доставка", "Где заказ?"))
    [delivery] = await wait_conversations(agent, 1)
    # A new subject without references is a new request, even with one open already.
    mta.send(mail(ANNA, address, "Возврат", "Хочу вернуть товар."))
    await wait_conversations(agent, 2)
    # The number in the subject threads a reply whose client dropped the headers ...
    mta.send(mail(ANNA, address, f"Re: Доставка [#{delivery['number']}]", "Всё ещё жду."))
    found = await wait_messages(agent, delivery["id"], 2)
    assert found[1]["body"] == "Всё ещё жду."
    # ... but only the customer's own: another sender naming it starts a conversation of theirs.
    mta.send(mail("Boris <boris@example.org>", address, f"Re: Доставка [#{delivery['number']}]", "Я тоже жду."))
    listed = await wait_conversations(agent, 3)
    assert [c["contact"]["email"] for c in listed] == ["anna@example.com", "anna@example.com", "boris@example.org"]
    assert len(await messages(agent, delivery["id"])) == 2


async def test_the_same_mail_read_twice_stores_nothing_new(
    server: Server, desk: Desk, agent: Agent, mta: Mta
) -> None:
    inbox, address = desk.inbox, desk.address
    first = mail(ANNA, address, "Вопрос", "Есть ли размер M?")
    mta.send(first)
    [conversation] = await wait_conversations(agent, 1)
    mta.send(first)  # delivered twice (a retrying MTA): the same Message-ID
    db = Database(server.database_url)
    try:
        async def cursor() -> dict[str, Any]:
            async with db.read() as session:
                return (await session.get(Inbox, inbox["id"], populate_existing=True)).cursor

        await eventually(lambda: _last_uid_at_least(cursor, 2), what="the cursor past both copies")
        # Forgotten (as when the mailbox is recreated): the mailbox is read again, from the day
        # before, once something wakes the poller (here a flag someone sets in their client).
        async with db.transaction() as session:
            await session.execute(update(Inbox).where(Inbox.id == inbox["id"]).values(cursor={}))
        with imap_client(address) as mailbox:
            mailbox.select_folder("INBOX")
            mailbox.add_flags(mailbox.search(["ALL"])[:1], [b"\\Flagged"])
        await eventually(lambda: _last_uid_at_least(cursor, 2), what="the mailbox read again")
    finally:
        await db.dispose()
    assert [c["id"] for c in await conversations(agent)] == [conversation["id"]]
    assert [m["body"] for m in await messages(agent, conversation["id"])] == ["Есть ли размер M?"]


async def _last_uid_at_least(cursor: Any, uid: int) -> bool:
    return (await cursor()).get("last_uid", 0) >= uid


def cp1251_mail(address: str) -> bytes:
    """As Outlook in Russian writes one: windows-1251 body, encoded-word subject and name."""
    subject = base64.b64encode("Счёт на оплату №7".encode("cp1251")).decode()
    name = base64.b64encode("Ольга Смирнова".encode("cp1251")).decode()
    body = "Добрый день!\r\nПришлите, пожалуйста, счёт на оплату.\r\n".encode("cp1251")
    return (
        f"From: =?windows-1251?B?{name}?= <olga@example.ru>\r\nTo: {address}\r\n"
        f"Subject: =?windows-1251?B?{subject}?=\r\nMessage-ID: {make_msgid(domain='example.ru')}\r\n"
        "Date: Mon, 01 Dec 2025 10:00:00 +0300\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body


def koi8_mail(address: str) -> bytes:
    """KOI8-R, as old Unix clients write it: quoted-printable encoded words, 8-bit body."""
    subject = "".join(f"={b:02X}" for b in "Доставка в Казань".encode("koi8-r"))
    name = "".join(f"={b:02X}" for b in "Пётр".encode("koi8-r"))
    body = "Сколько идёт посылка в Казань?\n".encode("koi8-r")
    return (
        f"From: =?KOI8-R?Q?{name}?= <petr@example.ru>\nTo: {address}\nSubject: =?KOI8-R?Q?{subject}?=\n"
        f"Message-ID: {make_msgid(domain='example.ru')}\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=KOI8-R\nContent-Transfer-Encoding: 8bit\n\n"
    ).encode() + body


async def test_russian_charsets_and_encoded_headers_decode(
    desk: Desk, agent: Agent, mta: Mta
) -> None:
    address, smtp = desk.address, desk.smtp
    mta.send_raw(cp1251_mail(address), sender="olga@example.ru", to=[address])
    mta.send_raw(koi8_mail(address), sender="petr@example.ru", to=[address])
    olga, petr = await wait_conversations(agent, 2)
    assert (olga["contact"]["name"], petr["contact"]["name"]) == ("Ольга Смирнова", "Пётр")
    assert [m["body"] for m in await messages(agent, olga["id"])] == ["Добрый день!\nПришлите, пожалуйста, счёт на оплату."]
    assert [m["body"] for m in await messages(agent, petr["id"])] == ["Сколько идёт посылка в Казань?"]
    # The subjects were read too: the replies carry them.
    await reply(agent, olga["id"], "Высылаем.")
    await reply(agent, petr["id"], "Три дня.")
    subjects = sorted(r.message["Subject"] for r in await smtp.wait_for(2))
    assert subjects == [f"Re: Доставка в Казань [#{petr['number']}]", f"Re: Счёт на оплату №7 [#{olga['number']}]"]


async def test_html_mail_becomes_text_and_attachments_arrive(
    server: Server, desk: Desk, agent: Agent, mta: Mta
) -> None:
    address = desk.address
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Здравствуйте!</p><p>Товар пришёл <b>разбитым</b>, фото во вложении. "
        "<a href='https://shop.example/orders/77'>Заказ 77</a></p><img src=x onerror=alert(1)></body></html>"
    )
    pdf = b"%PDF-1.4\n% receipt\n%%EOF\n"
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    mta.send(mail(ANNA, address, "Разбитый товар", html=html, files=[("чек №77.pdf", "application/pdf", pdf), ("фото.png", "image/png", png)]))
    [conversation] = await wait_conversations(agent, 1)
    [message] = await wait_messages(agent, conversation["id"], 1)
    assert message["body"] == (
        "Здравствуйте!\n\nТовар пришёл разбитым, фото во вложении. [Заказ 77](https://shop.example/orders/77)"
    )
    files = {a["name"]: a for a in message["attachments"]}
    assert set(files) == {"чек №77.pdf", "фото.png", "message.html"}
    assert files["фото.png"]["image"] is True and files["чек №77.pdf"]["content_type"] == "application/pdf"
    assert (await download(server, files["чек №77.pdf"])).content == pdf
    assert (await download(server, files["фото.png"])).content == png
    # The original HTML is there to download, never to be shown.
    original = await download(server, files["message.html"])
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment")
    assert "<script>" in original.text


async def test_auto_replies_and_bounces_are_not_answered(
    desk: Desk, admin: Agent, agent: Agent, mta: Mta
) -> None:
    address, smtp = desk.address, desk.smtp
    rule = {"name": "Подтверждение", "conditions": [], "actions": [{"type": "auto_reply", "value": "Мы получили письмо."}]}
    assert (await admin.post("/api/v1/routing/rules", rule)).status_code == 201

    # A person's mail gets the auto-reply, marked as automatic itself.
    mta.send(mail(ANNA, address, "Вопрос", "Есть доставка в Тверь?"))
    [person] = await wait_conversations(agent, 1)
    [bot_mail] = await smtp.wait_for(1)
    assert bot_mail.message["Auto-Submitted"] == "auto-replied"
    bot = (await wait_messages(agent, person["id"], 2))[1]
    assert bot["author"]["type"] == "bot"
    await wait_delivery(agent, person["id"], bot["id"], "sent")

    # An out-of-office and a mailing are stored for the agents, and answered by nobody.
    out_of_office = mail(
        "Борис <boris@example.org>", address, "Автоответ: Вопрос", "Я в отпуске до 10 декабря.",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    mta.send(out_of_office)
    mta.send(mail("news@example.net", address, "Скидки недели", "Только сегодня!", headers={"Precedence": "bulk"}))
    listed = await wait_conversations(agent, 3)
    for conversation in listed[1:]:
        [stored] = await wait_messages(agent, conversation["id"], 1)
        assert stored["author"]["type"] == "contact"

    # A bounce of the auto-reply fails it, and becomes no message of anyone's.
    mta.send_raw(bounce_of(bot_mail, address), sender="", to=[address])
    failed = await wait_delivery(agent, person["id"], bot["id"], "failed")
    assert "550 5.1.1" in failed["delivery"]["error"] and failed["delivery"]["error"].startswith("Bounced:")

    # Everything read, nothing more sent: no answer to the robots, no message from the bounce.
    mta.send(mail(ANNA, address, "Re: Вопрос", "Спасибо!", headers={"In-Reply-To": bot_mail.message["Message-ID"]}))
    await wait_messages(agent, person["id"], 3)
    assert len(await conversations(agent)) == 3
    assert len(smtp.received) == 1


def bounce_of(sent: Received, address: str) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes one."""
    return f"""From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: {address}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: {make_msgid(domain="mx.example.com")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com. I'm sorry to have to inform you
that your message could not be delivered to one or more recipients.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; anna@example.com
Original-Recipient: rfc822;anna@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <anna@example.com>: Recipient address rejected:
    User unknown in virtual mailbox table

--B1
Content-Type: text/rfc822-headers

From: {sent.message["From"]}
To: anna@example.com
Subject: {sent.message["Subject"]}
Message-ID: {sent.message["Message-ID"]}

--B1--
""".replace("\n", "\r\n").encode()


async def test_mail_that_came_while_helpline_was_stopped_is_read_when_it_starts(
    private_server: Server, mta: Mta
) -> None:
    tenant = await make_tenant(private_server.database_url)
    admin = await Agent.login(private_server.url, tenant.admin, tenant.password)
    try:
        with SmtpServer() as smtp:
            inbox, address = await connect(admin, smtp)
    finally:
        await admin.close()
    db = Database(private_server.database_url)
    try:
        async def cursor() -> dict[str, Any]:
            async with db.read() as session:
                return (await session.get(Inbox, inbox["id"], populate_existing=True)).cursor

        await eventually(cursor, what="the first poll to keep its place")
        private_server.stop()
        mta.send(mail(ANNA, address, "Письмо 1", "Первое, пока вы спали."))
        mta.send(mail("Boris <boris@example.org>", address, "Письмо 2", "Второе, пока вы спали."))
        private_server.start()
        agent = await Agent.login(private_server.url, tenant.agents[0], tenant.password)
        try:
            found = await wait_conversations(agent, 2)
            assert [c["contact"]["email"] for c in found] == ["anna@example.com", "boris@example.org"]
            assert [m["body"] for m in await messages(agent, found[1]["id"])] == ["Второе, пока вы спали."]
        finally:
            await agent.close()
        assert (await cursor())["last_uid"] == 2
    finally:
        await db.dispose()


@pytest.mark.parametrize("desk", [{"max_message_mb": 1}], indirect=True)
async def test_a_huge_message_does_not_hold_up_the_next(desk: Desk, agent: Agent, mta: Mta) -> None:
    address = desk.address
    huge = mail(ANNA, address, "Видео", "Посмотрите видео, там всё видно.", files=[("video.mp4", "video/mp4", bytes(3 * 1024 * 1024))])
    mta.send(huge)
    mta.send(mail("Boris <boris@example.org>", address, "Маленькое", "Короткий вопрос."))
    first, second = await wait_conversations(agent, 2)
    [message] = await wait_messages(agent, first["id"], 1)
    assert message["body"].startswith("[This e-mail is 4.") and "(1 MB)" in message["body"]
    assert message["body"].endswith("Посмотрите видео, там всё видно.")
    assert message["attachments"] == []
    assert [m["body"] for m in await wait_messages(agent, second["id"], 1)] == ["Короткий вопрос."]


async def test_a_failed_send_is_retried_shown_as_failed_and_resent(
    desk: Desk, admin: Agent, agent: Agent, mta: Mta
) -> None:
    inbox, address, smtp = desk.inbox, desk.address, desk.smtp
    mta.send(mail(ANNA, address, "Вопрос", "Когда доставка?"))
    [conversation] = await wait_conversations(agent, 1)

    smtp.refuse(451, times=None)  # greylisting that never ends
    answer = await reply(agent, conversation["id"], "Завтра.")
    failed = await wait_delivery(agent, conversation["id"], answer["id"], "failed")
    assert failed["delivery"]["error"].startswith("451")
    assert len(smtp.refused) == 5 and smtp.received == []  # tried 5 times
    listed = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    assert next(i for i in listed if i["id"] == inbox["id"])["status"] == "error"

    smtp.accept_all()
    retried = await admin.post(f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/retry")
    assert retried.status_code == 200 and retried.json()["message"]["delivery"]["status"] == "pending"
    await wait_delivery(agent, conversation["id"], answer["id"], "sent")
    [sent] = await smtp.wait_for(1)
    assert "Завтра." in sent.message.get_body(("plain",)).get_content()

    # A 5xx is final at once: no retries.
    smtp.refuse(550, times=None, text="5.1.1 Mailbox unavailable")
    refused_before = len(smtp.refused)
    second = await reply(agent, conversation["id"], "И ещё.")
    failed = await wait_delivery(agent, conversation["id"], second["id"], "failed")
    assert failed["delivery"]["error"].startswith("550") and len(smtp.refused) == refused_before + 1
    again = await admin.post(f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/retry")
    assert again.status_code == 409  # sent already


async def test_a_site_chat_is_answered_by_email_and_the_reply_comes_back_to_it(
    server: Server, desks: Desks, desk: Desk, admin: Agent, agent: Agent, mta: Mta
) -> None:
    email_inbox, address, smtp = desk.inbox, desk.address, desk.smtp
    visitor = Visitor(server.url, desk.tenant.site_key)
    other_account = await desks.make({})  # with an e-mail inbox of its own
    switched_off, _ = await connect(admin, smtp)
    assert (await admin.patch(f"/api/v1/inboxes/{switched_off['id']}", {"is_active": False})).status_code == 200
    try:
        await visitor.start()
        widget = await visitor.socket()
        await widget.send({"type": "contact.update", "client_id": new_client_id(), "email": "Maria@Example.COM"})
        assert (await widget.wait_for(lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
        ack = await send_and_ack(widget, "Не могу оплатить заказ картой\nПишет «отказ банка».")
        chat_id = ack["conversation_id"]
        detail = await agent.conversation(chat_id)
        assert detail["answer_via"] == [{"id": email_inbox["id"], "name": "Почта", "channel": "email"}]

        # Bad requests: a clear error, nothing stored.
        async def send(body: dict[str, Any]) -> httpx.Response:
            return await agent.post(
                f"/api/v1/conversations/{chat_id}/messages", {"client_id": new_client_id(), "body": "Ответ", **body}
            )

        for bad in (
            {"via_inbox_id": 987654321},  # no such inbox
            {"via_inbox_id": other_account.inbox["id"]},  # another account's e-mail inbox
            {"via_inbox_id": switched_off["id"]},  # switched off
            {"via_inbox_id": email_inbox["id"], "kind": "note"},  # a note never leaves
        ):
            refused = await send(bad)
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["error"]["field"] == "via_inbox_id", refused.text
        assert (await send({"via_inbox_id": "почта"})).status_code == 422
        assert len(await messages(agent, chat_id)) == 1
        assert smtp.received == []

        # The agent answers by e-mail: the message is in the chat (the visitor sees it too) and
        # leaves by SMTP to the address the visitor typed, named after their question.
        answered = await send({"via_inbox_id": email_inbox["id"], "body": "Попробуйте другую карту, а мы проверим платёж."})
        assert answered.status_code == 201, answered.text
        answer = answered.json()["message"]
        assert answer["via_inbox_id"] == email_inbox["id"] and answer["delivery"]["status"] == "pending"
        seen = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["id"] == answer["id"])
        assert seen["message"]["body"] == "Попробуйте другую карту, а мы проверим платёж."
        [sent] = await smtp.wait_for(1)
        number = detail["conversation"]["number"]
        assert sent.rcpt_tos == ["Maria@example.com"] and sent.mail_from == address
        assert sent.message["Subject"] == f"Re: Не могу оплатить заказ картой [#{number}]"
        assert sent.message["In-Reply-To"] is None
        await wait_delivery(agent, chat_id, answer["id"], "sent")

        # The customer answers the e-mail: it goes on in the chat, as the same contact, who now
        # has the e-mail identity; no e-mail conversation is opened.
        customer_reply = mail(
            "Мария <maria@example.com>", address, f"Re: {sent.message['Subject']}", "Другая карта тоже не проходит.",
            headers={"In-Reply-To": sent.message["Message-ID"], "References": sent.message["Message-ID"]},
        )
        mta.send(customer_reply)
        found = await wait_messages(agent, chat_id, 3)
        assert found[2]["author"]["type"] == "contact" and found[2]["body"] == "Другая карта тоже не проходит."
        assert found[2]["via_inbox_id"] == email_inbox["id"]
        assert await conversations(agent) == []
        contact_id = detail["conversation"]["contact"]["id"]
        contact = (await agent.get(f"/api/v1/contacts/{contact_id}")).json()["contact"]
        assert {"kind": "email", "value": "maria@example.com", "blocked": False} in contact["identities"]
        seen = await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["seq"] == 3)
        assert seen["message"]["body"] == "Другая карта тоже не проходит."

        # The next answer by e-mail threads under the exchange.
        again = await send({"via_inbox_id": email_inbox["id"], "body": "Платёж нашли, заказ оплачен."})
        assert again.status_code == 201, again.text
        received = await smtp.wait_for(2)
        assert received[1].message["In-Reply-To"] == customer_reply["Message-ID"]
        assert ids(received[1].message["References"]) == [sent.message["Message-ID"], customer_reply["Message-ID"]]
        assert received[1].message["Subject"] == f"Re: Не могу оплатить заказ картой [#{number}]"
        await widget.close()
    finally:
        await visitor.close()


async def test_a_reply_is_the_chats_contact_only_when_it_answers_helplines_mail(
    server: Server, desk: Desk, agent: Agent, mta: Mta
) -> None:
    address, smtp = desk.address, desk.smtp
    # Olga wrote by e-mail once (a contact with that address as an identity) ...
    mta.send(mail("Ольга <olga@example.com>", address, "Старый вопрос", "Здравствуйте!"))
    [earlier] = await wait_conversations(agent, 1)
    olga_by_mail = earlier["contact"]["id"]
    # ... and now chats on the site, typing the same address: another contact, so far.
    visitor = Visitor(server.url, desk.tenant.site_key)
    try:
        await visitor.start()
        widget = await visitor.socket()
        await widget.send({"type": "contact.update", "client_id": new_client_id(), "email": "olga@example.com"})
        await widget.wait_for(lambda f: f["type"] in ("ack", "error"))
        ack = await send_and_ack(widget, "Как сменить адрес доставки?")
        await widget.close()
    finally:
        await visitor.close()
    chat = (await agent.conversation(ack["conversation_id"]))["conversation"]
    assert chat["contact"]["id"] != olga_by_mail
    answered = await agent.post(f"/api/v1/conversations/{chat['id']}/messages", {
        "client_id": new_client_id(), "body": "В личном кабинете, раздел «Адреса».", "via_inbox_id": desk.inbox["id"],
    })
    assert answered.status_code == 201, answered.text
    [sent] = await smtp.wait_for(1)
    assert sent.rcpt_tos == ["olga@example.com"]

    # Her reply to that mail goes on in the chat, as the chat's contact; the address stays the
    # other contact's identity (two contacts of one person, for an agent to merge).
    mta.send(mail(
        "Ольга <olga@example.com>", address, f"Re: {sent.message['Subject']}", "Спасибо, нашла.",
        headers={"In-Reply-To": sent.message["Message-ID"], "References": sent.message["Message-ID"]},
    ))
    found = await wait_messages(agent, chat["id"], 3)
    assert found[2]["body"] == "Спасибо, нашла." and found[2]["author"]["id"] == chat["contact"]["id"]
    chat_contact = (await agent.get(f"/api/v1/contacts/{chat['contact']['id']}")).json()["contact"]
    assert [i["kind"] for i in chat_contact["identities"]] == ["web"]

    # A mail that only names the chat's number in its subject proves nothing: from an address
    # the chat's contact does not have as an identity it is not taken into the chat.
    mta.send(mail("Ольга <olga@example.com>", address, f"Re: [#{chat['number']}]", "Это не она."))
    listed = await wait_conversations(agent, 2)
    assert [c["contact"]["id"] for c in listed] == [olga_by_mail, olga_by_mail]
    assert len(await messages(agent, chat["id"])) == 3


async def test_a_chat_contact_without_an_address_is_not_offered_email(
    server: Server, desk: Desk, agent: Agent
) -> None:
    visitor = Visitor(server.url, desk.tenant.site_key)
    try:
        await visitor.start()
        widget = await visitor.socket()
        ack = await send_and_ack(widget, "Здравствуйте")
        assert (await agent.conversation(ack["conversation_id"]))["answer_via"] == []
        refused = await agent.post(
            f"/api/v1/conversations/{ack['conversation_id']}/messages",
            {"client_id": new_client_id(), "body": "Ответ", "via_inbox_id": desk.inbox["id"]},
        )
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "via_inbox_id", refused.text
        assert len(await messages(agent, ack["conversation_id"])) == 1
        await widget.close()
    finally:
        await visitor.close()


async def test_a_web_form_customer_who_writes_by_email_is_the_same_contact(
    server: Server, desk: Desk, admin: Agent, agent: Agent, mta: Mta
) -> None:
    created = await admin.post("/api/v1/forms", {"name": "Обратная связь", "settings": {"fields": [
        {"key": "email", "label": "E-mail", "type": "email", "required": True, "maps_to": "email"},
        {"key": "text", "label": "Сообщение", "type": "textarea", "required": True, "maps_to": "message"},
    ]}})
    assert created.status_code == 201, created.text
    async with httpx.AsyncClient(base_url=server.url) as customer:
        sent = await customer.post(
            f"/api/forms/v1/{created.json()['inbox']['site_key']}/submissions",
            data={"email": "Vera.Orlova@Example.COM", "text": "Пришлите счёт, пожалуйста.", "client_id": new_client_id()},
        )
        assert sent.status_code == 201, sent.text
    [by_form] = (await agent.get("/api/v1/conversations", status="all", channel="form")).json()["conversations"]
    # The address as typed is kept on the contact; as an identity it is the address itself.
    assert by_form["contact"]["email"] == "Vera.Orlova@example.com"
    mta.send(mail("Вера Орлова <vera.orlova@example.com>", desk.address, "Счёт", "Счёт так и не пришёл."))
    [by_mail] = await wait_conversations(agent, 1)
    assert by_mail["contact"]["id"] == by_form["contact"]["id"]
    contact = (await agent.get(f"/api/v1/contacts/{by_form['contact']['id']}")).json()["contact"]
    assert [(i["kind"], i["value"]) for i in contact["identities"]] == [("email", "vera.orlova@example.com")]


async def test_bad_settings_are_refused_and_nothing_is_stored(dovecot: None, server: Server, tenant: Tenant) -> None:
    admin = await Agent.login(server.url, tenant.admin, tenant.password)
    agent = await Agent.login(server.url, tenant.agents[0], tenant.password)
    try:
        with SmtpServer() as smtp:
            await _refused_settings(admin, agent, smtp)
    finally:
        await admin.close()
        await agent.close()


async def _refused_settings(admin: Agent, agent: Agent, smtp: SmtpServer) -> None:
    channels = (await admin.get("/api/v1/channels")).json()["channels"]
    email = next(c for c in channels if c["channel"] == "email")
    assert email["secret_fields"] == ["imap_password", "smtp_password"]
    assert {"imap_host", "smtp_host", "from_email", "imap_folder"} <= set(email["settings_schema"]["properties"])

    address = new_mailbox()
    closed = SmtpServer()  # never started: its port refuses connections
    cases = [
        ({"imap_password": "wrong"}, "settings.imap_password", "refused the login"),
        ({"imap_folder": "Нет такой"}, "settings.imap_folder", "Нет такой"),
        ({"imap_port": closed.port}, "settings.imap_host", "Cannot reach"),
        ({"smtp_port": closed.port}, "settings.smtp_host", str(closed.port)),
        ({"imap_security": "tls1.0"}, "settings.imap_security", None),
        ({"from_email": "not an address"}, "settings.from_email", None),
        ({"imap_host": "bad host"}, "settings.imap_host", None),
        ({"smtp_username": "user\r\nRCPT TO:<x@y>"}, "settings.smtp_username", None),
        ({"max_message_mb": 0}, "settings.max_message_mb", None),
        ({"surprise": 1}, "settings.surprise", None),
    ]
    for change, named, words in cases:
        response = await admin.post(
            "/api/v1/inboxes", {"channel": "email", "name": "Почта", "settings": settings_for(address, smtp, **change)}
        )
        assert response.status_code == 422, (change, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_field" and error["field"] == named, (change, error)
        if words:
            assert words in error["message"], (change, error)
    assert (await agent.post("/api/v1/inboxes", {"channel": "email", "name": "x", "settings": {}})).status_code == 403
    listed = (await admin.get("/api/v1/inboxes")).json()["inboxes"]
    assert [i for i in listed if i["channel"] == "email"] == []



# --- Reading mail: cases no mail client in the tests above writes -------------------------------


@pytest.mark.parametrize(
    ("text", "new"),
    [
        # Thunderbird in Russian; Gmail in Russian (a date and an address, no verb); Gmail
        # wrapping a long attribution; Outlook's header block; a bare quote.
        ("Спасибо!\n\n01.12.2025 10:00, Поддержка пишет:\n> Отправили.\n", "Спасибо!"),
        ("Спасибо!\n\nпн, 1 дек. 2025 г. в 10:00, Поддержка <s@shop.example>:\n\n> Отправили.\n", "Спасибо!"),
        ("Thanks!\n\nOn Mon, 1 Dec 2025 at 10:00, The Support Team <s@shop.example>\nwrote:\n> Sent.\n", "Thanks!"),
        ("Ок\n\n________________________________\nFrom: Поддержка\nSent: Monday, December 1\n\nОтправили.", "Ок"),
        ("Ок\n-------- Исходное сообщение --------\nОтправили.", "Ок"),
        ("Новое\n> старое\n> ещё\n\n", "Новое"),
        # Kept whole: answers between quotes, prose that only looks like a marker, a forward,
        # and a reply that is nothing but the quote.
        ("> Размер?\nM\n> Цвет?\nСиний\n", None),
        ("My colleague wrote:\nwe ship tomorrow.", None),
        ("Please ship it.\nFrom: Moscow\nTo: Kazan", None),
        ("См. ниже\n\n-------- Пересылаемое сообщение --------\nОт: Банк <b@bank.example>\nДата: 1.12\n\n> текст", None),
        ("On Mon, 1 Dec 2025, Anna <a@example.com> wrote:\n> old\n", None),
    ],
)
def test_the_new_part_of_a_reply(text: str, new: str | None) -> None:
    assert split_reply(text) == ((new, True) if new is not None else (text, False))


def test_pictures_in_html_raw_header_bytes_and_read_receipts() -> None:
    gmail = EmailMessage()  # text and HTML versions, a picture pasted into the HTML, a file
    gmail["From"], gmail["Subject"], gmail["Message-ID"] = "anna@example.com", "Фото", "<1@example.com>"
    gmail.set_content("Вот фото")
    gmail.add_alternative("<p>Вот фото <img src='cid:p1'></p>", subtype="html")
    gmail.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="<p1>")
    gmail.add_attachment(b"PK", maintype="application", subtype="zip", filename="логи.zip")
    read = read_mail(gmail.as_bytes())
    assert read.text == "Вот фото" and [f.name for f in read.files] == ["image.png", "логи.zip"]

    # Header bytes sent raw in windows-1251, an unknown charset on a part that is UTF-8.
    raw = (
        "From: \xc8\xe2\xe0\xed <Ivan@Example.RU>\r\nSubject: \xcf\xf0\xe8\xe2\xe5\xf2\r\n".encode("latin-1")
        + "Content-Type: text/plain; charset=x-unknown\r\n\r\nТекст\r\n".encode()
    )
    read = read_mail(raw)
    assert (read.sender, read.sender_name, read.subject, read.text) == ("Ivan@example.ru", "Иван", "Привет", "Текст")
    assert read.message_id == read_mail(raw).message_id  # none given: made the same each time

    receipt = (
        b"From: anna@example.com\r\nSubject: Read: x\r\nContent-Type: multipart/report; "
        b"report-type=disposition-notification; boundary=Q\r\n\r\n--Q\r\nContent-Type: text/plain\r\n\r\nRead.\r\n"
        b"--Q\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822;anna@example.com\r\n"
        b"Original-Message-ID: <helpline.5.abc@shop.example>\r\nDisposition: manual-action/MDN-sent-manually; displayed"
        b"\r\n\r\n--Q--\r\n"
    )
    assert read_mail(receipt).report == DeliveryReport("read", ["<helpline.5.abc@shop.example>"], "")
