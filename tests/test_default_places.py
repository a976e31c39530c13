"""Planning from official data alone: regions and SIAK counts are enough for the planner, because every desa
with backlog gets a default recording place (its balai desa / kantor kelurahan, approximate) on first use."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.geo import point_in_boundary
from outreach.models import AuditEntry, Region, Site
from outreach.models.plans import PlanProposal
from outreach.planner import loader
from outreach.sites.default_places import DesaPoint, place_values
from tests import builders
from tests.conftest import WIB

# Monday 2 November 2026: the week of 23–27 November has no public holiday.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FIRST = date(2026, 11, 23)
LAST = date(2026, 11, 27)

KEC = "33.22.05"
# A square around (-7.30, 110.50), the only point of desa 2003 (no region point of its own).
SQUARE = {"type": "Polygon", "coordinates": [[[110.49, -7.31], [110.51, -7.31], [110.51, -7.29], [110.49, -7.29],
                                              [110.49, -7.31]]]}


@pytest.fixture()
def official(db):
    """Regions (provinsi → kabupaten → kecamatan → desa, with points) and SIAK counts; a team, kits, users.
    No site at all."""
    b = builders
    b.make_region("33", "Jawa Tengah", lat=-7.2, lng=110.1)
    b.make_region("33.22", "Kabupaten Uji", lat=-7.1, lng=110.4)
    kec = b.make_region(KEC, "Kecamatan Resmi", lat=-7.25, lng=110.45)
    desa = {
        "2001": b.make_region(f"{KEC}.2001", "Sukamaju", lat=-7.21, lng=110.41, wajib_ktp=900, sudah_rekam=600),
        "1002": b.make_region(f"{KEC}.1002", "Kauman", lat=-7.22, lng=110.42, wajib_ktp=700, sudah_rekam=500),
        "2003": b.make_region(f"{KEC}.2003", "Tanpa Titik", lat=None, lng=None, wajib_ktp=400, sudah_rekam=200),
        "2004": b.make_region(f"{KEC}.2004", "Tanpa Batas", lat=None, lng=None, wajib_ktp=300, sudah_rekam=260),
        "2005": b.make_region(f"{KEC}.2005", "Sudah Semua", lat=-7.24, lng=110.44, wajib_ktp=500, sudah_rekam=500),
    }
    desa["2003"].boundary, desa["2003"].has_boundary = json.dumps(SQUARE), True
    other_kec = b.make_region("33.22.06", "Kecamatan Lain", lat=-7.3, lng=110.6)
    b.make_region("33.22.06.2001", "Desa Lain", lat=-7.31, lng=110.61, wajib_ktp=100, sudah_rekam=0)
    team = b.make_team("33.22", "Tim Keliling Uji")
    kits = [b.make_kit(team, "KIT-1"), b.make_kit(team, "KIT-2")]
    users = {"admin": b.make_user("admin", "admin_resmi"),
             "coordinator": b.make_user("coordinator", "koord_resmi", scope=KEC),
             "other": b.make_user("coordinator", "koord_lain", scope=other_kec.kode)}
    db.session.commit()
    return SimpleNamespace(kec=kec, desa=desa, team=team, kits=kits, users=users)


def _login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": builders.PASSWORD})
    assert resp.status_code == 302


def _plan(client, region=KEC):
    return client.post("/api/v1/plans", json={"region": region, "date_from": FIRST.isoformat(),
                                               "date_to": LAST.isoformat()})


def _places(kode_prefix=KEC):
    return db.session.scalars(sa.select(Site).where(Site.type == "balai_desa", Site.desa_kode.like(kode_prefix + ".%"))
                              .order_by(Site.desa_kode)).all()


def test_regions_and_siak_counts_alone_give_proposals_at_default_places(client, official):
    _login(client, official.users["coordinator"])
    resp = _plan(client)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()

    places = _places()
    by_desa = {p.desa_kode.rsplit(".", 1)[1]: p for p in places}
    # Every desa with reachable backlog got one place; the fully recorded desa did not.
    assert sorted(by_desa) == ["1002", "2001", "2003", "2004"]
    assert by_desa["2001"].nama == "Balai Desa Sukamaju"
    assert by_desa["1002"].nama == "Kantor Kelurahan Kauman"
    assert all(p.coords_approximate and p.active for p in places)
    assert (by_desa["2001"].lat, by_desa["2001"].lng) == (-7.21, 110.41)  # the desa's own point
    assert point_in_boundary(by_desa["2003"].lat, by_desa["2003"].lng, json.dumps(SQUARE))  # inside its boundary
    assert (by_desa["2004"].lat, by_desa["2004"].lng) == (-7.25, 110.45)  # its kecamatan's point
    assert {p.kecamatan_kode for p in places} == {KEC} and {p.kabupaten_kode for p in places} == {"33.22"}
    # Nothing outside the planned kecamatan.
    assert _places("33.22.06") == []

    # The proposal sends teams to those places, for the desa's reachable backlog.
    assert body["items"], body
    place_ids = {p.id for p in places}
    assert {i["site_id"] for i in body["items"]} <= place_ids
    assert all(i["site_type"] == "balai_desa" for i in body["items"])
    assert 0 < body["total_expected_yield"] <= 300 + 200 + 200 + 40

    # Each creation is in the audit trail, by the coordinator who planned.
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "site")).all()
    assert sorted(int(a.entity_id) for a in audit) == sorted(place_ids)
    assert {a.action for a in audit} == {"create"}
    assert {a.user_id for a in audit} == {official.users["coordinator"].id}
    entry = next(a for a in audit if int(a.entity_id) == by_desa["2001"].id)
    assert entry.changes["nama"] == [None, "Balai Desa Sukamaju"] and entry.changes["coords_approximate"] == [None, True]

    # A second proposal creates no place.
    again = _plan(client)
    assert again.status_code == 201, again.get_json()
    assert [p.id for p in _places()] == [p.id for p in places]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == len(audit)


def test_default_place_page_says_its_coordinates_are_approximate_and_it_is_editable(client, official):
    _login(client, official.users["coordinator"])
    assert _plan(client).status_code == 201
    place = _places()[0]
    html = client.get(f"/lokasi/{place.id}").get_data(as_text=True)
    assert place.nama in html
    assert 'data-testid="approx-badge"' in html and "perkiraan" in html
    assert "Koordinat belum dipastikan di lapangan." in html
    # Editable like any site: the coordinator moves it to the real balai desa and confirms the point.
    resp = client.post(f"/lokasi/{place.id}/ubah", data={
        "type": "balai_desa", "nama": place.nama, "desa_kode": place.desa_kode, "lat": "-7.2105",
        "lng": "110.4102", "address": "Jl. Balai Desa 1", "notes": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.refresh(place)
    assert (place.lat, place.address, place.coords_approximate) == (-7.2105, "Jl. Balai Desa 1", False)
    # An edited (or deactivated) place is never replaced by a new default one.
    assert _plan(client).status_code == 201
    assert len(_places()) == 4


def test_the_planner_page_creates_the_places_too(client, official):
    _login(client, official.users["coordinator"])
    resp = client.post("/usulan-jadwal", data={"region": KEC, "date_from": FIRST.isoformat(),
                                               "date_to": LAST.isoformat()})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    proposal = db.session.scalars(sa.select(PlanProposal)).one()
    assert proposal.result["items"]
    assert len(_places()) == 4


def test_another_kecamatans_coordinator_creates_nothing(client, official):
    _login(client, official.users["other"])
    assert _plan(client).status_code == 404
    assert _places() == []


def test_schools_without_pemilih_pemula_counts_are_places_of_their_desa(client, official):
    """A school whose pemilih pemula were never imported is still a place to visit, with its desa's figures."""
    school = builders.make_site(f"{KEC}.2001", "SMA Negeri 1 Uji", type="sekolah", lat=-7.212, lng=110.412,
                                npsn="20300001", jenjang="SMA")
    db.session.commit()
    coordinator = official.users["coordinator"]
    inputs = loader.parse_inputs({"region": KEC, "date_from": FIRST, "date_to": LAST})
    req, _context = loader.load_request(coordinator, inputs)
    (site,) = [s for s in req.sites if s.id == school.id]
    assert site.desa == f"{KEC}.2001" and site.backlog == 300 and site.pemilih_pemula == 0
    assert req.desa_backlog[f"{KEC}.2001"] == 300  # one pool, shared with the desa's other places


