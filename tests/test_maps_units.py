"""Pure modules of the maps, without the app: bbox parsing, colour classes, grid clustering, boundary
index and simplification, the in-memory point and session stores, GeoJSON text."""
from __future__ import annotations

import json
import math
from datetime import date, datetime

import numpy as np
import pytest
import shapely

from outreach.maps import clustering
from outreach.maps.bbox import BBox, Extent, ViewError, degrees_per_pixel, parse_bbox, parse_zoom, zoom_to_fit
from outreach.maps.classes import (DEFAULT_PERCENT_BREAKS, NO_DATA, YLGNBU_5, YLORRD_5, backlog_scale, nice_number,
                                   percent_scale, quantile_breaks, spread)
from outreach.maps.geojson import feature, feature_collection, point_geometry
from outreach.maps.geometry import BoundaryIndex, decimals_for, simplified_geojson, tolerance_for, zoom_bucket
from outreach.maps.points import PointStore, SessionStore


# ---------------------------------------------------------------- bbox

def test_parse_bbox_accepts_west_south_east_north():
    assert parse_bbox(" 110.1, -7.2,110.6 ,-6.8") == BBox(110.1, -7.2, 110.6, -6.8)


@pytest.mark.parametrize("raw,needle", [
    (None, "wajib diisi"), ("", "wajib diisi"), ("1,2,3", "empat angka"), ("1,2,3,4,5", "empat angka"),
    ("a,b,c,d", "harus berisi angka"), ("inf,-7,111,-6", "terhingga"), ("110,-7,110,-6", "west"),
    ("110,-6,111,-6", "south"), ("-181,-7,111,-6", "Bujur"), ("110,-91,111,-6", "Lintang"), ("1" * 200, "panjang"),
])
def test_parse_bbox_refuses_with_indonesian_messages(raw, needle):
    with pytest.raises(ViewError) as e:
        parse_bbox(raw)
    assert needle in e.value.message


def test_parse_zoom():
    assert parse_zoom(None) == 10 and parse_zoom("") == 10 and parse_zoom("8") == 8 and parse_zoom("11.7") == 11
    for bad in ("-1", "23", "x", "nan"):
        with pytest.raises(ViewError):
            parse_zoom(bad)


def test_pixel_arithmetic_and_fit():
    assert math.isclose(degrees_per_pixel(0), 360 / 256)
    assert math.isclose(degrees_per_pixel(8), 360 / 65536)
    assert zoom_to_fit(108.5, -8.3, 111.8, -5.7) == 8  # Jawa Tengah in a ~1000x620 map
    assert zoom_to_fit(110.35, -7.05, 110.45, -6.95) >= 12


def test_extent_bounds_are_widened_when_tiny():
    ext = Extent()
    assert ext.empty and ext.as_bounds() is None
    ext.add_point(-7.0, 110.4)
    (s, w), (n, e) = ext.as_bounds(min_span=0.02)
    assert math.isclose(n - s, 0.02) and math.isclose(e - w, 0.02)


# ---------------------------------------------------------------- colour classes

def test_percent_scale_fixed_breaks_and_colours():
    scale = percent_scale()
    assert scale.breaks == DEFAULT_PERCENT_BREAKS and scale.colors == YLGNBU_5
    assert [scale.classify(v) for v in (80, 95, 96.9, 97, 98.5, 99, 100)] == [0, 1, 1, 2, 3, 4, 4]
    assert scale.classify(None) is None and scale.color(None) == NO_DATA
    legend = scale.legend()
    assert legend[0] == {"color": YLGNBU_5[0], "low": None, "high": 95.0}
    assert legend[-1] == {"color": YLGNBU_5[-1], "low": 99.0, "high": None}


