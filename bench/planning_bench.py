"""Benchmark: creating and conflict-checking sessions when a kabupaten already has 20,000 sessions.

    .venv/bin/python bench/planning_bench.py                       # SQLite in a temporary file
    .venv/bin/python bench/planning_bench.py --database-url postgresql://postgres@127.0.0.1:5432/bench_planning
                                                                   # PostgreSQL: the database is wiped first!
Options: --sessions 20000 --requests 200 --seed 7

Prints `name=value` lines (milliseconds per request: median and p95; statements per request), and
the query plan of the conflict look-up as `# ` comment lines, to show it is index range scans.
"""
from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, time as dtime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from outreach import create_app  # noqa: E402
from outreach.extensions import db  # noqa: E402

KAB = "33.99"
KECAMATAN = 20
DESA_PER_KEC = 10
SITES_PER_DESA = 2
TEAMS = 8
KITS_PER_TEAM = 2
SLOTS = [(dtime(8), dtime(11)), (dtime(9), dtime(12)), (dtime(13), dtime(16)), (dtime(14), dtime(17))]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=None)
    p.add_argument("--sessions", type=int, default=20_000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def reset_schema(app):
    from flask_migrate import upgrade
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


def build_world(n_sessions: int, rng: random.Random, today: date):
    """A generated kabupaten: 20 kecamatan x 10 desa, 400 sites, 8 teams with 2 kits each, n sessions."""
    from outreach.models import ApiToken, Kit, RecordingSession, Region, SessionKit, Site, Team, User

    regions = [dict(kode="33", nama="Provinsi Uji", level="provinsi", kind="provinsi", parent_kode=None,
                    provinsi_kode="33"),
               dict(kode=KAB, nama="Kabupaten Bench", level="kabupaten", kind="kabupaten", parent_kode="33",
                    provinsi_kode="33", kabupaten_kode=KAB)]
    desa_codes = []
    for k in range(1, KECAMATAN + 1):
        kec = f"{KAB}.{k:02d}"
        regions.append(dict(kode=kec, nama=f"Kecamatan {k}", level="kecamatan", kind="kecamatan", parent_kode=KAB,
                            provinsi_kode="33", kabupaten_kode=KAB, kecamatan_kode=kec))
        for d in range(1, DESA_PER_KEC + 1):
            kode = f"{kec}.{2000 + d}"
            wajib = rng.randint(2000, 8000)
            regions.append(dict(kode=kode, nama=f"Desa {k}-{d}", level="desa", kind="desa", parent_kode=kec,
                                provinsi_kode="33", kabupaten_kode=KAB, kecamatan_kode=kec, wajib_ktp=wajib,
                                sudah_rekam=int(wajib * rng.uniform(0.9, 0.99))))
            desa_codes.append(kode)
    db.session.execute(sa.insert(Region), regions)
    sites = []
    for kode in desa_codes:
        kec = kode.rsplit(".", 1)[0]
        for i in range(SITES_PER_DESA):
            sites.append(dict(type="balai_desa" if i == 0 else "rt_rw", nama=f"Lokasi {kode} #{i}", address="",
                              desa_kode=kode, kecamatan_kode=kec, kabupaten_kode=KAB, provinsi_kode="33",
                              lat=-7.0, lng=110.0, contact_name="", contact_phone="", notes=""))
    db.session.execute(sa.insert(Site), sites)
    teams = [Team(nama=f"Tim Bench {i}", office_kode=KAB) for i in range(TEAMS)]
    db.session.add_all(teams)
    db.session.flush()
    kits = [Kit(code=f"BENCH-{t.id}-{j}", office_kode=KAB, team_id=t.id) for t in teams for j in range(KITS_PER_TEAM)]
    db.session.add_all(kits)
    coordinator = User(username="bench_koordinator", role="coordinator", scope_kode=f"{KAB}.01", name="Bench")
    coordinator.set_password("bench-password-123")
    db.session.add(coordinator)
    db.session.flush()
    token, raw = ApiToken.issue(coordinator, name="bench")
    db.session.add(token)
    db.session.flush()

    site_rows = db.session.execute(sa.select(Site.id, Site.desa_kode, Site.kecamatan_kode)).all()
    kits_of = {t.id: [k.id for k in kits if k.team_id == t.id] for t in teams}
    # Past year and the coming year: ~27 sessions a day across the kabupaten.
    span = 730
    rows, links = [], []
    for i in range(n_sessions):
        site_id, desa, kec = site_rows[rng.randrange(len(site_rows))]
        team = teams[rng.randrange(len(teams))]
        day = today - timedelta(days=365) + timedelta(days=rng.randrange(span))
        start, end = SLOTS[rng.randrange(len(SLOTS))]
        rows.append(dict(site_id=site_id, desa_kode=desa, kecamatan_kode=kec, kabupaten_kode=KAB, provinsi_kode="33",
                         date=day, end_date=None, start_time=start, end_time=end, team_id=team.id, kind="perekaman",
                         target_groups=["umum"], expected_turnout=40, turnout_reasoning="", version=1,
                         status="selesai" if day < today else rng.choice(["rencana", "terkonfirmasi", "dibatalkan"]),
                         confirmed_with="", cancel_reason="", notes="", override_reason=""))
    for chunk in range(0, len(rows), 2000):
        part = rows[chunk:chunk + 2000]
        ids = db.session.execute(sa.insert(RecordingSession).returning(RecordingSession.id), part).scalars().all()
        for sid, row in zip(ids, part):
            for kit_id in kits_of[row["team_id"]][:rng.randint(1, KITS_PER_TEAM)]:
                links.append(dict(session_id=sid, kit_id=kit_id, date=row["date"]))
    for chunk in range(0, len(links), 5000):
        db.session.execute(sa.insert(SessionKit), links[chunk:chunk + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    own_sites = [s for s, _, kec in site_rows if kec == f"{KAB}.01"]
    return coordinator, raw, own_sites, [t.id for t in teams], kits_of


def proposals(n, rng, today, own_sites, teams, kits_of):
    out = []
    for _ in range(n):
        team_id = teams[rng.randrange(len(teams))]
        start, end = SLOTS[rng.randrange(len(SLOTS))]
        day = today + timedelta(days=rng.randint(1, 300))
        out.append({"site_id": rng.choice(own_sites), "date": day.isoformat(), "start": start.strftime("%H:%M"),
                    "end": end.strftime("%H:%M"), "team_id": team_id, "kit_ids": kits_of[team_id][:1],
                    "override_reason": "bench"})
    return out


def summarise(name, samples_ms):
    samples = sorted(samples_ms)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    print(f"{name}_median_ms={statistics.median(samples):.2f}")
    print(f"{name}_p95_ms={p95:.2f}")


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._tick)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._tick)

    def _tick(self, *args):
        self.count += 1


def print_plan(app, team_id, kit_ids, site_id, day):
    """The conflict look-up's plan, as comments."""
    from sqlalchemy.dialects import postgresql, sqlite

    from outreach.models import RecordingSession, SessionKit
    from outreach.models.planning import ACTIVE_STATUSES, MAX_SESSION_DAYS
    RS = RecordingSession
    lo, hi = day - timedelta(days=MAX_SESSION_DAYS), day + timedelta(days=1)
    ids = sa.union(sa.select(RS.id).where(RS.team_id == team_id, RS.date.between(lo, hi)),
                   sa.select(RS.id).where(RS.site_id == site_id, RS.date.between(lo, hi)),
                   sa.select(SessionKit.session_id).where(SessionKit.kit_id.in_(kit_ids),
                                                          SessionKit.date.between(lo, hi)))
    q = sa.select(RS.id).where(RS.id.in_(ids), RS.status.in_(ACTIVE_STATUSES))
    dialect = db.engine.dialect.name
    compiled = q.compile(dialect=postgresql.dialect() if dialect == "postgresql" else sqlite.dialect(),
                         compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    for row in db.session.execute(sa.text(prefix + str(compiled))):
        print("# plan: " + " ".join(str(c) for c in row))


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='planning-bench-')}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    reset_schema(app)
    from outreach import clock
    from outreach.planning import checks, operations
    from outreach.planning.errors import ConflictsFound

    with app.app_context():
        today = clock.local_today()
        t0 = time.perf_counter()
        coordinator, token, own_sites, teams, kits_of = build_world(args.sessions, rng, today)
        print(f"database={db.engine.dialect.name}")
        print(f"existing_sessions={args.sessions}")
        print(f"setup_seconds={time.perf_counter() - t0:.1f}")
        coordinator_id = coordinator.id

        check_ms, create_ms, statements = [], [], []
        created = refused = 0
        for payload in proposals(args.requests, rng, today, own_sites, teams, kits_of):
            user = db.session.get(type(coordinator), coordinator_id)
            t = time.perf_counter()
            checks.check_session(user, payload)
            check_ms.append((time.perf_counter() - t) * 1000)
            with StatementCounter(db.engine) as counter:
                t = time.perf_counter()
                try:
                    operations.create_session(user, payload)
                    created += 1
                except ConflictsFound:
                    refused += 1
                create_ms.append((time.perf_counter() - t) * 1000)
            statements.append(counter.count)
        summarise("service_check", check_ms)
        summarise("service_create", create_ms)
        print(f"service_created={created}")
        print(f"service_refused_conflict={refused}")
        print(f"service_create_statements_median={statistics.median(statements):.0f}")
        print(f"service_create_statements_max={max(statements)}")
        sample = proposals(1, rng, today, own_sites, teams, kits_of)[0]
        print_plan(app, sample["team_id"], sample["kit_ids"], sample["site_id"], date.fromisoformat(sample["date"]))

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    api_ms, codes = [], {}
    for payload in proposals(args.requests, rng, today, own_sites, teams, kits_of):
        t = time.perf_counter()
        resp = client.post("/api/v1/sessions", json=payload, headers=headers)
        api_ms.append((time.perf_counter() - t) * 1000)
        codes[resp.status_code] = codes.get(resp.status_code, 0) + 1
    summarise("api_post_session", api_ms)
    for code in sorted(codes):
        print(f"api_post_status_{code}={codes[code]}")
    list_ms = []
    for i in range(min(args.requests, 50)):
        first = today + timedelta(days=30 * (i % 10))
        t = time.perf_counter()
        resp = client.get(f"/api/v1/sessions?from={first}&to={first + timedelta(days=30)}&per_page=200",
                          headers=headers)
        list_ms.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200
    summarise("api_list_month", list_ms)


if __name__ == "__main__":
    main()
