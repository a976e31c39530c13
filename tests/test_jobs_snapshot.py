"""Nightly snapshot: every region's figures for the slot's date; a day re-run replaces, never adds."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine

from outreach.jobs.runner import run_job
from outreach.jobs.snapshot import snapshot_rows
from outreach.models.jobs import CoverageSnapshot
from outreach.regions.figures import AreaFigures
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")


def rows_by_kode(db, day):
    rows = db.session.scalars(sa.select(CoverageSnapshot).where(CoverageSnapshot.date == day)).all()
    return {r.region_kode: r for r in rows}


def test_snapshot_has_the_figures_of_every_level(world, db):
    builders.make_known_away(world.desa1.kode, "luar_negeri", 30)
    db.session.commit()
    outcome = run_job("snapshot", datetime(2026, 9, 15, 23, 50, tzinfo=WIB), trigger="schedule")
    assert outcome.summary["by_level"] == {"provinsi": 1, "kabupaten": 2, "kecamatan": 3, "desa": 4}
    rows = rows_by_kode(db, date(2026, 9, 15))
    desa1 = rows["33.74.01.1001"]
    assert (desa1.wajib_ktp, desa1.sudah_rekam_official, desa1.recorded_since, desa1.sudah_rekam_estimated,
            desa1.backlog, desa1.known_away, desa1.reachable_backlog) == (1000, 900, 0, 900, 100, 30, 70)
    assert desa1.official_as_of == date(2026, 9, 15)
    kec1 = rows["33.74.01"]  # desa1 + desa2
    assert (kec1.wajib_ktp, kec1.sudah_rekam_official, kec1.backlog, kec1.known_away,
            kec1.reachable_backlog) == (1500, 1350, 150, 30, 120)
    kab = rows["33.74"]  # + desa3 (800 / 790)
    assert (kab.wajib_ktp, kab.backlog, kab.reachable_backlog) == (2300, 160, 130)
    prov = rows["33"]  # + the other kabupaten's desa (300 / 100)
    assert (prov.wajib_ktp, prov.sudah_rekam_official, prov.backlog, prov.reachable_backlog) == (2600, 2240, 360, 330)


def test_rerunning_a_day_replaces_its_rows(world, db, runner):
    with time_machine.travel(datetime(2026, 9, 16, 9, 0, tzinfo=WIB), tick=False):
        assert runner.invoke(args=["snapshot", "--date", "2026-09-15"]).exit_code == 0  # a past day, as of then
        assert runner.invoke(args=["snapshot"]).exit_code == 0
        # A SIAK export of today: today's snapshot taken again has it; yesterday's stays as it was.
        csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,950,2026-09-16\n"
        path = world.desa1.kode + ".csv"
        with open(path, "w") as f:
            f.write(csv)
        try:
            assert runner.invoke(args=["import-targets", path]).exit_code == 0
        finally:
            import os
            os.remove(path)
        again = runner.invoke(args=["snapshot"])
    assert again.exit_code == 0 and '"replaced": 10' in again.output, again.output
    assert len(rows_by_kode(db, date(2026, 9, 16))) == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageSnapshot)) == 20
    assert rows_by_kode(db, date(2026, 9, 16))["33.74.01.1001"].backlog == 50
    assert rows_by_kode(db, date(2026, 9, 15))["33.74.01.1001"].backlog == 100


def test_a_backdated_snapshot_is_that_days_figure_or_refused(world, db, runner):
    """A past day's snapshot holds the official figures of that day and the logs up to it, not today's."""
    site_log = builders.make_session(world.site1, world.team, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(site_log, recorded={"umum": 30})
    later = builders.make_session(world.site1, world.team, day=date(2026, 10, 20), status="terkonfirmasi")
    builders.make_turnout_log(later, recorded={"umum": 20})
    db.session.commit()
    csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,960,2026-10-15\n"
    path = "siak-oktober.csv"
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=WIB), tick=False):
        with open(path, "w") as f:
            f.write(csv)
        try:
            assert runner.invoke(args=["import-targets", path]).exit_code == 0
        finally:
            import os
            os.remove(path)
        # Today: official 960 (15 Oct) + the log of 20 Oct.
        assert runner.invoke(args=["snapshot"]).exit_code == 0
        # 10 Oct: the official figures then (900, 15 Sep) + the log of 5 Oct only.
        then = runner.invoke(args=["snapshot", "--date", "2026-10-10"])
        before_siak = runner.invoke(args=["snapshot", "--date", "2026-09-01"])
        future = runner.invoke(args=["snapshot", "--date", "2026-11-03"])
    assert then.exit_code == 0 and "dihitung per tanggal itu" in then.output, then.output
    now_row = rows_by_kode(db, date(2026, 11, 2))["33.74.01.1001"]
    assert (now_row.sudah_rekam_official, now_row.recorded_since, now_row.backlog) == (960, 20, 20)
    then_row = rows_by_kode(db, date(2026, 10, 10))["33.74.01.1001"]
    assert (then_row.sudah_rekam_official, then_row.official_as_of, then_row.recorded_since, then_row.backlog) == (
        900, date(2026, 9, 15), 30, 70)
    kab_then = rows_by_kode(db, date(2026, 10, 10))["33.74"]
    assert kab_then.backlog == 70 + 50 + 10  # desa2 and desa3 as of 15 Sep, no logs
    assert before_siak.exit_code != 0 and "Tidak ada data SIAK" in before_siak.output
    assert future.exit_code != 0 and "belum tiba" in future.output
    assert rows_by_kode(db, date(2026, 9, 1)) == {}


def test_snapshot_command_defaults_to_today_and_refuses_bad_dates(world, db, runner):
    with time_machine.travel(datetime(2026, 9, 16, 0, 30, tzinfo=WIB), tick=False):  # still 15 Sep in UTC
        today = runner.invoke(args=["snapshot"])
        future = runner.invoke(args=["snapshot", "--date", "2026-09-17"])
        garbage = runner.invoke(args=["snapshot", "--date", "16/09/2026"])
    assert today.exit_code == 0 and len(rows_by_kode(db, date(2026, 9, 16))) == 10
    assert future.exit_code != 0 and "belum tiba" in future.output
    assert garbage.exit_code != 0 and "bukan tanggal" in garbage.output


def test_snapshot_rows_skip_areas_without_targets_and_keep_every_term():
    no_targets = AreaFigures(kode="33.99", nama="X", level="kabupaten", kind="kabupaten", parent_kode="33",
                             lat=None, lng=None)
    desa = AreaFigures(kode="33.99.01.2001", nama="Y", level="desa", kind="desa", parent_kode="33.99.01", lat=None,
                       lng=None, wajib_ktp=100, sudah_rekam_official=60, recorded_since=15,
                       known_away_by_reason={"bekerja_luar_daerah": 5}, known_away_in_backlog=5, menolak=2,
                       menolak_in_backlog=2)
    (row,) = snapshot_rows([no_targets, desa], date(2026, 9, 15))
    assert (row["sudah_rekam_estimated"], row["backlog"], row["known_away_in_backlog"], row["menolak_in_backlog"],
            row["reachable_backlog"]) == (75, 25, 5, 2, 18)
