"""Map data endpoints (/api/v1/map/regions|sites|sessions): bbox filtering, figures, scope, clustering,
escaping, empty views, bad input in Indonesian, ETag/304 and compression."""
from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach.clock import local_today, utcnow
from outreach.extensions import db
from outreach.maps import clustering, queries
from outreach.models import Site
from tests import builders as b

WORLD_BBOX = "108.0,-8.5,112.0,-5.5"
KEC1_BBOX = "110.31,-7.06,110.49,-6.94"  # only kecamatan 33.74.01 (and its desa)


def square(lng: float, lat: float, half: float) -> str:
    """A square GeoJSON polygon around (lng, lat)."""
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half], [lng - half, lat + half],
            [lng - half, lat - half]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def give_boundary(region, lng: float, lat: float, half: float) -> None:
    region.boundary, region.has_boundary, region.lat, region.lng = square(lng, lat, half), True, lat, lng


def move(site: Site, lng: float, lat: float) -> None:
    site.lng, site.lat = lng, lat


def add_map_geometry(world) -> SimpleNamespace:
    """Boundaries for the world fixture: kecamatan 1 around 110.40, kecamatan 2 around 110.60, another
    kabupaten's kecamatan around 109.0; each desa inside its kecamatan; sites inside their desa."""
    give_boundary(world.kab, 110.5, -7.0, 0.25)
    give_boundary(world.kec1, 110.40, -7.0, 0.05)
    give_boundary(world.kec2, 110.60, -7.0, 0.05)
    give_boundary(world.desa1, 110.375, -7.0, 0.02)
    give_boundary(world.desa2, 110.425, -7.0, 0.02)
    give_boundary(world.desa3, 110.60, -7.0, 0.02)
    from outreach.models import Region
    other_kec = db.session.get(Region, "33.01.01")
    give_boundary(other_kec, 109.0, -7.4, 0.05)
    give_boundary(world.other_desa, 109.0, -7.4, 0.02)
    move(world.site1, 110.375, -7.0)
    move(world.site2, 110.60, -7.0)
    move(world.other_site, 109.0, -7.4)
    db.session.commit()
    # Boundaries written straight to the database: their map shapes are built as build-map-shapes does.
    build_shapes()
    return SimpleNamespace(other_kec=other_kec)


def build_shapes() -> None:
    from outreach.maps import shapes

    for level in queries.MAP_LEVELS:
        shapes.rebuild(level)
    # The map keeps sites and figures in per-process caches keyed by cheap fingerprints;
    # rows written straight to the database by a test bypass what those fingerprints watch.
    queries.clear_caches()


def new_siak_count(desa, wajib: int, sudah: int, as_of: date = date(2026, 10, 1)) -> None:
    """A newer official count for a desa, written as the targets import writes it."""
    from outreach.models import TargetCount

    db.session.add(TargetCount(desa_kode=desa.kode, wajib_ktp=wajib, sudah_rekam=sudah, as_of=as_of, source="uji"))
    desa.wajib_ktp, desa.sudah_rekam, desa.target_as_of = wajib, sudah, as_of
    db.session.commit()


@pytest.fixture()
def geo(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_RECHECK_SECONDS", 0)
    add_map_geometry(world)
    return world


def get(client, path: str, **params):
    return client.get(path, query_string=params)


def features(resp) -> list[dict]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["type"] == "FeatureCollection"
    return body["features"]


def kodes(resp) -> set[str]:
    return {f["properties"]["kode"] for f in features(resp)}


# ---------------------------------------------------------------- regions

def test_regions_only_those_meeting_the_bbox(client, login_as, geo):
    login_as("admin")
    everything = kodes(get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9))
    assert everything == {"33.74.01", "33.74.02", "33.01.01"}
    assert kodes(get(client, "/api/v1/map/regions", level="kecamatan", bbox=KEC1_BBOX, zoom=12)) == {"33.74.01"}
    desa = kodes(get(client, "/api/v1/map/regions", level="desa", bbox="110.35,-7.01,110.39,-6.99", zoom=14))
    assert desa == {"33.74.01.1001"}


