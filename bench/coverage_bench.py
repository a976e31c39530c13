"""Coverage at province scale: generate a year of synthetic work on the real regions of Jawa Tengah, then
time the coverage API, the area table and (when they exist) the dashboard pages. Prints name=value lines.

    .venv/bin/python bench/coverage_bench.py [--data DIR] [--database-url postgresql://...] [--repeat 11]
                                             [--sqlite-only] [--keep FILE.sqlite]

Data (real regions, synthetic counts): all 8,563 desa via the region import (with their boundaries,
unless --no-boundaries), the 25,002 schools via the sites import, a SIAK targets file per desa (three export dates), ~34,000 more sites (a balai desa and
RT/RW points per desa: ~60,000 sites), 140 teams with 420 kits, 100,000 sessions with their 100,000
turnout logs over the last year plus cancelled and coming sessions, known-away counts and a year of
daily snapshots of every kabupaten and kecamatan. The province row 33 is not in the region file (as in
the real data): the province is summed over its kabupaten.

The data is generated in this process and measured in a fresh one (as a server process would be).
Timings are server time: the WSGI call through Flask's test client (or the function call), median of
--repeat runs after two warm-up runs; queries = statements sent to the database by one call. Each call is
measured cold (COVERAGE_CACHE off: every figure computed; the default on PostgreSQL) and "_cached" (the
default on SQLite: a repeat reads the per-process figures cache after a fingerprint query). "_cpu_ms" is this process's CPU
time (on SQLite it includes the database work; it is less sensitive to other load on the machine than the
wall clock); "calibration_1m_loop_ms" times a fixed Python loop, to read the figures against.
With --database-url the PostgreSQL database is EMPTIED first (DROP SCHEMA public CASCADE).
"""
from __future__ import annotations

import argparse
import hashlib
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIB = ZoneInfo("Asia/Jakarta")
PASSWORD = "bench-password-123"
N_LOGGED = 100_000
N_CANCELLED = 4_000
N_OPEN = 6_000
TEAMS_PER_KABUPATEN = 4
KITS_PER_TEAM = 3
EXTRA_SITES_PER_DESA = 4  # 1 balai desa + 3 RT/RW points


