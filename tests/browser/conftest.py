"""Browser fixtures: one Chromium for the session, a real server on SQLite, pages to drive.

The widget is embedded the way a customer's site does it: a page on another origin
(`https://shop.test`, served by Playwright's request interception) with the one-line
`<script src=".../widget.js" data-site="...">`. Every visitor is a browser context of its
own (fresh localStorage); every agent is another context.
"""

from __future__ import annotations

import asyncio
import html
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Dialog, Locator, Page, Route, async_playwright, expect

from tests.support.clients import Agent
from tests.support.seed import Tenant, make_tenant
from tests.support.server import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
STATIC_DIR = Path(__file__).resolve().parents[2] / "helpline" / "static"

# Waits for things that happen over a live connection (an event, a typing frame).
LIVE_MS = 10_000
# Waits that include a reconnect after the server came back: the client backs off
# exponentially (up to 0.5·2^n·1.5 s), so after a few seconds of downtime the next try may
# be up to ~12 s away.
RECONNECT_MS = 30_000

SHOP = "https://shop.test"
# The test server listens on loopback, and Chromium's Local Network Access rules let a
# public page reach loopback only from a secure context and with the user's permission (a
# production server is public, so customers never see this). Hence https://shop.test (served
# by interception, no certificate needed) and this permission on visitor contexts.
VISITOR_PERMISSIONS = ["local-network-access"]


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not (STATIC_DIR / "widget.js").exists() or not (STATIC_DIR / "console" / "index.html").exists():
        pytest.fail("the front end is not built: cd web && npm run build")
    # Live updates get 10 s rather than Playwright's 5 s: a loaded CI machine is slow to
    # start pages. Restored afterwards, as the setting is global to Playwright.
    expect.set_options(timeout=LIVE_MS)
    try:
        async with async_playwright() as playwright:
            chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            await chromium.close()
    finally:
        expect.set_options(timeout=None)


