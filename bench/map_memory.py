"""Benchmark: how much one web worker's memory grows serving the Jawa Tengah desa layer. Prints name=value lines.

    .venv/bin/python bench/map_memory.py [--data DIR] [--database-url postgresql://...]

Builds a fresh database (SQLite in a temporary directory, or the given PostgreSQL database, EMPTIED first)
with the app's own import code: the Jawa Tengah regions, then the kecamatan and desa boundaries of
../shared/data (the boundary import writes the shared map shapes, table region_shape). Then, in a fresh
Python process standing for a gunicorn worker, a province manager asks /api/v1/map/regions for the desa
layer over the whole province at a few zooms and for a few views across it, and the process's resident
memory (VmRSS) is read before the first map request and after the last:

- before: the region_shape table emptied, so the worker draws from its own per-process boundary index (the
  code before the shared table);
- after: the table filled, as the import left it.

Lines: worker_rss_growth_mb_before/after (all requests), layer_load_rss_mb_before/after and
first_request_s_before/after (a first desa request over the sea, which loads the layer's per-process state:
the area figures, and before the shared table every boundary of the level), serve_s_before/after (all
requests), answer_bytes (the same both ways), import_seconds, build_map_shapes_seconds and shapes_rows. Without the data
directory it prints skipped=... and exits 0.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-memory-123"
# (zoom, bbox): the whole province, then views across it at kecamatan, desa and street zooms.
VIEWS = [(8, "108.5,-8.3,111.8,-5.7"), (9, "109.5,-7.6,111.0,-6.6"), (11, "110.2,-7.2,110.6,-6.9"),
         (11, "109.0,-7.5,109.4,-7.2"), (13, "110.35,-7.05,110.45,-6.95"), (15, "110.40,-7.00,110.43,-6.98")]


def out(name: str, value) -> None:
    print(f"{name}={value}", flush=True)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return kb / 1024


def make_app(url: str):
    from outreach import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
                       "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def build(url: str, data: Path) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from outreach.extensions import db
    from outreach.imports.apply import ImportOptions, run_import
    from outreach.models import RegionShape, User

    app = make_app(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        start = time.perf_counter()
        for kind, name in [("regions", "jateng_wilayah.csv"), ("boundaries", "jateng_kecamatan.geojson"),
                           ("boundaries", "jateng_desa.geojson")]:
            report = run_import(kind, (data / name).read_bytes(), ImportOptions(filename=name), commit=True)
            if not report.ok:
                raise SystemExit(f"import {name} refused: {[str(e) for e in report.errors[:3]]}")
        out("import_seconds", round(time.perf_counter() - start, 1))
        out("shapes_rows", db.session.scalar(sa.select(sa.func.count()).select_from(RegionShape)))
        user = User(username="manajer_provinsi", name="Manajer Provinsi", role="manager", scope_kode="33")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


def worker(url: str) -> dict:
    """One fresh process: RSS before the first map request and after serving every view."""
    app = make_app(url)
    client = app.test_client()
    resp = client.post("/login", data={"username": "manajer_provinsi", "password": PASSWORD})
    assert resp.status_code == 302, "bench login failed"
    client.get("/api/v1/map/regions?level=kabupaten&bbox=0,0,1,1&zoom=5")  # imports, pools, first queries
    before = rss_mb()
    start = time.perf_counter()
    # A view of the sea: nothing to draw, but the layer's per-process state is loaded (the area figures;
    # before the shared table, also every boundary of the level).
    resp = client.get("/api/v1/map/regions?level=desa&bbox=108.6,-5.9,108.7,-5.8&zoom=11")
    assert resp.status_code == 200 and not resp.get_json()["features"], resp.get_data(as_text=True)[:200]
    first = time.perf_counter() - start
    loaded = rss_mb()
    total_bytes = 0
    for zoom, bbox in VIEWS:
        resp = client.get(f"/api/v1/map/regions?level=desa&bbox={bbox}&zoom={zoom}")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:200]
        total_bytes += len(resp.data)
    serve = time.perf_counter() - start
    return {"growth": rss_mb() - before, "load": loaded - before, "first": first, "serve": serve,
            "bytes": total_bytes}


def run_worker(url: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--worker", url], capture_output=True, text=True, check=False,
                            cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"worker failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def empty_shapes(url: str) -> None:
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.models import RegionShape

    with make_app(url).app_context():
        db.session.execute(sa.delete(RegionShape))
        db.session.commit()


def rebuild_shapes(url: str) -> None:
    from outreach.maps import shapes

    with make_app(url).app_context():
        start = time.perf_counter()
        for level in ("kecamatan", "desa"):
            shapes.rebuild(level)
        out("build_map_shapes_seconds", round(time.perf_counter() - start, 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--database-url", help="PostgreSQL database to use instead of SQLite (EMPTIED first)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import logging
        logging.disable(logging.WARNING)
        print(json.dumps(worker(args.worker)))
        return 0
    if not (args.data / "jateng_desa.geojson").exists():
        out("skipped", f"data directory not found: {args.data.resolve()}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'map_memory.sqlite'}"
        os.environ.setdefault("FLASK_RUN_FROM_CLI", "false")
        build(url, args.data)
        empty_shapes(url)
        before = run_worker(url)
        rebuild_shapes(url)
        after = run_worker(url)
        for name, r in (("before", before), ("after", after)):
            out(f"worker_rss_growth_mb_{name}", round(r["growth"], 1))
            out(f"layer_load_rss_mb_{name}", round(r["load"], 1))
            out(f"first_request_s_{name}", round(r["first"], 2))
            out(f"serve_s_{name}", round(r["serve"], 2))
            out(f"answer_bytes_{name}", r["bytes"])
        out("same_bytes", before["bytes"] == after["bytes"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
