"""Run one job for one slot: claim, work, record. The scheduler, `run-job` and the admin button all call this."""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app

from outreach.extensions import db
from outreach.jobs import claims
from outreach.jobs.context import JobContext, timezone_of
from outreach.jobs.registry import get_job
from outreach.models.base import utcnow

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
    spec = get_job(name)
    config = current_app.config
    slot = claims.normalise_slot(slot)
    stale_before = utcnow() - timedelta(minutes=config["JOB_STALE_MINUTES"])
    claim = claims.claim(name, slot, trigger, force=force, stale_before=stale_before)
    if claim is None:
        existing = claims.get_run(name, slot)
        return RunOutcome(name, slot, "skipped", existing_status=existing.status if existing else None,
                          attempt=existing.attempts if existing else 0)
    claims.mark_running(claim)
    ctx = JobContext(job=name, slot=slot, tz=timezone_of(config), config=config, trigger=trigger)
    started = time.perf_counter()
    try:
        _begin_write()
        summary = spec.func(ctx) or {}
        if not claims.mark_done(claim, summary, time.perf_counter() - started):
            raise RuntimeError("claim lost: another process re-claimed this slot while it ran")
        db.session.commit()
    except Exception as exc:  # a job's failure is recorded, never propagated into the scheduler
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}"
        claims.mark_failed(claim, error, time.perf_counter() - started)
        log.exception("job %s for slot %s failed (attempt %s)", name, slot.isoformat(), claim.attempt)
        return RunOutcome(name, slot, "failed", attempt=claim.attempt, error=f"{type(exc).__name__}: {exc}")
    log.info("job %s for slot %s done: %s", name, slot.isoformat(), summary)
    return RunOutcome(name, slot, "done", attempt=claim.attempt, summary=summary)


def _begin_write() -> None:
    """SQLite: take the write lock up front (BEGIN IMMEDIATE), so a job that reads before it writes
    waits for a web request's write instead of failing with "database is locked" halfway."""
    if db.session.get_bind().dialect.name == "sqlite":
        conn = db.session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
