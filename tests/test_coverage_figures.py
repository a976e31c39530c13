"""Coverage figures against hand-computed cases: official + field since, a newer SIAK import superseding
older logs, known away, caps, and the roll-ups desa → kecamatan → kabupaten → province to the person."""
from datetime import date

import pytest
import sqlalchemy as sa

from outreach.coverage.queries.areas import BadInput, RegionNotFound
from outreach.coverage.queries.figures import area_table, coverage
from outreach.imports.apply import ImportOptions, run_import
from outreach.models import Region
from outreach.regions.queries import figures_for, level_figures
from tests import builders

AS_OF = date(2026, 9, 15)  # the world's official figures are as of this date


def log(site, team, day, n, status="terkonfirmasi", **kw):
    """A session at `site` on `day` with a turnout log recording `n` people (group umum)."""
    session = builders.make_session(site, team, day=day, status=status, expected_turnout=kw.pop("expected", 0))
    return builders.make_turnout_log(session, recorded={"umum": n}, **kw)


@pytest.fixture()
def field(world, db):
    """Logs and known away on the world's desa (official as of 15 Sep 2026):

    desa1 (1000 / 900): logs 10 Sep (30) and 15 Sep (20) are inside the SIAK figure; 20 Sep (40) counts.
                        away 25 luar_negeri + 10 bekerja_luar_daerah.
    desa2 (500 / 450):  logs 16 Sep (50) and 30 Sep (30): 80 > backlog 50, so the estimate caps at 500.
                        away 5 lainnya (more than nothing left: reachable stays 0, never negative).
    desa3 (800 / 790):  log 1 Oct (5).
    other_desa (300 / 100): no logs.
    """
    site_b = builders.make_site(world.desa2.kode, "Balai Desa Satu B")
    t = world.team
    log(world.site1, t, date(2026, 9, 10), 30)
    log(world.site1, t, date(2026, 9, 15), 20)
    log(world.site1, t, date(2026, 9, 20), 40)
    log(site_b, t, date(2026, 9, 16), 50)
    log(site_b, t, date(2026, 9, 30), 30)
    log(world.site2, t, date(2026, 10, 1), 5)
    builders.make_known_away(world.desa1.kode, "luar_negeri", 25)
    builders.make_known_away(world.desa1.kode, "bekerja_luar_daerah", 10)
    builders.make_known_away(world.desa2.kode, "lainnya", 5)
    db.session.commit()
    return world


def numbers(f):
    return (f.wajib_ktp, f.sudah_rekam_official, f.recorded_since, f.sudah_rekam_estimated, f.backlog,
            f.known_away, f.reachable_backlog)


def test_desa_figures_official_plus_field_since_with_caps(field):
    by_kode = {f.kode: f for f in coverage(field.users["admin"], "33.74.01")["children"]}
    #                                            wajib  official since estimated backlog away reachable
    assert numbers(by_kode["33.74.01.1001"]) == (1000, 900, 40, 940, 60, 35, 25)
    assert numbers(by_kode["33.74.01.2002"]) == (500, 450, 80, 500, 0, 5, 0)
    assert by_kode["33.74.01.1001"].official_as_of == AS_OF
    assert by_kode["33.74.01.1001"].percent_recorded == 94.0
    assert by_kode["33.74.01.1001"].percent_recorded_official == 90.0
    assert by_kode["33.74.01.1001"].known_away_by_reason == {"luar_negeri": 25, "bekerja_luar_daerah": 10}


