"""The shared map layers: region shapes per zoom bucket in the database (table region_shape), written once
and read by every worker.

Writes: `write_shapes(kodes)` replaces the rows of the given regions (the boundary import and seed-demo call
it in their own transaction); `rebuild(level)` rewrites a whole level (`flask --app app build-map-shapes`).
Both work in chunks of CHUNK regions, with shapely's vectorised functions, so memory stays bounded.

Reads: `regions_in_view` answers a map view with one indexed count and one indexed select per level and
bucket (plus one for the regions drawn as their centroid), and `extent` the first view of an area from the
stored bounds. Nothing of the boundaries stays in the process.

When a level's rows do not match its regions with a boundary (the table was never filled after migration
0023, or boundaries were written by hand in SQL), the level is drawn by the old per-process path
(outreach.maps.queries.boundary_index) and a warning says, once per process and level, to run
`build-map-shapes`. We chose this over building lazily into the table: building the national desa layer
takes about a minute, too long for a request to wait or hold a lock, while the fallback keeps the maps
exact meanwhile at the old memory cost.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
import shapely
import sqlalchemy as sa

from outreach.extensions import db
from outreach.maps import queries
from outreach.maps.bbox import BBox, Extent
from outreach.maps.geometry import (MAX_BUCKET, MIN_BUCKET, is_point, shape_records, simplified_geojson,
                                    zoom_bucket)
from outreach.models import Region
from outreach.models.maps import RegionShape

log = logging.getLogger(__name__)

CHUNK = 500
_warned: set = set()


@dataclass(frozen=True)
class ViewRegion:
    """One region a map view draws: its names and its geometry text for the view's zoom."""
    kode: str
    nama: str
    kind: str
    level: str
    parent_kode: Optional[str]
    geometry: str
    has_boundary: bool


# ---------------------------------------------------------------- writing

def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write_chunk(kodes: list[str]) -> int:
    """Replace the shape rows of these regions by those computed from their stored boundary."""
    db.session.execute(sa.delete(RegionShape).where(RegionShape.kode.in_(kodes)))
    rows = db.session.execute(
        sa.select(Region.kode, Region.level, Region.lat, Region.lng, Region.boundary)
        .where(Region.kode.in_(kodes), Region.has_boundary == sa.true()).order_by(Region.kode)).all()
    records = shape_records(rows)
    if records:
        db.session.execute(sa.insert(RegionShape), records)
    return len(rows)


def write_shapes(kodes: Iterable[str]) -> int:
    """(Re)write the shapes of the given regions (those without a boundary lose theirs); in the caller's
    transaction. Returns how many regions got shapes."""
    done = 0
    for part in _chunks(sorted(set(kodes))):
        done += _write_chunk(part)
    return done


def rebuild(level: str, progress=None) -> int:
    """Rewrite every shape of a level from Region.boundary; commits once at the end, so maps keep
    drawing the old shapes until the new ones are all there."""
    db.session.execute(sa.delete(RegionShape).where(RegionShape.level == level))
    kodes = db.session.scalars(sa.select(Region.kode).where(Region.level == level, Region.has_boundary == sa.true())
                               .order_by(Region.kode)).all()
    done = 0
    for part in _chunks(list(kodes)):
        done += _write_chunk(part)
        if progress is not None:
            progress(len(part))
    db.session.commit()
    queries.clear_caches()
    return done


# ---------------------------------------------------------------- readiness

def _counts(level: str) -> tuple[int, int]:
    with_boundary = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(
        Region.level == level, Region.has_boundary == sa.true()))
    return with_boundary, _shape_count(level)


def _shape_count(level: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RegionShape).where(
        RegionShape.level == level, RegionShape.bucket == MIN_BUCKET))


def shapes_ready(level: str) -> bool:
    """Whether every region of `level` with a boundary has its shapes (remembered while the regions, the
    imports and the level's shape rows keep their counts)."""
    def build() -> bool:
        with_boundary, shapes = _counts(level)
        return with_boundary == shapes

    ready = queries._cached(("shapes_ready", level),
                            lambda: queries._boundaries_cheap(level) + (str(_shape_count(level)),), tuple, build)
    if not ready and level not in _warned:
        _warned.add(level)
        log.warning("Map shapes of level %s are missing or out of date: maps of that level are drawn by the slower "
                    "per-process path. Run `flask --app app build-map-shapes --level %s`.", level, level)
    return ready


# ---------------------------------------------------------------- reading

def _prefix_clause(column, prefix: Optional[str]):
    if not prefix:
        return sa.true()
    return sa.or_(column == prefix, column.like(prefix + ".%"))


def _bbox_clause(bbox: Optional[BBox]):
    S = RegionShape
    if bbox is None:
        return S.west.is_not(None)
    return sa.and_(S.west <= bbox.east, S.east >= bbox.west, S.south <= bbox.north, S.north >= bbox.south)


