"""Map layers shared by every worker (table region_shape): written by the boundary import, seed-demo and
`build-map-shapes`, read by the map API and the first view, and the per-process fallback while a level's
shapes are missing."""
from __future__ import annotations

import json
import logging
import math
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.imports.apply import ImportOptions, run_import
from outreach.maps import geometry, queries, shapes
from outreach.maps.bbox import BBox
from outreach.models import Region, RegionShape
from tests.conftest import WIB
from tests.test_maps_api import WORLD_BBOX, add_map_geometry

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

BUCKETS = list(range(geometry.MIN_BUCKET, geometry.MAX_BUCKET))


def wiggly(lng: float, lat: float, radius: float, vertices: int = 300) -> list:
    """A polygon ring with many vertices (so every bucket simplifies it differently)."""
    ring = [[round(lng + radius * (1 + 0.08 * math.sin(7 * k)) * math.cos(2 * math.pi * k / vertices), 6),
             round(lat + radius * (1 + 0.08 * math.sin(7 * k)) * math.sin(2 * math.pi * k / vertices), 6)]
            for k in range(vertices)]
    return [ring + [ring[0]]]


def collection(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": k}, "geometry": {"type": "Polygon", "coordinates": c}}
        for k, c in features]}).encode()


def import_boundaries(features) -> None:
    report = run_import("boundaries", collection(features), ImportOptions(filename="batas.geojson"), commit=True)
    assert report.ok and report.committed, report.errors


def shape_rows(level: str | None = None, bucket: int | None = None) -> list[RegionShape]:
    stmt = sa.select(RegionShape).order_by(RegionShape.kode, RegionShape.bucket)
    if level:
        stmt = stmt.where(RegionShape.level == level)
    if bucket is not None:
        stmt = stmt.where(RegionShape.bucket == bucket)
    return list(db.session.scalars(stmt))


def old_index(level: str) -> geometry.BoundaryIndex:
    """The per-process index of the level, as the map API built it before the shared table."""
    rows = db.session.execute(sa.select(
        Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng,
        Region.boundary).where(Region.level == level).order_by(Region.kode)).all()
    return geometry.BoundaryIndex(rows)


DESA = [("33.74.01.1001", wiggly(110.375, -7.0, 0.015)), ("33.74.01.2002", wiggly(110.425, -7.0, 0.015)),
        ("33.74.02.1001", wiggly(110.60, -7.0, 0.015))]


# ---------------------------------------------------------------- writing

def test_boundary_import_writes_the_shapes_of_every_bucket(db, world):
    import_boundaries(DESA)
    for bucket in BUCKETS:
        assert [r.kode for r in shape_rows("desa", bucket)] == [k for k, _ in DESA]
    assert len(shape_rows()) == len(DESA) * len(BUCKETS)
    index = old_index("desa")
    for kode, _ in DESA:
        n = index.position[kode]
        for bucket in BUCKETS:
            row = db.session.get(RegionShape, (kode, bucket))
            assert row.geometry == index.geometry_json([n], bucket)[0]  # exactly what the old code drew
            assert (row.west, row.south, row.east, row.north) == tuple(float(v) for v in index.bounds[n])
    coarse, fine = (json.loads(db.session.get(RegionShape, (DESA[0][0], b)).geometry) for b in (5, 12))
    assert len(coarse["coordinates"][0]) < len(fine["coordinates"][0]) <= 301


def test_reimport_replaces_only_the_changed_shapes(db, world):
    import_boundaries(DESA)
    untouched = {(r.kode, r.bucket): r.geometry for r in shape_rows()}
    moved = [(DESA[0][0], wiggly(110.38, -7.01, 0.01))]
    import_boundaries(moved)
    db.session.expire_all()
    rows = shape_rows()
    assert len(rows) == len(DESA) * len(BUCKETS)
    for r in rows:
        if r.kode == DESA[0][0]:
            assert r.geometry != untouched[(r.kode, r.bucket)] and 110.36 < r.west < 110.371
        else:
            assert r.geometry == untouched[(r.kode, r.bucket)]


def test_build_map_shapes_rebuilds_from_stored_boundaries(db, world, runner):
    add_map_geometry(world)  # boundaries written straight to the database, shapes built
    db.session.execute(sa.delete(RegionShape))
    db.session.commit()
    result = runner.invoke(args=["build-map-shapes", "--level", "desa"])
    assert result.exit_code == 0, result.output
    assert len(shape_rows("desa", 5)) == 4 and shape_rows("kecamatan") == []
    result = runner.invoke(args=["build-map-shapes"])
    assert result.exit_code == 0, result.output
    assert "desa: 4" in result.output
    assert len(shape_rows("kecamatan", 9)) == 3 and len(shape_rows("kabupaten", 12)) == 1
    again = runner.invoke(args=["build-map-shapes"])
    assert again.exit_code == 0 and len(shape_rows()) == 8 * len(BUCKETS)  # rebuilt, not doubled
    assert runner.invoke(args=["build-map-shapes", "--level", "negara"]).exit_code == 2


def test_an_unreadable_boundary_keeps_its_centroid_row(db, world):
    world.desa1.boundary, world.desa1.has_boundary = '{"type":"Polygon","coordinates":[]}', True
    world.desa2.boundary, world.desa2.has_boundary, world.desa2.lat = "{rusak", True, None
    db.session.commit()
    shapes.rebuild("desa")
    point = db.session.get(RegionShape, (world.desa1.kode, 7))
    assert json.loads(point.geometry) == {"type": "Point", "coordinates": [110.4, -7.0]}
    nothing = db.session.get(RegionShape, (world.desa2.kode, 7))
    assert nothing.geometry is None and nothing.west is None
    assert shapes.shapes_ready("desa")


