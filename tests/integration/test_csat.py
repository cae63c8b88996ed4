"""Customer ratings: in the widget after a conversation is resolved, and on a rating page for
channels without the widget (docs/protocol.md, `csat.submit`, `/rate/<token>`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.clients import Agent, Visitor, new_client_id, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server


async def rate(widget: Any, conversation_id: int, rating: Any, comment: Any = None) -> dict[str, Any]:
    await widget.send({"type": "csat.submit", "client_id": new_client_id(), "conversation_id": conversation_id,
                       "rating": rating, "comment": comment})
    return await widget.wait_for(lambda f: f["type"] in ("ack", "error"))


async def test_the_visitor_rates_a_resolved_conversation_in_the_widget(server: Server, tenant: Tenant, agent: Agent) -> None:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Помогите с заказом"))["conversation_id"]
    await agent.post(f"/api/v1/conversations/{conversation_id}/assign", {"agent_id": agent.id})

    early = await rate(widget, conversation_id, 5)
    assert early["type"] == "error" and early["field"] == "conversation_id"
    await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
    resolved = await widget.wait_for(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    assert resolved["conversation"]["csat_rating"] is None

    for bad, field in ((0, "rating"), (6, "rating"), ("5", "rating"), (True, "rating"), (4.5, "rating")):
        refused = await rate(widget, conversation_id, bad)
        assert refused["type"] == "error" and refused["field"] == field, refused
    refused = await rate(widget, conversation_id, 4, "x" * 2001)
    assert refused["type"] == "error" and refused["field"] == "comment"
    assert (await agent.conversation(conversation_id))["conversation"]["csat_rating"] is None

    ack = await rate(widget, conversation_id, 4, "  Быстро, спасибо  ")
    assert ack["type"] == "ack" and ack["rating"] == 4
    stored = (await agent.get(f"/api/v1/conversations/{conversation_id}/csat")).json()
    assert stored["csat"]["rating"] == 4 and stored["csat"]["comment"] == "Быстро, спасибо"
    assert stored["csat"]["agent_id"] == agent.id
    assert (await agent.conversation(conversation_id))["conversation"]["csat_rating"] == 4
    changed = await rate(widget, conversation_id, 5)
    assert changed["type"] == "ack"
    report = (await agent.get("/api/v1/csat")).json()["agents"]
    assert {"agent_id": agent.id, "ratings": 1, "average": 5.0, "satisfied": 1.0} in report

    # Another visitor cannot rate it.
    stranger = Visitor(server.url, tenant.site_key)
    await stranger.start()
    other = await stranger.socket()
    foreign = await rate(other, conversation_id, 1)
    assert foreign["type"] == "error" and foreign["field"] == "conversation_id"
    assert (await agent.conversation(conversation_id))["conversation"]["csat_rating"] == 5
    for sock in (widget, other):
        await sock.close()


async def test_a_site_may_not_ask_for_ratings(server: Server, tenant: Tenant, admin: Agent, agent: Agent) -> None:
    inbox = (await admin.get("/api/v1/inboxes")).json()["inboxes"][0]
    await admin.patch(f"/api/v1/inboxes/{inbox['id']}", {"settings": {**inbox["settings"], "csat": False}})
    visitor = Visitor(server.url, tenant.site_key)
    session = await visitor.start()
    assert session["site"]["csat"] is False
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Вопрос"))["conversation_id"]
    await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
    refused = await rate(widget, conversation_id, 5)
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    await widget.close()


async def test_the_rating_page_for_other_channels(server: Server, tenant: Tenant, agent: Agent) -> None:
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Письмо про возврат"))["conversation_id"]
    await widget.close()
    link = (await agent.get(f"/api/v1/conversations/{conversation_id}/csat")).json()["link"]
    path = "/rate/" + link.rsplit("/rate/", 1)[1]
    async with httpx.AsyncClient(base_url=server.url, headers={"Accept-Language": "ru-RU"}) as customer:
        early = await customer.get(path)
        assert early.status_code == 409 and "ещё не решено" in early.text
        await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
        page = await customer.get(path)
        assert page.status_code == 200 and 'name="rating"' in page.text and "Отлично" in page.text
        bad = await customer.post(path, data={"rating": "9", "comment": ""})
        assert bad.status_code == 422
        assert (await agent.conversation(conversation_id))["conversation"]["csat_rating"] is None
        done = await customer.post(path, data={"rating": "2", "comment": "<script>alert(1)</script>долго"})
        assert done.status_code == 200 and "Спасибо" in done.text
        forged = await customer.get(path[:-3] + "abc")
        assert forged.status_code == 404
    stored = (await agent.get(f"/api/v1/conversations/{conversation_id}/csat")).json()["csat"]
    assert stored["rating"] == 2 and stored["comment"] == "<script>alert(1)</script>долго"  # kept as text
