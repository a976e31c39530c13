"""E-mail copies through a local SMTP sink (aiosmtpd); SMTP down: recorded, retried, the others still run."""
import email
import socket
from datetime import date, datetime, timedelta, timezone
from email.policy import default as default_policy
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from outreach.jobs.runner import run_job
from outreach.jobs.scheduler import build_scheduler, fire
from outreach.models.jobs import CoverageSnapshot, JobRun, Notification
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
SLOT = datetime(2026, 9, 15, 15, 0, tzinfo=WIB)


def free_port() -> int:
    """A port nothing listens on (bound, then closed: connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture()
def smtp_sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SimpleNamespace(port=controller.port, messages=handler.messages)
    controller.stop()


@pytest.fixture()
def mail_at(app, monkeypatch):
    def configure(port):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Jemput Bola <jemputbola@uji.local>")
    return configure


def arrange(world, db):
    w = world
    w.users["field"].email = "lapangan@uji.local"
    w.second = builders.make_user("field", "lapangan_dua", team=w.team)
    w.second.email = "lapangan2@uji.local"
    w.no_mail = builders.make_user("field", "lapangan_tanpa_email", team=w.team)
    builders.make_session(w.site1, w.team, [w.kit], day=date(2026, 9, 16), status="terkonfirmasi")
    db.session.commit()
    return w


def test_reminders_are_mailed_once_when_smtp_is_configured(world, db, smtp_sink, mail_at):
    arrange(world, db)
    mail_at(smtp_sink.port)
    outcome = run_job("reminders", SLOT)
    assert outcome.status == "done", outcome.error
    assert outcome.summary["notifications"] == 3 and outcome.summary["emails"] == 2
    assert sorted(m["To"] for m in smtp_sink.messages) == ["lapangan2@uji.local", "lapangan@uji.local"]
    msg = smtp_sink.messages[0]
    assert msg["Subject"] == "Pengingat: 1 sesi besok, Rabu, 16 September 2026"
    assert msg["From"] == "Jemput Bola <jemputbola@uji.local>"
    assert "Balai Kelurahan Satu A" in msg.get_content() and "Yth. Bapak/Ibu" in msg.get_content()
    mailed = db.session.scalars(sa.select(Notification.emailed_at).join(Notification.user)
                                .order_by(Notification.user_id)).all()
    assert sum(1 for m in mailed if m is not None) == 2
    # replaying the day (another slot, forced) mails nobody twice
    again = run_job("reminders", SLOT, force=True)
    assert again.summary == {**again.summary, "notifications": 0, "emails": 0}
    assert len(smtp_sink.messages) == 2


def test_smtp_down_is_recorded_the_others_still_run_and_the_retry_completes(app, world, db, smtp_sink, mail_at):
    arrange(world, db)
    mail_at(free_port())  # nobody listens there
    scheduler = build_scheduler(app)  # built, not started: fire() is what its triggers call
    with time_machine.travel(SLOT + timedelta(seconds=20), tick=False):
        failed = fire(app, scheduler, "reminders")
        snapshot = fire(app, scheduler, "snapshot")
    assert failed.status == "failed" and failed.slot == SLOT.astimezone(timezone.utc)
    assert "SMTP 127.0.0.1" in failed.error and "ConnectionRefusedError" in failed.error
    run = db.session.scalar(sa.select(JobRun).where(JobRun.job == "reminders"))
    assert (run.status, run.attempts, run.trigger) == ("failed", 1, "schedule") and "SMTP" in run.error
    # the in-app reminders went out; only their e-mail copies are owed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.emailed_at.is_not(None))) == 0
    # the snapshot of its own slot (the night before) still ran
    assert snapshot.status == "done" and snapshot.summary["date"] == "2026-09-14"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageSnapshot)) == 10
    retry = scheduler.get_job(f"retry:reminders:{failed.slot.isoformat()}")
    assert retry is not None and retry.args[2:] == ("reminders", failed.slot, "retry")

    mail_at(smtp_sink.port)  # the mail server is back
    retried = fire(app, scheduler, "reminders", failed.slot, "retry")
    assert retried.status == "done" and retried.attempt == 2 and retried.summary["emails"] == 2
    assert retried.summary["notifications"] == 0
    assert len(smtp_sink.messages) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3
    db.session.expire_all()
    run = db.session.scalar(sa.select(JobRun).where(JobRun.job == "reminders"))
    assert (run.status, run.attempts, run.trigger, run.error) == ("done", 2, "retry", "")


def test_no_retry_after_the_last_attempt(app, world, db, mail_at):
    arrange(world, db)
    mail_at(free_port())
    app.config["JOB_MAX_ATTEMPTS"], saved = 1, app.config["JOB_MAX_ATTEMPTS"]
    try:
        scheduler = build_scheduler(app)
        outcome = fire(app, scheduler, "reminders", SLOT)
    finally:
        app.config["JOB_MAX_ATTEMPTS"] = saved
    assert outcome.status == "failed"
    assert [j.id for j in scheduler.get_jobs() if j.id.startswith("retry:")] == []
