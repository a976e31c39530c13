"""Queries feeding region figures: a few GROUP BY queries per level, whatever the number of areas.

Per desa, in SQL: official figures (Region.wajib_ktp / sudah_rekam / target_as_of, copied from the
newest SIAK import), recorded since = SUM(TurnoutLog.recorded_total) of the desa's logs dated after
its official as-of date (a log on or before that date is already inside the SIAK figure, so nothing
counts twice; a desa without official figures has no as-of date and keeps all its logs), known away,
the estimate min(official + since, wajib) and the reachable backlog max(wajib − estimate − away, 0).
Those per-desa values are then summed per area of the wanted level in the same statement.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import KnownAway, Region
from outreach.models.field import TurnoutLog
from outreach.models.regions import level_of
from outreach.regions.figures import AreaFigures

_GROUP_COLUMN = {
    "provinsi": Region.provinsi_kode,
    "kabupaten": Region.kabupaten_kode,
    "kecamatan": Region.kecamatan_kode,
    "desa": Region.kode,
}
_CHUNK = 900


def _new_figures(r) -> AreaFigures:
    return AreaFigures(kode=r.kode, nama=r.nama, level=r.level, kind=r.kind, parent_kode=r.parent_kode,
                       lat=r.lat, lng=r.lng)


def recorded_since_per_desa():
    """Correlated scalar: the desa row's field-recorded count after its official as-of date."""
    return (sa.select(sa.func.coalesce(sa.func.sum(TurnoutLog.recorded_total), 0))
            .where(TurnoutLog.desa_kode == Region.kode,
                   sa.or_(Region.target_as_of.is_(None), TurnoutLog.session_date > Region.target_as_of))
            .correlate(Region).scalar_subquery())


def known_away_per_desa():
    """Correlated scalar: the desa row's known-away residents, all reasons."""
    return (sa.select(sa.func.coalesce(sa.func.sum(KnownAway.count), 0))
            .where(KnownAway.desa_kode == Region.kode).correlate(Region).scalar_subquery())


def _desa_values(group_level: str, conditions) -> sa.Subquery:
    return (sa.select(_GROUP_COLUMN[group_level].label("grp"), Region.wajib_ktp.label("wajib"),
                      sa.func.coalesce(Region.sudah_rekam, 0).label("official"), Region.target_as_of.label("as_of"),
                      recorded_since_per_desa().label("since"), known_away_per_desa().label("away"))
            .where(Region.level == "desa", *conditions).subquery("d"))


def figure_totals(group_level: str, conditions) -> sa.Select:
    """SELECT grp, wajib, official, as_of, n_with_targets, since, estimated, reachable per area of
    `group_level`, over the desa matching `conditions` (SQL conditions on Region)."""
    d = _desa_values(group_level, conditions)
    reached = d.c.official + d.c.since
    estimated = sa.case((d.c.wajib.is_(None), None), (reached > d.c.wajib, d.c.wajib), else_=reached)
    left = d.c.wajib - estimated - d.c.away
    reachable = sa.case((d.c.wajib.is_(None), None), (left < 0, 0), else_=left)
    return (sa.select(d.c.grp, sa.func.sum(d.c.wajib), sa.func.sum(sa.case((d.c.wajib.is_(None), None),
                                                                          else_=d.c.official)),
                      sa.func.max(d.c.as_of), sa.func.count(d.c.wajib), sa.func.sum(d.c.since),
                      sa.func.sum(estimated), sa.func.sum(reachable))
            .group_by(d.c.grp))


def away_totals(group_level: str, conditions) -> sa.Select:
    col = _GROUP_COLUMN[group_level]
    return (sa.select(col, KnownAway.reason, sa.func.sum(KnownAway.count))
            .join(Region, Region.kode == KnownAway.desa_kode)
            .where(Region.level == "desa", *conditions).group_by(col, KnownAway.reason))


def fill_figures(out: dict[str, AreaFigures], group_level: str, conditions) -> None:
    """Fill the AreaFigures in `out` (keyed by code) with the totals of `group_level` over matching desa."""
    for kode, wajib, official, as_of, n, since, estimated, reachable in db.session.execute(
            figure_totals(group_level, conditions)):
        f = out.get(kode)
        if f is None:
            continue
        f.recorded_since = int(since or 0)
        if n:
            f.wajib_ktp, f.sudah_rekam, f.target_as_of, f.desa_with_targets = (
                int(wajib), int(official or 0), as_of, int(n))
            f.capped_estimated, f.capped_reachable = int(estimated or 0), int(reachable or 0)
    for kode, reason, count in db.session.execute(away_totals(group_level, conditions)):
        if kode in out:
            out[kode].known_away_by_reason[reason] = int(count or 0)


def figures_for(regions: Iterable[Region]) -> dict[str, AreaFigures]:
    """AreaFigures for each region (any mix of levels), aggregated from its desa."""
    regions = list(regions)
    out = {r.kode: _new_figures(r) for r in regions}
    by_level = defaultdict(list)
    for r in regions:
        by_level[r.level].append(r.kode)
    for level, kodes in by_level.items():
        col = _GROUP_COLUMN[level]
        for chunk in _chunks(kodes, _CHUNK):
            fill_figures(out, level, [col.in_(chunk)])
    return out


def within_condition(within: Optional[str]):
    """SQL condition on Region: the row lies inside area `within` (itself included); None: everything."""
    if within is None:
        return sa.true()
    level = level_of(within)
    if level is None:
        return sa.false()
    return _GROUP_COLUMN[level] == within


def level_figures(level: str, within: Optional[str] = None, conditions=()) -> dict[str, AreaFigures]:
    """AreaFigures of every region of `level` inside `within` (None: all), in three queries whatever their
    number; `conditions` narrow the regions listed (e.g. a name search)."""
    regions = db.session.execute(
        sa.select(Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng)
        .where(Region.level == level, within_condition(within), *conditions).order_by(Region.kode)).all()
    out = {r.kode: _new_figures(r) for r in regions}
    if not out:
        return out
    if conditions and len(out) <= _CHUNK:
        desa_conditions = [_GROUP_COLUMN[level].in_(list(out))]
    else:
        desa_conditions = [within_condition(within)]
    fill_figures(out, level, desa_conditions)
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
