"""Overdue logs: sessions ended more than OVERDUE_LOG_HOURS ago still rencana/terkonfirmasi; told once."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for

from outreach.jobs.runner import run_job
from outreach.models.jobs import Notification
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 9, 16, 15, 15, tzinfo=WIB)  # OVERDUE_LOG_HOURS = 24: sessions ended by 15 Sep 15:15


def refs_of(db, user):
    return sorted(db.session.scalars(sa.select(Notification.ref).where(Notification.user_id == user.id)))


def test_overdue_sessions_are_told_to_the_team_and_the_coordinator_once(world, db, app):
    b, w = builders, world
    assert app.config["OVERDUE_LOG_HOURS"] == 24
    late = b.make_session(w.site1, w.team, [w.kit], day=date(2026, 9, 15), start="08:00", end="12:00",
                          status="terkonfirmasi")  # ended 27 h ago
    late_kec2 = b.make_session(w.site2, w.team, [], day=date(2026, 9, 14), start="08:00", end="10:00")
    recent = b.make_session(w.site1, w.team, [], day=date(2026, 9, 15), start="13:00", end="17:00")  # 22 h ago
    b.make_session(w.site1, w.team, [], day=date(2026, 9, 14), start="13:00", end="15:00", status="selesai")
    b.make_session(w.site1, w.team, [], day=date(2026, 9, 13), status="dibatalkan", cancel_reason="banjir")
    b.make_session(w.site1, w.team, [], day=date(2026, 9, 13), end_date=date(2026, 9, 17), start="08:00",
                   end="12:00")  # still running
    b.make_session(w.site1, w.team, [], day=date(2026, 8, 20))  # beyond OVERDUE_LOOKBACK_DAYS
    other_coordinator = b.make_user("coordinator", "koordinator_dua", scope="33.74.02")
    db.session.commit()

    outcome = run_job("overdue", NOW, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert sorted(outcome.summary["session_ids"]) == sorted([late.id, late_kec2.id])
    assert refs_of(db, w.users["field"]) == sorted([f"overdue:{late.id}", f"overdue:{late_kec2.id}"])
    assert refs_of(db, w.users["coordinator"]) == [f"overdue:{late.id}"]  # kecamatan 33.74.01 only
    assert refs_of(db, other_coordinator) == [f"overdue:{late_kec2.id}"]
    assert refs_of(db, w.users["manager"]) == []
    note = db.session.scalar(sa.select(Notification).where(Notification.ref == f"overdue:{late.id}",
                                                           Notification.user_id == w.users["field"].id))
    assert note.kind == "overdue" and note.title == "Log belum diisi: Balai Kelurahan Satu A, Selasa, 15 September 2026"
    assert "lebih dari 24 jam" in note.body and "08.00–12.00 WIB" in note.body
    with app.test_request_context():
        assert note.link == url_for("planning.session_detail", session_id=late.id)

    # Two hours later the recent one is overdue too; the others are not told again.
    later = run_job("overdue", NOW + timedelta(hours=2))
    assert later.summary["notifications"] == 2  # field user + coordinator, for `recent` only
    assert f"overdue:{recent.id}" in refs_of(db, w.users["coordinator"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 6


def test_a_logged_session_is_not_overdue(world, db):
    s = builders.make_session(world.site1, world.team, [], day=date(2026, 9, 14))
    s.status = "selesai"
    db.session.commit()
    assert run_job("overdue", NOW).summary["overdue_sessions"] == 0
