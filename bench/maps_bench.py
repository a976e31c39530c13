"""Benchmark of the coverage maps at province scale, against a naive Folium page. Prints name=value lines.

    .venv/bin/python bench/maps_bench.py [--data DIR] [--runs 5] [--skip-naive] [--database-url postgresql://...]

Builds a fresh database (SQLite in a temporary directory; or the given PostgreSQL database, which is
EMPTIED first) from the real Jawa Tengah regions and boundaries in ../shared/data, imported with the app's
own import code (35 kabupaten, 576 kecamatan, 8,563 desa), made-up SIAK targets and known-away counts per
desa, 60,000 generated sites (near desa centroids) and 20,000 generated sessions. Then serves the app on
127.0.0.1 (werkzeug in a thread) and drives headless Chromium (Debian's /usr/bin/chromium; every request
that leaves 127.0.0.1 is aborted, so background tiles fail as they would offline) to measure, as a
province manager:

- map_paint_ms: /peta opened until the first data layer is drawn (`window.__mapReady`, ms after navigation
  start), median over --runs page loads, each in a fresh browser context whose library assets (Leaflet,
  Bootstrap) were cached by an earlier visit, as on an office laptop that used the app before;
- map_bytes: bytes on the wire for the page and its first data (document, app CSS/JS, the three GeoJSON
  answers; gzip by Flask-Compress), with library assets cached (library_bytes shows they were);
- map_heap_mb: JS heap in use once the map is drawn (CDP Runtime.getHeapUsage), and after a forced GC;
- pan_ms: server time of pan/zoom data requests (regions, sites, sessions for a series of views around the
  province, each view new to the server), median and p95, measured in-process with Flask's test client.

The naive baseline is a Folium page with one folium.Marker (and popup) per point for 10,000 sites, built
in Python, served by the same app, with the same measures (paint = first frame after the load event).
With --skip-naive it is left out. Without the data directory the benchmark prints skipped=... and exits 0.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, time as dtime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = Path("/usr/bin/chromium")
# Outside hosts fail to resolve (tiles fail as offline). Not page.route(): Playwright turns the HTTP cache
# off while routing, and the measure wants the library assets cached.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PASSWORD = "bench-maps-123"
SITE_TYPES = (("rt_rw", 45), ("balai_desa", 15), ("sekolah", 25), ("kantor_kecamatan", 1), ("rumah", 9),
              ("lainnya", 5))
GOALS = {"map_paint_ms_median": 1000, "map_bytes_median": 300 * 1024, "map_heap_mb_median": 30, "pan_ms_median": 150}


def out(name: str, value) -> None:
    print(f"{name}={value}", flush=True)


# ---------------------------------------------------------------- data

def fresh_app(url: str):
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def synthetic_targets(desa_codes: list[str]) -> bytes:
    """One made-up SIAK row per desa (deterministic): 85–99.9% recorded."""
    lines = ["kode,wajib_ktp,sudah_rekam,as_of"]
    for kode in desa_codes:
        h = int(hashlib.sha1(kode.encode()).hexdigest()[:8], 16)
        wajib = 1500 + h % 6000
        missing = int(wajib * ((h >> 8) % 150) / 1000)
        lines.append(f"{kode},{wajib},{wajib - missing},2026-09-15")
    return ("\n".join(lines) + "\n").encode()


def build_data(data_dir: Path, n_sites: int, n_sessions: int, seed: int) -> dict:
    """Regions and boundaries imported from data_dir; targets, known-away, sites, teams, sessions generated."""
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.imports.apply import ImportOptions, run_import
    from outreach.models import KnownAway, Kit, Region, Site, Team, User
    from outreach.models.planning import RecordingSession

    rng = random.Random(seed)
    timings = {}
    db.session.add(Region(kode="33", nama="Jawa Tengah", level="provinsi", kind="provinsi", provinsi_kode="33"))
    db.session.commit()
    steps = [("regions", "jateng_wilayah.csv"), ("boundaries", "jateng_kabupaten.geojson"),
             ("boundaries", "jateng_kecamatan.geojson"), ("boundaries", "jateng_desa.geojson")]
    start = time.perf_counter()
    for kind, filename in steps:
        report = run_import(kind, (data_dir / filename).read_bytes(), ImportOptions(filename=filename), commit=True)
        if not report.ok:
            raise SystemExit(f"import {filename} refused: {[str(e) for e in report.errors[:3]]}")
    desa = db.session.execute(sa.select(Region.kode, Region.lat, Region.lng).where(Region.level == "desa")
                              .order_by(Region.kode)).all()
    report = run_import("targets", synthetic_targets([d[0] for d in desa]), ImportOptions(filename="targets.csv",
                                                                                           today=date.today()),
                        commit=True)
    if not report.ok:
        raise SystemExit(f"targets refused: {[str(e) for e in report.errors[:3]]}")
    away = [{"desa_kode": kode, "reason": rng.choice(("luar_negeri", "bekerja_luar_daerah")), "count": rng.randint(0, 40)}
            for kode, _, _ in desa if rng.random() < 0.6]
    db.session.execute(sa.insert(KnownAway), away)
    timings["import_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    types = [t for t, w in SITE_TYPES for _ in range(w)]
    sites = []
    for i in range(n_sites):
        kode, lat, lng = desa[i % len(desa)] if i < len(desa) else rng.choice(desa)
        parts = kode.split(".")
        sites.append({"type": rng.choice(types), "nama": f"Lokasi {i + 1} {kode}", "desa_kode": kode,
                      "kecamatan_kode": ".".join(parts[:3]), "kabupaten_kode": ".".join(parts[:2]),
                      "provinsi_kode": "33", "lat": lat + rng.uniform(-0.006, 0.006),
                      "lng": lng + rng.uniform(-0.006, 0.006), "address": "", "contact_name": "", "contact_phone": "",
                      "notes": "", "active": True, "coords_approximate": False})
    for chunk in range(0, len(sites), 5000):
        db.session.execute(sa.insert(Site), sites[chunk:chunk + 5000])
    kabupaten = list(db.session.scalars(sa.select(Region.kode).where(Region.level == "kabupaten")))
    teams = {}
    for kab in kabupaten:
        team = Team(nama=f"Tim {kab}", office_kode=kab, office_lat=-7.0, office_lng=110.4)
        db.session.add(team)
        db.session.flush()
        db.session.add(Kit(code=f"KIT-{kab}", status="ok", team=team, office_kode=kab))
        teams[kab] = team.id
    site_rows = db.session.execute(sa.select(Site.id, Site.desa_kode)).all()
    today = date.today()
    sessions = []
    for i in range(n_sessions):
        site_id, kode = rng.choice(site_rows)
        day = today + timedelta(days=rng.randint(-180, 60))
        if day < today:
            status = rng.choices(("selesai", "dibatalkan", "rencana", "terkonfirmasi"), (80, 5, 8, 7))[0]
        else:
            status = rng.choices(("rencana", "terkonfirmasi", "dibatalkan", "ditunda"), (50, 40, 5, 5))[0]
        parts = kode.split(".")
        start_hour = rng.choice((8, 9, 13))
        sessions.append({"site_id": site_id, "desa_kode": kode, "kecamatan_kode": ".".join(parts[:3]),
                         "kabupaten_kode": ".".join(parts[:2]), "provinsi_kode": "33", "date": day,
                         "start_time": dtime(start_hour), "end_time": dtime(start_hour + 3),
                         "team_id": teams[".".join(parts[:2])], "kind": "perekaman", "target_groups": ["umum"],
                         "expected_turnout": rng.randint(10, 60), "status": status, "version": 1})
    for chunk in range(0, len(sessions), 5000):
        db.session.execute(sa.insert(RecordingSession), sessions[chunk:chunk + 5000])
    manager = User(username="manajer_provinsi", name="Manajer Provinsi", role="manager", scope_kode="33")
    manager.set_password(PASSWORD)
    db.session.add(manager)
    db.session.commit()
    timings["generate_seconds"] = time.perf_counter() - start
    counts = dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())
    return {"timings": timings, "counts": counts, "sites": len(sites), "sessions": len(sessions),
            "site_points": [(s["lat"], s["lng"], s["nama"]) for s in sites]}


def reused_app(url: str):
    from outreach import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": True})


def describe_data() -> dict:
    """What a reused database holds, in the shape build_data returns."""
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.models import Region, Site
    from outreach.models.planning import RecordingSession

    counts = dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())
    points = db.session.execute(sa.select(Site.lat, Site.lng, Site.nama)).all()
    return {"timings": {"import_seconds": 0.0, "generate_seconds": 0.0}, "counts": counts, "sites": len(points),
            "sessions": db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)),
            "site_points": points}


# ---------------------------------------------------------------- server and browser

def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def new_context(browser, base_url: str):
    ctx = browser.new_context(base_url=base_url, locale="id-ID", timezone_id="Asia/Jakarta",
                              viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(60_000)
    return ctx


def login(page) -> None:
    page.goto("/login")
    page.get_by_label("Nama pengguna").fill("manajer_provinsi")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Masuk").click()


class Traffic:
    """Bytes on the wire per request, from the DevTools protocol (encodedDataLength: headers + body)."""

    def __init__(self, cdp):
        self.cdp, self.urls, self.sizes, self.cached, self.encodings = cdp, {}, {}, set(), {}
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def _response(self, e):
        r = e["response"]
        if r.get("fromDiskCache") or r.get("fromPrefetchCache") or r.get("fromServiceWorker"):
            self.cached.add(e["requestId"])
        headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
        self.encodings[e["requestId"]] = headers.get("content-encoding", "identity")

    def reset(self):
        self.urls.clear(), self.sizes.clear(), self.cached.clear(), self.encodings.clear()

    def summary(self) -> dict:
        groups = {"document": 0, "app_assets": 0, "library": 0, "data": 0, "other": 0}
        encodings = set()
        for rid, url in self.urls.items():
            size = 0 if rid in self.cached else int(self.sizes.get(rid, 0))
            path = urlsplit(url).path
            if urlsplit(url).hostname not in LOCAL_HOSTS:
                continue
            if path.startswith("/vendor/") or path == "/bench/jquery.min.js":
                groups["library"] += size
            elif path.startswith("/api/v1/map/"):
                groups["data"] += size
                encodings.add(self.encodings.get(rid, "?"))
            elif path.startswith("/static/"):
                groups["app_assets"] += size
            elif path in ("/peta", "/bench/naive"):
                groups["document"] += size
                encodings.add(self.encodings.get(rid, "?"))
            else:
                groups["other"] += size
        groups["total"] = sum(v for k, v in groups.items() if k != "library")
        groups["encodings"] = ",".join(sorted(encodings))
        return groups


def heap(cdp) -> tuple[float, float]:
    used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1048576
    cdp.send("HeapProfiler.collectGarbage")
    after = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1048576
    return used, after


def measure_map(browser, base_url: str, runs: int) -> dict:
    results = {"paint": [], "bytes": [], "data": [], "document": [], "app_assets": [], "library": [], "heap": [],
               "heap_gc": [], "regions": [], "sites": [], "clusters": [], "sessions": []}
    encodings = set()
    for run in range(runs + 1):  # run 0 warms the server's caches (boundary index, figures) and is not counted
        ctx = new_context(browser, base_url)
        page = ctx.new_page()
        login(page)
        for asset in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png"):
            page.goto(f"/vendor/{asset}")  # the libraries are in the browser cache, as after an earlier visit
        cdp = ctx.new_cdp_session(page)
        traffic = Traffic(cdp)
        page.goto("/peta")
        page.wait_for_function("() => window.__mapReady && window.__mapState.pending === 0 && "
                               "window.__mapState.loads >= 4", timeout=60_000)
        paint = page.evaluate("window.__mapReady")
        counts = page.evaluate("window.__mapState.counts")
        page.wait_for_timeout(300)
        t = traffic.summary()
        used, after_gc = heap(cdp)
        if run:
            results["paint"].append(paint)
            results["bytes"].append(t["total"])
            for k in ("data", "document", "app_assets", "library"):
                results[k].append(t[k])
            results["heap"].append(used)
            results["heap_gc"].append(after_gc)
            results["regions"].append(counts.get("regions", 0))
            results["sites"].append(counts.get("sites", 0))
            results["clusters"].append(counts.get("siteClusters", 0) + counts.get("sessionClusters", 0))
            results["sessions"].append(counts.get("sessionsInView", 0))
            encodings.add(t["encodings"])
            if run == 1:
                page.screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "bench-peta-provinsi.png"))
                results["level"] = counts.get("level")
        ctx.close()
    results["encodings"] = ",".join(sorted(encodings))
    return results


def measure_naive(browser, base_url: str, runs: int) -> dict:
    results = {"paint": [], "bytes": [], "heap": [], "heap_gc": []}
    for run in range(runs):
        ctx = new_context(browser, base_url)
        page = ctx.new_page()
        for asset in ("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css",
                      "/vendor/leaflet/images/marker-icon.png", "/vendor/leaflet/images/marker-shadow.png",
                      "/bench/jquery.min.js"):
            page.goto(asset)
        cdp = ctx.new_cdp_session(page)
        traffic = Traffic(cdp)
        page.goto("/bench/naive", wait_until="load", timeout=300_000)
        paint = page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(performance.now())))")
        t = traffic.summary()
        used, after_gc = heap(cdp)
        results["paint"].append(paint)
        results["bytes"].append(t["total"])
        results["heap"].append(used)
        results["heap_gc"].append(after_gc)
        if run == 0:
            page.screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "bench-naive-folium.png"))
        ctx.close()
    return results


# ---------------------------------------------------------------- server time of pans and zooms

def pan_views(rng: random.Random, n: int) -> list[tuple[int, list[float]]]:
    """Views a manager pans and zooms through: (zoom, [west, south, east, north]) in a 1366x600 map."""
    from outreach.maps.bbox import degrees_per_pixel

    views = []
    for i in range(n):
        zoom = (9, 10, 11, 12, 13)[i % 5]
        lng, lat = rng.uniform(108.9, 111.4), rng.uniform(-7.8, -6.5)
        half_w, half_h = 683 * degrees_per_pixel(zoom) * 1.2, 300 * degrees_per_pixel(zoom) * 1.2
        views.append((zoom, [round(lng - half_w, 5), round(lat - half_h, 5), round(lng + half_w, 5),
                             round(lat + half_h, 5)]))
    return views


def client_login(client) -> None:
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": "manajer_provinsi", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, "bench login failed"


def measure_pans(app, n_views: int, seed: int) -> dict:
    from outreach.maps.routes import DESA_ZOOM

    client = app.test_client()
    client_login(client)
    rng = random.Random(seed)
    times = {"regions": [], "sites": [], "sessions": []}
    sizes = {"regions": [], "sites": [], "sessions": []}
    today = date.today()
    for zoom, box in pan_views(rng, n_views):
        bbox = ",".join(str(v) for v in box)
        level = "desa" if zoom >= DESA_ZOOM else "kecamatan"
        urls = {"regions": f"/api/v1/map/regions?level={level}&zoom={zoom}&bbox={bbox}",
                "sites": f"/api/v1/map/sites?zoom={zoom}&bbox={bbox}",
                "sessions": f"/api/v1/map/sessions?zoom={zoom}&bbox={bbox}&status=upcoming,done,overdue,cancelled"
                            f"&from={today - timedelta(days=30)}&to={today + timedelta(days=30)}"}
        for name, url in urls.items():
            start = time.perf_counter()
            resp = client.get(url, headers={"Accept-Encoding": "gzip"})
            times[name].append((time.perf_counter() - start) * 1000)
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data()[:200])
            sizes[name].append(len(resp.get_data()))
    return {"times": times, "sizes": sizes}


def cold_regions_ms(app) -> float:
    """The very first regions request of a process: builds the kecamatan index and the figures."""
    from outreach.maps import queries

    client = app.test_client()
    client_login(client)
    queries.clear_caches()
    start = time.perf_counter()
    client.get("/api/v1/map/regions?level=kecamatan&zoom=8&bbox=108.28125,-8.4375,111.97266,-5.625")
    return (time.perf_counter() - start) * 1000


# ---------------------------------------------------------------- main

def median(values):
    return statistics.median(values) if values else 0


def p95(values):
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)] if values else 0


def add_naive_route(app, html_holder: dict) -> None:
    from flask import Response

    def naive():
        return Response(html_holder["html"], mimetype="text/html")

    def jquery():
        import xstatic.pkg.jquery
        from flask import send_from_directory

        return send_from_directory(xstatic.pkg.jquery.BASE_DIR, "jquery.min.js", max_age=7 * 24 * 3600)

    naive.access_roles = jquery.access_roles = frozenset({"public"})
    app.add_url_rule("/bench/naive", "bench_naive", naive)
    app.add_url_rule("/bench/jquery.min.js", "bench_jquery", jquery)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--database-url", help="PostgreSQL database to use instead of SQLite (EMPTIED first)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sites", type=int, default=60_000)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--naive-points", type=int, default=10_000)
    parser.add_argument("--pan-views", type=int, default=40)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive Folium baseline")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--sqlite-path", type=Path, help="keep the SQLite database in this file (default: temporary)")
    parser.add_argument("--reuse-db", action="store_true", help="with --sqlite-path: use the data already there")
    args = parser.parse_args(argv)
    if not (args.data / "jateng_desa.geojson").exists():
        out("skipped", f"data directory not found: {args.data.resolve()}")
        return 0
    if not CHROMIUM.exists():
        out("skipped", "/usr/bin/chromium is missing")
        return 0
    (ROOT / "test-artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
    import logging
    import os

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Other work on the machine slows every figure: the load average says how much there was.
    out("load_average_1min_start", f"{os.getloadavg()[0]:.2f}")
    out("cpu_count", os.cpu_count())
    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite_path.resolve() if args.sqlite_path else Path(tmp) / "maps_bench.sqlite"
        url = args.database_url or f"sqlite:///{path}"
        from outreach.extensions import db

        if args.reuse_db and not args.database_url and path.exists():
            app = reused_app(url)
            with app.app_context():
                built = describe_data()
        else:
            if not args.database_url and path.exists():
                path.unlink()
            app = fresh_app(url)
            with app.app_context():
                built = build_data(args.data, args.sites, args.sessions, args.seed)
        with app.app_context():
            out("database", db.engine.dialect.name)
        out("regions_kabupaten", built["counts"].get("kabupaten", 0))
        out("regions_kecamatan", built["counts"].get("kecamatan", 0))
        out("regions_desa", built["counts"].get("desa", 0))
        out("sites", built["sites"])
        out("sessions", built["sessions"])
        out("setup_import_seconds", f"{built['timings']['import_seconds']:.1f}")
        out("setup_generate_seconds", f"{built['timings']['generate_seconds']:.1f}")

        naive_holder = {"html": ""}
        if not args.skip_naive:
            from bench.yardsticks.naive_map import naive_marker_page

            rng = random.Random(args.seed)
            points = rng.sample(built["site_points"], min(args.naive_points, len(built["site_points"])))
            start = time.perf_counter()
            with app.test_request_context():
                from outreach.assets import vendor_url
                # folium.Popup builds its content with jQuery: the baseline gets it (offline, from XStatic).
                js = [("leaflet", vendor_url("leaflet", "leaflet.js")), ("jquery", "/bench/jquery.min.js")]
                css = [("leaflet_css", vendor_url("leaflet", "leaflet.css"))]
            naive_holder["html"] = naive_marker_page(points, js=js, css=css, center=[-7.2, 110.1], zoom=8)
            out("naive_points", len(points))
            out("naive_build_seconds", f"{time.perf_counter() - start:.2f}")
            out("naive_html_bytes", len(naive_holder["html"].encode()))
            out("naive_html_gzip_bytes", len(gzip.compress(naive_holder["html"].encode(), 6)))
        add_naive_route(app, naive_holder)

        with app.app_context():
            out("pan_cold_first_regions_ms", f"{cold_regions_ms(app):.0f}")
        server, base_url = serve(app)
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                m = measure_map(browser, base_url, args.runs)
                out("map_runs", len(m["paint"]))
                out("map_first_level", m.get("level"))
                out("map_regions_drawn", m["regions"][0] if m["regions"] else 0)
                out("map_site_points_drawn", m["sites"][0] if m["sites"] else 0)
                out("map_clusters_drawn", m["clusters"][0] if m["clusters"] else 0)
                out("map_sessions_in_view", m["sessions"][0] if m["sessions"] else 0)
                out("map_paint_ms_median", f"{median(m['paint']):.0f}")
                out("map_paint_ms_max", f"{max(m['paint']):.0f}")
                out("map_bytes_median", f"{median(m['bytes']):.0f}")
                out("map_document_bytes", f"{median(m['document']):.0f}")
                out("map_app_assets_bytes", f"{median(m['app_assets']):.0f}")
                out("map_data_bytes", f"{median(m['data']):.0f}")
                out("map_library_bytes_cached_run", f"{median(m['library']):.0f}")
                out("map_content_encoding", m["encodings"])
                out("map_heap_mb_median", f"{median(m['heap']):.1f}")
                out("map_heap_after_gc_mb_median", f"{median(m['heap_gc']):.1f}")
                if not args.skip_naive:
                    n = measure_naive(browser, base_url, max(1, min(args.runs, 3)))
                    out("naive_runs", len(n["paint"]))
                    out("naive_paint_ms_median", f"{median(n['paint']):.0f}")
                    out("naive_bytes_median", f"{median(n['bytes']):.0f}")
                    out("naive_heap_mb_median", f"{median(n['heap']):.1f}")
                    out("naive_heap_after_gc_mb_median", f"{median(n['heap_gc']):.1f}")
                    out("ratio_paint_naive_over_map", f"{median(n['paint']) / max(median(m['paint']), 1):.1f}")
                    out("ratio_bytes_naive_over_map", f"{median(n['bytes']) / max(median(m['bytes']), 1):.1f}")
                    out("ratio_heap_naive_over_map", f"{median(n['heap']) / max(median(m['heap']), 0.1):.1f}")
                browser.close()
        finally:
            server.shutdown()
        with app.app_context():
            p = measure_pans(app, args.pan_views, args.seed)
        all_times = [t for values in p["times"].values() for t in values]
        for name in ("regions", "sites", "sessions"):
            out(f"pan_{name}_ms_median", f"{median(p['times'][name]):.1f}")
            out(f"pan_{name}_ms_p95", f"{p95(p['times'][name]):.1f}")
            out(f"pan_{name}_gzip_bytes_median", f"{median(p['sizes'][name]):.0f}")
        out("pan_requests", len(all_times))
        out("pan_ms_median", f"{median(all_times):.1f}")
        out("pan_ms_p95", f"{p95(all_times):.1f}")
        figures = {"map_paint_ms_median": median(m["paint"]), "map_bytes_median": median(m["bytes"]),
                   "map_heap_mb_median": median(m["heap"]), "pan_ms_median": median(all_times)}
        out("load_average_1min_end", f"{os.getloadavg()[0]:.2f}")
        for name, goal in GOALS.items():
            out(f"goal_{name}", f"{'met' if figures[name] < goal else 'MISSED'} (<{goal})")
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
