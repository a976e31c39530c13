"""What the admin jobs page shows: each job's schedule, next run and last runs (two queries), and the runs
that need an admin's eye: failed in the last day, or lost (lease expired, not taken over yet)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.jobs.claims import ACTIVE, lease_expired
from outreach.jobs.context import as_utc, timezone_of
from outreach.jobs.lease import Cutoffs, cutoffs
from outreach.jobs.registry import JOBS, next_run
from outreach.models.jobs import JobRun


@dataclass
class RunLine:
    """A run as the page shows it: its state (vocab.JOB_RUN_STATES) and whether it is retried no more."""
    run: JobRun
    state: str
    final: bool = False


@dataclass
class JobRow:
    name: str
    label: object
    schedule: str
    next_run: Optional[datetime]
    runs: list = field(default_factory=list)  # [RunLine], newest first

    @property
    def last(self) -> Optional[RunLine]:
        return self.runs[0] if self.runs else None


def run_state(run: JobRun, limits: Cutoffs) -> str:
    """A run's status, or "lost" when it is still claimed/running but its lease expired."""
    if run.status in ACTIVE:
        if run.heartbeat_at is not None:
            if as_utc(run.heartbeat_at) < limits.lease:
                return "lost"
        elif as_utc(run.claimed_at) < limits.stale:
            return "lost"
    return run.status


def line_of(run: JobRun, config: Mapping, limits: Cutoffs) -> RunLine:
    state = run_state(run, limits)
    final = state == "failed" and run.attempts >= int(config["JOB_MAX_ATTEMPTS"])
    return RunLine(run=run, state=state, final=final)


def failed_runs(since: datetime, until: datetime) -> list[JobRun]:
    """Runs that failed (and were not redone since) between the two instants, newest first."""
    return list(db.session.scalars(sa.select(JobRun).where(
        JobRun.status == "failed", JobRun.finished_at >= since, JobRun.finished_at < until)
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())))


def lost_runs(limits: Cutoffs) -> list[JobRun]:
    """Runs whose process died and that no sweep has taken over yet (is a scheduler running?)."""
    return list(db.session.scalars(sa.select(JobRun).where(lease_expired(limits.lease, limits.stale))
                                   .order_by(JobRun.claimed_at.desc(), JobRun.id.desc())))


@dataclass
class Problems:
    failed: list = field(default_factory=list)  # [RunLine]: failed in the last day
    lost: list = field(default_factory=list)    # [RunLine]: lease expired, not taken over yet

    def __bool__(self) -> bool:
        return bool(self.failed or self.lost)


def job_problems(config: Mapping, now: datetime) -> Problems:
    limits = cutoffs(config, now)
    return Problems(failed=[line_of(r, config, limits) for r in failed_runs(now - timedelta(days=1), now)],
                    lost=[line_of(r, config, limits) for r in lost_runs(limits)])


def jobs_overview(config, now: datetime, runs_per_job: int = 5) -> list[JobRow]:
    tz = timezone_of(config)
    limits = cutoffs(config, now)
    ranked = sa.select(JobRun.id, sa.func.row_number().over(
        partition_by=JobRun.job, order_by=(JobRun.claimed_at.desc(), JobRun.id.desc())).label("rank")).subquery()
    recent = db.session.scalars(sa.select(JobRun).join(ranked, ranked.c.id == JobRun.id)
                                .where(ranked.c.rank <= runs_per_job)
                                .order_by(JobRun.job, JobRun.claimed_at.desc(), JobRun.id.desc())).all()
    by_job = defaultdict(list)
    for run in recent:
        by_job[run.job].append(line_of(run, config, limits))
    rows = []
    for name, spec in JOBS.items():
        nxt = next_run(spec, config, now)
        rows.append(JobRow(name=name, label=spec.label, schedule=spec.schedule(config),
                           next_run=nxt.astimezone(tz) if nxt else None, runs=by_job.get(name, [])))
    return rows
