"""Region boundaries in memory: bounding boxes for the bbox test, and polygons simplified per zoom, cached.

Pure Python with shapely 2 and numpy (no Flask, no database): `BoundaryIndex(rows)` is built once per
process from the rows of one level (see `outreach.maps.queries.boundary_index`, which rebuilds it when the
boundaries change). Parsing, bounds, simplification and GeoJSON output use shapely's vectorised functions,
so a province of 8,563 desa loads in about a second and a view's polygons come out of the cache.

A region without a boundary is kept as its centroid point (when it has one), so it still shows on the map.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
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


def decimals_for(bucket: int) -> int:
    """Coordinate decimals worth sending: ~110 m at <=8, ~11 m up to 11, ~1 m above."""
    if bucket <= 8:
        return 3
    if bucket <= 11:
        return 4
    return 5


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
        infos: list[RegionInfo] = []
        texts: list[Optional[str]] = []
        for kode, nama, level, kind, parent_kode, lat, lng, boundary in rows:
            infos.append(RegionInfo(kode, nama, level, kind, parent_kode, lat, lng, bool(boundary)))
            texts.append(boundary or None)
        self.infos = infos
        self.kodes = [i.kode for i in infos]
        self.position = {k: n for n, k in enumerate(self.kodes)}
        geoms = np.empty(len(infos), dtype=object)
        with_text = [n for n, t in enumerate(texts) if t]
        if with_text:
            parsed = shapely.from_geojson(np.array([texts[n] for n in with_text], dtype=object), on_invalid="ignore")
            geoms[with_text] = parsed
        for n, info in enumerate(infos):
            g = geoms[n]
            if (g is None or g.is_empty) and info.lat is not None and info.lng is not None:
                geoms[n] = shapely.Point(info.lng, info.lat)
                infos[n] = replace(info, has_boundary=False)
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
            geoms = self.geoms[missing]
            tolerance = tolerance_for(bucket)
            if tolerance > 0:
                geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
            factor = 10 ** decimals_for(bucket)
            geoms = shapely.transform(geoms, lambda xy: np.round(xy * factor) / factor)
            texts = shapely.to_geojson(geoms)
            for n, text in zip(missing, texts):
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
