"""Where a site's point lies among the imported kecamatan: inside its own, or how far outside and in which.
Pure Python + shapely.

A kecamatan's area is its own imported boundary, or else the collection of its desa boundaries (no union
is computed: distance and containment work on the collection as they are).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import shapely
from shapely import STRtree

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Outside:
    """A point beyond the tolerance outside its own kecamatan: how far, and the kecamatan it falls in."""
    distance_m: float
    found: Optional[str]


class KecamatanAreas:
    """The areas of the kecamatan whose boundary (or whose desa's boundaries) were imported."""

    def __init__(self, shapes: Mapping[str, object]):
        self.codes = sorted(k for k, g in shapes.items() if g is not None and not shapely.is_empty(g))
        self.shapes = {k: shapes[k] for k in self.codes}
        self.tree = STRtree([self.shapes[k] for k in self.codes]) if self.codes else None

    @classmethod
    def build(cls, kecamatan_shapes: Mapping[str, object], desa_shapes: Mapping[str, object],
              desa_kecamatan: Mapping[str, str]) -> "KecamatanAreas":
        """Kecamatan boundaries first; a kecamatan without one is the collection of its desa boundaries."""
        shapes = dict(kecamatan_shapes)
        parts: dict[str, list] = defaultdict(list)
        for kode, geom in desa_shapes.items():
            kecamatan = desa_kecamatan.get(kode)
            if kecamatan and kecamatan not in shapes and geom is not None:
                parts[kecamatan].append(geom)
        for kecamatan, geoms in parts.items():
            shapes[kecamatan] = geoms[0] if len(geoms) == 1 else shapely.GeometryCollection(geoms)
        return cls(shapes)

    def __bool__(self) -> bool:
        return bool(self.codes)

    def has(self, kode: Optional[str]) -> bool:
        return bool(kode) and kode in self.shapes

    def containing(self, lats: Sequence[float], lngs: Sequence[float]) -> list[Optional[str]]:
        """For each point, the (lowest) code of a kecamatan whose area contains it, or None."""
        out: list[Optional[str]] = [None] * len(lats)
        if self.tree is None or not len(lats):
            return out
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        for p, t in zip(point_idx.tolist(), tree_idx.tolist()):
            code = self.codes[t]
            if out[p] is None or code < out[p]:
                out[p] = code
        return out

    def outside(self, items: Sequence[tuple[str, float, float]], tolerance_m: float) -> list[Optional[Outside]]:
        """For each (kecamatan, lat, lng): None when the point lies in that kecamatan (or within
        `tolerance_m` of it, or the kecamatan has no area here), else how far out it is and where it falls."""
        out: list[Optional[Outside]] = [None] * len(items)
        checked = [i for i, (kode, _lat, _lng) in enumerate(items) if kode in self.shapes]
        if not checked:
            return out
        geoms = np.array([self.shapes[items[i][0]] for i in checked], dtype=object)
        points = shapely.points([items[i][2] for i in checked], [items[i][1] for i in checked])
        degrees = shapely.distance(geoms, points)
        far = [j for j, d in enumerate(degrees.tolist()) if d > 0]
        if not far:
            return out
        lines = shapely.shortest_line(geoms[far], points[far])
        beyond: list[tuple[int, float]] = []
        for j, line in zip(far, lines):
            (lng1, lat1), (lng2, lat2) = shapely.get_coordinates(line)
            metres = distance_m(lat1, lng1, lat2, lng2)
            if metres > tolerance_m:
                beyond.append((checked[j], metres))
        found = self.containing([items[i][1] for i, _ in beyond], [items[i][2] for i, _ in beyond])
        for (i, metres), where in zip(beyond, found):
            out[i] = Outside(metres, where)
        return out


def km_text(metres: float) -> str:
    """Kilometres with one decimal and a decimal comma, as Indonesian readers write it ("3,2")."""
    return f"{metres / 1000:.1f}".replace(".", ",")