def test_region_features_carry_figures_classes_and_scales(client, login_as, geo):
    b.make_known_away(geo.desa1.kode, "luar_negeri", 30)
    db.session.commit()
    login_as("admin")
    resp = get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9)
    body = resp.get_json()
    kec1 = next(f for f in body["features"] if f["properties"]["kode"] == "33.74.01")
    p = kec1["properties"]
    assert kec1["geometry"]["type"] == "Polygon"
    assert p["nama"] == "Kecamatan Satu" and p["level"] == "kecamatan"
    assert (p["wajib_ktp"], p["sudah_rekam"], p["backlog"]) == (1500, 1350, 150)
    assert (p["known_away"], p["reachable_backlog"], p["percent_recorded"]) == (30, 120, 90.0)
    assert p["as_of"] == "2026-09-15"
    scales = body["meta"]["scales"]
    assert scales["percent_recorded"]["breaks"] == [95.0, 97.0, 98.0, 99.0]
    assert p["pc"] == 0  # 90% is below the first break
    # Reachable backlog of the three kecamatan: 120, 10 and 200 -> quantile breaks 120 and 200.
    assert scales["reachable_backlog"]["breaks"] == [120.0, 200.0]
    assert p["rb"] == 1
    assert len(scales["reachable_backlog"]["colors"]) == len(scales["reachable_backlog"]["breaks"]) + 1
    assert body["meta"]["data_as_of"] == "2026-09-15"
    kec2 = next(f for f in body["features"] if f["properties"]["kode"] == "33.74.02")["properties"]
    assert kec2["percent_recorded"] == 98.75 and kec2["pc"] == 3  # 98 <= 98.75 < 99


def test_region_without_boundary_is_sent_as_its_centroid(client, login_as, geo):
    b.make_region("33.74.03", "Kecamatan Tiga", lat=-7.1, lng=110.5)
    db.session.commit()
    login_as("admin")
    feats = features(get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9))
    tiga = next(f for f in feats if f["properties"]["kode"] == "33.74.03")
    assert tiga["geometry"] == {"type": "Point", "coordinates": [110.5, -7.1]}
    assert tiga["properties"]["boundary"] is False
    assert tiga["properties"]["wajib_ktp"] is None and tiga["properties"]["pc"] is None


def test_polygons_are_simplified_for_low_zoom_and_cached(client, login_as, geo):
    detailed = [[110.35 + i * 0.0001, -7.02 + (0.00002 if i % 2 else 0)] for i in range(500)]
    ring = detailed + [[110.40, -6.98], [110.35, -6.98], detailed[0]]
    geo.desa1.boundary = json.dumps({"type": "Polygon", "coordinates": [ring]})
    db.session.commit()
    build_shapes()
    login_as("admin")
    low = get(client, "/api/v1/map/regions", level="desa", bbox=KEC1_BBOX, zoom=8).get_json()
    high = get(client, "/api/v1/map/regions", level="desa", bbox=KEC1_BBOX, zoom=15).get_json()

    def vertices(body):
        f = next(f for f in body["features"] if f["properties"]["kode"] == geo.desa1.kode)
        return len(f["geometry"]["coordinates"][0])
    assert vertices(high) == len(ring)
    assert vertices(low) < 10
    from outreach.models import RegionShape
    stored = db.session.get(RegionShape, (geo.desa1.kode, 8))
    assert len(json.loads(stored.geometry)["coordinates"][0]) == vertices(low)  # computed once, read back


def test_regions_of_an_area(client, login_as, geo):
    login_as("admin")
    assert kodes(get(client, "/api/v1/map/regions", level="desa", bbox=WORLD_BBOX, zoom=9, area="33.74.01")) == \
        {"33.74.01.1001", "33.74.01.2002"}


