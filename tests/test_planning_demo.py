"""Demo sessions: a month around the day it is seeded, every status present, no conflicts, idempotent,
whichever day that is (stated instants: a plain Wednesday, New Year's morning before 07.00 WIB, the
afternoon of Idul Fitri inside its cuti bersama, a Saturday)."""
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach.models import RecordingSession, SessionPostponement
from outreach.planning import demo as planning_demo
from outreach import clock
from outreach.planning import queries
from outreach.planning.conflicts import ERROR, Booking, KitInfo, Proposal, Slot, find_conflicts
from tests import builders
from tests.conftest import WIB

INSTANTS = [datetime(2026, 12, 9, 9, 30, tzinfo=WIB), datetime(2027, 1, 1, 6, 30, tzinfo=WIB),
            datetime(2026, 3, 20, 15, 0, tzinfo=WIB), datetime(2026, 12, 12, 11, 0, tzinfo=WIB)]
at_each_instant = pytest.mark.parametrize(
    "moment", [pytest.param(m, marks=pytest.mark.at(m), id=f"{m:%Y-%m-%dT%H%M}") for m in INSTANTS])


def _sessions(db):
    return db.session.scalars(sa.select(RecordingSession).order_by(RecordingSession.date)).all()


def _assert_no_double_booking(sessions):
    bookings = [Booking(s.id, Slot(s.date, s.start_time, s.end_time, s.end_date), s.site_id, s.site.nama, s.team_id,
                        s.team.nama, frozenset(s.kit_ids)) for s in sessions if s.status != "dibatalkan"]
    for b in bookings:
        verdict = find_conflicts(Proposal(b.slot, b.site_id, b.team_id, b.kit_ids, session_id=b.id), bookings,
                                 {k: KitInfo(k, str(k)) for b2 in bookings for k in b2.kit_ids},
                                 travel_buffer=timedelta(minutes=60), holidays={})
        assert not [c for c in verdict.conflicts if c.severity == ERROR or c.kind.endswith("travel_time")], verdict


@at_each_instant
def test_seed_builds_a_month_of_sessions(db, world, moment):
    coordinator = world.users["coordinator"]
    sites = [world.site1, builders.make_site(world.desa2.kode, "Balai RW 03"),
             builders.make_site(world.desa1.kode, "SMA Negeri Demo", type="sekolah", pemilih_pemula=90,
                                pemilih_pemula_recorded=20), world.site2]
    team2 = builders.make_team("33.74", "Tim Keliling Demo 2")
    kits = [world.kit, builders.make_kit(team2, "KIT-D2"), builders.make_kit(None, "KIT-SERVIS", status="servis")]
    # A month of sessions needs people waiting: 1,000 and 600 not yet recorded in the two desa.
    world.desa1.wajib_ktp, world.desa1.sudah_rekam = 9000, 8000
    world.desa2.wajib_ktp, world.desa2.sudah_rekam = 5000, 4400
    db.session.commit()
    demo = SimpleNamespace(kabupaten=world.kab, kecamatan_codes=["33.74.01", "33.74.02"],
                           coordinator_kecamatan=world.kec1, sites=sites, teams=[world.team, team2], kits=kits,
                           users={u.username: u for u in world.users.values()})
    created = planning_demo.seed(demo)
    db.session.commit()
    sessions = _sessions(db)
    assert len(created) == len(sessions) >= 10
    today = clock.local_today()
    assert today == moment.date()
    assert all(s.kecamatan_kode == "33.74.01" for s in sessions)
    assert sessions[0].date < today - timedelta(days=14) and sessions[-1].date > today + timedelta(days=3)
    # Sessions to come are placed only where people are still waiting (the ledger): each expects someone.
    coming = [s for s in sessions if s.date >= today and s.status != "dibatalkan"]
    assert coming and all(s.expected_turnout > 0 for s in coming)
    statuses = Counter(s.status for s in sessions)
    assert statuses["selesai"] >= 5 and statuses["terkonfirmasi"] + statuses["rencana"] >= 1
    assert statuses["dibatalkan"] == 1 and statuses["ditunda"] == 1
    assert all(s.date < today for s in sessions if s.status == "selesai")
    assert all(s.date >= today for s in sessions if s.status in ("rencana", "terkonfirmasi", "ditunda"))
    [postponement] = db.session.scalars(sa.select(SessionPostponement)).all()
    assert postponement.old_date < postponement.new_date == postponement.session.date
    assert any(s.end_date for s in sessions), "a two-day school visit"
    assert all(s.expected_turnout >= 0 and s.turnout_reasoning for s in sessions)
    assert all(s.created_by_id == coordinator.id for s in sessions)
    assert all(len(queries.session_history(s)) >= 1 for s in sessions)
    # The field user (team 1) has something to see, and nothing is double-booked.
    assert queries.list_sessions(world.users["field"]).total > 0
    _assert_no_double_booking(sessions)
    # Idempotent: a second run adds nothing.
    assert planning_demo.seed(demo) == []
    assert len(_sessions(db)) == len(sessions)


@at_each_instant
def test_real_seed_demo_includes_sessions(db, app, moment):
    demo_module = pytest.importorskip("outreach.demo")
    result = demo_module.seed_demo()
    if result is None:
        pytest.skip("seed-demo skipped (real data in the way)")
    sessions = _sessions(db)
    assert sessions, "seed-demo should add planning sessions"
    kec = getattr(result.coordinator_kecamatan, "kode", result.coordinator_kecamatan)
    assert {s.kecamatan_kode for s in sessions} == {kec}
    assert {"selesai", "terkonfirmasi", "rencana", "dibatalkan", "ditunda"} <= {s.status for s in sessions}
    _assert_no_double_booking(sessions)
    count = len(sessions)
    demo_module.seed_demo()
    assert len(_sessions(db)) == count
