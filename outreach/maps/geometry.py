"""Region boundaries simplified per zoom bucket: the one computation of what a map draws.

Pure Python with shapely 2 and numpy (no Flask, no database). `simplified_geojson(geoms, bucket)` is the
simplification and rounding of a bucket; `shape_records(rows)` turns regions with a boundary into the rows
of the shared `region_shape` table (outreach.maps.shapes writes them once, where boundaries are written,
and the map API reads them). Parsing, bounds, simplification and GeoJSON output use shapely's vectorised
functions.

`BoundaryIndex(rows)` is the old per-process index of one level, kept only as the fallback while a level's
shapes are missing from the table (until `flask --app app build-map-shapes` has run): it holds every
boundary of the level in memory, so the serving path does not use it otherwise.

A region without a boundary is kept as its centroid point (when it has one), so it still shows on the map.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np
import shapely

from outreach.maps.bbox import BBox, Extent, degrees_per_pixel

MIN_BUCKET, MAX_BUCKET = 5, 13
# Tolerance of the simplification, in screen pixels of the bucket's zoom.
TOLERANCE_PX = 0.75


def zoom_bucket(zoom: int) -> int:
    """Zoom levels that share one simplified geometry: <=5 together, then one per level, >=13 together."""
    return max(MIN_BUCKET, min(MAX_BUCKET, int(zoom)))


def tolerance_for(bucket: int) -> float:
    """Simplification tolerance in degrees; the top bucket keeps the stored geometry."""
    if bucket >= MAX_BUCKET:
        return 0.0
    return TOLERANCE_PX * degrees_per_pixel(bucket)


# Parts of a region (islands, mostly) smaller than this many square pixels at the bucket's zoom are left out,
# except each region's largest part: at a national zoom Indonesia's thousands of islets cost most of the bytes
# and draw as nothing. None are left out from bucket KEEP_EVERY_PART_FROM on.
MIN_PART_PX2 = 4.0
KEEP_EVERY_PART_FROM = 11


def decimals_for(bucket: int) -> int:
    """Coordinate decimals worth sending: ~1 km at <=6 (a pixel is 2.4 km or more), ~110 m at <=8, ~11 m up
    to 11, ~1 m above."""
    if bucket <= 6:
        return 2
    if bucket <= 8:
        return 3
    if bucket <= 11:
        return 4
    return 5


def simplified_geojson(geoms, bucket: int) -> list[str]:
    """GeoJSON text of each shapely geometry, simplified and rounded as bucket `bucket` draws it."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return []
    tolerance = tolerance_for(bucket)
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    if bucket < KEEP_EVERY_PART_FROM:
        geoms = without_small_parts(geoms, MIN_PART_PX2 * degrees_per_pixel(bucket) ** 2)
    factor = 10 ** decimals_for(bucket)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy * factor) / factor)
    return list(shapely.to_geojson(geoms))


def without_small_parts(geoms: np.ndarray, min_area: float) -> np.ndarray:
    """Each multi-part polygon without its parts smaller than `min_area` (square degrees), its largest part
    always kept; other geometries (polygons, centroid points, None) as they are."""
    geoms = np.array(geoms, dtype=object)
    multi = np.flatnonzero(shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON)
    if not len(multi):
        return geoms
    parts, owner = shapely.get_parts(geoms[multi], return_index=True)
    areas = shapely.area(parts)
    largest = np.zeros(len(parts), dtype=bool)
    order = np.lexsort((-areas, owner))  # by owner, largest part first
    firsts = np.r_[True, owner[order][1:] != owner[order][:-1]]
    largest[order[firsts]] = True
    keep = largest | (areas >= min_area)
    geoms[multi] = shapely.multipolygons(parts[keep], indices=owner[keep], out=None)
    return geoms


def stored_buckets() -> range:
    """The buckets kept in the shared table; the top one is drawn from the stored boundary itself."""
    return range(MIN_BUCKET, MAX_BUCKET)


def region_geometries(rows: Sequence[Sequence]) -> tuple[np.ndarray, list[bool]]:
    """(geometries, has_boundary) of rows (..., lat, lng, boundary text or None) ending with those three:
    the parsed boundary, else the centroid point (has_boundary False), else None."""
    texts = [r[-1] or None for r in rows]
    geoms = np.empty(len(rows), dtype=object)
    with_text = [n for n, t in enumerate(texts) if t]
    if with_text:
        geoms[with_text] = shapely.from_geojson(np.array([texts[n] for n in with_text], dtype=object),
                                                on_invalid="ignore")
    has = [True] * len(rows)
    for n, row in enumerate(rows):
        g = geoms[n]
        lat, lng = row[-3], row[-2]
        if g is None or g.is_empty:
            has[n] = False
            geoms[n] = shapely.Point(lng, lat) if lat is not None and lng is not None else None
    return geoms, has


