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
        assert runner.invoke(args=["snapshot", "--date", "2026-09-15"]).exit_code == 0
        run_job("snapshot", datetime(2026, 9, 14, 23, 50, tzinfo=WIB))  # another day stays as it is
        world.desa1.sudah_rekam = 950
        db.session.commit()
        again = runner.invoke(args=["snapshot", "--date", "2026-09-15"])
    assert again.exit_code == 0 and '"replaced": 10' in again.output, again.output
    assert len(rows_by_kode(db, date(2026, 9, 15))) == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageSnapshot)) == 20
    assert rows_by_kode(db, date(2026, 9, 15))["33.74.01.1001"].backlog == 50
    assert rows_by_kode(db, date(2026, 9, 14))["33.74.01.1001"].backlog == 100


def test_snapshot_command_defaults_to_today_and_refuses_bad_dates(world, db, runner):
    with time_machine.travel(datetime(2026, 9, 16, 0, 30, tzinfo=WIB), tick=False):  # still 15 Sep in UTC
        today = runner.invoke(args=["snapshot"])
        future = runner.invoke(args=["snapshot", "--date", "2026-09-17"])
        garbage = runner.invoke(args=["snapshot", "--date", "16/09/2026"])
    assert today.exit_code == 0 and len(rows_by_kode(db, date(2026, 9, 16))) == 10
    assert future.exit_code != 0 and "tidak boleh di masa depan" in future.output
    assert garbage.exit_code != 0 and "bukan tanggal" in garbage.output


def test_snapshot_rows_skip_areas_without_targets_and_use_field_counts_when_known():
    no_targets = AreaFigures(kode="33.99", nama="X", level="kabupaten", kind="kabupaten", parent_kode="33",
                             lat=None, lng=None)
    desa = AreaFigures(kode="33.99.01.2001", nama="Y", level="desa", kind="desa", parent_kode="33.99.01", lat=None,
                       lng=None, wajib_ktp=100, sudah_rekam=60, known_away_by_reason={"luar_daerah": 5})
    desa.recorded_since = 15  # what issue 5's figures will carry
    (row,) = snapshot_rows([no_targets, desa], date(2026, 9, 15))
    assert (row["sudah_rekam_estimated"], row["backlog"], row["reachable_backlog"]) == (75, 25, 20)
