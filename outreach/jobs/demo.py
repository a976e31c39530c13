"""Demo extension: coverage snapshots at the demo's official as-of dates, so the trend has history.

Real deployments get one snapshot a night from the `snapshot` job; the demo has no nights behind it,
so it rebuilds the figures of each past SIAK export (TargetCount history) instead.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import KnownAway, Region, TargetCount
from outreach.models.jobs import CoverageSnapshot
from outreach.models.regions import ancestors_of


def seed(demo) -> None:
    """Replace the demo area's snapshots on each historical as-of date (idempotent)."""
    kab = demo.kabupaten.kode
    desa_codes = set(demo.desa_codes)
    history = db.session.execute(
        sa.select(TargetCount.desa_kode, TargetCount.as_of, TargetCount.wajib_ktp, TargetCount.sudah_rekam)
        .where(TargetCount.desa_kode.in_(desa_codes))).all()
    away = dict(db.session.execute(
        sa.select(KnownAway.desa_kode, sa.func.sum(KnownAway.count))
        .where(KnownAway.desa_kode.in_(desa_codes)).group_by(KnownAway.desa_kode)).all())
    dates = sorted({row.as_of for row in history})
    areas = [kab] + list(demo.kecamatan_codes) + list(desa_codes)
    if db.session.get(Region, demo.provinsi.kode) is not None:
        areas.append(demo.provinsi.kode)
    rows = []
    for day in dates[:-1]:  # the newest export is today's live figure
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # wajib, sudah, backlog, reachable
        for r in history:
            if r.as_of != day:
                continue
            backlog = max(r.wajib_ktp - r.sudah_rekam, 0)
            reachable = max(backlog - int(away.get(r.desa_kode, 0) or 0), 0)
            anc = ancestors_of(r.desa_kode)
            for key in (r.desa_kode, anc["kecamatan_kode"], anc["kabupaten_kode"], anc["provinsi_kode"]):
                t = totals[key]
                t[0] += r.wajib_ktp
                t[1] += r.sudah_rekam
                t[2] += backlog
                t[3] += reachable
        for kode in areas:
            if kode not in totals:
                continue
            wajib, sudah, backlog, reachable = totals[kode]
            rows.append({"region_kode": kode, "date": day, "wajib_ktp": wajib, "sudah_rekam_official": sudah,
                         "official_as_of": day, "recorded_since": 0, "sudah_rekam_estimated": sudah,
                         "backlog": backlog, "known_away": backlog - reachable, "reachable_backlog": reachable})
    table = CoverageSnapshot.__table__
    if dates[:-1]:
        db.session.execute(sa.delete(table).where(table.c.region_kode.in_(areas), table.c.date.in_(dates[:-1])))
    if rows:
        db.session.execute(sa.insert(table), rows)