def test_rollups_to_the_person(field):
    admin = field.users["admin"]
    kec1 = coverage(admin, "33.74.01")["region"]
    # Sums of the desa: the reachable backlog is 25 + 0, not (60 − 40): desa2's away cannot reduce desa1's.
    assert numbers(kec1) == (1500, 1350, 120, 1440, 60, 40, 25)
    kab = coverage(admin, "33.74")
    assert numbers(kab["region"]) == (2300, 2140, 125, 2235, 65, 40, 30)
    assert [(f.kode, f.reachable_backlog) for f in kab["children"]] == [("33.74.01", 25), ("33.74.02", 5)]
    prov = coverage(admin)
    assert prov["region"].kode == "33"
    assert numbers(prov["region"]) == (2600, 2240, 125, 2335, 265, 40, 230)
    assert prov["region"].percent_recorded == round(100 * 2335 / 2600, 2)
    children = {f.kode: f for f in prov["children"]}
    assert set(children) == {"33.01", "33.74"}
    assert numbers(children["33.01"]) == (300, 100, 0, 100, 200, 0, 200)
    # Every level agrees with the sum of the level below, figure by figure.
    for level_up, level_down in (("provinsi", "kabupaten"), ("kabupaten", "kecamatan"), ("kecamatan", "desa")):
        ups = level_figures(level_up)
        downs = level_figures(level_down)
        for up in ups.values():
            below = [d for d in downs.values() if d.kode.startswith(up.kode + ".") and d.wajib_ktp is not None]
            for name in ("wajib_ktp", "sudah_rekam_official", "recorded_since", "sudah_rekam_estimated", "backlog",
                         "known_away", "reachable_backlog"):
                assert getattr(up, name) == sum(getattr(d, name) for d in below), (up.kode, name)


def test_figures_for_and_the_area_table_agree_with_coverage(field):
    admin = field.users["admin"]
    regions = [db_region for db_region in sa_all(Region, Region.kode.in_(["33.74.01", "33.74", "33.74.01.2002"]))]
    figures = figures_for(regions)
    assert numbers(figures["33.74.01"]) == (1500, 1350, 120, 1440, 60, 40, 25)
    assert numbers(figures["33.74"]) == (2300, 2140, 125, 2235, 65, 40, 30)
    assert numbers(figures["33.74.01.2002"]) == (500, 450, 80, 500, 0, 5, 0)
    table = area_table(admin, "kecamatan", sort="-reachable_backlog")
    assert [(f.kode, f.reachable_backlog) for f in table] == [("33.01.01", 200), ("33.74.01", 25), ("33.74.02", 5)]
    assert [f.kode for f in area_table(admin, "kecamatan", parent="33.74", sort="nama")] == ["33.74.02", "33.74.01"]
    assert [f.kode for f in area_table(admin, "desa", q="satu b")] == ["33.74.01.2002"]
    assert [f.kode for f in area_table(admin, "desa", q="33.74.02")] == ["33.74.02.1001"]
    # as_dict carries the contract's keys with the same values
    d = table[1].as_dict()
    assert {k: d[k] for k in ("kode", "wajib_ktp", "sudah_rekam_official", "official_as_of", "recorded_since",
                              "sudah_rekam_estimated", "backlog", "known_away", "reachable_backlog",
                              "percent_recorded")} == {
        "kode": "33.74.01", "wajib_ktp": 1500, "sudah_rekam_official": 1350, "official_as_of": "2026-09-15",
        "recorded_since": 120, "sudah_rekam_estimated": 1440, "backlog": 60, "known_away": 40,
        "reachable_backlog": 25, "percent_recorded": 96.0}
    assert "capped_estimated" not in d


def sa_all(model, *where):
    from outreach.extensions import db

    return db.session.scalars(sa.select(model).where(*where)).all()


def test_a_newer_siak_import_supersedes_the_logs_before_its_date(field, db):
    admin = field.users["admin"]
    # The export of 25 Sep already contains desa1's log of 20 Sep (40) and 5 recorded at the office.
    log(field.site1, field.team, date(2026, 9, 25), 3)   # on the as-of date: inside the export too
    log(field.site1, field.team, date(2026, 9, 26), 7)   # after it: counts
    db.session.commit()
    csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,948,2026-09-25\n".encode()
    report = run_import("targets", csv, ImportOptions(filename="siak.csv", today=date(2026, 10, 2)), commit=True)
    assert report.ok and report.committed, [str(e) for e in report.errors]
    desa1 = {f.kode: f for f in coverage(admin, "33.74.01")["children"]}["33.74.01.1001"]
    assert (desa1.official_as_of, desa1.sudah_rekam_official, desa1.recorded_since,
            desa1.sudah_rekam_estimated, desa1.backlog, desa1.reachable_backlog) == (
        date(2026, 9, 25), 948, 7, 955, 45, 10)
    kec1 = coverage(admin, "33.74.01")["region"]
    # desa2 unchanged (as of 15 Sep, capped at 500); the area's as-of date is the newest of its desa.
    assert (kec1.official_as_of, kec1.sudah_rekam_official, kec1.recorded_since, kec1.sudah_rekam_estimated,
            kec1.reachable_backlog) == (date(2026, 9, 25), 1398, 87, 1455, 10)


