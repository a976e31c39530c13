"""Nightly snapshot: the coverage figures of every region for the slot's date (the trend's points).

Running a date again replaces that date's rows; it never adds a second set.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import sqlalchemy as sa

from outreach.extensions import db
from outreach.jobs.context import JobContext
from outreach.models import Region
from outreach.models.jobs import CoverageSnapshot


def snapshot_rows(figures: Iterable, day: date) -> list[dict]:
    """One row per area that has targets (plain: takes AreaFigures-like objects)."""
    rows = []
    for f in figures:
        if f.wajib_ktp is None:
            continue
        official = f.sudah_rekam or 0
        since = int(getattr(f, "recorded_since", 0) or 0)
        # The figures cap the estimate per desa, so an area's numbers are the sum of its desa's:
        # take them as computed rather than re-deriving them at area level.
        estimated = getattr(f, "sudah_rekam_estimated", None)
        if estimated is None:
            estimated = min(official + since, f.wajib_ktp)
        backlog = f.backlog if f.backlog is not None else max(f.wajib_ktp - estimated, 0)
        reachable = f.reachable_backlog if f.reachable_backlog is not None else max(backlog - f.known_away, 0)
        rows.append({"region_kode": f.kode, "date": day, "wajib_ktp": f.wajib_ktp,
                     "sudah_rekam_official": official, "official_as_of": f.target_as_of,
                     "recorded_since": since, "sudah_rekam_estimated": estimated, "backlog": backlog,
                     "known_away": f.known_away, "reachable_backlog": reachable})
    return rows


def take_snapshot(day: date) -> dict:
    """Replace `day`'s snapshot with the current figures of every region (the caller commits)."""
    from outreach.regions.queries import figures_for

    regions = db.session.scalars(sa.select(Region).options(sa.orm.load_only(
        Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng))).all()
    rows = snapshot_rows(figures_for(regions).values(), day)
    table = CoverageSnapshot.__table__
    replaced = db.session.execute(sa.delete(table).where(table.c.date == day)).rowcount
    for i in range(0, len(rows), 2000):
        db.session.execute(sa.insert(table), rows[i:i + 2000])
    by_level: dict[str, int] = {}
    levels = {r.kode: r.level for r in regions}
    for row in rows:
        by_level[levels[row["region_kode"]]] = by_level.get(levels[row["region_kode"]], 0) + 1
    return {"date": day.isoformat(), "rows": len(rows), "replaced": replaced, "by_level": by_level}


def run(ctx: JobContext) -> dict:
    return take_snapshot(ctx.day)