def test_a_desa_that_has_a_balai_desa_keeps_it(client, official):
    own = builders.make_site(f"{KEC}.2001", "Balai Desa Sukamaju (lama)", lat=-7.2101, lng=110.4101)
    own.active = False
    db.session.commit()
    _login(client, official.users["admin"])
    assert _plan(client).status_code == 201
    assert [p.id for p in _places() if p.desa_kode == f"{KEC}.2001"] == [own.id]


# ---------------------------------------------------------------- nothing to plan

def _message(resp):
    assert resp.status_code == 422, resp.get_json()
    return resp.get_json()["message"]


def test_nothing_to_plan_says_to_import_siak_counts(client, db):
    builders.make_region("33.22.07.2001", "Desa Tanpa Angka")
    builders.make_region("33.22.07.2002", "Desa Tanpa Angka Dua")
    team = builders.make_team("33.22")
    builders.make_kit(team)
    admin = builders.make_user("admin", "admin_kosong")
    db.session.commit()
    _login(client, admin)
    message = _message(_plan(client, "33.22.07"))
    assert "tidak punya sasaran" in message
    assert "2 dari 2 desa/kelurahan" in message and "flask --app app import-targets" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 0


def test_nothing_to_plan_when_all_is_recorded_says_what_else_to_add(client, official):
    for desa in official.desa.values():
        desa.sudah_rekam = desa.wajib_ktp
    db.session.commit()
    _login(client, official.users["coordinator"])
    message = _message(_plan(client))
    assert "sudah terekam" in message and "import-targets" in message and "halaman Lokasi" in message
    assert _places() == []