# ---------------------------------------------------------------- scope

def test_coordinator_never_receives_another_kecamatan(client, login_as, geo):
    site_kec2 = geo.site2
    b.make_session(site_kec2, geo.team, [geo.kit])
    b.make_session(geo.site1, geo.team, [geo.kit], day=local_today() + timedelta(days=8))
    db.session.commit()
    login_as("coordinator")
    for level in ("kabupaten", "kecamatan", "desa"):
        got = kodes(get(client, "/api/v1/map/regions", level=level, bbox=WORLD_BBOX, zoom=9))
        assert all(k == "33.74.01" or k.startswith("33.74.01.") for k in got), (level, got)
    assert kodes(get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9)) == {"33.74.01"}
    sites = features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=9))
    assert {f["properties"]["id"] for f in sites} == {geo.site1.id}
    sessions = features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9))
    assert {f["properties"]["site_id"] for f in sessions} == {geo.site1.id}
    # Asking for the other kecamatan by name is answered as if it did not exist.
    for path in ("/api/v1/map/regions", "/api/v1/map/sites", "/api/v1/map/sessions"):
        resp = get(client, path, bbox=WORLD_BBOX, zoom=9, area="33.74.02")
        assert resp.status_code == 404 and "tidak ditemukan" in resp.get_json()["message"]


def test_manager_sees_own_kabupaten_only(client, login_as, geo):
    login_as("manager")
    assert kodes(get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9)) == \
        {"33.74.01", "33.74.02"}
    sites = {f["properties"]["id"] for f in features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=9))}
    assert sites == {geo.site1.id, geo.site2.id}


def test_field_user_sees_only_own_team_sessions(client, login_as, geo):
    other_team = b.make_team("33.74", "Tim Lain")
    mine = b.make_session(geo.site1, geo.team, [geo.kit])
    b.make_session(geo.site2, other_team, [], day=local_today() + timedelta(days=9))
    db.session.commit()
    login_as("field")
    got = features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9))
    assert [f["properties"]["id"] for f in got] == [mine.id]


def test_user_without_scope_gets_nothing(client, geo):
    b.make_user("manager", "manajer_tanpa_wilayah")
    db.session.commit()
    client.post("/login", data={"username": "manajer_tanpa_wilayah", "password": b.PASSWORD})
    assert features(get(client, "/api/v1/map/regions", level="kecamatan", bbox=WORLD_BBOX, zoom=9)) == []
    assert features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=9)) == []


def test_anonymous_gets_401(client, geo):
    assert get(client, "/api/v1/map/regions", bbox=WORLD_BBOX).status_code == 401


# ---------------------------------------------------------------- empty views and bad input

def test_empty_view_is_an_empty_collection(client, login_as, geo):
    login_as("admin")
    ocean = "100.0,-10.0,100.5,-9.5"
    for path in ("/api/v1/map/regions", "/api/v1/map/sites", "/api/v1/map/sessions"):
        resp = get(client, path, bbox=ocean, zoom=10)
        assert resp.status_code == 200
        assert resp.get_json()["features"] == []


@pytest.mark.parametrize("params,needle", [
    ({}, "bbox wajib diisi"),
    ({"bbox": "110,-7,111"}, "empat angka"),
    ({"bbox": "barat,-7,111,-6"}, "harus berisi angka"),
    ({"bbox": "111,-7,110,-6"}, "west (111) harus lebih kecil dari east (110)"),
    ({"bbox": "110,-6,111,-7"}, "south (-6) harus lebih kecil dari north (-7)"),
    ({"bbox": "110,-95,111,-6"}, "Lintang"),
    ({"bbox": "190,-7,200,-6"}, "Bujur"),
    ({"bbox": "nan,-7,111,-6"}, "terhingga"),
    ({"bbox": "110,-7,111,-6", "zoom": "dekat"}, "zoom harus angka"),
    ({"bbox": "110,-7,111,-6", "zoom": "40"}, "zoom harus angka antara 0 dan 22"),
    ({"bbox": "110,-7,111,-6", "area": "33-74"}, "kode wilayah bertitik"),
])
def test_bad_view_is_400_in_indonesian(client, login_as, geo, params, needle):
    login_as("admin")
    for path in ("/api/v1/map/regions", "/api/v1/map/sites", "/api/v1/map/sessions"):
        resp = get(client, path, **params)
        assert resp.status_code == 400, (path, params)
        body = resp.get_json()
        assert body["error"] == 400 and needle in body["message"], body["message"]


