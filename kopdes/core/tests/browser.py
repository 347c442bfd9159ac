"""Shared fixtures and helpers for browser tests: Debian's chromium driven by Playwright.

A test module binds the fixtures it uses to module names (`browser, route_guard, phone_page =
shared.browser, shared.route_guard, shared.phone_page`) and marks its tests `@pytest.mark.browser`.

- `browser`: one headless chromium for the session, from /usr/bin/chromium. Playwright never
  downloads a browser here; `make system-deps` installs Debian's.
- `route_guard`: lets through requests to the live server only; every other request is
  recorded and aborted, so a test can assert that no asset comes from outside the server.
- `phone_page`: a fresh context sized like a common Indonesian Android phone (360x740, touch,
  mobile viewport, Indonesian locale), behind the route guard.

On SQLite the test database lives in memory, and Django's live server shares that one connection
with every request thread. A page that sends two requests at once (the region picker and the
postal code on the same change) would then interleave two requests' statements and transactions
on one connection, a race production never has (each worker has its own connection). The live
server therefore answers one request at a time when it shares a connection (`_serialise_live_server`).
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000


class _OneRequestAtATime:
    """A WSGI application that lets one request at a time through, body included."""

    def __init__(self, application) -> None:
        self.application = application
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            response = self.application(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                if hasattr(response, "close"):
                    response.close()


def _serialise_live_server() -> None:
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class SerialisedWSGIServer(ThreadedWSGIServer):
        def set_app(self, application):
            if self.connections_override:
                application = _OneRequestAtATime(application)
            super().set_app(application)

    LiveServerThread.server_class = SerialisedWSGIServer


_serialise_live_server()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running on the main thread for as long as it
    # lives, and Django refuses ORM calls from a thread with a running loop. The tests and the
    # fixtures (including pytest-django's flush) use the ORM synchronously on purpose, so allow
    # it exactly while the browser exists.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


@dataclass
class RouteGuard:
    """Continues requests to `origin` (the live server), records and aborts all others."""

    origin: tuple[str, str]
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        return _origin(url) == self.origin

    def handle(self, route) -> None:
        url = route.request.url
        if self.allows(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def on_request(self, request) -> None:
        self.requested.append(request.url)

    def on_response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def outside(self) -> list[str]:
        """Every URL the browser asked for that is not on the live server (http(s) only)."""
        seen = [u for u in self.requested if urlsplit(u).scheme in ("http", "https", "ws", "wss")]
        return sorted({u for u in [*seen, *self.blocked] if not self.allows(u)})

    def assert_only_live_server(self) -> None:
        assert self.outside() == [], f"requests outside the live server: {self.outside()}"
        assert self.page_errors == [], f"JavaScript errors: {self.page_errors}"
        assert self.server_errors == [], f"server errors: {self.server_errors}"


@pytest.fixture
def route_guard(live_server) -> RouteGuard:
    return RouteGuard(origin=_origin(live_server.url))


@pytest.fixture
def phone_page(browser, live_server, route_guard):
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        screen=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", route_guard.handle)
    context.on("request", route_guard.on_request)
    context.on("response", route_guard.on_response)
    page = context.new_page()
    page.on("pageerror", lambda error: route_guard.page_errors.append(str(error)))
    yield page
    context.close()
    # A safety net: every test using a phone page stays on the live server, asserted or not.
    assert route_guard.outside() == [], f"requests outside the live server: {route_guard.outside()}"
    assert route_guard.server_errors == [], f"server errors: {route_guard.server_errors}"


# --- Helpers ------------------------------------------------------------------------------------


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def log_in(page, identifier: str, password: str) -> None:
    """Log in through the real login form, the way a person on a phone does (tapping)."""
    page.goto("/masuk/")
    form = page.locator("main form")
    username = form.locator("input[name=username]")
    username.fill(identifier)
    typed = username.input_value()
    maxlength = username.get_attribute("maxlength")
    assert typed == identifier, f"the login box kept {typed!r} of {identifier!r} ({maxlength=})"
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()


def screenshot(page, name: str) -> Path:
    """A full-page screenshot in the temporary directory, e.g. /tmp/kopdes-login.png."""
    path = Path(tempfile.gettempdir()) / f"kopdes-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class Transfer:
    """What a page load cost: one entry per response, with body bytes as sent and decoded."""

    entries: list[tuple[str, int, int, int]]  # url, wire body bytes, header bytes, decoded bytes

    @property
    def wire_bytes(self) -> int:
        return sum(body + headers for _url, body, headers, _decoded in self.entries)

    @property
    def decoded_bytes(self) -> int:
        return sum(decoded for *_rest, decoded in self.entries)

    def describe(self) -> str:
        return ", ".join(f"{url} {decoded} B" for url, _b, _h, decoded in self.entries)


def load_measured(page, path: str) -> Transfer:
    """Open `path`, wait until the network is idle, and measure every response it took."""
    responses = []

    def collect(response) -> None:
        responses.append(response)

    page.on("response", collect)
    try:
        page.goto(path, wait_until="networkidle")
    finally:
        page.remove_listener("response", collect)
    entries = []
    for response in responses:
        sizes = response.request.sizes()
        try:
            decoded = len(response.body())
        except Exception:  # redirects have no body
            decoded = 0
        entries.append((response.url, sizes["responseBodySize"], sizes["responseHeadersSize"], decoded))
    return Transfer(entries)
