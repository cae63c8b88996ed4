"""The console in the browser: login failures, CSRF, and the admin page."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Browsing, agent_api, console_login, console_page
from tests.support.clients import Visitor, send_and_ack
from tests.support.seed import Tenant
from tests.support.server import Server

pytestmark = pytest.mark.browser

# A state-changing request made by script on the console page itself, with the session
# cookie, optionally with the CSRF header the console's own requests carry.
FETCH = """async ({path, body, csrf}) => {
    const headers = {'Content-Type': 'application/json'};
    if (csrf !== null) headers['X-CSRF-Token'] = csrf;
    const response = await fetch(path, {method: 'POST', credentials: 'include', headers, body: JSON.stringify(body)});
    return {status: response.status, body: await response.json()};
}"""
CSRF_COOKIE = "() => decodeURIComponent((document.cookie.match(/(?:^|;\\s*)helpline_csrf=([^;]*)/) || [])[1] || '')"


async def post_from_page(page: Page, path: str, body: dict, csrf: str | None) -> dict:
    return await page.evaluate(FETCH, {"path": path, "body": body, "csrf": csrf})


async def test_wrong_credentials_show_an_error_and_do_not_log_in(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    context = await browsing.context(locale="en-US")
    page = await context.new_page()
    await page.goto(web_server.url + "/console/")
    error = page.get_by_test_id("cn-login-error")
    for email, password in ((web_tenant.agents[0], "wrong-password"), ("nobody-" + web_tenant.agents[0], web_tenant.password)):
        await console_login(page, email, password)
        await expect(error).to_have_attribute("data-code", "invalid_credentials")
        await expect(error).to_have_text("Wrong e-mail or password.")
        await expect(page.get_by_test_id("cn-login-password")).to_have_value("")
        await expect(page.get_by_test_id("cn-logout")).to_have_count(0)
        assert await page.evaluate("() => fetch('/api/v1/me').then(r => r.status)") == 401
        assert "helpline_session" not in {cookie["name"] for cookie in await context.cookies()}

    await console_login(page, web_tenant.agents[0], web_tenant.password)
    await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    await expect(error).to_have_count(0)


async def test_state_changes_without_the_csrf_header_are_refused(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    visitor = Visitor(web_server.url, web_tenant.site_key)
    await visitor.start()
    socket = await visitor.socket()
    conversation_id = (await send_and_ack(socket, "Помогите"))["conversation_id"]
    await socket.close()
    await visitor.close()

    console = await console_page(browsing, web_server, web_tenant.agents[0], web_tenant.password)
    await console.goto(f"{web_server.url}/console/all/{conversation_id}")
    await expect(console.get_by_test_id("cn-status")).to_have_attribute("data-status", "open")
    resolve = f"/api/v1/conversations/{conversation_id}/resolve"
    reply = f"/api/v1/conversations/{conversation_id}/messages"
    reply_body = {"client_id": secrets.token_hex(8), "body": "Подделанный ответ", "kind": "text"}

    for csrf in (None, "not-the-token"):
        for path, body in ((resolve, {}), (reply, reply_body)):
            refused = await post_from_page(console, path, body, csrf)
            assert refused["status"] == 403 and refused["body"]["error"]["code"] == "csrf_failed", refused

    async with agent_api(web_server, web_tenant.agents[0], web_tenant.password) as agent:
        unchanged = await agent.conversation(conversation_id)
        assert unchanged["conversation"]["status"] == "open"
        assert [m["body"] for m in unchanged["messages"]] == ["Помогите"]

        token = await console.evaluate(CSRF_COOKIE)
        assert token
        replied = await post_from_page(console, reply, reply_body, token)
        assert replied["status"] == 201, replied
        resolved = await post_from_page(console, resolve, {}, token)
        assert resolved["status"] == 200 and resolved["body"]["conversation"]["status"] == "resolved", resolved
        changed = await agent.conversation(conversation_id)
        assert changed["conversation"]["status"] == "resolved"
        assert [m["body"] for m in changed["messages"]] == ["Помогите", "Подделанный ответ"]
    # The page hears of the accepted changes live (and so would have shown a refused one).
    await expect(console.get_by_test_id("cn-status")).to_have_attribute("data-status", "resolved")
    await expect(console.get_by_test_id("cn-reopen")).to_be_visible()
    await expect(console.get_by_test_id("cn-message")).to_have_count(2)


async def test_admin_adds_an_agent_who_logs_in_and_is_logged_out_when_deactivated(browsing: Browsing, web_server: Server, web_tenant: Tenant) -> None:
    admin = await console_page(browsing, web_server, web_tenant.admin, web_tenant.password)
    await admin.get_by_test_id("cn-nav-admin").click()
    await expect(admin.get_by_test_id("cn-agent-row")).to_have_count(4)  # admin, supervisor, two agents

    email = f"olga-{secrets.token_hex(4)}@example.com"
    password = "olga-password-1"
    await admin.get_by_test_id("cn-agent-name").fill("Ольга Новая")
    await admin.get_by_test_id("cn-agent-email").fill(email)
    await admin.get_by_test_id("cn-agent-password").fill("short")
    await admin.get_by_test_id("cn-agent-role").select_option("agent")
    await admin.get_by_test_id("cn-agent-submit").click()
    await expect(admin.get_by_test_id("cn-field-error")).to_have_attribute("data-field", "password")
    await expect(admin.get_by_test_id("cn-agent-row")).to_have_count(4)

    await admin.get_by_test_id("cn-agent-password").fill(password)
    await admin.get_by_test_id("cn-agent-submit").click()
    row = admin.locator(f'[data-testid=cn-agent-row][data-email="{email}"]')
    await expect(row).to_have_attribute("data-active", "true")
    await expect(row).to_contain_text("Ольга Новая")
    await expect(admin.get_by_test_id("cn-field-error")).to_have_count(0)
    await expect(admin.get_by_test_id("cn-agent-email")).to_have_value("")

    olga = await console_page(browsing, web_server, email, password)
    await expect(olga.get_by_test_id("cn-nav-admin")).to_have_count(0)  # an agent, not an admin

    await row.get_by_test_id("cn-agent-deactivate").click()
    await expect(row).to_have_attribute("data-active", "false")
    await expect(row.get_by_test_id("cn-agent-activate")).to_be_visible()
    # Deactivation ends her sessions; her open console notices without her doing anything.
    await expect(olga.get_by_test_id("cn-login-email")).to_be_visible()
    assert await olga.evaluate("() => fetch('/api/v1/me').then(r => r.status)") == 401
    await console_login(olga, email, password)
    await expect(olga.get_by_test_id("cn-login-error")).to_have_attribute("data-code", "invalid_credentials")
