// Coverage maps. Folium renders the map shell (Leaflet from the app's /vendor, tiles, empty
// overlay groups, layer control); this script fills the groups with GeoJSON for the current view from
// /api/v1/map/{regions,sites,sessions} and fetches again after a pan or zoom (debounced, the previous
// request aborted). Everything is drawn on the map's canvas (Folium's preferCanvas).
// Names are data: they reach the page only through textContent, never as markup.
(function () {
  "use strict";
  var cfgEl = document.getElementById("map-config");
  if (!cfgEl || typeof L === "undefined") { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var map = window[cfg.map];
  if (!map) { return; }
  var T = cfg.text;
  var groups = {};
  Object.keys(cfg.groups).forEach(function (k) { groups[k] = window[cfg.groups[k]]; });
  var form = document.getElementById("map-filters");
  var note = document.getElementById("map-note");

  var SITE_COLORS = { rt_rw: "#E69F00", balai_desa: "#0072B2", sekolah: "#009E73", kantor_kecamatan: "#CC79A7",
                      rumah: "#D55E00", lainnya: "#56B4E9" };  // Okabe–Ito: tells apart with colour-blindness
  var CATEGORY_COLORS = { upcoming: "#0072B2", done: "#009E73", overdue: "#D55E00", cancelled: "#7f7f7f" };

  var state = { metric: cfg.metric, scales: null, dataAsOf: null, loadedAt: null, pending: 0, loads: 0,
                errors: 0, counts: {}, last: {}, layers: {} };
  window.__mapState = state;
  window.__jbMap = { map: map, groups: groups, state: state };

  // One canvas for every layer (a canvas above another would take its clicks): polygons are kept at the
  // back of its drawing order, points and clusters above them.
  var renderer = map.getRenderer(L.polyline([[0, 0], [0, 0]]));
  var renderers = { regions: renderer, sites: renderer, sessions: renderer };

  var numberFormat = new Intl.NumberFormat(cfg.locale);
  var percentFormat = new Intl.NumberFormat(cfg.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var dateFormat = new Intl.DateTimeFormat(cfg.locale, { day: "numeric", month: "short", year: "numeric" });
  var timeFormat = new Intl.DateTimeFormat(cfg.locale, { hour: "2-digit", minute: "2-digit" });

  // ------------------------------------------------------------ small helpers

  function fmt(v) { return v === null || v === undefined ? "–" : numberFormat.format(v); }
  function fmtPct(v) { return v === null || v === undefined ? "–" : percentFormat.format(v) + "%"; }
  function fmtDate(iso) {
    if (!iso) { return "–"; }
    var p = iso.split("-");
    return dateFormat.format(new Date(+p[0], +p[1] - 1, +p[2]));
  }
  function subst(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  function link(template, key, value) { return template.replace(key, encodeURIComponent(value)); }

  // el("a", {href: ...}, ["text", node]): strings become text nodes (never parsed as HTML).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { node.className = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function figureTable(rows) {
    return el("table", {}, [el("tbody", {}, rows.filter(Boolean).map(function (r) {
      return el("tr", {}, [el("td", {}, [r[0]]), el("td", {}, [r[1]])]);
    }))]);
  }
  function say(text) { if (note) { note.textContent = text || ""; } }

  // ------------------------------------------------------------ filters and view

  function filters() {
    var out = { status: [], type: "", from: "", to: "" };
    if (!form) { return out; }
    form.querySelectorAll("input[name=status]").forEach(function (i) { if (i.checked) { out.status.push(i.value); } });
    var type = form.querySelector("[name=type]");
    var from = form.querySelector("[name=date_from]");
    var to = form.querySelector("[name=date_to]");
    out.type = type ? type.value : "";
    out.from = from ? from.value : "";
    out.to = to ? to.value : "";
    if (out.from && out.to && out.to < out.from) { out.to = ""; }
    return out;
  }

  // The view rounded outwards to a grid of half tiles: small pans ask for the same URL (browser cache, ETag).
  function viewBox(zoom) {
    var b = map.getBounds().pad(0.2);
    var step = 180 / Math.pow(2, zoom);
    function down(v) { return Math.floor(v / step) * step; }
    function up(v) { return Math.ceil(v / step) * step; }
    return [Math.max(-180, down(b.getWest())), Math.max(-85, down(b.getSouth())),
            Math.min(180, up(b.getEast())), Math.min(85, up(b.getNorth()))].map(function (v) { return +v.toFixed(5); });
  }
  function covers(box, bounds) {
    return box[0] <= bounds.getWest() && box[1] <= bounds.getSouth() && box[2] >= bounds.getEast() &&
           box[3] >= bounds.getNorth();
  }
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  // The coloured level follows the zoom: kabupaten/kota for a country or an island, kecamatan from
  // cfg.kecamatanZoom on, desa from cfg.desaZoom on (or always, on a map filtered to an area).
  function regionLevel(zoom) {
    if (cfg.lockDesa || zoom >= cfg.desaZoom) { return "desa"; }
    return zoom >= cfg.kecamatanZoom ? "kecamatan" : "kabupaten";
  }
  var OUTLINE_OF = { desa: "kecamatan", kecamatan: "kabupaten", kabupaten: "provinsi" };

  // ------------------------------------------------------------ fetching

  var controllers = {};
  function load(name, params, draw, force, endpoint) {
    var zoom = map.getZoom();
    var box = viewBox(zoom);
    var key = query(params);
    var last = state.last[name];
    if (!force && last && last.key === key && covers(last.box, map.getBounds())) { return; }
    if (controllers[name]) { controllers[name].abort(); }
    var ctrl = new AbortController();
    controllers[name] = ctrl;
    params.bbox = box.join(",");
    state.pending += 1;
    var url = cfg.endpoints[endpoint || name] + "?" + query(params);
    fetch(url, { credentials: "same-origin", signal: ctrl.signal, headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body && body.message ? body.message : String(r.status)); }
          return body;
        });
      })
      .then(function (data) {
        if (ctrl.signal.aborted) { return; }
        state.last[name] = { key: key, box: box };
        draw(data);
        state.loadedAt = new Date();
        state.loads += 1;
        updateLegend();
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") { return; }
        state.errors += 1;
        say(subst(T.loadFailed, { error: err && err.message ? err.message : String(err) }));
        if (name === "regions" && !started) { refreshPoints(true); }
      })
      .then(function () {
        state.pending -= 1;
        if (controllers[name] === ctrl) { delete controllers[name]; }
      });
  }

  // The first view asks for the polygons alone and the points once they are drawn: on a 2-core laptop
  // the three answers would otherwise compete for the server and delay the first picture.
  var started = false;
  function refresh(force) {
    var zoom = map.getZoom();
    if (map.hasLayer(groups.regions)) {
      load("regions", { level: regionLevel(zoom), zoom: zoom, area: cfg.area || "" }, drawRegions, force === true);
    }
    if (started || !map.hasLayer(groups.regions)) {
      refreshOutlines(force);
      refreshPoints(force);
    }
  }
  // Thin outlines of the level above the coloured one (provinces over kabupaten, kabupaten over kecamatan,
  // kecamatan over desa).
  function refreshOutlines(force) {
    if (!map.hasLayer(groups.regions)) { return; }
    var zoom = map.getZoom();
    var level = OUTLINE_OF[regionLevel(zoom)];
    load("outlines", { level: level, zoom: zoom, area: cfg.area || "" }, drawOutlines, force === true, "regions");
  }
  // Below cfg.pointsZoom (a country, an island) sites and sessions would be a few big clusters hiding the
  // coloured areas: they are left out until the person zooms in.
  function clearPoints(name) {
    if (controllers[name]) { controllers[name].abort(); }
    groups[name].clearLayers();
    if (state.layers[name]) { state.layers[name].clearLayers(); }
    state.last[name] = null;
    state.counts[name] = 0;
  }
  function refreshPoints(force) {
    started = true;
    var zoom = map.getZoom();
    state.pointsHidden = zoom < cfg.pointsZoom;
    if (state.pointsHidden) {
      clearPoints("sites");
      clearPoints("sessions");
      updateLegend();
      return;
    }
    var f = filters();
    if (map.hasLayer(groups.sites)) {
      load("sites", { zoom: zoom, area: cfg.area || "", type: f.type }, drawSites, force === true);
    }
    if (map.hasLayer(groups.sessions) && !f.status.length) {  // no status ticked: no session to show
      if (controllers.sessions) { controllers.sessions.abort(); }
      groups.sessions.clearLayers();
      state.last.sessions = null;
      state.counts.sessions = 0;
      state.counts.sessionClusters = 0;
    } else if (map.hasLayer(groups.sessions)) {
      load("sessions", { zoom: zoom, area: cfg.area || "", type: f.type, status: f.status.join(","),
                         from: f.from, to: f.to }, drawSessions, force === true);
    }
  }

  // ------------------------------------------------------------ regions

  function regionFill(p) {
    var scale = state.scales && state.scales[state.metric];
    if (!scale) { return "#d9d9d9"; }
    var index = state.metric === "percent_recorded" ? p.pc : p.rb;
    return index === null || index === undefined ? scale.no_data : scale.colors[index];
  }
  function regionStyle(feature) {
    var p = feature.properties;
    return { color: p.level === "desa" ? "#6c6c6c" : "#3d3d3d",
             weight: p.level === "desa" ? 0.6 : 1, opacity: 0.9, fillColor: regionFill(p), fillOpacity: 0.6 };
  }
  function regionName(p) { return (cfg.kinds[p.kind] || "") + " " + p.nama; }
  function regionPopup(p) {
    var links = [el("a", { href: link(cfg.links.region, "__KODE__", p.kode) }, [T.openArea])];
    if (p.level === "kecamatan") {
      links.push(el("a", { href: link(cfg.links.kecamatanMap, "__KODE__", p.kode) }, [T.kecamatanMap]));
    }
    if ((p.level === "kecamatan" || p.level === "kabupaten") && !cfg.area) {
      links.push(el("a", { href: link(cfg.links.areaMap, "__KODE__", p.kode) }, [T.filterArea]));
    }
    return el("div", { class: "jb-popup", "data-kode": p.kode }, [
      el("div", { class: "jb-popup-title" }, [regionName(p)]),
      el("div", { class: "text-muted small" }, [p.kode]),
      figureTable([
        [T.percent_recorded, fmtPct(p.percent_recorded)],
        [T.wajib_ktp, fmt(p.wajib_ktp)],
        [T.sudah_rekam, fmt(p.sudah_rekam)],
        p.recorded_since ? [T.recorded_since, fmt(p.recorded_since)] : null,
        [T.backlog, fmt(p.backlog)],
        [T.known_away, fmt(p.known_away)],
        [T.reachable_backlog, fmt(p.reachable_backlog)]
      ]),
      el("div", { class: "small text-muted" }, [p.as_of ? subst(T.dataAsOf, { date: fmtDate(p.as_of) }) : T.noData]),
      el("div", { class: "jb-links" }, links)
    ]);
  }
  function drawRegions(data) {
    state.scales = data.meta.scales;
    state.dataAsOf = data.meta.data_as_of;
    var layer = L.geoJSON(data, {
      renderer: renderers.regions,
      style: regionStyle,
      pointToLayer: function (f, latlng) {  // a region without boundary: its centroid
        return L.circleMarker(latlng, { renderer: renderers.regions, radius: 8 });
      },
      onEachFeature: function (f, l) {
        l.bindPopup(function () { return regionPopup(f.properties); }, { maxWidth: 320 });
        l.bindTooltip(function () { return el("span", {}, [regionName(f.properties)]); }, { sticky: true });
      }
    });
    if (state.layers.regions) { groups.regions.removeLayer(state.layers.regions); }
    groups.regions.addLayer(layer);
    layer.bringToBack();
    state.layers.regions = layer;
    state.counts.regions = data.features.length;
    state.counts.level = data.meta.level;
    markReady();
    if (!started) {
      refreshOutlines(true);
      refreshPoints(true);
    }
  }
  function drawOutlines(data) {
    var layer = L.geoJSON(data, {
      renderer: renderers.regions, interactive: false,
      filter: function (f) { return f.geometry.type !== "Point"; },
      style: function () { return { color: "#1f1f1f", weight: 1.8, opacity: 0.85, fill: false, interactive: false }; }
    });
    if (state.layers.outlines) { groups.regions.removeLayer(state.layers.outlines); }
    groups.regions.addLayer(layer);
    layer.bringToBack();  // above the coloured polygons, below every point
    if (state.layers.regions) { state.layers.regions.bringToBack(); }
    state.layers.outlines = layer;
    state.counts.outlines = layer.getLayers().length;
  }
  function restyleRegions() {
    if (state.layers.regions) { state.layers.regions.setStyle(regionStyle); }
    updateLegend();
  }

  function markReady() {
    if (window.__mapReady) { return; }
    window.requestAnimationFrame(function () { window.__mapReady = window.__mapReady || performance.now(); });
  }

  // ------------------------------------------------------------ points and clusters

  // A cluster: a disc sized by its count with the count on it (sites), or a ring around the same spot
  // with the count in a badge at its lower right (sessions), so both read where they overlap.
  function clusterLayer(feature, latlng, renderer, unit, ring) {
    var p = feature.properties;
    var size = Math.round(Math.min(46, 16 + 5 * Math.log(p.count)));
    var radius = ring ? size / 2 + 7 : size / 2;
    var circle = L.circleMarker(latlng, ring
      ? { renderer: renderer, radius: radius, color: "#0b4f8a", weight: 3, opacity: 0.9, fill: true,
          fillOpacity: 0 }
      : { renderer: renderer, radius: radius, color: "#fff", weight: 2, fillColor: "#4d4d4d", fillOpacity: 0.85 });
    var offset = ring ? Math.round(radius * 0.7) : 0;
    var label = L.marker(latlng, { interactive: false, keyboard: false,
                                   icon: L.divIcon({ className: ring ? "jb-cluster-badge" : "jb-cluster-label",
                                                     iconSize: ring ? null : [size, size],
                                                     iconAnchor: ring ? [-offset + 4, -offset + 4] : [size / 2, size / 2],
                                                     html: "<span></span>" }) });
    label.on("add", function () {
      var span = label.getElement() && label.getElement().querySelector("span");
      if (span) { span.textContent = numberFormat.format(p.count); }
    });
    circle.bindTooltip(function () {
      var lines = Object.keys(p.by).map(function (k) { return (unit[k] || k) + ": " + fmt(p.by[k]); });
      var title = subst(T.cluster, { n: fmt(p.count) }) + " (" + (ring ? T.sessions : T.sites).toLowerCase() + ")";
      return el("div", {}, [el("strong", {}, [title])].concat(
        lines.map(function (t) { return el("div", {}, [t]); })).concat([el("div", { class: "text-muted" }, [T.clusterHint])]));
    });
    circle.on("click", function () {
      var b = p.bounds;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: Math.min(map.getZoom() + 3, 18) });
    });
    circle.jbCluster = true;
    return L.featureGroup([circle, label]);
  }

  function sessionLink(s) {
    if (!s) { return T.none; }
    var text = fmtDate(s.date) + " · " + (cfg.statuses[s.status] || s.status);
    return cfg.links.session ? el("a", { href: link(cfg.links.session, "__ID__", s.id) }, [text]) : text;
  }
  function sitePopup(p) {
    var children = [
      el("div", { class: "jb-popup-title" }, [p.nama]),
      el("div", { class: "text-muted small" }, [(cfg.siteTypes[p.type] || p.type) + " · " + (p.desa_nama || p.desa_kode) +
                                               (p.approximate ? " · " + T.approximate : "")]),
      el("table", {}, [el("tbody", {}, [
        el("tr", {}, [el("td", {}, [T.lastSession]), el("td", {}, [sessionLink(p.last_session)])]),
        el("tr", {}, [el("td", {}, [T.nextSession]), el("td", {}, [sessionLink(p.next_session)])])
      ])]),
      el("div", { class: "jb-links" }, [el("a", { href: link(cfg.links.site, "__ID__", p.id) }, [T.openSite])])
    ];
    if (cfg.canPlan && cfg.links.newSession) {
      children.push(el("a", { class: "btn btn-sm btn-success text-white jb-schedule", "data-testid": "schedule-here",
                              href: link(cfg.links.newSession, "__ID__", p.id) }, [T.schedule]));
    }
    return el("div", { class: "jb-popup", "data-site-id": String(p.id) }, children);
  }
  function drawSites(data) {
    var clusters = 0;
    var layer = L.geoJSON(data, {
      pointToLayer: function (f, latlng) {
        if (f.properties.cluster) { clusters += 1; return clusterLayer(f, latlng, renderers.sites, cfg.siteTypes, false); }
        // A white ring sets the sites apart from the shaded areas under them (whose blues the balai desa share).
        var m = L.circleMarker(latlng, { renderer: renderers.sites, radius: 5.5, color: "#ffffff", weight: 2,
                                         fillColor: SITE_COLORS[f.properties.type] || "#999", fillOpacity: 1 });
        m.bindPopup(function () { return sitePopup(f.properties); }, { maxWidth: 320 });
        m.bindTooltip(function () { return el("span", {}, [f.properties.nama]); });
        m.jbSiteId = f.properties.id;
        return m;
      }
    });
    groups.sites.clearLayers();
    groups.sites.addLayer(layer);
    state.layers.sites = layer;
    state.counts.sites = data.features.length - clusters;
    state.counts.siteClusters = clusters;
    state.counts.sitesInView = data.meta.count;
  }

  function sessionPopup(p) {
    var when = fmtDate(p.date) + (p.end_date && p.end_date !== p.date ? " – " + fmtDate(p.end_date) : "") +
               ", " + p.start + "–" + p.end;
    var links = [];
    if (cfg.links.session) { links.push(el("a", { href: link(cfg.links.session, "__ID__", p.id) }, [T.openSession])); }
    links.push(el("a", { href: link(cfg.links.site, "__ID__", p.site_id) }, [T.openSite]));
    return el("div", { class: "jb-popup", "data-session-id": String(p.id) }, [
      el("div", { class: "jb-popup-title" }, [p.site_nama]),
      el("div", { class: "small" }, [when]),
      figureTable([
        [T.statusSession, (cfg.categories[p.category] || p.category) + " (" + (cfg.statuses[p.status] || p.status) + ")"],
        [T.team, p.team_nama],
        [T.kind, cfg.sessionKinds[p.kind] || p.kind],
        [T.expected, fmt(p.expected_turnout)]
      ]),
      el("div", { class: "jb-links" }, links)
    ]);
  }
  function drawSessions(data) {
    var clusters = 0;
    var layer = L.geoJSON(data, {
      pointToLayer: function (f, latlng) {
        if (f.properties.cluster) { clusters += 1; return clusterLayer(f, latlng, renderers.sessions, cfg.categories, true); }
        var m = L.circleMarker(latlng, { renderer: renderers.sessions, radius: 9, weight: 3,
                                         color: CATEGORY_COLORS[f.properties.category] || "#333",
                                         fillColor: "#ffffff", fillOpacity: 0.05 });
        m.bindPopup(function () { return sessionPopup(f.properties); }, { maxWidth: 320 });
        m.bindTooltip(function () { return el("span", {}, [f.properties.site_nama]); });
        m.jbSessionId = f.properties.id;
        return m;
      }
    });
    groups.sessions.clearLayers();
    groups.sessions.addLayer(layer);
    // Sites stay above the session rings around them: a click on a site's dot opens the site.
    if (state.layers.sites && map.hasLayer(groups.sites)) { state.layers.sites.bringToFront(); }
    state.layers.sessions = layer;
    state.counts.sessions = data.features.length - clusters;
    state.counts.sessionClusters = clusters;
    state.counts.sessionsInView = data.meta.count;
  }

  // ------------------------------------------------------------ legend

  var legend = L.control({ position: "bottomright" });
  // A <details> box: open on a wide map, folded (title only) on a phone; the reader can toggle it.
  var legendBody = null;
  legend.onAdd = function () {
    var box = L.DomUtil.create("details", "jb-legend");
    box.setAttribute("data-testid", "map-legend");
    if (map.getSize().x >= 700) { box.open = true; }
    box.appendChild(el("summary", {}, [T.legend]));
    legendBody = el("div", { class: "jb-legend-body" }, []);
    box.appendChild(legendBody);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
  // Keep the area clear of the legend on a wide map (Folium fitted the view to the whole map).
  if (cfg.bounds && map.getSize().x >= 900) {
    map.fitBounds(cfg.bounds, { paddingTopLeft: [20, 20], paddingBottomRight: [250, 20], animate: false });
  }

  function rangeText(row, metric) {
    var pct = metric === "percent_recorded";
    function v(x) { return pct ? percentFormat.format(x) : numberFormat.format(x); }
    var unit = pct ? "%" : "";
    if (row.low === null && row.high === null) { return pct ? "" : "0+"; }
    if (row.low === null) { return (pct || row.high > 1 ? "< " + v(row.high) : v(0)) + unit; }
    if (row.high === null) { return "≥ " + v(row.low) + unit; }
    if (!pct && row.high - row.low === 1) { return v(row.low); }
    return v(row.low) + " – " + (pct ? v(row.high) : v(row.high - 1)) + unit;
  }
  function swatchList(items, kind, columns) {
    return el("ul", columns ? { class: "jb-legend-cols" } : {}, items.map(function (it) {
      var mark = el("span", { class: kind }, []);
      if (kind === "jb-ring") { mark.style.borderColor = it[0]; } else { mark.style.background = it[0]; }
      return el("li", {}, [mark, it[1]]);
    }));
  }
  function updateLegend() {
    var div = legendBody;
    if (!div) { return; }
    var children = [el("h2", {}, [T[state.metric]])];
    var scale = state.scales && state.scales[state.metric];
    if (scale) {
      var rows = scale.legend.map(function (r) { return [r.color, rangeText(r, state.metric)]; });
      rows.push([scale.no_data, T.noData]);
      children.push(swatchList(rows, "jb-swatch"));
    }
    if (state.pointsHidden) {
      children.push(el("p", { class: "small mb-1", "data-testid": "points-hidden" }, [T.zoomForPoints]));
    } else if (map.hasLayer(groups.sites)) {
      children.push(el("h3", {}, [T.sites]));
      children.push(swatchList(Object.keys(SITE_COLORS).map(function (k) {
        return [SITE_COLORS[k], (cfg.siteTypes[k] || k).split(" (")[0]];  // the short name; popups give the full one
      }), "jb-dot", true));
    }
    if (!state.pointsHidden && map.hasLayer(groups.sessions)) {
      children.push(el("h3", {}, [T.statusSession]));
      children.push(swatchList(Object.keys(CATEGORY_COLORS).map(function (k) {
        return [CATEGORY_COLORS[k], cfg.categories[k].split(" (")[0]];
      }), "jb-ring", true));
    }
    var asOf = [];
    if (state.dataAsOf) { asOf.push(subst(T.dataAsOf, { date: fmtDate(state.dataAsOf) })); }
    if (state.loadedAt) { asOf.push(subst(T.loadedAt, { time: timeFormat.format(state.loadedAt) })); }
    if (asOf.length) { children.push(el("div", { class: "jb-asof", "data-testid": "legend-as-of" }, [asOf.join(", ")])); }
    div.replaceChildren.apply(div, children);
  }

  // ------------------------------------------------------------ tiles, events, start

  var tiles = cfg.tiles ? window[cfg.tiles] : null;
  if (tiles) {
    var tileFailed = false;
    tiles.on("tileerror", function () {
      if (tileFailed) { return; }
      tileFailed = true;
      map.getContainer().classList.add("jb-no-tiles");
      say(T.tilesFailed);
    });
  }

  var timer = null;
  map.on("moveend", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  map.on("overlayadd", function () { refresh(); updateLegend(); });
  map.on("overlayremove", function () { updateLegend(); });

  function replaceUrl() {
    if (!form || !window.history.replaceState) { return; }
    var params = new URLSearchParams(new FormData(form));
    if (!params.get("area")) { params.delete("area"); }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }
  if (form) {
    form.addEventListener("change", function (e) {
      var t = e.target;
      if (t.name === "area") { form.submit(); return; }
      if (t.name === "metric") { state.metric = t.value; restyleRegions(); replaceUrl(); return; }
      if (t.name === "date_from" || t.name === "date_to" || t.name === "status" || t.name === "type") {
        replaceUrl();
        refreshPoints(true);
      }
    });
  }

  updateLegend();
  refresh(true);
})();
