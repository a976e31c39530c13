"""API: map data for the current view, as GeoJSON FeatureCollections (issue 6).

    GET /api/v1/map/regions?level=&bbox=&zoom=&area=      polygons with coverage figures and colour classes
    GET /api/v1/map/sites?bbox=&zoom=&area=&type=          sites, clustered on a server grid when many
    GET /api/v1/map/sessions?bbox=&zoom=&area=&status=&from=&to=&type=   sessions by status, clustered too

`bbox` is west,south,east,north in degrees. Only what intersects the view is sent; the same role and
scope rules as every other route apply (a coordinator never receives another kecamatan's polygons, sites
or sessions; an `area` outside the scope answers 404). Answers carry an ETag and
`Cache-Control: private, max-age=...`; a matching If-None-Match gets 304.
"""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Optional

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import COMMON_ERRORS, ApiError, choice_arg, error_response, text_arg
from outreach.maps import clustering, queries
from outreach.maps.bbox import BBox, ViewError, parse_bbox, parse_zoom
from outreach.maps.classes import DEFAULT_PERCENT_BREAKS, backlog_scale, percent_scale
from outreach.maps.geojson import feature, feature_collection, point_geometry
from outreach.vocab import SITE_TYPES
from outreach.models.regions import level_of
from outreach.security import any_role
from outreach.permissions import in_scope

DEFAULT_CACHE_SECONDS = 30


# ---------------------------------------------------------------- shared request handling

def _view() -> tuple[BBox, int, Optional[str]]:
    """bbox, zoom and the optional area of the request; 400/404 with an Indonesian message when bad."""
    try:
        bbox = parse_bbox(request.args.get("bbox"))
        zoom = parse_zoom(request.args.get("zoom"))
    except ViewError as e:
        raise ApiError(400, _(e.template, **e.params))
    return bbox, zoom, area_arg()


def area_arg() -> Optional[str]:
    area = text_arg("area", 20)
    if not area:
        return None
    if level_of(area) is None:
        raise ApiError(400, _("Parameter area harus kode wilayah bertitik, mis. 33.74 atau 33.74.01."))
    if not in_scope(current_user, area) or not queries.region_exists(area):
        raise ApiError(404, _("Wilayah %(kode)s tidak ditemukan.", kode=area))
    return area


def _date_arg(name: str) -> Optional[date]:
    raw = text_arg(name, 20)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, _("Parameter %(name)s harus tanggal TTTT-BB-HH, mis. 2026-10-01 (diterima: '%(raw)s').",
                              name=name, raw=raw))


def _categories_arg() -> tuple:
    raw = text_arg("status", 60)
    if not raw:
        return ()
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    unknown = [v for v in values if v not in queries.SESSION_CATEGORIES]
    if unknown:
        raise ApiError(400, _("Parameter status tidak dikenal: '%(raw)s'. Pilihan: %(choices)s.",
                              raw=unknown[0][:30], choices=", ".join(queries.SESSION_CATEGORIES)))
    return values


def _etag_matches(header: str, etag: str) -> Optional[str]:
    """The tag of If-None-Match that names `etag` (ignoring W/ and the :gzip-style suffix Flask-Compress adds)."""
    for token in header.split(","):
        token = token.strip()
        if token == "*":
            return token
        bare = token[2:] if token.startswith("W/") else token
        bare = bare.strip('"').split(":", 1)[0]
        if bare == etag:
            return token
    return None