def test_nothing_to_plan_without_desa_says_to_import_regions(client, official):
    builders.make_region("33.22.08", "Kecamatan Kosong")
    db.session.commit()
    _login(client, official.users["admin"])
    message = _message(_plan(client, "33.22.08"))
    assert "belum punya desa/kelurahan" in message and "import-regions" in message


def test_nothing_to_plan_in_english(client, official):
    for desa in official.desa.values():
        desa.sudah_rekam = desa.wajib_ktp
    official.users["coordinator"].locale = "en"
    db.session.commit()
    _login(client, official.users["coordinator"])
    message = _message(_plan(client))
    # Until the catalogs carry the new sentence it may read in Indonesian; it is there either way.
    assert "import-targets" in message


# ---------------------------------------------------------------- the command

def test_command_creates_every_desas_place_once(runner, official):
    result = runner.invoke(args=["create-default-places", "--kecamatan", KEC])
    assert result.exit_code == 0, result.output
    assert "dibuat: 5" in result.output
    assert len(_places()) == 5  # every desa, with backlog or not
    assert _places("33.22.06") == []
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "site")).all()
    assert len(audit) == 5 and {a.user_id for a in audit} == {None}

    again = runner.invoke(args=["create-default-places", "--kecamatan", KEC])
    assert again.exit_code == 0 and "dibuat: 0" in again.output
    everywhere = runner.invoke(args=["create-default-places", "--all"])
    assert everywhere.exit_code == 0 and "dibuat: 1" in everywhere.output  # the other kecamatan's desa
    assert len(_places("33.22")) == 6


def test_command_asks_for_an_area(runner, official):
    assert runner.invoke(args=["create-default-places"]).exit_code == 2
    assert runner.invoke(args=["create-default-places", "--all", "--kecamatan", KEC]).exit_code == 2
    unknown = runner.invoke(args=["create-default-places", "--kecamatan", "33.22.99"])
    assert unknown.exit_code == 2 and "33.22.99" in unknown.output
    assert _places("33") == []


