"""Coverage maps in headless Chromium with the outside network blocked (tiles fail): polygons, points and
legend still show; popups open and link to the right pages; names are text; "jadwalkan di sini" works."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from outreach.extensions import db
from tests import builders as b
from tests.test_maps_api import add_map_geometry

pytestmark = pytest.mark.browser

EVIL = '<script>window.__pwned = 1</script><b>Balai</b> & "Aula"'
READY = "() => window.__mapReady && window.__mapState && window.__mapState.pending === 0 && " \
        "window.__mapState.loads >= 4"

# Features Leaflet holds in a data layer (a cluster is a group of a circle and its label: not counted).
COUNT_JS = """(name) => {
  let n = 0;
  window.__jbMap.state.layers[name].eachLayer(l => { if (!(l instanceof L.FeatureGroup)) { n += 1; } });
  return n;
}"""


def map_world(world):
    """World with boundaries, a school, a site with a hostile name and sessions of every status."""
    from outreach.clock import local_today

    add_map_geometry(world)
    today = local_today()
    world.site1.nama = EVIL
    school = b.make_site(world.desa2.kode, "SMA Negeri Uji", type="sekolah", lat=-7.0, lng=110.425)
    last = b.make_session(world.site1, world.team, [world.kit], day=today - timedelta(days=6), status="selesai")
    nxt = b.make_session(world.site1, world.team, [world.kit], day=today + timedelta(days=4))
    b.make_session(school, world.team, [world.kit], day=today - timedelta(days=2), status="terkonfirmasi")
    b.make_session(world.site2, world.team, [world.kit], day=today + timedelta(days=6), status="dibatalkan")
    db.session.commit()
    world.school, world.last, world.next = school, last, nxt
    return world


def open_map(page, url: str):
    page.goto(url)
    page.wait_for_function(READY)
    page.wait_for_timeout(150)  # one more frame for the canvas


def screen_point(page, lat: float, lng: float) -> tuple[float, float]:
    return tuple(page.evaluate("""([lat, lng]) => {
      const m = window.__jbMap.map, p = m.latLngToContainerPoint([lat, lng]);
      const r = m.getContainer().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    }""", [lat, lng]))


def test_manager_map_draws_everything_without_tiles(page, world, login, screenshot):
    w = map_world(world)
    login(page, w.users["manager"].username, b.PASSWORD)
    open_map(page, "/peta")
    state = page.evaluate("window.__mapState.counts")
    # The manager's kabupaten fits at a zoom where desa polygons are drawn.
    assert state["level"] == "desa" and state["regions"] == 3
    assert page.evaluate(COUNT_JS, "regions") == 3
    assert page.evaluate(COUNT_JS, "sites") == 3 and state["sites"] == 3  # site1, site2, school
    assert page.evaluate(COUNT_JS, "sessions") == 4 and state["sessions"] == 4
    legend = page.get_by_test_id("map-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    assert "Persen terekam" in text and "Tanpa data" in text and "Data per" in text and "Sekolah" in text
    assert "Terlambat" in text
    # Tiles were asked of the outside world, blocked, and the map says so.
    assert page.blocked_requests and all("tile.openstreetmap.org" in u for u in page.blocked_requests)
    page.wait_for_function("() => document.getElementById('map-note').textContent.includes('Peta dasar tidak dapat')")
    screenshot(page, "peta-manajer")

    # A region's popup: click inside desa 2 away from any point.
    x, y = screen_point(page, -6.988, 110.437)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content .jb-popup")
    popup.wait_for()
    assert popup.get_attribute("data-kode") == "33.74.01.2002"
    assert "Persen terekam" in popup.inner_text() and "90,0%" in popup.inner_text()
    assert popup.get_by_role("link", name="Buka halaman wilayah").get_attribute("href") == "/wilayah/33.74.01.2002"
    page.keyboard.press("Escape")

    # Switch the colouring to the reachable backlog: the legend follows without a reload.
    page.get_by_label("Sisa terjangkau").check()
    page.wait_for_function("() => document.querySelector('[data-testid=map-legend] h2').textContent === 'Sisa terjangkau'")
    assert "metric=reachable_backlog" in page.url
    screenshot(page, "peta-manajer-sisa")


def test_site_popup_shows_names_as_text_and_links(page, world, login, screenshot):
    w = map_world(world)
    login(page, w.users["manager"].username, b.PASSWORD)
    open_map(page, "/peta")
    x, y = screen_point(page, w.site1.lat, w.site1.lng)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content .jb-popup[data-site-id]")
    popup.wait_for()
    title = popup.locator(".jb-popup-title")
    assert title.inner_text() == EVIL  # shown as text, markup and all
    assert title.locator("b, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert popup.get_attribute("data-site-id") == str(w.site1.id)
    assert popup.get_by_role("link", name="Buka lokasi").get_attribute("href") == f"/lokasi/{w.site1.id}"
    last_link = popup.locator(f'a[href="/sesi/{w.last.id}"]')
    next_link = popup.locator(f'a[href="/sesi/{w.next.id}"]')
    assert "Selesai" in last_link.inner_text() and "Rencana" in next_link.inner_text()
    assert popup.get_by_test_id("schedule-here").count() == 0  # managers do not plan
    screenshot(page, "popup-lokasi")
    with page.expect_navigation():
        popup.get_by_role("link", name="Buka lokasi").click()
    assert urlsplit(page.url).path == f"/lokasi/{w.site1.id}"


def test_session_popup_links_to_the_session(page, world, login):
    w = map_world(world)
    login(page, w.users["admin"].username, b.PASSWORD)
    open_map(page, "/peta?area=33.74.01")
    # The school's session ring (overdue) is wider than the school's dot: click its edge.
    x, y = screen_point(page, w.school.lat, w.school.lng)
    page.mouse.click(x + 8, y)
    popup = page.locator(".leaflet-popup-content .jb-popup[data-session-id]")
    popup.wait_for()
    assert "Terlambat" in popup.inner_text() and "SMA Negeri Uji" in popup.inner_text()
    href = popup.get_by_role("link", name="Buka sesi").get_attribute("href")
    assert href.startswith("/sesi/")
    with page.expect_navigation():
        popup.get_by_role("link", name="Buka sesi").click()
    assert urlsplit(page.url).path == href


def test_coordinator_map_schedules_here(page, world, login, screenshot):
    w = map_world(world)
    login(page, w.users["coordinator"].username, b.PASSWORD)
    page.goto("/peta")
    assert urlsplit(page.url).path == "/peta/kecamatan/33.74.01"
    page.wait_for_function(READY)
    page.wait_for_timeout(150)
    counts = page.evaluate("window.__mapState.counts")
    assert counts["level"] == "desa" and counts["regions"] == 2  # only the coordinator's own desa
    assert counts["sites"] == 2  # site1 and the school; never site2 of the other kecamatan
    assert page.get_by_test_id("map-legend").locator("h2").inner_text() == "Sisa terjangkau"
    x, y = screen_point(page, w.site1.lat, w.site1.lng)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content .jb-popup[data-site-id]")
    popup.wait_for()
    schedule = popup.get_by_test_id("schedule-here")
    assert schedule.inner_text() == "Jadwalkan di sini"
    assert schedule.get_attribute("href") == f"/sesi/baru?site={w.site1.id}"
    screenshot(page, "peta-koordinator")
    with page.expect_navigation():
        schedule.click()
    assert urlsplit(page.url).path == "/sesi/baru" and f"site={w.site1.id}" in page.url
    assert page.locator("form").count() >= 1
    screenshot(page, "jadwalkan")


def test_filters_refetch_sessions(page, world, login):
    w = map_world(world)
    login(page, w.users["admin"].username, b.PASSWORD)
    open_map(page, "/peta?area=33.74")
    assert page.evaluate("window.__mapState.counts.sessions") == 4
    loads = page.evaluate("window.__mapState.loads")
    page.get_by_label("Dibatalkan").uncheck()
    page.wait_for_function(f"() => window.__mapState.loads > {loads} && window.__mapState.pending === 0")
    assert page.evaluate("window.__mapState.counts.sessions") == 3
    page.get_by_label("Jenis lokasi").select_option("sekolah")
    page.wait_for_function("() => window.__mapState.counts.sites === 1 && window.__mapState.pending === 0")
    assert page.evaluate("window.__mapState.counts.sessions") == 1
    assert "type=sekolah" in page.url


def test_zoomed_out_the_map_colours_kabupaten_under_province_outlines(page, world, login, screenshot):
    """A country or an island is drawn by kabupaten/kota with the provinces outlined (thousands of kecamatan
    outlines would black it out), without the clusters of sites and sessions over it; zooming in brings the
    kecamatan and the points back."""
    w = map_world(world)
    login(page, w.users["admin"].username, b.PASSWORD)
    open_map(page, "/peta")
    loads = page.evaluate("window.__mapState.loads")
    page.evaluate("window.__jbMap.map.setZoom(5)")
    page.wait_for_function("(n) => window.__mapState.loads > n && window.__mapState.pending === 0 && "
                           "window.__mapState.counts.level === 'kabupaten'", arg=loads)
    kodes = page.evaluate("""() => {
      const out = [];
      window.__jbMap.state.layers.regions.eachLayer(l => out.push(l.feature.properties.kode));
      return out.sort();
    }""")
    assert kodes and all(k.count(".") == 1 for k in kodes) and "33.74" in kodes
    assert page.evaluate("window.__mapState.counts.sites") == 0 and page.evaluate(COUNT_JS, "sites") == 0
    assert "Perbesar peta untuk melihat lokasi dan sesi" in page.get_by_test_id("map-legend").inner_text()
    screenshot(page, "peta-kabupaten-zoom-5")
    loads = page.evaluate("window.__mapState.loads")
    page.evaluate("window.__jbMap.map.setZoom(9)")
    page.wait_for_function("(n) => window.__mapState.loads > n && window.__mapState.pending === 0 && "
                           "window.__mapState.counts.level === 'kecamatan' && window.__mapState.counts.sites > 0",
                           arg=loads)
    assert page.get_by_test_id("points-hidden").count() == 0
