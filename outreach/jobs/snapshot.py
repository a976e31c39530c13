"""Nightly snapshot: the ledger of every region for the slot's date (the trend's points).

Running a date again replaces that date's rows; it never adds a second set. The nightly run (and its late
or retried runs) takes the figures as they are when it runs. A past date asked for by hand
(`flask snapshot --date D`) is computed as of that date (outreach.regions.history: the official figures
then and the logs up to it), not copied from today's figures; a date in the future, or one before any
SIAK data, is refused.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.jobs.context import JobContext
from outreach.models import Region
from outreach.models.jobs import CoverageSnapshot

TERMS = ("wajib_ktp", "sudah_rekam_official", "recorded_since", "recorded_over_target", "sudah_rekam_estimated",
         "backlog", "known_away", "known_away_in_backlog", "menolak", "menolak_in_backlog", "reachable_backlog",
         "planned")


BACKDATED = "backdated"  # the run's trigger when `flask snapshot --date` asks for a past date


class SnapshotRefused(Exception):
    """The date cannot be snapshotted (in the future, or before any official data); message in Indonesian."""


def snapshot_rows(figures: Iterable, day: date) -> list[dict]:
    """One row per area that has targets (plain: takes AreaFigures-like objects), every term as computed."""
    rows = []
    for f in figures:
        if f.wajib_ktp is None:
            continue
        row = {"region_kode": f.kode, "date": day, "official_as_of": f.official_as_of}
        row.update({name: int(getattr(f, name) or 0) for name in TERMS})
        rows.append(row)
    return rows


def refusal(day: date, today: date) -> str | None:
    """Why `day` cannot be snapshotted (None: it can): a day to come, or one before any SIAK data."""
    from outreach.regions.history import first_official_date

    if day > today:
        return _("Tanggal %(day)s belum tiba: snapshot hanya untuk hari ini atau sebelumnya.", day=day.isoformat())
    first = first_official_date()
    if day < today and (first is None or day < first):
        return _("Tidak ada data SIAK pada atau sebelum %(day)s, jadi angka hari itu tidak dapat dihitung.",
                 day=day.isoformat())
    return None


def take_snapshot(day: date, today: date | None = None, *, as_of_then: bool = False) -> dict:
    """Replace `day`'s snapshot with the figures of every region (the caller commits): as of that day when
    it lies before today and `as_of_then`, else the figures now."""
    from outreach.regions.queries import figures_for

    today = today or clock.local_today()
    message = refusal(day, today) if as_of_then else None
    if message:
        raise SnapshotRefused(message)
    regions = db.session.scalars(sa.select(Region).options(sa.orm.load_only(
        Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng))).all()
    past = as_of_then and day < today
    rows = snapshot_rows(figures_for(regions, day=day if past else None).values(), day)
    table = CoverageSnapshot.__table__
    replaced = db.session.execute(sa.delete(table).where(table.c.date == day)).rowcount
    for i in range(0, len(rows), 2000):
        db.session.execute(sa.insert(table), rows[i:i + 2000])
    by_level: dict[str, int] = {}
    levels = {r.kode: r.level for r in regions}
    for row in rows:
        by_level[levels[row["region_kode"]]] = by_level.get(levels[row["region_kode"]], 0) + 1
    return {"date": day.isoformat(), "rows": len(rows), "replaced": replaced, "by_level": by_level,
            "as_of_then": past}


def run(ctx: JobContext) -> dict:
    # A past date asked for with `snapshot --date` is computed as of then; every other run takes the figures now.
    return take_snapshot(ctx.day, as_of_then=ctx.trigger == BACKDATED)
