"""The scheduler recovers by itself: a scheduler killed mid-run has its run redone exactly once by the next
one (real processes, SIGKILL), and the scheduler keeps going while the database is away."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.clock import utcnow
from outreach.jobs.lease import owner_pid
from outreach.jobs.registry import JOBS
from outreach.jobs.scheduler import build_scheduler, fire, keep_lock, process_lock
from outreach.models.jobs import CoverageSnapshot, JobRun
from tests.conftest import WIB, real_clock_only

ROOT = Path(__file__).resolve().parents[1]
SLOT = datetime(2026, 12, 13, 23, 50, tzinfo=WIB)
DEAD = "host-lama:4242:deadbeef"


def _add_dead_run(db, lease_seconds: float, job: str = "snapshot") -> int:
    now = utcnow()
    run = JobRun(job=job, slot=SLOT.astimezone(timezone.utc), status="running", attempts=1, owner=DEAD,
                 trigger="schedule", claimed_at=now - timedelta(minutes=5), started_at=now - timedelta(minutes=5),
                 heartbeat_at=now - timedelta(seconds=lease_seconds + 60))
    db.session.add(run)
    db.session.commit()
    return run.id


def _read(db, run_id):
    db.session.rollback()  # a fresh look, and no read transaction left open for the writers
    db.session.expire_all()
    run = db.session.get(JobRun, run_id)
    values = (run.status, run.attempts, run.owner, run.heartbeat_at)
    db.session.rollback()
    return values


def _wait_for(check, timeout: float, what: str, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the scheduler exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def _scheduler(app, lock_file, **settings):
    env = dict(os.environ, PYTHONUNBUFFERED="1", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               FLASK_SCHEDULER_LOCK_FILE=str(lock_file), FLASK_TESTING="true",
               FLASK_JOB_SCHEDULES=json.dumps({name: "0 0 1 1 *" for name in JOBS}),  # nothing fires by itself
               **{f"FLASK_{key}": str(value) for key, value in settings.items()})
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run-scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


LEASE = {"JOB_LEASE_SECONDS": 3, "JOB_HEARTBEAT_SECONDS": 0.5, "JOB_SWEEP_SECONDS": 1}


@real_clock_only
def test_a_scheduler_killed_mid_run_has_the_run_redone_exactly_once_by_the_next(app, world, db, tmp_path):
    lock_file = tmp_path / "scheduler.lock"
    run_id = _add_dead_run(db, LEASE["JOB_LEASE_SECONDS"])  # a run whose process is already gone
    first = _scheduler(app, lock_file, JOB_TEST_HANG="snapshot", **LEASE)
    try:
        # The first scheduler's sweep takes the run over at start; the test hook makes the snapshot hang.
        status, attempts, owner, beat = _wait_for(
            lambda: (lambda r: r if r[1] == 2 and r[0] == "running" else None)(_read(db, run_id)),
            60, "the first scheduler took the run over", first)
        assert owner_pid(owner) == str(first.pid)
        # While it hangs its process lives, so the heartbeat moves on and nobody takes the run over.
        _wait_for(lambda: _read(db, run_id)[3] > beat, 10, "the heartbeat is renewed", first)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    killed_at = time.monotonic()
    assert _read(db, run_id)[:2] == ("running", 2)  # what kill -9 leaves behind

    second = _scheduler(app, lock_file, **LEASE)
    try:
        _wait_for(lambda: _read(db, run_id)[0] == "done", 60, "the run was redone", second)
        took = time.monotonic() - killed_at
        time.sleep(LEASE["JOB_LEASE_SECONDS"] + 2 * LEASE["JOB_SWEEP_SECONDS"])  # more sweeps: nothing more
        status, attempts, owner, _beat = _read(db, run_id)
        assert (status, attempts) == ("done", 3) and owner_pid(owner) == str(second.pid)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageSnapshot)) == 10
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1
        assert second.poll() is None  # still running
        assert took < 45, f"redone {took:.1f} s after the kill"
    finally:
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert "taken over (attempt 3)" in err


class DatabaseAway:
    """Every statement on the engine fails with a lost connection while `on` is set."""

    def __init__(self, engine):
        self.engine, self.on, self.failures = engine, threading.Event(), 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._fail)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._fail)

    def _fail(self, conn, cursor, statement, *_args):
        if self.on.is_set():
            self.failures += 1
            raise sa.exc.OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))


@real_clock_only
@pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))
def test_the_scheduler_keeps_running_while_the_database_is_away(app, world, db, monkeypatch):
    for key, value in {**LEASE, "JOB_LEASE_SECONDS": 1, "JOB_DB_RETRY_SECONDS": 0.2,
                       "JOB_DB_RETRY_MAX_SECONDS": 1}.items():
        monkeypatch.setitem(app.config, key, value)
    run_id = _add_dead_run(db, 1)
    housekeeping_slot = datetime(2026, 12, 14, 3, 30, tzinfo=WIB)
    scheduler = build_scheduler(app)
    with DatabaseAway(db.engine) as away:
        away.on.set()
        thread = threading.Thread(target=scheduler.start, daemon=True)
        thread.start()
        try:
            scheduler.add_job(fire, "date", run_date=utcnow() + timedelta(seconds=0.3),
                              args=[app, scheduler, "housekeeping", housekeeping_slot], id="housekeeping-now")
            time.sleep(3)  # sweeps and the firing fail meanwhile
            assert away.failures >= 3 and scheduler.running and thread.is_alive()
            assert scheduler.database_backoff.failures >= 2
            assert any(job.id.startswith("retry:housekeeping:") for job in scheduler.get_jobs())
            away.on.clear()  # the database is back
            _wait_for(lambda: _read(db, run_id)[0] == "done", 30, "the dead run was redone")
            _wait_for(lambda: db.session.scalar(sa.select(JobRun.status).where(JobRun.job == "housekeeping")) == "done",
                      30, "the firing was tried again")
            assert _read(db, run_id)[:2] == ("done", 2)
            assert scheduler.running and scheduler.database_backoff.failures == 0
        finally:
            scheduler.shutdown(wait=False)
            thread.join(10)


class FlakyLock:
    """A process lock whose connection died; taking it again fails while the database is away."""

    where = "kunci uji"

    def __init__(self, database_away_for: int, other_holder=None):
        self.tries, self.away_for, self.other_holder, self.held = 0, database_away_for, other_holder, False

    def still_held(self):
        return self.held

    def release(self):
        self.held = False

    def acquire(self):
        self.tries += 1
        if self.tries <= self.away_for:
            raise sa.exc.OperationalError("SELECT pg_try_advisory_lock(1)", {}, Exception("connection refused"))
        self.held = self.other_holder is None
        return self.held

    def holder(self):
        return self.other_holder


def test_a_lock_lost_with_the_database_is_taken_again_when_it_is_back(app):
    lock = FlakyLock(database_away_for=2)
    scheduler = build_scheduler(app, lock)
    assert keep_lock(app, scheduler, lock) is False  # database still away: try again later, keep going
    assert keep_lock(app, scheduler, lock) is False
    assert keep_lock(app, scheduler, lock) is True and lock.held
    assert scheduler.lock_lost_to is None and scheduler.database_backoff.failures == 0


def test_a_lock_taken_by_another_scheduler_meanwhile_stops_this_one_with_an_error(app):
    lock = FlakyLock(database_away_for=0, other_holder="proses pid 999")
    scheduler = build_scheduler(app, lock)
    assert keep_lock(app, scheduler, lock) is False
    assert scheduler.lock_lost_to == "proses pid 999"


def test_postgresql_lock_is_taken_again_after_its_connection_was_killed(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock lives on a PostgreSQL connection")
    lock = process_lock(app)
    assert lock.acquire()
    other = process_lock(app)
    try:
        scheduler = build_scheduler(app, lock)
        pid = lock.conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        lock.conn.commit()
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert keep_lock(app, scheduler, lock) is True and lock.still_held()
        assert not other.acquire()  # held again, by this scheduler
    finally:
        lock.release()
        other.release()
