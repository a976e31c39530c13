"""Any province, end to end: DI Yogyakarta (34) from the national files (../shared/data/indonesia_*), loaded into a
fresh database the way README's "Your own province, or the whole country" tells a new user to, through the CLI.

Regions (without the province row: it comes from the official list), kabupaten/kecamatan/desa boundaries, the
schools list and invented SIAK counts; default places; a province manager and a kecamatan coordinator; teams and
kits from the admin pages. Then: the manager's dashboards add up and stay inside the province, the map is a shaded
choropleth, and the planner proposes sessions for kecamatan of three kabupaten.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.models import Kit, Region, Site, Team, User
from tests.conftest import WIB

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
NATIONAL = ("indonesia_wilayah.csv", "indonesia_kabupaten.geojson", "indonesia_kecamatan.geojson",
            "indonesia_desa.geojson", "indonesia_sekolah.csv", "indonesia_penduduk_kabupaten.csv")
MISSING = [name for name in NATIONAL if not (DATA / name).exists()]

# Monday 2 November 2026; the week of 23–27 November has no public holiday.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
FIRST, LAST = date(2026, 11, 23), date(2026, 11, 27)
AS_OF = "2026-10-01"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.at(NOW),
    pytest.mark.skipif(bool(MISSING), reason=f"real national data ({', '.join(MISSING)}) not found in "
                                             f"{DATA.resolve()}"),
]

PROV = "34"
# DI Yogyakarta with a margin, west,south,east,north.
DIY_BBOX = "109.9,-8.3,111.0,-7.4"
PASSWORD = "Sandi-Yogya-2026!"
# Three kecamatan in three kabupaten/kota: Temon (Kulon Progo), Tepus (Gunungkidul), Gedongtengen (Kota Yogyakarta).
COORDINATED = "34.01.01"
PLANNED_BY_ADMIN = ("34.03.07", "34.71.05")


# ---------------------------------------------------------------- slices of the national files

def _csv_slice(name: str, keep) -> str:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    return lines[0] + "".join(line for line in lines[1:] if keep(next(csv.reader([line]))))


_FEATURE = '{"type":"Feature","properties":{"kode":"'


def _geojson_slice(name: str, prefix: str) -> dict:
    """The features whose kode starts with `prefix`. The files are sorted by kode, so they are one run of the
    text: cut it out and parse only that (parsing the whole 80 MB desa file costs ~10 s and ~700 MB)."""
    text = (DATA / name).read_text(encoding="utf-8")
    start = text.index(_FEATURE + prefix)
    end = start
    while True:
        nxt = text.find(_FEATURE, end + 1)
        if nxt == -1 or not text.startswith(_FEATURE + prefix, nxt):
            break
        end = nxt
    tail = text.find(_FEATURE, end + 1)
    chunk = text[start:tail if tail != -1 else text.rindex("]")].rstrip().rstrip(",")
    features = json.loads("[" + chunk + "]")
    assert all(f["properties"]["kode"].startswith(prefix) for f in features)
    return {"type": "FeatureCollection", "features": features}


def _siak_counts(regions_csv: str) -> list[dict]:
    """Invented, deterministic SIAK counts: each desa gets an equal share of 70% of its kabupaten's population
    (indonesia_penduduk_kabupaten.csv) as wajib KTP, 2–6% of it not yet recorded."""
    population = {r["kode"]: int(r["penduduk_total"])
                  for r in csv.DictReader(io.StringIO(_csv_slice("indonesia_penduduk_kabupaten.csv",
                                                                  lambda r: r[0].startswith(PROV + "."))))}
    desa = [r["kode"] for r in csv.DictReader(io.StringIO(regions_csv)) if r["level"] == "desa"]
    per_kab: dict[str, int] = {}
    for kode in desa:
        per_kab[kode[:5]] = per_kab.get(kode[:5], 0) + 1
    rows = []
    for i, kode in enumerate(desa):
        wajib = round(0.7 * population[kode[:5]] / per_kab[kode[:5]])
        rows.append({"kode": kode, "wajib_ktp": wajib, "sudah_rekam": wajib - wajib * (2 + i % 5) // 100,
                     "as_of": AS_OF})
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The province's files, as a new user would cut them from the national set."""
    out = tmp_path_factory.mktemp("yogya")
    regions = _csv_slice("indonesia_wilayah.csv", lambda r: r[0].startswith(PROV + "."))  # no province row
    (out / "yogya_wilayah.csv").write_text(regions, encoding="utf-8")
    # A bit of Jawa Tengah (Kota Semarang, its province row included) that the manager must not see.
    (out / "semarang_wilayah.csv").write_text(
        _csv_slice("indonesia_wilayah.csv", lambda r: r[0] == "33" or r[0].startswith("33.74")), encoding="utf-8")
    for level in ("kabupaten", "kecamatan", "desa"):
        with open(out / f"yogya_{level}.geojson", "w", encoding="utf-8") as f:
            json.dump(_geojson_slice(f"indonesia_{level}.geojson", PROV + "."), f)
    (out / "yogya_sekolah.csv").write_text(
        _csv_slice("indonesia_sekolah.csv", lambda r: r[6].startswith(PROV + ".")), encoding="utf-8")
    siak = _siak_counts(regions)
    with open(out / "siak_yogya.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["kode", "wajib_ktp", "sudah_rekam", "as_of"])
        writer.writeheader()
        writer.writerows(siak)
    semarang_desa = [r["kode"] for r in csv.DictReader(io.StringIO((out / "semarang_wilayah.csv").read_text()))
                     if r["level"] == "desa"]
    (out / "siak_semarang.csv").write_text(
        "kode,wajib_ktp,sudah_rekam,as_of\n" + "".join(f"{k},1000,900,{AS_OF}\n" for k in semarang_desa),
        encoding="utf-8")
    return out, siak


def _flask(runner, *args) -> str:
    result = runner.invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _login(client, username):
    client.post("/logout")
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302, f"login as {username} failed"


def _count(db, query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _team_and_kit(client, db, kab: Region):
    """The admin's pages: one team and one kit at the kabupaten/kota office."""
    resp = client.post("/admin/tim/baru", data={"nama": f"Tim Keliling {kab.nama}", "office_kode": kab.kode,
                                                "office_lat": str(kab.lat), "office_lng": str(kab.lng),
                                                "members": "Budi\nSiti", "phone": "0812-3456-7890", "active": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    team = db.session.scalar(sa.select(Team).where(Team.office_kode == kab.kode))
    resp = client.post("/admin/kit/baru", data={"code": f"KIT-{kab.kode}", "status": "ok", "office_kode": kab.kode,
                                                "team_id": str(team.id), "notes": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert db.session.scalar(sa.select(Kit).where(Kit.team_id == team.id)) is not None


def _plan(client, kode):
    return client.post("/api/v1/plans", json={"region": kode, "date_from": FIRST.isoformat(),
                                               "date_to": LAST.isoformat()})


def test_di_yogyakarta_from_the_national_files(runner, client, db, files):
    folder, siak = files

    # 1. The imports, as README says.
    out = _flask(runner, "import-regions", folder / "yogya_wilayah.csv")
    assert "Daerah Istimewa Yogyakarta" in out  # the province row came from the official list
    _flask(runner, "import-regions", folder / "semarang_wilayah.csv")
    levels = dict(db.session.execute(sa.select(Region.level, sa.func.count()).where(Region.provinsi_kode == PROV)
                                     .group_by(Region.level)).all())
    assert levels == {"provinsi": 1, "kabupaten": 5, "kecamatan": 78, "desa": 438}
    province = db.session.get(Region, PROV)
    assert province.nama == "Daerah Istimewa Yogyakarta" and province.parent_kode is None
    assert {k.parent_kode for k in db.session.scalars(sa.select(Region).where(Region.level == "kabupaten",
                                                                              Region.provinsi_kode == PROV))} == {PROV}

    for level, count in (("kabupaten", 5), ("kecamatan", 78), ("desa", 438)):
        out = _flask(runner, "import-boundaries", folder / f"yogya_{level}.geojson")
        assert f"{count} ditambah" in out, out
    assert _count(db, sa.select(Region.kode).where(Region.provinsi_kode == PROV, Region.has_boundary)) == 5 + 78 + 438

    _flask(runner, "import-sites", folder / "yogya_sekolah.csv", "--valid-only", "--jenjang", "SMA,SMK,SLB")
    schools = _count(db, sa.select(Site.id).where(Site.type == "sekolah", Site.provinsi_kode == PROV))
    assert schools > 400  # 163 SMA + 220 SMK + 77 SLB, less any refused row

    out = _flask(runner, "import-targets", folder / "siak_yogya.csv")
    assert "438" in out, out
    _flask(runner, "import-targets", folder / "siak_semarang.csv")

    # 2. A recording place in every desa; the users.
    _flask(runner, "create-default-places", "--kecamatan", PROV)
    places = db.session.scalars(sa.select(Site.desa_kode).where(Site.type == "balai_desa",
                                                                Site.provinsi_kode == PROV)).all()
    assert len(places) == len(set(places)) == 438
    _flask(runner, "create-user", "manajer_diy", "--role", "manager", "--scope", PROV, "--password", PASSWORD)
    _flask(runner, "create-user", "koord_temon", "--role", "coordinator", "--scope", COORDINATED,
           "--password", PASSWORD)
    _flask(runner, "create-user", "admin_diy", "--role", "admin", "--password", PASSWORD)
    assert db.session.scalar(sa.select(User.scope_kode).where(User.username == "manajer_diy")) == PROV

    # 3. The province manager: dashboards that add up, and nothing of Jawa Tengah.
    _login(client, "manajer_diy")
    wajib = sum(r["wajib_ktp"] for r in siak)
    recorded = sum(r["sudah_rekam"] for r in siak)
    body = client.get(f"/api/v1/coverage?region={PROV}").get_json()
    region, children = body["region"], body["children"]
    assert region["nama"] == "Daerah Istimewa Yogyakarta"
    assert (region["wajib_ktp"], region["sudah_rekam_official"]) == (wajib, recorded)
    assert [c["kode"] for c in children] == ["34.01", "34.02", "34.03", "34.04", "34.71"]
    for key in ("wajib_ktp", "sudah_rekam_official", "backlog", "reachable_backlog"):
        assert sum(c[key] for c in children) == region[key], key
    assert region["backlog"] == wajib - recorded > 0
    assert client.get("/api/v1/coverage").get_json()["region"]["kode"] == PROV  # the scope is the default
    kecamatan = client.get(f"/api/v1/coverage/areas?level=kecamatan&parent={PROV}").get_json()
    assert kecamatan["total"] == 78 and sum(r["wajib_ktp"] for r in kecamatan["items"]) == wajib
    desa = client.get(f"/api/v1/coverage/areas?level=desa&parent={PROV}").get_json()
    assert desa["total"] == 438 and sum(r["wajib_ktp"] for r in desa["items"]) == wajib
    assert {r["kode"]: r["wajib_ktp"] for r in desa["items"]} == {r["kode"]: r["wajib_ktp"] for r in siak}

    page = client.get(f"/dasbor/{PROV}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Daerah Istimewa Yogyakarta" in text and f"{wajib:,}".replace(",", ".") in text
    for kab in ("Kabupaten Kulon Progo", "Kabupaten Gunungkidul", "Kota Yogyakarta"):
        assert kab in text
    assert client.get("/dasbor").status_code == 200
    assert client.get(f"/wilayah/{PROV}").status_code == 200

    for url in ("/api/v1/coverage?region=33", "/api/v1/coverage?region=33.74",
                "/api/v1/coverage/areas?level=kecamatan&parent=33.74", "/api/v1/coverage/trend?region=33"):
        assert client.get(url).status_code in (403, 404), url
    for url in ("/dasbor/33", "/dasbor/33.74", "/wilayah/33.74"):
        assert client.get(url).status_code in (403, 404), url
    assert "33.74" not in json.dumps(client.get("/api/v1/coverage/areas?level=kecamatan").get_json())

    # 4. The shaded province map: polygons with a colour class each, not dots.
    peta = client.get("/peta")
    assert peta.status_code == 200
    config = json.loads(re.search(r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>',
                                  peta.get_data(as_text=True), re.S).group(1))
    (south, west), (north, east) = config["bounds"]  # the first view is the province, not Jawa Tengah
    assert -8.3 < south < north < -7.4 and 109.9 < west < east < 111.0
    for level, count in (("kabupaten", 5), ("kecamatan", 78), ("desa", 438)):
        resp = client.get(f"/api/v1/map/regions?level={level}&bbox={DIY_BBOX}&zoom=10")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        layer = resp.get_json()
        features = layer["features"]
        assert len(features) == count, level
        assert {f["geometry"]["type"] for f in features} <= {"Polygon", "MultiPolygon"}, level
        assert all(f["properties"]["boundary"] for f in features)
        assert all(f["id"].startswith(PROV + ".") for f in features)  # nothing of Semarang
        colors = layer["meta"]["scales"]["percent_recorded"]["colors"]
        assert all(re.fullmatch(r"#[0-9a-fA-F]{6}", c) for c in colors)
        assert all(f["properties"]["pc"] is not None and 0 <= f["properties"]["pc"] < len(colors)
                   for f in features), level
        assert all(f["properties"]["percent_recorded"] is not None for f in features)
    # 94–98% recorded: the shading has more than one class across the province's desa.
    assert len({f["properties"]["pc"] for f in features}) > 1

    # 5. Planner proposals: teams and kits from the admin pages, then a kecamatan of three kabupaten/kota.
    _login(client, "admin_diy")
    for kab in db.session.scalars(sa.select(Region).where(Region.level == "kabupaten", Region.provinsi_kode == PROV)):
        _team_and_kit(client, db, kab)
    planned = []
    for user, kode in (("koord_temon", COORDINATED), *(("admin_diy", k) for k in PLANNED_BY_ADMIN)):
        _login(client, user)
        resp = _plan(client, kode)
        assert resp.status_code == 201, (kode, resp.get_json())
        body = resp.get_json()
        assert body["items"], (kode, body)
        sites = {s.id: s for s in db.session.scalars(sa.select(Site).where(
            Site.id.in_({i["site_id"] for i in body["items"]})))}
        assert {s.kecamatan_kode for s in sites.values()} == {kode}
        assert {s.type for s in sites.values()} <= {"balai_desa", "sekolah"}
        assert all(FIRST.isoformat() <= i["date"] <= LAST.isoformat() for i in body["items"])
        assert body["total_expected_yield"] > 0
        planned.append(kode[:5])
    assert len(set(planned)) == 3
    # Any kecamatan of the province gets proposals.
    _login(client, "admin_diy")
    empty = []
    for kode in db.session.scalars(sa.select(Region.kode).where(Region.level == "kecamatan",
                                                                Region.provinsi_kode == PROV)):
        resp = _plan(client, kode)
        if resp.status_code != 201 or not resp.get_json()["items"]:
            empty.append((kode, resp.status_code, resp.get_json().get("message")))
    assert not empty
    # The coordinator plans only their own kecamatan.
    _login(client, "koord_temon")
    assert _plan(client, PLANNED_BY_ADMIN[0]).status_code in (403, 404)