def test_bad_level_status_and_dates(client, login_as, geo):
    login_as("admin")
    resp = get(client, "/api/v1/map/regions", level="rt", bbox=WORLD_BBOX)
    assert resp.status_code == 400 and "level" in resp.get_json()["message"]
    resp = get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, status="upcoming,kemarin")
    assert resp.status_code == 400 and "kemarin" in resp.get_json()["message"]
    resp = get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, **{"from": "2026-10-10", "to": "2026-10-01"})
    assert resp.status_code == 400 and "tidak boleh sebelum" in resp.get_json()["message"]
    resp = get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, **{"from": "10/10/2026"})
    assert resp.status_code == 400 and "TTTT-BB-HH" in resp.get_json()["message"]
    resp = get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, type="gua")
    assert resp.status_code == 400


def test_unknown_area_is_404(client, login_as, geo):
    login_as("admin")
    resp = get(client, "/api/v1/map/regions", bbox=WORLD_BBOX, area="33.99")
    assert resp.status_code == 404 and resp.get_json()["message"] == "Wilayah 33.99 tidak ditemukan."


# ---------------------------------------------------------------- escaping

def test_names_are_data_not_markup(client, login_as, geo):
    evil = '<script>alert("x")</script> & <b>'
    geo.site1.nama = evil
    geo.desa1.nama = "<img src=x onerror=alert(1)>"
    b.make_session(geo.site1, geo.team, [geo.kit])
    db.session.commit()
    login_as("admin")
    sites = features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=9))
    site = next(f for f in sites if f["properties"]["id"] == geo.site1.id)["properties"]
    assert site["nama"] == evil and site["desa_nama"] == "<img src=x onerror=alert(1)>"
    sessions = features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9))
    assert sessions[0]["properties"]["site_nama"] == evil
    resp = get(client, "/api/v1/map/regions", level="desa", bbox=WORLD_BBOX, zoom=12)
    assert resp.mimetype == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<img src=x onerror=alert(1)>" in {f["properties"]["nama"] for f in features(resp)}
    assert "&lt;" not in resp.get_data(as_text=True)


# ---------------------------------------------------------------- sites: points, clusters, sessions

def test_sites_cluster_when_many_and_counts_add_up(client, login_as, geo, monkeypatch):
    for i in range(12):
        b.make_site(geo.desa2.kode, f"Pos {i}", lat=-7.0 + (i % 3) * 0.001, lng=110.42 + (i // 3) * 0.001)
    db.session.commit()
    monkeypatch.setattr(clustering, "MAX_POINTS", 5)
    login_as("admin")
    body = get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=8).get_json()
    assert body["meta"]["mode"] == "clusters" and body["meta"]["count"] == 15
    counts = [f["properties"].get("count", 1) for f in body["features"]]
    assert sum(counts) == 15
    cluster = next(f for f in body["features"] if f["properties"].get("cluster"))
    assert cluster["properties"]["count"] >= 12 and sum(cluster["properties"]["by"].values()) == \
        cluster["properties"]["count"]
    assert len(cluster["properties"]["bounds"]) == 4
    # Lone sites stay points with their details even in cluster mode.
    lone = [f for f in body["features"] if not f["properties"].get("cluster")]
    assert lone and all("nama" in f["properties"] for f in lone)
    # Zoomed in on a few, they come one by one.
    close = get(client, "/api/v1/map/sites", bbox="110.419,-7.001,110.4205,-6.9985", zoom=17).get_json()
    assert close["meta"]["mode"] == "points" and 1 <= len(close["features"]) <= 5
    assert all(not f["properties"].get("cluster") for f in close["features"])


def test_site_type_filter(client, login_as, geo):
    school = b.make_site(geo.desa1.kode, "SMA Uji", type="sekolah", lat=-7.0, lng=110.38)
    db.session.commit()
    login_as("admin")
    got = features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=9, type="sekolah"))
    assert [f["properties"]["id"] for f in got] == [school.id]


