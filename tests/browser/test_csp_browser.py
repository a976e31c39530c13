"""The app's pages in headless Chromium under its Content Security Policy (script nonces, no inline
handlers): the coverage and kecamatan maps draw their data, the field schedule and log form work and a
log made offline through the service worker is sent once back online, the planner shows its map, the
calendar and a session page load, and a confirmation question keeps or sends its form. No page reports
a CSP violation ('securitypolicyviolation' events and console errors are collected on every page)."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from outreach.extensions import db
from tests import builders as b
from tests.browser.test_field_offline import NOW as FIELD_NOW
from tests.browser.test_field_offline import _figures, _open_schedule_and_wait_for_offline_copy
from tests.browser.test_field_offline import school_day  # noqa: F401  (fixture)
from tests.browser.test_maps_browser import COUNT_JS, map_world, open_map
from tests.conftest import WIB

pytestmark = [pytest.mark.clock_free, pytest.mark.browser]
HOSTILE = 'Hari jadi "Kota" <b>Uji</b> & \'lain\''

# Runs before any script of each page and is not itself subject to the page's CSP.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
                     source: e.sourceFile, line: e.lineNumber});
});
"""


@pytest.fixture()
def csp(context, page):
    """Collects CSP violations of every page of the test; `csp.check(page)` asserts none so far."""
    console = []
    page.on("console", lambda msg: console.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    context.add_init_script(WATCH_CSP)

    class Watch:
        pages = 0

        def check(self, pg=page, where=""):
            violations = pg.evaluate("window.__csp || null")
            assert violations is not None, f"{where}: the violation listener did not run"
            assert violations == [], f"{where} ({pg.url}): {violations}"
            assert console == [], f"{where} ({pg.url}): {console}"
            self.pages += 1

    return Watch()


def _policy_of(response) -> str:
    policy = response.headers.get("content-security-policy", "")
    assert "'nonce-" in policy and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    return policy


def test_the_watch_sees_a_blocked_inline_script(page, world, login, csp):
    """The harness is live: an injected inline script without the nonce is blocked and reported."""
    login(page, world.users["manager"].username, b.PASSWORD)
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp[0].directive").startswith("script-src")


def test_coverage_and_kecamatan_maps_draw_under_the_csp(page, world, login, screenshot, csp):
    w = map_world(world)
    login(page, w.users["manager"].username, b.PASSWORD)
    response = page.goto("/peta")
    _policy_of(response)
    page.wait_for_function("() => window.__mapReady && window.__mapState && window.__mapState.pending === 0 && "
                           "window.__mapState.loads >= 4")
    assert page.evaluate(COUNT_JS, "regions") == 3
    assert page.evaluate(COUNT_JS, "sites") == 3 and page.evaluate(COUNT_JS, "sessions") == 4
    assert page.locator(".leaflet-control-layers").count() == 1  # Folium's inline script made the layer control
    assert page.locator("canvas").count() >= 1
    csp.check(where="peta manajer")
    screenshot(page, "peta")

    page.get_by_role("button", name="Keluar", exact=True).click()
    login(page, w.users["coordinator"].username, b.PASSWORD)
    open_map(page, f"/peta/kecamatan/{w.kec1.kode}")
    assert page.evaluate(COUNT_JS, "regions") >= 2 and page.evaluate(COUNT_JS, "sites") >= 2
    csp.check(where="peta kecamatan")
    screenshot(page, "peta-kecamatan")


@pytest.mark.at(FIELD_NOW)
def test_field_pages_and_an_offline_log_work_under_the_csp(page, context, world, login, screenshot, csp,
                                                           school_day):  # noqa: F811
    sid, desa, site_id = school_day.id, world.desa1.kode, school_day.site_id
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, world.users["field"].username, b.PASSWORD)
    _open_schedule_and_wait_for_offline_copy(page)
    csp.check(where="jadwal")
    with page.expect_navigation() as nav:
        page.get_by_test_id(f"log-{sid}").click()
    _policy_of(nav.value)
    page.get_by_role("button", name="Simpan log").wait_for()
    csp.check(where="formulir log (daring)")
    page.go_back()
    page.get_by_test_id("offline-ready").wait_for(state="visible")

    context.set_offline(True)
    with page.expect_navigation() as nav:
        page.get_by_test_id(f"log-{sid}").click()
    assert nav.value.from_service_worker
    assert page.locator("#fb-offline").is_visible()  # field.js ran on the cached page
    csp.check(where="formulir log dari cache service worker")
    page.locator('[name="recorded.pemilih_pemula"]').fill("6")
    page.locator('[name="recorded.umum"]').fill("1")
    page.locator('[name="recorded_by_sex.L"]').fill("3")
    page.locator('[name="recorded_by_sex.P"]').fill("4")
    page.get_by_role("button", name="Simpan log").click()
    expect(page.get_by_test_id("log-state")).to_have_text("(belum terkirim)")
    screenshot(page, "log-offline")
    csp.check(where="log tersimpan di ponsel")
    with page.expect_navigation() as nav:
        page.get_by_test_id("log-status").get_by_role("link").click()
    assert nav.value.from_service_worker
    state = page.locator(f'[data-state-for="{sid}"]')
    assert state.inner_text() == "belum terkirim"

    context.set_offline(False)
    expect(state).to_have_text("terkirim", timeout=10_000)
    assert _figures(sid, desa, site_id)["logs"] == 1
    csp.check(where="jadwal setelah terkirim")
    screenshot(page, "jadwal-terkirim")


