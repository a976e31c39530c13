"""API: map data for the current view, as GeoJSON FeatureCollections.

    GET /api/v1/map/regions?level=&bbox=&zoom=&area=      polygons with coverage figures and colour classes
    GET /api/v1/map/sites?bbox=&zoom=&area=&type=          sites, clustered on a server grid when many
    GET /api/v1/map/sessions?bbox=&zoom=&area=&status=&from=&to=&type=   sessions by status, clustered too

`bbox` is west,south,east,north in degrees. Only what intersects the view is sent; the same role and
scope rules as every other route apply (a coordinator never receives another kecamatan's polygons, sites
or sessions; an `area` outside the scope answers 404). Answers carry an ETag and
`Cache-Control: private, max-age=...`; a matching If-None-Match gets 304.

Answers are bounded: sites and sessions carry at most `MAP_MAX_POINTS` features (default 2000). Past it
they are clustered, on a coarser grid than the zoom asks for when needed (meta.clustered, meta.capped,
meta.cluster_zoom). Past `MAP_DETAILED_REGIONS` polygons (default 400) in one view, regions are simplified
as for a province-wide view (meta.geometry_zoom). The map endpoints are rate-limited per user (`RATELIMIT_MAP`) on top of the API's
limits; a 429 carries Retry-After.
"""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Optional

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields, missing, validate, validates_schema

from outreach import input_limits
from outreach.api import bp
from outreach.api.schema import (COMMON_ERRORS, Arg, Choice, Out, Query, Refusal, Text, error_response, operation,
                                 response)
from outreach.maps import clustering, queries, shapes
from outreach.maps.bbox import MAX_ZOOM, MIN_ZOOM, ViewError, parse_bbox, parse_zoom
from outreach.maps.classes import DEFAULT_PERCENT_BREAKS, backlog_scale, percent_scale
from outreach.maps.geojson import feature, feature_collection, point_geometry
from outreach.ratelimits import limiter, map_limit, principal
from outreach.vocab import SITE_TYPES
from outreach.models.regions import level_of
from outreach.security import any_role
from outreach.permissions import in_scope

DEFAULT_CACHE_SECONDS = 30
DEFAULT_MAX_POINTS = 2000

# One budget for the three map endpoints together (the map page asks all three per pan), counted besides
# the API's own limits.
map_rate_limit = limiter.shared_limit(map_limit, scope="map", key_func=principal, override_defaults=False)


# Past MAP_DETAILED_REGIONS polygons in view, their geometry is that of this zoom (a whole province on screen).
CROWDED_GEOMETRY_ZOOM = 8
DEFAULT_DETAILED_REGIONS = 400


def detailed_regions() -> int:
    """Most polygons one regions answer draws at the asked zoom's detail (MAP_DETAILED_REGIONS)."""
    return int(current_app.config.get("MAP_DETAILED_REGIONS", DEFAULT_DETAILED_REGIONS))


def max_points() -> int:
    """Most features a site or session answer carries (MAP_MAX_POINTS)."""
    return max(int(current_app.config.get("MAP_MAX_POINTS", DEFAULT_MAX_POINTS)), 1)


# ---------------------------------------------------------------- query strings

class BBoxArg(Arg, fields.String):
    """west,south,east,north in degrees (required)."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        try:
            return parse_bbox(None if value is missing else value)
        except ViewError as e:
            raise ValidationError(_(e.template, **e.params))


class ZoomArg(Arg, fields.Integer):
    def deserialize(self, value, attr=None, data=None, **kwargs):
        try:
            return parse_zoom(None if value is missing else value)
        except ViewError as e:
            raise ValidationError(_(e.template, **e.params))


class AreaArg(Text):
    """A region in the user's scope (an area outside it, or unknown, answers 404)."""

    def check(self, raw: str, name: str) -> str:
        if level_of(raw) is None:
            raise ValidationError(_("Parameter area harus kode wilayah bertitik, mis. 33.74 atau 33.74.01."))
        if not in_scope(current_user, raw) or not queries.region_exists(raw):
            raise ValidationError(Refusal(_("Wilayah %(kode)s tidak ditemukan.", kode=raw), 404))
        return raw


class DateArg(Text):
    def check(self, raw: str, name: str) -> date:
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError(_("Parameter %(name)s harus tanggal TTTT-BB-HH, mis. 2026-10-01 (diterima: "
                                    "'%(raw)s').", name=name, raw=raw))
        if not input_limits.date_in_range(value):
            raise ValidationError(input_limits.date_range_message(name))
        return value


