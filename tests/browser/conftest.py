"""Browser tests: the real pages in headless Chromium (Debian's /usr/bin/chromium) via Playwright.

- `live_server`: the session `app` (same database as the other fixtures) served by werkzeug in a
  thread on 127.0.0.1 and a free port.
- `browser`: one Chromium per test session; `context` / `page`: a fresh context per test, with every
  request to a host other than 127.0.0.1/localhost aborted (no test needs the internet, and a page
  that asks for a CDN shows up in `page.blocked_requests`).
- `login(page, username, password)`: signs in through the real login form; `open_menu(page)` opens a
  phone-sized page's collapsed menu and waits for it to finish sliding open.
- `screenshot(page, suffix="")`: saves test-artifacts/screenshots/<test>[-suffix].png; a failing test
  gets one automatically (<test>-gagal.png).

The `db` fixture empties the database after each test, so each test builds its own data (builders
or the demo seed) before it opens a page. CSRF is switched on for browser tests, as in production.

Time: each context's pages get the test's clock (`context.clock.install` at the test process's
"now", so an instant stated with `pytest.mark.at` or a run under libfaketime reaches the page's
`Date` too). Chromium cannot run under libfaketime (it aborts on its clock checks), so it and the
Playwright driver that starts it run without it; their own clocks (cookie expiry, caches) stay the
machine's, and the instant reaches the pages through `clock.install` only.
"""
from __future__ import annotations

import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

# Without this, context.set_offline() does not cut off a service worker's own fetches, so an
# offline test would not really be offline. Must be set before Playwright starts.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def _is_faketime(name: str) -> bool:
    return name == "LD_PRELOAD" or name.startswith("FAKETIME")


def _browser_env() -> dict:
    """The environment for Chromium: the test process's, without libfaketime."""
    return {k: v for k, v in os.environ.items() if not _is_faketime(k)}


def give_test_clock(ctx) -> None:
    """The context's pages read the test process's clock (see the module docstring)."""
    ctx.clock.install(time=datetime.now(timezone.utc))


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served over real HTTP, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", port=server.server_port)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: install Debian's chromium (`make test` does it)")
    from playwright.sync_api import sync_playwright

    # The driver inherits this process's environment when it starts: start it without libfaketime.
    saved = {k: os.environ.pop(k) for k in list(os.environ) if _is_faketime(k)}
    try:
        manager = sync_playwright()
        pw = manager.__enter__()
    finally:
        os.environ.update(saved)
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                      env=_browser_env())
        yield chromium
        chromium.close()
    finally:
        manager.__exit__(None, None, None)


def local_context(browser, live_server, viewport: dict):
    """A fresh browser context on the live server at `viewport`, the test's clock, requests leaving localhost
    aborted and remembered (ctx.blocked_requests)."""
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", timezone_id="Asia/Jakarta", viewport=viewport)
    ctx.set_default_timeout(TIMEOUT_MS)
    give_test_clock(ctx)  # the pages' Date agrees with the server's clock
    ctx.blocked_requests = []

    def only_local(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            ctx.blocked_requests.append(route.request.url)
            route.abort("blockedbyclient")

    ctx.route("**/*", only_local)
    return ctx


@pytest.fixture()
def context(browser, live_server, db, csrf_on):
    """A fresh browser context per test; requests leaving localhost are aborted and remembered."""
    ctx = local_context(browser, live_server, {"width": 1280, "height": 860})
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context, request):
    page = context.new_page()
    page.blocked_requests = context.blocked_requests
    yield page
    report = getattr(request.node, "rep_call", None)  # set by pytest-playwright's report hook
    if report is not None and report.failed and not page.is_closed():
        _save(page, request.node.name, "gagal")
    page.close()


def _save(page, test_name: str, suffix: str = "") -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
    path = SCREENSHOTS / f"{name}{'-' + suffix if suffix else ''}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture()
def screenshot(request):
    """screenshot(page, suffix="") saves test-artifacts/screenshots/<test>[-suffix].png and returns the path."""
    def _shot(page, suffix: str = "") -> Path:
        return _save(page, request.node.name, suffix)
    return _shot


@pytest.fixture()
def login():
    """login(page, username, password) signs in through the login form and waits for the next page."""
    def _login(page, username: str, password: str):
        page.goto("/login")
        page.get_by_label("Nama pengguna").fill(username)
        page.get_by_label("Kata sandi").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Masuk").click()
        return page
    return _login


def open_menu(page) -> None:
    """Open the collapsed menu of a phone-sized page and wait until Bootstrap's collapse has finished: a
    click on a link still sliding in (a busy machine draws the transition slowly) can miss it."""
    page.get_by_role("button", name="Menu").click()
    page.locator("#mainnav.show").wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('#mainnav.collapsing')")
