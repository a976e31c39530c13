"""The per-process figures cache (COVERAGE_CACHE): a repeat costs one fingerprint query, and every change to
what the figures come from (a log added, corrected or removed, known away, an official import) shows at
the next call, to the person."""
from datetime import date

import pytest
import sqlalchemy as sa

from outreach.coverage.queries.figures import area_table, coverage
from outreach.coverage.queries.pemula import pemilih_pemula
from outreach.coverage.queries.teams import team_figures
from outreach.imports.apply import ImportOptions, run_import
from outreach.models import KnownAway
from outreach.models.field import TurnoutLog
from outreach.regions import queries as rq
from tests import builders


@pytest.fixture()
def cache_on(app):
    app.config["COVERAGE_CACHE"] = True
    yield
    app.config["COVERAGE_CACHE"] = None


def kab(world):
    f = coverage(world.users["admin"], "33.74")["region"]
    return (f.recorded_since, f.sudah_rekam_estimated, f.known_away, f.reachable_backlog)


def test_a_repeat_reads_the_cache_and_every_change_shows(cache_on, world, db):
    session = builders.make_session(world.site1, world.team, day=date(2026, 9, 20), status="terkonfirmasi")
    log = builders.make_turnout_log(session, recorded={"umum": 40})
    db.session.commit()
    assert kab(world) == (40, 2180, 0, 120)
    again, seen = builders.statements_of(lambda: kab(world))
    assert again == (40, 2180, 0, 120)
    assert not any("coverage_desa" in s for s in seen), "a repeat must not recompute the figures"

    log.recorded_umum, log.recorded_total, log.recorded_l, log.recorded_p = 25, 25, 12, 13  # a correction
    db.session.commit()
    assert kab(world) == (25, 2165, 0, 135)

    builders.make_known_away(world.desa3.kode, "luar_negeri", 4)
    db.session.commit()
    assert kab(world) == (25, 2165, 4, 131)
    db.session.execute(sa.update(KnownAway).values(count=6))
    db.session.commit()
    assert kab(world) == (25, 2165, 6, 129)

    csv = b"kode,wajib_ktp,sudah_rekam,as_of\n33.74.02.1001,800,796,2026-09-25\n"
    assert run_import("targets", csv, ImportOptions(filename="siak.csv", today=date(2026, 10, 1)), commit=True).ok
    assert kab(world) == (25, 2171, 6, 125)  # desa3: 796 official, backlog 4, away 6 -> reachable 0 (75 + 50 + 0)

    db.session.execute(sa.delete(TurnoutLog))
    db.session.commit()
    assert kab(world) == (0, 2146, 6, 150)


def test_the_cache_keeps_areas_and_levels_apart(cache_on, world, db):
    admin = world.users["admin"]
    assert coverage(admin, "33.74.01")["region"].wajib_ktp == 1500
    assert coverage(admin, "33.74.02")["region"].wajib_ktp == 800
    assert [f.wajib_ktp for f in area_table(admin, "desa", parent="33.74.01")] == [1000, 500]
    assert coverage(admin)["region"].wajib_ktp == 2600
    assert rq.cache_enabled()


def test_renamed_regions_and_new_desa_show_through_the_cache(cache_on, world, db):
    admin = world.users["admin"]
    assert [f.nama for f in coverage(admin, "33.74")["children"]] == ["Kecamatan Satu", "Kecamatan Dua"]
    world.kec2.nama = "Kecamatan Dua Baru"
    builders.make_region("33.74.03.2001", "Desa Baru", wajib_ktp=100, sudah_rekam=40)
    db.session.commit()
    children = coverage(admin, "33.74")["children"]
    assert [(f.nama, f.wajib_ktp) for f in children] == [
        ("Kecamatan Satu", 1500), ("Kecamatan Dua Baru", 800), ("Kecamatan 33.74.03", 100)]


def test_team_and_pemilih_pemula_figures_follow_sessions_and_schools(cache_on, world, db):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    admin = world.users["admin"]
    school = builders.make_site(world.desa1.kode, "SMA Uji", type="sekolah", pemilih_pemula=80,
                                pemilih_pemula_recorded=20)
    session = builders.make_session(school, world.team, day=date(2026, 10, 5), status="rencana", expected_turnout=30)
    db.session.commit()
    now = datetime(2026, 10, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))

    def team():
        (f,) = team_figures(admin, date(2026, 10, 1), date(2026, 10, 31), now=now)
        return (f.sessions_planned, f.sessions_open, f.sessions_cancelled, f.logs_overdue)

    def pemula():
        result = pemilih_pemula(admin, cutoff="2029-02-14", today=date(2026, 10, 1))
        return (result["total"]["still_to_record"], result["total"]["sessions_planned"], result["total"]["uncovered"])

    assert (team(), pemula()) == ((1, 1, 0, 0), (60, 1, 30))
    assert (team(), pemula()) == ((1, 1, 0, 0), (60, 1, 30))  # from the cache
    session.status, session.cancel_reason = "dibatalkan", "Sekolah libur"
    db.session.commit()
    assert (team(), pemula()) == ((1, 0, 1, 0), (60, 0, 60))
    school.pemilih_pemula_recorded = 50
    builders.make_session(world.site1, world.team, day=date(2026, 10, 2), end="10:00", status="terkonfirmasi")
    db.session.commit()
    assert pemula() == (30, 0, 30)
    assert team() == (2, 1, 1, 0)
    later = datetime(2026, 10, 3, 11, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # the clock alone makes a log overdue
    (f,) = team_figures(admin, date(2026, 10, 1), date(2026, 10, 31), now=later)
    assert f.logs_overdue == 1


def test_default_is_on_for_sqlite_and_off_for_postgresql(app, db):
    from outreach.regions.queries import cache_enabled

    assert app.config["COVERAGE_CACHE"] is None
    assert cache_enabled() is False  # under TESTING
    app.testing = False
    try:
        assert cache_enabled() is (db.engine.dialect.name == "sqlite")
        app.config["COVERAGE_CACHE"] = True
        assert cache_enabled() is True
    finally:
        app.testing = True
        app.config["COVERAGE_CACHE"] = None
