"""A map view: bounding box and zoom parsed from query strings, and the pixel arithmetic of Web Mercator tiles.

Pure Python (no Flask). Errors carry an Indonesian msgid and its parameters; the web layer translates them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from outreach.i18n import N_

MIN_ZOOM = 0
MAX_ZOOM = 22
TILE_PX = 256
# Longest accepted query value (a bbox is four short numbers).
MAX_RAW = 120



class ViewError(ValueError):
    """A bad bbox/zoom/area parameter: `template` is an Indonesian msgid, `params` its %-placeholders."""

    def __init__(self, template: str, **params):
        super().__init__(template % params if params else template)
        self.template, self.params = template, params

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template


@dataclass(frozen=True)
class BBox:
    """west, south, east, north in WGS84 degrees (west < east, south < north)."""

    west: float
    south: float
    east: float
    north: float

    def intersects(self, west: float, south: float, east: float, north: float) -> bool:
        return not (east < self.west or west > self.east or north < self.south or south > self.north)

    def contains_point(self, lat: float, lng: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lng <= self.east

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


def parse_bbox(raw: Optional[str]) -> BBox:
    """`west,south,east,north` in degrees; ViewError with a clear message for anything else."""
    example = "110.1,-7.2,110.6,-6.8"
    if raw is None or not raw.strip():
        raise ViewError(N_("Parameter bbox wajib diisi: west,south,east,north dalam derajat, mis. %(example)s."),
                        example=example)
    if len(raw) > MAX_RAW:
        raise ViewError(N_("Parameter bbox terlalu panjang (maksimal %(max)d karakter)."), max=MAX_RAW)
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 4:
        raise ViewError(N_("Parameter bbox harus berisi empat angka west,south,east,north (diterima: '%(raw)s'), "
                           "mis. %(example)s."), raw=raw[:60], example=example)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ViewError(N_("Parameter bbox harus berisi angka (diterima: '%(raw)s'), mis. %(example)s."),
                        raw=raw[:60], example=example) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ViewError(N_("Parameter bbox harus berisi angka terhingga (diterima: '%(raw)s')."), raw=raw[:60])
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ViewError(N_("Bujur (west, east) pada bbox harus antara -180 dan 180."))
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ViewError(N_("Lintang (south, north) pada bbox harus antara -90 dan 90."))
    if west >= east:
        raise ViewError(N_("Pada bbox, west (%(west)s) harus lebih kecil dari east (%(east)s)."),
                        west=parts[0], east=parts[2])
    if south >= north:
        raise ViewError(N_("Pada bbox, south (%(south)s) harus lebih kecil dari north (%(north)s)."),
                        south=parts[1], north=parts[3])
    return BBox(west, south, east, north)


def parse_zoom(raw: Optional[str], default: int = 10) -> int:
    """Zoom level 0–22 (integer; a fractional zoom from a map is rounded down)."""
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or not MIN_ZOOM <= value <= MAX_ZOOM:
        raise ViewError(N_("Parameter zoom harus angka antara %(low)d dan %(high)d (diterima: '%(raw)s')."),
                        low=MIN_ZOOM, high=MAX_ZOOM, raw=raw[:20])
    return int(value)


def degrees_per_pixel(zoom: int) -> float:
    """Longitude degrees covered by one screen pixel at `zoom` (Web Mercator, 256 px tiles)."""
    return 360.0 / (TILE_PX * 2 ** zoom)


def zoom_to_fit(west: float, south: float, east: float, north: float, width_px: int = 1000,
                height_px: int = 620) -> int:
    """The largest zoom at which the box fits a map of about width x height pixels."""
    span_lng = max(east - west, 1e-6)
    lat_rad = [math.radians(max(min(v, 85.0), -85.0)) for v in (south, north)]
    merc = [math.log(math.tan(math.pi / 4 + v / 2)) for v in lat_rad]
    span_merc = max(merc[1] - merc[0], 1e-9)
    z_lng = math.log2(width_px * 360.0 / (TILE_PX * span_lng))
    z_lat = math.log2(height_px * 2 * math.pi / (TILE_PX * span_merc))
    return max(MIN_ZOOM, min(18, int(math.floor(min(z_lng, z_lat)))))


@dataclass
class Extent:
    """A growing bounding box (None until a point or box is added)."""

    west: float = field(default=math.inf)
    south: float = field(default=math.inf)
    east: float = field(default=-math.inf)
    north: float = field(default=-math.inf)

    def add_box(self, west: float, south: float, east: float, north: float) -> None:
        self.west, self.south = min(self.west, west), min(self.south, south)
        self.east, self.north = max(self.east, east), max(self.north, north)

    def add_point(self, lat: float, lng: float) -> None:
        self.add_box(lng, lat, lng, lat)

    @property
    def empty(self) -> bool:
        return not math.isfinite(self.west)

    def as_bounds(self, min_span: float = 0.02) -> Optional[list[list[float]]]:
        """[[south, west], [north, east]] (Leaflet order), widened to at least `min_span` degrees."""
        if self.empty:
            return None
        west, south, east, north = self.west, self.south, self.east, self.north
        if east - west < min_span:
            mid = (east + west) / 2
            west, east = mid - min_span / 2, mid + min_span / 2
        if north - south < min_span:
            mid = (north + south) / 2
            south, north = mid - min_span / 2, mid + min_span / 2
        return [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]]
