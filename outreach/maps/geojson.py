"""GeoJSON text for the map endpoints (pure Python).

Geometries arrive as ready GeoJSON text (cached per zoom bucket), so a FeatureCollection is assembled
by joining strings instead of parsing and re-serialising thousands of polygons on every request.
Names stay data (JSON-escaped, never HTML-escaped): the browser puts them in the page as text.
"""
from __future__ import annotations

import json
from typing import Iterable, Optional

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def dumps(value) -> str:
    return _ENCODER.encode(value)


def point_geometry(lng: float, lat: float, decimals: int = 6) -> str:
    return '{"type":"Point","coordinates":[%s,%s]}' % (_num(lng, decimals), _num(lat, decimals))


def _num(value: float, decimals: int) -> str:
    text = f"{round(float(value), decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def feature(geometry: str, properties: dict, feature_id: Optional[str] = None) -> str:
    head = '{"type":"Feature"' + (',"id":' + dumps(feature_id) if feature_id is not None else "")
    return head + ',"geometry":' + geometry + ',"properties":' + dumps(properties) + "}"


def feature_collection(features: Iterable[str], meta: dict) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + '],"meta":' + dumps(meta) + "}"
