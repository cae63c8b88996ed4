"""Settings › Integrations in the console, in Russian: an admin makes an API token (its secret
shown once, with a warning, and working against the API), revokes it (the API then refuses it),
and sets up a webhook to a loopback receiver — a bad address is refused next to the address
field — sends it a test, sees a customer's message arrive in the delivery log, changes it,
switches it off and deletes it (docs/protocol.md, "Integrations")."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.browser.conftest import Browsing, agent_api, console_page, eventually
from tests.support.clients import Visitor, send_and_ack
from tests.support.fake_api import Call, FakeApi
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

# Screenshots for a person to look at, when asked for: HELPLINE_SCREENSHOTS=/some/dir.
SCREENSHOTS = os.environ.get("HELPLINE_SCREENSHOTS")


class Receiver(FakeApi):
    """The business's own system: takes webhook POSTs at /hook (as in tests/integration/test_integrations.py)."""

    def routes(self) -> list[Route]:
        return [Route("/hook", self._hook, methods=["POST"])]

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        call = Call("hook", {"body": body}, headers=dict(request.headers))
        failure = self.record(call)
        return failure if failure is not None else JSONResponse({"ok": True})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(c.params["body"]) for c in self.calls_of("hook")]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as api:
        yield api


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def open_integrations(browsing: Browsing, server: Server, tenant: Tenant) -> Page:
    admin = await console_page(browsing, server, tenant.admin, tenant.password, locale="ru-RU")
    await admin.get_by_test_id("cn-nav-settings").click()
    await admin.get_by_test_id("cn-subnav-integrations").click()
    await expect(admin.get_by_test_id("cn-subnav-integrations")).to_have_text("Интеграции")
    return admin


async def admin_get(server: Server, tenant: Tenant, path: str) -> dict[str, Any]:
    async with agent_api(server, tenant.admin, tenant.password) as api:
        response = await api.get(path)
        assert response.status_code == 200, response.text
        return response.json()


async def test_an_admin_makes_an_api_token_that_is_shown_once_and_revokes_it(
    browsing: Browsing, web_server: Server, web_tenant: Tenant
) -> None:
    agents = (await admin_get(web_server, web_tenant, "/api/v1/agents"))["agents"]
    [agent1] = [agent for agent in agents if agent["email"] == web_tenant.agents[0]]
    admin = await open_integrations(browsing, web_server, web_tenant)
    tokens = admin.get_by_test_id("cn-api-tokens")
    await expect(tokens.get_by_test_id("cn-tokens-none")).to_be_visible()

    await tokens.get_by_test_id("cn-token-new").click()
    form = tokens.get_by_test_id("cn-token-form")
    # A token needs a name: said next to the name.
    await form.get_by_test_id("cn-token-submit").click()
    await expect(form.locator("[data-testid=cn-field-error][data-field=name]")).to_be_visible()
    await form.get_by_test_id("cn-token-name").fill("CRM магазина")
    await form.get_by_test_id("cn-token-agent").select_option(str(agent1["id"]))
    await form.get_by_test_id("cn-token-submit").click()

    shown = tokens.get_by_test_id("cn-token-secret")
    await expect(shown.get_by_test_id("cn-token-warning")).to_contain_text("показан только один раз и больше показан не будет")
    secret = await shown.get_by_test_id("cn-token-secret-value").input_value()
    assert secret.startswith("hl_")
    await expect(form).to_be_hidden()
    row = tokens.locator("[data-testid=cn-token][data-name='CRM магазина']")
    await expect(row).to_have_attribute("data-revoked", "false")
    await expect(row.get_by_test_id("cn-token-prefix")).to_have_text(secret[:9] + "…")
    await expect(row).to_contain_text("Agent1")
    await expect(row.get_by_test_id("cn-token-used")).to_have_text("не использовался")
    await shown.get_by_test_id("cn-token-copy").click()
    await expect(shown.get_by_test_id("cn-token-copy")).to_have_attribute("data-copied", "true")
    await screenshot(admin, "integrations-token-secret")

    # The token works, as the agent it acts for.
    async with httpx.AsyncClient(base_url=web_server.url, headers={"Authorization": f"Bearer {secret}"}) as api:
        me = await api.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["agent"]["id"] == agent1["id"]

    # Once put away, the secret is nowhere to be seen again, not even after a reload.
    await shown.get_by_test_id("cn-token-secret-done").click()
    await expect(shown).to_be_hidden()
    await admin.reload()
    await expect(row).to_have_attribute("data-revoked", "false")
    await expect(row.get_by_test_id("cn-token-used")).not_to_have_text("не использовался")
    assert secret not in await admin.content()

    # Revoking is asked twice; then the API refuses the token.
    revoke = row.get_by_test_id("cn-token-revoke")
    await revoke.click()
    await expect(revoke).to_have_attribute("data-confirming", "true")
    await expect(revoke).to_have_text("Отозвать навсегда?")
    await revoke.click()
    await expect(row).to_have_attribute("data-revoked", "true")
    await expect(row.get_by_test_id("cn-token-state")).to_contain_text("Отозван")
    await expect(admin.get_by_test_id("cn-toast")).to_contain_text("отозван")
    await expect(row.get_by_test_id("cn-token-revoke")).to_have_count(0)
    async with httpx.AsyncClient(base_url=web_server.url, headers={"Authorization": f"Bearer {secret}"}) as api:
        assert (await api.get("/api/v1/me")).status_code == 401
    [stored] = (await admin_get(web_server, web_tenant, "/api/v1/api-tokens"))["tokens"]
    assert stored["revoked_at"] and stored["agent"]["id"] == agent1["id"]
    assert not browsing.page_errors, browsing.page_errors


