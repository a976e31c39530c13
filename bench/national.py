"""The whole country on PostgreSQL: import the national files through the CLI, generate a year of work in bulk, then
time the national dashboards, the coverage API, the national map in Chromium and a new log reaching the national
figures. Prints name=value lines, and one goal_<name>=met|not_met line per goal of issue 15.

    .venv/bin/python bench/national.py [--scale 1.0] [--keep] [--skip-imports --database NAME] [--province 34]
                                       [--data DIR] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                       [--workers 2] [--repeat 5] [--runs 3] [--no-map]

What it does, in order:

1. A fresh database jb_national_bench_<pid> on the server of --pg (dropped at the end unless --keep; with
   --skip-imports --database NAME a kept one is reused and nothing is imported or generated), migrated with
   `flask db upgrade`.
2. The imports, each as its own `flask --app app ...` child process, as README's "Your own province, or the
   whole country" says for the national files (`--valid-only --max-mb 96`, refused rows to a temporary folder):
   import-regions indonesia_wilayah.csv; import-boundaries of the provinsi, kabupaten, kecamatan and desa layers;
   import-sites indonesia_sekolah.csv (all 215,372 schools); import-targets of made-up SIAK counts (each desa an
   equal share of 70% of its kabupaten's registered population in indonesia_penduduk_kabupaten.csv, 3–9% not
   recorded, as of 60 days ago): first as one national file; when the product refuses that (it did: 83,762 desa
   make one `IN (...)` of more than psycopg's 65,535 parameters in ledger.queries.lock_pools), as files of whole
   provinces of at most 40,000 desa, as README imports one province's counts; create-default-places --all. import_<step>_s is the child's wall time and
   import_peak_rss_mb the largest peak RSS of those children (os.wait4's rusage of each child).
   import_total_s adds regions, boundaries, schools and targets (the goal: under 5 minutes, under 1.5 GB).
3. Generated in bulk with INSERT ... SELECT generate_series (bench/_national_data.py): 3 teams and 6 kits per
   kabupaten/kota, 1,000,000 × --scale logged sessions over the last 365 days at the desa's default places, each
   with one kit and one turnout log; 1% (of a million) × scale cancelled and 2% × scale open sessions (from 5 days
   ago to 35 days ahead). The tally triggers of recording_session and turnout_log are switched off for the load
   and the tallies rebuilt with the app's own `flask coverage-tally --rebuild` (tally_rebuild_s); the open
   sessions' expected turnout is capped at their desa's share of its reachable backlog. Then
   `flask coverage-tally` (every desa's tally equals a recount from the logs) and `flask ledger-check` (no pool is
   over-planned) must both report no inconsistency: tally_check and ledger_check print ok, else the bench stops.
   A national manager, a national admin and a field user (with an API token) are created with `create-user` /
   `create-token`, then VACUUM ANALYZE and CHECKPOINT. Then `flask run-job dashboard_panels` (panels_job_s), as
   the scheduler runs it every 5 minutes in production: the province and national dashboards read their forecast
   and team panels from the shared table (at most PANEL_MAX_AGE old, the page says when they were computed); the
   headline figures, the trend's live point and the sessions are computed at each request.
4. `gunicorn -c docs/deploy/gunicorn.conf.py -w --workers app:app` (docs/production.md: each worker warms up
   before its first request, outreach.warmup) on a free loopback port, rate limits off. The national
   manager signs in through the login form (login_ms). Each page is fetched once cold (its first request after
   the server started: `_ms`, the figure the goals read) and --repeat times more (`_warm_ms`, median):
   /dasbor (national), /dasbor/<province> (Jawa Tengah, or --province) and /api/v1/coverage (national).
5. The national map (/peta) in headless Chromium (/usr/bin/chromium, never `playwright install`): every host but
   127.0.0.1 fails to resolve, so tiles are blocked. The library assets (Leaflet) are in the browser cache first,
   as after an earlier visit. map_paint_ms is `window.__mapReady` (ms after navigation start: the first data
   layer drawn, see static/js/maps.js) of the first /peta after the server started; map_bytes the bytes on the
   wire for the document, app assets and map data (CDP encodedDataLength); map_heap_mb the JS heap in use once
   drawn (CDP Runtime.getHeapUsage). --runs more visits give the _warm medians. A screenshot goes to
   test-artifacts/screenshots/bench-peta-nasional.png.
6. log_to_dashboard_ms: the field user posts a log of yesterday's session (POST /api/v1/sessions/<id>/turnout with
   its Bearer token), then the manager's GET /api/v1/coverage is polled until the national recorded_since has
   grown by the log's total: the time from sending the log to the poll that shows it.

Left out, plainly: the client, gunicorn, PostgreSQL and Chromium share this 2-core machine (and other work on it:
load_average_* lines say how much); no TLS, proxy or network latency; sessions and logs are generated, not
planned through the app's conflict checks (teams may be double-booked on paper); no known-away rows, coverage
snapshots, visit requests or calendar rows. The imports run with the defaults of a fresh install (sites outside
their kecamatan kept as approximate).

--province KODE cuts that one province out of the national files (as README shows for Bali) into the temporary
folder: the cheap path a smoke test can call through main([...]), e.g. main(["--province", "34", "--scale",
"0.001", "--runs", "1", "--repeat", "3"]): 3 min 20 s on this 2-core machine at load 7 (most of it the start-up of
the fourteen `flask` child processes, ~10 s each), 438 desa, 1,031 sessions, 1,000 logs.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _national_data as data  # noqa: E402
from bench._gunicorn import gunicorn as served  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
DEFAULT_PG = os.environ.get("JB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Bench-Nasional-2026!"
MANAGER, ADMIN, FIELD = "bench_manajer_nasional", "bench_admin_nasional", "bench_lapangan_nasional"
FULL_LOGGED, FULL_CANCELLED, FULL_OPEN = 1_000_000, 10_000, 20_000
SIAK_AGE_DAYS = 60
LOG_BODY = {"recorded": {"pemilih_pemula": 2, "umum": 14, "lansia_disabilitas": 1},
            "recorded_by_sex": {"L": 8, "P": 9},
            "not_recorded": {"tidak_ditemukan_siak": 0, "sudah_rekam": 0, "belum_cukup_umur": 0,
                             "gangguan_alat_jaringan": 0, "tidak_bersedia": 0},
            "away": {"luar_negeri": 0, "bekerja_luar_daerah": 0, "pindah_meninggal": 0, "lainnya": 0},
            "started_at": "08:05", "ended_at": "11:50", "notes": "Bench nasional."}
LOG_TOTAL = 17
GOALS = (  # (goal name, figures it reads, limit): met when every figure is below the limit
    ("dashboard_national_ms", ("dashboard_national_ms",), 150),
    ("dashboard_province_ms", ("dashboard_province_ms",), 150),
    ("coverage_api_national_ms", ("coverage_api_national_ms",), 150),
    ("map_paint_ms", ("map_paint_ms",), 1000),
    ("map_bytes", ("map_bytes",), 300 * 1024),
    ("map_heap_mb", ("map_heap_mb",), 30),
    ("import_total_s", ("import_total_s",), 300),
    ("import_peak_rss_mb", ("import_peak_rss_mb",), 1536),
)
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BenchFailed(RuntimeError):
    """A step of the product refused or failed: the bench reports it and stops."""


def out(name: str, value) -> None:
    print(f"{name}={value}", flush=True)


# ---------------------------------------------------------------- database and CLI children

def _admin_engine(pg: str):
    import sqlalchemy as sa

    from outreach import normalise_database_url

    return sa.create_engine(normalise_database_url(pg), isolation_level="AUTOCOMMIT")


def database_url(pg: str, name: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(pg).set(database=name).render_as_string(hide_password=False)


@contextmanager
def bench_database(pg: str, name: str, create: bool, keep: bool):
    """The bench's database: created fresh (unless reused), dropped on the way out unless kept."""
    import sqlalchemy as sa

    admin = _admin_engine(pg)
    if create:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(pg, name)
    finally:
        if keep:
            out("kept_database", name)
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# One random key per bench run, shared by its CLI children (they sign nothing a later run must read).
CLI_SECRET_KEY = secrets.token_hex(32)


