"""Coverage maps: Folium map shells whose data layers are fetched per view from /api/v1/map/*.

Pure modules (no Flask): `bbox` (parsing/validating a view), `classes` (ColorBrewer colour classes and
breaks), `clustering` (server-side grid clusters per zoom), `geometry` (per-process boundary index and
polygon simplification per zoom, cached), `geojson` (FeatureCollection text). Database side: `queries`.
Folium page builders: `builders`. Views: `routes`; the data endpoints live in `outreach/api/maps.py`.
"""
from flask import Blueprint

bp = Blueprint("maps", __name__)

from outreach.maps import routes  # noqa: E402,F401
