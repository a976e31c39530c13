"""Coverage maps: Folium map shells whose data layers are fetched per view from /api/v1/map/*.

Pure modules (no Flask): `bbox` (parsing/validating a view), `classes` (ColorBrewer colour classes and
breaks), `clustering` (server-side grid clusters per zoom), `geometry` (polygon simplification per zoom,
and the per-process boundary index kept as a fallback), `geojson` (FeatureCollection text). Database side:
`queries`, and `shapes` (the simplified boundaries per zoom in table region_shape, shared by every worker).
Folium page builders: `builders`. Views: `routes`; the data endpoints live in `outreach/api/maps.py`.
"""
from flask import Blueprint

bp = Blueprint("maps", __name__)

from outreach.maps import routes  # noqa: E402,F401