@pytest.fixture(scope="session")
def web_server(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server the browser tests share (SQLite); each test isolates itself by tenant."""
    server = Server(database_url=databases.new("sqlite"), data_dir=tmp_path_factory.mktemp("browser-srv"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_server(databases: Any, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, for tests that stop and start it.

    Ask for it before `browsing`: fixtures end in reverse order, so the pages close first and
    the server then stops at once instead of waiting out its graceful-shutdown timeout.
    """
    server = Server(database_url=databases.new("sqlite"), data_dir=tmp_path / "srv")
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def web_tenant(web_server: Server) -> Tenant:
    return await make_tenant(web_server.database_url)


@dataclass
class Browsing:
    """The contexts a test opened (closed after it) and what their pages did on their own."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    async def context(self, **options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = await self.browser.new_context(**options)
        context.set_default_timeout(LIVE_MS)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, page: Page) -> None:
        # A dialog can only come from script a message smuggled in (nothing in either UI
        # calls alert/confirm): record it and get it out of the way.
        async def on_dialog(dialog: Dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest_asyncio.fixture
async def browsing(browser: Browser) -> AsyncIterator[Browsing]:
    session = Browsing(browser)
    yield session
    await session.close()
    assert not session.dialogs, f"a page opened a dialog: {session.dialogs}"


# -- the customer's site and the widget ----------------------------------------------------

def shop_html(server: Server, site_key: str, *, lang: str | None, title: str) -> str:
    lang_attr = f' data-lang="{lang}"' if lang else ""
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f'<script src="{server.url}/widget.js" data-site="{site_key}"{lang_attr} async></script>'
        "</body></html>"
    )


async def install_shop(context: BrowserContext, server: Server, site_key: str, *, lang: str | None = "ru", title: str = "Phone X 128 GB — Shop") -> None:
    """Makes every `https://shop.test/...` page of this context a shop page with the widget."""
    page_html = shop_html(server, site_key, lang=lang, title=title)

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html)

    await context.route(f"{SHOP}/**", fulfil)


async def visitor_page(browsing: Browsing, server: Server, site_key: str, *, path: str = "/catalog/phone-x", lang: str | None = "ru", **options: Any) -> Page:
    """A new visitor (own context) on a shop page; the widget's launcher is drawn."""
    options.setdefault("locale", "ru-RU")
    options.setdefault("permissions", VISITOR_PERMISSIONS)
    context = await browsing.context(**options)
    await install_shop(context, server, site_key, lang=lang)
    page = await context.new_page()
    await page.goto(SHOP + path)
    await expect(page.get_by_test_id("hl-launcher")).to_be_visible()
    return page


async def open_widget(page: Page) -> None:
    """Opens the panel and waits until the chat is connected."""
    await page.get_by_test_id("hl-launcher").click()
    await expect(page.get_by_test_id("hl-panel")).to_be_visible()
    await expect(page.get_by_test_id("hl-status")).to_have_attribute("data-state", "open")


async def introduce(page: Page, name: str, email: str) -> None:
    """Fills in the pre-chat form; the composer takes its place."""
    await expect(page.get_by_test_id("hl-prechat")).to_be_visible()
    await page.get_by_test_id("hl-prechat-name").fill(name)
    await page.get_by_test_id("hl-prechat-email").fill(email)
    await page.get_by_test_id("hl-prechat-submit").click()
    await expect(page.get_by_test_id("hl-prechat")).to_be_hidden()
    await expect(page.get_by_test_id("hl-input")).to_be_visible()


async def widget_send(page: Page, text: str) -> None:
    """Types a message in the widget and sends it with Enter (no wait for the ack)."""
    composer = page.get_by_test_id("hl-input")
    await composer.fill(text)
    await composer.press("Enter")
    await expect(composer).to_have_value("")


def widget_message(page: Page, body: str) -> Locator:
    return page.get_by_test_id("hl-message").filter(has=page.get_by_test_id("hl-message-body").get_by_text(body, exact=True))


async def widget_bodies(page: Page) -> list[tuple[str, str, str]]:
    """(author, seq, body) of every message the widget shows, top to bottom."""
    return await _messages(page, "hl")


# -- the console ---------------------------------------------------------------------------

async def console_page(browsing: Browsing, server: Server, email: str, password: str, **options: Any) -> Page:
    """An agent (own context) logged in through the console's login form, connected."""
    options.setdefault("locale", "en-US")
    context = await browsing.context(**options)
    page = await context.new_page()
    await page.goto(server.url + "/console/")
    await console_login(page, email, password)
    await expect(page.get_by_test_id("cn-conn")).to_have_attribute("data-state", "open")
    return page


async def console_login(page: Page, email: str, password: str) -> None:
    await page.get_by_test_id("cn-login-email").fill(email)
    await page.get_by_test_id("cn-login-password").fill(password)
    await page.get_by_test_id("cn-login-submit").click()


def tab_count(page: Page, view: str) -> Locator:
    return page.get_by_test_id(f"cn-tab-{view}").get_by_test_id("cn-tab-count")


def console_message(page: Page, body: str) -> Locator:
    return page.get_by_test_id("cn-message").filter(has=page.get_by_test_id("cn-message-body").get_by_text(body, exact=True))


async def console_bodies(page: Page) -> list[tuple[str, str, str]]:
    """(author, seq, body) of every message of the open conversation, top to bottom."""
    return await _messages(page, "cn")


async def console_send(page: Page, text: str) -> None:
    composer = page.get_by_test_id("cn-composer")
    await composer.fill(text)
    await composer.press("Enter")
    await expect(composer).to_have_value("")


@asynccontextmanager
async def agent_api(server: Server, email: str, password: str) -> AsyncIterator[Agent]:
    """The protocol client of tests/support, for setting up and checking what was stored."""
    agent = await Agent.login(server.url, email, password)
    try:
        yield agent
    finally:
        await agent.close()


# -- odds and ends -------------------------------------------------------------------------

async def _messages(page: Page, prefix: str) -> list[tuple[str, str, str]]:
    # innerText, not textContent: it is the text as laid out, so a line break that the
    # stylesheet collapsed would show up as a difference.
    rows = await page.get_by_test_id(f"{prefix}-message").evaluate_all(
        f"""items => items.map(item => [item.dataset.author, item.dataset.seq || '',
                                         item.querySelector('[data-testid={prefix}-message-body]').innerText])"""
    )
    return [tuple(row) for row in rows]


async def in_thread(call: Callable[[], Any]) -> Any:
    """Runs a blocking call (starting or stopping a server) without freezing Playwright's loop."""
    return await asyncio.to_thread(call)


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = LIVE_MS / 1000, what: str = "condition") -> None:
    """Polls a check until it holds, for state outside the page (a REST read, frames a route saw)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def holds() -> bool:
        result = check()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    while not await holds():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