class CategoriesArg(Text):
    def check(self, raw: str, name: str) -> tuple:
        values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
        unknown = [v for v in values if v not in queries.SESSION_CATEGORIES]
        if unknown:
            raise ValidationError(_("Parameter status tidak dikenal: '%(raw)s'. Pilihan: %(choices)s.",
                                    raw=unknown[0][:30], choices=", ".join(queries.SESSION_CATEGORIES)))
        return values


def _bbox():
    return BBoxArg(required=True, metadata={"description": "Batas tampilan: west,south,east,north (derajat WGS84).",
                                            "example": "110.1,-7.2,110.6,-6.8"})


def _zoom():
    return ZoomArg(validate=validate.Range(min=MIN_ZOOM, max=MAX_ZOOM), metadata={
        "default": 10,
        "description": "Tingkat zoom peta (0–22); menentukan penyederhanaan poligon dan ukuran sel klaster."})


def _area():
    return AreaArg(20, metadata={"description": "Batasi ke satu wilayah (kode bertitik) dalam lingkup pengguna.",
                                 "example": "33.74.01"})


def _type():
    return Choice(SITE_TYPES, metadata={"description": "Jenis lokasi."})


class MapRegionsQuery(Query):
    level = Choice(queries.MAP_LEVELS, metadata={"description": "Tingkat wilayah.", "default": "kecamatan"})
    bbox = _bbox()
    zoom = _zoom()
    area = _area()


class MapSitesQuery(Query):
    bbox = _bbox()
    zoom = _zoom()
    area = _area()
    type = _type()


class MapSessionsQuery(Query):
    bbox = _bbox()
    zoom = _zoom()
    area = _area()
    date_from = DateArg(20, data_key="from", metadata={
        "format": "date", "description": "Sesi yang berlangsung pada atau setelah tanggal ini (TTTT-BB-HH)."})
    date_to = DateArg(20, data_key="to", metadata={
        "format": "date", "description": "Sesi yang mulai pada atau sebelum tanggal ini (TTTT-BB-HH)."})
    status = CategoriesArg(60, metadata={"description": "Status peta, dipisah koma: upcoming, done, overdue, "
                                                        "cancelled.", "example": "upcoming,overdue"})
    type = _type()

    @validates_schema(skip_on_field_errors=False)
    def _range(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError(_("Tanggal akhir (to) tidak boleh sebelum tanggal awal (from)."), "to")


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


# ---------------------------------------------------------------- answers

class MapFeatureSchema(Out):
    type = fields.String(required=True, metadata={"enum": ["Feature"]})
    id = fields.String()
    geometry = fields.Dict(required=True, metadata={"description": "GeoJSON geometry (RFC 7946, [lng, lat])"})
    properties = fields.Dict(required=True, metadata={"additionalProperties": True})


class LegendEntrySchema(Out):
    color = fields.String()
    low = fields.Float(allow_none=True)
    high = fields.Float(allow_none=True)


class MapScaleSchema(Out):
    metric = fields.String()
    breaks = fields.List(fields.Float())
    colors = fields.List(fields.String())
    no_data = fields.String()
    legend = fields.List(fields.Nested(LegendEntrySchema))


class MapScalesSchema(Out):
    percent_recorded = fields.Nested(MapScaleSchema)
    reachable_backlog = fields.Nested(MapScaleSchema)


class MapRegionMetaSchema(Out):
    level = fields.String()
    zoom = fields.Integer()
    geometry_zoom = fields.Integer(metadata={
        "description": "Zoom yang menentukan penyederhanaan poligon: sama dengan zoom, atau lebih kecil bila "
                       "tampilan memuat lebih dari MAP_DETAILED_REGIONS wilayah (jawaban tetap ringkas)."})
    count = fields.Integer()
    area = fields.String(allow_none=True)
    data_as_of = fields.String(allow_none=True)
    scales = fields.Nested(MapScalesSchema)


class MapPointMetaSchema(Out):
    mode = fields.String(metadata={"enum": ["points", "clusters"]})
    clustered = fields.Boolean(metadata={"description": "true bila titik dikelompokkan (mode = clusters)."})
    capped = fields.Boolean(metadata={
        "description": "true bila klaster dibuat pada grid yang lebih kasar dari zoom yang diminta, agar jawaban "
                       "tidak melebihi max_points fitur."})
    cluster_zoom = fields.Integer(allow_none=True, metadata={
        "description": "Zoom grid klaster (sama dengan zoom bila tidak dibatasi); null bila tidak berklaster."})
    max_points = fields.Integer(metadata={"description": "Jumlah fitur paling banyak per jawaban (MAP_MAX_POINTS)."})
    count = fields.Integer(metadata={"description": "Jumlah lokasi/sesi dalam tampilan"})
    clusters = fields.Integer()
    zoom = fields.Integer()
    area = fields.String(allow_none=True)


class MapRegionCollectionSchema(Out):
    """Properti tiap wilayah: kode, nama, kind, level, parent_kode, wajib_ktp, sudah_rekam (perkiraan bila ada log
    lapangan), sudah_rekam_official, recorded_since, backlog, known_away, reachable_backlog, percent_recorded,
    as_of, pc dan rb (indeks kelas warna persen terekam dan sisa terjangkau), boundary."""

    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(MapFeatureSchema), required=True)
    meta = fields.Nested(MapRegionMetaSchema, required=True)


