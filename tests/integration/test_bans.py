"""Bans of visitors, addresses and networks, e-mails and phones (docs/protocol.md, "REST":
`/bans`; "Widget": `mode: "hidden"`, `chat_unavailable`). Every test visitor comes from
127.0.0.1, so IP bans here cover them all; each test has an account of its own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import update

from helpline.contacts.models import Ban
from helpline.core.db import Database
from tests.support.clients import Agent, Visitor, eventually, send_and_ack, send_and_answer
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def session_answer(visitor: Visitor) -> dict[str, Any]:
    """The session call's answer, without taking its token (a banned visitor gets none)."""
    response = await visitor.http.post(
        "/api/widget/v1/session",
        json={"site_key": visitor.site_key, "visitor_token": visitor.token, "page": None, "locale": "ru-RU"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def new_visitor(server: Server, tenant: Tenant) -> Visitor:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    return visitor


async def ban(agent: Agent, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    response = await agent.post("/api/v1/bans", {"kind": kind, "value": value, **extra})
    assert response.status_code == 201, response.text
    return response.json()["ban"]


async def bans_of(agent: Agent, state: str = "all") -> list[dict[str, Any]]:
    response = await agent.get("/api/v1/bans", state=state)
    assert response.status_code == 200, response.text
    return response.json()["bans"]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_bans_of_every_kind_are_stored_normalised(agent: Agent) -> None:
    visitor_ban = await ban(agent, "visitor", "  3f2a9c1e-visitor ", reason="  spam  ")
    assert visitor_ban["kind"] == "visitor" and visitor_ban["value"] == "3f2a9c1e-visitor"
    assert visitor_ban["reason"] == "spam"
    assert visitor_ban["active"] is True and visitor_ban["expires_at"] is None and visitor_ban["lifted_at"] is None
    assert visitor_ban["created_by"] == {"id": agent.id, "name": agent.me["name"]}
    assert visitor_ban["created_at"].endswith("Z") and visitor_ban["updated_at"].endswith("Z")

    single = await ban(agent, "ip", "203.0.113.7")
    # an address is a network of one; the contract leaves the spelling to the server
    assert single["value"] in ("203.0.113.7", "203.0.113.7/32")
    network = await ban(agent, "ip", "127.0.0.5/24")
    assert network["value"] == "127.0.0.0/24"
    v6 = await ban(agent, "ip", "2001:DB8:0:0:1::5/64")
    assert v6["value"] == "2001:db8::/64"
    email = await ban(agent, "email", " Spammer@Example.COM ")
    assert email["value"] == "spammer@example.com"
    phone = await ban(agent, "phone", "+7 (999) 123-45-67")
    assert phone["value"] == "79991234567"

    listed = await bans_of(agent, "active")
    assert [b["id"] for b in listed] == [phone["id"], email["id"], v6["id"], network["id"], single["id"], visitor_ban["id"]]
    assert listed[0] == phone


async def test_malformed_bans_are_refused_and_nothing_is_stored(agent: Agent, visitor: Visitor) -> None:
    for body, field in (
        ({"kind": "ip", "value": "300.1.2.3"}, "value"),
        ({"kind": "ip", "value": "127.0.0.1/33"}, "value"),
        ({"kind": "ip", "value": "localhost"}, "value"),
        ({"kind": "ip", "value": "10.0.0.0/8"}, "value"),  # wider than /16
        ({"kind": "ip", "value": "2001:db8::/32"}, "value"),  # wider than /48
        ({"kind": "email", "value": "not an e-mail"}, "value"),
        ({"kind": "email", "value": "@example.com"}, "value"),
        ({"kind": "phone", "value": "call me"}, "value"),
        ({"kind": "phone", "value": "12"}, "value"),
        ({"kind": "visitor", "value": "bad id!"}, "value"),
        ({"kind": "visitor", "value": "   "}, "value"),
        ({"kind": "cookie", "value": "abc"}, "kind"),
        ({"value": "1.2.3.4"}, "kind"),
        ({"kind": "ip"}, "value"),
        ({"kind": "ip", "value": "1.2.3.4", "minutes": 0}, "minutes"),
        ({"kind": "ip", "value": "1.2.3.4", "minutes": "60"}, "minutes"),
        ({"kind": "ip", "value": "1.2.3.4", "reason": "x" * 1001}, "reason"),
    ):
        response = await agent.post("/api/v1/bans", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_field", body
        assert response.json()["error"]["field"] == field, (body, response.json())
    assert await bans_of(agent, "all") == []
    assert (await session_answer(visitor))["mode"] == "online"


async def test_an_active_ban_of_the_same_value_conflicts(agent: Agent) -> None:
    network = await ban(agent, "ip", "127.0.0.5/24")
    email = await ban(agent, "email", "spammer@example.com")
    for body in (
        {"kind": "ip", "value": "127.0.0.200/24"},  # the same network, spelled otherwise
        {"kind": "email", "value": "SPAMMER@example.com"},
    ):
        response = await agent.post("/api/v1/bans", body)
        assert response.status_code == 409, (body, response.text)
        assert response.json()["error"]["code"] == "conflict"
    assert [b["id"] for b in await bans_of(agent, "all")] == [email["id"], network["id"]]

    # a lifted ban is history: the value can be banned again
    assert (await agent.post(f"/api/v1/bans/{network['id']}/lift")).status_code == 200
    again = await ban(agent, "ip", "127.0.0.1/24")
    assert again["value"] == "127.0.0.0/24" and again["id"] != network["id"]
    assert len(await bans_of(agent, "all")) == 3 and len(await bans_of(agent, "active")) == 2


async def test_a_banned_visitor_is_hidden_everywhere(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    bystander = await new_visitor(server, tenant)
    await ban(agent, "visitor", visitor.session["visitor_id"], reason="abuse")

    assert await session_answer(visitor) == {"mode": "hidden"}
    widget = await visitor.socket(welcome=False)
    error = await widget.next()
    assert error["type"] == "error" and error["code"] == "chat_unavailable"
    assert "ban" not in error["message"].lower()  # it does not tell the visitor why
    assert await widget.closed_with() == 4003

    poll = await visitor.http.post("/api/widget/v1/poll", json={"token": visitor.token, "cursors": {}, "wait": 0})
    assert poll.status_code == 403 and poll.json()["error"]["code"] == "chat_unavailable"
    frames = await visitor.http.post(
        "/api/widget/v1/frames",
        json={"token": visitor.token, "frames": [{"type": "message.send", "client_id": "banned-msg-1", "body": "hi"}]},
    )
    assert frames.status_code == 403 and frames.json()["error"]["code"] == "chat_unavailable"
    assert (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"] == []

    # other visitors of the site are not affected
    assert (await session_answer(bystander))["mode"] == "online"
    other_widget = await bystander.socket()
    assert (await send_and_ack(other_widget, "hello"))["type"] == "ack"
    await other_widget.close()
    await bystander.close()


async def test_an_ip_network_ban_hides_new_and_known_visitors_from_it(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    await ban(agent, "ip", "127.0.0.5/24")
    assert await session_answer(visitor) == {"mode": "hidden"}
    newcomer = Visitor(server.url, tenant.site_key)  # no token yet
    assert await session_answer(newcomer) == {"mode": "hidden"}
    await newcomer.close()


async def test_email_and_phone_bans_hide_the_contact_who_gave_them(server: Server, tenant: Tenant, agent: Agent) -> None:
    by_email, by_phone, bystander = [await new_visitor(server, tenant) for _ in range(3)]
    for who, details in (
        (by_email, {"email": "Troll@Example.com"}),
        (by_phone, {"phone": "+7 (999) 123-45-67"}),
        (bystander, {"email": "fine@example.com", "phone": "+7 900 000-00-00"}),
    ):
        widget = await who.socket()
        assert (await send_and_answer(widget, {"type": "contact.update", **details}))["type"] == "ack"
        await widget.close()

    await ban(agent, "email", "troll@EXAMPLE.com")
    await ban(agent, "phone", "7 999 1234567")
    assert await session_answer(by_email) == {"mode": "hidden"}
    assert await session_answer(by_phone) == {"mode": "hidden"}
    assert (await session_answer(bystander))["mode"] == "online"
    for client in (by_email, by_phone, bystander):
        await client.close()


async def test_an_open_widget_is_closed_when_a_ban_covers_it(server: Server, tenant: Tenant, agent: Agent) -> None:
    troll, bystander = await new_visitor(server, tenant), await new_visitor(server, tenant)
    troll_widget, bystander_widget = await troll.socket(), await bystander.socket()
    ack = await send_and_answer(troll_widget, {"type": "contact.update", "email": "troll@example.com"})
    assert ack["type"] == "ack"

    await ban(agent, "email", "troll@example.com")
    error = await troll_widget.wait_for(lambda f: f["type"] == "error")
    assert error["code"] == "chat_unavailable"
    assert await troll_widget.closed_with() == 4003

    # a widget the ban does not cover stays connected and working
    await bystander_widget.send({"type": "ping"})
    assert (await bystander_widget.wait_for(lambda f: f["type"] in ("pong", "error")))["type"] == "pong"
    assert (await send_and_ack(bystander_widget, "still here"))["type"] == "ack"
    await bystander_widget.close()
    for client in (troll, bystander):
        await client.close()


async def test_an_ip_ban_closes_the_open_widgets_from_that_network(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    await ban(agent, "ip", "127.0.0.0/24")
    assert (await widget.wait_for(lambda f: f["type"] == "error"))["code"] == "chat_unavailable"
    assert await widget.closed_with() == 4003


async def test_an_open_poll_is_answered_with_chat_unavailable(agent: Agent, visitor: Visitor) -> None:
    poll = asyncio.create_task(
        visitor.http.post("/api/widget/v1/poll", json={"token": visitor.token, "cursors": {}, "wait": 10})
    )
    await asyncio.sleep(0.5)  # the poll is waiting for news
    assert not poll.done()
    await ban(agent, "visitor", visitor.session["visitor_id"])
    response = await asyncio.wait_for(poll, 5)
    assert response.status_code == 200, response.text
    frames = response.json()["frames"]
    assert [f["type"] for f in frames] == ["welcome", "error"]
    assert frames[1]["code"] == "chat_unavailable"


async def test_a_ban_can_be_made_temporary_and_lifted(server: Server, agent: Agent, visitor: Visitor) -> None:
    made = await ban(agent, "visitor", visitor.session["visitor_id"], reason="spam")
    assert await session_answer(visitor) == {"mode": "hidden"}

    patched = await agent.patch(f"/api/v1/bans/{made['id']}", {"minutes": 30})
    assert patched.status_code == 200, patched.text
    expiring = patched.json()["ban"]
    expected = datetime.now(timezone.utc) + timedelta(minutes=30)
    assert abs((parse_time(expiring["expires_at"]) - expected).total_seconds()) < 30
    assert expiring["active"] is True and expiring["reason"] == "spam"
    assert await session_answer(visitor) == {"mode": "hidden"}  # not expired yet

    for body, field in (({"minutes": 0}, "minutes"), ({"minutes": "5"}, "minutes"), ({"reason": "x" * 1001}, "reason")):
        refused = await agent.patch(f"/api/v1/bans/{made['id']}", body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["code"] == "invalid_field" and refused.json()["error"]["field"] == field
    assert (await bans_of(agent))[0] == expiring

    reasoned = (await agent.patch(f"/api/v1/bans/{made['id']}", {"reason": "spam links"})).json()["ban"]
    assert reasoned["reason"] == "spam links" and reasoned["expires_at"] == expiring["expires_at"]
    forever = (await agent.patch(f"/api/v1/bans/{made['id']}", {"minutes": None})).json()["ban"]
    assert forever["expires_at"] is None and forever["active"] is True

    lifted = await agent.post(f"/api/v1/bans/{made['id']}/lift")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["ban"]["active"] is False and lifted.json()["ban"]["lifted_at"] is not None
    again = await agent.post(f"/api/v1/bans/{made['id']}/lift")  # lifting twice changes nothing
    assert again.status_code == 200 and again.json()["ban"]["lifted_at"] == lifted.json()["ban"]["lifted_at"]

    # the visitor has the chat again, with the token kept from before the ban
    answer = await session_answer(visitor)
    assert answer["mode"] == "online" and answer["visitor_id"] == visitor.session["visitor_id"]
    await visitor.start()
    widget = await visitor.socket()
    assert (await send_and_ack(widget, "I'm back"))["type"] == "ack"
    await widget.close()


async def test_an_expired_ban_stops_hiding_the_visitor(server: Server, agent: Agent, visitor: Visitor) -> None:
    made = await ban(agent, "visitor", visitor.session["visitor_id"], minutes=1)
    assert await session_answer(visitor) == {"mode": "hidden"}
    # A minute is the shortest ban; bring its end closer in the database instead of waiting,
    # then touch the ban through the API so that every cache reloads it.
    db = Database(server.database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                update(Ban).where(Ban.id == made["id"]).values(expires_at=datetime.now(timezone.utc) + timedelta(seconds=2))
            )
    finally:
        await db.dispose()
    assert (await agent.patch(f"/api/v1/bans/{made['id']}", {"reason": "short"})).status_code == 200
    assert await session_answer(visitor) == {"mode": "hidden"}

    async def shown() -> bool:
        return (await session_answer(visitor))["mode"] != "hidden"

    await eventually(shown, timeout=6, what="the ban to expire")
    answer = await session_answer(visitor)
    assert answer["mode"] == "online" and answer["visitor_token"]
    assert await bans_of(agent, "active") == []
    [expired] = await bans_of(agent, "all")
    assert expired["active"] is False and expired["lifted_at"] is None


async def test_listing_active_and_all_bans(agent: Agent) -> None:
    first = await ban(agent, "ip", "198.51.100.0/24")
    second = await ban(agent, "email", "a@example.com")
    third = await ban(agent, "phone", "+1 555 010 9999", minutes=60)
    assert (await agent.post(f"/api/v1/bans/{second['id']}/lift")).status_code == 200

    assert [b["id"] for b in await bans_of(agent, "active")] == [third["id"], first["id"]]
    assert [b["id"] for b in (await agent.get("/api/v1/bans")).json()["bans"]] == [third["id"], first["id"]]  # default
    everything = await bans_of(agent, "all")
    assert [(b["id"], b["active"]) for b in everything] == [(third["id"], True), (second["id"], False), (first["id"], True)]
    bad = await agent.get("/api/v1/bans", state="expired")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_field"
    assert bad.json()["error"]["field"].endswith("state")  # a query parameter: "query.state"


async def test_bans_belong_to_one_account(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    their_visitor = await new_visitor(server, other)
    their_widget = await their_visitor.socket()

    ours = await ban(agent, "ip", "127.0.0.1")
    assert await session_answer(visitor) == {"mode": "hidden"}
    # the same address on another account's site is welcome there, and its open widget stays
    assert (await session_answer(their_visitor))["mode"] == "online"
    assert (await send_and_ack(their_widget, "hello"))["type"] == "ack"
    assert await bans_of(stranger) == []

    # and the other account can neither see nor change our ban
    for response in (
        await stranger.patch(f"/api/v1/bans/{ours['id']}", {"minutes": None, "reason": "mine"}),
        await stranger.post(f"/api/v1/bans/{ours['id']}/lift"),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (await bans_of(agent))[0] == ours
    assert await session_answer(visitor) == {"mode": "hidden"}
    await their_widget.close()
    await their_visitor.close()
    await stranger.close()
