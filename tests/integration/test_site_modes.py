"""Site settings and the widget's mode: business hours, "offline when no agent is online",
the offline form's conversations (docs/protocol.md, "Widget": `mode`; "REST": `/inboxes`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.clients import Agent, Visitor, send_and_ack, send_and_answer
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAY = [["00:00", "24:00"]]


async def local_now(timezone: str) -> datetime:
    """Now in `timezone`, not within a few seconds of a local midnight (so the server, asked
    a moment later, sees the same date)."""
    now = datetime.now(ZoneInfo(timezone))
    to_midnight = (now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1) - now).total_seconds()
    if to_midnight < 5:
        await asyncio.sleep(to_midnight + 0.5)
        now = datetime.now(ZoneInfo(timezone))
    return now


def hours(timezone: str = "Europe/Moscow", weekly: dict[str, Any] | None = None, holidays: list[str] | None = None) -> dict[str, Any]:
    return {"timezone": timezone, "weekly": weekly if weekly is not None else dict.fromkeys(WEEKDAYS, ALL_DAY), "holidays": holidays or []}


async def inbox_of(agent: Agent, inbox_id: int) -> dict[str, Any]:
    response = await agent.get("/api/v1/inboxes")
    assert response.status_code == 200, response.text
    return next(i for i in response.json()["inboxes"] if i["id"] == inbox_id)


async def set_settings(admin: Agent, tenant: Tenant, settings: dict[str, Any]) -> dict[str, Any]:
    response = await admin.patch(f"/api/v1/inboxes/{tenant.inbox_id}", {"settings": settings})
    assert response.status_code == 200, response.text
    return response.json()["inbox"]


async def modes(server: Server, tenant: Tenant) -> tuple[str, str]:
    """The mode a new visitor's session call and socket `welcome` say."""
    visitor = Visitor(server.url, tenant.site_key)
    session = await visitor.start()
    widget = await visitor.socket()
    welcome = widget.frames[0]
    await widget.close()
    await visitor.close()
    return session["mode"], welcome["mode"]


async def all_conversations(agent: Agent) -> list[dict[str, Any]]:
    response = await agent.get("/api/v1/conversations", view="all", status="all")
    assert response.status_code == 200, response.text
    return response.json()["conversations"]


async def test_the_session_tells_the_widget_its_settings_but_not_the_rules_behind_the_mode(
    server: Server, tenant: Tenant, admin: Agent, visitor: Visitor
) -> None:
    await set_settings(admin, tenant, {
        "title": "Поддержка", "offline_text": "Оставьте вопрос", "offline_when_no_agents": False,
        "hours": hours(), "callback": False,
    })
    session = await visitor.start()
    assert session["mode"] == "online"
    site = session["site"]
    assert {
        "name", "title", "greeting", "color", "position", "language", "offline_text", "callback", "transcript", "prechat",
    } <= set(site)
    assert "hours" not in site and "offline_when_no_agents" not in site
    assert "Europe/Moscow" not in str(site)
    assert site["title"] == "Поддержка" and site["offline_text"] == "Оставьте вопрос"
    assert site["callback"] is False and site["transcript"] is True


async def test_hours_that_exclude_now_make_the_site_offline(server: Server, tenant: Tenant, admin: Agent) -> None:
    now = await local_now("Europe/Moscow")
    other_day = WEEKDAYS[(now.weekday() + 3) % 7]  # never today, whatever the hour
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours(weekly={other_day: ALL_DAY})})
    assert await modes(server, tenant) == ("offline", "offline")

    # open every day, but today (and the days around it, for midnight) is a holiday
    days = [(now + timedelta(days=d)).date().isoformat() for d in (-1, 0, 1)]
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours(holidays=days)})
    assert await modes(server, tenant) == ("offline", "offline")

    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours()})
    assert await modes(server, tenant) == ("online", "online")
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": None})
    assert await modes(server, tenant) == ("online", "online")


async def test_hours_are_read_in_the_sites_timezone(server: Server, tenant: Tenant, admin: Agent) -> None:
    # Kiritimati (UTC+14) is always one or two days ahead of Pago Pago (UTC-11): a schedule of
    # "today in Kiritimati" is open there and closed in Pago Pago, at any hour.
    today_there = WEEKDAYS[(await local_now("Pacific/Kiritimati")).weekday()]
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours("Pacific/Kiritimati", {today_there: ALL_DAY})})
    assert await modes(server, tenant) == ("online", "online")
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours("Pacific/Pago_Pago", {today_there: ALL_DAY})})
    assert await modes(server, tenant) == ("offline", "offline")