def test_quantile_breaks_are_nice_increasing_and_give_zero_its_class():
    values = [0, 0, 0, 3, 7, 12, 48, 51, 130, 260, 1234]
    breaks = quantile_breaks(values)
    assert breaks[0] == 1.0  # "0 left" is a class of its own
    assert list(breaks) == sorted(set(breaks)) and len(breaks) <= 4
    assert all(b == nice_number(b) for b in breaks)
    assert quantile_breaks([]) == () and quantile_breaks([None, None]) == ()
    assert quantile_breaks([5, 5, 5]) == ()  # one value: one class
    scale = backlog_scale([None, 10, 120, 200])
    assert scale.breaks == (120.0, 200.0) and len(scale.colors) == 3
    assert scale.colors[0] == YLORRD_5[0] and scale.colors[-1] == YLORRD_5[-1]  # spread over the palette
    assert [scale.classify(v) for v in (0, 119, 120, 500)] == [0, 0, 1, 2]


def test_nice_number_and_spread():
    assert nice_number(1234) == 1200 and nice_number(47.3) == 47 and nice_number(0.4) == 1 and nice_number(5) == 5
    assert spread(YLORRD_5, 5) == YLORRD_5 and spread(YLORRD_5, 1) == (YLORRD_5[2],)
    assert spread(YLORRD_5, 2) == (YLORRD_5[0], YLORRD_5[4])


# ---------------------------------------------------------------- clustering

def test_grid_cells_are_global_and_stable():
    size = clustering.cell_size(10)
    assert math.isclose(size, clustering.CELL_PX * degrees_per_pixel(10))
    x, y = clustering.cell_of(-7.0, 110.4, size)
    west, south, east, north = clustering.cell_bounds(x, y, size)
    assert west <= 110.4 < east and south <= -7.0 < north


def test_merge_cells_sums_kinds_and_positions():
    rows = [(5, 7, "sekolah", 2, -14.0, 220.0, 11), (5, 7, "rt_rw", 1, -7.2, 110.2, 4),
            (6, 7, "rt_rw", 1, -7.1, 110.9, 9)]
    a, b = clustering.merge_cells(rows)
    assert (a.x, a.y, a.count, a.by_kind) == (5, 7, 3, {"sekolah": 2, "rt_rw": 1})
    assert math.isclose(a.lat, -21.2 / 3) and b.count == 1 and b.any_id == 9


def test_send_points_threshold(monkeypatch):
    assert clustering.send_points(10, 8) and not clustering.send_points(clustering.MAX_POINTS + 1, 8)
    assert clustering.send_points(clustering.MAX_POINTS + 1, clustering.POINTS_ZOOM)
    monkeypatch.setattr(clustering, "MAX_POINTS", 3)
    assert not clustering.send_points(4, 10)


# ---------------------------------------------------------------- boundaries