class MapPointCollectionSchema(Out):
    """Titik lokasi/sesi, atau klaster (properties.cluster = true, count, by, bounds)."""

    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(MapFeatureSchema), required=True)
    meta = fields.Nested(MapPointMetaSchema, required=True)


_CACHED = {
    "ETag": {"schema": {"type": "string"}, "description": "Kirim kembali sebagai If-None-Match untuk jawaban 304."},
    "Cache-Control": {"schema": {"type": "string"}, "description": "private, max-age=..."},
}


def _geo_responses(description: str, schema) -> dict:
    return {200: response(description, schema, headers=_CACHED),
            304: response("Tidak berubah sejak ETag yang dikirim (If-None-Match)."),
            **COMMON_ERRORS, 404: error_response("Wilayah `area` tidak ada, atau di luar wilayah tugas pengguna.")}


# ---------------------------------------------------------------- regions

@bp.route("/map/regions")
@map_rate_limit
@any_role
@operation("mapRegions", "maps", "Poligon wilayah dalam tampilan peta, dengan angka cakupan dan kelas warna",
           description="Hanya wilayah yang beririsan dengan bbox dan berada dalam lingkup pengguna. Poligon "
                       "disederhanakan sesuai zoom. Wilayah tanpa batas dikirim sebagai titik pusatnya.",
           query=MapRegionsQuery,
           responses=_geo_responses("GeoJSON FeatureCollection wilayah", MapRegionCollectionSchema))
