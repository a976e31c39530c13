"""The figures of an area and of its children (the dashboard's headline and drill-down), the area table
of every region of a level, and when the area's data last changed."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

import sqlalchemy as sa

from outreach import clock
from outreach.cache import SharedCache
from outreach.coverage.queries.areas import (Area, BadInput, RegionNotFound, area_bundle, area_condition,
                                             log_area_condition, own_figures, request_memo, resolve_area)
from outreach.coverage.queries.trend import series_stamp
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region
from outreach.models.field import TurnoutLog
from outreach.models.regions import level_of
from outreach.vocab import LEVELS
from outreach.permissions import in_scope, scope_of
from outreach.regions.figures import AreaFigures
from outreach.regions.queries import level_figures

# Sort keys of the area table (AreaFigures attributes); "-key" sorts descending.
SORT_KEYS = ("kode", "nama", "wajib_ktp", "sudah_rekam_official", "official_as_of", "recorded_since",
             "recorded_over_target", "sudah_rekam_estimated", "backlog", "known_away", "known_away_in_backlog",
             "menolak", "menolak_in_backlog", "reachable_backlog", "planned", "percent_recorded")


def _children_figures(area: Area) -> list[AreaFigures]:
    bundle = area_bundle(area)
    if area.kode is None:
        return list(bundle.level(bundle.levels[0]).values())
    if area.child_level is None:
        return []
    return list(bundle.level(area.child_level).values())


def coverage(user, region_kode: Optional[str] = None) -> dict:
    """The area's figures and its children's (one level down), live.

    Returns {"region": AreaFigures, "children": [AreaFigures] (by code), "data_as_of": aware UTC datetime
    of the computation, "official_as_of": newest SIAK as-of date, "official_dates": [(as-of date, desa)],
    "latest_log_at": newest turnout log change in the area (None without logs), "area": Area}.
    """
    area = resolve_area(user, region_kode)
    region = own_figures(area)
    children = _children_figures(area)
    latest_log = latest_log_at(area)
    return {"region": region, "children": children, "data_as_of": clock.utcnow(),
            "official_as_of": region.official_as_of, "latest_log_at": latest_log, "area": area,
            "official_dates": official_dates(area)}


def official_dates(area: Area) -> list[tuple[date, int]]:
    """[(SIAK as-of date, number of desa whose newest official figures are of that date)], oldest first."""
    memo = request_memo()
    key = ("official_dates", area.kode, area.synthetic)
    if memo is not None and key in memo:
        return memo[key]

    def compute():
        rows = db.session.execute(
            sa.select(Region.target_as_of, sa.func.count()).where(
                Region.level == "desa", Region.wajib_ktp.is_not(None), area_condition(area))
            .group_by(Region.target_as_of).order_by(Region.target_as_of)).all()
        return [(d, int(n)) for d, n in rows if d is not None]

    # The as-of dates change with a SIAK import or a region row: a province's or the country's are shared by
    # every worker.
    if area.big:
        newest_region = db.session.scalar(sa.select(sa.func.max(Region.updated_at)))
        out = SharedCache.get(f"official_dates:{area.kode or '*'}", compute,
                              stamp=f"{series_stamp()}|{newest_region}")
    else:
        out = compute()
    if memo is not None:
        memo[key] = out
    return out

def latest_log_at(area: Area) -> Optional[datetime]:
    """When a turnout log of the area last changed (None: no logs). For the whole province this reads the
    end of the updated_at index; below it, the area's logs by their (level code, date) index."""
    stmt = sa.select(sa.func.max(TurnoutLog.updated_at)).where(log_area_condition(area))
    value = db.session.scalar(stmt)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def _sort_figures(rows: list[AreaFigures], sort: Optional[str]) -> list[AreaFigures]:
    key = (sort or "kode").strip()
    desc = key.startswith("-")
    key = key.lstrip("-")
    if key not in SORT_KEYS:
        raise BadInput(_("Urutan '%(sort)s' tidak dikenal. Pilihan: %(keys)s.", sort=key[:40],
                         keys=", ".join(SORT_KEYS)))
    present = [f for f in rows if getattr(f, key) is not None]
    missing = [f for f in rows if getattr(f, key) is None]

    def value(f):
        v = getattr(f, key)
        return v.lower() if isinstance(v, str) else v

    present.sort(key=lambda f: (value(f), f.kode), reverse=desc)
    return present + sorted(missing, key=lambda f: f.kode)


def area_table(user, level: str, parent: Optional[str] = None, q: Optional[str] = None,
               sort: Optional[str] = None) -> list[AreaFigures]:
    """Every area of `level` in the user's scope (narrowed to `parent`, any ancestor code, and to a
    name/code search `q`), with all figures, sorted by `sort` (a SORT_KEYS name, '-' for descending;
    missing values last). Three queries whatever the number of areas."""
    if level not in LEVELS:
        raise BadInput(_("Tingkat '%(level)s' tidak dikenal. Pilihan: %(levels)s.", level=str(level)[:20],
                         levels=", ".join(LEVELS)))
    scope = scope_of(user)
    within = scope
    if parent:
        parent = parent.strip()
        if in_scope(user, parent):
            within = parent
        elif not (scope is not None and scope.startswith(parent + ".")):
            raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=parent[:20]))
        if level_of(parent) is None:
            raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=parent[:20]))
    if within == "__none__":
        return []
    conditions = []
    if q and q.strip():
        text = q.strip()[:100].lower()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(sa.or_(sa.func.lower(Region.nama).like(f"%{escaped}%", escape="\\"),
                                 Region.kode.like(f"{escaped}%", escape="\\")))
    if within is not None and level_of(within) and LEVELS.index(level_of(within)) > LEVELS.index(level):
        # The level asked for lies above the scope (a coordinator asking for kabupaten): an ancestor's
        # totals would reveal its other areas, as the regions API refuses them too.
        return []
    rows = level_figures(level, within, conditions)
    return _sort_figures(list(rows.values()), sort)