def test_site_points_carry_last_and_next_session(client, login_as, geo):
    from outreach.clock import local_today

    today = local_today()
    b.make_session(geo.site1, geo.team, [geo.kit], day=today - timedelta(days=20), status="selesai")
    last = b.make_session(geo.site1, geo.team, [geo.kit], day=today - timedelta(days=5), status="selesai")
    b.make_session(geo.site1, geo.team, [geo.kit], day=today - timedelta(days=2), status="dibatalkan")
    nxt = b.make_session(geo.site1, geo.team, [geo.kit], day=today + timedelta(days=3), status="terkonfirmasi")
    b.make_session(geo.site1, geo.team, [geo.kit], day=today + timedelta(days=10))
    b.make_session(geo.site1, geo.team, [geo.kit], day=today + timedelta(days=1), status="dibatalkan")
    for i in range(6):  # more sites with sessions: the number of statements must not grow with them
        extra = b.make_site(geo.desa2.kode, f"Pos {i}", lat=-7.0, lng=110.42 + i * 0.001)
        b.make_session(extra, geo.team, [], day=today - timedelta(days=i + 1), status="selesai")
        b.make_session(extra, geo.team, [], day=today + timedelta(days=i + 1))
    db.session.commit()
    login_as("coordinator")
    from sqlalchemy import event
    statements = []
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        sites = features(get(client, "/api/v1/map/sites", bbox=WORLD_BBOX, zoom=12, area="33.74.01"))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    p = next(f for f in sites if f["properties"]["id"] == geo.site1.id)["properties"]
    assert p["last_session"] == {"id": last.id, "date": last.date.isoformat(), "status": "selesai"}
    assert p["next_session"] == {"id": nxt.id, "date": nxt.date.isoformat(), "status": "terkonfirmasi"}
    assert len(sites) == 7 and all(f["properties"]["last_session"] for f in sites)
    session_statements = [s for s in statements if "recording_session" in s]
    site_rows = [s for s in statements if "FROM site JOIN region" in s]
    assert len(session_statements) == 2 and len(site_rows) == 1, statements  # last + next: no query per site


# ---------------------------------------------------------------- sessions

def test_sessions_by_status_category_and_period(client, login_as, geo):
    from outreach.clock import local_today

    today = local_today()
    done = b.make_session(geo.site1, geo.team, [geo.kit], day=today - timedelta(days=4), status="selesai")
    overdue = b.make_session(geo.site1, geo.team, [geo.kit], day=today - timedelta(days=3), status="terkonfirmasi")
    cancelled = b.make_session(geo.site2, geo.team, [geo.kit], day=today + timedelta(days=2), status="dibatalkan")
    upcoming = b.make_session(geo.site2, geo.team, [geo.kit], day=today + timedelta(days=5))
    far = b.make_session(geo.site2, geo.team, [geo.kit], day=today + timedelta(days=90))
    db.session.commit()
    login_as("admin")
    got = {f["properties"]["id"]: f["properties"]["category"]
           for f in features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9))}
    assert got == {done.id: "done", overdue.id: "overdue", cancelled.id: "cancelled", upcoming.id: "upcoming",
                   far.id: "upcoming"}
    only = features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9, status="overdue,done"))
    assert {f["properties"]["id"] for f in only} == {done.id, overdue.id}
    period = features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=9,
                          **{"from": today.isoformat(), "to": (today + timedelta(days=30)).isoformat()}))
    assert {f["properties"]["id"] for f in period} == {cancelled.id, upcoming.id}
    one = next(f for f in features(get(client, "/api/v1/map/sessions", bbox=KEC1_BBOX, zoom=12))
               if f["properties"]["id"] == done.id)
    assert one["geometry"]["coordinates"] == [110.375, -7.0]
    assert one["properties"]["site_nama"] == "Balai Kelurahan Satu A" and one["properties"]["team_nama"]