def test_command_skips_a_desa_with_no_point_anywhere(runner, db):
    builders.make_region("35", lat=None, lng=None)
    builders.make_region("35.01", lat=None, lng=None)
    builders.make_region("35.01.01", lat=None, lng=None)
    builders.make_region("35.01.01.2001", "Tanpa Titik Sama Sekali", lat=None, lng=None)
    builders.make_region("35.01.01.2002", "Bertitik", lat=-7.9, lng=112.6)
    db.session.commit()
    result = runner.invoke(args=["create-default-places", "--kecamatan", "35.01.01"])
    assert result.exit_code == 0, result.output
    assert "dibuat: 1" in result.output and "35.01.01.2001" in result.output
    assert [p.desa_kode for p in _places("35")] == ["35.01.01.2002"]


def test_place_values_rule():
    kel = DesaPoint("33.74.01.1001", "Sekayu", "kelurahan", (None, (-7.0, 110.4), (-7.1, 110.5), None))
    assert place_values(kel) == {
        "type": "balai_desa", "nama": "Kantor Kelurahan Sekayu", "desa_kode": "33.74.01.1001", "lat": -7.0,
        "lng": 110.4, "coords_approximate": True, "address": "", "notes": place_values(kel)["notes"],
        "provinsi_kode": "33", "kabupaten_kode": "33.74", "kecamatan_kode": "33.74.01"}
    assert place_values(DesaPoint("33.01.01.2001", "X", "desa", ((None, None), None, None, (-7.5, 109.0))))["lat"] == -7.5
    assert place_values(DesaPoint("33.01.01.2001", "X", "desa", ((None, None), None, None, None))) is None


# ---------------------------------------------------------------- another province, from the real files

@pytest.mark.skipif(not (DATA / "indonesia_wilayah.csv").exists(),
                    reason=f"national region list not found in {DATA.resolve()}")
def test_a_kecamatan_of_bali_is_planned_from_its_real_regions_and_siak_counts(client, runner, tmp_path, db):
    """Kecamatan Negara (51.01.01, Kabupaten Jembrana): its rows of the national list through import-regions,
    generated SIAK counts through import-targets, a team and two kits; nothing else."""
    kec = "51.01.01"
    with open(DATA / "indonesia_wilayah.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["kode"] in ("51", "51.01") or r["kode"] == kec or r["kode"].startswith(kec + ".")]
    desa = [r for r in rows if r["level"] == "desa"]
    assert len(desa) >= 5 and {r["kode"][9] for r in desa} == {"1", "2"}  # kelurahan and desa both
    regions_csv = tmp_path / "bali_wilayah.csv"
    with open(regions_csv, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(args=["import-regions", str(regions_csv)])
    assert result.exit_code == 0, result.output

    targets = io.StringIO()
    targets.write("kode,wajib_ktp,sudah_rekam,as_of\n")
    for i, r in enumerate(desa):
        wajib = 2000 + 137 * i
        targets.write(f"{r['kode']},{wajib},{wajib - 40 - 11 * i},2026-09-15\n")
    targets_csv = tmp_path / "bali_target.csv"
    targets_csv.write_text(targets.getvalue(), encoding="utf-8")
    result = runner.invoke(args=["import-targets", str(targets_csv)])
    assert result.exit_code == 0, result.output

    team = builders.make_team("51.01", "Tim Jembrana")
    team.office_lat, team.office_lng = -8.36, 114.62
    builders.make_kit(team, "JBR-1", office_kode="51.01")
    builders.make_kit(team, "JBR-2", office_kode="51.01")
    coordinator = builders.make_user("coordinator", "koord_negara", scope=kec)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 0

    _login(client, coordinator)
    resp = _plan(client, kec)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    places = _places(kec)
    assert len(places) == len(desa)
    names = {p.desa_kode: p.nama for p in places}
    region_names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.level == "desa")).all())
    for kode, nama in names.items():
        kind = "Kantor Kelurahan" if kode.split(".")[3].startswith("1") else "Balai Desa"
        assert nama == f"{kind} {region_names[kode]}"
    assert all(p.coords_approximate and p.provinsi_kode == "51" for p in places)
    assert body["items"] and {i["site_id"] for i in body["items"]} <= {p.id for p in places}
    assert all(FIRST.isoformat() <= i["date"] <= LAST.isoformat() for i in body["items"])
    assert _plan(client, kec).status_code == 201
    assert len(_places(kec)) == len(desa)