def flask(url: str, *args: str, check: bool = True) -> dict:
    """Run `flask --app app ARGS` against `url`: its wall time, its own peak RSS (os.wait4), exit code and output."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=CLI_SECRET_KEY, FLASK_RATELIMIT_ENABLED="false")
    cmd = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", *args]
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=so, stderr=se)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0), se.seek(0)
        result = {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode,
                  "stdout": so.read().decode(errors="replace"), "stderr": se.read().decode(errors="replace")}
    if check and result["rc"] != 0:
        raise BenchFailed(f"`flask {' '.join(args)}` exited {result['rc']}:\n{result['stdout'][-2000:]}\n"
                          f"{result['stderr'][-2000:]}")
    return result


def sql(url: str, statements, params=None) -> list:
    """Run statements in one transaction on `url`; returns the rows of the last one that returns rows."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    rows = []
    try:
        with engine.begin() as conn:
            for statement in statements:
                result = conn.execute(sa.text(statement), params or {})
                if result.returns_rows:
                    rows = result.all()
    finally:
        engine.dispose()
    return rows


def maintenance(url: str, *statements: str) -> None:
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- 2. imports

def run_imports(url: str, paths: dict, population: Path, tmp: Path, today) -> dict:
    figures = {"peak": 0.0}
    rejects = tmp / "ditolak"
    rejects.mkdir(exist_ok=True)
    common = ["--valid-only", "--max-mb", "96", "--no-progress"]

    def step(name: str, command: str, files: list[Path]) -> None:
        seconds = 0.0
        for path in files:
            r = flask(url, command, str(path), *common, "--rejects", str(rejects / f"{path.stem}.ditolak.csv"))
            seconds += r["seconds"]
            figures["peak"] = max(figures["peak"], r["rss_mb"])
            out(f"import_{name}_{path.stem}_s", f"{r['seconds']:.1f}")
            out(f"import_{name}_{path.stem}_rss_mb", f"{r['rss_mb']:.0f}")
            refused = (rejects / f"{path.stem}.ditolak.csv")
            out(f"import_{name}_{path.stem}_refused_rows",
                max(0, len(refused.read_text(encoding="utf-8").splitlines()) - 1) if refused.exists() else 0)
        figures[name] = seconds
        out(f"import_{name}_s", f"{seconds:.1f}")

    step("regions", "import-regions", paths["regions"])
    step("boundaries", "import-boundaries", paths["boundaries"])
    step("schools", "import-sites", paths["schools"])
    desa = [k for (k,) in sql(url, ["SELECT kode FROM region WHERE level = 'desa' ORDER BY kode"])]
    siak = tmp / "siak_sintetis.csv"
    siak.write_text(data.siak_csv(desa, population, today - timedelta(days=SIAK_AGE_DAYS)), encoding="utf-8")
    # One national SIAK file fails in the product at this size (see import_targets_national_file); README imports a
    # province's counts as its own file, so the bench then imports them as files of whole provinces.
    r = flask(url, "import-targets", str(siak), *common, "--rejects", str(rejects / "siak.ditolak.csv"), check=False)
    figures["peak"] = max(figures["peak"], r["rss_mb"])
    if r["rc"] == 0:
        out("import_targets_national_file", "ok")
        figures["targets"] = r["seconds"]
        out("import_targets_s", f"{r['seconds']:.1f}")
    else:
        reason = next((line for line in (r["stderr"] + r["stdout"]).splitlines()
                       if "Error" in line and len(line) < 400), "exit %d" % r["rc"])
        out("import_targets_national_file", f"failed after {r['seconds']:.1f} s: {reason.strip()}")
        parts = []
        for i, text in enumerate(data.split_by_province(siak.read_text(encoding="utf-8"))):
            parts.append(tmp / f"siak_sintetis_{i + 1}.csv")
            parts[-1].write_text(text, encoding="utf-8")
        step("targets", "import-targets", parts)
    r = flask(url, "create-default-places", "--all")
    out("default_places_s", f"{r['seconds']:.1f}")
    out("default_places_rss_mb", f"{r['rss_mb']:.0f}")
    total = sum(figures[k] for k in ("regions", "boundaries", "schools", "targets"))
    out("import_total_s", f"{total:.1f}")
    out("import_peak_rss_mb", f"{figures['peak']:.0f}")
    return {"import_total_s": total, "import_peak_rss_mb": figures["peak"]}