def test_sessions_cluster_with_status_breakdown(client, login_as, geo, monkeypatch):
    from outreach.clock import local_today

    today = local_today()
    for i in range(4):
        b.make_session(geo.site1, geo.team, [], day=today + timedelta(days=i + 1))
    b.make_session(geo.site1, geo.team, [], day=today - timedelta(days=1), status="selesai")
    db.session.commit()
    monkeypatch.setattr(clustering, "MAX_POINTS", 2)
    login_as("admin")
    body = get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=8).get_json()
    assert body["meta"]["mode"] == "clusters"
    (cluster,) = body["features"]
    assert cluster["properties"]["count"] == 5 and cluster["properties"]["by"] == {"upcoming": 4, "done": 1}


# ---------------------------------------------------------------- the stores follow changes without a full build

@pytest.fixture()
def full_builds(monkeypatch) -> list:
    """The tables the map stores read in full from now on (a patch reads only the changed rows)."""
    read = []
    read_all = queries._read_all

    def counted(model, columns):
        read.append(model.__tablename__)
        return read_all(model, columns)

    monkeypatch.setattr(queries, "_read_all", counted)
    return read


def ids_in(client, kind: str, bbox: str) -> set:
    """Ids of the points of /api/v1/map/<kind> in `bbox` (chosen by the store's positions)."""
    return {f["properties"]["id"] for f in features(get(client, f"/api/v1/map/{kind}", bbox=bbox, zoom=14))}


NEAR_SITE1 = "110.37,-7.005,110.38,-6.995"


def categories(client) -> dict:
    """{id: category} of the sessions as the store filters them (each category asked on its own)."""
    return {f["properties"]["id"]: category for category in queries.SESSION_CATEGORIES
            for f in features(get(client, "/api/v1/map/sessions", bbox=WORLD_BBOX, zoom=14, status=category))}


def test_a_moved_site_shows_on_the_next_request_with_its_sessions(client, login_as, geo, full_builds):
    session = b.make_session(geo.site1, geo.team, [], day=local_today() + timedelta(days=3))
    db.session.commit()
    login_as("admin")
    moved_to = "110.42,-6.995,110.43,-6.985"
    assert ids_in(client, "sites", NEAR_SITE1) == {geo.site1.id} and ids_in(client, "sites", moved_to) == set()
    assert ids_in(client, "sessions", NEAR_SITE1) == {session.id}
    geo.site1.lng, geo.site1.lat = 110.425, -6.99
    db.session.commit()
    assert ids_in(client, "sites", NEAR_SITE1) == set() and ids_in(client, "sites", moved_to) == {geo.site1.id}
    assert ids_in(client, "sessions", NEAR_SITE1) == set() and ids_in(client, "sessions", moved_to) == {session.id}
    added = b.make_site(geo.desa1.kode, "Pos Baru", lat=-7.0, lng=110.376)
    db.session.commit()
    assert ids_in(client, "sites", NEAR_SITE1) == {added.id}
    assert full_builds == ["site", "recording_session"]  # the first request's; then patches


