"""A first visit in Chromium downloads each page and file once — the service worker's fetches included —
and asks for nothing that is missing (the favicon is there). Counted on the server: the live server's
request log. (That a sign-out does not make a browser download Bootstrap again is checked on the
answers themselves in tests/test_field_first_visit.py: no "Vary: Cookie", 304 on revalidation.)"""
from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from outreach.extensions import db as _db
from tests import builders as b
from tests.browser.conftest import give_test_clock
from tests.conftest import WIB

NOW = datetime(2026, 12, 9, 13, 0, tzinfo=WIB)
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]
LOG_LINE = re.compile(r'"(?:\x1b\[[\d;]*m)?(GET|POST) (\S+) HTTP/[\d.]+(?:\x1b\[[\d;]*m)?" (\d{3})')


@pytest.fixture()
def cached_page(browser, live_server, db, csrf_on):
    """A page whose browser keeps its HTTP cache: Playwright turns the cache off in a context with routes
    (the `page` fixture's context routes every request to keep tests off the internet)."""
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", timezone_id="Asia/Jakarta",
                              viewport={"width": 1366, "height": 860})
    give_test_clock(ctx)
    yield ctx.new_page()
    ctx.close()


def _hits(caplog) -> Counter:
    """(method, path without query, status) -> how many times the server answered it."""
    seen = Counter()
    for record in caplog.records:
        m = LOG_LINE.search(record.getMessage())
        if m:
            seen[(m.group(1), m.group(2).split("?")[0], m.group(3))] += 1
    return seen


def _count(hits: Counter, path: str, method: str = "GET") -> int:
    return sum(n for (m, p, _), n in hits.items() if p == path and m == method)


def test_a_first_visit_downloads_each_page_and_file_once(cached_page, login, world, caplog):
    page = cached_page
    caplog.set_level(logging.INFO, logger="werkzeug")
    for days in (-1, 0, 1):
        b.make_session(world.site1, world.team, [world.kit], day=NOW.date() + timedelta(days=days),
                       start="08:00" if days else "14:00", end="12:00" if days else "16:00")
    _db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, world.users["field"].username, b.PASSWORD)
    page.get_by_test_id("offline-ready").wait_for(state="visible")
    page.wait_for_timeout(500)  # what the worker still has in flight
    hits = _hits(caplog)
    assert page.evaluate("() => location.pathname") == "/"  # the page took its own address back

    assert [k for k in hits if k[2] == "404"] == []
    assert _count(hits, "/login") == 1 and _count(hits, "/login", "POST") == 1
    # The home page is the login POST's own answer (no redirect, no GET of "/"); the worker keeps it from
    # the page's own HTML under the address the page took ("/").
    assert _count(hits, "/") == 0
    assert _count(hits, "/jadwal-saya") == 0
    assert _count(hits, "/static/css/field.css") == 1 and _count(hits, "/static/js/field.js") == 1
    assert _count(hits, "/sw.js") == 1
    forms = {p for (m, p, s) in hits if p.startswith("/jadwal-saya/sesi/")}
    assert len(forms) == 3 and all(_count(hits, f) == 1 for f in forms)  # yesterday's, today's, tomorrow's
    assert not any("bootstrap" in p for (_, p, _) in hits)
