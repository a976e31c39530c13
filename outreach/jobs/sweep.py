"""The sweep: runs whose process died (their lease expired) are taken over and redone once, or given up.

The scheduler calls it every JOB_SWEEP_SECONDS (and once at start). Each takeover is one conditional UPDATE
(outreach.jobs.claims.take_over), so when two schedulers sweep at the same moment only one redoes a run.
A run with no attempts left (JOB_MAX_ATTEMPTS), or claimed longer ago than JOB_REDO_WINDOW_HOURS (a
reminder for a day long past helps nobody), is marked failed instead.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Mapping, Optional

from outreach.extensions import db
from outreach.jobs import claims
from outreach.jobs.context import as_utc
from outreach.jobs.lease import cutoffs, new_owner
from outreach.jobs.registry import JOBS
from outreach.models.base import utcnow

log = logging.getLogger("outreach.jobs")


@dataclass
class SweepResult:
    taken: list = field(default_factory=list)     # [Claim]: runs this sweep now owns and must redo
    given_up: list = field(default_factory=list)  # [ExpiredRun]: marked failed for good


def give_up_reason(run: claims.ExpiredRun, config: Mapping, now) -> Optional[str]:
    """Why an expired run is not redone (the error it is marked failed with), or None to redo it."""
    max_attempts = int(config["JOB_MAX_ATTEMPTS"])
    if run.job not in JOBS:
        return f"lease expired (owner {run.owner}); job '{run.job}' is no longer known, not redone"
    if run.attempts >= max_attempts:
        return (f"lease expired (owner {run.owner} stopped renewing its heartbeat); "
                f"gave up after {run.attempts} of {max_attempts} attempts")
    if as_utc(run.claimed_at) < now - timedelta(hours=float(config["JOB_REDO_WINDOW_HOURS"])):
        return (f"lease expired (owner {run.owner} stopped renewing its heartbeat); "
                f"claimed more than {config['JOB_REDO_WINDOW_HOURS']} h ago, too old to redo")
    return None


def take_over_expired(config: Mapping, owner: Callable[[], str] = new_owner) -> SweepResult:
    """Take over (or give up) every run whose lease expired; each decision is its own committed UPDATE."""
    now = utcnow()
    limits = cutoffs(config, now)
    result = SweepResult()
    for run in claims.expired_runs(limits.lease, limits.stale):
        reason = give_up_reason(run, config, now)
        if reason is not None:
            if claims.give_up(run, reason, limits.lease, limits.stale):
                log.error("job %s for slot %s: %s", run.job, as_utc(run.slot).isoformat(), reason)
                result.given_up.append(run)
            continue
        claim = claims.take_over(run, owner(), limits.lease, limits.stale)
        if claim is not None:
            log.warning("job %s for slot %s: lease of %s expired; taken over (attempt %s)",
                        run.job, claim.slot.isoformat(), run.owner, claim.attempt)
            result.taken.append((claim, run.trigger))
    return result


def redo(claim: claims.Claim, trigger: str):
    """Redo a run this process took over (in an app context)."""
    from outreach.jobs.runner import run_claimed

    return run_claimed(claim, trigger)


def sweep(app, start: Optional[Callable] = None) -> SweepResult:
    """Take over the expired runs, then redo each: by `start(claim, trigger)` (the scheduler hands them to
    threads), else right here one after another."""
    with app.app_context():
        try:
            result = take_over_expired(app.config)
        finally:
            db.session.remove()
    for claim, trigger in result.taken:
        if start is not None:
            start(claim, trigger)
        else:
            with app.app_context():
                try:
                    redo(claim, trigger)
                finally:
                    db.session.remove()
    return result
