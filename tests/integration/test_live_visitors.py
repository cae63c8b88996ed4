"""Live visitors: the list, the trail, search query and UTM tags, the city from a MaxMind
database, typing preview, invitations, an operator-started chat, mentions, the launcher's mode."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest_asyncio
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from tests.support.clients import Agent, Visitor, eventually, new_client_id, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def set_site(admin: Agent, inbox_id: int, **changes: object) -> None:
    [inbox] = [i for i in (await admin.get("/api/v1/inboxes")).json()["inboxes"] if i["id"] == inbox_id]
    response = await admin.http.patch(
        f"/api/v1/inboxes/{inbox_id}", json={"settings": {**inbox["settings"], **changes}}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert response.status_code == 200, response.text


async def test_the_live_list_follows_visitors(agent: Agent, tenant: Tenant, server: Server) -> None:
    visitor = Visitor(server.url, tenant.site_key)
    try:
        await visitor.start({
            "url": "https://shop.example/?utm_source=yandex&utm_campaign=winter&x=1", "title": "Главная",
            "referrer": "https://yandex.ru/search/?text=%D0%BA%D1%83%D0%BF%D0%B8%D1%82%D1%8C+%D1%82%D0%B5%D0%BB%D0%B5%D1%84%D0%BE%D0%BD",
        })
        assert (await agent.get("/api/v1/visitors")).json()["visitors"] == []  # not connected yet
        console = await agent.socket()
        widget = await visitor.socket(page={"url": "https://shop.example/?utm_source=yandex&utm_campaign=winter&x=1", "title": "Главная"})
        await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "visitor.updated" and f["data"]["visitor"]["online"])
        [live] = (await agent.get("/api/v1/visitors")).json()["visitors"]
        assert live["search_query"] == "купить телефон"
        assert live["utm"] == {"utm_campaign": "winter", "utm_source": "yandex"}
        assert live["in_chat"] is False and live["visit_started_at"] and live["contact_id"]
        # A page change on a single-page site: the trail grows, live.
        await widget.send({"type": "page", "url": "https://shop.example/catalog/phones", "title": "Телефоны"})
        event = await console.wait_for(
            lambda f: f["type"] == "event" and f["event"] == "visitor.updated"
            and f["data"]["visitor"]["current_page"]["url"].endswith("/phones")
        )
        assert [p["title"] for p in event["data"]["visitor"]["pages"]] == ["Главная", "Телефоны"]
        await send_and_ack(widget, "Есть ли в наличии?")
        [live] = (await agent.get("/api/v1/visitors")).json()["visitors"]
        assert live["in_chat"] is True
        await widget.close()
        await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "visitor.updated" and not f["data"]["visitor"]["online"])
        assert (await agent.get("/api/v1/visitors")).json()["visitors"] == []
        await console.close()
    finally:
        await visitor.close()


async def test_an_operator_starts_a_chat_with_a_live_visitor(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    await widget.drain()
    response = await agent.post(f"/api/v1/visitors/{visitor.session['visitor_id']}/invite", {"client_id": "invite-000001", "body": "Чем помочь?"})
    assert response.status_code == 201, response.text
    conversation = response.json()["conversation"]
    assert conversation["assignee"]["id"] == agent.id
    message = await widget.wait_for(lambda f: f["type"] == "message")
    assert message["message"]["body"] == "Чем помочь?" and message["message"]["conversation_id"] == conversation["id"]
    # The conversation was announced too (before or after the message: they are separate frames).
    await widget.drain()
    assert any(f["type"] == "conversation" and f["conversation"]["id"] == conversation["id"] for f in widget.frames)
    # A resend stores nothing new; the visitor's answer lands in the same conversation.
    again = await agent.post(f"/api/v1/visitors/{visitor.session['visitor_id']}/invite", {"client_id": "invite-000001", "body": "Чем помочь?"})
    assert again.status_code == 200 and again.json()["message"]["id"] == response.json()["message"]["id"]
    ack = await send_and_ack(widget, "Да, вопрос про доставку")
    assert ack["conversation_id"] == conversation["id"]
    await widget.close()
    # Gone from the site (once the server has seen the socket close): no invitation, nothing stored.
    async def offline() -> bool:
        return (await agent.get("/api/v1/visitors")).json()["visitors"] == []

    await eventually(offline, what="the visitor offline")
    gone = await agent.post(f"/api/v1/visitors/{visitor.session['visitor_id']}/invite", {"client_id": new_client_id(), "body": "Вы тут?"})
    assert gone.status_code == 404
    assert len((await agent.conversation(conversation["id"]))["messages"]) == 2


async def test_typing_preview_only_where_the_site_shows_it(admin: Agent, agent: Agent, tenant: Tenant, visitor: Visitor) -> None:
    console = await agent.socket()
    widget = await visitor.socket()
    await widget.send({"type": "typing", "active": True, "draft": "Здравствуйте, у меня"})
    frame = await console.wait_for(lambda f: f["type"] == "typing" and f["author"]["type"] == "contact")
    assert frame["draft"] is None  # off by default
    await set_site(admin, tenant.inbox_id, typing_preview=True)
    await widget.close()
    widget = await visitor.socket()  # the widget picks the site's settings up when it connects
    await widget.send({"type": "typing", "active": True, "draft": "Здравствуйте, у меня"})
    frame = await console.wait_for(lambda f: f["type"] == "typing" and f.get("draft"))
    assert frame["draft"] == "Здравствуйте, у меня"
    await widget.send({"type": "typing", "active": True, "draft": "x" * 2001})
    error = await widget.wait_for(lambda f: f["type"] == "error")
    assert error["field"] == "draft"
    await widget.close()
    await console.close()


async def test_invitation_rules_are_validated_and_counted(admin: Agent, agent: Agent, tenant: Tenant, visitor: Visitor) -> None:
    rule = {"id": "catalog", "text": "Помочь с выбором?", "conditions": {"time_on_page": 5, "url": "*/catalog/*", "countries": ["ru"]}}
    await set_site(admin, tenant.inbox_id, invitations=[rule, {**rule, "id": "off", "enabled": False}])
    session = await visitor.start()
    assert [i["id"] for i in session["site"]["invitations"]] == ["catalog"]  # disabled ones stay on the server
    assert session["site"]["invitations"][0]["conditions"]["countries"] == ["RU"]
    widget = await visitor.socket()
    for kind in ("invitation.shown", "invitation.shown", "invitation.accepted"):
        await widget.send({"type": kind, "invitation_id": "catalog"})
    await widget.send({"type": "invitation.shown", "invitation_id": "no-such-rule"})
    await widget.send({"type": "ping"})
    await widget.wait_for(lambda f: f["type"] == "pong")
    stats = (await agent.get(f"/api/v1/inboxes/{tenant.inbox_id}/invitations")).json()["invitations"]
    assert stats == [{"id": "catalog", "shown": 2, "accepted": 1}, {"id": "off", "shown": 0, "accepted": 0}]
    await widget.close()
    # Bad rules are refused and change nothing.
    for bad in ({**rule, "id": "bad id"}, {**rule, "conditions": {"countries": ["Russia"]}}, {**rule, "frequency": "hourly"}):
        response = await admin.http.patch(
            f"/api/v1/inboxes/{tenant.inbox_id}", json={"settings": {"invitations": [bad]}}, headers={"X-CSRF-Token": admin.csrf}
        )
        assert response.status_code == 422 and response.json()["error"]["field"].startswith("settings.invitations")
    assert len((await visitor.start())["site"]["invitations"]) == 1


async def test_the_launcher_mode_creates_nothing(server: Server, agent: Agent, tenant: Tenant) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        mode = await http.get("/api/widget/v1/mode", params={"site": tenant.site_key})
        assert mode.status_code == 200
        assert mode.json() == {"mode": "online", "track_visitors": True, "color": "#2563eb", "position": "right"}
        assert mode.headers["access-control-allow-origin"] == "*"
        assert (await http.get("/api/widget/v1/mode", params={"site": "nope"})).status_code == 404
        assert (await http.get("/api/widget/v1/mode", params={"site": tenant.site_key, "visitor": "garbage"})).status_code == 200
    contact = await agent.get("/api/v1/conversations", view="all", status="all")
    assert contact.json()["conversations"] == []
    assert (await agent.post("/api/v1/bans", {"kind": "ip", "value": "127.0.0.1", "minutes": 5})).status_code == 201
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/widget/v1/mode", params={"site": tenant.site_key})).json() == {"mode": "hidden"}


async def test_mentions_in_notes(server: Server, tenant: Tenant, agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "help"))["conversation_id"]
    agents = (await agent.get("/api/v1/agents")).json()["agents"]
    other = next(a for a in agents if a["email"] == tenant.agents[1])
    handle = "".join(other["name"].split())
    note = await agent.reply(conversation_id, f"@{handle.lower()} глянь, пожалуйста, и @nobody", kind="note")
    assert note.status_code == 201 and note.json()["message"]["mentions"] == [other["id"]]
    by_email = await agent.reply(conversation_id, f"cc @{tenant.supervisor.split('@')[0]}", kind="note")
    assert len(by_email.json()["message"]["mentions"]) == 1
    text = await agent.reply(conversation_id, f"@{handle} is not a note")
    assert text.json()["message"]["mentions"] == []
    await widget.close()


@pytest_asyncio.fixture
async def city_server(tmp_path: Path, server: Server) -> object:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
    writer.insert_network(IPSet(["127.0.0.0/8"]), {"city": {"names": {"en": "Moscow", "ru": "Москва"}}, "country": {"iso_code": "RU"}})
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    own = Server(database_url=server.database_url, data_dir=tmp_path / "srv")
    own.extra_env = {"HELPLINE_GEOIP_CITY_DB": str(path)}
    own.start()
    yield own
    own.stop()


async def test_the_city_comes_from_a_configured_database(city_server: Server) -> None:
    tenant = await make_tenant(city_server.database_url)
    visitor = Visitor(city_server.url, tenant.site_key)
    agent = await Agent.login(city_server.url, tenant.agents[0], tenant.password)
    try:
        await visitor.start({"url": "https://shop.example/", "title": "Shop"})
        widget = await visitor.socket()
        [live] = (await agent.get("/api/v1/visitors")).json()["visitors"]
        assert live["city"] == "Москва"
        await widget.close()
    finally:
        await visitor.close()
        await agent.close()
