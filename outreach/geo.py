"""Small geographic rules (no Flask): coordinate sanity, distance, point in boundary."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Optional

# Indonesia, generously: anything outside is certainly a typo.
INDONESIA_BBOX = (94.0, -11.5, 141.5, 6.5)  # west, south, east, north


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def in_indonesia(lat: float, lng: float) -> bool:
    west, south, east, north = INDONESIA_BBOX
    return south <= lat <= north and west <= lng <= east


def looks_swapped(lat: float, lng: float) -> bool:
    """True when (lat, lng) is impossible but (lng, lat) lies in Indonesia."""
    return not in_indonesia(lat, lng) and in_indonesia(lng, lat)


@lru_cache(maxsize=512)
def _prepared(geojson: str):
    from shapely import prepared
    from shapely.geometry import shape

    return prepared.prep(shape(json.loads(geojson)))


def point_in_boundary(lat: float, lng: float, geojson: Optional[str]) -> Optional[bool]:
    """Whether the point lies in the GeoJSON geometry; None when no boundary is known or it is unreadable."""
    if not geojson:
        return None
    from shapely.geometry import Point

    try:
        geom = _prepared(geojson)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return bool(geom.intersects(Point(lng, lat)))