def test_seed_demo_gets_its_shapes(app, db):
    from outreach import demo

    demo.seed_demo()
    with_boundary = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(
        Region.level == "desa", Region.has_boundary.is_(True)))
    assert with_boundary > 100
    assert len(shape_rows("desa", 10)) == with_boundary
    assert shapes.shapes_ready("desa")


# ---------------------------------------------------------------- reading

VIEWS = [("desa", WORLD_BBOX, 7), ("desa", "110.31,-7.06,110.49,-6.94", 10), ("desa", "110.35,-7.02,110.40,-6.98", 13),
         ("desa", WORLD_BBOX, 16), ("kecamatan", WORLD_BBOX, 9), ("kecamatan", "110.55,-7.1,110.7,-6.9", 12),
         ("kabupaten", WORLD_BBOX, 5)]


@pytest.fixture()
def mapped(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_RECHECK_SECONDS", 0)
    add_map_geometry(world)
    world.desa1.boundary = json.dumps({"type": "Polygon", "coordinates": wiggly(110.375, -7.0, 0.015)})
    from tests import builders as b
    b.make_region("33.74.02.2009", "Desa Titik", lat=-7.01, lng=110.61)  # no boundary: drawn as its centroid
    db.session.commit()
    for level in queries.MAP_LEVELS:
        shapes.rebuild(level)
    return world


def answers(client, views=VIEWS, **params) -> list:
    out = []
    for level, bbox, zoom in views:
        resp = client.get("/api/v1/map/regions", query_string={"level": level, "bbox": bbox, "zoom": zoom, **params})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        out.append(resp.get_json())
    return out


def empty_table() -> None:
    db.session.execute(sa.delete(RegionShape))
    db.session.commit()
    queries.clear_caches()


def test_the_api_answers_the_same_features_from_the_table_as_the_old_path(client, login_as, mapped):
    login_as("admin")
    from_table = answers(client)
    kodes = {f["properties"]["kode"] for f in from_table[0]["features"]}
    assert {"33.74.01.1001", "33.74.02.2009"} <= kodes
    titik = next(f for f in from_table[0]["features"] if f["properties"]["kode"] == "33.74.02.2009")
    assert titik["geometry"]["type"] == "Point" and titik["properties"]["boundary"] is False
    empty_table()
    assert from_table == answers(client)  # the per-process path (the old code) gives every byte the same


def test_a_scoped_user_gets_the_same_features_too(client, login_as, mapped):
    login_as("coordinator")
    from_table = answers(client, VIEWS[:3])
    assert all(f["properties"]["kode"].startswith("33.74.01") for a in from_table for f in a["features"])
    empty_table()
    assert from_table == answers(client, VIEWS[:3])


def test_crowded_views_use_the_coarse_bucket_from_the_table(app, client, login_as, mapped, monkeypatch):
    login_as("admin")
    monkeypatch.setitem(app.config, "MAP_DETAILED_REGIONS", 2)
    crowded = answers(client, [("desa", WORLD_BBOX, 15)])[0]
    assert crowded["meta"]["geometry_zoom"] == 8 and crowded["meta"]["count"] == 5
    empty_table()
    assert answers(client, [("desa", WORLD_BBOX, 15)])[0] == crowded


def test_empty_table_falls_back_and_says_once_to_build(client, login_as, mapped, caplog, monkeypatch):
    empty_table()
    shapes._warned.clear()
    monkeypatch.setattr(shapes.log, "disabled", False)  # alembic's fileConfig (the test schema) disabled it
    login_as("admin")
    with caplog.at_level(logging.WARNING, logger="outreach.maps.shapes"):
        first = answers(client, VIEWS[:2])
        answers(client, VIEWS[:2])
    warnings = [r for r in caplog.records if "build-map-shapes" in r.getMessage()]
    assert len(warnings) == 1 and "desa" in warnings[0].getMessage()
    assert first[0]["meta"]["count"] == 5


def test_a_level_whose_shapes_fall_behind_is_drawn_by_the_old_path(client, login_as, mapped):
    login_as("admin")
    from tests import builders as b
    late = b.make_region("33.74.02.2010", "Desa Baru", lat=-7.0, lng=110.62)
    late.boundary, late.has_boundary = json.dumps({"type": "Polygon", "coordinates": wiggly(110.62, -7.0, 0.01)}), True
    db.session.commit()  # written by hand: no shapes
    assert not shapes.shapes_ready("desa")
    assert "33.74.02.2010" in {f["properties"]["kode"] for f in answers(client, VIEWS[:1])[0]["features"]}
    shapes.rebuild("desa")
    assert shapes.shapes_ready("desa")


def test_the_serving_path_keeps_no_boundary_index(client, login_as, mapped, monkeypatch):
    def refuse(level):
        raise AssertionError("the per-process boundary index was built")
    monkeypatch.setattr(queries, "boundary_index", refuse)
    login_as("admin")
    answers(client)
    assert client.get("/peta").status_code == 200


def test_extent_from_stored_bounds_matches_the_old_index(db, mapped):
    for level, prefix in [("kecamatan", None), ("kecamatan", "33.74"), ("desa", "33.74.02"), ("desa", "33.99")]:
        index = old_index(level)
        old = index.extent(index.select(None, prefix))
        new = shapes.extent(level, prefix)
        assert (new.west, new.south, new.east, new.north) == (old.west, old.south, old.east, old.north)


def test_count_in_view_uses_bounds_and_prefix(db, mapped):
    assert shapes.count_in_view("desa", BBox(110.35, -7.02, 110.40, -6.98), None) == 1
    assert shapes.count_in_view("desa", None, "33.74.02") == 2  # a boundary and a centroid
    assert shapes.count_in_view("desa", None, "33.7") == 0  # a prefix is a whole code
