"""Claiming a job's time slot in the database: the unique (job, slot) row makes each run happen once.

A claim is committed on its own before the work starts. The work and the "done" mark are then
committed together, fenced by the attempt number and the owner, so a run either completes as a whole
or not at all. A failed run (or one whose process died: a claim whose lease expired) can be claimed
again; its attempt number grows.

The lease: a claim records its owner ("host:pid:random") and a heartbeat the owner renews while the job
runs (outreach.jobs.lease). A run still "claimed"/"running" whose heartbeat is older than the lease died
with its process; the scheduler's sweep takes it over with one conditional UPDATE (same owner, same
attempt, heartbeat still old), so of two sweepers only one redoes it, and the old owner, should it finish
late after all, can no longer mark it done or failed.
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


ACTIVE = ("claimed", "running")


@dataclass(frozen=True)
class Claim:
    run_id: int
    attempt: int
    owner: Optional[str] = None
    job: str = ""
    slot: Optional[datetime] = None


@dataclass(frozen=True)
class ExpiredRun:
    """A run whose process stopped renewing its lease, as the sweep found it."""
    run_id: int
    job: str
    slot: datetime
    attempts: int
    owner: Optional[str]
    claimed_at: datetime
    trigger: str


def normalise_slot(slot: datetime) -> datetime:
    """Slots are compared for equality: always aware UTC, whole seconds."""
    if slot.tzinfo is None:
        raise ValueError("slot must be timezone-aware")
    return slot.astimezone(timezone.utc).replace(microsecond=0)


def lease_expired(lease_cutoff: datetime, stale_before: Optional[datetime] = None):
    """SQL: the run is still claimed/running but its process is gone: its heartbeat is older than
    `lease_cutoff` (a run without a heartbeat, claimed by a version before leases: claimed before
    `stale_before`)."""
    stale_before = stale_before or lease_cutoff
    return sa.and_(runs.c.status.in_(ACTIVE), sa.or_(
        sa.and_(runs.c.heartbeat_at.is_not(None), runs.c.heartbeat_at < lease_cutoff),
        sa.and_(runs.c.heartbeat_at.is_(None), runs.c.claimed_at < stale_before)))


def claim(job: str, slot: datetime, trigger: str = "cli", *, force: bool = False,
          stale_before: Optional[datetime] = None, lease_cutoff: Optional[datetime] = None,
          owner: Optional[str] = None) -> Optional[Claim]:
    """Claim (job, slot) for `owner`; None when another run has it (done, or still running). Commits.

    Re-claims a failed run; with `lease_cutoff`/`stale_before`, also one whose lease expired (see
    lease_expired; `stale_before` alone serves as both); with `force`, also a finished one (an operator's
    deliberate re-run: the jobs' effects are idempotent).
    """
    from outreach.jobs.lease import new_owner

    slot = normalise_slot(slot)
    owner = owner or new_owner()
    now = utcnow()
    db.session.rollback()  # start from a clean transaction: the claim is committed on its own
    try:
        db.session.execute(sa.insert(runs).values(
            job=job, slot=slot, trigger=trigger, status="claimed", attempts=1, claimed_at=now,
            summary={}, error="", owner=owner, heartbeat_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        reclaimable = runs.c.status == "failed"
        if lease_cutoff is not None or stale_before is not None:
            reclaimable = sa.or_(reclaimable, lease_expired(lease_cutoff or stale_before, stale_before))
        if force:
            reclaimable = sa.or_(reclaimable, runs.c.status == "done")
        result = db.session.execute(
            sa.update(runs).where(runs.c.job == job, runs.c.slot == slot, reclaimable)
            .values(status="claimed", attempts=runs.c.attempts + 1, trigger=trigger, claimed_at=now,
                    started_at=None, finished_at=None, duration_seconds=None, error="",
                    owner=owner, heartbeat_at=now))
        db.session.commit()
        if result.rowcount != 1:
            return None
    row = db.session.execute(sa.select(runs.c.id, runs.c.attempts)
                             .where(runs.c.job == job, runs.c.slot == slot)).one()
    return Claim(run_id=row.id, attempt=row.attempts, owner=owner, job=job, slot=slot)


def _held(claim: Claim):
    """SQL: the run is still this claim's (same attempt, same owner)."""
    held = sa.and_(runs.c.id == claim.run_id, runs.c.attempts == claim.attempt)
    if claim.owner is not None:
        held = sa.and_(held, runs.c.owner == claim.owner)
    return held


def mark_running(claim: Claim) -> bool:
    """claimed -> running (committed), so the admin page shows a run in progress; False if the claim was lost."""
    now = utcnow()
    result = db.session.execute(sa.update(runs).where(_held(claim), runs.c.status.in_(ACTIVE))
                                .values(status="running", started_at=now, heartbeat_at=now))
    db.session.commit()
    return result.rowcount == 1


def mark_done(claim: Claim, summary: dict, duration: float) -> bool:
    """Mark done in the job's own transaction (the caller commits); False when the claim was lost."""
    result = db.session.execute(
        sa.update(runs).where(_held(claim), runs.c.status == "running")
        .values(status="done", finished_at=utcnow(), duration_seconds=round(duration, 3), summary=summary,
                error=""))
    return result.rowcount == 1


def mark_failed(claim: Claim, error: str, duration: float) -> bool:
    """Record the failure (after the job's transaction was rolled back). Commits. False when the claim was
    lost meanwhile (taken over): the new owner's run is left as it is."""
    result = db.session.execute(
        sa.update(runs).where(_held(claim), runs.c.status.in_(ACTIVE))
        .values(status="failed", finished_at=utcnow(), duration_seconds=round(duration, 3), error=error[:10000]))
    db.session.commit()
    return result.rowcount == 1


def renew(conn, claim: Claim) -> bool:
    """Renew the claim's heartbeat on `conn` (the heartbeat thread's own connection); False when lost."""
    result = conn.execute(sa.update(runs).where(_held(claim), runs.c.status.in_(ACTIVE))
                          .values(heartbeat_at=utcnow()))
    return result.rowcount == 1


def expired_runs(lease_cutoff: datetime, stale_before: datetime) -> list[ExpiredRun]:
    """Runs still claimed/running whose lease expired (oldest first)."""
    rows = db.session.execute(
        sa.select(runs.c.id, runs.c.job, runs.c.slot, runs.c.attempts, runs.c.owner, runs.c.claimed_at,
                  runs.c.trigger)
        .where(lease_expired(lease_cutoff, stale_before)).order_by(runs.c.claimed_at, runs.c.id)).all()
    db.session.rollback()  # each takeover is its own transaction, decided on fresh rows
    return [ExpiredRun(*row) for row in rows]


def _still_expired(run: ExpiredRun, lease_cutoff: datetime, stale_before: datetime):
    same = sa.and_(runs.c.id == run.run_id, runs.c.attempts == run.attempts,
                   runs.c.owner.is_(None) if run.owner is None else runs.c.owner == run.owner)
    return sa.and_(same, lease_expired(lease_cutoff, stale_before))


def take_over(run: ExpiredRun, owner: str, lease_cutoff: datetime, stale_before: datetime) -> Optional[Claim]:
    """Take an expired run over for `owner` (a new attempt, same trigger); None when someone else did first.
    Commits."""
    now = utcnow()
    result = db.session.execute(
        sa.update(runs).where(_still_expired(run, lease_cutoff, stale_before))
        .values(status="claimed", attempts=runs.c.attempts + 1, claimed_at=now,
                started_at=None, finished_at=None, duration_seconds=None, error="",
                owner=owner, heartbeat_at=now))
    db.session.commit()
    if result.rowcount != 1:
        return None
    from outreach.jobs.context import as_utc

    return Claim(run_id=run.run_id, attempt=run.attempts + 1, owner=owner, job=run.job, slot=as_utc(run.slot))


def give_up(run: ExpiredRun, error: str, lease_cutoff: datetime, stale_before: datetime) -> bool:
    """Mark an expired run failed for good (no attempts left, or too old to redo). Commits."""
    result = db.session.execute(
        sa.update(runs).where(_still_expired(run, lease_cutoff, stale_before))
        .values(status="failed", finished_at=utcnow(), error=error[:10000]))
    db.session.commit()
    return result.rowcount == 1


def get_run(job: str, slot: datetime) -> Optional[JobRun]:
    return db.session.scalar(sa.select(JobRun).where(JobRun.job == job, JobRun.slot == normalise_slot(slot)))


def retryable_runs(since: datetime, max_attempts: int, stale_before: datetime,
                   lease_cutoff: Optional[datetime] = None) -> list[JobRun]:
    """Failed (or dead: lease expired) runs of recent slots that may still be retried."""
    return list(db.session.scalars(
        sa.select(JobRun).where(
            JobRun.claimed_at >= since, JobRun.attempts < max_attempts,
            sa.or_(JobRun.status == "failed", lease_expired(lease_cutoff or stale_before, stale_before)))
        .order_by(JobRun.slot)))
