"""Claiming a job's time slot in the database: the unique (job, slot) row makes each run happen once.

A claim is committed on its own before the work starts. The work and the "done" mark are then
committed together, fenced by the attempt number, so a run either completes as a whole or not at
all. A failed run (or one whose process died: a claim left "running" past the stale limit) can be
claimed again; its attempt number grows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from outreach.extensions import db
from outreach.models.base import utcnow
from outreach.models.jobs import JobRun

runs = JobRun.__table__


@dataclass(frozen=True)
class Claim:
    run_id: int
    attempt: int


def normalise_slot(slot: datetime) -> datetime:
    """Slots are compared for equality: always aware UTC, whole seconds."""
    if slot.tzinfo is None:
        raise ValueError("slot must be timezone-aware")
    return slot.astimezone(timezone.utc).replace(microsecond=0)


def claim(job: str, slot: datetime, trigger: str = "cli", *, force: bool = False,
          stale_before: Optional[datetime] = None) -> Optional[Claim]:
    """Claim (job, slot); None when another run has it (done, or still running). Commits.

    Re-claims a failed run; with `stale_before`, also a claim left running since before then;
    with `force`, also a finished one (an operator's deliberate re-run: the jobs' effects are idempotent).
    """
    slot = normalise_slot(slot)
    now = utcnow()
    db.session.rollback()  # start from a clean transaction: the claim is committed on its own
    try:
        db.session.execute(sa.insert(runs).values(
            job=job, slot=slot, trigger=trigger, status="claimed", attempts=1, claimed_at=now,
            summary={}, error=""))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        reclaimable = runs.c.status == "failed"
        if stale_before is not None:
            reclaimable = sa.or_(reclaimable, sa.and_(runs.c.status.in_(("claimed", "running")),
                                                      runs.c.claimed_at < stale_before))
        if force:
            reclaimable = sa.or_(reclaimable, runs.c.status == "done")
        result = db.session.execute(
            sa.update(runs).where(runs.c.job == job, runs.c.slot == slot, reclaimable)
            .values(status="claimed", attempts=runs.c.attempts + 1, trigger=trigger, claimed_at=now,
                    started_at=None, finished_at=None, duration_seconds=None, error=""))
        db.session.commit()
        if result.rowcount != 1:
            return None
    row = db.session.execute(sa.select(runs.c.id, runs.c.attempts)
                             .where(runs.c.job == job, runs.c.slot == slot)).one()
    return Claim(run_id=row.id, attempt=row.attempts)


def mark_running(claim: Claim) -> None:
    """claimed -> running (committed), so the admin page shows a run in progress."""
    db.session.execute(sa.update(runs).where(runs.c.id == claim.run_id, runs.c.attempts == claim.attempt)
                       .values(status="running", started_at=utcnow()))
    db.session.commit()


def mark_done(claim: Claim, summary: dict, duration: float) -> bool:
    """Mark done in the job's own transaction (the caller commits); False when the claim was lost."""
    result = db.session.execute(
        sa.update(runs).where(runs.c.id == claim.run_id, runs.c.attempts == claim.attempt,
                              runs.c.status == "running")
        .values(status="done", finished_at=utcnow(), duration_seconds=round(duration, 3), summary=summary,
                error=""))
    return result.rowcount == 1


def mark_failed(claim: Claim, error: str, duration: float) -> None:
    """Record the failure (after the job's transaction was rolled back). Commits."""
    db.session.execute(
        sa.update(runs).where(runs.c.id == claim.run_id, runs.c.attempts == claim.attempt)
        .values(status="failed", finished_at=utcnow(), duration_seconds=round(duration, 3), error=error[:10000]))
    db.session.commit()


def get_run(job: str, slot: datetime) -> Optional[JobRun]:
    return db.session.scalar(sa.select(JobRun).where(JobRun.job == job, JobRun.slot == normalise_slot(slot)))


def retryable_runs(since: datetime, max_attempts: int, stale_before: datetime) -> list[JobRun]:
    """Failed (or dead) runs of recent slots that may still be retried."""
    return list(db.session.scalars(
        sa.select(JobRun).where(
            JobRun.claimed_at >= since, JobRun.attempts < max_attempts,
            sa.or_(JobRun.status == "failed",
                   sa.and_(JobRun.status.in_(("claimed", "running")), JobRun.claimed_at < stale_before)))
        .order_by(JobRun.slot)))
