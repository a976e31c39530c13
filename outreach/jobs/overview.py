"""What the admin jobs page shows: each job's schedule, next run and last runs (two queries)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.jobs.context import timezone_of
from outreach.jobs.registry import JOBS, next_run
from outreach.models.jobs import JobRun


@dataclass
class JobRow:
    name: str
    label: object
    schedule: str
    next_run: Optional[datetime]
    runs: list = field(default_factory=list)

    @property
    def last(self) -> Optional[JobRun]:
        return self.runs[0] if self.runs else None


def jobs_overview(config, now: datetime, runs_per_job: int = 5) -> list[JobRow]:
    tz = timezone_of(config)
    ranked = sa.select(JobRun.id, sa.func.row_number().over(
        partition_by=JobRun.job, order_by=(JobRun.claimed_at.desc(), JobRun.id.desc())).label("rank")).subquery()
    recent = db.session.scalars(sa.select(JobRun).join(ranked, ranked.c.id == JobRun.id)
                                .where(ranked.c.rank <= runs_per_job)
                                .order_by(JobRun.job, JobRun.claimed_at.desc(), JobRun.id.desc())).all()
    by_job = defaultdict(list)
    for run in recent:
        by_job[run.job].append(run)
    rows = []
    for name, spec in JOBS.items():
        nxt = next_run(spec, config, now)
        rows.append(JobRow(name=name, label=spec.label, schedule=spec.schedule(config),
                           next_run=nxt.astimezone(tz) if nxt else None, runs=by_job.get(name, [])))
    return rows
