"""The naive map the map benchmark measures the app's map against: one folium.Marker with a popup per point,
every point in the page."""
from __future__ import annotations

from typing import Sequence

import folium


def naive_marker_page(points: Sequence[tuple[float, float, str]], *, js: Sequence[tuple[str, str]],
                      css: Sequence[tuple[str, str]], center: Sequence[float], zoom: int = 8) -> str:
    """The naive baseline of the benchmark: one folium.Marker with a popup per point, all in the page."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None)
    m.default_js = list(js)
    m.default_css = list(css)
    for lat, lng, name in points:
        folium.Marker([lat, lng], popup=folium.Popup(name, parse_html=True)).add_to(m)
    return m.get_root().render()
