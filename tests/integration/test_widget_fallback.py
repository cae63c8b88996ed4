"""The widget over HTTP (long-poll + POST) for networks that block WebSockets."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.clients import Agent, Visitor, new_client_id


async def post(visitor: Visitor, path: str, body: dict) -> httpx.Response:
    return await visitor.http.post(f"/api/widget/v1/{path}", json={"token": visitor.token, **body}, timeout=40)


async def test_frames_and_poll_carry_the_same_conversation_as_the_socket(agent: Agent, visitor: Visitor) -> None:
    client_id = new_client_id()
    sent = await post(visitor, "frames", {"frames": [{"type": "message.send", "client_id": client_id, "body": "over http"}, {"type": "ping"}]})
    assert sent.status_code == 200
    ack, pong = sent.json()["frames"]
    assert ack["type"] == "ack" and ack["message"]["seq"] == 1 and pong == {"type": "pong"}
    again = await post(visitor, "frames", {"frames": [{"type": "message.send", "client_id": client_id, "body": "over http"}]})
    assert again.json()["frames"][0]["duplicate"] is True

    first = (await post(visitor, "poll", {"cursors": {}, "wait": 0})).json()["frames"]
    assert first[0]["type"] == "welcome" and [f["message"]["body"] for f in first[1:] if f["type"] == "message"] == ["over http"]

    conversation_id = ack["conversation_id"]
    started = time.monotonic()

    async def answer_later() -> None:
        await asyncio.sleep(0.5)
        await agent.reply(conversation_id, "answer while you wait")

    task = asyncio.create_task(answer_later())
    woke = (await post(visitor, "poll", {"cursors": {str(conversation_id): 1}, "wait": 20})).json()["frames"]
    await task
    assert time.monotonic() - started < 10  # woken by the answer, not by the timeout
    assert [f["message"]["body"] for f in woke if f["type"] == "message"] == ["answer while you wait"]
    stored = [m["body"] for m in (await agent.conversation(conversation_id))["messages"]]
    assert stored == ["over http", "answer while you wait"]


async def test_an_idle_poll_returns_after_its_wait(visitor: Visitor) -> None:
    started = time.monotonic()
    frames = (await post(visitor, "poll", {"cursors": {}, "wait": 1})).json()["frames"]
    assert [f["type"] for f in frames] == ["welcome"] and 0.9 <= time.monotonic() - started < 5


async def test_fallback_bad_input(visitor: Visitor, agent: Agent) -> None:
    cases = [
        ("poll", {"token": "forged"}, 401, "invalid_token"),
        ("poll", {"wait": 99}, 422, "invalid_field"),
        ("frames", {"frames": []}, 422, "invalid_field"),
        ("frames", {"frames": "nope"}, 422, "invalid_field"),
    ]
    for path, body, status, code in cases:
        response = await visitor.http.post(f"/api/widget/v1/{path}", json={"token": visitor.token, **body})
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (path, body)
    bad = await post(visitor, "frames", {"frames": [["x"], {"type": "message.send", "client_id": new_client_id(), "body": ""}, {"type": "dance"}]})
    assert [f["code"] for f in bad.json()["frames"]] == ["malformed_request", "empty_message", "unknown_frame_type"]
    assert (await agent.get("/api/v1/conversations", view="all", status="all")).json()["conversations"] == []


async def test_typing_over_http_names_the_open_conversation(agent: Agent, visitor: Visitor) -> None:
    sent = await post(visitor, "frames", {"frames": [{"type": "message.send", "client_id": new_client_id(), "body": "hi"}]})
    conversation_id = sent.json()["frames"][0]["conversation_id"]
    console = await agent.socket()
    await post(visitor, "frames", {"frames": [{"type": "typing", "active": True}]})
    typing = await console.wait_for(lambda f: f["type"] == "typing")
    assert typing["conversation_id"] == conversation_id and typing["active"] is True


async def test_a_polling_visitor_is_online_until_the_polls_stop(agent: Agent, visitor: Visitor) -> None:
    response = await visitor.http.post("/api/widget/v1/poll", json={"token": visitor.token, "cursors": {}, "wait": 0})
    assert response.status_code == 200
    [live] = (await agent.get("/api/v1/visitors")).json()["visitors"]
    assert live["visitor_id"] == visitor.session["visitor_id"]
    # No further poll: after the wait (0) and the grace (HELPLINE_PRESENCE_TIMEOUT, 6 s here)
    # the visitor is gone from the live list.
    deadline = asyncio.get_running_loop().time() + 15
    while (await agent.get("/api/v1/visitors")).json()["visitors"]:
        assert asyncio.get_running_loop().time() < deadline, "the visitor stayed online"
        await asyncio.sleep(0.3)