async def test_a_site_that_follows_its_agents_is_offline_until_one_is_online(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    await set_settings(admin, tenant, {"offline_when_no_agents": True})
    assert await modes(server, tenant) == ("offline", "offline")  # nobody is at a console

    console = await agent.socket()
    assert (await agent.get("/api/v1/me")).json()["agent"]["status"] == "online"
    assert await modes(server, tenant) == ("online", "online")

    assert (await agent.post("/api/v1/me/status", {"status": "away"})).status_code == 200
    assert await modes(server, tenant) == ("offline", "offline")  # away is not available
    assert (await agent.post("/api/v1/me/status", {"status": "online"})).status_code == 200
    assert await modes(server, tenant) == ("online", "online")

    # hours win over agents: online agents outside the hours still leave the site offline
    other_day = WEEKDAYS[((await local_now("Europe/Moscow")).weekday() + 3) % 7]
    await set_settings(admin, tenant, {"offline_when_no_agents": True, "hours": hours(weekly={other_day: ALL_DAY})})
    assert await modes(server, tenant) == ("offline", "offline")
    await console.close()


async def test_another_accounts_online_agent_does_not_bring_a_site_online(
    server: Server, tenant: Tenant, admin: Agent
) -> None:
    await set_settings(admin, tenant, {"offline_when_no_agents": True})
    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.agents[0], other.password)
    console = await stranger.socket()
    assert await modes(server, tenant) == ("offline", "offline")
    await console.close()
    await stranger.close()


async def test_a_question_left_while_offline_is_an_offline_conversation(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor
) -> None:
    await set_settings(admin, tenant, {"offline_when_no_agents": True, "offline_text": "Ответим утром"})
    assert (await visitor.start())["mode"] == "offline"
    widget = await visitor.socket()
    assert widget.frames[0]["mode"] == "offline"
    contact = await send_and_answer(widget, {"type": "contact.update", "name": "Анна", "email": "anna@example.com"})
    assert contact["type"] == "ack"
    ack = await send_and_ack(widget, "Когда будет доставка?")
    assert ack["type"] == "ack", ack

    [conversation] = await all_conversations(agent)
    assert conversation["id"] == ack["conversation_id"] and conversation["type"] == "offline"
    assert conversation["contact"]["email"] == "anna@example.com"
    detail = await agent.conversation(ack["conversation_id"])
    assert detail["conversation"]["type"] == "offline"
    assert [m["body"] for m in detail["messages"]] == ["Когда будет доставка?"]

    # an answer reaches the widget, which may keep writing into the same conversation
    assert (await agent.reply(ack["conversation_id"], "Завтра")).status_code == 201
    await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["body"] == "Завтра")
    again = await send_and_ack(widget, "Спасибо")
    assert again["conversation_id"] == ack["conversation_id"]
    await widget.close()


async def test_a_question_left_over_the_http_fallback_while_offline_is_an_offline_conversation(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor
) -> None:
    await set_settings(admin, tenant, {"offline_when_no_agents": True})
    response = await visitor.http.post(
        "/api/widget/v1/frames",
        json={"token": visitor.token, "frames": [
            {"type": "contact.update", "client_id": "offline-contact-1", "email": "bob@example.com"},
            {"type": "message.send", "client_id": "offline-message-1", "body": "Вопрос через HTTP"},
        ]},
    )
    assert response.status_code == 200, response.text
    assert [f["type"] for f in response.json()["frames"]] == ["ack", "ack"]
    [conversation] = await all_conversations(agent)
    assert conversation["type"] == "offline"


async def test_the_offline_form_keeps_the_email_even_where_the_prechat_hides_it(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent
) -> None:
    """The answer goes to that address, so offline mode stores it whatever `prechat` says;
    online, a hidden field is ignored."""
    hidden_email = {"prechat": {"name": "optional", "email": "hidden", "phone": "hidden"}}
    await set_settings(admin, tenant, {**hidden_email, "offline_when_no_agents": False})
    online = Visitor(server.url, tenant.site_key)
    await online.start()
    widget = await online.socket()
    ack = await send_and_answer(widget, {"type": "contact.update", "name": "Он", "email": "on@example.com", "phone": "+7 900 000-00-00"})
    assert ack["contact"] == {"name": "Он", "email": None, "phone": None}
    await widget.close()

    await set_settings(admin, tenant, {**hidden_email, "offline_when_no_agents": True})
    offline = Visitor(server.url, tenant.site_key)
    assert (await offline.start())["mode"] == "offline"
    widget = await offline.socket()
    ack = await send_and_answer(widget, {"type": "contact.update", "name": "Она", "email": "off@example.com", "phone": "+7 900 000-00-00"})
    assert ack["contact"] == {"name": "Она", "email": "off@example.com", "phone": None}
    message = await send_and_ack(widget, "Вопрос")
    contact = (await agent.conversation(message["conversation_id"]))["conversation"]["contact"]
    assert contact["email"] == "off@example.com" and contact["phone"] is None
    await widget.close()
    for client in (online, offline):
        await client.close()


async def test_a_conversation_started_online_stays_writable_and_keeps_its_type_offline(
    server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor
) -> None:
    widget = await visitor.socket()
    first = await send_and_ack(widget, "started while online")
    await widget.close()
    await set_settings(admin, tenant, {"offline_when_no_agents": True})

    widget = await visitor.socket(cursors={first["conversation_id"]: 1})
    assert widget.frames[0]["mode"] == "offline"
    later = await send_and_ack(widget, "written while offline")
    assert later["conversation_id"] == first["conversation_id"] and later["message"]["seq"] == 2
    [conversation] = await all_conversations(agent)
    assert conversation["type"] == "chat"
    await widget.close()


