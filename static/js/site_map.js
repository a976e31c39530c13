// Site detail: the site as a vector marker and its desa boundary, shown even without tiles.
(function () {
  "use strict";
  var el = document.getElementById("site-map");
  if (!el || typeof L === "undefined") { return; }
  var data = JBMap.readJson("site-map-data");
  var note = document.getElementById("site-map-note");
  var map = JBMap.baseMap(el, data, function () { note.textContent = el.dataset.tilesFailed; });
  var point = L.latLng(data.lat, data.lng);
  var boundary = data.boundary ? JBMap.boundaryLayer(data.boundary) : null;
  // The view first: vector layers need it before they can be drawn.
  if (boundary) {
    map.fitBounds(boundary.getBounds().extend(point), { padding: [16, 16], maxZoom: 17 });
    boundary.addTo(map);
  } else {
    map.setView(point, 16);
  }
  if (data.approximate) {
    L.circle(point, { radius: 150, color: "#fd7e14", weight: 1, dashArray: "4 4", fillOpacity: 0.05,
                      interactive: false }).addTo(map);
  }
  L.circleMarker(point, {
    radius: 9, weight: 3, color: "#fff", fillColor: data.approximate ? "#fd7e14" : "#dc3545", fillOpacity: 1
  }).bindTooltip(JBMap.textNode(data.label)).addTo(map);
})();
