"""The scheduler process (`flask --app app run-scheduler`): APScheduler 3.x, one copy per database.

A process lock keeps a second copy from starting: a PostgreSQL advisory lock held on a dedicated
connection for the life of the process, or an exclusive flock on a file in instance/ for SQLite.
The jobs themselves still claim their slot in the database, so even a replayed slot runs once.

Every minute a sweep takes over the runs whose process died (outreach.jobs.sweep). The database may go
away (a restart, the network): every database call of the scheduler's own jobs catches that, throws the
pool's connections away, and tries again after a delay that doubles (the job's slot, the sweep, the lock:
taken again once the database is back). The process only stops on a signal (exit 0), or with a non-zero
exit when another scheduler took the lock while the database was away.
"""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from outreach.jobs.context import timezone_of
from outreach.jobs.outage import DatabaseBackoff, backoff_of, database_lost, is_database_down
from outreach.jobs.registry import JOBS, slot_for
from outreach.models.base import utcnow

log = logging.getLogger("outreach.jobs.scheduler")


class SchedulerAlreadyRunning(RuntimeError):
    """Another scheduler process holds the lock."""


class SchedulerLockLost(RuntimeError):
    """The lock went with the database connection and another scheduler holds it now."""


# ----------------------------------------------------------------- process locks

class PostgresAdvisoryLock:
    """pg_try_advisory_lock on a connection kept open (and out of the pool's hands) while the process lives."""

    def __init__(self, engine, key: int):
        self.engine, self.key, self.conn = engine, int(key), None

    @property
    def where(self) -> str:
        return f"PostgreSQL advisory lock {self.key} ({self.engine.url.render_as_string(hide_password=True)})"

    def acquire(self) -> bool:
        conn = self.engine.connect()
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        conn.commit()  # session-level lock: it outlives the transaction, not the connection
        if got:
            self.conn = conn
        else:
            conn.close()
        return bool(got)

    def holder(self) -> Optional[str]:
        with self.engine.connect() as conn:
            pid = conn.execute(sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid = :hi AND objid = :lo AND objsubid = 1"),
                {"hi": (self.key >> 32) & 0xFFFFFFFF, "lo": self.key & 0xFFFFFFFF}).scalar()
        return f"koneksi PostgreSQL pid {pid}" if pid else None

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        try:
            held = self.conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND objid = :lo AND objsubid = 1"), {"lo": self.key & 0xFFFFFFFF}).scalar()
            self.conn.commit()
            return bool(held)
        except Exception as exc:  # connection gone or broken: the server dropped the lock with it
            log.warning("cannot check the scheduler lock: %s", str(exc).splitlines()[0] if str(exc) else exc)
            return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self.conn.commit()
            except Exception:  # the connection died: the server dropped the lock with it
                pass
            finally:
                self.conn.close()
                self.conn = None


class FileLock:
    """An exclusive, non-blocking flock on a file; the kernel drops it when the process dies."""

    def __init__(self, path: Path):
        self.path, self.fd = Path(path), None

    @property
    def where(self) -> str:
        return f"file lock {self.path}"

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def holder(self) -> Optional[str]:
        try:
            pid = int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return f"proses pid {pid}" if _alive(pid) else None

    def still_held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_lock(app, engine=None):
    """The lock that allows one scheduler per database."""
    from outreach.extensions import db

    engine = engine or db.engine
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine, app.config["SCHEDULER_LOCK_KEY"])
    path = app.config.get("SCHEDULER_LOCK_FILE") or Path(app.instance_path) / "scheduler.lock"
    return FileLock(Path(path))


def scheduler_status(app) -> Optional[str]:
    """Who holds the scheduler lock (for the admin page), without taking it; None when nobody does."""
    try:
        return process_lock(app).holder()
    except Exception:  # a status line must never break the page
        log.exception("cannot read the scheduler lock")
        return None


# ----------------------------------------------------------------- the scheduler