async def test_welcome_lists_each_conversations_type(
    server: Server, tenant: Tenant, admin: Agent, visitor: Visitor
) -> None:
    """The socket table: `welcome` has `conversations` `[{id, number, status, type, last_seq}]`."""
    await set_settings(admin, tenant, {"offline_when_no_agents": True})
    widget = await visitor.socket()
    ack = await send_and_ack(widget, "offline question")
    await widget.close()
    widget = await visitor.socket()
    [listed] = widget.frames[0]["conversations"]
    assert listed["id"] == ack["conversation_id"]
    assert listed.get("type") == "offline", listed
    await widget.close()


async def test_admins_replace_the_site_settings_as_a_whole(admin: Agent, tenant: Tenant, visitor: Visitor) -> None:
    inbox = await set_settings(admin, tenant, {
        "greeting": "Здравствуйте!",
        "offline_when_no_agents": False,
        "hours": {"timezone": "Asia/Yekaterinburg", "weekly": {"fri": [["14:00", "18:00"], ["09:00", "13:00"]], "mon": [["09:00", "24:00"]]}, "holidays": ["2026-12-31"]},
    })
    settings = inbox["settings"]
    assert settings["greeting"] == "Здравствуйте!"
    assert settings["hours"] == {
        "timezone": "Asia/Yekaterinburg",
        "weekly": {"mon": [["09:00", "24:00"]], "fri": [["09:00", "13:00"], ["14:00", "18:00"]]},
        "holidays": ["2026-12-31"],
    }
    assert settings["color"] == "#2563eb" and settings["callback"] is True  # defaults for what was left out
    assert await inbox_of(admin, tenant.inbox_id) == inbox

    renamed = await admin.patch(f"/api/v1/inboxes/{tenant.inbox_id}", {"name": "  Магазин   у дома "})
    assert renamed.status_code == 200 and renamed.json()["inbox"]["name"] == "Магазин у дома"
    assert renamed.json()["inbox"]["settings"] == settings  # settings untouched by a rename
    assert (await visitor.start())["site"]["name"] == "Магазин у дома"


async def test_bad_site_settings_are_refused_and_nothing_is_stored(admin: Agent, tenant: Tenant) -> None:
    today = datetime.now(ZoneInfo("Europe/Moscow")).date().isoformat()
    await set_settings(admin, tenant, {"offline_when_no_agents": False, "hours": hours(holidays=[today])})
    before = await inbox_of(admin, tenant.inbox_id)

    for settings, field in (
        ({"hours": hours("Mars/Olympus_Mons")}, "settings.hours.timezone"),
        ({"hours": hours(weekly={"mon": [["09:00", "25:00"]]})}, "settings.hours.weekly.mon.0.1"),
        ({"hours": hours(weekly={"mon": [["9:00", "18:00"]]})}, "settings.hours.weekly.mon.0.0"),
        ({"hours": hours(weekly={"mon": [["18:00", "09:00"]]})}, "settings.hours.weekly"),
        ({"hours": hours(weekly={"mon": [["09:00", "09:00"]]})}, "settings.hours.weekly"),
        ({"hours": hours(weekly={"funday": ALL_DAY})}, "settings.hours.weekly"),
        ({"hours": hours(weekly={"mon": [["09:00"]]})}, "settings.hours.weekly.mon.0.1"),  # the end is missing
        ({"hours": hours(holidays=["31.12.2026"])}, "settings.hours.holidays.0"),
        ({"offline_when_no_agents": "yes"}, "settings.offline_when_no_agents"),
        ({"offline_when_no_agents": 1}, "settings.offline_when_no_agents"),
        ({"callback": "false"}, "settings.callback"),
        ({"color": "red"}, "settings.color"),
        ({"prechat": {"email": "mandatory"}}, "settings.prechat.email"),
    ):
        response = await admin.patch(f"/api/v1/inboxes/{tenant.inbox_id}", {"settings": settings})
        assert response.status_code == 422, (settings, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_field", settings
        assert error["field"].startswith("settings"), error
        assert error["field"] == field, (settings, error)
    for body, field in (({"settings": "everything"}, "settings"), ({"name": "   "}, "name")):
        response = await admin.patch(f"/api/v1/inboxes/{tenant.inbox_id}", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field
    assert await inbox_of(admin, tenant.inbox_id) == before


async def test_only_admins_change_sites_and_only_their_own(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    before = await inbox_of(agent, tenant.inbox_id)  # agents may read the sites
    for who in (agent, supervisor):
        response = await who.patch(f"/api/v1/inboxes/{tenant.inbox_id}", {"name": "Taken over", "settings": {"offline_when_no_agents": True}})
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"

    other = await make_tenant(server.database_url)
    stranger = await Agent.login(server.url, other.admin, other.password)
    response = await stranger.patch(f"/api/v1/inboxes/{tenant.inbox_id}", {"name": "Taken over"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert [i["id"] for i in (await stranger.get("/api/v1/inboxes")).json()["inboxes"]] == [other.inbox_id]
    assert await inbox_of(admin, tenant.inbox_id) == before
    await supervisor.close()
    await stranger.close()
