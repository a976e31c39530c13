"""Failed, given-up and lost runs show on /admin/jobs and in the daily digest mailed to the national admins."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from outreach.clock import utcnow
from outreach.jobs.runner import run_job
from outreach.models.jobs import JobRun, Notification
from tests import builders
from tests.conftest import WIB
from tests.test_jobs_mail import mail_at, smtp_sink  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=WIB)
DIGEST_SLOT = datetime(2026, 12, 15, 7, 0, tzinfo=WIB)  # the next morning's digest

pytestmark = pytest.mark.at(NOW)


def add_runs(db, config):
    """A snapshot given up, a reminder that will be retried, a lost overdue run, a live one, an old failure."""
    now = utcnow()
    lease = timedelta(seconds=config["JOB_LEASE_SECONDS"])
    runs = dict(
        given_up=JobRun(job="snapshot", slot=datetime(2026, 12, 13, 16, 50, tzinfo=timezone.utc), status="failed",
                        attempts=3, trigger="retry", claimed_at=now - timedelta(hours=3),
                        finished_at=now - timedelta(hours=2, minutes=30),
                        error="lease expired (owner srv:99:ab stopped renewing its heartbeat); gave up after 3 of 3 attempts"),
        retried=JobRun(job="reminders", slot=datetime(2026, 12, 14, 0, 0, tzinfo=timezone.utc), status="failed",
                       attempts=1, trigger="schedule", claimed_at=now - timedelta(minutes=40),
                       finished_at=now - timedelta(minutes=39), error="MailError: SMTP 127.0.0.1:2525 gagal\n\nTraceback"),
        lost=JobRun(job="overdue", slot=datetime(2026, 12, 14, 1, 15, tzinfo=timezone.utc), status="running",
                    attempts=1, trigger="schedule", owner="srv:77:cd", claimed_at=now - timedelta(minutes=20),
                    started_at=now - timedelta(minutes=20), heartbeat_at=now - lease - timedelta(minutes=5)),
        live=JobRun(job="housekeeping", slot=datetime(2026, 12, 13, 20, 30, tzinfo=timezone.utc), status="running",
                    attempts=1, trigger="schedule", owner="srv:78:ef", claimed_at=now - timedelta(hours=5),
                    started_at=now - timedelta(hours=5), heartbeat_at=now - timedelta(seconds=10)),
        old=JobRun(job="digest", slot=datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc), status="failed",
                   attempts=1, trigger="schedule", claimed_at=now - timedelta(days=7),
                   finished_at=now - timedelta(days=7), error="ValueError: lama"),
    )
    db.session.add_all(runs.values())
    db.session.commit()
    return runs


def test_admin_page_shows_failed_given_up_and_lost_runs(client, world, db, login_as, app):
    add_runs(db, app.config)
    login_as("admin")
    html = client.get("/admin/jobs").get_data(as_text=True)
    problems = html[html.index('data-testid="job-problems"'):html.index('data-testid="job-reminders"')]
    assert "Tugas gagal dalam 24 jam terakhir" in problems
    assert problems.count('data-testid="failed-run"') == 2  # not last week's
    assert "gave up after 3 of 3 attempts" in problems and "percobaan 3 dari 3" in problems
    assert "tidak diulang lagi" in problems and "akan diulang otomatis" in problems
    assert "MailError: SMTP 127.0.0.1:2525 gagal" in problems and "Traceback" not in problems
    assert "Tugas terputus" in problems and problems.count('data-testid="lost-run"') == 1

    def card(name):
        start = html.index(f'data-testid="job-{name}"')
        return html[start:html.index("</table>", start)]

    assert 'data-testid="run-status">terputus<' in card("overdue")      # lease expired, not taken over
    assert 'data-testid="run-status">berjalan<' in card("housekeeping")  # long, but alive
    assert 'data-testid="run-status">gagal<' in card("snapshot") and 'data-testid="failed-at"' in card("snapshot")
    assert "3 dari 3" in card("snapshot") and "tidak diulang lagi" in card("snapshot")


def test_admin_page_without_problems_has_no_alert(client, world, db, login_as):
    login_as("admin")
    assert 'data-testid="job-problems"' not in client.get("/admin/jobs").get_data(as_text=True)


@pytest.mark.at(DIGEST_SLOT)
def test_daily_digest_lists_the_failed_jobs_to_national_admins_and_mails_it(app, world, db, smtp_sink, mail_at):
    add_runs(db, app.config)
    national = world.users["admin"]
    national.email = "admin@uji.local"
    scoped = builders.make_user("admin", "admin_kota", scope="33.74")
    scoped.email = "admin.kota@uji.local"
    db.session.commit()
    mail_at(smtp_sink.port)

    outcome = run_job("admin_digest", DIGEST_SLOT, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert outcome.summary == {"failed": 2, "lost": 1, "admins": 1, "notifications": 1, "emails": 1}
    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert note.user_id == national.id and note.link == "/admin/jobs"
    assert note.title == "Tugas terjadwal: 2 gagal, 1 terputus"
    lines = note.body.splitlines()
    assert lines[0] == "Tugas yang gagal dalam 24 jam terakhir: reminders, snapshot."
    assert any(line.startswith("- snapshot, slot 13-12-2026 23.50: gagal pada 15-12-2026 04.30, percobaan 3 dari 3, "
                               "tidak diulang lagi.") for line in lines)
    assert any("reminders" in line and "akan diulang otomatis. MailError: SMTP 127.0.0.1:2525 gagal" in line
               for line in lines)
    assert any(line.startswith("- overdue, slot 14-12-2026 08.15: tanda hidup terakhir") for line in lines)
    assert "- digest," not in note.body  # last week's failure is not repeated
    (mail,) = smtp_sink.messages
    assert mail["To"] == "admin@uji.local" and "Tugas yang gagal dalam 24 jam terakhir" in mail.get_content()

    assert run_job("admin_digest", DIGEST_SLOT).status == "skipped"  # once a day


@pytest.mark.at(DIGEST_SLOT)
def test_daily_digest_on_a_quiet_day_sends_nothing(world, db):
    outcome = run_job("admin_digest", DIGEST_SLOT)
    assert outcome.status == "done" and outcome.summary["notifications"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