def test_desa_without_official_figures_keeps_its_logs_apart_and_has_no_estimate(field, db):
    bare = builders.make_region("33.74.02.2009", "Desa Tanpa Data")
    site = builders.make_site(bare.kode)
    log(site, field.team, date(2026, 9, 1), 12)
    db.session.commit()
    figures = {f.kode: f for f in coverage(field.users["admin"], "33.74.02")["children"]}
    assert numbers(figures["33.74.02.2009"]) == (None, None, 0, None, None, 0, None)
    assert figures["33.74.02.2009"].recorded_without_target == 12
    kec2 = coverage(field.users["admin"], "33.74.02")["region"]
    # Every term covers the desa with official figures only, so the identities hold; the logs of the
    # desa without them are counted apart.
    assert numbers(kec2) == (800, 790, 5, 795, 5, 0, 5)
    assert kec2.recorded_without_target == 12
    assert kec2.desa_with_targets == 1


def test_a_log_counts_at_once(field, db):
    admin = field.users["admin"]
    before = coverage(admin, "33.74")["region"].reachable_backlog
    log(field.site2, field.team, date(2026, 10, 2), 4)
    db.session.commit()
    assert coverage(admin, "33.74")["region"].reachable_backlog == before - 4


def test_default_area_is_the_users_scope(field):
    assert coverage(field.users["manager"])["region"].kode == "33.74"
    coordinator = coverage(field.users["coordinator"])
    assert coordinator["region"].kode == "33.74.01"
    assert [f.kode for f in coordinator["children"]] == ["33.74.01.1001", "33.74.01.2002"]
    assert coverage(field.users["field"])["region"].kode == "33.74"  # the team's office
    assert coverage(field.users["admin"], "33.74.01.1001")["children"] == []


def test_unknown_and_out_of_scope_regions_are_not_found(field):
    with pytest.raises(RegionNotFound, match="tidak ditemukan"):
        coverage(field.users["admin"], "33.99")
    with pytest.raises(RegionNotFound):
        coverage(field.users["admin"], "bukan-kode")
    with pytest.raises(RegionNotFound):
        coverage(field.users["coordinator"], "33.74.02")
    with pytest.raises(RegionNotFound):
        coverage(field.users["manager"], "33.01")
    with pytest.raises(RegionNotFound):
        area_table(field.users["manager"], "kecamatan", parent="33.01")
    with pytest.raises(BadInput, match="Urutan"):
        area_table(field.users["admin"], "kecamatan", sort="-nonsense")
    # A manager naming an ancestor of their scope gets their own scope, nothing beside it.
    assert [f.kode for f in area_table(field.users["manager"], "kecamatan", parent="33")] == [
        "33.74.01", "33.74.02"]
    # Levels above the scope: an ancestor's totals would reveal its other areas.
    assert area_table(field.users["coordinator"], "kabupaten") == []
    assert [f.kode for f in area_table(field.users["coordinator"], "kecamatan")] == ["33.74.01"]


def test_missing_province_row_sums_over_all_kabupaten(field, db):
    db.session.execute(sa.update(Region).where(Region.parent_kode == "33").values(parent_kode=None))
    from outreach.models import User
    db.session.execute(sa.update(User).where(User.scope_kode == "33").values(scope_kode=None))
    db.session.execute(sa.delete(Region).where(Region.kode == "33"))
    db.session.commit()
    result = coverage(field.users["admin"])
    assert result["region"].kode == "33" and result["area"].synthetic
    assert numbers(result["region"]) == (2600, 2240, 125, 2335, 265, 40, 230)
    assert [f.kode for f in result["children"]] == ["33.01", "33.74"]
    assert numbers(coverage(field.users["admin"], "33")["region"]) == numbers(result["region"])
