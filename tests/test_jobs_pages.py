"""Admin jobs page (schedule, runs, run now with CSRF) and notifications (own only, mark read, the bell)."""
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine
from flask import render_template
from flask_login import login_user, logout_user

from outreach.models.jobs import CoverageSnapshot, JobRun, Notification
from tests import builders


def test_admin_sees_every_job_with_schedule_next_run_and_last_runs(client, world, db, login_as):
    db.session.add_all([
        JobRun(job="snapshot", slot=datetime(2026, 9, 14, 16, 50, tzinfo=timezone.utc), status="done",
               attempts=1, duration_seconds=1.25, summary={"rows": 10}, trigger="schedule"),
        JobRun(job="reminders", slot=datetime(2026, 9, 15, 8, 0, tzinfo=timezone.utc), status="failed",
               attempts=2, error="MailError: SMTP 127.0.0.1:2525 gagal\n\nTraceback ...", trigger="retry"),
    ])
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/jobs").get_data(as_text=True)
    for name in ("reminders", "overdue", "snapshot", "digest", "housekeeping"):
        assert f'data-testid="job-{name}"' in html
    assert "50 23 * * *" in html and "Jalankan sekarang" in html
    assert "rows</span>: 10" in html and "1.25 s" in html
    assert "MailError: SMTP 127.0.0.1:2525 gagal" in html and ">gagal<" in html
    assert "Belum pernah dijalankan." in html  # overdue, digest, housekeeping
    assert 'data-testid="scheduler-status"' in html


def test_run_now_runs_once_per_minute(client, world, db, login_as):
    login_as("admin")
    # two clicks within one minute; time only moves forward (a session cookie signed "in the future" is refused)
    moment = (datetime.now(timezone.utc) + timedelta(minutes=1)).replace(second=5, microsecond=0)
    with time_machine.travel(moment, tick=False):
        first = client.post("/admin/jobs/snapshot/jalankan", follow_redirects=True)
        second = client.post("/admin/jobs/snapshot/jalankan", follow_redirects=True)
        unknown = client.post("/admin/jobs/tidak-ada/jalankan")
    assert "Tugas snapshot selesai dijalankan." in first.get_data(as_text=True)
    assert "tidak dijalankan dua kali" in second.get_data(as_text=True)
    (run,) = db.session.scalars(sa.select(JobRun)).all()
    assert (run.job, run.trigger, run.status) == ("snapshot", "manual", "done")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageSnapshot)) == 10
    assert unknown.status_code == 404


def test_run_now_needs_the_csrf_token(client, world, db, login_as, request):
    login_as("admin")
    request.getfixturevalue("csrf_on")
    assert client.post("/admin/jobs/housekeeping/jalankan").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0
    page = client.get("/admin/jobs").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/admin/jobs/housekeeping/jalankan", data={"csrf_token": token})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(JobRun.status)) == "done"


def test_notifications_show_only_ones_own_and_can_be_marked_read(client, world, db, login_as):
    field, coordinator = world.users["field"], world.users["coordinator"]
    mine_old = builders.make_notification(field, "Pengingat lama", body="Baris satu\nBaris dua",
                                          created_at=datetime.now(timezone.utc) - timedelta(days=1))
    mine_new = builders.make_notification(field, "Log belum diisi", link="/sites/")
    theirs = builders.make_notification(coordinator, "Rahasia koordinator")
    db.session.commit()
    login_as("field")
    html = client.get("/notifikasi").get_data(as_text=True)
    assert "Pengingat lama" in html and "Log belum diisi" in html and "Rahasia koordinator" not in html
    assert html.index("Log belum diisi") < html.index("Pengingat lama")  # newest first
    assert "Baris satu\nBaris dua" in html and 'href="/sites/"' in html

    assert client.post(f"/notifikasi/{theirs.id}/baca").status_code == 404  # not yours: does not exist
    db.session.refresh(theirs)
    assert theirs.read_at is None
    resp = client.post(f"/notifikasi/{mine_new.id}/baca", data={"next": "https://evil.example/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifikasi")
    db.session.refresh(mine_new)
    assert mine_new.read_at is not None

    resp = client.post("/notifikasi/baca-semua", follow_redirects=True)
    assert "1 notifikasi ditandai sudah dibaca." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.read_at.is_(None))) == 1  # only the coordinator's
    db.session.refresh(mine_old)
    assert mine_old.read_at is not None


def test_empty_notifications_page(client, world, login_as):
    login_as("manager")
    assert "Belum ada notifikasi." in client.get("/notifikasi").get_data(as_text=True)


def test_bell_shows_the_unread_count(app, world, db):
    field = world.users["field"]
    for i in range(3):
        builders.make_notification(field, f"Pesan {i}", read=(i == 0))
    builders.make_notification(world.users["admin"], "Bukan untuk lapangan")
    db.session.commit()
    with app.test_request_context("/"):
        login_user(field)
        html = render_template("_notifications_bell.html")
    assert 'data-testid="notification-bell"' in html and 'href="/notifikasi"' in html
    assert re.search(r'data-testid="unread-count">2<', html)
    assert "2 belum dibaca" in html
    with app.test_request_context("/"):
        logout_user()
        assert render_template("_notifications_bell.html").strip() == ""  # nobody signed in: no bell
