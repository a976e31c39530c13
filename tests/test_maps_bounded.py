"""Map answers are bounded: a site or session answer carries at most MAP_MAX_POINTS features, clustered on a
coarser grid when the asked zoom's grid gives more, and says so in its meta (documented in openapi.json)."""
from __future__ import annotations

import sqlalchemy as sa

from outreach.extensions import db
from outreach.maps import clustering, queries, shapes
from outreach.models import Site

PROVINCE_BBOX = "105,-9,115,-5"


def many_sites(n: int, west: float, south: float, span: float) -> None:
    """`n` sites on a square grid of side `span` degrees from (west, south), all in the world's first desa."""
    side = int(n ** 0.5) + 1
    step = span / side
    rows = [{"type": "balai_desa", "nama": f"Lokasi {i}", "desa_kode": "33.74.01.1001",
             "kecamatan_kode": "33.74.01", "kabupaten_kode": "33.74", "provinsi_kode": "33",
             "lat": south + (i // side) * step, "lng": west + (i % side) * step} for i in range(n)]
    db.session.execute(sa.insert(Site), rows)
    db.session.commit()
    queries.clear_caches()


def features_and_meta(client, bbox: str, zoom: int):
    resp = client.get(f"/api/v1/map/sites?bbox={bbox}&zoom={zoom}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    return body["features"], body["meta"]


def represented(features) -> int:
    return sum(f["properties"]["count"] if f["properties"].get("cluster") else 1 for f in features)


def test_a_province_at_street_zoom_is_capped_and_clustered(app, client, world, login_as):
    many_sites(6000, 109.5, -7.9, 1.5)
    login_as("admin")
    features, meta = features_and_meta(client, PROVINCE_BBOX, 18)
    total = 6000 + 3  # and the world's own three sites
    assert meta["count"] == total
    assert len(features) <= app.config["MAP_MAX_POINTS"] == 2000
    assert meta["clustered"] is True and meta["capped"] is True and meta["mode"] == "clusters"
    assert meta["cluster_zoom"] < 18 and meta["max_points"] == 2000
    assert represented(features) == total  # nothing lost, only grouped


def test_a_dense_street_view_is_clustered_above_the_cap_instead_of_sent_point_by_point(app, client, world,
                                                                                        login_as, monkeypatch):
    many_sites(1200, 110.40, -7.00, 0.004)
    monkeypatch.setitem(app.config, "MAP_MAX_POINTS", 500)
    login_as("admin")
    features, meta = features_and_meta(client, "110.399,-7.001,110.405,-6.995", 17)
    assert len(features) <= 500 and meta["clustered"] is True and meta["max_points"] == 500
    assert represented(features) == meta["count"] >= 1200


def test_a_view_under_the_cap_is_sent_point_by_point(client, world, login_as):
    many_sites(300, 110.40, -7.00, 0.004)
    login_as("admin")
    features, meta = features_and_meta(client, "110.399,-7.001,110.405,-6.995", 17)
    assert meta["mode"] == "points" and meta["clustered"] is False and meta["capped"] is False
    assert len(features) == meta["count"] >= 300


def test_bounded_clusters_zooms_out_until_the_cells_fit():
    asked = []

    def cells_at(zoom):
        asked.append(zoom)
        return [clustering.Cluster(x, 0, 1) for x in range(4 ** (zoom - 10))] if zoom > 10 else [clustering.Cluster(0, 0, 1)]

    cells, zoom = clustering.bounded_clusters(cells_at, 16, 100)
    assert zoom == 13 and len(cells) == 64 and asked == [16, 15, 14, 13]
    assert clustering.bounded_clusters(cells_at, 12, 100) == (cells_at(12), 12)


def test_send_points_respects_the_cap():
    assert clustering.send_points(1500, 17) is True
    assert clustering.send_points(1500, 17, cap=1000) is False
    assert clustering.send_points(600, 10, cap=500) is False


def test_the_clustered_flags_are_in_the_api_schema(client, world):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    meta = next(s for name, s in schemas.items() if name.startswith("MapPointMeta"))
    assert {"clustered", "capped", "cluster_zoom", "max_points"} <= set(meta["properties"])


def circle(lng: float, lat: float, radius: float, vertices: int = 400) -> str:
    import json
    import math

    ring = [[round(lng + radius * math.cos(2 * math.pi * k / vertices), 6),
             round(lat + radius * math.sin(2 * math.pi * k / vertices), 6)] for k in range(vertices)]
    return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def test_a_crowded_view_of_regions_gets_province_wide_geometry(app, client, world, login_as, monkeypatch):
    from tests import builders as b

    for n in range(30):
        desa = b.make_region(f"33.74.01.3{n:03d}", f"Desa Bulat {n}", lat=-7.0, lng=110.30 + n * 0.011)
        desa.boundary, desa.has_boundary = circle(110.30 + n * 0.011, -7.0, 0.005), True
    db.session.commit()
    shapes.rebuild("desa")
    login_as("admin")
    url = "/api/v1/map/regions?level=desa&bbox=110.2,-7.1,110.7,-6.9&zoom=16"
    detailed = client.get(url)
    monkeypatch.setitem(app.config, "MAP_DETAILED_REGIONS", 10)
    crowded = client.get(url)
    assert detailed.get_json()["meta"]["geometry_zoom"] == 16
    meta = crowded.get_json()["meta"]
    assert meta["geometry_zoom"] == 8 and meta["count"] == detailed.get_json()["meta"]["count"] >= 30
    assert len(crowded.data) * 3 < len(detailed.data)
