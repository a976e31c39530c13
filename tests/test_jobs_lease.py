"""Leases: a run whose process died is taken over by the sweep and redone exactly once; a live one is left
alone; two sweepers racing redo it once; the late first owner cannot overwrite the new owner's result."""
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from outreach.clock import utcnow
from outreach.jobs import claims
from outreach.jobs.lease import Heartbeat
from outreach.jobs.runner import run_claimed, run_job
from outreach.jobs.sweep import sweep, take_over_expired
from outreach.models.jobs import CoverageSnapshot, JobRun
from tests.conftest import WIB, real_clock_only

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=WIB)
SLOT = datetime(2026, 12, 13, 23, 50, tzinfo=WIB)
DEAD = "host-lama:4242:deadbeef"

pytestmark = pytest.mark.at(NOW)


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def add_run(db, *, heartbeat_age: float, attempts: int = 1, owner: str = DEAD, status: str = "running",
            claimed_age: float = 600.0, job: str = "snapshot", slot: datetime = SLOT) -> JobRun:
    now = utcnow()
    run = JobRun(job=job, slot=slot.astimezone(timezone.utc), status=status, attempts=attempts, owner=owner,
                 claimed_at=now - timedelta(seconds=claimed_age), started_at=now - timedelta(seconds=claimed_age),
                 heartbeat_at=now - timedelta(seconds=heartbeat_age), trigger="schedule")
    db.session.add(run)
    db.session.commit()
    return run


def fresh(db, run_id) -> JobRun:
    db.session.expire_all()
    return db.session.get(JobRun, run_id)


def test_an_expired_lease_is_taken_over_and_redone_once(app, world, db):
    run = add_run(db, heartbeat_age=app.config["JOB_LEASE_SECONDS"] + 5)
    first = sweep(app)
    assert len(first.taken) == 1 and first.given_up == []
    run = fresh(db, run.id)
    assert (run.status, run.attempts, run.trigger, run.error) == ("done", 2, "schedule", "")
    assert run.owner != DEAD and run.summary["rows"] == 10
    assert count(db, CoverageSnapshot) == 10
    second = sweep(app)  # done now: nothing left to take over
    assert second.taken == [] and fresh(db, run.id).attempts == 2
    assert count(db, JobRun) == 1


def test_a_live_lease_is_left_alone(app, world, db):
    """Claimed long ago, but its process still renews the heartbeat: a long run, not a dead one."""
    run = add_run(db, heartbeat_age=app.config["JOB_LEASE_SECONDS"] - 30, claimed_age=6 * 3600)
    assert sweep(app).taken == []
    assert run_job("snapshot", SLOT).status == "skipped"  # a firing of the same slot leaves it alone too
    run = fresh(db, run.id)
    assert (run.status, run.attempts, run.owner) == ("running", 1, DEAD)
    assert count(db, CoverageSnapshot) == 0


def test_a_firing_of_the_slot_takes_over_an_expired_lease(app, world, db):
    run = add_run(db, heartbeat_age=app.config["JOB_LEASE_SECONDS"] + 5)
    outcome = run_job("snapshot", SLOT, trigger="retry")
    assert outcome.status == "done" and outcome.attempt == 2
    assert sweep(app).taken == [] and fresh(db, run.id).attempts == 2


