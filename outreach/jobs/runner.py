"""Run one job for one slot: claim, work, record. The scheduler, `run-job` and the admin button all call this.

While the job works, a heartbeat thread renews its lease (outreach.jobs.lease), so the scheduler's sweep
can tell a long run from a dead one.
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask import current_app

from outreach.extensions import db
from outreach.jobs import claims
from outreach.jobs.context import JobContext, timezone_of
from outreach.jobs.lease import Heartbeat, cutoffs
from outreach.jobs.registry import get_job

log = logging.getLogger("outreach.jobs")


@dataclass
class RunOutcome:
    job: str
    slot: datetime
    status: str                      # done | failed | skipped
    attempt: int = 0
    summary: dict = field(default_factory=dict)
    error: str = ""
    existing_status: Optional[str] = None  # for skipped: what the slot's run is

    @property
    def ok(self) -> bool:
        return self.status in ("done", "skipped")


def run_job(name: str, slot: datetime, trigger: str = "cli", force: bool = False) -> RunOutcome:
    """Claim (name, slot) and run the job once; a slot already done (or running) is skipped."""
    get_job(name)
    slot = claims.normalise_slot(slot)
    limits = cutoffs(current_app.config)
    claim = claims.claim(name, slot, trigger, force=force, lease_cutoff=limits.lease, stale_before=limits.stale)
    if claim is None:
        existing = claims.get_run(name, slot)
        return RunOutcome(name, slot, "skipped", existing_status=existing.status if existing else None,
                          attempt=existing.attempts if existing else 0)
    return run_claimed(claim, trigger)


def run_claimed(claim: claims.Claim, trigger: str) -> RunOutcome:
    """Do the work of a claim this process holds (a fresh claim, or a run the sweep took over)."""
    name, slot = claim.job, claim.slot
    spec = get_job(name)
    config = current_app.config
    if not claims.mark_running(claim):
        return RunOutcome(name, slot, "skipped", attempt=claim.attempt, existing_status="running")
    ctx = JobContext(job=name, slot=slot, tz=timezone_of(config), config=config, trigger=trigger)
    started = time.perf_counter()
    with Heartbeat(db.engine, claim, config["JOB_HEARTBEAT_SECONDS"]):
        try:
            _hang_for_tests(config, name)
            _begin_write()
            summary = spec.func(ctx) or {}
            if not claims.mark_done(claim, summary, time.perf_counter() - started):
                raise ClaimLost("claim lost: another process took this run over while it ran")
            db.session.commit()
        except Exception as exc:  # a job's failure is recorded, never propagated into the scheduler
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}"
            recorded = claims.mark_failed(claim, error, time.perf_counter() - started)
            if not recorded:  # taken over: the new owner's run is what counts; nothing of ours was kept
                log.warning("job %s for slot %s (attempt %s) lost its claim; its work was rolled back",
                            name, slot.isoformat(), claim.attempt)
            else:
                log.exception("job %s for slot %s failed (attempt %s)", name, slot.isoformat(), claim.attempt)
            return RunOutcome(name, slot, "failed", attempt=claim.attempt, error=f"{type(exc).__name__}: {exc}")
    log.info("job %s for slot %s done: %s", name, slot.isoformat(), summary)
    return RunOutcome(name, slot, "done", attempt=claim.attempt, summary=summary)


class ClaimLost(RuntimeError):
    """The run was taken over by another process while this one worked: its work is rolled back."""


def _hang_for_tests(config, name: str) -> None:
    """Tests only: the job named by JOB_TEST_HANG sleeps first, so a test can kill its process mid-run."""
    if config.get("TESTING") and config.get("JOB_TEST_HANG") and config["JOB_TEST_HANG"] == name:
        log.warning("job %s hangs for %s s (JOB_TEST_HANG)", name, config["JOB_TEST_HANG_SECONDS"])
        time.sleep(float(config["JOB_TEST_HANG_SECONDS"]))


def _begin_write() -> None:
    """SQLite: take the write lock up front (BEGIN IMMEDIATE), so a job that reads before it writes
    waits for a web request's write instead of failing with "database is locked" halfway."""
    if db.session.get_bind().dialect.name == "sqlite":
        conn = db.session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
