"""Loopback load bench: gunicorn + PostgreSQL under field teams and managers at once. Prints name=value lines.

    .venv/bin/python bench/load.py [--seconds 15] [--field-users 8] [--managers 4] [--workers 2]
                                   [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--sessions 2000]

Creates a temporary PostgreSQL database (jb_load_<pid>, dropped at the end whatever happens), migrates it,
seeds the demo (Kota Semarang: regions, targets, sites, teams, kits; not the demo's own sessions and logs)
and adds bench users and loggable sessions: --field-users field users, each
of a demo team, with --sessions past sessions (confirmed, not logged yet) shared among them, and one
kabupaten manager. Starts `gunicorn -w <workers> app:app` on a free loopback port with JB_BENCH_MINIMAL=1
(the yardstick endpoint, outreach/bench_minimal.py) and rate limits switched off through the environment
(FLASK_RATELIMIT_ENABLED=false and FLASK_RATE_LIMITS=false: the bench measures the app, not the
limiter). Every virtual user signs in through the real login form with its CSRF token and then works with the session cookie and the
X-CSRFToken header, as the field page's script does. Three phases of --seconds each:

- mixed: field users read their schedule (GET /api/v1/my/sessions) and send a turnout log (POST
  /api/v1/sessions/<id>/turnout with a fresh Idempotency-Key, the endpoint the field page posts to), while
  managers open the dashboard (/dasbor) and fetch the map data (/api/v1/map/regions, /sites, /sessions).
  Printed: rps, p50_ms, p95_ms, p99_ms, errors (all requests), then mixed_<kind>_... per kind of request;
- turnout: the field users only post logs, back to back: turnout_post_rps, _p50_ms, _p95_ms, _p99_ms, _errors;
- minimal: the same users post to /api/bench/minimal (one audit row, one commit, same login, CSRF, JSON
  and database): minimal_rps, ... and turnout_vs_minimal = turnout_post_rps / minimal_rps.

What it leaves out, plainly: the client runs on the same machine as gunicorn and PostgreSQL (on a
2-core box it takes CPU from the server, and other processes on a shared machine add noise); no TLS, no
reverse proxy, no network latency (loopback); no browser (pages are fetched, not rendered, and their
assets are not requested); map requests always ask the same view of the kabupaten without If-None-Match;
every log is a first log (no corrections, no replays); sync gunicorn workers close each connection.
Latency is measured from the client (request sent to body read), over requests finished inside the phase.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import statistics
import sys
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._gunicorn import gunicorn as served  # noqa: E402

PASSWORD = "bench-load-2026"
DEFAULT_PG = os.environ.get("JB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
KOTA_BBOX = "110.27,-7.13,110.50,-6.93"  # the demo's Kota Semarang
LOG_BODY = {"recorded": {"pemilih_pemula": 2, "umum": 14, "lansia_disabilitas": 1},
            "recorded_by_sex": {"L": 8, "P": 9},
            "not_recorded": {"tidak_ditemukan_siak": 1, "sudah_rekam": 0, "belum_cukup_umur": 0,
                             "gangguan_alat_jaringan": 0, "tidak_bersedia": 0},
            "away": {"luar_negeri": 1, "bekerja_luar_daerah": 0, "pindah_meninggal": 0, "lainnya": 0},
            "started_at": "08:05", "ended_at": "11:50", "notes": "Lancar."}


def out(name: str, value) -> None:
    print(f"{name}={value}", flush=True)


# ---------------------------------------------------------------- the database

@contextmanager
def temporary_database(admin_url: str):
    """A fresh database on the server of `admin_url`, dropped on the way out."""
    import sqlalchemy as sa

    from outreach import normalise_database_url

    name = f"jb_load_{os.getpid()}"
    admin = sa.create_engine(normalise_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, field_users: int, sessions: int) -> dict:
    """Migrate, seed the demo, add the bench users and the sessions waiting for a log."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from outreach import clock, create_app, demo, demo_data
    from outreach.extensions import db
    from outreach.models import Kit, RecordingSession, Site, Team, User
    from outreach.planning.operations import set_kits

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        # The demo's regions, targets, sites, teams, kits and users; not its planned sessions and logs (half a
        # minute of conflict checks on a busy machine): the bench plans its own sessions below.
        extensions, demo.DEMO_EXTENSIONS = demo.DEMO_EXTENSIONS, []
        try:
            demo.seed_demo()
        finally:
            demo.DEMO_EXTENSIONS = extensions
        kabupaten = demo_data.KABUPATEN[0]
        teams = list(db.session.scalars(sa.select(Team).order_by(Team.id)))
        kits = {t.id: [k.id for k in db.session.scalars(sa.select(Kit).where(Kit.team_id == t.id))] for t in teams}
        sites = list(db.session.scalars(sa.select(Site).where(Site.kabupaten_kode == kabupaten,
                                                              Site.active.is_(True)).order_by(Site.id)))
        users = []
        for n in range(field_users):
            team = teams[n % len(teams)]
            user = User(username=f"bench_lapangan_{n}", name=f"Bench {n}", role="field", team_id=team.id)
            user.set_password(PASSWORD)
            users.append(user)
        manager = User(username="bench_manajer", name="Bench Manajer", role="manager", scope_kode=kabupaten)
        manager.set_password(PASSWORD)
        db.session.add_all(users + [manager])
        db.session.flush()
        rng = random.Random(17)
        today = clock.local_today()
        queues: dict[str, list[int]] = {u.username: [] for u in users}
        rows = []
        for i in range(sessions):
            user = users[i % len(users)]
            site = rng.choice(sites)
            s = RecordingSession(site_id=site.id, desa_kode=site.desa_kode, kecamatan_kode=site.kecamatan_kode,
                                 kabupaten_kode=site.kabupaten_kode, provinsi_kode=site.provinsi_kode,
                                 date=today - timedelta(days=1 + i % 3), start_time=clock_time(8),
                                 end_time=clock_time(12), team_id=user.team_id, kind="perekaman",
                                 status="terkonfirmasi", target_groups=["umum"], expected_turnout=20)
            set_kits(s, kits.get(user.team_id, [])[:1])
            rows.append((user.username, s))
        db.session.add_all(s for _u, s in rows)
        db.session.commit()
        for username, s in rows:
            queues[username].append(s.id)
    return {"field": [u for u in queues], "manager": "bench_manajer", "queues": queues}