def fire(app, scheduler, name: str, slot: Optional[datetime] = None, trigger: str = "schedule"):
    """Run job `name` for its current slot (or `slot`); on failure, schedule a retry of the same slot.
    Without a database, the same slot is tried again after a back-off (None is returned)."""
    from outreach.jobs.runner import run_job

    with app.app_context():
        if slot is None:
            slot = slot_for(JOBS[name].trigger(app.config), utcnow())
        try:
            outcome = run_job(name, slot, trigger=trigger)
        except Exception as exc:
            if not is_database_down(exc):
                raise
            delay = database_lost(app, scheduler, exc, f"job {name}")
            schedule_retry(app, scheduler, name, slot, minutes=delay / 60,
                           trigger=trigger if trigger != "schedule" else "retry")
            return None
        backoff_of(app, scheduler).ok()
        retry_if_failed(app, scheduler, outcome)
        return outcome


def retry_if_failed(app, scheduler, outcome) -> None:
    if outcome.status == "failed" and outcome.attempt < app.config["JOB_MAX_ATTEMPTS"]:
        schedule_retry(app, scheduler, outcome.job, outcome.slot, minutes=app.config["JOB_RETRY_MINUTES"])


def schedule_retry(app, scheduler, name: str, slot: datetime, minutes: float, trigger: str = "retry") -> None:
    run_at = utcnow() + timedelta(minutes=minutes)
    scheduler.add_job(fire, "date", run_date=run_at, args=[app, scheduler, name, slot, trigger],
                      id=f"retry:{name}:{slot.isoformat()}", replace_existing=True,
                      misfire_grace_time=app.config["JOB_MISFIRE_GRACE_SECONDS"])
    log.warning("job %s for slot %s will be retried at %s", name, slot.isoformat(), run_at.isoformat())


def build_scheduler(app, lock=None) -> BlockingScheduler:
    """A BlockingScheduler with every registered job (coalescing, one instance each, misfire grace)."""
    config = app.config
    scheduler = BlockingScheduler(
        timezone=timezone_of(config),
        executors={"default": ThreadPoolExecutor(int(config["SCHEDULER_THREADS"]))},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(config["JOB_MISFIRE_GRACE_SECONDS"])})
    scheduler.database_backoff = DatabaseBackoff(config["JOB_DB_RETRY_SECONDS"], config["JOB_DB_RETRY_MAX_SECONDS"])
    scheduler.lock_lost_to = None
    for name, spec in JOBS.items():
        scheduler.add_job(fire, spec.trigger(config), args=[app, scheduler, name], id=name, name=name)
    # The sweep runs as soon as the scheduler starts (a run of a process killed just before is redone), then
    # every JOB_SWEEP_SECONDS.
    scheduler.add_job(sweep_expired, "interval", seconds=float(config["JOB_SWEEP_SECONDS"]), args=[app, scheduler],
                      id="_sweep", name="_sweep", next_run_time=utcnow())
    # Large admin uploads (outreach/imports/tasks.py): a thread of this process runs the waiting ones.
    scheduler.add_job(poll_import_tasks, "interval", seconds=float(config.get("IMPORT_TASK_POLL_SECONDS", 3)),
                      args=[app], id="_import_tasks", name="_import_tasks")
    if lock is not None:
        scheduler.add_job(keep_lock, "interval", seconds=float(config["SCHEDULER_LOCK_CHECK_SECONDS"]),
                          args=[app, scheduler, lock], id="_lock_check", name="_lock_check")
    return scheduler


def sweep_expired(app, scheduler):
    """The periodic sweep: redo (on threads of their own) the runs whose process died."""
    from outreach.jobs.sweep import sweep

    try:
        result = sweep(app, start=lambda claim, trigger: start_redo(app, scheduler, claim, trigger))
    except Exception as exc:
        if not is_database_down(exc):
            raise
        database_lost(app, scheduler, exc, "the sweep")  # the next sweep tries again
        return None
    backoff_of(app, scheduler).ok()
    return result


