// Site form: pick the point on a small map or type it. Clicking (or dragging the marker) fills the
// lat/lng inputs; typing moves the marker. The chosen desa's boundary is drawn (fetched from
// /wilayah/<kode>/batas.json) and the page warns when the point lies outside it. The server checks
// everything again on save; this is only a help while typing.
(function () {
  "use strict";
  var el = document.getElementById("site-picker");
  var form = document.getElementById("site-form");
  if (!el || !form) { return; }
  var latInput = form.elements.lat, lngInput = form.elements.lng;
  var desaSelect = form.elements.desa_kode, typeSelect = form.elements.type;
  var status = document.getElementById("picker-status");
  var data = JBMap.readJson("site-picker-data");
  var boundary = null, boundaryLayer = null, marker = null, desaName = "";

  setupTypeFields();
  setupDesaFilter();
  if (typeof L === "undefined") { return; }  // no map library: the inputs still work

  var tilesNote = document.getElementById("picker-tiles-note");
  var map = JBMap.baseMap(el, data, function () { tilesNote.textContent = el.dataset.msgTilesFailed; });
  var initial = readPoint();
  if (initial) { map.setView(initial, 16); placeMarker(initial); }
  else { map.setView([data.start.lat, data.start.lng], 11); }
  loadBoundary(true);

  map.on("click", function (e) { setPoint(e.latlng); });
  [latInput, lngInput].forEach(function (input) {
    input.addEventListener("input", function () {
      var p = readPoint();
      if (p) { placeMarker(p); map.panTo(p); }
      check();
    });
  });
  desaSelect.addEventListener("change", function () { loadBoundary(true); });

  function readPoint() {
    var lat = parseFloat(String(latInput.value).replace(",", "."));
    var lng = parseFloat(String(lngInput.value).replace(",", "."));
    if (isNaN(lat) || isNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) { return null; }
    return L.latLng(lat, lng);
  }

  function setPoint(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lngInput.value = latlng.lng.toFixed(6);
    placeMarker(latlng);
    check();
  }

  function placeMarker(latlng) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, keyboard: false }).addTo(map);
      marker.on("dragend", function () { setPoint(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
  }

  function loadBoundary(fit) {
    if (boundaryLayer) { map.removeLayer(boundaryLayer); boundaryLayer = null; }
    boundary = null;
    desaName = "";
    var kode = desaSelect.value;
    if (!kode) { check(); return; }
    fetch(data.boundaryUrl.replace("KODE", encodeURIComponent(kode)), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (region) {
        if (!region || desaSelect.value !== kode) { return; }
        desaName = region.nama;
        boundary = region.boundary;
        var p = readPoint();
        if (boundary) {
          boundaryLayer = JBMap.boundaryLayer(boundary).addTo(map);
          if (fit || !p) {
            var b = boundaryLayer.getBounds();
            if (p) { b.extend(p); }
            map.fitBounds(b, { padding: [12, 12], maxZoom: 17 });
          }
        } else if (!p && region.lat !== null && region.lng !== null) {
          map.setView([region.lat, region.lng], 14);
        }
        check();
      })
      .catch(function () { check(); });
  }

  function check() {
    var p = readPoint();
    if (!p || !desaName) { show("", ""); return; }
    var inside = JBMap.pointInGeometry(p.lat, p.lng, boundary);
    if (inside === false) { show(el.dataset.msgOutside, "alert alert-warning py-1 px-2"); }
    else if (inside === true) { show(el.dataset.msgInside, "text-success"); }
    else { show(el.dataset.msgNoBoundary, "text-muted"); }
  }

  function show(message, cls) {
    status.className = "small mb-2 " + cls;
    status.textContent = message.replace("{desa}", desaName);
    status.dataset.state = cls.indexOf("alert") >= 0 ? "outside" : (cls === "text-success" ? "inside" : "");
  }

  // School fields only for schools (kept visible while they hold an error or a value to fix).
  function setupTypeFields() {
    var school = document.getElementById("school-fields");
    var hint = document.getElementById("rt-rw-hint");
    function update() {
      var isSchool = typeSelect.value === "sekolah";
      var needsAttention = school.querySelector(".is-invalid") !== null;
      school.classList.toggle("d-none", !isSchool && !needsAttention);
      hint.classList.toggle("fw-semibold", typeSelect.value === "rt_rw");
    }
    typeSelect.addEventListener("change", update);
    update();
  }

  // A filter box over a long desa list.
  function setupDesaFilter() {
    var box = document.getElementById("desa-filter");
    if (!box || desaSelect.options.length < 30) { return; }
    box.classList.remove("d-none");
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(desaSelect.querySelectorAll("optgroup"), function (group) {
        var any = false;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (opt) {
          var match = !needle || opt.selected || opt.textContent.toLowerCase().indexOf(needle) >= 0 ||
            group.label.toLowerCase().indexOf(needle) >= 0;
          opt.hidden = !match;
          any = any || match;
        });
        group.hidden = !any;
      });
    });
  }
})();
