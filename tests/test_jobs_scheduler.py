"""The scheduler process: one per database (a second copy refuses), job settings, slots of firings."""
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from outreach.jobs.registry import JOBS
from outreach.jobs.scheduler import build_scheduler, fire, process_lock, queue_unfinished
from outreach.models.jobs import JobRun
from tests.conftest import real_clock_only

ROOT = Path(__file__).resolve().parents[1]
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture()
def lock_file(app, tmp_path, monkeypatch):
    path = tmp_path / "scheduler.lock"
    monkeypatch.setitem(app.config, "SCHEDULER_LOCK_FILE", str(path))
    return path


def test_the_lock_is_taken_once(app, db, lock_file):
    first, second = process_lock(app), process_lock(app)
    assert first.acquire()
    try:
        assert not second.acquire()
        holder = first.holder()  # what the refusal message and the admin page name
        assert holder is not None and ("PostgreSQL" in holder or f"pid {os.getpid()}" in holder)
        assert first.still_held()
    finally:
        first.release()
    third = process_lock(app)
    assert third.acquire()  # released: the next one gets it
    third.release()


def test_scheduler_jobs_coalesce_run_alone_and_have_a_grace_time(app):
    scheduler = build_scheduler(app)
    # the job defaults are applied when the scheduler starts: start it paused in a thread
    thread = threading.Thread(target=scheduler.start, kwargs={"paused": True}, daemon=True)
    thread.start()
    for _i in range(100):
        if scheduler.running:
            break
        time.sleep(0.02)
    try:
        jobs = {j.id: j for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
        thread.join(5)
    assert {name for name in jobs if not name.startswith("_")} == set(JOBS)
    assert "_sweep" in jobs  # the sweep of runs whose process died
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == app.config["JOB_MISFIRE_GRACE_SECONDS"]
    assert str(jobs["digest"].trigger.timezone) == "Asia/Jakarta"


def test_a_firing_claims_the_trigger_slot_so_a_second_firing_does_nothing(app, world, db):
    scheduler = build_scheduler(app)
    with time_machine.travel(datetime(2026, 9, 15, 23, 50, 2, tzinfo=WIB), tick=False):
        first = fire(app, scheduler, "snapshot")
    with time_machine.travel(datetime(2026, 9, 16, 0, 20, tzinfo=WIB), tick=False):  # late, within the grace
        second = fire(app, scheduler, "snapshot")
    assert first.status == "done" and first.slot == datetime(2026, 9, 15, 23, 50, tzinfo=WIB)
    assert second.status == "skipped" and second.slot == first.slot
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1


def test_at_start_failed_runs_of_the_last_day_are_queued_again(app, db):
    now = datetime.now(timezone.utc)  # SQLite keeps wall-clock values: always write UTC
    db.session.add_all([
        JobRun(job="reminders", slot=now - timedelta(hours=2), status="failed", attempts=1,
               claimed_at=now - timedelta(hours=2)),
        JobRun(job="overdue", slot=now - timedelta(hours=1), status="failed", attempts=3,  # gave up
               claimed_at=now - timedelta(hours=1)),
        JobRun(job="snapshot", slot=now - timedelta(hours=5), status="running", attempts=1,  # died with its process
               claimed_at=now - timedelta(hours=5)),
        JobRun(job="digest", slot=now - timedelta(days=3), status="failed", attempts=1,
               claimed_at=now - timedelta(days=3)),
    ])
    db.session.commit()
    scheduler = build_scheduler(app)
    assert queue_unfinished(app, scheduler) == 2
    assert sorted(j.id.split(":")[1] for j in scheduler.get_jobs() if j.id.startswith("retry:")) == \
        ["reminders", "snapshot"]


def _start_scheduler(app, lock_file):
    env = dict(os.environ, PYTHONUNBUFFERED="1", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               FLASK_SCHEDULER_LOCK_FILE=str(lock_file),
               # nothing fires while the test runs
               FLASK_JOB_SCHEDULES=json.dumps({name: "0 0 1 1 *" for name in JOBS}))
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run-scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_line(proc, needle, timeout=30.0):
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            seen.append(line)
            if needle in line:
                return line
        if proc.poll() is not None:
            break
    raise AssertionError(f"no '{needle}' from the scheduler; got {seen!r}, stderr {proc.stderr.read()!r}")


@real_clock_only
def test_a_second_scheduler_process_refuses_to_start(app, db, lock_file):
    first = _start_scheduler(app, lock_file)
    try:
        _wait_for_line(first, "Penjadwal berjalan")
        second = _start_scheduler(app, lock_file)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "Penjadwal lain sudah berjalan" in err and "tidak dijalankan" in err
        assert first.poll() is None  # the first one is unaffected
    finally:
        first.send_signal(signal.SIGTERM)
        out, _err = first.communicate(timeout=30)
    assert first.returncode == 0 and "Penjadwal berhenti." in out


def test_a_lost_database_connection_is_noticed(app, db):
    """PostgreSQL: if the lock's connection dies, the server drops the lock; the scheduler must notice."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock lives on a PostgreSQL connection")
    lock = process_lock(app)
    assert lock.acquire()
    try:
        pid = lock.conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        lock.conn.commit()
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert lock.still_held() is False
        replacement = process_lock(app)
        assert replacement.acquire()  # the lock was released with the connection
        replacement.release()
    finally:
        lock.release()