def _square(lng, lat, half, wiggles=0):
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half]]
    ring += [[lng + half - i * 2 * half / (wiggles + 1), lat + half + (0.00001 if i % 2 else 0)]
             for i in range(1, wiggles + 1)]
    ring += [[lng - half, lat + half], [lng - half, lat - half]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _index():
    return BoundaryIndex([
        ("33.74.01", "Satu", "kecamatan", "kecamatan", "33.74", -7.0, 110.4, _square(110.4, -7.0, 0.05, 400)),
        ("33.74.02", "Dua", "kecamatan", "kecamatan", "33.74", -7.0, 110.6, _square(110.6, -7.0, 0.05)),
        ("33.01.01", "Lain", "kecamatan", "kecamatan", "33.01", -7.4, 109.0, None),  # centroid only
        ("33.01.02", "Kosong", "kecamatan", "kecamatan", "33.01", None, None, None),  # nothing to draw
        ("33.01.03", "Rusak", "kecamatan", "kecamatan", "33.01", None, None, "{not json"),
    ])


def test_index_selects_by_bbox_and_prefix():
    index = _index()
    kodes = lambda ns: [index.kodes[n] for n in ns]  # noqa: E731
    assert kodes(index.select(BBox(110.3, -7.1, 110.5, -6.9))) == ["33.74.01"]
    assert kodes(index.select(None)) == ["33.74.01", "33.74.02", "33.01.01"]
    assert kodes(index.select(None, "33.74")) == ["33.74.01", "33.74.02"]
    assert kodes(index.select(None, "33.7")) == []  # a prefix is a whole code, not a string prefix
    assert kodes(index.select(BBox(100, -10, 101, -9))) == []
    assert index.infos[2].has_boundary is False and index.infos[0].has_boundary is True


def test_simplification_per_bucket_is_cached_and_smaller_when_zoomed_out():
    index = _index()
    (n,) = index.select(BBox(110.3, -7.1, 110.5, -6.9))
    coarse = json.loads(index.geometry_json([n], 7)[0])
    fine = json.loads(index.geometry_json([n], 15)[0])
    assert len(coarse["coordinates"][0]) < 10 < len(fine["coordinates"][0])
    assert index.cached_entries() == 2
    first = index.geometry_json([n], 7)[0]
    assert index.geometry_json([n], 6)[0] is not first and index.geometry_json([n], 7)[0] is first  # from the cache
    point = json.loads(index.geometry_json([2], 9)[0])
    assert point == {"type": "Point", "coordinates": [109.0, -7.4]}
    assert shapely.from_geojson(json.dumps(coarse)).is_valid


def test_buckets_tolerance_and_decimals():
    assert zoom_bucket(2) == 5 and zoom_bucket(9) == 9 and zoom_bucket(18) == 13
    assert tolerance_for(13) == 0 and tolerance_for(8) > tolerance_for(10) > 0
    assert (decimals_for(7), decimals_for(10), decimals_for(13)) == (3, 4, 5)


def test_extent_of_selection():
    index = _index()
    ext = index.extent(index.select(None, "33.74"))
    assert (round(ext.west, 2), round(ext.east, 2)) == (110.35, 110.65)


# ---------------------------------------------------------------- point and session stores

SITES = [
    # id, lat, lng, type, desa, kecamatan, kabupaten, provinsi, active
    (1, -7.00, 110.40, "sekolah", "33.74.01.1001", "33.74.01", "33.74", "33", True),
    (2, -7.001, 110.401, "rt_rw", "33.74.01.1001", "33.74.01", "33.74", "33", True),
    (3, -7.00, 110.60, "rt_rw", "33.74.02.1001", "33.74.02", "33.74", "33", True),
    (4, -7.40, 109.00, "balai_desa", "33.01.01.2001", "33.01.01", "33.01", "33", True),
    (5, -7.00, 110.41, "rumah", "33.74.01.1001", "33.74.01", "33.74", "33", False),  # inactive
]
WORLD = BBox(108, -9, 112, -5)


def test_point_store_filters_scope_type_and_activity():
    store = PointStore(SITES)
    assert store.ids_of(store.select(WORLD)) == [1, 2, 3, 4]
    assert store.ids_of(store.select(WORLD, "33.74.01")) == [1, 2]
    assert store.ids_of(store.select(WORLD, "33.74")) == [1, 2, 3]
    assert store.ids_of(store.select(WORLD, "33.74.01.1001")) == [1, 2]
    assert store.ids_of(store.select(WORLD, "__none__")) == []
    assert store.ids_of(store.select(WORLD, None, "rt_rw")) == [2, 3]
    assert store.ids_of(store.select(WORLD, None, "gua")) == []
    assert store.ids_of(store.select(BBox(110.3, -7.1, 110.5, -6.9))) == [1, 2]
    assert list(store.position_of(__import__("numpy").array([3, 99, 1]))) == [2, -1, 0]


def test_point_store_clusters_match_the_grid():
    store = PointStore(SITES)
    cells = store.clusters(store.select(WORLD), 7)
    assert sum(c.count for c in cells) == 4
    big = max(cells, key=lambda c: c.count)
    assert big.count == 3 and big.by_kind == {"sekolah": 1, "rt_rw": 2}
    size = clustering.cell_size(7)
    for c in cells:
        assert (c.x, c.y) == clustering.cell_of(c.lat, c.lng, size)  # the mean lies in its own cell here
    lone = next(c for c in cells if c.count == 1 and c.any_id == 4)
    assert lone.by_kind == {"balai_desa": 1}
    assert PointStore([]).clusters(PointStore([]).select(WORLD), 8) == []


def test_session_store_categories_scope_and_dates():
    sites = PointStore(SITES)
    today = date(2026, 10, 15)
    rows = [
        # id, site, date, end_date, status, team, desa, kec, kab, prov
        (10, 1, date(2026, 10, 1), None, "selesai", 1, "33.74.01.1001", "33.74.01", "33.74", "33"),
        (11, 1, date(2026, 10, 10), date(2026, 10, 14), "terkonfirmasi", 1, "33.74.01.1001", "33.74.01", "33.74", "33"),
        (12, 2, date(2026, 10, 14), date(2026, 10, 16), "rencana", 2, "33.74.01.1001", "33.74.01", "33.74", "33"),
        (13, 3, date(2026, 10, 20), None, "dibatalkan", 1, "33.74.02.1001", "33.74.02", "33.74", "33"),
        (14, 4, date(2026, 11, 20), None, "ditunda", 3, "33.01.01.2001", "33.01.01", "33.01", "33"),
        (15, 999, date(2026, 11, 20), None, "rencana", 3, "33.01.01.2001", "33.01.01", "33.01", "33"),  # no site
    ]
    store = SessionStore(rows, sites)
    mask, cat = store.select(WORLD, None, today)
    assert store.ids_of(mask) == [10, 11, 12, 13, 14]
    names = dict(zip(store.ids.tolist(), [("upcoming", "done", "overdue", "cancelled")[c] for c in cat]))
    assert names == {10: "done", 11: "overdue", 12: "upcoming", 13: "cancelled", 14: "upcoming", 15: "upcoming"}
    assert store.ids_of(store.select(WORLD, "33.74.01", today)[0]) == [10, 11, 12]
    assert store.ids_of(store.select(WORLD, None, today, team_id=2)[0]) == [12]
    assert store.ids_of(store.select(WORLD, None, today, categories=("overdue", "done"))[0]) == [10, 11]
    # Overlap with the period: a session from the 14th to the 16th counts for a period starting on the 15th.
    assert store.ids_of(store.select(WORLD, None, today, date_from=date(2026, 10, 15),
                                     date_to=date(2026, 10, 31))[0]) == [12, 13]
    assert store.ids_of(store.select(WORLD, None, today, site_type="sekolah")[0]) == [10, 11]
    mask, cat = store.select(WORLD, "33.74", today)
    (cluster,) = [c for c in store.clusters(mask, cat, 6) if c.count == 4]
    assert cluster.by_kind == {"done": 1, "overdue": 1, "upcoming": 1, "cancelled": 1}


# ---------------------------------------------------------------- stores following changes (patches)

def session_row(id_, site, day=date(2026, 10, 20), status="rencana", team=1, desa="33.74.01.1001"):
    kec, kab = desa.rsplit(".", 1)[0], desa.split(".")[0] + "." + desa.split(".")[1]
    return (id_, site, day, None, status, team, desa, kec, kab, desa.split(".")[0])


def same_store(a, b) -> bool:
    """Whether two stores hold the same rows (ids, values and codes), whatever their dictionaries."""
    if not np.array_equal(a.ids, b.ids):
        return False
    for name in set(a._ARRAYS) - {"site_row"}:
        if not np.array_equal(getattr(a, name), getattr(b, name), equal_nan=getattr(a, name).dtype.kind == "f"):
            return False
    if isinstance(a, PointStore) and [a.types[t] for t in a.type] != [b.types[t] for t in b.type]:
        return False
    if isinstance(a, SessionStore) and not np.array_equal(a.sites.ids[a.site_row], b.sites.ids[b.site_row]):
        return False
    return all(np.array_equal(a.codes[k].values[a.codes[k].index], b.codes[k].values[b.codes[k].index])
               for k in a.codes)


def test_a_patched_site_store_equals_a_fresh_build_and_leaves_the_old_one_alone():
    old = PointStore(SITES, newest_change=datetime(2026, 10, 1, 8, 0))
    old_lat = old.lat.copy()
    changes = [
        (2, -7.2, 110.9, "rt_rw", "33.74.01.1001", "33.74.01", "33.74", "33", True),  # moved
        (3, -7.00, 110.60, "rt_rw", "33.74.02.1001", "33.74.02", "33.74", "33", True),  # read again, unchanged
        (7, -6.9, 111.0, "gua", "33.75.01.1001", "33.75.01", "33.75", "33", True),  # new, with a new type and codes
    ]
    new = old.patched(changes, newest_change=datetime(2026, 10, 1, 9, 0))
    expected = [r for r in SITES if r[0] not in (2, 3)] + changes
    assert same_store(new, PointStore(expected))
    assert new.rows_changed == 2 and new.newest_change == datetime(2026, 10, 1, 9, 0)
    assert new.ids_of(new.select(WORLD, None, "gua")) == [7] and new.ids_of(new.select(WORLD, "33.75")) == [7]
    assert new.ids_of(new.select(WORLD, None, "rt_rw")) == [2, 3]
    # The old store is untouched (requests may still hold it) and arrays nothing changed in are shared.
    assert np.array_equal(old.lat, old_lat) and len(old) == 5 and old.types == ["balai_desa", "rt_rw", "rumah",
                                                                                 "sekolah"]
    assert new.active is not old.active and new.lat is not old.lat
    with pytest.raises(ValueError):
        new.lat[0] = 0.0  # read-only: shared between stores


def test_patching_what_did_not_change_shares_every_array():
    old = PointStore(SITES)
    new = old.patched([SITES[1], SITES[3]])
    assert new.rows_changed == 0 and new is not old
    assert new.ids is old.ids and new.lat is old.lat and new.type is old.type
    assert all(new.codes[k] is old.codes[k] for k in old.codes)


def test_a_row_appended_below_the_highest_id_keeps_the_store_in_id_order():
    old = PointStore([r for r in SITES if r[0] != 3])
    new = old.patched([SITES[2]])  # id 3 committed after 4 and 5 were read
    assert new.ids.tolist() == [1, 2, 3, 4, 5]
    assert same_store(new, PointStore(SITES))
    assert list(new.position_of(np.array([3, 5, 6]))) == [2, 4, -1]


def test_a_patched_session_store_follows_status_changes_and_new_sessions():
    sites = PointStore(SITES)
    today = date(2026, 10, 15)
    rows = [session_row(10, 1), session_row(11, 2), session_row(12, 3, desa="33.74.02.1001")]
    old = SessionStore(rows, sites, newest_change=datetime(2026, 10, 1, 8, 0))
    changes = [session_row(11, 2, status="dibatalkan"), session_row(13, 4, desa="33.01.01.2001", team=2)]
    new = old.patched(changes, sites)
    assert same_store(new, SessionStore([rows[0], changes[0], rows[2], changes[1]], sites))
    assert new.rows_changed == 2 and new.newest_change == datetime(2026, 10, 1, 8, 0)
    mask, cat = new.select(WORLD, None, today)
    assert dict(zip(new.ids[mask].tolist(), cat[mask].tolist())) == {10: 0, 11: 3, 12: 0, 13: 0}
    assert new.ids_of(new.select(WORLD, "33.01", today, team_id=2)[0]) == [13]
    assert old.cancelled.tolist() == [False, False, False] and len(old) == 3
    cancelled_only = old.patched(changes[:1], sites)
    assert cancelled_only.start is old.start and cancelled_only.cancelled is not old.cancelled  # only what changed


def test_a_session_store_follows_a_patched_site_store():
    sites = PointStore(SITES[:3])
    rows = [session_row(10, 1), session_row(11, 4, desa="33.01.01.2001")]  # site 4 not in the store yet
    old = SessionStore(rows, sites)
    assert old.site_row.tolist() == [0, -1]
    moved = (1, -7.3, 110.0, "sekolah", "33.74.01.1001", "33.74.01", "33.74", "33", True)
    later = sites.patched([moved, SITES[3]])
    assert later.keeps_rows_of(sites)
    new = old.patched([], later)
    assert new.sites is later and new.site_row.tolist() == [0, 3]  # the unknown site found, the others kept
    mask, _ = new.select(BBox(109.9, -7.4, 110.1, -7.2), None, date(2026, 10, 15))
    assert new.ids_of(mask) == [10]  # at its site's new position
    assert old.site_row.tolist() == [0, -1] and old.sites is sites


def test_a_session_store_looks_every_site_up_again_when_the_site_rows_moved():
    sites = PointStore([r for r in SITES if r[0] != 2])
    rows = [session_row(10, 1), session_row(11, 2), session_row(12, 4, desa="33.01.01.2001")]
    old = SessionStore(rows, sites)
    later = sites.patched([SITES[1]])  # site 2 comes in between: rows 2.. moved down
    assert not later.keeps_rows_of(sites)
    new = old.patched([], later)
    assert later.ids[new.site_row].tolist() == [1, 2, 4]


def test_patches_of_random_changes_equal_fresh_builds():
    rng = np.random.default_rng(7)
    desas = ["33.74.01.1001", "33.74.02.1001", "33.01.01.2001", "34.71.01.1001"]
    types = ["sekolah", "rt_rw", "balai_desa", "pasar"]

    def site(i):
        desa = desas[rng.integers(len(desas))]
        return (i, float(rng.uniform(-8, -6)), float(rng.uniform(109, 111)), types[rng.integers(len(types))], desa,
                desa.rsplit(".", 1)[0], desa[:5], desa[:2], bool(rng.integers(2)))

    def session(i, site_ids):
        desa = desas[rng.integers(len(desas))]
        row = session_row(i, int(rng.choice(site_ids)), date(2026, 10, int(rng.integers(1, 28))),
                          ["rencana", "selesai", "dibatalkan"][rng.integers(3)], int(rng.integers(4)), desa)
        return row

    site_rows = {i: site(i) for i in range(1, 200, 2)}
    session_rows = {i: session(i, list(site_rows)) for i in range(1, 400)}
    sites = PointStore(site_rows.values())
    sessions = SessionStore(session_rows.values(), sites)
    for _ in range(5):
        changed_sites = [site(int(i)) for i in rng.integers(1, 260, 15)]  # some new, some below the highest id
        site_rows.update((r[0], r) for r in changed_sites)
        sites = sites.patched({r[0]: r for r in changed_sites}.values())
        assert same_store(sites, PointStore(site_rows.values()))
        changed = [session(int(i), list(site_rows)) for i in rng.integers(1, 450, 30)]
        session_rows.update((r[0], r) for r in changed)
        sessions = sessions.patched({r[0]: r for r in changed}.values(), sites)
        assert same_store(sessions, SessionStore(session_rows.values(), sites))


# ---------------------------------------------------------------- GeoJSON text

def test_feature_collection_text_is_valid_geojson_and_keeps_names_as_data():
    name = '<script>alert("x")</script>'
    text = feature_collection([feature(point_geometry(110.123456789, -7.0), {"nama": name}, "s1")], {"count": 1})
    body = json.loads(text)
    assert body["type"] == "FeatureCollection" and body["meta"] == {"count": 1}
    f = body["features"][0]
    assert f["id"] == "s1" and f["properties"]["nama"] == name
    assert f["geometry"] == {"type": "Point", "coordinates": [110.123457, -7]}
    assert point_geometry(-0.0000001, 0) == '{"type":"Point","coordinates":[0,0]}'


def test_islets_too_small_to_see_are_left_out_of_low_zoom_shapes_but_each_region_keeps_its_largest_part():
    def square(x, y, size):
        return shapely.box(x, y, x + size, y + size)

    mainland = shapely.MultiPolygon([square(110.0, -7.5, 1.0), square(111.5, -7.5, 0.01), square(111.6, -7.5, 0.02)])
    only_islets = shapely.MultiPolygon([square(120.0, -8.0, 0.01), square(120.2, -8.0, 0.03)])
    national, street = simplified_geojson([mainland, only_islets], 5), simplified_geojson([mainland, only_islets], 12)
    parts = [len(json.loads(text)["coordinates"]) for text in national]
    assert parts == [1, 1]  # at zoom 5 a 1 km islet is well under a pixel
    kept = json.loads(national[1])["coordinates"][0][0]
    assert max(x for x, _y in kept) == pytest.approx(120.23, abs=0.01)  # the larger islet of the two
    assert [len(json.loads(text)["coordinates"]) for text in street] == [3, 2]  # near the ground, every islet
