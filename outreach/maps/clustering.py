"""Server-side grid clustering of points per zoom level (pure Python).

The grid is global and fixed per zoom (cells of CELL_PX screen pixels, counted from lng -180 / lat -90),
so a cell keeps its identity and its count while the map pans: the database groups points by
(cell x, cell y, kind) and `merge_cells` turns those rows into one cluster per cell, placed at the mean
position of its points (not the cell centre, so a cluster sits where its points are).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from outreach.maps.bbox import degrees_per_pixel

CELL_PX = 80
# Up to this many points in view are sent one by one; more are clustered.
MAX_POINTS = 800
# From this zoom on, points are always sent one by one (at most HARD_POINT_LIMIT of them).
POINTS_ZOOM = 16
HARD_POINT_LIMIT = 5000
LNG_ORIGIN, LAT_ORIGIN = -180.0, -90.0


def cell_size(zoom: int, cell_px: int = CELL_PX) -> float:
    """Side of a grid cell in degrees at `zoom`."""
    return cell_px * degrees_per_pixel(zoom)


def cell_of(lat: float, lng: float, size: float) -> tuple[int, int]:
    """Grid cell (x, y) holding a point; the same arithmetic as the SQL GROUP BY."""
    return int((lng - LNG_ORIGIN) // size), int((lat - LAT_ORIGIN) // size)


def cell_bounds(x: int, y: int, size: float) -> tuple[float, float, float, float]:
    """west, south, east, north of cell (x, y)."""
    west, south = LNG_ORIGIN + x * size, LAT_ORIGIN + y * size
    return west, south, west + size, south + size


def send_points(count: int, zoom: int, max_points: Optional[int] = None, cap: Optional[int] = None) -> bool:
    """Whether `count` points in view go out one by one (else as clusters); never more than `cap`."""
    limit = MAX_POINTS if max_points is None else max_points
    hard = HARD_POINT_LIMIT if cap is None else min(HARD_POINT_LIMIT, cap)
    return count <= min(limit, hard) or (zoom >= POINTS_ZOOM and count <= hard)


def bounded_clusters(cells_at: Callable[[int], list["Cluster"]], zoom: int, cap: int) -> tuple[list["Cluster"], int]:
    """The clusters of `cells_at(zoom)`, or, when they are more than `cap` features, those of the nearest
    coarser zoom whose grid gives at most `cap` (each zoom out doubles a cell's side). Returns the clusters
    and the zoom of their grid."""
    cells = cells_at(zoom)
    while len(cells) > cap and zoom > 0:
        zoom -= 1
        cells = cells_at(zoom)
    return cells, zoom


@dataclass
class Cluster:
    x: int
    y: int
    count: int = 0
    sum_lat: float = 0.0
    sum_lng: float = 0.0
    by_kind: dict = field(default_factory=dict)
    any_id: Optional[int] = None

    @property
    def lat(self) -> float:
        return self.sum_lat / self.count

    @property
    def lng(self) -> float:
        return self.sum_lng / self.count


def merge_cells(rows: Iterable[tuple]) -> list[Cluster]:
    """Rows (x, y, kind, count, sum_lat, sum_lng, an id) -> one Cluster per cell, ordered by cell."""
    cells: dict[tuple[int, int], Cluster] = {}
    for x, y, kind, count, sum_lat, sum_lng, some_id in rows:
        x, y, count = int(x), int(y), int(count)
        if count <= 0:
            continue
        c = cells.get((x, y))
        if c is None:
            c = cells[(x, y)] = Cluster(x, y)
        c.count += count
        c.sum_lat += float(sum_lat)
        c.sum_lng += float(sum_lng)
        c.by_kind[kind] = c.by_kind.get(kind, 0) + count
        if c.any_id is None:
            c.any_id = some_id
    return [cells[k] for k in sorted(cells)]
