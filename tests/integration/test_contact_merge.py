"""One person, two contacts: an agent merges them (identities, conversations and visitor move
to the one that stays, with the details it lacked) and undoes it exactly (docs/protocol.md,
"Contacts")."""

from __future__ import annotations

from typing import Any

from tests.support.clients import Agent, Visitor, send_and_ack
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server


async def customer(server: Server, tenant: Tenant, text: str, contact: dict[str, Any] | None = None) -> tuple[Visitor, int, int]:
    """A website visitor who wrote `text`: (visitor, contact id, conversation id)."""
    visitor = Visitor(server.url, tenant.site_key)
    await visitor.start()
    socket = await visitor.socket()
    if contact:
        await socket.send({"type": "contact.update", "client_id": "c" * 16, **contact})
        await socket.wait_for(lambda f: f.get("client_id") == "c" * 16)
    ack = await send_and_ack(socket, text)
    await socket.close()
    return visitor, ack["message"]["author"]["id"], ack["message"]["conversation_id"]


async def contact_page(agent: Agent, contact_id: int) -> dict[str, Any]:
    response = await agent.get(f"/api/v1/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_merge_moves_everything_and_its_undo_moves_it_back(server: Server, tenant: Tenant, agent: Agent) -> None:
    first, anna, chat = await customer(server, tenant, "Здравствуйте, я Анна", {"name": "Анна"})
    second, other, later = await customer(
        server, tenant, "Это снова я, с телефона", {"email": "anna@example.com", "phone": "+7 912 000-11-22"}
    )
    try:
        before = await contact_page(agent, other)
        merged = await agent.post(f"/api/v1/contacts/{anna}/merge", {"other_id": other})
        assert merged.status_code == 200, merged.text
        merge = merged.json()["merge"]
        assert merge["survivor_id"] == anna and merge["merged_id"] == other and merge["conversations"] == 1

        page = await contact_page(agent, anna)
        assert {c["id"] for c in page["conversations"]} == {chat, later}
        assert page["contact"]["name"] == "Анна" and page["contact"]["email"] == "anna@example.com"
        kinds = sorted(i["kind"] for i in page["contact"]["identities"])
        assert kinds.count("web") == 2  # both visitors' ids now find Анна
        gone = await contact_page(agent, other)
        assert gone["contact"]["merged_into_id"] == anna and gone["conversations"] == []
        assert (await agent.conversation(later))["conversation"]["contact"]["id"] == anna

        # The second visitor's next message is Анна's.
        socket = await second.socket()
        ack = await send_and_ack(socket, "Так что с заказом?")
        await socket.close()
        assert ack["message"]["author"]["id"] == anna

        undone = await agent.post(f"/api/v1/contact-merges/{merge['id']}/undo")
        assert undone.status_code == 200 and undone.json()["merge"]["undone_at"]
        back = await contact_page(agent, other)
        assert back["contact"]["merged_into_id"] is None
        assert back["contact"]["identities"] == before["contact"]["identities"]
        assert later in {c["id"] for c in back["conversations"]}
        stays = await contact_page(agent, anna)
        assert stays["contact"]["email"] is None and stays["contact"]["phone"] is None  # what it lacked, lacked again
        assert chat in {c["id"] for c in stays["conversations"]}
        history = (await agent.get(f"/api/v1/contacts/{anna}/merges")).json()["merges"]
        assert [m["id"] for m in history] == [merge["id"]]
    finally:
        await first.close()
        await second.close()


async def test_bad_merges_are_refused_and_change_nothing(server: Server, tenant: Tenant, agent: Agent) -> None:
    first, anna, _ = await customer(server, tenant, "Первый")
    second, boris, _ = await customer(server, tenant, "Второй")
    other = await make_tenant(server.database_url)
    third, stranger, _ = await customer(server, other, "Чужой")
    try:
        before = (await contact_page(agent, anna), await contact_page(agent, boris))
        for body, status in (
            ({"other_id": anna}, 422),  # itself
            ({"other_id": "2"}, 422),
            ({}, 422),
            ({"other_id": stranger}, 404),  # another account's
            ({"other_id": 999_999_999}, 404),
        ):
            response = await agent.post(f"/api/v1/contacts/{anna}/merge", body)
            assert response.status_code == status, (body, response.text)
        assert (await agent.post(f"/api/v1/contacts/{stranger}/merge", {"other_id": anna})).status_code == 404
        assert (await contact_page(agent, anna), await contact_page(agent, boris)) == before

        merge = (await agent.post(f"/api/v1/contacts/{anna}/merge", {"other_id": boris})).json()["merge"]
        assert (await agent.post(f"/api/v1/contacts/{anna}/merge", {"other_id": boris})).status_code == 409
        assert (await agent.post(f"/api/v1/contacts/{boris}/merge", {"other_id": anna})).status_code == 409
        assert (await agent.post(f"/api/v1/contact-merges/{merge['id']}/undo")).status_code == 200
        assert (await agent.post(f"/api/v1/contact-merges/{merge['id']}/undo")).status_code == 409
        outsider = await Agent.login(server.url, other.admin, other.password)
        try:
            assert (await outsider.post(f"/api/v1/contact-merges/{merge['id']}/undo")).status_code == 404
        finally:
            await outsider.close()
    finally:
        for visitor in (first, second, third):
            await visitor.close()
