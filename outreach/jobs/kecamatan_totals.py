"""Refresh the per-kecamatan sums the coverage figures of big areas read (outreach.regions.rollup).

Reads are right without it (the desa of a stale kecamatan are summed afresh); the refresh keeps the stale
part small so a province or the whole country costs ~7,000 rows instead of every desa."""
from __future__ import annotations

from outreach.extensions import db
from outreach.jobs.context import JobContext
from outreach.regions.rollup import ANALYZE_AFTER, analyze, refresh_kecamatan_totals, stale_count


def run(ctx: JobContext) -> dict:
    refreshed = refresh_kecamatan_totals(db.session)
    if refreshed > ANALYZE_AFTER:  # in the job's transaction; the runner commits
        analyze(db.session, commit=False)
    return {"refreshed": refreshed, "stale": stale_count()}