def poll_import_tasks(app):
    """Start the thread that runs waiting import tasks, unless it runs already (returns at once)."""
    from outreach.imports.tasks import start_worker

    return start_worker(app)


def start_redo(app, scheduler, claim, trigger: str) -> threading.Thread:
    """Redo a taken-over run on a thread of its own, so a long job never holds up the sweep."""
    thread = threading.Thread(target=redo_taken_over, args=(app, scheduler, claim, trigger),
                              name=f"redo-{claim.job}-{claim.run_id}", daemon=True)
    thread.start()
    return thread


def redo_taken_over(app, scheduler, claim, trigger: str):
    from outreach.extensions import db
    from outreach.jobs.sweep import redo

    with app.app_context():
        try:
            outcome = redo(claim, trigger)
        except Exception as exc:
            if not is_database_down(exc):
                raise
            # The run stays ours until its lease expires; then a sweep takes it over again.
            database_lost(app, scheduler, exc, f"job {claim.job} (taken over)")
            return None
        finally:
            db.session.remove()
    retry_if_failed(app, scheduler, outcome)
    return outcome


def keep_lock(app, scheduler, lock) -> bool:
    """Check the process lock; if it went with the database connection, take it again once the database is
    back (trying again with a back-off). Stops the scheduler only when another one holds it meanwhile."""
    if lock.still_held():
        return True
    log.warning("scheduler lock lost (%s); taking it again", lock.where)
    try:
        with app.app_context():
            lock.release()
            if lock.acquire():
                log.info("scheduler lock taken again (%s)", lock.where)
                backoff_of(app, scheduler).ok()
                return True
            holder = lock.holder() or "?"
    except Exception as exc:
        if not is_database_down(exc):
            raise
        delay = database_lost(app, scheduler, exc, "the lock check")
        if scheduler.running:
            scheduler.modify_job("_lock_check", next_run_time=utcnow() +
                                 timedelta(seconds=delay))
        return False
    log.error("another scheduler holds the lock now (%s, %s); stopping", lock.where, holder)
    scheduler.lock_lost_to = holder
    if scheduler.running:
        scheduler.shutdown(wait=False)
    return False


def queue_unfinished(app, scheduler) -> int:
    """At start-up: retry recent runs that failed or died with a previous process."""
    from outreach.extensions import db
    from outreach.jobs.claims import retryable_runs
    from outreach.jobs.context import as_utc
    from outreach.jobs.lease import cutoffs

    with app.app_context():
        now = utcnow()
        limits = cutoffs(app.config, now)
        runs = retryable_runs(since=now - timedelta(days=1), max_attempts=app.config["JOB_MAX_ATTEMPTS"],
                              stale_before=limits.stale, lease_cutoff=limits.lease)
        for run in runs:
            if run.job in JOBS:
                schedule_retry(app, scheduler, run.job, as_utc(run.slot), minutes=1)
        db.session.remove()
        return len(runs)


def run_scheduler(app, echo=print) -> None:
    """Hold the lock and run the scheduler until SIGTERM/SIGINT; raises SchedulerAlreadyRunning."""
    # One line per run on stderr (the journal); a no-op when logging is configured already.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran
    with app.app_context():
        lock = process_lock(app)
        if not lock.acquire():
            raise SchedulerAlreadyRunning(f"{lock.where}; {lock.holder() or 'pemegang tidak diketahui'}")
    try:
        scheduler = build_scheduler(app, lock)

        def stop(signum, _frame):
            log.info("signal %s: stopping the scheduler", signum)
            if scheduler.running:  # a second signal (e.g. to the whole process group) is a no-op
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        retries = queue_unfinished(app, scheduler)
        echo(f"Penjadwal berjalan (pid {os.getpid()}, {lock.where}); {len(JOBS)} tugas terdaftar, "
             f"{retries} tugas gagal akan diulang.")
        scheduler.start()
    finally:
        lock.release()
        echo("Penjadwal berhenti.")
    if scheduler.lock_lost_to:
        raise SchedulerLockLost(f"{lock.where}; {scheduler.lock_lost_to}")