def test_two_sweepers_racing_redo_it_once(app, world, db, monkeypatch):
    """Both sweepers see the same expired run before either takes it; the conditional UPDATE lets one win."""
    run = add_run(db, heartbeat_age=app.config["JOB_LEASE_SECONDS"] + 5)
    both_looked = threading.Barrier(2, timeout=30)
    real_expired_runs = claims.expired_runs

    def expired_runs_then_wait(*args):
        found = real_expired_runs(*args)
        both_looked.wait()
        return found

    monkeypatch.setattr(claims, "expired_runs", expired_runs_then_wait)
    results = []

    def one_sweeper():
        results.append(sweep(app))

    threads = [threading.Thread(target=one_sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(len(r.taken) for r in results) == [0, 1]
    run = fresh(db, run.id)
    assert (run.status, run.attempts) == ("done", 2)
    assert count(db, CoverageSnapshot) == 10


def test_a_late_finisher_cannot_overwrite_the_new_owner(app, world, db):
    old = claims.claim("snapshot", SLOT, "schedule")
    assert claims.mark_running(old)
    db.session.execute(sa.update(JobRun).values(
        heartbeat_at=utcnow() - timedelta(seconds=app.config["JOB_LEASE_SECONDS"] + 1)))
    db.session.commit()
    (taken, trigger), = take_over_expired(app.config).taken
    assert taken.attempt == 2 and taken.owner != old.owner and trigger == "schedule"

    # The old owner wakes up while the new one works: it can neither finish nor fail the run.
    assert claims.mark_done(old, {"rows": -1}, 1.0) is False
    db.session.rollback()
    assert claims.mark_failed(old, "late", 1.0) is False
    assert fresh(db, old.run_id).status == "claimed"

    assert run_claimed(taken, trigger).status == "done"
    assert claims.mark_done(old, {"rows": -1}, 1.0) is False  # nor after the new owner finished
    db.session.rollback()
    assert claims.mark_failed(old, "late", 1.0) is False
    run = fresh(db, old.run_id)
    assert (run.status, run.owner, run.summary["rows"], run.error) == ("done", taken.owner, 10, "")


def test_a_run_out_of_attempts_is_given_up_as_failed(app, world, db):
    run = add_run(db, heartbeat_age=app.config["JOB_LEASE_SECONDS"] + 5, attempts=app.config["JOB_MAX_ATTEMPTS"])
    result = sweep(app)
    assert result.taken == [] and len(result.given_up) == 1
    run = fresh(db, run.id)
    assert run.status == "failed" and run.finished_at is not None
    assert "lease expired" in run.error and f"gave up after {run.attempts} of {run.attempts} attempts" in run.error
    assert count(db, CoverageSnapshot) == 0
    assert sweep(app).given_up == []  # once


def test_a_run_too_old_to_redo_is_given_up(app, world, db):
    hours = app.config["JOB_REDO_WINDOW_HOURS"]
    run = add_run(db, heartbeat_age=hours * 3600, claimed_age=hours * 3600 + 60,
                  slot=SLOT - timedelta(days=2))
    assert len(sweep(app).given_up) == 1
    run = fresh(db, run.id)
    assert run.status == "failed" and "too old to redo" in run.error and run.attempts == 1


def test_a_run_without_heartbeat_from_before_leases_waits_for_the_stale_limit(app, world, db):
    run = add_run(db, heartbeat_age=0, owner=None, claimed_age=app.config["JOB_LEASE_SECONDS"] + 600)
    db.session.execute(sa.update(JobRun).values(heartbeat_at=None, owner=None))
    db.session.commit()
    assert sweep(app).taken == []
    db.session.execute(sa.update(JobRun).values(
        claimed_at=utcnow() - timedelta(minutes=app.config["JOB_STALE_MINUTES"] + 1)))
    db.session.commit()
    assert len(sweep(app).taken) == 1 and fresh(db, run.id).status == "done"


@real_clock_only
def test_the_heartbeat_is_renewed_while_the_job_runs_and_stops_when_taken_over(app, db):
    claim = claims.claim("housekeeping", SLOT, "schedule")
    assert claims.mark_running(claim)
    started = fresh(db, claim.run_id).heartbeat_at
    db.session.rollback()
    with Heartbeat(db.engine, claim, every=0.1) as beat:
        time.sleep(0.6)
        assert fresh(db, claim.run_id).heartbeat_at > started
        db.session.rollback()
        db.session.execute(sa.update(JobRun).values(owner="someone-else:1:cafe"))  # taken over
        db.session.commit()
        deadline = time.monotonic() + 10
        while not beat.lost and time.monotonic() < deadline:
            time.sleep(0.05)
    assert beat.lost