async def test_an_admin_sets_up_a_webhook_tests_it_and_reads_its_delivery_log(
    browsing: Browsing, web_server: Server, web_tenant: Tenant, receiver: Receiver
) -> None:
    admin = await open_integrations(browsing, web_server, web_tenant)
    webhooks = admin.get_by_test_id("cn-webhooks")
    await expect(webhooks.get_by_test_id("cn-webhooks-none")).to_be_visible()
    await webhooks.get_by_test_id("cn-webhook-new").click()
    form = webhooks.get_by_test_id("cn-webhook-form")
    url_error = form.locator("[data-testid=cn-field-error][data-field=url]")

    # An address the server refuses: its reason shows by the address field, nothing is made.
    await form.get_by_test_id("cn-webhook-url-input").fill("ftp://example.com/hook")
    await form.get_by_test_id("cn-webhook-submit").click()
    await expect(url_error).to_contain_text("url must be an http(s) address")
    await screenshot(admin, "integrations-webhook-refused")
    assert (await admin_get(web_server, web_tenant, "/api/v1/webhooks"))["webhooks"] == []

    await form.get_by_test_id("cn-webhook-url-input").fill(f"{receiver.url}/hook")
    await expect(url_error).to_be_hidden()
    await expect(form.locator("[data-testid=cn-webhook-event][data-event='message.created']")).to_be_checked()
    await expect(form.locator("[data-testid=cn-webhook-event][data-event='conversation.created']")).to_be_checked()
    await form.get_by_test_id("cn-webhook-submit").click()
    card = webhooks.locator(f"[data-testid=cn-webhook][data-url='{receiver.url}/hook']")
    await expect(card).to_have_attribute("data-active", "true")
    await expect(form).to_be_hidden()
    [stored] = (await admin_get(web_server, web_tenant, "/api/v1/webhooks"))["webhooks"]
    assert stored["events"] == ["conversation.created", "message.created"]
    await expect(card.get_by_test_id("cn-webhook-events")).to_contain_text("Написано сообщение")

    # The signing secret: hidden until asked for.
    secret = card.get_by_test_id("cn-webhook-secret")
    await expect(secret).to_have_attribute("type", "password")
    await card.get_by_test_id("cn-webhook-secret-show").click()
    await expect(secret).to_have_attribute("type", "text")
    await expect(secret).to_have_value(stored["secret"])

    # "Send a test": the receiver gets a ping and the answer is shown.
    await card.get_by_test_id("cn-webhook-test").click()
    result = card.get_by_test_id("cn-webhook-test-result")
    await expect(result).to_have_attribute("data-ok", "true")
    await expect(result).to_contain_text("Тест доставлен: адрес ответил HTTP 200")
    assert [c.headers["x-helpline-event"] for c in receiver.calls_of("hook")] == ["ping"]

    # A customer writes: the deliveries show in the log.
    await card.get_by_test_id("cn-webhook-log-toggle").click()
    log = card.get_by_test_id("cn-webhook-log")
    await expect(log.get_by_test_id("cn-webhook-log-none")).to_be_visible()
    visitor = Visitor(web_server.url, web_tenant.site_key)
    try:
        await visitor.start()
        socket = await visitor.socket()
        ack = await send_and_ack(socket, "Хочу вернуть товар, как это сделать?")
        await socket.close()
    finally:
        await visitor.close()
    assert ack["type"] == "ack", ack

    async def delivered() -> bool:
        log_rows = (await admin_get(web_server, web_tenant, f"/api/v1/webhooks/{stored['id']}/deliveries"))["deliveries"]
        return {row["event_type"] for row in log_rows if row["ok"]} >= {"conversation.created", "message.created"}

    await eventually(delivered, timeout=20, what="the deliveries of the customer's message")
    await log.get_by_test_id("cn-webhook-log-refresh").click()
    message_row = log.locator("[data-testid=cn-delivery][data-event-type='message.created']")
    await expect(message_row).to_have_attribute("data-ok", "true")
    await expect(message_row).to_have_attribute("data-status", "200")
    await expect(message_row).to_contain_text("HTTP 200")
    await expect(message_row).to_contain_text("Написано сообщение")
    await expect(message_row.get_by_test_id("cn-delivery-mark")).to_have_attribute("aria-label", "доставлено")
    await expect(log.locator("[data-testid=cn-delivery][data-event-type='conversation.created']")).to_have_attribute("data-ok", "true")
    sent = {event["type"]: event["id"] for event in receiver.events()}
    await expect(message_row).to_have_attribute("data-event-id", str(sent["message.created"]))
    await screenshot(admin, "integrations-page")

    # Another event, the address kept; then off, and deleted (asked twice).
    await card.get_by_test_id("cn-webhook-edit").click()
    editor = card.get_by_test_id("cn-webhook-editor")
    await editor.locator("[data-testid=cn-webhook-event][data-event='contact.updated']").check()
    await editor.get_by_test_id("cn-webhook-submit").click()
    await expect(editor).to_be_hidden()
    await expect(card.get_by_test_id("cn-webhook-events")).to_contain_text("Контакт изменился")
    [stored] = (await admin_get(web_server, web_tenant, "/api/v1/webhooks"))["webhooks"]
    assert stored["events"] == ["conversation.created", "message.created", "contact.updated"]
    assert stored["url"] == f"{receiver.url}/hook"

    await card.get_by_test_id("cn-webhook-active").uncheck()
    await expect(card).to_have_attribute("data-active", "false")
    [stored] = (await admin_get(web_server, web_tenant, "/api/v1/webhooks"))["webhooks"]
    assert stored["is_active"] is False

    delete = card.get_by_test_id("cn-webhook-delete")
    await delete.click()
    await expect(delete).to_have_attribute("data-confirming", "true")
    await delete.click()
    await expect(card).to_have_count(0)
    await expect(webhooks.get_by_test_id("cn-webhooks-none")).to_be_visible()
    assert (await admin_get(web_server, web_tenant, "/api/v1/webhooks"))["webhooks"] == []
    assert not browsing.page_errors, browsing.page_errors
