"""Benchmark: how big the forms with long lists are at national scale (bytes of HTML as rendered, no gzip).

    .venv/bin/python bench/form_lists_weight.py            # a made-up country in a temporary SQLite file

Builds, in bulk, a country of national size: 38 provinsi, 514 kabupaten/kota, 7,285 kecamatan, 83,762 desa,
3 teams per kabupaten (1,542) with 2 kits each (3,084), and one kecamatan with 3,000 sites (schools) over its
10 desa. Then renders, signed in as a national admin and as the coordinator of that kecamatan:

    admin_team_form      /admin/tim/baru          (office: every kabupaten/kota, or provinsi → kabupaten)
    admin_kit_form       /admin/kit/baru          (office, and the teams of the office: "Tim asal")
    admin_user_form      /admin/pengguna/baru     (a field user's team)
    session_form_admin   /sesi/baru               (sites, teams and kits the admin may book)
    session_form_kec     /sesi/baru?kecamatan=…   (the admin, coming from the busy kecamatan's calendar)
    session_form_coord   /sesi/baru               (the coordinator of the busy kecamatan)
    calendar_admin       /kalender?kecamatan=     (the admin's calendar before choosing an area: its team filter)
    planner_admin        /usulan-jadwal           (the planner's teams and kits)

and prints `name_bytes=<n> name_options=<n>` lines (options: <option> and kit checkboxes in the page). Sizes
depend only on the data and the templates, not on timing. The same file runs on an older checkout (copy it
into that checkout's bench/) to give the "before" figures.
"""
from __future__ import annotations

import re
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROVINCES, KABUPATEN, KECAMATAN, DESA = 38, 514, 7285, 83762
TEAMS_PER_KABUPATEN, KITS_PER_TEAM = 3, 2
BUSY_SITES, BUSY_DESA = 3000, 10
PASSWORD = "bench-form-lists-1"


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal whole numbers."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def region_rows() -> list[dict]:
    """The made-up country: codes shaped like Kemendagri's (11, 11.01, 11.01.01, 11.01.01.2001)."""
    rows = []

    def add(kode, level, parent, nama):
        parts = kode.split(".")
        rows.append({"kode": kode, "nama": nama, "level": level, "kind": level, "parent_kode": parent,
                     "provinsi_kode": parts[0], "kabupaten_kode": ".".join(parts[:2]) if len(parts) > 1 else None,
                     "kecamatan_kode": ".".join(parts[:3]) if len(parts) > 2 else None, "lat": -7.0, "lng": 110.4})

    kab_per_prov = _spread(KABUPATEN, PROVINCES)
    kec_per_kab = _spread(KECAMATAN, KABUPATEN)
    desa_per_kec = _spread(DESA - BUSY_DESA, KECAMATAN - 1)
    k = c = 0
    for p in range(PROVINCES):
        prov = str(11 + p)
        add(prov, "provinsi", None, f"Provinsi {prov}")
        for kb in range(kab_per_prov[p]):
            kab = f"{prov}.{kb + 1:02d}"
            add(kab, "kabupaten", prov, f"Kabupaten {kab}")
            for kc in range(kec_per_kab[k]):
                kec = f"{kab}.{kc + 1:02d}"
                add(kec, "kecamatan", kab, f"Kecamatan {kec}")
                n = BUSY_DESA if c == 0 else desa_per_kec[c - 1]
                for d in range(n):
                    add(f"{kec}.{2001 + d}", "desa", kec, f"Desa {kec}.{2001 + d}")
                c += 1
            k += 1
    return rows


def build(app) -> dict:
    """Fill the database; the codes and ids the pages need."""
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.models import Kit, Region, Site, Team, User

    with app.app_context():
        rows = region_rows()
        for i in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Region), rows[i:i + 5000])
        kabupaten = [r["kode"] for r in rows if r["level"] == "kabupaten"]
        busy = next(r["kode"] for r in rows if r["level"] == "kecamatan")
        db.session.execute(sa.insert(Team), [
            {"nama": f"Tim {kab} #{i}", "office_kode": kab, "office_lat": -7.0, "office_lng": 110.4, "members": "",
             "phone": "", "active": True, "calendar_secret": secrets.token_urlsafe(16)}
            for kab in kabupaten for i in range(1, TEAMS_PER_KABUPATEN + 1)])
        teams = db.session.execute(sa.select(Team.id, Team.office_kode)).all()
        db.session.execute(sa.insert(Kit), [
            {"code": f"KIT-{tid}-{i}", "status": "ok", "office_kode": office, "team_id": tid, "notes": ""}
            for tid, office in teams for i in range(1, KITS_PER_TEAM + 1)])
        parts = busy.split(".")
        db.session.execute(sa.insert(Site), [
            {"type": "sekolah", "nama": f"Sekolah {n}", "desa_kode": f"{busy}.{2001 + n % BUSY_DESA}",
             "kecamatan_kode": busy, "kabupaten_kode": ".".join(parts[:2]), "provinsi_kode": parts[0],
             "lat": -7.0, "lng": 110.4, "address": f"Jl. Sekolah {n}", "active": True}
            for n in range(BUSY_SITES)])
        for username, role, scope in (("admin_nasional", "admin", None), ("koordinator_sibuk", "coordinator", busy)):
            user = User(username=username, name=username, role=role, scope_kode=scope)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    return {"busy": busy}


def measure(client, username: str, path: str) -> tuple[int, int]:
    client.post("/logout")
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302, f"login of {username} failed"
    resp = client.get(path)
    assert resp.status_code == 200, f"{path}: HTTP {resp.status_code}"
    html = resp.get_data(as_text=True)
    return len(resp.get_data()), len(re.findall(r"<option\b", html)) + html.count('name="kit_ids"')


def main() -> None:
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from outreach import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                          "SECRET_KEY": secrets.token_hex(32), "TESTING": True, "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        codes = build(app)
        client = app.test_client()
        pages = [("admin_team_form", "admin_nasional", "/admin/tim/baru"),
                 ("admin_kit_form", "admin_nasional", "/admin/kit/baru"),
                 ("admin_user_form", "admin_nasional", "/admin/pengguna/baru"),
                 ("session_form_admin", "admin_nasional", "/sesi/baru"),
                 ("session_form_kec", "admin_nasional", f"/sesi/baru?kecamatan={codes['busy']}"),
                 ("session_form_coord", "koordinator_sibuk", "/sesi/baru"),
                 ("calendar_admin", "admin_nasional", "/kalender?kecamatan="),
                 ("planner_admin", "admin_nasional", "/usulan-jadwal")]
        for name, username, path in pages:
            size, options = measure(client, username, path)
            print(f"{name}_bytes={size} {name}_options={options}")


if __name__ == "__main__":
    main()
