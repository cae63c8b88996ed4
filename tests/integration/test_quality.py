"""The reviewer in the product: a review when a conversation is resolved, marks, the coach,
the quality report."""

from __future__ import annotations

import asyncio

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server


async def review_of(agent: Agent, conversation_id: int, timeout: float = 10.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        review = (await agent.get(f"/api/v1/conversations/{conversation_id}/review")).json()["review"]
        if review is not None:
            return review
        assert asyncio.get_running_loop().time() < deadline, "no review came"
        await asyncio.sleep(0.1)


async def test_a_resolved_conversation_is_reviewed_and_findings_can_be_marked(
    server: Server, tenant: Tenant, agent: Agent, visitor: Visitor
) -> None:
    supervisor = await Agent.login(server.url, tenant.supervisor, tenant.password)
    try:
        widget = await visitor.socket()
        conversation_id = (await send_and_ack(widget, "Здравствуйте, сколько стоит доставка в Казань?"))["conversation_id"]
        await agent.reply(conversation_id, "Это секрет, и вообще подумайте сами", kind="note")  # never reviewed
        reply = await agent.reply(conversation_id, "Здравствуйте! Спасибо за обращение. Доставка в Казань стоит 300 рублей.")
        seq = reply.json()["message"]["seq"]
        assert (await agent.get(f"/api/v1/conversations/{conversation_id}/review")).json()["review"] is None
        console = await agent.socket()
        await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
        review = await review_of(agent, conversation_id)
        event = await console.wait_for(lambda f: f["type"] == "event" and f["event"] == "conversation.reviewed")
        assert event["data"]["conversation_id"] == conversation_id
        [cliche] = [f for f in review["findings"] if f["fault"] == "template_phrase"]
        assert cliche["seq"] == seq and cliche["marked_wrong"] is False
        assert review["score"] < 100
        # Only supervisors mark; an unknown finding is not found; marks are kept and counted.
        assert (await agent.post(f"/api/v1/conversations/{conversation_id}/review/marks", {"fault": "template_phrase", "wrong": True})).status_code == 403
        assert (await supervisor.post(f"/api/v1/conversations/{conversation_id}/review/marks", {"fault": "ignored_emotion", "wrong": True})).status_code == 404
        marked = await supervisor.post(f"/api/v1/conversations/{conversation_id}/review/marks", {"fault": "template_phrase", "wrong": True})
        assert marked.status_code == 200
        assert [f["marked_wrong"] for f in marked.json()["review"]["findings"] if f["fault"] == "template_phrase"] == [True]
        report = (await supervisor.get("/api/v1/quality", days=7)).json()
        [mine] = [g for g in report["groups"] if g["id"] is None or g["name"] == agent.me["name"]]
        assert mine["conversations"] == 1 and mine["series"][0]["conversations"] == 1
        assert {"fault": "template_phrase", "count": 1} in mine["top_faults"]
        assert report["marks"]["marked_wrong"] == 1
        drill = (await supervisor.get("/api/v1/quality/conversations", fault="template_phrase")).json()["conversations"]
        assert [c["conversation"]["id"] for c in drill] == [conversation_id]
        assert (await agent.get("/api/v1/quality")).status_code == 403
        await console.close()
        await widget.close()
    finally:
        await supervisor.close()


async def test_the_coach_warns_about_a_draft(agent: Agent, visitor: Visitor) -> None:
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Здравствуйте! Как оплатить заказ картой?"))["conversation_id"]
    await agent.reply(conversation_id, "Оплатить можно картой на сайте при оформлении.")

    async def warnings(draft: str) -> set[str]:
        response = await agent.post(f"/api/v1/conversations/{conversation_id}/coach", {"draft": draft})
        assert response.status_code == 200, response.text
        return {w["fault"] for w in response.json()["warnings"]}

    assert "template_phrase" in await warnings("Спасибо за обращение!")
    assert "repeated_message" in await warnings("Оплатить можно картой на сайте при оформлении!")
    assert "language_mismatch" in await warnings("You can pay by card on the website when you place the order.")
    assert "emoji_in_money_topic" in await warnings("Оплата картой проходит мгновенно 😊")
    assert "rude_tone" in await warnings("Выберите оплату картой и введите данные.")  # bare orders
    assert await warnings("Да, при оформлении заказа, пожалуйста, выберите оплату картой и введите её данные.") == set()
    assert await warnings("   ") == set()
    # Nothing was sent.
    assert len((await agent.conversation(conversation_id))["messages"]) == 2
    await widget.close()


async def test_each_account_configures_its_reviewer(server: Server, tenant: Tenant, admin: Agent, agent: Agent, visitor: Visitor) -> None:
    assert (await agent.put("/api/v1/account/quality", {"enabled": []})).status_code == 403
    config = (await admin.get("/api/v1/account/quality")).json()["config"]
    assert config["first_response_seconds"] == 60 and "template_phrase" in config["enabled"]
    # Bad values are refused and change nothing.
    for bad in ({"first_response_seconds": -5}, {"enabled": ["no_such_fault"]}, {"colour": "red"}):
        response = await admin.put("/api/v1/account/quality", bad)
        assert response.status_code == 422, (bad, response.text)
    assert (await admin.get("/api/v1/account/quality")).json()["config"] == config
    # This account does not look for stock phrases: the coach and the review stay quiet on them.
    everything_but = sorted(set(config["enabled"]) - {"template_phrase"})
    saved = await admin.put("/api/v1/account/quality", {"enabled": everything_but})
    assert saved.status_code == 200 and "template_phrase" not in saved.json()["config"]["enabled"]
    widget = await visitor.socket()
    conversation_id = (await send_and_ack(widget, "Здравствуйте, где мой заказ номер 12345?"))["conversation_id"]
    response = await agent.post(f"/api/v1/conversations/{conversation_id}/coach", {"draft": "Спасибо за обращение!"})
    assert "template_phrase" not in {w["fault"] for w in response.json()["warnings"]}
    await agent.reply(conversation_id, "Спасибо за обращение! Заказ 12345 передан в доставку, будет завтра.")
    await agent.post(f"/api/v1/conversations/{conversation_id}/resolve")
    review = await review_of(agent, conversation_id)
    assert "template_phrase" not in {f["fault"] for f in review["findings"]}
    await widget.close()