@pytest.mark.at(datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
def test_planner_proposal_and_its_map_under_the_csp(page, world, login, screenshot, csp):
    b.make_kit(world.team, "KIT-B")
    b.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()
    login(page, world.users["coordinator"].username, b.PASSWORD)
    page.goto("/usulan-jadwal")
    csp.check(where="formulir usulan")
    page.get_by_label("Tanggal mulai").fill("2026-11-23")
    page.get_by_label("Tanggal akhir").fill("2026-11-27")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Usulkan jadwal").click()
    assert "/usulan-jadwal/" in page.url
    _policy_of(nav.value)
    assert page.get_by_test_id("items").locator("tbody tr").count() >= 1
    # The proposal's inline map script ran: Leaflet made the map and drew its markers on a canvas.
    page.wait_for_selector("#plan-map.leaflet-container canvas")
    csp.check(where="usulan")
    screenshot(page, "usulan")


@pytest.mark.at(datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
def test_calendar_session_page_and_a_confirmation_under_the_csp(page, world, login, screenshot, csp):
    from outreach.models import CalendarEntry

    session = b.make_session(world.site1, world.team, [world.kit], day=datetime(2026, 11, 12).date())
    db.session.commit()
    login(page, world.users["coordinator"].username, b.PASSWORD)
    page.goto("/kalender?month=2026-11")
    # the desktop grid shows the session once (the phone agenda, which also lists it, is hidden)
    assert page.locator(f'a[data-session-id="{session.id}"]:visible').count() == 1
    csp.check(where="kalender")
    screenshot(page, "kalender")
    page.goto(f"/sesi/{session.id}")
    page.wait_for_selector("#site-map path.leaflet-interactive")
    csp.check(where="halaman sesi")

    entry = CalendarEntry(kind="libur_daerah", first_date=datetime(2026, 12, 24).date(),
                          last_date=datetime(2026, 12, 24).date(), name=HOSTILE, region_kode=world.kab.kode)
    db.session.add(entry)
    db.session.commit()
    entry_id = entry.id
    page.get_by_role("button", name="Keluar", exact=True).click()
    login(page, world.users["admin"].username, b.PASSWORD)
    page.goto("/admin/kalender")
    csp.check(where="kalender admin")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Hapus").click()
    page.wait_for_timeout(300)
    assert questions == [f'Hapus "{HOSTILE}" dari kalender?']  # the name is text, quotes and all
    db.session.expire_all()
    assert db.session.get(CalendarEntry, entry_id) is not None  # "Batal": nothing was sent
    assert page.url.endswith("/admin/kalender")

    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.get_by_role("button", name="Hapus").click()
    assert len(questions) == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarEntry)) == 0
    csp.check(where="setelah hapus")
    screenshot(page, "hapus-dikonfirmasi")