def h(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def fresh_app(url: str):
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def targets_csv(desa_codes: list[str], today: date) -> bytes:
    """One SIAK row per desa; three export dates so the 'recorded since' window differs per desa."""
    exports = [today - timedelta(days=d) for d in (240, 150, 45)]
    lines = ["kode,wajib_ktp,sudah_rekam,as_of"]
    for kode in desa_codes:
        x = h(kode)
        wajib = 1200 + x % 5000
        backlog = 40 + (x >> 8) % int(wajib * 0.08)
        lines.append(f"{kode},{wajib},{wajib - backlog},{exports[x % 3].isoformat()}")
    return ("\n".join(lines) + "\n").encode()


def _bulk(db, model, rows, size=5000):
    from sqlalchemy import insert

    for i in range(0, len(rows), size):
        db.session.execute(insert(model), rows[i:i + size])


def generate(app, data_dir: Path, today: date, out: list, boundaries: bool = True) -> dict:
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.imports.apply import ImportOptions, run_import
    from outreach.models import KnownAway, Kit, Region, Site, Team, User
    from outreach.vocab import AWAY_REASONS
    from outreach.models.field import TurnoutLog
    from outreach.models.jobs import CoverageSnapshot
    from outreach.models.planning import RecordingSession, SessionKit

    rng = random.Random(20260915)
    started = time.perf_counter()
    with app.app_context():
        steps = [("regions", "jateng_wilayah.csv"), ("sites", "jateng_sekolah.csv")]
        if boundaries:  # the production shape: region rows carry their (large) boundary text
            steps[1:1] = [("boundaries", f) for f in ("jateng_kabupaten.geojson", "jateng_kecamatan.geojson",
                                                       "jateng_desa.geojson")]
        for kind, filename in steps:
            report = run_import(kind, (data_dir / filename).read_bytes(), ImportOptions(filename=filename),
                                commit=True)
            if not report.ok:
                raise SystemExit(f"{kind} import refused: {[str(e) for e in report.errors[:5]]}")
        desa = db.session.execute(sa.select(Region.kode, Region.kecamatan_kode, Region.kabupaten_kode,
                                            Region.provinsi_kode, Region.lat, Region.lng)
                                  .where(Region.level == "desa").order_by(Region.kode)).all()
        report = run_import("targets", targets_csv([d.kode for d in desa], today),
                            ImportOptions(filename="siak_sintetis.csv", today=today), commit=True)
        if not report.ok:
            raise SystemExit(f"targets import refused: {[str(e) for e in report.errors[:5]]}")
        db.session.execute(sa.update(Site).where(Site.type == "sekolah", Site.jenjang.in_(("SMA", "SMK", "MA")))
                           .values(pemilih_pemula=40 + Site.id % 160, pemilih_pemula_recorded=Site.id % 50,
                                   pemilih_pemula_as_of=today - timedelta(days=45)))

        # more sites: a balai desa and RT/RW points in every desa
        sites = []
        for d in desa:
            for i in range(EXTRA_SITES_PER_DESA):
                kind = "balai_desa" if i == 0 else "rt_rw"
                sites.append({"type": kind, "nama": f"{'Balai' if i == 0 else 'RT/RW'} {d.kode} #{i}",
                              "desa_kode": d.kode, "kecamatan_kode": d.kecamatan_kode,
                              "kabupaten_kode": d.kabupaten_kode, "provinsi_kode": d.provinsi_kode,
                              "lat": (d.lat or -7.0) + rng.uniform(-0.005, 0.005),
                              "lng": (d.lng or 110.0) + rng.uniform(-0.005, 0.005),
                              "rt": None if i == 0 else i, "rw": None if i == 0 else 1})
        _bulk(db, Site, sites)

        # teams and kits per kabupaten
        kabupaten = db.session.scalars(sa.select(Region.kode).where(Region.level == "kabupaten")
                                       .order_by(Region.kode)).all()
        teams = [{"nama": f"Tim {k} #{i}", "office_kode": k, "office_lat": -7.0, "office_lng": 110.0}
                 for k in kabupaten for i in range(1, TEAMS_PER_KABUPATEN + 1)]
        _bulk(db, Team, teams)
        team_rows = db.session.execute(sa.select(Team.id, Team.office_kode)).all()
        kits = [{"code": f"KIT-{t.id}-{i}", "status": "ok", "office_kode": t.office_kode, "team_id": t.id}
                for t in team_rows for i in range(KITS_PER_TEAM)]
        _bulk(db, Kit, kits)
        kits_by_team: dict[int, list[int]] = {}
        for kit_id, team_id in db.session.execute(sa.select(Kit.id, Kit.team_id)):
            kits_by_team.setdefault(team_id, []).append(kit_id)
        teams_by_kab: dict[str, list[int]] = {}
        for t in team_rows:
            teams_by_kab.setdefault(t.office_kode, []).append(t.id)

        all_sites = db.session.execute(sa.select(Site.id, Site.desa_kode, Site.kecamatan_kode, Site.kabupaten_kode,
                                                 Site.provinsi_kode)).all()

        # sessions: logged (past year), cancelled, open (some overdue, most coming)
        sessions, plans = [], []
        total = N_LOGGED + N_CANCELLED + N_OPEN
        for n in range(total):
            s = all_sites[rng.randrange(len(all_sites))]
            team = rng.choice(teams_by_kab[s.kabupaten_kode])
            if n < N_LOGGED:
                status, day = "selesai", today - timedelta(days=rng.randrange(1, 366))
            elif n < N_LOGGED + N_CANCELLED:
                status, day = "dibatalkan", today + timedelta(days=rng.randrange(-365, 30))
            else:
                status = rng.choice(("rencana", "terkonfirmasi", "terkonfirmasi"))
                day = today + timedelta(days=rng.randrange(-10, 45))
            start = dtime(rng.choice((7, 8, 9)), 0)
            end = dtime(start.hour + rng.choice((3, 4, 5)), 0)
            sessions.append({"site_id": s.id, "desa_kode": s.desa_kode, "kecamatan_kode": s.kecamatan_kode,
                             "kabupaten_kode": s.kabupaten_kode, "provinsi_kode": s.provinsi_kode, "date": day,
                             "start_time": start, "end_time": end, "team_id": team, "kind": "perekaman",
                             "target_groups": ["umum"], "expected_turnout": rng.randrange(10, 45),
                             "status": status, "version": 1})
            plans.append(team)
        _bulk(db, RecordingSession, sessions)
        ids = db.session.scalars(sa.select(RecordingSession.id).order_by(RecordingSession.id)).all()
        links, logs = [], []
        for sid, row in zip(ids, sessions):
            team_kits = kits_by_team[row["team_id"]]
            used = rng.sample(team_kits, rng.choice((1, 1, 2)))
            links += [{"session_id": sid, "kit_id": k, "date": row["date"]} for k in used]
            if row["status"] != "selesai":
                continue
            pp, umum, lansia = rng.randrange(0, 6), rng.randrange(0, 14), rng.randrange(0, 4)
            total_rec = pp + umum + lansia
            male = total_rec // 2
            begin = datetime.combine(row["date"], row["start_time"], tzinfo=WIB).astimezone(timezone.utc)
            finish = datetime.combine(row["date"], row["end_time"], tzinfo=WIB).astimezone(timezone.utc)
            logs.append({"session_id": sid, "desa_kode": row["desa_kode"], "kecamatan_kode": row["kecamatan_kode"],
                         "kabupaten_kode": row["kabupaten_kode"], "provinsi_kode": row["provinsi_kode"],
                         "session_date": row["date"], "recorded_pemilih_pemula": pp, "recorded_umum": umum,
                         "recorded_lansia_disabilitas": lansia, "recorded_l": male, "recorded_p": total_rec - male,
                         "recorded_total": total_rec, "not_recorded_tidak_ditemukan_siak": rng.randrange(0, 2),
                         "not_recorded_tidak_bersedia": rng.randrange(0, 2), "hours_after_end": rng.choice((1, 2, 5, 30)),
                         "away_luar_negeri": rng.randrange(0, 2), "started_at": begin, "ended_at": finish,
                         "kit_ids": used, "notes": "", "idempotency_key": f"bench-{sid}",
                         "request_fingerprint": "0" * 64, "version": 1, "created_at": finish, "updated_at": finish})
        _bulk(db, SessionKit, links)
        _bulk(db, TurnoutLog, logs)

        away = []
        for d in desa:
            x = h("away" + d.kode)
            for i, reason in enumerate(AWAY_REASONS):
                if (x >> i) & 1:
                    away.append({"desa_kode": d.kode, "reason": reason, "count": (x >> (4 + i * 5)) % 30})
        _bulk(db, KnownAway, away)

        # a year of daily snapshots for every kabupaten and kecamatan (synthetic, slowly falling)
        regions = db.session.execute(sa.select(Region.kode).where(Region.level.in_(("kabupaten", "kecamatan")))).all()
        snaps = []
        for (kode,) in regions:
            wajib = 50_000 + h(kode) % 400_000
            for back in range(365, 0, -1):
                backlog = int(wajib * 0.03 * (0.4 + 0.6 * back / 365))
                snaps.append({"region_kode": kode, "date": today - timedelta(days=back), "wajib_ktp": wajib,
                              "sudah_rekam_official": wajib - backlog, "official_as_of": today - timedelta(days=45),
                              "recorded_since": 0, "sudah_rekam_estimated": wajib - backlog, "backlog": backlog,
                              "known_away": backlog // 10, "reachable_backlog": backlog - backlog // 10})
        _bulk(db, CoverageSnapshot, snaps, size=10000)

        for username, role, scope in (("bench_admin", "admin", None), ("bench_manager_kab", "manager", "33.74")):
            user = User(username=username, name=username, role=role, scope_kode=scope)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                auto = conn.execution_options(isolation_level="AUTOCOMMIT")
                auto.exec_driver_sql("VACUUM ANALYZE")
                # Write the load out now, not while the pages are timed (a checkpoint flushing ~100 MB of
                # dirty buffers slowed the first timings by a fifth).
                auto.exec_driver_sql("CHECKPOINT")
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        counts = {name: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for name, model in (
            ("desa", Region.__table__.select().where(Region.level == "desa").subquery()), ("sites", Site),
            ("sessions", RecordingSession), ("logs", TurnoutLog), ("session_kits", SessionKit),
            ("known_away", KnownAway), ("snapshots", CoverageSnapshot), ("teams", Team), ("kits", Kit))}
    out.append(("generate_seconds", f"{time.perf_counter() - started:.1f}"))
    out += [(f"rows_{k}", v) for k, v in counts.items()]
    return counts


class QueryCounter:
    def __init__(self, engine):
        import sqlalchemy as sa

        self.n = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.n += 1


def measure(fn, repeat: int, counter: QueryCounter) -> tuple[float, float, int]:
    """Median wall-clock ms, median CPU ms of this process, median statements per call."""
    for _ in range(2):
        fn()
    times, cpu, queries = [], [], []
    for _ in range(repeat):
        before = counter.n
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(counter.n - before)
    return statistics.median(times), statistics.median(cpu), int(statistics.median(queries))


def calibration_ms() -> float:
    """A fixed pure-Python workload: read the timings against it when the machine is busy."""
    best = None
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best or 1e9, (time.perf_counter() - start) * 1000)
    return best


def run(label: str, url: str, data_dir: Path, repeat: int, reuse: bool = False,
        boundaries: bool = True, timed: bool = True, child: bool = False) -> list[tuple[str, object]]:
    import sqlalchemy as sa
    from flask_login import login_user

    from outreach.coverage.queries.figures import area_table
    from outreach.extensions import db
    from outreach.models import User

    out: list[tuple[str, object]] = []
    today = datetime.now(WIB).date()
    if reuse:
        from outreach import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "TESTING": True,
                          "WTF_CSRF_ENABLED": False})
        if not child:
            out.append(("generate", "reused"))
    else:
        app = fresh_app(url)
        generate(app, data_dir, today, out, boundaries)
        if not timed:
            with app.app_context():
                db.engine.dispose()
            return out
    with app.app_context():
        counter = QueryCounter(db.engine)
    client = app.test_client()

    def login(username):
        client.post("/logout")
        resp = client.post("/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, f"login {username} failed: {resp.status_code}"

    def get(path):
        def call():
            resp = client.get(path)
            assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"
        return call

    def direct(fn):
        def call():
            with app.test_request_context():
                user = db.session.scalar(sa.select(User).where(User.username == "bench_admin"))
                login_user(user)
                fn(user)
        return call

    endpoints = {r.endpoint: r.rule for r in app.url_map.iter_rules()}
    cases = [
        ("bench_admin", "api_coverage_province", get("/api/v1/coverage")),
        ("bench_admin", "api_coverage_kabupaten", get("/api/v1/coverage?region=33.74")),
        ("bench_admin", "area_table_kecamatan_function", direct(lambda u: area_table(u, "kecamatan"))),
        ("bench_admin", "api_areas_kecamatan", get("/api/v1/coverage/areas?level=kecamatan")),
        ("bench_admin", "api_trend_province", get("/api/v1/coverage/trend")),
        ("bench_admin", "api_trend_kabupaten", get("/api/v1/coverage/trend?region=33.74")),
        ("bench_admin", "api_forecast_province", get("/api/v1/coverage/forecast")),
        ("bench_admin", "api_teams_province", get("/api/v1/coverage/teams")),
        ("bench_admin", "api_pemilih_pemula_province", get("/api/v1/coverage/pemilih-pemula")),
        ("bench_manager_kab", "api_coverage_kabupaten_manager", get("/api/v1/coverage")),
    ]
    if "coverage.dashboard" in endpoints:
        cases += [("bench_admin", "page_dashboard_province", get("/dasbor")),
                  ("bench_admin", "page_dashboard_kabupaten", get("/dasbor/33.74")),
                  ("bench_manager_kab", "page_dashboard_kabupaten_manager", get("/dasbor"))]
    else:
        out.append(("pages", "absent"))
    if "coverage.area_table" in endpoints:
        cases.append(("bench_admin", "page_area_table_kecamatan", get("/dasbor/tabel?level=kecamatan")))
    out.append((f"{label}_calibration_1m_loop_ms", f"{calibration_ms():.0f}"))
    # Cold: every call computes its figures (COVERAGE_CACHE off, the PostgreSQL default). Cached (the SQLite
    # default): a repeat reads the per-process figures cache after a fingerprint query.
    for mode, cache in (("", False), ("_cached", True)):
        app.config["COVERAGE_CACHE"] = cache
        current = None
        for username, name, fn in cases:
            if username != current:
                login(username)
                current = username
            ms, cpu, queries = measure(fn, repeat, counter)
            out.append((f"{label}_{name}{mode}_median_ms", f"{ms:.1f}"))
            out.append((f"{label}_{name}{mode}_cpu_ms", f"{cpu:.1f}"))
            out.append((f"{label}_{name}{mode}_queries", queries))
    out.append((f"{label}_calibration_1m_loop_ms_after", f"{calibration_ms():.0f}"))
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (it is emptied first)")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even with --database-url")
    parser.add_argument("--postgresql-only", action="store_true", help="skip SQLite (needs --database-url)")
    parser.add_argument("--keep", type=Path, help="write the SQLite database here instead of a temporary file")
    parser.add_argument("--no-boundaries", action="store_true", help="skip the boundary imports (faster set-up)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the data a previous run left (--keep file, --database-url) without regenerating")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # measuring for a generating parent
    args = parser.parse_args(argv)
    if not (args.data / "jateng_wilayah.csv").exists():
        print(f"data directory not found: {args.data.resolve()}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = args.keep.resolve() if args.keep else Path(tmp) / "coverage_bench.sqlite"
        if sqlite_path.exists() and not args.reuse:
            sqlite_path.unlink()
        targets = [] if args.postgresql_only else [("sqlite", f"sqlite:///{sqlite_path}")]
        if args.database_url and not args.sqlite_only:
            targets.append(("postgresql", args.database_url))
        for label, url in targets:
            reuse = bool(args.reuse and (label != "sqlite" or args.keep))
            if reuse:
                lines = run(label, url, args.data, args.repeat, True, not args.no_boundaries, child=args.child)
            else:
                # Generate here, measure in a fresh process: a server process does not carry the generator's
                # heap (measured in the generating process, the pages ran up to a third slower).
                lines = run(label, url, args.data, args.repeat, False, not args.no_boundaries, timed=False)
            for name, value in lines:
                print(f"{name}={value}", flush=True)
            if not reuse:
                target = (["--keep", str(sqlite_path), "--sqlite-only"] if label == "sqlite"
                          else ["--database-url", url, "--postgresql-only"])
                done = subprocess.run([sys.executable, __file__, "--reuse", "--child", "--repeat", str(args.repeat),
                                       "--data", str(args.data), *target], check=False)
                if done.returncode:
                    return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