def clock_time(hour: int):
    from datetime import time as dtime
    return dtime(hour)


# ---------------------------------------------------------------- the server

@contextmanager
def gunicorn(url: str, workers: int):
    with served(url, workers, env={"JB_BENCH_MINIMAL": "1"}) as (base, proc):
        out("server", f"gunicorn_w{workers}_pid{proc.pid}")
        yield base, proc


# ---------------------------------------------------------------- virtual users

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Recorder:
    def __init__(self):
        self.samples: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)  # kind -> (end, ms, ok)

    def add(self, kind: str, end: float, ms: float, ok: bool) -> None:
        self.samples[kind].append((end, ms, ok))

    def figures(self, kinds, start: float, stop: float) -> dict:
        rows = [r for k in kinds for r in self.samples.get(k, ()) if start <= r[0] <= stop]
        ms = sorted(r[1] for r in rows)
        seconds = stop - start

        def pct(p):
            return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 1) if ms else None

        return {"rps": round(len(rows) / seconds, 1), "p50_ms": round(statistics.median(ms), 1) if ms else None,
                "p95_ms": pct(95), "p99_ms": pct(99), "errors": sum(1 for r in rows if not r[2]),
                "requests": len(rows)}


class User:
    def __init__(self, base: str, username: str, recorder: Recorder):
        import httpx

        self.client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.username, self.recorder, self.csrf = username, recorder, ""

    async def login(self, landing: str) -> None:
        page = await self.client.get("/login")
        token = CSRF_INPUT.search(page.text).group(1)
        resp = await self.client.post("/login", data={"username": self.username, "password": PASSWORD,
                                                      "csrf_token": token})
        if resp.status_code != 302:
            raise RuntimeError(f"login of {self.username} failed: {resp.status_code}")
        page = await self.client.get(landing)
        found = CSRF_META.search(page.text)
        self.csrf = found.group(1) if found else token

    async def call(self, kind: str, method: str, url: str, expect=(200,), **kw) -> bool:
        t0 = time.monotonic()
        try:
            resp = await self.client.request(method, url, **kw)
            await resp.aread()
            ok = resp.status_code in expect
        except Exception:  # a timeout or a dropped connection is an error of the run, not of the bench
            ok = False
        end = time.monotonic()
        self.recorder.add(kind, end, (end - t0) * 1000, ok)
        return ok

    def post_headers(self, key: bool = True) -> dict:
        h = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        if key:
            h["Idempotency-Key"] = uuid.uuid4().hex
        return h