# ---------------------------------------------------------------- 3. generated work, checks, users

def generate(url: str, scale: float, today) -> dict:
    n_logged, n_cancelled, n_open = (max(1, round(n * scale)) for n in (FULL_LOGGED, FULL_CANCELLED, FULL_OPEN))
    start = time.perf_counter()
    sql(url, data.team_and_kit_sql())
    out("generate_teams_kits_s", f"{time.perf_counter() - start:.1f}")
    t = time.perf_counter()
    sql(url, data.triggers_sql(enable=False))
    try:
        sql(url, data.session_sql(today, n_logged, n_open, n_cancelled))
        out("generate_sessions_s", f"{time.perf_counter() - t:.1f}")
        t = time.perf_counter()
        sql(url, data.log_sql())
        out("generate_logs_s", f"{time.perf_counter() - t:.1f}")
        t = time.perf_counter()
        sql(url, [data.cap_open_sql()])
        session = field_session(url, today)
        out("generate_cap_open_s", f"{time.perf_counter() - t:.1f}")
    finally:
        sql(url, data.triggers_sql(enable=True))
    r = flask(url, "coverage-tally", "--rebuild")
    out("tally_rebuild_s", f"{r['seconds']:.1f}")
    out("generate_total_s", f"{time.perf_counter() - start:.1f}")
    counts = sql(url, ["SELECT (SELECT count(*) FROM recording_session), (SELECT count(*) FROM turnout_log), "
                       "(SELECT count(*) FROM team), (SELECT count(*) FROM kit), (SELECT count(*) FROM site), "
                       "(SELECT count(*) FROM region WHERE level = 'desa'), "
                       "(SELECT count(*) FROM region WHERE level = 'desa' AND wajib_ktp IS NOT NULL)"])[0]
    for name, value in zip(("sessions", "logs", "teams", "kits", "sites", "desa", "desa_with_siak"), counts):
        out(f"rows_{name}", value)
    return session


