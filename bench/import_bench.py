"""Import all of Jawa Tengah twice and print timings, peak memory and change counts as name=value lines.

    .venv/bin/python bench/import_bench.py [--data DIR] [--database-url postgresql://...] [--tracemalloc]

Always runs on a fresh SQLite file in a temporary directory; with --database-url it runs again on
that database, which is EMPTIED first (DROP SCHEMA public CASCADE): give it a database of its own.
Steps, each run twice: regions (9,174), kabupaten/kecamatan/desa boundaries (35/576/8,563),
schools (25,002), and a synthetic SIAK targets file with one row per desa (made up here, in
memory, only to time the import; it is never saved). The second run must change nothing.
Peak memory: the process's max RSS after each step, or with --tracemalloc the peak of Python
allocations during each step (slower).
"""
from __future__ import annotations

import argparse
import hashlib
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEPS = (
    ("regions", "regions", "jateng_wilayah.csv"),
    ("boundaries_kabupaten", "boundaries", "jateng_kabupaten.geojson"),
    ("boundaries_kecamatan", "boundaries", "jateng_kecamatan.geojson"),
    ("boundaries", "boundaries", "jateng_desa.geojson"),
    ("sites", "sites", "jateng_sekolah.csv"),
    ("targets", "targets", None),
)


def synthetic_targets(desa_codes: list[str]) -> bytes:
    """One made-up SIAK row per desa (deterministic), only to time the targets import."""
    lines = ["kode,wajib_ktp,sudah_rekam,as_of"]
    for kode in desa_codes:
        h = int(hashlib.sha1(kode.encode()).hexdigest()[:8], 16)
        wajib = 1500 + h % 6000
        lines.append(f"{kode},{wajib},{wajib - h % 120},2026-09-15")
    return ("\n".join(lines) + "\n").encode()


def fresh_app(url: str):
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "TESTING": True})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def fingerprint(db) -> tuple:
    """Row counts and newest change stamps: equal before and after a run that changes nothing."""
    import sqlalchemy as sa

    from outreach.models import Region, Site, TargetCount

    q = db.session.execute
    return (q(sa.select(sa.func.count(), sa.func.max(Region.updated_at)).select_from(Region)).one(),
            q(sa.select(sa.func.count(), sa.func.max(Site.updated_at)).select_from(Site)).one(),
            q(sa.select(sa.func.count()).select_from(TargetCount)).scalar(),
            q(sa.select(sa.func.count()).where(Region.has_boundary.is_(True))).scalar())


def run(label: str, url: str, data_dir: Path, use_tracemalloc: bool) -> list[tuple[str, object]]:
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.imports.apply import ImportOptions, run_import
    from outreach.models import Region

    out: list[tuple[str, object]] = []
    mem_label = "traced_peak" if use_tracemalloc else "max_rss"
    app = fresh_app(url)
    total = time.perf_counter()
    with app.app_context():
        for name, kind, filename in STEPS:
            for attempt in (1, 2):
                if filename is None:
                    codes = list(db.session.scalars(sa.select(Region.kode).where(Region.level == "desa")
                                                    .order_by(Region.kode)))
                    payload, shown = synthetic_targets(codes), "synthetic_targets.csv"
                else:
                    payload, shown = None, filename
                before = fingerprint(db)
                if use_tracemalloc:
                    tracemalloc.start()
                start = time.perf_counter()
                data = payload if payload is not None else (data_dir / filename).read_bytes()
                report = run_import(kind, data, ImportOptions(filename=shown), commit=True)
                seconds = time.perf_counter() - start
                if use_tracemalloc:
                    peak = tracemalloc.get_traced_memory()[1] / 1048576
                    tracemalloc.stop()
                else:
                    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                del data
                db.session.remove()
                if not report.ok:
                    raise SystemExit(f"{label} {name}: refused: {[str(e) for e in report.errors[:5]]}")
                suffix = "" if attempt == 1 else "_second_run"
                out.append((f"{label}_{name}{suffix}_seconds", f"{seconds:.2f}"))
                out.append((f"{label}_{name}{suffix}_{mem_label}_mb", f"{peak:.0f}"))
                if attempt == 1:
                    out += [(f"{label}_{name}_added", report.added), (f"{label}_{name}_updated", report.updated),
                            (f"{label}_{name}_unchanged", report.unchanged)]
                else:
                    same = fingerprint(db) == before
                    out += [(f"{label}_{name}_second_run_changed", report.added + report.updated),
                            (f"{label}_{name}_second_run_unchanged", report.unchanged),
                            (f"{label}_{name}_second_run_tables_identical", int(same))]
        out.append((f"{label}_total_seconds", f"{time.perf_counter() - total:.2f}"))
        counts = dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())
        out += [(f"{label}_{level}_count", counts.get(level, 0)) for level in ("kabupaten", "kecamatan", "desa")]
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (it is emptied first)")
    parser.add_argument("--tracemalloc", action="store_true", help="peak Python allocations per step (slower)")
    args = parser.parse_args(argv)
    if not (args.data / "jateng_wilayah.csv").exists():
        print(f"data directory not found: {args.data.resolve()}", file=sys.stderr)
        return 2
    print(f"memory_mode={'tracemalloc' if args.tracemalloc else 'max_rss'}")
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite")]
        if args.database_url:
            targets.append(("postgresql", args.database_url))
        for label, url in targets:
            for name, value in run(label, url, args.data, args.tracemalloc):
                print(f"{name}={value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