def geojson_response(text: str) -> Response:
    """200 with the body, or 304 when the client already has it; cacheable by the browser only."""
    etag = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    matched = _etag_matches(request.headers.get("If-None-Match", ""), etag)
    if matched:
        response = Response(status=304)
        response.headers["ETag"] = matched if matched != "*" else f'"{etag}"'
    else:
        response = Response(text, mimetype="application/json")
        response.headers["ETag"] = f'"{etag}"'
    seconds = int(current_app.config.get("MAP_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    response.headers["Cache-Control"] = f"private, max-age={seconds}"
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


# ---------------------------------------------------------------- regions

@bp.route("/map/regions")
@any_role
def map_regions():
    level = choice_arg("level", queries.MAP_LEVELS) or "kecamatan"
    bbox, zoom, area = _view()
    prefix = queries.view_prefix(current_user, area)
    index = queries.boundary_index(level)
    indexes = index.select(bbox, prefix)
    figures = queries.level_figures(level, prefix)
    pscale = percent_scale(current_app.config.get("MAP_PERCENT_BREAKS", DEFAULT_PERCENT_BREAKS))
    bscale = backlog_scale(f["reachable_backlog"] for f in figures.values())
    features = []
    for n, geometry in zip(indexes, index.geometry_json(indexes, zoom)):
        info = index.infos[n]
        fig = figures.get(info.kode) or {}
        props = {"kode": info.kode, "nama": info.nama, "kind": info.kind, "level": info.level,
                 "parent_kode": info.parent_kode, **fig,
                 "pc": pscale.classify(fig.get("percent_recorded")),
                 "rb": bscale.classify(fig.get("reachable_backlog")),
                 "boundary": info.has_boundary}
        features.append(feature(geometry, props, info.kode))
    as_of = [f["as_of"] for f in figures.values() if f.get("as_of")]
    meta = {"layer": "regions", "level": level, "zoom": zoom, "area": area, "count": len(features),
            "data_as_of": max(as_of) if as_of else None,
            "scales": {"percent_recorded": pscale.as_dict(), "reachable_backlog": bscale.as_dict()}}
    return geojson_response(feature_collection(features, meta))


# ---------------------------------------------------------------- sites

def _site_feature(s: dict) -> str:
    props = {k: s[k] for k in ("id", "nama", "type", "desa_kode", "desa_nama", "approximate", "last_session",
                               "next_session")}
    return feature(point_geometry(s["lng"], s["lat"]), props, f"s{s['id']}")


def _cluster_feature(c: clustering.Cluster, size: float, prefix: str) -> str:
    west, south, east, north = clustering.cell_bounds(c.x, c.y, size)
    props = {"cluster": True, "count": c.count, "by": c.by_kind,
             "bounds": [round(west, 5), round(south, 5), round(east, 5), round(north, 5)]}
    return feature(point_geometry(c.lng, c.lat, 5), props, f"{prefix}{c.x}_{c.y}")


@bp.route("/map/sites")
@any_role
def map_sites():
    bbox, zoom, area = _view()
    f = queries.SiteFilter(bbox=bbox, zoom=zoom, area=area, site_type=choice_arg("type", SITE_TYPES))
    store, mask = queries.site_selection(current_user, f)
    total = int(mask.sum())
    if clustering.send_points(total, zoom):
        features = [_site_feature(s) for s in queries.site_points(current_user, store.ids_of(mask))]
        mode, clusters = "points", 0
    else:
        cells = store.clusters(mask, zoom)
        singles = {s["id"]: s for s in queries.site_points(current_user, [c.any_id for c in cells if c.count == 1])}
        size = clustering.cell_size(zoom)
        features = [_site_feature(singles[c.any_id]) if c.count == 1 and c.any_id in singles
                    else _cluster_feature(c, size, "sc") for c in cells]
        mode, clusters = "clusters", sum(1 for c in cells if c.count > 1)
    meta = {"layer": "sites", "zoom": zoom, "area": area, "mode": mode, "count": total, "clusters": clusters}
    return geojson_response(feature_collection(features, meta))


# ---------------------------------------------------------------- sessions

def _session_feature(s: dict) -> str:
    props = {k: v for k, v in s.items() if k not in ("lat", "lng")}
    return feature(point_geometry(s["lng"], s["lat"]), props, f"r{s['id']}")


@bp.route("/map/sessions")
@any_role
def map_sessions():
    bbox, zoom, area = _view()
    date_from, date_to = _date_arg("from"), _date_arg("to")
    if date_from and date_to and date_to < date_from:
        raise ApiError(400, _("Tanggal akhir (to) tidak boleh sebelum tanggal awal (from)."))
    f = queries.SessionFilter(bbox=bbox, zoom=zoom, area=area, categories=_categories_arg(), date_from=date_from,
                              date_to=date_to, site_type=choice_arg("type", SITE_TYPES))
    store, mask, categories = queries.session_selection(current_user, f)
    total = int(mask.sum())
    if clustering.send_points(total, zoom):
        features = [_session_feature(s) for s in queries.session_points(current_user, store.ids_of(mask))]
        mode, clusters = "points", 0
    else:
        cells = store.clusters(mask, categories, zoom)
        singles = {s["id"]: s for s in queries.session_points(current_user,
                                                              [c.any_id for c in cells if c.count == 1])}
        size = clustering.cell_size(zoom)
        features = [_session_feature(singles[c.any_id]) if c.count == 1 and c.any_id in singles
                    else _cluster_feature(c, size, "rc") for c in cells]
        mode, clusters = "clusters", sum(1 for c in cells if c.count > 1)
    meta = {"layer": "sessions", "zoom": zoom, "area": area, "mode": mode, "count": total, "clusters": clusters,
            "from": date_from.isoformat() if date_from else None, "to": date_to.isoformat() if date_to else None}
    return geojson_response(feature_collection(features, meta))


# ---------------------------------------------------------------- OpenAPI

def _param(name: str, description: str, schema: dict, required: bool = False, example=None) -> dict:
    out = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if example is not None:
        out["example"] = example
    return out


_BBOX = _param("bbox", "Batas tampilan: west,south,east,north (derajat WGS84).", {"type": "string"}, True,
               "110.1,-7.2,110.6,-6.8")
_ZOOM = _param("zoom", "Tingkat zoom peta (0–22); menentukan penyederhanaan poligon dan ukuran sel klaster.",
               {"type": "integer", "minimum": 0, "maximum": 22, "default": 10})
_AREA = _param("area", "Batasi ke satu wilayah (kode bertitik) dalam lingkup pengguna.", {"type": "string"},
               example="33.74.01")
_TYPE = _param("type", "Jenis lokasi.", {"type": "string", "enum": list(SITE_TYPES)})
_NOT_FOUND = error_response("Wilayah `area` tidak ada, atau di luar wilayah tugas pengguna.")
_CACHED = {
    "ETag": {"schema": {"type": "string"}, "description": "Kirim kembali sebagai If-None-Match untuk jawaban 304."},
    "Cache-Control": {"schema": {"type": "string"}, "description": "private, max-age=..."},
}


def _geo_response(description: str, schema: str) -> dict:
    return {"200": {"description": description, "headers": _CACHED,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
            "304": {"description": "Tidak berubah sejak ETag yang dikirim (If-None-Match)."},
            **COMMON_ERRORS, "404": _NOT_FOUND}


OPENAPI_PATHS: dict = {
    "/api/v1/map/regions": {"get": {
        "summary": "Poligon wilayah dalam tampilan peta, dengan angka cakupan dan kelas warna",
        "description": "Hanya wilayah yang beririsan dengan bbox dan berada dalam lingkup pengguna. Poligon "
                       "disederhanakan sesuai zoom. Wilayah tanpa batas dikirim sebagai titik pusatnya.",
        "operationId": "mapRegions", "tags": ["maps"],
        "parameters": [_param("level", "Tingkat wilayah.", {"type": "string", "enum": ["kabupaten", "kecamatan",
                                                                                         "desa"],
                                                               "default": "kecamatan"}),
                       _BBOX, _ZOOM, _AREA],
        "responses": _geo_response("GeoJSON FeatureCollection wilayah", "MapRegionCollection"),
    }},
    "/api/v1/map/sites": {"get": {
        "summary": "Lokasi dalam tampilan peta (klaster grid di server bila banyak)",
        "description": "Sampai 800 lokasi dikirim satu per satu, lengkap dengan sesi terakhir dan berikutnya; "
                       "lebih dari itu dikelompokkan per sel grid (properti `cluster`, `count`, `by`).",
        "operationId": "mapSites", "tags": ["maps"],
        "parameters": [_BBOX, _ZOOM, _AREA, _TYPE],
        "responses": _geo_response("GeoJSON FeatureCollection lokasi atau klaster", "MapPointCollection"),
    }},
    "/api/v1/map/sessions": {"get": {
        "summary": "Sesi dalam tampilan peta menurut status (klaster grid di server bila banyak)",
        "operationId": "mapSessions", "tags": ["maps"],
        "parameters": [_BBOX, _ZOOM, _AREA, _TYPE,
                       _param("status", "Status peta, dipisah koma: upcoming, done, overdue, cancelled.",
                              {"type": "string"}, example="upcoming,overdue"),
                       _param("from", "Sesi yang berlangsung pada atau setelah tanggal ini (TTTT-BB-HH).",
                              {"type": "string", "format": "date"}),
                       _param("to", "Sesi yang mulai pada atau sebelum tanggal ini (TTTT-BB-HH).",
                              {"type": "string", "format": "date"})],
        "responses": _geo_response("GeoJSON FeatureCollection sesi atau klaster", "MapPointCollection"),
    }},
}

_SCALE = {"type": "object", "properties": {
    "metric": {"type": "string"}, "breaks": {"type": "array", "items": {"type": "number"}},
    "colors": {"type": "array", "items": {"type": "string"}}, "no_data": {"type": "string"},
    "legend": {"type": "array", "items": {"type": "object", "properties": {
        "color": {"type": "string"}, "low": {"type": "number", "nullable": True},
        "high": {"type": "number", "nullable": True}}}}}}

OPENAPI_SCHEMAS: dict = {
    "MapFeature": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                       "geometry": {"type": "object", "description": "GeoJSON geometry (RFC 7946, [lng, lat])"},
                       "properties": {"type": "object", "additionalProperties": True}},
    },
    "MapRegionCollection": {
        "type": "object", "required": ["type", "features", "meta"],
        "description": "Properti tiap wilayah: kode, nama, kind, level, parent_kode, wajib_ktp, sudah_rekam "
                       "(perkiraan bila ada log lapangan), sudah_rekam_official, recorded_since, backlog, "
                       "known_away, reachable_backlog, percent_recorded, as_of, pc dan rb (indeks kelas warna "
                       "persen terekam dan sisa terjangkau), boundary.",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/MapFeature"}},
            "meta": {"type": "object", "properties": {
                "level": {"type": "string"}, "zoom": {"type": "integer"}, "count": {"type": "integer"},
                "area": {"type": "string", "nullable": True},
                "data_as_of": {"type": "string", "nullable": True},
                "scales": {"type": "object", "properties": {"percent_recorded": _SCALE,
                                                            "reachable_backlog": _SCALE}}}},
        },
    },
    "MapPointCollection": {
        "type": "object", "required": ["type", "features", "meta"],
        "description": "Titik lokasi/sesi, atau klaster (properties.cluster = true, count, by, bounds).",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/MapFeature"}},
            "meta": {"type": "object", "properties": {
                "mode": {"type": "string", "enum": ["points", "clusters"]},
                "count": {"type": "integer", "description": "Jumlah lokasi/sesi dalam tampilan"},
                "clusters": {"type": "integer"}, "zoom": {"type": "integer"},
                "area": {"type": "string", "nullable": True}}},
        },
    },
}