def field_session(url: str, today) -> dict:
    """A confirmed session yesterday at a desa with backlog and no log since its SIAK date, for the field user's
    log; returns {"id", "team"}."""
    row = sql(url, [
        "SELECT s.id, s.desa_kode, s.kecamatan_kode, s.kabupaten_kode, s.provinsi_kode, t.id, t.nama, "
        "(SELECT min(k.id) FROM kit k WHERE k.team_id = t.id) FROM site s JOIN region r ON r.kode = s.desa_kode "
        "JOIN team t ON t.office_kode = s.kabupaten_kode WHERE s.type = 'balai_desa' AND r.wajib_ktp - "
        "r.sudah_rekam > 40 AND NOT EXISTS (SELECT 1 FROM turnout_log l WHERE l.desa_kode = s.desa_kode AND "
        "l.session_date > r.target_as_of) ORDER BY s.desa_kode, t.id LIMIT 1"])
    if not row:
        raise BenchFailed("no desa with backlog and no recent log for the field user's session")
    site, desa, kec, kab, prov, team_id, team_name, kit_id = row[0]
    day = data.log_day(today)
    session_id = sql(url, [
        "INSERT INTO recording_session (site_id, desa_kode, kecamatan_kode, kabupaten_kode, provinsi_kode, date, "
        "start_time, end_time, team_id, kind, target_groups, expected_turnout, turnout_reasoning, status, "
        "confirmed_with, cancel_reason, notes, override_reason, version, created_at, updated_at, pool, "
        "confirmation_note) VALUES (:site, :desa, :kec, :kab, :prov, :day, '08:00', '12:00', :team, 'perekaman', "
        "'[\"umum\"]', 0, '', 'terkonfirmasi', '', '', '', '', 1, now(), now(), 'desa', '') RETURNING id"],
        {"site": site, "desa": desa, "kec": kec, "kab": kab, "prov": prov, "day": day, "team": team_id})[0][0]
    sql(url, ["INSERT INTO session_kit (session_id, kit_id, date) VALUES (:s, :k, :d)"],
        {"s": session_id, "k": kit_id, "d": day})
    out("log_session_desa", desa)
    return {"id": session_id, "team": team_name}