def _centroid_clause(level: str, bbox: Optional[BBox], prefix: Optional[str]):
    """Regions of the level drawn as their centroid: no boundary, a point (in the view)."""
    conds = [Region.level == level, Region.has_boundary == sa.false(), Region.lat.is_not(None),
             Region.lng.is_not(None), _prefix_clause(Region.kode, prefix)]
    if bbox is not None:
        conds += [Region.lng.between(bbox.west, bbox.east), Region.lat.between(bbox.south, bbox.north)]
    return sa.and_(*conds)


def count_in_view(level: str, bbox: Optional[BBox], prefix: Optional[str]) -> int:
    shapes = db.session.scalar(sa.select(sa.func.count()).select_from(RegionShape).where(
        RegionShape.level == level, RegionShape.bucket == MIN_BUCKET, _bbox_clause(bbox),
        _prefix_clause(RegionShape.kode, prefix)))
    points = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(
        _centroid_clause(level, bbox, prefix)))
    return shapes + points


def _point_json(lng: float, lat: float, bucket: int) -> str:
    return simplified_geojson([shapely.Point(lng, lat)], bucket)[0]


def _view_from_table(level: str, bbox: Optional[BBox], prefix: Optional[str], bucket: int) -> list[ViewRegion]:
    S = RegionShape
    top = bucket >= MAX_BUCKET
    stored = MAX_BUCKET - 1 if top else bucket
    columns = [S.kode, Region.nama, Region.kind, Region.level, Region.parent_kode, S.geometry]
    if top:
        columns.append(Region.boundary)
    rows = db.session.execute(
        sa.select(*columns).join(Region, Region.kode == S.kode)
        .where(S.level == level, S.bucket == stored, _bbox_clause(bbox), _prefix_clause(S.kode, prefix))).all()
    texts = [r.geometry for r in rows]
    if top:
        # The top bucket is the stored boundary itself, rounded; it is drawn only for the few regions of
        # a street-level view (past MAP_DETAILED_REGIONS the view falls back to a coarse bucket).
        redo = [n for n, r in enumerate(rows) if not is_point(r.geometry)]
        if redo:
            geoms = shapely.from_geojson(np.array([rows[n].boundary for n in redo], dtype=object), on_invalid="ignore")
            for n, text in zip(redo, simplified_geojson(geoms, bucket)):
                texts[n] = text
    out = [ViewRegion(r.kode, r.nama, r.kind, r.level, r.parent_kode, text, not is_point(r.geometry))
           for r, text in zip(rows, texts) if text]
    points = db.session.execute(
        sa.select(Region.kode, Region.nama, Region.kind, Region.level, Region.parent_kode, Region.lat, Region.lng)
        .where(_centroid_clause(level, bbox, prefix))).all()
    out += [ViewRegion(p.kode, p.nama, p.kind, p.level, p.parent_kode, _point_json(p.lng, p.lat, bucket), False)
            for p in points]
    out.sort(key=lambda v: v.kode)
    return out


def _view_in_process(level: str, bbox: Optional[BBox], prefix: Optional[str], detailed: int,
                     crowded_zoom: int, zoom: int) -> tuple[list[ViewRegion], int]:
    index = queries.boundary_index(level)
    indexes = index.select(bbox, prefix)
    geometry_zoom = zoom if len(indexes) <= detailed else min(zoom, crowded_zoom)
    out = []
    for n, geometry in zip(indexes, index.geometry_json(indexes, geometry_zoom)):
        i = index.infos[n]
        out.append(ViewRegion(i.kode, i.nama, i.kind, i.level, i.parent_kode, geometry, i.has_boundary))
    return out, geometry_zoom


def regions_in_view(level: str, bbox: Optional[BBox], prefix: Optional[str], zoom: int, *, detailed: int,
                    crowded_zoom: int) -> tuple[list[ViewRegion], int]:
    """(regions of `level` meeting `bbox` under `prefix`, sorted by code; the zoom their geometry is drawn
    at): past `detailed` regions in view, that of `crowded_zoom`, so the answer stays small."""
    if not shapes_ready(level):
        return _view_in_process(level, bbox, prefix, detailed, crowded_zoom, zoom)
    geometry_zoom = zoom if count_in_view(level, bbox, prefix) <= detailed else min(zoom, crowded_zoom)
    return _view_from_table(level, bbox, prefix, zoom_bucket(geometry_zoom)), geometry_zoom


def extent(level: str, prefix: Optional[str]) -> Extent:
    """The box around the regions of `level` under `prefix` (boundaries, or centroids of those without)."""
    if not shapes_ready(level):
        index = queries.boundary_index(level)
        return index.extent(index.select(None, prefix))
    S = RegionShape
    ext = Extent()
    box = db.session.execute(sa.select(sa.func.min(S.west), sa.func.min(S.south), sa.func.max(S.east),
                                       sa.func.max(S.north))
                             .where(S.level == level, S.bucket == MIN_BUCKET, S.west.is_not(None),
                                    _prefix_clause(S.kode, prefix))).one()
    if box[0] is not None:
        ext.add_box(*box)
    box = db.session.execute(sa.select(sa.func.min(Region.lng), sa.func.min(Region.lat), sa.func.max(Region.lng),
                                       sa.func.max(Region.lat)).where(_centroid_clause(level, None, prefix))).one()
    if box[0] is not None:
        ext.add_box(*box)
    return ext