def shape_records(rows: Sequence[Sequence], buckets: Iterable[int] = ()) -> list[dict]:
    """The region_shape rows of regions with a boundary: rows are (kode, level, lat, lng, boundary text).

    One dict per region and bucket with the bounds of the whole geometry and its simplified GeoJSON text; a
    boundary that cannot be read gives the centroid point instead (or no geometry and no bounds)."""
    buckets = list(buckets) or list(stored_buckets())
    geoms, _has = region_geometries(rows)
    present = [n for n, g in enumerate(geoms) if g is not None]
    bounds = np.full((len(rows), 4), np.nan)
    if present:
        bounds[present] = shapely.bounds(geoms[present])
    texts = {bucket: dict(zip(present, simplified_geojson(geoms[present], bucket))) for bucket in buckets}
    out = []
    for n, row in enumerate(rows):
        box = [None if np.isnan(v) else float(v) for v in bounds[n]]
        for bucket in buckets:
            out.append({"kode": row[0], "level": row[1], "bucket": bucket, "west": box[0], "south": box[1],
                        "east": box[2], "north": box[3], "geometry": texts[bucket].get(n)})
    return out


def is_point(geometry_text: Optional[str]) -> bool:
    """Whether a stored geometry is a centroid point (the region has no readable boundary)."""
    return bool(geometry_text) and geometry_text.startswith('{"type":"Point"')


@dataclass(frozen=True)
class RegionInfo:
    kode: str
    nama: str
    level: str
    kind: str
    parent_kode: Optional[str]
    lat: Optional[float]
    lng: Optional[float]
    has_boundary: bool


class BoundaryIndex:
    """Regions of one level with their geometry, bounds and per-bucket simplified GeoJSON text."""

    def __init__(self, rows: Iterable[Sequence]):
        """rows: (kode, nama, level, kind, parent_kode, lat, lng, boundary GeoJSON text or None)."""
        rows = list(rows)
        geoms, has = region_geometries(rows)
        infos = [RegionInfo(kode, nama, level, kind, parent_kode, lat, lng, h)
                 for (kode, nama, level, kind, parent_kode, lat, lng, _b), h in zip(rows, has)]
        self.infos = infos
        self.kodes = [i.kode for i in infos]
        self.position = {k: n for n, k in enumerate(self.kodes)}
        self.geoms = geoms
        present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
        bounds = np.full((len(infos), 4), np.nan)
        if present.any():
            bounds[present] = shapely.bounds(geoms[present])
        self.bounds = bounds
        self._present = present
        self._cache: dict[int, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.infos)

    def select(self, bbox: Optional[BBox], prefix: Optional[str] = None) -> list[int]:
        """Indexes of regions whose bounds meet `bbox` (all when None) and whose code is `prefix` or below it."""
        mask = self._present.copy()
        if bbox is not None:
            b = self.bounds
            with np.errstate(invalid="ignore"):
                mask &= (b[:, 2] >= bbox.west) & (b[:, 0] <= bbox.east) & (b[:, 3] >= bbox.south) & \
                        (b[:, 1] <= bbox.north)
        indexes = np.flatnonzero(mask).tolist()
        if prefix:
            below = prefix + "."
            indexes = [n for n in indexes if self.kodes[n] == prefix or self.kodes[n].startswith(below)]
        return indexes

    def geometry_json(self, indexes: Sequence[int], zoom: int) -> list[str]:
        """GeoJSON geometry text of each region, simplified for `zoom` (computed once per region and bucket)."""
        bucket = zoom_bucket(zoom)
        cache = self._cache.get(bucket)
        if cache is None:
            with self._lock:
                cache = self._cache.setdefault(bucket, {})
        missing = [n for n in indexes if self.kodes[n] not in cache]
        if missing:
            for n, text in zip(missing, simplified_geojson(self.geoms[missing], bucket)):
                cache[self.kodes[n]] = text
        return [cache[self.kodes[n]] for n in indexes]

    def extent(self, indexes: Iterable[int]) -> Extent:
        ext = Extent()
        for n in indexes:
            if self._present[n]:
                w, s, e, no = self.bounds[n]
                ext.add_box(float(w), float(s), float(e), float(no))
        return ext

    def cached_entries(self) -> int:
        return sum(len(c) for c in self._cache.values())
