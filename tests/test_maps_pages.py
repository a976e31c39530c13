"""Map pages (/peta, /peta/kecamatan/<kode>): Folium shell with every asset served by the app, the map
configuration for maps.js, scope and redirects."""
from __future__ import annotations

import json
import re

import pytest

from outreach.maps.builders import Overlay, build_shell
from tests.test_maps_api import add_map_geometry

ASSET_RE = re.compile(r"""<(script|link)\b[^>]*?\b(src|href)\s*=\s*["']([^"']+)["']""", re.I)


def external_assets(html: str, allowed: str = "") -> list[str]:
    """Script and stylesheet URLs that leave the app (http:// or https://, or protocol-relative)."""
    out = []
    for tag, attr, url in ASSET_RE.findall(html):
        if tag.lower() == "link" and "stylesheet" not in html[html.find(url) - 200:html.find(url)].lower() \
                and not url.endswith(".css"):
            continue
        if re.match(r"^(https?:)?//", url, re.I) and url != allowed:
            out.append(url)
    return out


def map_config(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>', html, re.S)
    assert m, "map-config missing"
    return json.loads(m.group(1))


@pytest.fixture()
def geo(world):
    add_map_geometry(world)
    return world


def test_manager_map_page_is_a_folium_shell_with_local_assets(app, client, login_as, geo):
    login_as("manager")
    resp = client.get("/peta")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert external_assets(html) == []
    assert "/vendor/leaflet/leaflet.js" in html and "/vendor/leaflet/leaflet.css" in html
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "awesome-markers", "font-awesome"):
        assert cdn not in html
    cfg = map_config(html)
    assert f'var {cfg["map"]} = L.map(' in html  # Folium made the map
    assert json.dumps(app.config["MAP_TILE_URL"]) in html and cfg["tiles"]
    assert set(cfg["groups"]) == {"regions", "sites", "sessions"}
    assert "L.control.layers(" in html and "fitBounds" in html
    assert cfg["endpoints"] == {"regions": "/api/v1/map/regions", "sites": "/api/v1/map/sites",
                                "sessions": "/api/v1/map/sessions"}
    assert cfg["lockDesa"] is False and cfg["area"] is None and cfg["metric"] == "percent_recorded"
    assert cfg["links"]["region"] == "/wilayah/__KODE__" and cfg["links"]["site"] == "/lokasi/__ID__"
    assert cfg["links"]["session"] == "/sesi/__ID__"
    assert "newSession" not in cfg["links"] and cfg["canPlan"] is False  # managers read, they do not plan
    assert "Data SIAK per" in html
    # The first view is the manager's kabupaten (its kecamatan boundaries), not the whole province.
    bounds = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.S).group(1)
    (south, west), (north, east) = json.loads(bounds)
    assert 110.3 <= west < 110.36 and 110.64 < east <= 110.7 and south >= -7.1 and north <= -6.9


def test_no_external_asset_even_with_a_custom_tile_server(app, client, login_as, geo):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    try:
        login_as("admin")
        for url in ("/peta", "/peta/kecamatan/33.74.01", "/peta?area=33.74"):
            html = client.get(url).get_data(as_text=True)
            assert external_assets(html, allowed=app.config["MAP_TILE_URL"]) == [], url
            assert "https://tiles.example.org/{z}/{x}/{y}.png" in html
    finally:
        app.config["MAP_TILE_URL"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def test_map_without_tile_url_still_renders(app, client, login_as, geo):
    app.config["MAP_TILE_URL"] = ""
    try:
        login_as("admin")
        resp = client.get("/peta")
        assert resp.status_code == 200 and map_config(resp.get_data(as_text=True))["tiles"] is None
    finally:
        app.config["MAP_TILE_URL"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def test_coordinator_is_sent_to_own_kecamatan_map(client, login_as, geo):
    login_as("coordinator")
    resp = client.get("/peta")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/peta/kecamatan/33.74.01")
    resp = client.get("/peta/kecamatan/33.74.01")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    cfg = map_config(html)
    assert cfg["area"] == "33.74.01" and cfg["lockDesa"] is True and cfg["planning"] is True
    assert cfg["metric"] == "reachable_backlog"
    assert cfg["canPlan"] is True and cfg["links"]["newSession"] == "/sesi/baru?site=__ID__"
    assert "Kecamatan Satu" in html
    assert 'name="area"' not in html  # the area is fixed on this map


def test_kecamatan_map_refuses_other_scope_and_non_kecamatan(client, login_as, geo):
    login_as("coordinator")
    assert client.get("/peta/kecamatan/33.74.02").status_code == 404
    assert client.get("/peta/kecamatan/33.01.01").status_code == 404
    login_as("manager")
    assert client.get("/peta/kecamatan/33.74.02").status_code == 200
    assert client.get("/peta/kecamatan/33.01.01").status_code == 404
    assert client.get("/peta/kecamatan/33.74").status_code == 404
    assert client.get("/peta/kecamatan/33.74.09").status_code == 404


def test_area_filter_and_out_of_scope_area(client, login_as, geo):
    login_as("manager")
    html = client.get("/peta?area=33.74.01").get_data(as_text=True)
    cfg = map_config(html)
    assert cfg["area"] == "33.74.01" and cfg["lockDesa"] is True
    assert '<option selected value="33.74.01">' in html or 'value="33.74.01" selected' in html
    resp = client.get("/peta?area=33.01")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and map_config(html)["area"] is None
    assert "tidak ditemukan dalam wilayah tugas Anda" in html


def test_filters_keep_their_values_and_reject_bad_ones(client, login_as, geo):
    login_as("admin")
    html = client.get("/peta?metric=reachable_backlog&date_from=2026-10-01&date_to=2026-09-01"
                      "&status=done&status=bogus&type=sekolah").get_data(as_text=True)
    cfg = map_config(html)
    assert cfg["metric"] == "reachable_backlog"
    assert "Tanggal akhir tidak boleh sebelum tanggal awal." in html
    assert re.search(r'<input[^>]*checked[^>]*value="done"|<input[^>]*value="done"[^>]*checked', html)
    assert not re.search(r'value="upcoming"[^>]*checked', html)
    assert re.search(r'<option selected value="sekolah">|value="sekolah" selected', html)


def test_field_users_have_no_map_page(client, login_as, geo):
    login_as("field")
    assert client.get("/peta").status_code == 403


def test_build_shell_uses_only_given_assets():
    shell = build_shell(js=[("leaflet", "/v/leaflet.js")], css=[("leaflet_css", "/v/leaflet.css")],
                        center=[-7, 110], zoom=8, bounds=[[-8, 109], [-6, 111]],
                        tile_url="https://t.example/{z}/{x}/{y}.png", tile_attribution="&copy; T",
                        tile_title="Dasar", overlays=[Overlay("regions", "Wilayah <b>")])
    assert str(shell.head).count("<script") == 1 and str(shell.head).count("<link") == 1
    assert "user-scalable=no" not in shell.head
    assert shell.map_name in shell.html and shell.groups["regions"] in shell.script
    assert '"preferCanvas": true' in shell.script
    assert '"Wilayah \\u003cb\\u003e"' in shell.script or '"Wilayah <b>"' not in shell.script
