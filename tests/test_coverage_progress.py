"""Progress from the database: trend (snapshots + today's live point), team figures, pemilih pemula,
forecast per kecamatan, coming sessions and overdue logs; hand-computed, scoped."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from outreach.coverage.queries.areas import BadInput, RegionNotFound
from outreach.coverage.queries.forecasts import forecast_for, slowest_areas
from outreach.coverage.queries.pemula import pemilih_pemula
from outreach.coverage.queries.sessions import count_overdue_logs, overdue_logs, upcoming_sessions
from outreach.coverage.queries.teams import team_figures
from outreach.coverage.queries.trend import trend_points
from outreach.jobs.snapshot import take_snapshot
from outreach.models import Region, User
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")


def at(day: date, hour: int = 9):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, 0, tzinfo=WIB), tick=False)


def log(site, team, day, n, status="terkonfirmasi", kits=None, expected=0, **kw):
    session = builders.make_session(site, team, kits=kits, day=day, status=status, expected_turnout=expected,
                                    end_date=kw.pop("end_date", None))
    return builders.make_turnout_log(session, recorded={"umum": n}, **kw)


# ---------------------------------------------------------------- trend

def test_trend_from_snapshots_plus_todays_live_point(world, db):
    admin = world.users["admin"]
    take_snapshot(date(2026, 9, 19))                       # kab 33.74: backlog 160
    log(world.site1, world.team, date(2026, 9, 20), 40)    # after the as-of date: counts
    db.session.commit()
    take_snapshot(date(2026, 9, 20))                       # backlog 120
    take_snapshot(date(2026, 9, 22))                       # stale row for "today": the live point replaces it
    db.session.commit()
    log(world.site2, world.team, date(2026, 9, 21), 6)
    db.session.commit()
    with at(date(2026, 9, 22)):
        points = trend_points(admin, "33.74", "2026-09-18", "2026-09-25")
    assert [(p["date"], p["backlog"], p["reachable_backlog"], p["sudah_rekam_estimated"], p["live"])
            for p in points] == [
        (date(2026, 9, 19), 160, 160, 2140, False),
        (date(2026, 9, 20), 120, 120, 2180, False),
        (date(2026, 9, 22), 114, 114, 2186, True),
    ]
    with at(date(2026, 9, 22)):
        past_only = trend_points(admin, "33.74", date(2026, 9, 1), date(2026, 9, 19))
        default = trend_points(admin, "33.74")
    assert [(p["date"], p["source"]) for p in past_only] == [(date(2026, 9, 15), "siak"),
                                                             (date(2026, 9, 19), "snapshot")]
    # By default the whole history: from the SIAK export of 15 Sep.
    assert [p["date"] for p in default] == [date(2026, 9, 15), date(2026, 9, 19), date(2026, 9, 20),
                                            date(2026, 9, 22)]


def test_trend_refuses_a_backwards_range_and_other_areas(world, db):
    with pytest.raises(BadInput, match="terbalik"):
        trend_points(world.users["admin"], "33.74", "2026-09-20", "2026-09-19")
    with pytest.raises(BadInput, match="bukan tanggal"):
        trend_points(world.users["admin"], "33.74", "20/09/2026", None)
    with pytest.raises(RegionNotFound):
        trend_points(world.users["coordinator"], "33.74.02")


def test_trend_of_a_missing_province_row_sums_its_kabupaten(world, db):
    take_snapshot(date(2026, 9, 19))
    db.session.execute(sa.update(Region).where(Region.parent_kode == "33").values(parent_kode=None))
    db.session.execute(sa.update(User).where(User.scope_kode == "33").values(scope_kode=None))
    db.session.execute(sa.delete(Region).where(Region.kode == "33"))
    db.session.commit()
    with at(date(2026, 9, 22)):
        points = trend_points(world.users["admin"], None, "2026-09-01", "2026-09-30")
    assert [(p["date"], p["wajib_ktp"], p["backlog"], p["live"]) for p in points] == [
        (date(2026, 9, 15), 2600, 360, False), (date(2026, 9, 19), 2600, 360, False),
        (date(2026, 9, 22), 2600, 360, True)]


# ---------------------------------------------------------------- teams

def test_team_figures(world, db):
    w = builders.make_planning_world(world)
    t = world.team
    two_kits = [world.kit, w.kit2]
    # done, 2 kits × 4 h, 30 of 40 expected
    log(world.site1, t, date(2026, 9, 5), 30, kits=two_kits, expected=40)
    # done, two days 08:00–12:00 with 1 kit: 2 × 4 h (the night does not count), 50 of 50 expected
    log(world.site2, t, date(2026, 9, 10), 50, kits=[world.kit], expected=50, end_date=date(2026, 9, 11),
        ended_at=datetime(2026, 9, 11, 12, 0, tzinfo=WIB))
    builders.make_session(world.site1, t, day=date(2026, 9, 12), status="dibatalkan")
    builders.make_session(world.site1, t, day=date(2026, 9, 20), status="terkonfirmasi")  # no log: overdue
    builders.make_session(world.site2, t, day=date(2026, 9, 28), status="rencana")        # still to come
    builders.make_session(world.site2, t, day=date(2026, 10, 5), status="rencana")        # outside the period
    builders.make_session(w.site3, w.team2, day=date(2026, 9, 8), status="rencana")       # overdue too
    builders.make_session(world.other_site, w.other_team, day=date(2026, 9, 8), status="selesai")
    db.session.commit()
    now = datetime(2026, 9, 25, 12, 0, tzinfo=WIB)
    teams = {f.nama: f for f in team_figures(world.users["manager"], date(2026, 9, 1), date(2026, 9, 30), now=now)}
    assert set(teams) == {"Tim Keliling 1", "Tim Keliling 2"}  # the other kabupaten's team is out of scope
    one = teams["Tim Keliling 1"]
    assert (one.sessions_planned, one.sessions_open, one.sessions_done, one.sessions_cancelled,
            one.logs_overdue) == (5, 2, 2, 1, 1)
    assert (one.recorded, one.kit_hours, one.expected_turnout_done) == (80, pytest.approx(16.0), 90)
    assert one.recorded_per_kit_hour == 5.0 and one.expected_reached_share == round(80 / 90, 4)
    two = teams["Tim Keliling 2"]
    assert (two.sessions_planned, two.logs_overdue, two.recorded, two.recorded_per_kit_hour,
            two.expected_reached_share) == (1, 1, 0, None, None)
    assert one.as_dict()["recorded_per_kit_hour"] == 5.0
    everyone = {f.nama for f in team_figures(world.users["admin"], date(2026, 9, 1), date(2026, 9, 30), now=now)}
    assert "Tim Kabupaten Lain" in everyone
    with pytest.raises(BadInput, match="terbalik"):
        team_figures(world.users["admin"], date(2026, 9, 30), date(2026, 9, 1))


# ---------------------------------------------------------------- pemilih pemula

def test_pemilih_pemula_per_school_and_kecamatan(world, db):
    team = world.team
    school_a = builders.make_site(world.desa1.kode, "SMA A", type="sekolah", pemilih_pemula=120,
                                  pemilih_pemula_recorded=100)
    builders.make_site(world.desa2.kode, "SMK B", type="sekolah", pemilih_pemula=80, pemilih_pemula_recorded=90)
    school_c = builders.make_site(world.desa3.kode, "MA C", type="sekolah", pemilih_pemula=50)
    builders.make_site(world.other_desa.kode, "SMA Lain", type="sekolah", pemilih_pemula=70)
    builders.make_session(school_a, team, day=date(2026, 10, 5), status="rencana", expected_turnout=15)
    builders.make_session(school_a, team, day=date(2029, 3, 1), status="rencana", expected_turnout=99)  # after cut-off
    builders.make_session(school_a, team, day=date(2026, 10, 6), status="dibatalkan", expected_turnout=99)
    builders.make_session(school_c, team, day=date(2026, 9, 20), status="rencana", expected_turnout=99)  # past
    db.session.commit()
    result = pemilih_pemula(world.users["manager"], cutoff="2029-02-14", today=date(2026, 10, 1))
    assert result["cutoff"] == date(2029, 2, 14)
    kec = {r["kode"]: r for r in result["kecamatan"]}
    keys = ("schools", "pemilih_pemula", "recorded", "still_to_record", "sessions_planned", "expected_planned",
            "uncovered", "schools_without_session")
    assert tuple(kec["33.74.01"][k] for k in keys) == (2, 200, 180, 20, 1, 15, 5, 0)
    assert tuple(kec["33.74.02"][k] for k in keys) == (1, 50, 0, 50, 0, 0, 50, 1)
    assert tuple(result["total"][k] for k in keys) == (3, 250, 180, 70, 1, 15, 55, 1)
    # The dashboard's summary sums the same schools in one row, without the kecamatan list.
    summary = pemilih_pemula(world.users["manager"], cutoff="2029-02-14", today=date(2026, 10, 1),
                                school_limit=2, per_kecamatan=False)
    assert tuple(summary["total"][k] for k in keys) == (3, 250, 180, 70, 1, 15, 55, 1)
    assert summary["kecamatan"] == [] and [s["nama"] for s in summary["schools"]] == ["MA C", "SMA A"]
    assert [r["kode"] for r in result["kecamatan"]] == ["33.74.02", "33.74.01"]  # most uncovered first
    assert [(s["nama"], s["still_to_record"], s["sessions_planned"], s["uncovered"]) for s in result["schools"]] == [
        ("MA C", 50, 0, 50), ("SMA A", 20, 1, 5), ("SMK B", 0, 0, 0)]
    one = pemilih_pemula(world.users["admin"], "33.74.01", cutoff=date(2026, 10, 5), today=date(2026, 10, 1))
    assert [(s["nama"], s["sessions_planned"]) for s in one["schools"]] == [("SMA A", 1), ("SMK B", 0)]
    with pytest.raises(BadInput, match="sudah lewat"):
        pemilih_pemula(world.users["admin"], cutoff="2026-09-30", today=date(2026, 10, 1))


# ---------------------------------------------------------------- forecast, slowest, lists

def test_forecast_per_kecamatan_from_the_backlogs_history(world, db):
    # kec1: official backlog 150 on 15 Sep (its SIAK export), 150 − 60 = 90 after the logs of 20 and 28 Sep.
    # The window (4 weeks before 2 Oct) starts on 4 Sep, before any point: the pace runs from the oldest
    # point in it, 15 Sep: 60 in 17 days = 24.7 a week.
    log(world.site1, world.team, date(2026, 9, 20), 40)
    log(world.site1, world.team, date(2026, 9, 28), 20)
    log(world.site1, world.team, date(2026, 9, 1), 5)  # before the window (and before the as-of date)
    db.session.commit()
    result = forecast_for(world.users["manager"], weeks=4, deadline="2026-11-27", today=date(2026, 10, 2))
    items = {f.kode: f for f in result["items"]}
    assert set(items) == {"33.74.01", "33.74.02"}
    k1 = items["33.74.01"]
    assert (k1.reachable_backlog, k1.recorded_in_window, k1.sessions_in_window) == (90, 60, 2)
    assert (k1.pace_source, k1.pace_since, k1.backlog_then, k1.backlog_now) == ("riwayat", date(2026, 9, 15), 150, 90)
    assert k1.weekly_pace == pytest.approx(60 / (17 / 7))
    assert (k1.finish_date, k1.misses_deadline) == (date(2026, 10, 28), False)  # 90 / 24.7 = 3.6 weeks
    k2 = items["33.74.02"]  # backlog 10 then and now: stalled; 30 a session in the kabupaten -> 1 session
    assert (k2.status, k2.weekly_pace, k2.shortfall_at_deadline, k2.extra_sessions) == ("macet", 0, 10, 1)
    assert result["summary"]["missing_deadline"] == 1
    # a deadline 3 weeks away: 90 − 24.7 × 3 = 16 short, 30 a session -> 1 session
    tight = {f.kode: f for f in forecast_for(world.users["manager"], weeks=4, deadline=date(2026, 10, 23),
                                                today=date(2026, 10, 2))["items"]}
    assert (tight["33.74.01"].shortfall_at_deadline, tight["33.74.01"].extra_sessions) == (16, 1)
    slow = slowest_areas(world.users["manager"], weeks=4, today=date(2026, 10, 2))
    assert [f.kode for f in slow] == ["33.74.02", "33.74.01"]
    with pytest.raises(BadInput, match="sudah lewat"):
        forecast_for(world.users["manager"], deadline="2026-10-01", today=date(2026, 10, 2))
    with pytest.raises(BadInput, match="minggu"):
        forecast_for(world.users["manager"], weeks="0", today=date(2026, 10, 2))
    desa = forecast_for(world.users["admin"], "33.74.01.1001", weeks=4, deadline=None, today=date(2026, 10, 2))
    assert desa["level"] == "desa" and [f.kode for f in desa["items"]] == ["33.74.01.1001"]


def test_upcoming_sessions_and_overdue_logs(world, db):
    w = builders.make_planning_world(world)
    t = world.team
    soon = builders.make_session(world.site1, t, day=date(2026, 9, 26), status="terkonfirmasi")
    builders.make_session(world.site2, t, day=date(2026, 9, 27), status="rencana")          # kec2
    builders.make_session(world.site1, t, day=date(2026, 9, 27), status="dibatalkan")
    builders.make_session(world.site1, t, day=date(2026, 10, 30), status="rencana")         # too far
    late = builders.make_session(world.site1, t, day=date(2026, 9, 24), end="12:00", status="rencana")
    builders.make_session(w.site3, t, day=date(2026, 9, 24), end="13:00", status="terkonfirmasi")  # 23 h ago
    done = builders.make_session(world.site1, t, day=date(2026, 9, 20), status="terkonfirmasi")
    builders.make_turnout_log(done, finish=False)  # logged although the status did not move: not overdue
    db.session.commit()
    coordinator = world.users["coordinator"]
    upcoming = upcoming_sessions(coordinator, today=date(2026, 9, 25))
    assert [s["id"] for s in upcoming] == [soon.id]
    assert upcoming[0]["site_nama"] == "Balai Kelurahan Satu A" and upcoming[0]["team_nama"] == "Tim Keliling 1"
    assert len(upcoming_sessions(world.users["manager"], today=date(2026, 9, 25))) == 2
    now = datetime(2026, 9, 25, 12, 0, tzinfo=WIB)
    overdue = overdue_logs(world.users["manager"], now=now)
    assert [s["id"] for s in overdue] == [late.id]
    assert overdue[0]["hours_overdue"] == 0.0
    assert count_overdue_logs(world.users["manager"], now=now) == 1
    later = datetime(2026, 9, 25, 14, 0, tzinfo=WIB)
    assert len(overdue_logs(world.users["manager"], now=later)) == 2
    assert overdue_logs(world.users["manager"], "33.74.02", now=later) == []
