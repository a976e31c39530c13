"""The per-process figures cache (COVERAGE_CACHE): a repeat costs one fingerprint query, and every change to
what the figures come from (a log added, corrected or removed, known away, an official import) shows at
the next call, to the person."""
from datetime import date

import pytest
import sqlalchemy as sa

from outreach.coverage import queries as cq
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


def statements(db, fn):
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return result, seen


def kab(world):
    f = cq.coverage(world.users["admin"], "33.74")["region"]
    return (f.recorded_since, f.sudah_rekam_estimated, f.known_away, f.reachable_backlog)


def test_a_repeat_reads_the_cache_and_every_change_shows(cache_on, world, db):
    session = builders.make_session(world.site1, world.team, day=date(2026, 9, 20), status="terkonfirmasi")
    log = builders.make_turnout_log(session, recorded={"umum": 40})
    db.session.commit()
    assert kab(world) == (40, 2180, 0, 120)
    again, seen = statements(db, lambda: kab(world))
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
    assert cq.coverage(admin, "33.74.01")["region"].wajib_ktp == 1500
    assert cq.coverage(admin, "33.74.02")["region"].wajib_ktp == 800
    assert [f.wajib_ktp for f in cq.area_table(admin, "desa", parent="33.74.01")] == [1000, 500]
    assert cq.coverage(admin)["region"].wajib_ktp == 2600
    assert rq.cache_enabled()


def test_renamed_regions_and_new_desa_show_through_the_cache(cache_on, world, db):
    admin = world.users["admin"]
    assert [f.nama for f in cq.coverage(admin, "33.74")["children"]] == ["Kecamatan Satu", "Kecamatan Dua"]
    world.kec2.nama = "Kecamatan Dua Baru"
    builders.make_region("33.74.03.2001", "Desa Baru", wajib_ktp=100, sudah_rekam=40)
    db.session.commit()
    children = cq.coverage(admin, "33.74")["children"]
    assert [(f.nama, f.wajib_ktp) for f in children] == [
        ("Kecamatan Satu", 1500), ("Kecamatan Dua Baru", 800), ("Kecamatan 33.74.03", 100)]
