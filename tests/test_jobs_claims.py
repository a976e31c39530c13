"""Exactly-once: claiming (job, slot), replays, failures and retries, killed runs, `run-job`."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger

from outreach.jobs import claims
from outreach.jobs.registry import JOBS, JobSpec, slot_for
from outreach.jobs.runner import run_job
from outreach.models.jobs import CoverageSnapshot, JobRun

WIB = ZoneInfo("Asia/Jakarta")
SLOT = datetime(2026, 9, 15, 23, 50, tzinfo=WIB)


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_second_claim_of_a_slot_gets_nothing(db):
    first = claims.claim("snapshot", SLOT)
    assert first is not None and first.attempt == 1
    assert claims.claim("snapshot", SLOT) is None
    assert claims.claim("snapshot", SLOT.astimezone(timezone.utc)) is None  # same instant, other zone
    assert claims.claim("housekeeping", SLOT) is not None  # another job's slot is its own
    assert count(db, JobRun) == 2


def test_a_failed_claim_can_be_claimed_again_a_done_one_only_by_force(db):
    c = claims.claim("snapshot", SLOT)
    claims.mark_running(c)
    claims.mark_failed(c, "boom", 0.1)
    again = claims.claim("snapshot", SLOT)
    assert again is not None and again.attempt == 2 and again.run_id == c.run_id
    claims.mark_running(again)
    assert claims.mark_done(again, {"ok": 1}, 0.2)
    db.session.commit()
    assert claims.claim("snapshot", SLOT) is None
    forced = claims.claim("snapshot", SLOT, force=True)
    assert forced is not None and forced.attempt == 3


def test_a_late_finish_of_a_lost_claim_is_refused(db):
    """Fencing: a run whose slot was re-claimed meanwhile cannot mark it done."""
    old = claims.claim("snapshot", SLOT)
    claims.mark_running(old)
    stale = claims.claim("snapshot", SLOT, stale_before=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert stale is not None and stale.attempt == 2
    assert claims.mark_done(old, {}, 1.0) is False


def test_a_naive_slot_is_refused(db):
    with pytest.raises(ValueError):
        claims.claim("snapshot", datetime(2026, 9, 15, 23, 50))


def test_slot_for_maps_late_and_repeated_firings_to_the_scheduled_time():
    daily = CronTrigger.from_crontab("50 23 * * *", timezone=WIB)
    expected = SLOT.astimezone(timezone.utc)
    assert slot_for(daily, SLOT.astimezone(timezone.utc)) == expected
    assert slot_for(daily, (SLOT + timedelta(minutes=40)).astimezone(timezone.utc)) == expected
    assert slot_for(daily, (SLOT + timedelta(hours=23)).astimezone(timezone.utc)) == expected
    assert slot_for(daily, (SLOT + timedelta(hours=24)).astimezone(timezone.utc)) == expected + timedelta(days=1)
    weekly = CronTrigger.from_crontab("0 7 * * mon", timezone=WIB)
    thursday = datetime(2026, 9, 17, 10, 0, tzinfo=WIB)
    assert slot_for(weekly, thursday) == datetime(2026, 9, 14, 7, 0, tzinfo=WIB).astimezone(timezone.utc)


def test_same_slot_twice_runs_once(world, db):
    first = run_job("snapshot", SLOT)
    second = run_job("snapshot", SLOT)
    assert first.status == "done" and first.summary["rows"] == 10
    assert second.status == "skipped" and second.existing_status == "done"
    assert count(db, CoverageSnapshot) == 10
    run = db.session.scalar(sa.select(JobRun))
    assert (run.status, run.attempts, run.summary["rows"]) == ("done", 1, 10)
    assert run.duration_seconds is not None and run.started_at and run.finished_at


def test_a_job_that_raised_is_recorded_failed_then_retried_without_duplicates(world, db, monkeypatch):
    real = JOBS["snapshot"]
    calls = []

    def breaks_after_writing(ctx):
        calls.append(ctx.slot)
        real.func(ctx)  # writes every row of the day...
        raise RuntimeError("disk penuh")  # ...then dies before finishing

    monkeypatch.setitem(JOBS, "snapshot", JobSpec("snapshot", breaks_after_writing, real.label))
    failed = run_job("snapshot", SLOT)
    assert failed.status == "failed" and "disk penuh" in failed.error
    run = db.session.scalar(sa.select(JobRun))
    assert run.status == "failed" and "RuntimeError: disk penuh" in run.error and run.attempts == 1
    assert count(db, CoverageSnapshot) == 0  # the half-done work was rolled back with the failure

    monkeypatch.setitem(JOBS, "snapshot", real)
    retried = run_job("snapshot", SLOT, trigger="retry")
    assert retried.status == "done" and retried.attempt == 2
    assert count(db, CoverageSnapshot) == 10
    db.session.expire_all()
    run = db.session.scalar(sa.select(JobRun))
    assert (run.status, run.attempts, run.error, run.trigger) == ("done", 2, "", "retry")
    assert count(db, JobRun) == 1


def test_a_run_killed_midway_is_taken_over_once_stale(world, db, app):
    """The process died after claiming: its claim stays "running". It is left alone while it could still be
    alive, and taken over (and completed once) when older than JOB_STALE_MINUTES."""
    claimed_at = datetime.now(timezone.utc) - timedelta(minutes=10)
    db.session.add(JobRun(job="snapshot", slot=SLOT.astimezone(timezone.utc), status="running", attempts=1,
                          claimed_at=claimed_at, started_at=claimed_at))
    db.session.commit()
    assert run_job("snapshot", SLOT).status == "skipped"
    db.session.execute(sa.update(JobRun).values(
        claimed_at=datetime.now(timezone.utc) - timedelta(minutes=app.config["JOB_STALE_MINUTES"] + 1)))
    db.session.commit()
    outcome = run_job("snapshot", SLOT)
    assert outcome.status == "done" and outcome.attempt == 2
    assert count(db, CoverageSnapshot) == 10 and count(db, JobRun) == 1


def test_run_job_command_claims_like_the_scheduler(runner, world, db):
    args = ["run-job", "snapshot", "--at", "2026-09-15 23:50"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "selesai (percobaan ke-1)" in first.output and '"rows": 10' in first.output
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and "sudah selesai; tidak dijalankan lagi" in second.output
    forced = runner.invoke(args=args + ["--force"])
    assert "percobaan ke-2" in forced.output
    assert count(db, CoverageSnapshot) == 10  # replaced, never doubled
    run = db.session.scalar(sa.select(JobRun))
    assert run.slot.replace(tzinfo=timezone.utc) == SLOT.astimezone(timezone.utc) and run.trigger == "cli"


def test_run_job_command_bad_input(runner):
    unknown = runner.invoke(args=["run-job", "kirim-semua"])
    assert unknown.exit_code != 0 and "tidak dikenal" in unknown.output and "snapshot" in unknown.output
    bad_time = runner.invoke(args=["run-job", "snapshot", "--at", "besok pagi"])
    assert bad_time.exit_code != 0 and "bukan waktu yang dikenal" in bad_time.output


def test_create_app_starts_no_scheduler():
    import threading

    from outreach import create_app

    from apscheduler.schedulers.base import BaseScheduler

    created = []
    original = BaseScheduler.__init__

    def spy(self, *args, **kwargs):
        created.append(self)
        original(self, *args, **kwargs)

    before = set(threading.enumerate())
    BaseScheduler.__init__ = spy
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})
    finally:
        BaseScheduler.__init__ = original
    assert created == []
    # Other tests' timers (the rate limiter's memory storage) may start meanwhile; none is a scheduler.
    assert not [t for t in set(threading.enumerate()) - before if "APScheduler" in t.name or "scheduler" in t.name]


def test_concurrent_runs_of_one_slot_do_the_work_once(app, world, db):
    """Four processes' worth of firings at the same instant: one does the work, the others skip."""
    barrier = threading.Barrier(4)

    def fire():
        with app.app_context():
            barrier.wait()
            return run_job("snapshot", SLOT, trigger="schedule").status

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(lambda _i: fire(), range(4)))
    assert statuses == ["done", "skipped", "skipped", "skipped"]
    assert count(db, CoverageSnapshot) == 10 and count(db, JobRun) == 1