async def field_loop(user: User, queue: list[int], stop: float, read: bool, minimal: bool) -> None:
    while time.monotonic() < stop:
        if read:
            await user.call("schedule", "GET", "/api/v1/my/sessions?per_page=20")
        if minimal:
            await user.call("minimal_post", "POST", "/api/bench/minimal", expect=(201,),
                            headers=user.post_headers(key=False), json={"n": 1, **LOG_BODY})
            continue
        if not queue:
            await asyncio.sleep(0.05)
            continue
        sid = queue.pop(0)
        await user.call("turnout_post", "POST", f"/api/v1/sessions/{sid}/turnout", expect=(201,),
                        headers=user.post_headers(), json=LOG_BODY)


async def manager_loop(user: User, stop: float) -> None:
    views = [("dashboard", "/dasbor"),
             ("map_regions", f"/api/v1/map/regions?level=desa&bbox={KOTA_BBOX}&zoom=12"),
             ("map_sites", f"/api/v1/map/sites?bbox={KOTA_BBOX}&zoom=13"),
             ("map_sessions", f"/api/v1/map/sessions?bbox={KOTA_BBOX}&zoom=12")]
    n = 0
    while time.monotonic() < stop:
        kind, url = views[n % len(views)]
        n += 1
        await user.call(kind, "GET", url)


async def run(base: str, plan: dict, seconds: float, managers: int) -> dict:
    recorder = Recorder()
    field = [User(base, name, recorder) for name in plan["field"]]
    bosses = [User(base, plan["manager"], recorder) for _ in range(managers)]
    for u in field:
        await u.login("/jadwal-saya")
    for u in bosses:
        await u.login("/dasbor")
    queues = plan["queues"]
    phases = {}

    async def phase(name, jobs):
        start = time.monotonic()
        stop = start + seconds
        await asyncio.gather(*(job(stop) for job in jobs))
        phases[name] = (start, stop)

    # Warm-up: each worker imports its lazy modules and fills its caches once (not measured).
    await phase("warmup", [lambda stop, u=u: field_loop(u, queues[u.username], time.monotonic() + 2, True, False)
                           for u in field] + [lambda stop, u=u: manager_loop(u, time.monotonic() + 2) for u in bosses])
    warm = [r for rows in recorder.samples.values() for r in rows]
    phases["warmup_errors"] = sum(1 for r in warm if not r[2])
    recorder.samples.clear()
    await phase("mixed", [lambda stop, u=u: field_loop(u, queues[u.username], stop, True, False) for u in field]
                + [lambda stop, u=u: manager_loop(u, stop) for u in bosses])
    await phase("turnout", [lambda stop, u=u: field_loop(u, queues[u.username], stop, False, False) for u in field])
    await phase("minimal", [lambda stop, u=u: field_loop(u, queues[u.username], stop, False, True) for u in field])
    for u in field + bosses:
        await u.client.aclose()
    return {"recorder": recorder, "phases": phases, "left": sum(len(q) for q in queues.values())}


def report(result: dict) -> None:
    rec, phases = result["recorder"], result["phases"]
    out("warmup_errors", phases["warmup_errors"])  # not in the figures below, but never hidden
    every = ["schedule", "turnout_post", "dashboard", "map_regions", "map_sites", "map_sessions"]
    start, stop = phases["mixed"]
    for key, value in rec.figures(every, start, stop).items():
        out(key, value)
    for kind in every:
        for key, value in rec.figures([kind], start, stop).items():
            out(f"mixed_{kind}_{key}", value)
    start, stop = phases["turnout"]
    turnout = rec.figures(["turnout_post"], start, stop)
    for key, value in turnout.items():
        out(f"turnout_post_{key}", value)
    start, stop = phases["minimal"]
    minimal = rec.figures(["minimal_post"], start, stop)
    for key, value in minimal.items():
        out(f"minimal_{key}", value)
    out("turnout_vs_minimal", round(turnout["rps"] / minimal["rps"], 3) if minimal["rps"] else None)
    out("sessions_left_unlogged", result["left"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--field-users", type=int, default=8)
    parser.add_argument("--managers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--pg", default=DEFAULT_PG, help="URL of a database on the server (to create the bench's)")
    args = parser.parse_args()
    try:
        import httpx  # noqa: F401
    except ImportError:
        out("skipped", "httpx not installed (pip install -r requirements-dev.txt)")
        return 0
    began = time.monotonic()
    with temporary_database(args.pg) as url:
        t0 = time.monotonic()
        plan = prepare(url, args.field_users, args.sessions)
        out("setup_s", round(time.monotonic() - t0, 1))
        out("virtual_users", f"{args.field_users}_field+{args.managers}_managers")
        out("phase_seconds", args.seconds)
        with gunicorn(url, args.workers) as (base, _proc):
            result = asyncio.run(run(base, plan, args.seconds, args.managers))
        report(result)
    out("total_s", round(time.monotonic() - began, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
