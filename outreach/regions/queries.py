"""Queries feeding region figures: one statement per question, whatever the number of areas.

Per desa, in SQL: official figures (Region.wajib_ktp / sudah_rekam / target_as_of, copied from the
newest SIAK import), recorded since = SUM(TurnoutLog.recorded_total) of the desa's logs dated after
its official as-of date (a log on or before that date is already inside the SIAK figure, so nothing
counts twice; a desa without official figures has no as-of date and keeps all its logs), known away
(per reason), the estimate min(official + since, wajib) and the reachable backlog
max(wajib − estimate − away, 0). The log and known-away sums are kept per desa by database triggers
in desa_tally (outreach.models.regions.DesaTally, migration 0009), in the transaction of each write.
These per-desa values are read once (a MATERIALIZED common table expression) and summed per area for
each level asked for (GROUP BY, UNION ALL), so a province, its kabupaten and its kecamatan come out of
a single statement over the desa.

The sums are remembered per process until a turnout log, a known-away row or a region row changes
(`cached`, `data_version`; setting COVERAGE_CACHE): a new log shows at the very next call.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional, Sequence

import sqlalchemy as sa
from flask import current_app

from outreach.extensions import db
from outreach.models import AWAY_REASONS, DesaTally, KnownAway, Region
from outreach.models.field import TurnoutLog
from outreach.models.regions import level_of
from outreach.regions.figures import AreaFigures

_GROUP_COLUMN = {
    "provinsi": Region.provinsi_kode,
    "kabupaten": Region.kabupaten_kode,
    "kecamatan": Region.kecamatan_kode,
    "desa": Region.kode,
}
EPOCH = date(1900, 1, 1)  # as-of date of a desa without official figures: every log counts
_CHUNK = 900


def new_figures(r) -> AreaFigures:
    """Empty AreaFigures for a region row (kode, nama, level, kind, parent_kode, lat, lng)."""
    return AreaFigures(kode=r.kode, nama=r.nama, level=r.level, kind=r.kind, parent_kode=r.parent_kode,
                       lat=r.lat, lng=r.lng)


@dataclass(frozen=True)
class DesaFilter:
    """Which desa a question covers: those inside the areas `codes` of `level` (level None: every desa).
    It turns into a condition on Region."""
    level: Optional[str] = None
    codes: tuple = ()

    @classmethod
    def within(cls, kode: Optional[str]) -> "DesaFilter":
        if kode is None:
            return cls()
        level = level_of(kode)
        return cls(level, (kode,)) if level else cls("desa", ())

    def on_region(self):
        if self.level is None:
            return sa.true()
        return _in(_GROUP_COLUMN[self.level], self.codes)


def _in(column, codes):
    codes = list(codes)
    if not codes:
        return sa.false()
    return column == codes[0] if len(codes) == 1 else column.in_(codes)


def desa_values(desa: DesaFilter) -> sa.Select:
    """The per-desa values (codes, wajib, official, as_of, since, away in all and per reason) of the desa
    `desa` covers. The log and known-away sums come from desa_tally (kept by triggers): one row per desa,
    whatever the number of logs."""
    T = DesaTally
    columns = [Region.kode.label("kode"), Region.provinsi_kode.label("provinsi"),
               Region.kabupaten_kode.label("kabupaten"), Region.kecamatan_kode.label("kecamatan"),
               Region.wajib_ktp.label("wajib"), sa.func.coalesce(Region.sudah_rekam, 0).label("official"),
               Region.target_as_of.label("as_of"), sa.func.coalesce(T.recorded_since, 0).label("since"),
               sa.func.coalesce(T.known_away, 0).label("away"),
               *[sa.func.coalesce(getattr(T, f"away_{reason}"), 0).label(f"away_{reason}")
                 for reason in AWAY_REASONS]]
    return (sa.select(*columns).outerjoin(T, T.desa_kode == Region.kode)
            .where(Region.level == "desa", desa.on_region()))


def _level_label(level: Optional[str]):
    return sa.literal_column(f"'{level or ''}'")


# The code columns of the per-desa values, coarse to fine, and how deep each level sits.
_CODE_COLUMNS = ("provinsi", "kabupaten", "kecamatan", "kode")
_DEPTH = {None: -1, "provinsi": 0, "kabupaten": 1, "kecamatan": 2, "desa": 3}
_SUMS = ("wajib", "official", "since", "estimated", "reachable", *[f"away_{reason}" for reason in AWAY_REASONS])


def _finest_totals(desa: DesaFilter, finest: Optional[str]) -> sa.CTE:
    """The desa values summed per area of the finest level asked for (with the codes of its ancestors), as
    a MATERIALIZED CTE: the coarser levels add up these few rows instead of every desa again. The caps
    (estimate ≤ wajib, reachable ≥ 0) apply per desa, before any sum."""
    d = desa_values(desa).subquery("d")
    reached = d.c.official + d.c.since
    estimated = sa.case((d.c.wajib.is_(None), None), (reached > d.c.wajib, d.c.wajib), else_=reached)
    left = d.c.wajib - estimated - d.c.away
    reachable = sa.case((d.c.wajib.is_(None), None), (left < 0, 0), else_=left)
    keys = [d.c[column] for column in _CODE_COLUMNS[:_DEPTH[finest] + 1]]
    stmt = sa.select(
        *keys, sa.func.sum(d.c.wajib).label("wajib"),
        sa.func.sum(sa.case((d.c.wajib.is_(None), None), else_=d.c.official)).label("official"),
        sa.func.max(d.c.as_of).label("as_of"), sa.func.count(d.c.wajib).label("n"),
        sa.func.sum(d.c.since).label("since"), sa.func.sum(estimated).label("estimated"),
        sa.func.sum(reachable).label("reachable"),
        *[sa.func.sum(d.c[f"away_{reason}"]).label(f"away_{reason}") for reason in AWAY_REASONS])
    if keys:
        stmt = stmt.group_by(*keys)
    return stmt.cte("coverage_totals").prefix_with("MATERIALIZED")


def _totals(g: sa.CTE, level: Optional[str], finest: Optional[str]) -> sa.Select:
    """Rows (lvl, grp, wajib, official, as_of, n, since, estimated, reachable, away_<reason>...) of `level`,
    from the finest level's totals `g`."""
    grp = g.c[_CODE_COLUMNS[_DEPTH[level]]] if level is not None else sa.literal_column("''")
    if level == finest:
        return sa.select(_level_label(level).label("lvl"), grp.label("grp"), g.c.wajib, g.c.official, g.c.as_of,
                         g.c.n, g.c.since, g.c.estimated, g.c.reachable,
                         *[g.c[f"away_{reason}"] for reason in AWAY_REASONS])
    sums = {name: sa.func.sum(g.c[name]) for name in _SUMS}
    stmt = sa.select(_level_label(level).label("lvl"), grp.label("grp"), sums["wajib"], sums["official"],
                     sa.func.max(g.c.as_of), sa.func.sum(g.c.n), sums["since"], sums["estimated"],
                     sums["reachable"], *[sums[f"away_{reason}"] for reason in AWAY_REASONS])
    return stmt.group_by(grp) if level is not None else stmt