def check_ledger(url: str) -> None:
    """The app's own checks: tallies equal a recount, and no pool is over-planned."""
    for name, command in (("tally_check", ("coverage-tally",)), ("ledger_check", ("ledger-check",))):
        r = flask(url, *command, check=False)
        out(f"{name}_s", f"{r['seconds']:.1f}")
        if r["rc"] != 0:
            out(name, "inconsistent")
            raise BenchFailed(f"`flask {' '.join(command)}` reports:\n{r['stdout'][-3000:]}{r['stderr'][-1000:]}")
        out(name, "ok")


def create_users(url: str, team: str) -> str:
    """The national manager and admin, the field user of `team`; returns the field user's API token."""
    flask(url, "create-user", MANAGER, "--role", "manager", "--scope", "nasional", "--password", PASSWORD)
    flask(url, "create-user", ADMIN, "--role", "admin", "--password", PASSWORD)
    flask(url, "create-user", FIELD, "--role", "field", "--team", team, "--password", PASSWORD)
    # create-user may ask a new user to change the password at first login: the bench's users are set.
    sql(url, ["UPDATE app_user SET must_change_password = false WHERE username IN (:a, :b, :c)"],
        {"a": MANAGER, "b": ADMIN, "c": FIELD})
    return flask(url, "create-token", FIELD, "--name", "bench", "--days", "1")["stdout"].split()[-1]


def reused_state(url: str) -> tuple[dict, str]:
    """For --skip-imports: the field user's open session of yesterday (a new one if the last was logged) and a
    fresh token."""
    today = datetime.now(WIB).date()
    team = sql(url, ["SELECT t.nama FROM app_user u JOIN team t ON t.id = u.team_id WHERE u.username = :u"],
               {"u": FIELD})
    if not team:
        raise BenchFailed(f"--skip-imports: no user {FIELD} in the kept database")
    session = field_session(url, today)
    sql(url, ["UPDATE app_user SET team_id = (SELECT team_id FROM recording_session WHERE id = :s) "
              "WHERE username = :u"], {"s": session["id"], "u": FIELD})
    return session, flask(url, "create-token", FIELD, "--name", "bench", "--days", "1")["stdout"].split()[-1]


# ---------------------------------------------------------------- 4. the server and its pages

@contextmanager
def gunicorn(url: str, workers: int):
    """The production settings (docs/deploy/gunicorn.conf.py: each worker warms up first), quiet."""
    conf = str(ROOT / "docs" / "deploy" / "gunicorn.conf.py")
    with served(url, workers, args=("-c", conf, "--timeout", "120", "--access-logfile", "/dev/null"),
                failure=BenchFailed) as (base, proc):
        out("server", f"gunicorn_w{workers}")
        yield base, proc


def worker_rss_mb(proc) -> list[float]:
    """Resident memory of gunicorn's workers (children of the master), from /proc."""
    sizes = []
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return sizes
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return sizes


def login_client(base: str, username: str):
    import httpx

    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    start = time.perf_counter()
    token = CSRF_INPUT.search(client.get("/login").text).group(1)
    resp = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if resp.status_code != 302:
        raise BenchFailed(f"login {username}: {resp.status_code} {resp.text[:300]}")
    return client, (time.perf_counter() - start) * 1000


def timed_get(client, path: str) -> float:
    start = time.perf_counter()
    resp = client.get(path)
    ms = (time.perf_counter() - start) * 1000
    if resp.status_code != 200:
        raise BenchFailed(f"GET {path}: {resp.status_code} {resp.text[:500]}")
    return ms


def measure_pages(client, province: str, repeat: int) -> dict:
    figures = {}
    pages = (("dashboard_national", "/dasbor"), ("dashboard_province", f"/dasbor/{province}"),
             ("coverage_api_national", "/api/v1/coverage"))
    for name, path in pages:  # cold: the first request of each page since the server started
        figures[f"{name}_ms"] = timed_get(client, path)
        out(f"{name}_ms", f"{figures[f'{name}_ms']:.0f}")
    for name, path in pages:
        warm = [timed_get(client, path) for _ in range(repeat)]
        out(f"{name}_warm_ms", f"{statistics.median(warm):.0f}")
        out(f"{name}_warm_max_ms", f"{max(warm):.0f}")
    return figures


# ---------------------------------------------------------------- 5. the national map