def map_regions(args):
    level, bbox, zoom, area = args["level"] or "kecamatan", args["bbox"], args["zoom"], args["area"]
    prefix = queries.view_prefix(current_user, area)
    # Many polygons in one view are each small on screen: past MAP_DETAILED_REGIONS they are simplified as
    # for a province-wide zoom, which bounds the answer (a province's desa at street zoom: megabytes).
    regions, geometry_zoom = shapes.regions_in_view(level, bbox, prefix, zoom, detailed=detailed_regions(),
                                                    crowded_zoom=CROWDED_GEOMETRY_ZOOM)
    figures = queries.level_figures(level, prefix)
    pscale = percent_scale(current_app.config.get("MAP_PERCENT_BREAKS", DEFAULT_PERCENT_BREAKS))
    bscale = backlog_scale(f["reachable_backlog"] for f in figures.values())
    features = []
    for region in regions:
        fig = figures.get(region.kode) or {}
        props = {"kode": region.kode, "nama": region.nama, "kind": region.kind, "level": region.level,
                 "parent_kode": region.parent_kode, **fig,
                 "pc": pscale.classify(fig.get("percent_recorded")),
                 "rb": bscale.classify(fig.get("reachable_backlog")),
                 "boundary": region.has_boundary}
        features.append(feature(region.geometry, props, region.kode))
    as_of = [f["as_of"] for f in figures.values() if f.get("as_of")]
    meta = {"layer": "regions", "level": level, "zoom": zoom, "geometry_zoom": geometry_zoom, "area": area,
            "count": len(features), "data_as_of": max(as_of) if as_of else None,
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
@map_rate_limit
@any_role
@operation("mapSites", "maps", "Lokasi dalam tampilan peta (klaster grid di server bila banyak)",
           description="Sampai 800 lokasi dikirim satu per satu, lengkap dengan sesi terakhir dan berikutnya; lebih "
                       "dari itu dikelompokkan per sel grid (properti `cluster`, `count`, `by`; meta.clustered). "
                       "Satu jawaban memuat paling banyak MAP_MAX_POINTS fitur (meta.max_points, bawaan 2000): bila "
                       "grid zoom yang diminta memberi lebih, klaster dibuat pada zoom yang lebih kecil "
                       "(meta.capped, meta.cluster_zoom).",
           query=MapSitesQuery,
           responses=_geo_responses("GeoJSON FeatureCollection lokasi atau klaster", MapPointCollectionSchema))
def map_sites(args):
    zoom, area = args["zoom"], args["area"]
    f = queries.SiteFilter(bbox=args["bbox"], zoom=zoom, area=area, site_type=args["type"])
    store, mask = queries.site_selection(current_user, f)
    total, cap = int(mask.sum()), max_points()
    if clustering.send_points(total, zoom, cap=cap):
        features = [_site_feature(s) for s in queries.site_points(current_user, store.ids_of(mask))]
        shape = _points_meta(zoom, cap)
    else:
        cells, grid_zoom = clustering.bounded_clusters(lambda z: store.clusters(mask, z), zoom, cap)
        singles = {s["id"]: s for s in queries.site_points(current_user, [c.any_id for c in cells if c.count == 1])}
        size = clustering.cell_size(grid_zoom)
        features = [_site_feature(singles[c.any_id]) if c.count == 1 and c.any_id in singles
                    else _cluster_feature(c, size, "sc") for c in cells]
        shape = _clusters_meta(cells, zoom, grid_zoom, cap)
    meta = {"layer": "sites", "zoom": zoom, "area": area, "count": total, **shape}
    return geojson_response(feature_collection(features, meta))


def _points_meta(zoom: int, cap: int) -> dict:
    return {"mode": "points", "clustered": False, "capped": False, "cluster_zoom": None, "max_points": cap,
            "clusters": 0}


def _clusters_meta(cells: list, zoom: int, grid_zoom: int, cap: int) -> dict:
    return {"mode": "clusters", "clustered": True, "capped": grid_zoom < zoom, "cluster_zoom": grid_zoom,
            "max_points": cap, "clusters": sum(1 for c in cells if c.count > 1)}


# ---------------------------------------------------------------- sessions

def _session_feature(s: dict) -> str:
    props = {k: v for k, v in s.items() if k not in ("lat", "lng")}
    return feature(point_geometry(s["lng"], s["lat"]), props, f"r{s['id']}")


@bp.route("/map/sessions")
@map_rate_limit
@any_role
@operation("mapSessions", "maps", "Sesi dalam tampilan peta menurut status (klaster grid di server bila banyak)",
           query=MapSessionsQuery,
           responses=_geo_responses("GeoJSON FeatureCollection sesi atau klaster", MapPointCollectionSchema))
def map_sessions(args):
    zoom, area, date_from, date_to = args["zoom"], args["area"], args["date_from"], args["date_to"]
    f = queries.SessionFilter(bbox=args["bbox"], zoom=zoom, area=area, categories=args["status"] or (),
                              date_from=date_from, date_to=date_to, site_type=args["type"])
    store, mask, categories = queries.session_selection(current_user, f)
    total, cap = int(mask.sum()), max_points()
    if clustering.send_points(total, zoom, cap=cap):
        features = [_session_feature(s) for s in queries.session_points(current_user, store.ids_of(mask))]
        shape = _points_meta(zoom, cap)
    else:
        cells, grid_zoom = clustering.bounded_clusters(lambda z: store.clusters(mask, categories, z), zoom, cap)
        singles = {s["id"]: s for s in queries.session_points(current_user,
                                                              [c.any_id for c in cells if c.count == 1])}
        size = clustering.cell_size(grid_zoom)
        features = [_session_feature(singles[c.any_id]) if c.count == 1 and c.any_id in singles
                    else _cluster_feature(c, size, "rc") for c in cells]
        shape = _clusters_meta(cells, zoom, grid_zoom, cap)
    meta = {"layer": "sessions", "zoom": zoom, "area": area, "count": total, **shape,
            "from": date_from.isoformat() if date_from else None, "to": date_to.isoformat() if date_to else None}
    return geojson_response(feature_collection(features, meta))


