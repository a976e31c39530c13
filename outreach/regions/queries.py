"""Queries feeding region figures (the ledger of outreach.regions.figures): one statement per
question, whatever the number of areas.

Per desa, in SQL: official figures (Region.wajib_ktp / sudah_rekam / target_as_of, copied from the
newest SIAK import), recorded since = SUM(TurnoutLog.recorded_total) of the desa's logs dated after
its official as-of date (a log on or before that date is already inside the SIAK figure, so nothing
counts twice; a desa without official figures has no as-of date and keeps all its logs, counted as
recorded without target), refusers since the same date less those followed up, known away (per
reason) and the planned share; then the ledger's rules per desa (the part of the logs above the target,
the estimate, the backlog, the known away and refusers inside the backlog, the reachable backlog). The
log, refuser, known-away and planned sums are kept per desa by database triggers in desa_tally
(outreach.models.regions.DesaTally, migration 0012), in the transaction of each write. These per-desa
values are read once (a MATERIALIZED common table expression) and summed per area for each level asked
for (GROUP BY, UNION ALL), so a province, its kabupaten and its kecamatan come out of a single statement
over the desa.

Big areas read kecamatan_totals instead (outreach.models.regions.KecamatanTotals, migration 0024): the
same terms already summed per kecamatan by outreach.regions.rollup. The finest rows are then the fresh
kecamatan rows inside the area plus, for the kecamatan whose row is stale (a write since its last refresh,
flagged by triggers in the write's own transaction), the sums of their desa as above: the result is the
same as summing every desa, and a new log counts at the very next call (COVERAGE_ROLLUP: on by default).

The sums are remembered per process until a turnout log, a known-away row, a session or a region row
changes (`cached`, `data_version`; setting COVERAGE_CACHE): a new log shows at the very next call.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional, Sequence

import sqlalchemy as sa
from flask import current_app

from outreach.cache import ProcessCache
from outreach.extensions import db
from outreach.models import DesaTally, KecamatanTotals, KnownAway, RefuserFollowup, Region
from outreach.vocab import AWAY_REASONS
from outreach.models.field import TurnoutLog
from outreach.models.planning import RecordingSession
from outreach.models.regions import level_of
from outreach.regions.figures import AreaFigures

_GROUP_COLUMN = {
    "provinsi": Region.provinsi_kode,
    "kabupaten": Region.kabupaten_kode,
    "kecamatan": Region.kecamatan_kode,
    "desa": Region.kode,
}
_ROLLUP_COLUMN = {
    "provinsi": KecamatanTotals.provinsi_kode,
    "kabupaten": KecamatanTotals.kabupaten_kode,
    "kecamatan": KecamatanTotals.kode,
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

    def on_region_bound(self):
        """on_region with the codes left to an expanding bind parameter ("desa_codes", see params): for a
        statement built once per shape and run with other codes."""
        if self.level is None:
            return sa.true()
        if not self.codes:
            return sa.false()
        return _GROUP_COLUMN[self.level].in_(sa.bindparam("desa_codes", expanding=True))

    def on_rollup(self, bound: bool = False):
        """The condition on kecamatan_totals rows (level None, provinsi, kabupaten or kecamatan only)."""
        if self.level is None:
            return sa.true()
        column = _ROLLUP_COLUMN[self.level]
        if not self.codes:
            return sa.false()
        return column.in_(sa.bindparam("desa_codes", expanding=True)) if bound else _in(column, self.codes)

    def params(self) -> dict:
        return {"desa_codes": list(self.codes)} if self.level is not None and self.codes else {}


def _in(column, codes):
    codes = list(codes)
    if not codes:
        return sa.false()
    return column == codes[0] if len(codes) == 1 else column.in_(codes)


def stale_kecamatan():
    """SELECT the codes of the kecamatan whose kecamatan_totals row is stale."""
    KT = KecamatanTotals
    return sa.select(KT.kode).where(KT.stale)


def desa_values(desa: DesaFilter, bound: bool = False, only=None) -> sa.Select:
    """The per-desa values (codes, wajib, official, as_of, since, menolak, away in all and per reason,
    planned) of the desa `desa` covers (and `only`, a further condition on Region, holds). The log,
    refuser, known-away and planned sums come from desa_tally (kept by triggers): one row per desa,
    whatever the number of logs and sessions."""
    T = DesaTally
    columns = [Region.kode.label("kode"), Region.provinsi_kode.label("provinsi"),
               Region.kabupaten_kode.label("kabupaten"), Region.kecamatan_kode.label("kecamatan"),
               Region.wajib_ktp.label("wajib"), sa.func.coalesce(Region.sudah_rekam, 0).label("official"),
               Region.target_as_of.label("as_of"), sa.func.coalesce(T.recorded_since, 0).label("since"),
               sa.func.coalesce(T.menolak, 0).label("menolak"), sa.func.coalesce(T.known_away, 0).label("away"),
               *[sa.func.coalesce(getattr(T, f"away_{reason}"), 0).label(f"away_{reason}")
                 for reason in AWAY_REASONS],
               sa.func.coalesce(T.planned, 0).label("planned")]
    return (sa.select(*columns).outerjoin(T, T.desa_kode == Region.kode)
            .where(Region.level == "desa", desa.on_region_bound() if bound else desa.on_region(),
                   *([only] if only is not None else [])))


def _level_label(level: Optional[str]):
    return sa.literal_column(f"'{level or ''}'")


# The code columns of the per-desa values, coarse to fine, and how deep each level sits.
_CODE_COLUMNS = ("provinsi", "kabupaten", "kecamatan", "kode")
_DEPTH = {None: -1, "provinsi": 0, "kabupaten": 1, "kecamatan": 2, "desa": 3}
# The summed terms of a totals row, in order (after lvl, grp): see outreach.regions.figures for each.
_SUMS = ("wajib", "official", "since", "since_free", "over", "away_in", "menolak_in", "menolak", "planned",
         *[f"away_{reason}" for reason in AWAY_REASONS])
TOTALS_COLUMNS = ("as_of", "as_of_first", "n", *_SUMS)  # the columns of a totals row, in order


def _least(a, b):
    return sa.case((a < b, a), else_=b)


def desa_sums(d) -> list:
    """The columns TOTALS_COLUMNS (labelled, in order) summing the desa rows of `d` (a subquery of
    desa_values' columns); the rules of the ledger (outreach.regions.figures) apply per desa, before any
    sum."""
    has = d.c.wajib.is_not(None)
    reached = d.c.official + d.c.since
    over = sa.case((reached > d.c.wajib, reached - d.c.wajib), else_=0)
    backlog = d.c.wajib - reached + over
    menolak = sa.case((d.c.menolak < 0, 0), else_=d.c.menolak)
    away_in = _least(d.c.away, backlog)
    menolak_in = _least(menolak, backlog - away_in)

    def when_target(value):
        return sa.case((has, value), else_=0)

    return [sa.func.max(d.c.as_of).label("as_of"), sa.func.min(d.c.as_of).label("as_of_first"),
            sa.func.count(d.c.wajib).label("n"),
            sa.func.sum(d.c.wajib).label("wajib"), sa.func.sum(when_target(d.c.official)).label("official"),
            sa.func.sum(when_target(d.c.since)).label("since"),
            sa.func.sum(sa.case((has, 0), else_=d.c.since)).label("since_free"),
            sa.func.sum(when_target(over)).label("over"), sa.func.sum(when_target(away_in)).label("away_in"),
            sa.func.sum(when_target(menolak_in)).label("menolak_in"), sa.func.sum(menolak).label("menolak"),
            sa.func.sum(d.c.planned).label("planned"),
            *[sa.func.sum(d.c[f"away_{reason}"]).label(f"away_{reason}") for reason in AWAY_REASONS]]


def _finest_totals(desa: DesaFilter, finest: Optional[str], day: Optional[date] = None,
                   bound: bool = False) -> sa.CTE:
    """The desa terms summed per area of the finest level asked for (with the codes of its ancestors), as a
    MATERIALIZED CTE: the coarser levels add up these few rows instead of every desa again. `day`: as of a
    past day (outreach.regions.history.desa_values_at) instead of now."""
    if day is None:
        d = desa_values(desa, bound).subquery("d")
    else:
        from outreach.regions.history import desa_values_at

        d = desa_values_at(desa.on_region(), day).subquery("d")
    keys = [d.c[column] for column in _CODE_COLUMNS[:_DEPTH[finest] + 1]]
    stmt = sa.select(*keys, *desa_sums(d))
    if keys:
        stmt = stmt.group_by(*keys)
    return stmt.cte("coverage_totals").prefix_with("MATERIALIZED")


def _rollup_totals(desa: DesaFilter, bound: bool = False) -> sa.CTE:
    """The kecamatan rows of _finest_totals(desa, "kecamatan") from kecamatan_totals: its fresh rows inside
    the area, and the desa of the stale ones (or of no kecamatan) summed as _finest_totals does."""
    KT = KecamatanTotals
    fresh = sa.select(KT.provinsi_kode.label("provinsi"), KT.kabupaten_kode.label("kabupaten"),
                      KT.kode.label("kecamatan"), *[KT.__table__.c[name] for name in TOTALS_COLUMNS]
                      ).where(~KT.stale, desa.on_rollup(bound))
    # Two arms, not one OR: each is planned on its own (an OR would scan every desa).
    d = sa.union_all(desa_values(desa, bound, only=Region.kecamatan_kode.in_(stale_kecamatan())),
                     desa_values(desa, bound, only=Region.kecamatan_kode.is_(None))).subquery("d")
    keys = [d.c.provinsi, d.c.kabupaten, d.c.kecamatan]
    stale = sa.select(*keys, *desa_sums(d)).group_by(*keys)
    return sa.union_all(fresh, stale).cte("coverage_totals").prefix_with("MATERIALIZED")


def rollup_applies(levels: Sequence[Optional[str]], desa: DesaFilter, day: Optional[date] = None) -> bool:
    """Whether compute_totals may read kecamatan_totals: figures of now, no level finer than kecamatan,
    an area no smaller than a kecamatan, and COVERAGE_ROLLUP not turned off."""
    return (day is None and all(_DEPTH[level] <= _DEPTH["kecamatan"] for level in levels)
            and desa.level in (None, "provinsi", "kabupaten", "kecamatan")
            and current_app.config.get("COVERAGE_ROLLUP", True) is not False)


def _totals(g: sa.CTE, level: Optional[str], finest: Optional[str]) -> sa.Select:
    """Rows (lvl, grp, as_of, as_of_first, n, *_SUMS) of `level`, from the finest level's totals `g`."""
    grp = g.c[_CODE_COLUMNS[_DEPTH[level]]] if level is not None else sa.literal_column("''")
    if level == finest:
        return sa.select(_level_label(level).label("lvl"), grp.label("grp"), g.c.as_of, g.c.as_of_first, g.c.n,
                         *[g.c[name] for name in _SUMS])
    stmt = sa.select(_level_label(level).label("lvl"), grp.label("grp"), sa.func.max(g.c.as_of),
                     sa.func.min(g.c.as_of_first), sa.func.sum(g.c.n), *[sa.func.sum(g.c[name]) for name in _SUMS])
    return stmt.group_by(grp) if level is not None else stmt


def change_stamp(model) -> list:
    """Scalar subqueries that change whenever a row of `model` is inserted, deleted or updated (its
    updated_at is set on every write): the newest updated_at (an index look-up) and the row count."""
    return [sa.select(sa.func.max(model.updated_at)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(model).scalar_subquery()]


def data_version(*models) -> tuple:
    """A cheap fingerprint (one statement) of everything the figures are computed from: turnout logs,
    known-away rows, refuser follow-ups, sessions (the planned share) and region rows (official figures
    are copied there), plus the `models` given."""
    models = [m for m in models if m is not RecordingSession]
    row = db.session.execute(sa.select(
        *change_stamp(TurnoutLog), *change_stamp(KnownAway),
        sa.select(sa.func.sum(KnownAway.count)).scalar_subquery(), *change_stamp(Region),
        *change_stamp(RecordingSession), sa.select(sa.func.max(RefuserFollowup.id)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(RefuserFollowup).scalar_subquery(),
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


_cache = ProcessCache(entries=256)
_statements = ProcessCache(entries=64)  # compute_totals' statements by shape (they hold no data)


def totals_by_level(levels: Sequence[Optional[str]], desa: DesaFilter, day: Optional[date] = None) -> dict[tuple, dict]:
    """{(level or "", area code): totals row} for every level in `levels` (None: all covered desa in one
    row, code ""), over the desa `desa` covers.

    Two statements (the sums, and known away by reason), remembered per process until data_version()
    changes: a new or corrected turnout log, a known-away change or an import shows at the next call."""
    return cached(("totals", tuple(levels), desa, day), lambda: compute_totals(levels, desa, day))


def cached(key: tuple, compute, also=()):
    """compute(), remembered per process (COVERAGE_CACHE) under `key` until data_version(*also) changes
    (`also`: more models the value is computed from). The value must not be changed by callers."""
    if not cache_enabled():
        return compute()
    return _cache.get(key, compute, fingerprint=lambda: data_version(*also))


def compute_totals(levels: Sequence[Optional[str]], desa: DesaFilter, day: Optional[date] = None,
                   rollup: Optional[bool] = None) -> dict[tuple, dict]:
    """totals_by_level without the cache: one statement. Each value: {"as_of", "as_of_first", "n", and
    every name of _SUMS} (away per reason as "away_<reason>"). `rollup`: False sums every desa even where
    kecamatan_totals could serve (rollup_applies); None or True: kecamatan_totals where it can."""
    finest = max(levels, key=lambda level: _DEPTH[level])
    rollup = rollup is not False and rollup_applies(levels, desa, day)

    def build(bound: bool) -> sa.Select:
        if rollup:
            g, g_finest = _rollup_totals(desa, bound), "kecamatan"
        else:
            g, g_finest = _finest_totals(desa, finest, day, bound), finest
        selects = [_totals(g, level, g_finest) for level in levels]
        return selects[0] if len(selects) == 1 else sa.union_all(*selects)

    if day is None:
        # Building this statement costs more than running it for one desa (the ledger asks for one desa's
        # account on every turnout log): its shape is built once per process, the codes bound at each call.
        shape = (tuple(levels), desa.level, bool(desa.codes), rollup)
        stmt, params = _statements.get(shape, lambda: build(True)), desa.params()
    else:
        stmt, params = build(False), {}
    out: dict[tuple, dict] = {}
    for row in db.session.execute(stmt, params):
        if row[1] is None and row[0] != "":
            continue
        totals = dict(zip(TOTALS_COLUMNS, row[2:]))
        totals["n"] = int(totals["n"] or 0)  # a sum over no desa at all: 0 desa with targets, not NULL
        out[(row[0], row[1] if row[1] is not None else "")] = totals
    return out


def apply_totals(f: AreaFigures, totals: Optional[dict]) -> AreaFigures:
    """Copy a totals row of totals_by_level into `f`."""
    if not totals:
        return f

    def n(name: str) -> int:
        return int(totals[name] or 0)

    f.recorded_without_target = n("since_free")
    f.menolak, f.planned = max(n("menolak"), 0), n("planned")
    if totals["n"]:
        f.wajib_ktp, f.sudah_rekam_official, f.desa_with_targets = n("wajib"), n("official"), n("n")
        f.official_as_of, f.official_as_of_first = totals["as_of"], totals["as_of_first"]
        f.recorded_since, f.recorded_over_target = n("since"), n("over")
        f.known_away_in_backlog, f.menolak_in_backlog = n("away_in"), n("menolak_in")
    f.known_away_by_reason = {reason: n(f"away_{reason}") for reason in AWAY_REASONS if totals[f"away_{reason}"]}
    return f


def fill_figures(out: dict[str, AreaFigures], group_level: Optional[str], desa: DesaFilter,
                 day: Optional[date] = None) -> None:
    """Fill the AreaFigures in `out` (keyed by code) with the totals of `group_level` (None: one sum, key "")
    over the desa `desa` covers (as of `day`, when given)."""
    for (_, kode), totals in totals_by_level([group_level], desa, day).items():
        if kode in out:
            apply_totals(out[kode], totals)


def figures_for(regions: Iterable[Region], day: Optional[date] = None) -> dict[str, AreaFigures]:
    """AreaFigures for each region (any mix of levels), aggregated from its desa (as of a past `day`:
    outreach.regions.history)."""
    regions = list(regions)
    out = {r.kode: new_figures(r) for r in regions}
    by_level = defaultdict(list)
    for r in regions:
        by_level[r.level].append(r.kode)
    for level, kodes in by_level.items():
        for chunk in _chunks(kodes, _CHUNK):
            fill_figures(out, level, DesaFilter(level, tuple(chunk)), day)
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
