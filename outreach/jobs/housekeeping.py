"""Housekeeping: API tokens expired or revoked long ago, notifications read long ago, finished job runs older
than JOB_RUN_KEEP_DAYS (two jobs run every 5 minutes: 210,000 rows a year), and the personal data of visit
requests closed more than REQUEST_RETENTION_DAYS ago (outreach.requests.privacy)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from outreach.extensions import db
from outreach.jobs.context import JobContext
from outreach.models import ApiToken
from outreach.models.jobs import JobRun, Notification


def run(ctx: JobContext) -> dict:
    token_cutoff = ctx.slot - timedelta(days=int(ctx.setting("HOUSEKEEPING_TOKEN_DAYS", 30)))
    read_cutoff = ctx.slot - timedelta(days=int(ctx.setting("NOTIFICATION_READ_KEEP_DAYS", 30)))
    tokens = ApiToken.__table__
    notes = Notification.__table__
    tokens_deleted = db.session.execute(sa.delete(tokens).where(sa.or_(
        sa.and_(tokens.c.expires_at.is_not(None), tokens.c.expires_at < token_cutoff),
        sa.and_(tokens.c.revoked_at.is_not(None), tokens.c.revoked_at < token_cutoff)))).rowcount
    notes_deleted = db.session.execute(sa.delete(notes).where(
        notes.c.read_at.is_not(None), notes.c.read_at < read_cutoff)).rowcount
    run_cutoff = ctx.slot - timedelta(days=int(ctx.setting("JOB_RUN_KEEP_DAYS", 30)))
    runs = JobRun.__table__
    runs_deleted = db.session.execute(sa.delete(runs).where(
        runs.c.status.in_(("done", "failed")), runs.c.slot < run_cutoff)).rowcount
    from outreach.requests.privacy import erase_closed

    retention_cutoff = ctx.slot - timedelta(days=int(ctx.setting("REQUEST_RETENTION_DAYS", 90)))
    erased = erase_closed(retention_cutoff, ctx.day)
    return {"tokens_deleted": tokens_deleted, "notifications_deleted": notes_deleted, "job_runs_deleted": runs_deleted,
            **erased}