def test_new_and_cancelled_sessions_show_on_the_next_request(client, login_as, geo, full_builds):
    today = local_today()
    first = b.make_session(geo.site1, geo.team, [], day=today + timedelta(days=3))
    db.session.commit()
    login_as("admin")
    assert categories(client) == {first.id: "upcoming"}
    second = b.make_session(geo.site2, geo.team, [], day=today + timedelta(days=4))
    db.session.commit()
    assert categories(client) == {first.id: "upcoming", second.id: "upcoming"}
    first.status = "dibatalkan"
    db.session.commit()
    assert categories(client) == {first.id: "cancelled", second.id: "upcoming"}
    assert full_builds == ["site", "recording_session"]


def test_a_change_committed_late_with_an_older_updated_at_still_shows(client, login_as, geo, full_builds):
    """updated_at is set when the statement runs; its transaction may commit after a newer change was read."""
    from outreach.models import RecordingSession

    today = local_today()
    late = b.make_session(geo.site1, geo.team, [], day=today - timedelta(days=1), status="terkonfirmasi")
    newer = b.make_session(geo.site2, geo.team, [], day=today + timedelta(days=4))
    db.session.commit()
    login_as("admin")
    assert categories(client) == {late.id: "overdue", newer.id: "upcoming"}
    newest = db.session.scalar(sa.select(sa.func.max(RecordingSession.updated_at)))
    late.status, late.updated_at = "selesai", newest - timedelta(minutes=2)
    db.session.commit()
    assert categories(client) == {late.id: "done", newer.id: "upcoming"}
    assert full_builds == ["site", "recording_session"]


def test_deleted_rows_and_changes_that_leave_updated_at_alone_build_the_store_again(client, login_as, geo,
                                                                                     full_builds):
    today = local_today()
    gone = b.make_session(geo.site1, geo.team, [], day=today + timedelta(days=3))
    kept = b.make_session(geo.site2, geo.team, [], day=today + timedelta(days=4))
    db.session.commit()
    login_as("admin")
    assert set(categories(client)) == {gone.id, kept.id}
    db.session.delete(gone)
    db.session.commit()
    assert set(categories(client)) == {kept.id}
    assert full_builds == ["site", "recording_session", "recording_session"]
    # A site last changed long ago, moved by a statement that leaves updated_at alone: the coordinate sums
    # moved, yet no row the patch reads did.
    db.session.execute(sa.update(Site).where(Site.id == geo.site1.id).values(updated_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert ids_in(client, "sites", NEAR_SITE1) == {geo.site1.id}
    db.session.execute(sa.text("UPDATE site SET lng = 110.45 WHERE id = :id"), {"id": geo.site1.id})
    db.session.commit()
    assert ids_in(client, "sites", NEAR_SITE1) == set()
    assert full_builds[3:] == ["site"]


# ---------------------------------------------------------------- caching and compression

def test_etag_and_304(client, login_as, geo):
    login_as("admin")
    url = f"/api/v1/map/regions?level=kecamatan&bbox={WORLD_BBOX}&zoom=9"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"].startswith("private, max-age=")
    assert "Cookie" in first.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # Flask-Compress marks the ETag of a compressed body ("...:gzip"); that still matches.
    compressed_tag = etag[:-1] + ':gzip"'
    assert client.get(url, headers={"If-None-Match": compressed_tag}).status_code == 304
    # A change in the figures changes the answer.
    new_siak_count(geo.desa1, 1000, 950)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_responses_are_gzip_compressed(client, login_as, geo):
    login_as("admin")
    resp = client.get(f"/api/v1/map/regions?level=desa&bbox={WORLD_BBOX}&zoom=12",
                      headers={"Accept-Encoding": "gzip"})
    assert resp.headers.get("Content-Encoding") == "gzip"
    assert resp.headers["ETag"].endswith(':gzip"')
    body = json.loads(gzip.decompress(resp.get_data()))
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 4


def test_openapi_documents_the_map_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/map/regions", "/api/v1/map/sites", "/api/v1/map/sessions"):
        assert "get" in doc["paths"][path]
        assert "304" in doc["paths"][path]["get"]["responses"]
    assert "MapRegionCollection" in doc["components"]["schemas"]
