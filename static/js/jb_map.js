// Shared map helpers (Leaflet from the app's own /vendor): base map whose vector layers stay
// visible when tiles cannot be loaded, boundary layer, point-in-boundary test.
(function (global) {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  // A map on a plain background; tiles are an optional layer on top.
  function baseMap(el, settings, onTilesFailed) {
    var map = L.map(el, { scrollWheelZoom: false });
    if (settings.tileUrl) {
      var failed = false;
      var tiles = L.tileLayer(settings.tileUrl, { maxZoom: 19, attribution: settings.attribution || "" });
      tiles.on("tileerror", function () {
        if (!failed) { failed = true; if (onTilesFailed) { onTilesFailed(); } }
      });
      tiles.addTo(map);
    }
    return map;
  }

  function boundaryLayer(geometry) {
    return L.geoJSON(geometry, {
      style: { color: "#198754", weight: 2, fillColor: "#198754", fillOpacity: 0.08 },
      interactive: false
    });
  }

  // Ray casting on one ring of [lng, lat] positions.
  function inRing(lat, lng, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function inPolygon(lat, lng, rings) {
    if (!rings.length || !inRing(lat, lng, rings[0])) { return false; }
    for (var k = 1; k < rings.length; k++) { if (inRing(lat, lng, rings[k])) { return false; } }
    return true;
  }

  // true / false, or null when the geometry is missing or of an unknown kind.
  function pointInGeometry(lat, lng, geometry) {
    if (!geometry) { return null; }
    if (geometry.type === "Feature") { return pointInGeometry(lat, lng, geometry.geometry); }
    if (geometry.type === "Polygon") { return inPolygon(lat, lng, geometry.coordinates); }
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.some(function (p) { return inPolygon(lat, lng, p); });
    }
    return null;
  }

  // A text-only label (names may contain HTML: never insert them as markup).
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  global.JBMap = { readJson: readJson, baseMap: baseMap, boundaryLayer: boundaryLayer,
                   pointInGeometry: pointInGeometry, textNode: textNode };
})(window);
