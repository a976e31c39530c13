"""Folium map shells: the map, its background tiles, empty overlay groups, a layer control and the view.

No data goes into the page: `static/js/maps.js` fills the overlay groups from /api/v1/map/* for the
current view. Folium's default JS/CSS (Leaflet, jQuery, Bootstrap 3 glyphicons, Font Awesome and
awesome-markers, all from CDNs) are replaced per map by Leaflet served by the app itself: a map needs
nothing else (clustering happens on the server, markers are canvas circles).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import folium
from branca.element import CssLink, JavascriptLink
from markupsafe import Markup


@dataclass
class Overlay:
    key: str
    title: str
    show: bool = True


@dataclass
class MapShell:
    head: Markup
    html: Markup
    script: Markup
    map_name: str
    tile_name: Optional[str]
    groups: dict = field(default_factory=dict)


def build_shell(*, js: Sequence[tuple[str, str]], css: Sequence[tuple[str, str]], center: Sequence[float],
                zoom: int, bounds: Optional[list] = None, tile_url: Optional[str] = None,
                tile_attribution: str = "", tile_title: str = "", overlays: Sequence[Overlay] = (),
                max_zoom: int = 19) -> MapShell:
    """A Folium map whose every script and stylesheet is one of `js` / `css` (name, URL) pairs.

    `bounds` ([[south, west], [north, east]]) fits the first view; `center`/`zoom` apply without it.
    The tile layer is an overlay that can be switched off (a plain background prints well too).
    """
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True, control_scale=True,
                   width="100%", height="100%", max_zoom=max_zoom, min_zoom=5)
    # Per-map lists shadow folium's class-level CDN defaults (folium 0.20: JSCSSMixin.default_js/default_css).
    m.default_js = list(js)
    m.default_css = list(css)
    tile_name = None
    if tile_url:
        tiles = folium.TileLayer(tiles=tile_url, attr=tile_attribution or " ", name=tile_title or "tiles",
                                 overlay=True, control=True, show=True, max_zoom=max_zoom, max_native_zoom=19)
        tiles.add_to(m)
        tile_name = tiles.get_name()
    groups = {}
    for overlay in overlays:
        group = folium.FeatureGroup(name=overlay.title, overlay=True, control=True, show=overlay.show)
        group.add_to(m)
        groups[overlay.key] = group.get_name()
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    if bounds:
        m.fit_bounds(bounds)
    root = m.get_root()
    root.render()
    # Only the asset links of the header: folium's own header also pins html/body to 100% height and
    # forbids pinch zoom (user-scalable=no), which the app's layout and its users do not want.
    links = [child.render() for child in root.header._children.values()
             if isinstance(child, (JavascriptLink, CssLink))]
    return MapShell(head=Markup("\n".join(links)), html=Markup(root.html.render()),
                    script=Markup(root.script.render()), map_name=m.get_name(), tile_name=tile_name, groups=groups)