def change_stamp(model) -> list:
    """Scalar subqueries that change whenever a row of `model` is inserted, deleted or updated (its
    updated_at is set on every write): the newest updated_at (an index look-up) and the row count."""
    return [sa.select(sa.func.max(model.updated_at)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(model).scalar_subquery()]


def data_version(*models) -> tuple:
    """A cheap fingerprint (one statement) of everything the figures are computed from: turnout logs,
    known-away rows and region rows (official figures are copied there), plus the `models` given."""
    row = db.session.execute(sa.select(
        *change_stamp(TurnoutLog), *change_stamp(KnownAway),
        sa.select(sa.func.sum(KnownAway.count)).scalar_subquery(), *change_stamp(Region),
        *[stamp for model in models for stamp in change_stamp(model)])).one()
    return tuple(str(v) for v in row)


def cache_enabled() -> bool:
    """Setting COVERAGE_CACHE: True / False; unset (None): on for SQLite, off for PostgreSQL, and off in tests
    (TESTING), where statement counts should not depend on what an earlier request left behind (tests of
    the cache turn it on). On PostgreSQL the fingerprint (row counts of logs, sessions and sites) costs
    more than computing the figures from the per-desa tally: at province scale the dashboard took 109 ms
    with the cache, 98 ms without (bench/coverage_bench.py)."""
    setting = current_app.config.get("COVERAGE_CACHE")
    if setting is None:
        return not current_app.testing and db.engine.dialect.name == "sqlite"
    return bool(setting)


_cache: "OrderedDict[tuple, tuple]" = OrderedDict()
_cache_lock = threading.Lock()
CACHE_ENTRIES = 256


def totals_by_level(levels: Sequence[Optional[str]], desa: DesaFilter) -> dict[tuple, tuple]:
    """{(level or "", area code): totals row} for every level in `levels` (None: all covered desa in one
    row, code ""), over the desa `desa` covers.

    Two statements (the sums, and known away by reason), remembered per process until data_version()
    changes: a new or corrected turnout log, a known-away change or an import shows at the next call."""
    return cached(("totals", tuple(levels), desa), lambda: compute_totals(levels, desa))


def cached(key: tuple, compute, also=()):
    """compute(), remembered per process (COVERAGE_CACHE) under `key` until data_version(*also) changes
    (`also`: more models the value is computed from). The value must not be changed by callers."""
    if not cache_enabled():
        return compute()
    key = (db.engine.url.render_as_string(hide_password=True),) + key
    version = data_version(*also)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            _cache.move_to_end(key)
            return hit[1]
    out = compute()
    with _cache_lock:
        _cache[key] = (version, out)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return out


def compute_totals(levels: Sequence[Optional[str]], desa: DesaFilter) -> dict[tuple, tuple]:
    """totals_by_level without the cache: one statement, known away by reason included."""
    finest = max(levels, key=lambda level: _DEPTH[level])
    g = _finest_totals(desa, finest)
    selects = [_totals(g, level, finest) for level in levels]
    stmt = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    out: dict[tuple, tuple] = {}
    n_reasons = len(AWAY_REASONS)
    for row in db.session.execute(stmt):
        if row[1] is None and row[0] != "":
            continue
        away = {reason: int(n) for reason, n in zip(AWAY_REASONS, row[-n_reasons:]) if n}
        out[(row[0], row[1] if row[1] is not None else "")] = (*row[2:-n_reasons], away)
    return out


def apply_totals(f: AreaFigures, totals: Optional[tuple]) -> AreaFigures:
    """Copy a totals row of totals_by_level into `f`."""
    if not totals:
        return f
    wajib, official, as_of, n, since, estimated, reachable, away = totals
    f.recorded_since = int(since or 0)
    if n:
        f.wajib_ktp, f.sudah_rekam, f.target_as_of, f.desa_with_targets = int(wajib), int(official or 0), as_of, int(n)
        f.capped_estimated, f.capped_reachable = int(estimated or 0), int(reachable or 0)
    f.known_away_by_reason = {reason: away[reason] for reason in AWAY_REASONS if reason in away}
    return f


def fill_figures(out: dict[str, AreaFigures], group_level: Optional[str], desa: DesaFilter) -> None:
    """Fill the AreaFigures in `out` (keyed by code) with the totals of `group_level` (None: one sum, key "")
    over the desa `desa` covers."""
    for (_, kode), totals in totals_by_level([group_level], desa).items():
        if kode in out:
            apply_totals(out[kode], totals)


def figures_for(regions: Iterable[Region]) -> dict[str, AreaFigures]:
    """AreaFigures for each region (any mix of levels), aggregated from its desa."""
    regions = list(regions)
    out = {r.kode: new_figures(r) for r in regions}
    by_level = defaultdict(list)
    for r in regions:
        by_level[r.level].append(r.kode)
    for level, kodes in by_level.items():
        for chunk in _chunks(kodes, _CHUNK):
            fill_figures(out, level, DesaFilter(level, tuple(chunk)))
    return out


def within_condition(within: Optional[str]):
    """SQL condition on Region: the row lies inside area `within` (itself included); None: everything."""
    if within is None:
        return sa.true()
    level = level_of(within)
    if level is None:
        return sa.false()
    return _GROUP_COLUMN[level] == within


def region_rows(levels: Sequence[str], within: Optional[str], conditions=()):
    return db.session.execute(
        sa.select(Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng)
        .where(Region.level.in_(list(levels)), within_condition(within), *conditions).order_by(Region.kode)).all()


def level_figures(level: str, within: Optional[str] = None, conditions=()) -> dict[str, AreaFigures]:
    """AreaFigures of every region of `level` inside `within` (None: all), in two queries whatever their
    number; `conditions` narrow the regions listed (e.g. a name search)."""
    out = {r.kode: new_figures(r) for r in region_rows([level], within, conditions)}
    if not out:
        return out
    if conditions and len(out) <= _CHUNK:
        desa = DesaFilter(level, tuple(out))
    else:
        desa = DesaFilter.within(within)
    fill_figures(out, level, desa)
    return out


def levels_figures(levels: Sequence[str], within: Optional[str] = None) -> dict[str, dict[str, AreaFigures]]:
    """{level: {kode: AreaFigures}} for every region of each of `levels` inside `within` (None: all):
    two queries in all (the region rows, and one pass over the desa summed per level)."""
    out: dict[str, dict[str, AreaFigures]] = {level: {} for level in levels}
    for r in region_rows(levels, within):
        out[r.level][r.kode] = new_figures(r)
    totals = totals_by_level(list(levels), DesaFilter.within(within))
    for level, figures in out.items():
        for kode, f in figures.items():
            apply_totals(f, totals.get((level, kode)))
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
