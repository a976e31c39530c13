"""Coverage of big areas with and without kecamatan_totals, on an existing database (it is written to: the
refresh, and with --stale N a bump of N kecamatan rows; use a copy). Prints name=value lines (ms, median of
--repeat runs after two warm-up runs).

    DATABASE_URL=postgresql://... .venv/bin/python bench/rollup_bench.py [--repeat 15] [--stale 200]

Measured: GET /api/v1/coverage and ?region=33 as the first admin (Flask's test client, server time), and
compute_totals of the whole country (the levels of the national dashboard: total, provinsi,
kecamatan) and of province 33 (provinsi, kabupaten, kecamatan) summing every desa ("desa") and from the
rollup ("rollup"), first with every row stale (just after the migration), then after a full refresh, then
with --stale rows bumped (a busy few minutes of logs); and the refresh itself (full, then of those rows).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--stale", type=int, default=200)
    args = parser.parse_args()

    import sqlalchemy as sa

    from outreach import create_app
    from outreach.extensions import db
    from outreach.models import KecamatanTotals as KT
    from outreach.regions import queries as rq
    from outreach.regions.rollup import analyze, refresh_kecamatan_totals

    import secrets

    from outreach.models import User

    app = create_app({"COVERAGE_CACHE": False, "SECRET_KEY": secrets.token_hex(32)})
    client = app.test_client()
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id).limit(1))
        login_id = admin.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = login_id, True
    questions = {"national": ([None, "provinsi", "kecamatan"], rq.DesaFilter()),
                 "province33": (["provinsi", "kabupaten", "kecamatan"], rq.DesaFilter.within("33"))}

    def timed(fn) -> float:
        for _ in range(2):
            fn()
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        return statistics.median(runs)

    def measure(state: str) -> None:
        for name, (levels, desa) in questions.items():
            for path, rollup in (("desa", False), ("rollup", True)):
                ms = timed(lambda: rq.compute_totals(levels, desa, rollup=rollup))
                print(f"{state}_{name}_{path}_ms={ms:.1f}", flush=True)
            same = rq.compute_totals(levels, desa, rollup=False) == rq.compute_totals(levels, desa)
            print(f"{state}_{name}_equal={same}", flush=True)
        for name, url in (("national", "/api/v1/coverage"), ("province33", "/api/v1/coverage?region=33")):
            def call():
                with app.app_context():  # a fresh `g` per request, as in a server (no per-request memo left over)
                    resp = client.get(url)
                assert resp.status_code == 200, (url, resp.status_code)
            print(f"{state}_api_{name}_ms={timed(call):.1f}", flush=True)

    with app.app_context():
        stale = db.session.scalar(sa.select(sa.func.count()).select_from(KT).where(KT.stale))
        print(f"rows={db.session.scalar(sa.select(sa.func.count()).select_from(KT))} stale_at_start={stale}")
        measure("all_stale" if stale else "start")
        started = time.perf_counter()
        n = refresh_kecamatan_totals(db.session, everything=True)
        db.session.commit()
        analyze(db.session)
        print(f"refresh_all_ms={(time.perf_counter() - started) * 1000:.0f} refreshed={n}", flush=True)
        measure("fresh")
        codes = db.session.scalars(sa.select(KT.kode).order_by(KT.kode).limit(args.stale * 7)).all()[::7]
        db.session.execute(sa.update(KT).where(KT.kode.in_(codes)).values(version=KT.version + 1))
        db.session.commit()
        measure(f"stale{len(codes)}")
        started = time.perf_counter()
        n = refresh_kecamatan_totals(db.session)
        db.session.commit()
        print(f"refresh_stale_ms={(time.perf_counter() - started) * 1000:.0f} refreshed={n}", flush=True)
        started = time.perf_counter()
        n = refresh_kecamatan_totals(db.session)
        db.session.commit()
        print(f"refresh_nothing_ms={(time.perf_counter() - started) * 1000:.1f} refreshed={n}", flush=True)


if __name__ == "__main__":
    main()
