"""Queries feeding region figures: a few GROUP BY queries per page, whatever the number of areas."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import KnownAway, Region
from outreach.regions.figures import AreaFigures

_GROUP_COLUMN = {
    "provinsi": Region.provinsi_kode,
    "kabupaten": Region.kabupaten_kode,
    "kecamatan": Region.kecamatan_kode,
    "desa": Region.kode,
}


def figures_for(regions: Iterable[Region]) -> dict[str, AreaFigures]:
    """AreaFigures for each region (any mix of levels), aggregated from its desa."""
    regions = list(regions)
    out = {r.kode: AreaFigures(kode=r.kode, nama=r.nama, level=r.level, kind=r.kind, parent_kode=r.parent_kode,
                               lat=r.lat, lng=r.lng) for r in regions}
    by_level = defaultdict(list)
    for r in regions:
        by_level[r.level].append(r.kode)
    for level, kodes in by_level.items():
        col = _GROUP_COLUMN[level]
        for chunk in _chunks(kodes, 900):
            totals = db.session.execute(
                sa.select(col, sa.func.sum(Region.wajib_ktp), sa.func.sum(Region.sudah_rekam),
                          sa.func.max(Region.target_as_of), sa.func.count(Region.wajib_ktp))
                .where(Region.level == "desa", col.in_(chunk)).group_by(col))
            for kode, wajib, sudah, as_of, n in totals:
                f = out[kode]
                if n:
                    f.wajib_ktp, f.sudah_rekam, f.target_as_of, f.desa_with_targets = int(wajib), int(sudah or 0), as_of, n
            away = db.session.execute(
                sa.select(col, KnownAway.reason, sa.func.sum(KnownAway.count))
                .join(Region, Region.kode == KnownAway.desa_kode)
                .where(col.in_(chunk)).group_by(col, KnownAway.reason))
            for kode, reason, count in away:
                out[kode].known_away_by_reason[reason] = int(count or 0)
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