def _traffic(cdp) -> dict:
    state = {"urls": {}, "sizes": {}, "cached": set()}
    cdp.send("Network.enable")
    cdp.on("Network.requestWillBeSent", lambda e: state["urls"].__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.requestServedFromCache", lambda e: state["cached"].add(e["requestId"]))
    cdp.on("Network.responseReceived", lambda e: state["cached"].add(e["requestId"])
           if e["response"].get("fromDiskCache") else None)
    cdp.on("Network.loadingFinished", lambda e: state["sizes"].__setitem__(e["requestId"], e["encodedDataLength"]))
    return state


def _bytes(state) -> tuple[int, int]:
    """(bytes of the page, app assets and data; bytes of library assets) over the wire from 127.0.0.1."""
    from urllib.parse import urlsplit

    page = library = 0
    for rid, url in state["urls"].items():
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost") or rid in state["cached"]:
            continue
        size = int(state["sizes"].get(rid, 0))
        if parts.path.startswith("/vendor/"):
            library += size
        else:
            page += size
    return page, library


def measure_map(base: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    shots = ROOT / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for run in range(runs + 1):
                ctx = browser.new_context(base_url=base, locale="id-ID", timezone_id="Asia/Jakarta",
                                          viewport={"width": 1366, "height": 768})
                ctx.set_default_timeout(120_000)
                page = ctx.new_page()
                page.goto("/login")
                page.get_by_label("Nama pengguna").fill(MANAGER)
                page.get_by_label("Kata sandi").fill(PASSWORD)
                with page.expect_navigation():
                    page.get_by_role("button", name="Masuk").click()
                for asset in ("leaflet/leaflet.js", "leaflet/leaflet.css"):
                    page.goto(f"/vendor/{asset}")
                cdp = ctx.new_cdp_session(page)
                state = _traffic(cdp)
                page.goto("/peta")
                page.wait_for_function("() => window.__mapReady && window.__mapState && "
                                       "window.__mapState.pending === 0", timeout=120_000)
                paint = page.evaluate("window.__mapReady")
                counts = page.evaluate("window.__mapState.counts")
                page.wait_for_timeout(300)
                heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1048576
                page_bytes, library = _bytes(state)
                results.append({"paint": paint, "bytes": page_bytes, "library": library, "heap": heap,
                                "counts": counts})
                if run == 0:
                    page.screenshot(path=str(shots / "bench-peta-nasional.png"))
                ctx.close()
        finally:
            browser.close()
    first, warm = results[0], results[1:]
    out("map_paint_ms", f"{first['paint']:.0f}")
    out("map_bytes", first["bytes"])
    out("map_library_bytes_uncached", first["library"])
    out("map_heap_mb", f"{first['heap']:.1f}")
    out("map_counts", ",".join(f"{k}:{v}" for k, v in sorted((first["counts"] or {}).items())
                               if isinstance(v, (int, float, str))))
    if warm:
        out("map_paint_warm_ms", f"{statistics.median(r['paint'] for r in warm):.0f}")
        out("map_bytes_warm", f"{statistics.median(r['bytes'] for r in warm):.0f}")
        out("map_heap_warm_mb", f"{statistics.median(r['heap'] for r in warm):.1f}")
    return {"map_paint_ms": first["paint"], "map_bytes": first["bytes"], "map_heap_mb": first["heap"]}


# ---------------------------------------------------------------- 6. a new log on the national figures

def _recorded_since(client) -> int:
    resp = client.get("/api/v1/coverage")
    if resp.status_code != 200:
        raise BenchFailed(f"GET /api/v1/coverage: {resp.status_code} {resp.text[:300]}")
    return int(resp.json()["region"]["recorded_since"])


def log_to_dashboard(base: str, manager, token: str, session_id: int, timeout_s: float = 60) -> float:
    import httpx

    before = _recorded_since(manager)
    with httpx.Client(base_url=base, timeout=120) as field:
        start = time.perf_counter()
        resp = field.post(f"/api/v1/sessions/{session_id}/turnout", json=LOG_BODY,
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        posted = (time.perf_counter() - start) * 1000
        if resp.status_code != 201:
            raise BenchFailed(f"POST turnout: {resp.status_code} {resp.text[:500]}")
        polls = 0
        while True:
            polls += 1
            if _recorded_since(manager) >= before + LOG_TOTAL:
                break
            if time.perf_counter() - start > timeout_s:
                raise BenchFailed(f"the new log was not on the national figures after {timeout_s} s")
            time.sleep(0.02)
        ms = (time.perf_counter() - start) * 1000
    out("log_post_ms", f"{posted:.0f}")
    out("log_to_dashboard_polls", polls)
    out("log_to_dashboard_ms", f"{ms:.0f}")
    return ms


# ---------------------------------------------------------------- main

def goals(figures: dict) -> None:
    for name, keys, limit in GOALS:
        values = [figures.get(k) for k in keys]
        if any(v is None for v in values):
            out(f"goal_{name}", "not_measured")
        else:
            out(f"goal_{name}", "met" if all(v < limit for v in values) else "not_met")


def run(args) -> dict:
    figures: dict = {}
    today = datetime.now(WIB).date()
    out("load_average_1min_start", f"{os.getloadavg()[0]:.2f}")
    out("scale", args.scale)
    out("area", args.province or "nasional")
    name = args.database or f"jb_national_bench_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp_name, \
            bench_database(args.pg, name, create=not args.skip_imports, keep=args.keep or args.skip_imports) as url:
        tmp = Path(tmp_name)
        if args.skip_imports:
            flask(url, "db", "upgrade")  # a database kept by an older checkout gets the newer tables
            session, token = reused_state(url)
        else:
            flask(url, "db", "upgrade")
            if args.province:
                t = time.perf_counter()
                paths = data.write_province_files(args.data, tmp, args.province)
                out("province_slice_s", f"{time.perf_counter() - t:.1f}")
            else:
                paths = data.national_paths(args.data)
            figures.update(run_imports(url, paths, args.data / data.NATIONAL_FILES["population"], tmp, today))
            session = generate(url, args.scale, today)
            token = create_users(url, session["team"])
            t = time.perf_counter()
            maintenance(url, "VACUUM ANALYZE", "CHECKPOINT")
            out("vacuum_analyze_s", f"{time.perf_counter() - t:.1f}")
        check_ledger(url)
        # What the scheduler does every 5 minutes in production: the province and national dashboards' slow
        # panels (forecast, teams) computed ahead into the shared table (outreach.coverage.panels).
        panels = flask(url, "run-job", "dashboard_panels", "--force")
        out("panels_job_s", f"{panels['seconds']:.1f}")
        province = args.province or "33"
        with gunicorn(url, args.workers) as (base, proc):
            manager, login_ms = login_client(base, MANAGER)
            out("login_ms", f"{login_ms:.0f}")
            figures.update(measure_pages(manager, province, args.repeat))
            if not args.no_map and CHROMIUM.exists():
                figures.update(measure_map(base, args.runs))
            else:
                out("map", "skipped")
            out("gunicorn_worker_rss_mb", ",".join(f"{v:.0f}" for v in worker_rss_mb(proc)))
            figures["log_to_dashboard_ms"] = log_to_dashboard(base, manager, token, session["id"])
            manager.close()
        check_ledger(url)
    out("load_average_1min_end", f"{os.getloadavg()[0]:.2f}")
    goals(figures)
    return figures


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--pg", default=DEFAULT_PG, help="a PostgreSQL server URL (its database is not touched)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 1,000,000 sessions and logs")
    parser.add_argument("--province", help="only this province of the national files (the cheap path)")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--skip-imports", action="store_true", help="reuse --database (kept by an earlier --keep)")
    parser.add_argument("--database", help="the database name (with --skip-imports: the kept one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="warm requests per page")
    parser.add_argument("--runs", type=int, default=3, help="warm map visits after the cold one")
    parser.add_argument("--no-map", action="store_true", help="leave out the browser")
    args = parser.parse_args(argv)
    if args.skip_imports and not args.database:
        parser.error("--skip-imports needs --database NAME (printed as kept_database by a run with --keep)")
    if not 0 < args.scale <= 1:
        parser.error("--scale must lie in (0, 1]")
    return args


def main(argv=None) -> int:
    args = parse(argv)
    missing = data.missing_files(args.data)
    if missing:
        out("skipped", f"national files not found in {args.data.resolve()}: {', '.join(missing)}")
        return 0
    started = time.perf_counter()
    try:
        run(args)
    except BenchFailed as exc:
        out("failed", str(exc).splitlines()[0])
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        out("bench_wall_s", f"{time.perf_counter() - started:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
