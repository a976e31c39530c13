"""The daily reminder of visit requests waiting longer than REQUEST_REMINDER_DAYS: to the kecamatan's
coordinators, once per request and day."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from outreach.jobs.registry import JOBS
from outreach.jobs.runner import run_job
from outreach.models.jobs import Notification
from tests import builders
from tests.conftest import WIB
from tests.test_requests_queue import make_request

SLOT = datetime(2026, 9, 15, 8, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(SLOT + timedelta(minutes=1))


def notes(db, user=None):
    stmt = sa.select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return db.session.scalars(stmt).all()


def test_waiting_requests_are_reminded_once_a_day(world, db, app):
    assert app.config["REQUEST_REMINDER_DAYS"] == 3 and "request_reminders" in JOBS
    w = world
    coordinator = w.users["coordinator"]
    kec2 = builders.make_user("coordinator", "koordinator_kec2", scope="33.74.02")
    old = make_request(code="JB-OLD001", days_old=4)
    verified = make_request(code="JB-VER001", status="diverifikasi", days_old=10)
    make_request(code="JB-YNG001", days_old=2)
    make_request(code="JB-SCH001", status="dijadwalkan", days_old=9)
    make_request(code="JB-DONE01", status="selesai", days_old=20)
    other = make_request(code="JB-KEC201", desa_kode="33.74.02.1001", days_old=5)
    db.session.commit()
    outcome = run_job("request_reminders", SLOT, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert outcome.summary == {"requests": 3, "notifications": 3, "emails": 0, "kecamatan_without_coordinator": []}
    mine = notes(db, coordinator)
    assert sorted(n.title for n in mine) == ["Permohonan JB-OLD001 menunggu 4 hari",
                                             "Permohonan JB-VER001 menunggu 10 hari"]
    assert all(n.kind == "reminder" and "Siti" not in n.body and "0812" not in n.body for n in mine)
    assert "Kunjungan rumah: lansia di Kelurahan Satu A, 2 orang" in mine[0].body
    assert {n.link for n in mine} == {f"/permohonan-masuk/{old.id}", f"/permohonan-masuk/{verified.id}"}
    assert [n.title for n in notes(db, kec2)] == ["Permohonan JB-KEC201 menunggu 5 hari"]
    db.session.refresh(old)
    assert old.reminded_at is not None and old.version == 1 and other.kecamatan_kode == "33.74.02"

    again = run_job("request_reminders", SLOT + timedelta(hours=3), trigger="cli")
    assert again.summary["requests"] == 0 and len(notes(db)) == 3
    next_day = run_job("request_reminders", SLOT + timedelta(days=1), trigger="schedule")
    assert next_day.summary["requests"] == 3 and next_day.summary["notifications"] == 3 and len(notes(db)) == 6


def test_a_kecamatan_without_coordinator_is_reported(world, db):
    make_request(desa_kode="33.74.02.1001", days_old=5)
    db.session.commit()
    outcome = run_job("request_reminders", SLOT, trigger="schedule")
    assert outcome.summary["kecamatan_without_coordinator"] == ["33.74.02"] and outcome.summary["notifications"] == 0
