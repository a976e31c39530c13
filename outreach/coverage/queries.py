"""Coverage and progress, database side: figures, area table, trend, teams, pemilih pemula,
forecast, slowest areas, coming sessions and overdue logs, each scoped to the user.

Every figure is summed by SQL (GROUP BY, correlated per-desa sums); Python only shapes the few rows
that come back. The figures are live: a turnout log counts the moment it is saved. One pass over an
area's desa gives the area, its children and its kecamatan (`area_bundle`); within a GET request the
panels of a page share it (memo on `g`), and across requests outreach.regions.queries remembers the
sums until a log, known-away or region row changes (setting COVERAGE_CACHE).

Public functions (the pages and the API call these; names are stable):

    resolve_area(user, region_kode=None)                             -> Area (RegionNotFound)
    coverage(user, region_kode=None)                  -> {"region", "children", "data_as_of", ...}
    area_table(user, level, parent=None, q=None, sort=None)          -> list[AreaFigures]
    trend_points(user, region_kode=None, date_from=None, date_to=None) -> list[dict]
    team_figures(user, date_from=None, date_to=None, region_kode=None) -> list[TeamFigures]
    pemilih_pemula(user, region_kode=None, cutoff=None)              -> {"cutoff", "total", "kecamatan", "schools"}
    forecast_for(user, region_kode=None, weeks=None, deadline=None)  -> {"items": [AreaForecast], ...}
    slowest_areas(user, region_kode=None, limit=10)                  -> list[AreaForecast]
    upcoming_sessions(user, region_kode=None, days=14, limit=20)     -> list[dict]
    overdue_logs(user, region_kode=None, limit=50)                   -> list[dict]
    count_overdue_logs(user, region_kode=None)                       -> int
    latest_log_at(area)                                              -> datetime | None

Bad input raises `CoverageError` (`.status` 400 or 404, `.message` in Bahasa Indonesia):
`RegionNotFound` for an unknown code or one outside the user's scope, `BadInput` otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request

from outreach.coverage import forecast as fc
from outreach import clock
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region, Site, Team
from outreach.models.field import TurnoutLog
from outreach.models.jobs import CoverageSnapshot
from outreach.models.planning import RecordingSession
from outreach.models.regions import LEVELS, level_of
from outreach.regions.figures import AreaFigures
from outreach.regions import queries as rq
from outreach.regions.queries import level_figures, within_condition
from outreach.permissions import in_scope, scope_of

CHILD_LEVEL = {"provinsi": "kabupaten", "kabupaten": "kecamatan", "kecamatan": "desa", "desa": None}
# Statuses of a session that is still to happen (or still waiting for its log).
OPEN_STATUSES = ("rencana", "terkonfirmasi", "ditunda")
DONE_STATUS = "selesai"
CANCELLED_STATUS = "dibatalkan"
# Sort keys of the area table (AreaFigures attributes); "-key" sorts descending.
SORT_KEYS = ("kode", "nama", "wajib_ktp", "sudah_rekam_official", "official_as_of", "recorded_since",
             "recorded_over_target", "sudah_rekam_estimated", "backlog", "known_away", "known_away_in_backlog",
             "menolak", "menolak_in_backlog", "reachable_backlog", "planned", "percent_recorded")
TREND_MAX_DAYS = 3660


# ---------------------------------------------------------------- errors

class CoverageError(Exception):
    """Bad input for a coverage question; `status` is the HTTP status an API answers with."""
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RegionNotFound(CoverageError):
    status = 404


class BadInput(CoverageError):
    status = 400


# ---------------------------------------------------------------- settings and clock

def _setting(name: str, default):
    value = current_app.config.get(name, default)
    return default if value is None or value == "" else value


local_tz, local_today = clock.local_tz, clock.local_today


def _as_date(value, name: str) -> Optional[date]:
    if value is None or isinstance(value, date):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(_("%(name)s: '%(raw)s' bukan tanggal; tulis YYYY-MM-DD, mis. 2026-09-15.",
                         name=name, raw=raw[:20]))


def forecast_weeks() -> int:
    return int(_setting("FORECAST_WEEKS", 8))


def coverage_deadline() -> Optional[date]:
    raw = _setting("COVERAGE_DEADLINE", None)
    return _as_date(raw, "COVERAGE_DEADLINE") if raw else None


def pemilih_pemula_cutoff() -> Optional[date]:
    raw = _setting("PEMILIH_PEMULA_CUTOFF", None)
    return _as_date(raw, "PEMILIH_PEMULA_CUTOFF") if raw else None


# ---------------------------------------------------------------- areas and scope

@dataclass(frozen=True)
class Area:
    """The area a question is about. `kode` None: every region (several provinces, or none at all).
    `synthetic`: no Region row exists for it (e.g. the province row is missing): its figures are
    summed over its desa all the same."""
    kode: Optional[str]
    nama: str
    level: str
    kind: str
    parent_kode: Optional[str] = None
    lat: Optional[float] = None
    lng: Optional[float] = None
    synthetic: bool = False

    @property
    def child_level(self) -> Optional[str]:
        return CHILD_LEVEL.get(self.level)


def _area_from_row(row) -> Area:
    return Area(kode=row.kode, nama=row.nama, level=row.level, kind=row.kind, parent_kode=row.parent_kode,
                lat=row.lat, lng=row.lng)


def _region_row(kode: str):
    return db.session.execute(sa.select(Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode,
                                        Region.lat, Region.lng).where(Region.kode == kode)).first()


def _synthetic_province(kode: str) -> Optional[Area]:
    """The province `kode` built from its kabupaten when its own row is missing (None: no such province)."""
    exists = db.session.scalar(sa.select(Region.kode).where(Region.provinsi_kode == kode).limit(1))
    if exists is None:
        return None
    return Area(kode=kode, nama=_("Provinsi %(kode)s", kode=kode), level="provinsi", kind="provinsi",
                synthetic=True)


def _everything() -> Area:
    """An unscoped admin's default area: the one province (row or synthetic), else all regions."""
    provinces = db.session.scalars(sa.select(Region.provinsi_kode).distinct().limit(2)).all()
    if len(provinces) == 1:
        row = _region_row(provinces[0])
        return _area_from_row(row) if row is not None else _synthetic_province(provinces[0])
    return Area(kode=None, nama=_("Semua wilayah"), level="provinsi", kind="provinsi", synthetic=True)


def resolve_area(user, region_kode: Optional[str] = None) -> Area:
    """The area `region_kode` (default: the user's scope); RegionNotFound when unknown or out of scope."""
    memo = _memo()
    key = ("area", getattr(user, "id", None), scope_of(user), (region_kode or "").strip())
    if memo is not None and key in memo:
        return memo[key]
    area = _resolve_area(user, region_kode)
    if memo is not None:
        memo[key] = area
    return area


def _resolve_area(user, region_kode: Optional[str]) -> Area:
    raw = (region_kode or "").strip()
    if not raw:
        scope = scope_of(user)
        if scope is None:
            return _everything()
        raw = scope
    if len(raw) > 20 or level_of(raw) is None or not in_scope(user, raw):
        raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=raw[:20]))
    row = _region_row(raw)
    if row is not None:
        return _area_from_row(row)
    if level_of(raw) == "provinsi" and scope_of(user) is None:
        area = _synthetic_province(raw)
        if area is not None:
            return area
    raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=raw[:20]))


def _area_condition(area: Area, model=Region):
    """SQL condition: rows of `model` (provinsi/kabupaten/kecamatan/desa_kode or Region) inside `area`."""
    if area.kode is None:
        return sa.true()
    if model is Region:
        return within_condition(area.kode)
    column = {"provinsi": "provinsi_kode", "kabupaten": "kabupaten_kode", "kecamatan": "kecamatan_kode",
              "desa": "desa_kode"}[area.level]
    return getattr(model, column) == area.kode


def _top_level() -> str:
    """The level listed under "every region": provinsi rows when there are any, else kabupaten."""
    has_province = db.session.scalar(sa.select(Region.kode).where(Region.level == "provinsi").limit(1))
    return "provinsi" if has_province else "kabupaten"


def _bundle_levels(area: Area) -> list[str]:
    """The levels one pass computes for `area`: its children and the kecamatan (forecast, slowest areas)."""
    if area.kode is None:
        levels = [_top_level(), "kecamatan"]
    else:
        levels = [area.level]
        if area.child_level:
            levels.append(area.child_level)
        if LEVELS.index(area.level) < LEVELS.index("kecamatan"):
            levels.append("kecamatan")
    return list(dict.fromkeys(levels))


def _memo() -> Optional[dict]:
    """Per-request memo of the area figures: one pass over the desa serves every panel of a page.
    Only for GET/HEAD requests (they change nothing) and forgotten on any flush."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    if "coverage_memo" not in g:
        g.coverage_memo = {}
    return g.coverage_memo


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _forget_memo(session, flush_context):  # noqa: ARG001
    if has_app_context():
        g.pop("coverage_memo", None)


class AreaBundle:
    """The figures one pass over an area's desa gives: the area itself (`own`) and every region of the
    bundle's levels inside it (`level(name)`, built on first use)."""

    def __init__(self, area: Area, levels: list[str], rows: list, totals: dict):
        self.area, self.levels, self._rows, self._totals = area, levels, rows, totals
        self._built: dict[str, dict[str, AreaFigures]] = {}
        own = None
        if area.kode is not None and not area.synthetic:
            row = next((r for r in rows if r.kode == area.kode), None)
            if row is not None:
                own = rq.apply_totals(rq.new_figures(row), totals.get((area.level, area.kode)))
        if own is None:
            own = AreaFigures(kode=area.kode or "", nama=area.nama, level=area.level, kind=area.kind,
                              parent_kode=area.parent_kode, lat=area.lat, lng=area.lng)
            rq.apply_totals(own, totals.get((area.level, area.kode) if area.kode is not None else ("", "")))
        self.own = own

    def __contains__(self, level: str) -> bool:
        return level in self.levels

    def level(self, level: str) -> dict[str, AreaFigures]:
        """{kode: AreaFigures} of the bundle's regions of `level`, by code."""
        if level not in self._built:
            self._built[level] = {
                r.kode: (self.own if r.kode == self.own.kode and r.level == self.own.level else
                         rq.apply_totals(rq.new_figures(r), self._totals.get((level, r.kode))))
                for r in self._rows if r.level == level}
        return self._built[level]


def area_bundle(area: Area) -> AreaBundle:
    """One pass over the area's desa (two queries, plus the region rows) giving the area's figures, its
    children's and those of the kecamatan inside it; memoised per request."""
    memo = _memo()
    key = ("bundle", area.kode, area.synthetic)
    if memo is not None and key in memo:
        return memo[key]
    levels = _bundle_levels(area)
    row_levels = [lv for lv in levels if not (area.synthetic and lv == area.level)]
    group_levels = ([None] if area.kode is None else []) + levels

    def compute():
        return (tuple(rq.region_rows(row_levels, area.kode)),
                rq.compute_totals(group_levels, rq.DesaFilter.within(area.kode)))

    # One fingerprint check covers both the region rows and the sums (see outreach.regions.queries.cached).
    rows, totals = rq.cached(("bundle", area.kode, tuple(row_levels), tuple(group_levels)), compute)
    bundle = AreaBundle(area, levels, rows, totals)
    if memo is not None:
        memo[key] = bundle
    return bundle


def _area_figures(area: Area) -> AreaFigures:
    """The figures of the area itself."""
    return area_bundle(area).own


def _children_figures(area: Area) -> list[AreaFigures]:
    bundle = area_bundle(area)
    if area.kode is None:
        return list(bundle.level(bundle.levels[0]).values())
    if area.child_level is None:
        return []
    return list(bundle.level(area.child_level).values())


# ---------------------------------------------------------------- figures

def coverage(user, region_kode: Optional[str] = None) -> dict:
    """The area's figures and its children's (one level down), live.

    Returns {"region": AreaFigures, "children": [AreaFigures] (by code), "data_as_of": aware UTC datetime
    of the computation, "official_as_of": newest SIAK as-of date, "official_dates": [(as-of date, desa)],
    "latest_log_at": newest turnout log change in the area (None without logs), "area": Area}.
    """
    area = resolve_area(user, region_kode)
    region = _area_figures(area)
    children = _children_figures(area)
    latest_log = latest_log_at(area)
    return {"region": region, "children": children, "data_as_of": clock.utcnow(),
            "official_as_of": region.official_as_of, "latest_log_at": latest_log, "area": area,
            "official_dates": official_dates(area)}


def official_dates(area: Area) -> list[tuple[date, int]]:
    """[(SIAK as-of date, number of desa whose newest official figures are of that date)], oldest first."""
    memo = _memo()
    key = ("official_dates", area.kode, area.synthetic)
    if memo is not None and key in memo:
        return memo[key]
    rows = db.session.execute(
        sa.select(Region.target_as_of, sa.func.count()).where(
            Region.level == "desa", Region.wajib_ktp.is_not(None), _area_condition(area))
        .group_by(Region.target_as_of).order_by(Region.target_as_of)).all()
    out = [(d, int(n)) for d, n in rows if d is not None]
    if memo is not None:
        memo[key] = out
    return out


def _covers_every_log(area: Area) -> bool:
    """True when no log or session can lie outside the area (everything, or the only province)."""
    if area.kode is None:
        return True
    if area.level != "provinsi":
        return False
    memo = _memo()
    if memo is not None and "one_province" in memo:
        return memo["one_province"]
    one = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(Region.provinsi_kode).distinct().limit(2).subquery())) == 1
    if memo is not None:
        memo["one_province"] = one
    return one


def _log_area_condition(area: Area):
    """SQL: turnout logs (or sessions) inside the area; none at all when the area holds every log, so the
    database may use its date or time indexes instead of a condition that filters nothing out."""
    return sa.true() if _covers_every_log(area) else _area_condition(area, TurnoutLog)


def _session_area_condition(area: Area):
    return sa.true() if _covers_every_log(area) else _area_condition(area, RecordingSession)


def latest_log_at(area: Area) -> Optional[datetime]:
    """When a turnout log of the area last changed (None: no logs). For the whole province this reads the
    end of the updated_at index; below it, the area's logs by their (level code, date) index."""
    stmt = sa.select(sa.func.max(TurnoutLog.updated_at)).where(_log_area_condition(area))
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


# ---------------------------------------------------------------- trend

# Where a trend point comes from, in the order one of the same date wins.
SOURCE_SIAK, SOURCE_SNAPSHOT, SOURCE_LIVE = "siak", "snapshot", "live"
TREND_TERMS = ("wajib_ktp", "sudah_rekam_official", "recorded_since", "recorded_over_target",
               "sudah_rekam_estimated", "backlog", "known_away", "known_away_in_backlog", "menolak",
               "menolak_in_backlog", "reachable_backlog", "planned")


def _official_point(p) -> dict:
    """A trend point from an official SIAK count: only what the count says (no field logs since; the
    known away and refusers of that date are not known)."""
    terms = dict.fromkeys(TREND_TERMS)
    terms.update(wajib_ktp=p.wajib_ktp, sudah_rekam_official=p.sudah_rekam, recorded_since=0, recorded_over_target=0,
                 sudah_rekam_estimated=p.sudah_rekam, backlog=p.backlog)
    return {"date": p.as_of, **terms, "official_as_of": p.as_of, "desa_counted": p.desa, "source": SOURCE_SIAK,
            "live": False}


def _series_stamp() -> tuple:
    """Changes whenever a SIAK count is imported (the official series cache's key)."""
    from outreach.models import TargetCount

    return tuple(db.session.execute(sa.select(sa.func.max(TargetCount.id), sa.func.count())
                                    .select_from(TargetCount)).one())


def official_series_of(area: Area) -> list:
    """The area's official SIAK series (outreach.regions.history.OfficialPoint by date)."""
    from outreach.regions import history

    key = ("series", area.kode, _series_stamp())
    return rq.cached(key, lambda: history.official_series(None, _area_condition(area)).get("", []))


def _snapshot_points(area: Area, date_from: date, date_to: date) -> list[dict]:
    S = CoverageSnapshot
    columns = [getattr(S, name) for name in TREND_TERMS]
    in_range = sa.and_(S.date >= date_from, S.date <= date_to)
    if not area.synthetic:
        stmt = sa.select(S.date, S.official_as_of, *columns).where(S.region_kode == area.kode, in_range).order_by(S.date)
    else:
        # No row of its own, so no snapshot of its own: sum the snapshots of its top regions per date.
        top_level = "kabupaten"
        if area.kode is None and db.session.scalar(sa.select(sa.func.count()).select_from(Region)
                                                   .where(Region.level == "provinsi")):
            top_level = "provinsi"
        tops = db.session.scalars(sa.select(Region.kode).where(Region.level == top_level,
                                                               _area_condition(area))).all()
        stmt = (sa.select(S.date, sa.func.max(S.official_as_of), *[sa.func.sum(c) for c in columns])
                .where(S.region_kode.in_(tops or ["-"]), in_range).group_by(S.date).order_by(S.date))
    return [{"date": row[0], **dict(zip(TREND_TERMS, (int(v or 0) for v in row[2:]))), "official_as_of": row[1],
             "source": SOURCE_SNAPSHOT, "live": False} for row in db.session.execute(stmt)]


def _live_point(area: Area, today: date) -> Optional[dict]:
    f = _area_figures(area)
    if f.wajib_ktp is None:
        return None
    return {"date": today, **{name: getattr(f, name) for name in TREND_TERMS}, "official_as_of": f.official_as_of,
            "source": SOURCE_LIVE, "live": True}


def trend_points(user, region_kode: Optional[str] = None, date_from=None, date_to=None) -> list[dict]:
    """The area's history between the two dates (inclusive): a point on every official SIAK as-of date
    (source "siak": the official count only), every nightly snapshot ("snapshot": the whole ledger) and
    today's live figures ("live"); where two fall on one date, live wins over a snapshot, a snapshot over
    a SIAK count.

    Each point: {"date", "source", "live": bool, "official_as_of", and every term of TREND_TERMS (those a
    SIAK count does not know are None)}; ordered by date. Defaults: the whole history up to today.
    A backwards range raises BadInput."""
    area = resolve_area(user, region_kode)
    today = local_today()
    date_to = _as_date(date_to, "to") or today
    series = official_series_of(area)
    date_from = _as_date(date_from, "from")
    if date_from is None:
        oldest = [d for d in (series[0].as_of if series else None, _oldest_snapshot(area)) if d is not None]
        date_from = min(oldest + [date_to])
    if date_from > date_to:
        raise BadInput(_("Rentang tanggal terbalik: 'dari' (%(a)s) sesudah 'sampai' (%(b)s).",
                         a=date_from.isoformat(), b=date_to.isoformat()))
    if (date_to - date_from).days > TREND_MAX_DAYS:
        raise BadInput(_("Rentang tanggal terlalu panjang (maksimal %(n)s hari).", n=TREND_MAX_DAYS))
    by_date: dict[date, dict] = {}
    for p in series:
        if date_from <= p.as_of <= date_to:
            by_date[p.as_of] = _official_point(p)
    for point in _snapshot_points(area, date_from, date_to):
        by_date[point["date"]] = point
    if date_from <= today <= date_to:
        live = _live_point(area, today)
        if live is not None:
            by_date[today] = live
    return [by_date[d] for d in sorted(by_date)]


def _oldest_snapshot(area: Area) -> Optional[date]:
    S = CoverageSnapshot
    if area.synthetic:
        return db.session.scalar(sa.select(sa.func.min(S.date)))
    return db.session.scalar(sa.select(sa.func.min(S.date)).where(S.region_kode == area.kode))


# ---------------------------------------------------------------- sessions: shared pieces

def _session_end_before(moment_local: datetime):
    """SQL: the session's last day ended at or before `moment_local` (wall-clock, office zone)."""
    last_date = sa.func.coalesce(RecordingSession.end_date, RecordingSession.date)
    day, clock = moment_local.date(), moment_local.time().replace(tzinfo=None, microsecond=0)
    # date <= last_date: the first condition lets an index on (status, date) narrow the rows.
    return sa.and_(RecordingSession.date <= day,
                   sa.or_(last_date < day, sa.and_(last_date == day, RecordingSession.end_time <= clock)))


_LOG_CHECK = sa.orm.aliased(TurnoutLog, name="log_check")


def _no_log():
    return ~sa.exists().where(_LOG_CHECK.session_id == RecordingSession.id).correlate(RecordingSession)


def _overdue_condition(now: Optional[datetime] = None, no_log=None):
    """SQL: the session is open, has no turnout log (`no_log`: a condition when the log is already joined)
    and ended more than OVERDUE_LOG_HOURS before `now`."""
    hours = float(_setting("OVERDUE_LOG_HOURS", 24))
    now = (now or clock.utcnow()).astimezone(local_tz())
    return sa.and_(_rare(RecordingSession.status.in_(OPEN_STATUSES)), _no_log() if no_log is None else no_log,
                   _session_end_before(now - timedelta(hours=hours)))


def _rare(condition):
    """Tell SQLite's planner that few rows match (its statistics only know the average status is 1 in 5;
    past sessions still open are far fewer), so it reads them from the (status, date) index."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.unlikely(condition)
    return condition


# ---------------------------------------------------------------- teams

@dataclass
class TeamFigures:
    team_id: int
    nama: str
    office_kode: str
    sessions_planned: int = 0        # all sessions of the period, whatever their status
    sessions_open: int = 0           # still rencana / terkonfirmasi / ditunda
    sessions_done: int = 0           # selesai
    sessions_cancelled: int = 0      # dibatalkan
    logs_overdue: int = 0            # open, ended over OVERDUE_LOG_HOURS ago, no log
    logs_sent: int = 0               # sessions with a log
    logs_late: int = 0               # of those, logs first stored over LATE_LOG_HOURS after the session ended
    logs_due: int = 0                # logs sent + sessions still open without a log LATE_LOG_HOURS after their end
    recorded: int = 0                # people recorded in the period's logs
    kit_hours: float = 0.0           # Σ kits used × hours worked, from the logs
    expected_turnout_done: int = 0   # Σ expected turnout of the sessions that have a log

    @property
    def recorded_per_kit_hour(self) -> Optional[float]:
        return round(self.recorded / self.kit_hours, 2) if self.kit_hours > 0 else None

    @property
    def expected_reached_share(self) -> Optional[float]:
        """Recorded ÷ expected turnout of the logged sessions (1.0 = as expected)."""
        return round(self.recorded / self.expected_turnout_done, 4) if self.expected_turnout_done > 0 else None

    @property
    def logs_on_time(self) -> int:
        return self.logs_sent - self.logs_late

    @property
    def on_time_rate(self) -> Optional[float]:
        """Logs sent on time ÷ logs due (1.0 = every log on time); None when no log is due yet."""
        return round(self.logs_on_time / self.logs_due, 4) if self.logs_due > 0 else None

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["kit_hours"] = round(self.kit_hours, 2)
        out.update(recorded_per_kit_hour=self.recorded_per_kit_hour,
                   expected_reached_share=self.expected_reached_share, logs_on_time=self.logs_on_time,
                   on_time_rate=self.on_time_rate)
        return out


def _date_range(date_from, date_to, default_days: int) -> tuple[date, date]:
    today = local_today()
    date_to = _as_date(date_to, "to")
    date_from = _as_date(date_from, "from")
    if date_to is None:
        date_to = today if date_from is None or date_from <= today else date_from + timedelta(days=default_days)
    date_from = date_from or date_to - timedelta(days=default_days)
    if date_from > date_to:
        raise BadInput(_("Rentang tanggal terbalik: 'dari' (%(a)s) sesudah 'sampai' (%(b)s).",
                         a=date_from.isoformat(), b=date_to.isoformat()))
    return date_from, date_to


def team_figures(user, date_from=None, date_to=None, region_kode: Optional[str] = None,
                 now: Optional[datetime] = None) -> list[TeamFigures]:
    """Per team, over the sessions dated in [date_from, date_to] inside the area (default: the user's scope,
    last 28 days): sessions planned / open / done / cancelled, logs overdue, logs sent and sent late, the
    on-time rate, recorded, recorded per kit-hour and the share of expected turnout reached. Teams of
    offices in the area with no session appear with zeros. Ordered by team name. Three queries (the sums
    are cached until a session, log, known-away or region row changes; overdue is counted afresh).

    A log is late when it was first stored more than LATE_LOG_HOURS after its session ended
    (field.rules.sent_late; the log keeps the hours, turnout_log.hours_after_end); logs due = logs sent + open sessions without a log LATE_LOG_HOURS after their
    end; on-time rate = (logs sent − late) ÷ logs due."""
    area = resolve_area(user, region_kode)
    date_from, date_to = _date_range(date_from, date_to, 28)
    late_hours = float(_setting("LATE_LOG_HOURS", 24))
    RS = RecordingSession
    in_period = sa.and_(RS.date >= date_from, RS.date <= date_to, _session_area_condition(area))
    totals = rq.cached(("teams", area.kode, area.synthetic, date_from, date_to, late_hours),
                       lambda: _team_totals(in_period, date_from, date_to, late_hours), also=(RecordingSession,))
    overdue = _team_missing_logs(in_period, now, late_hours)
    office_cond = sa.true() if area.kode is None else sa.or_(Team.office_kode == area.kode,
                                                             Team.office_kode.like(area.kode + ".%"))
    teams = db.session.execute(sa.select(Team.id, Team.nama, Team.office_kode).where(
        sa.or_(sa.and_(Team.active.is_(True), office_cond), Team.id.in_(list(totals) + list(overdue) or [-1])))
        .order_by(Team.nama)).all()
    out = []
    for team_id, nama, office in teams:
        t = totals.get(team_id)
        missing_overdue, missing_late = overdue.get(team_id, (0, 0))
        sent, late = totals[team_id][7:9] if team_id in totals else (0, 0)
        f = TeamFigures(team_id=team_id, nama=nama, office_kode=office, logs_overdue=int(missing_overdue or 0),
                        logs_sent=int(sent or 0), logs_late=int(late or 0),
                        logs_due=int(sent or 0) + int(missing_late or 0))
        if t:
            (f.sessions_planned, f.sessions_open, f.sessions_done, f.sessions_cancelled,
             f.recorded) = (int(v or 0) for v in t[:5])
            f.kit_hours = float(t[5] or 0.0)
            f.expected_turnout_done = int(t[6] or 0)
        out.append(f)
    return out


def _team_totals(in_period, date_from: date, date_to: date, late_hours: float) -> dict:
    """{team_id: (planned, open, done, cancelled, recorded, kit_hours, expected of logged sessions, logs sent,
    logs sent over `late_hours` after their session ended)}.

    One pass over the period's sessions, each with its log, read from two covering indexes only:
    (date, team_id, status, expected_turnout, id) of the sessions and (session_date, session_id,
    recorded_total, kit_hours, hours_after_end) of the logs. A log carries its session's first day and region codes, so
    matching it on (session_date, session_id) finds the same logs as the session id alone; the date range
    on the log as well lets PostgreSQL hash the period's logs from their index."""
    RS, TL = RecordingSession, TurnoutLog
    # Grouped by an expression: SQLite would otherwise read the sessions in (team_id, date) index order to
    # spare the sort, visiting each session's table row (without statistics, every session of all time);
    # sorting the period's index entries by team costs far less.
    team = (RS.team_id + sa.literal_column("0")).label("team")
    has_log = TL.session_id.is_not(None)
    stmt = (sa.select(
        team, sa.func.count(),
        sa.func.sum(sa.case((RS.status.in_(OPEN_STATUSES), 1), else_=0)),
        sa.func.sum(sa.case((RS.status == DONE_STATUS, 1), else_=0)),
        sa.func.sum(sa.case((RS.status == CANCELLED_STATUS, 1), else_=0)),
        sa.func.sum(sa.func.coalesce(TL.recorded_total, 0)),
        sa.func.sum(sa.func.coalesce(TL.kit_hours, 0.0)),
        sa.func.sum(sa.case((has_log, RS.expected_turnout), else_=0)),
        sa.func.sum(sa.case((has_log, 1), else_=0)),
        sa.func.sum(sa.case((TL.hours_after_end > late_hours, 1), else_=0)))
        .outerjoin(TL, sa.and_(TL.session_id == RS.id, TL.session_date == RS.date,
                               TL.session_date >= date_from, TL.session_date <= date_to))
        .where(in_period).group_by(team))
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


def _team_missing_logs(in_period, now: Optional[datetime], late_hours: float) -> dict:
    """{team_id: (overdue, missing after late_hours)}: open sessions without a log that ended more than
    OVERDUE_LOG_HOURS (the overdue figure) and more than LATE_LOG_HOURS ago (due, not sent on time).

    Depends on the clock, not only on the data: counted afresh, never cached (few rows: open sessions in
    the past, read from the (status, date) index)."""
    RS = RecordingSession
    now_local = (now or clock.utcnow()).astimezone(local_tz())
    overdue_hours = float(_setting("OVERDUE_LOG_HOURS", 24))
    overdue = _session_end_before(now_local - timedelta(hours=overdue_hours))
    missing = _session_end_before(now_local - timedelta(hours=late_hours))
    stmt = (sa.select(RS.team_id, sa.func.sum(sa.case((overdue, 1), else_=0)),
                      sa.func.sum(sa.case((missing, 1), else_=0)))
            .where(in_period, _rare(RS.status.in_(OPEN_STATUSES)), _no_log(),
                   _session_end_before(now_local - timedelta(hours=min(overdue_hours, late_hours))))
            .group_by(RS.team_id))
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.session.execute(stmt)}


# ---------------------------------------------------------------- pemilih pemula

def _site_condition(area: Area):
    """SQL: sites inside `area`; above kecamatan level as a range of kecamatan codes (an index range)."""
    if area.kode is None:
        return sa.true()
    if area.level == "desa":
        return Site.desa_kode == area.kode
    if area.level == "kecamatan":
        return Site.kecamatan_kode == area.kode
    return sa.and_(Site.kecamatan_kode >= area.kode + ".", Site.kecamatan_kode < area.kode + "/")


def pemilih_pemula(user, region_kode: Optional[str] = None, cutoff=None, school_limit: Optional[int] = 500,
                   today: Optional[date] = None, per_kecamatan: bool = True) -> dict:
    """Students turning 17 by the cut-off (a school's pemilih pemula target) still to record, per school and
    per kecamatan, with the school sessions planned for them (open sessions at the school dated from
    today up to the cut-off). A cut-off in the past raises BadInput.

    Returns {"cutoff": date, "total": {...}, "kecamatan": [dict], "schools": [dict] (most still to record
    first (then the larger still to record, then by id), at most `school_limit`; None: all),
    "schools_total": int}. Each row: pemilih_pemula, recorded,
    still_to_record, sessions_planned, expected_planned, uncovered (= still to record − expected at
    planned sessions, not below 0); kecamatan rows also count schools and schools_without_session.
    per_kecamatan=False (a dashboard's summary): "kecamatan" is empty and the total is summed in one row."""
    area = resolve_area(user, region_kode)
    today = today or local_today()
    cutoff = _as_date(cutoff, "cutoff") or pemilih_pemula_cutoff() or today
    if cutoff < today:
        raise BadInput(_("Tanggal batas %(d)s sudah lewat; pilih hari ini atau sesudahnya.", d=cutoff.isoformat()))
    total, kecamatan, schools = rq.cached(
        ("pemilih_pemula", area.kode, area.synthetic, today, cutoff, school_limit, per_kecamatan),
        lambda: _pemilih_pemula_rows(area, today, cutoff, school_limit, per_kecamatan),
        also=(RecordingSession, Site))
    # Copies: the cached rows stay as computed whatever a caller does with its own.
    return {"cutoff": cutoff, "area": area, "total": dict(total), "kecamatan": [dict(r) for r in kecamatan],
            "schools": [dict(r) for r in schools], "schools_total": total["schools"]}


def _pemilih_pemula_rows(area: Area, today: date, cutoff: date, school_limit: Optional[int],
                         per_kecamatan: bool = True) -> tuple:
    RS = RecordingSession
    planned = (sa.select(RS.site_id.label("site_id"), sa.func.count(RS.id).label("n"),
                         sa.func.sum(RS.expected_turnout).label("expected"))
               .where(RS.status.in_(OPEN_STATUSES), RS.date >= today, RS.date <= cutoff,
                      _session_area_condition(area))
               .group_by(RS.site_id).subquery("planned"))
    recorded = sa.func.coalesce(Site.pemilih_pemula_recorded, 0)
    still = sa.case((Site.pemilih_pemula - recorded < 0, 0), else_=Site.pemilih_pemula - recorded)
    expected = sa.func.coalesce(planned.c.expected, 0)
    uncovered = sa.case((still - expected < 0, 0), else_=still - expected)
    n_sessions = sa.func.coalesce(planned.c.n, 0)
    schools_where = (Site.type == "sekolah", Site.active.is_(True), _site_condition(area),
                     Site.pemilih_pemula.is_not(None))
    sums = (sa.func.count(Site.id), sa.func.sum(Site.pemilih_pemula),
            sa.func.sum(sa.case((recorded > Site.pemilih_pemula, Site.pemilih_pemula), else_=recorded)),
            sa.func.sum(still), sa.func.sum(n_sessions), sa.func.sum(expected), sa.func.sum(uncovered),
            sa.func.sum(sa.case((sa.and_(n_sessions == 0, still > 0), 1), else_=0)))
    keys = ("schools", "pemilih_pemula", "recorded", "still_to_record", "sessions_planned", "expected_planned",
            "uncovered", "schools_without_session")
    kecamatan = []
    if per_kecamatan:
        per_kec = db.session.execute(
            sa.select(Site.kecamatan_kode, *sums).outerjoin(planned, planned.c.site_id == Site.id)
            .where(*schools_where).group_by(Site.kecamatan_kode)).all()
        names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(
            Region.kode.in_([r[0] for r in per_kec] or ["-"]))).all()) if per_kec else {}
        for row in per_kec:
            item = {"kode": row[0], "nama": names.get(row[0], row[0])}
            item.update({k: int(v or 0) for k, v in zip(keys, row[1:])})
            kecamatan.append(item)
        kecamatan.sort(key=lambda r: (-r["uncovered"], -r["still_to_record"], r["kode"]))
        total = {k: sum(r[k] for r in kecamatan) for k in keys}
    else:
        row = db.session.execute(sa.select(*sums).outerjoin(planned, planned.c.site_id == Site.id)
                                 .where(*schools_where)).one()
        total = {k: int(v or 0) for k, v in zip(keys, row)}
    # The ranking reads only indexed columns (covering index on schools); the names and details are then
    # fetched for the schools kept, not for every school of the province.
    top = (sa.select(Site.id.label("id"), recorded.label("recorded"), still.label("still"), n_sessions.label("n"),
                     expected.label("expected"), uncovered.label("uncovered"))
           .outerjoin(planned, planned.c.site_id == Site.id).where(*schools_where)
           .order_by(uncovered.desc(), still.desc(), Site.id))
    if school_limit is not None:
        top = top.limit(school_limit)
    top = top.subquery("top")
    stmt = (sa.select(Site.id, Site.nama, Site.npsn, Site.jenjang, Site.desa_kode, Site.kecamatan_kode,
                      Site.pemilih_pemula, top.c.recorded, top.c.still, top.c.n, top.c.expected, top.c.uncovered,
                      Site.pemilih_pemula_as_of)
            .join(top, top.c.id == Site.id)
            .order_by(top.c.uncovered.desc(), top.c.still.desc(), Site.id))
    schools = [{"site_id": r[0], "nama": r[1], "npsn": r[2], "jenjang": r[3], "desa_kode": r[4],
                "kecamatan_kode": r[5], "pemilih_pemula": int(r[6] or 0), "recorded": int(r[7] or 0),
                "still_to_record": int(r[8] or 0), "sessions_planned": int(r[9] or 0),
                "expected_planned": int(r[10] or 0), "uncovered": int(r[11] or 0), "as_of": r[12]}
               for r in db.session.execute(stmt)]
    return total, kecamatan, schools


# ---------------------------------------------------------------- forecast

_LOG_COLUMN = {"provinsi": TurnoutLog.provinsi_kode, "kabupaten": TurnoutLog.kabupaten_kode,
               "kecamatan": TurnoutLog.kecamatan_kode, "desa": TurnoutLog.desa_kode}


def _level_figures_in(area: Area, level: str) -> dict[str, AreaFigures]:
    """The figures of every region of `level` inside `area` (the area itself at its own level)."""
    bundle = area_bundle(area)
    if area.kode is not None and area.level == level:
        return {area.kode: bundle.own}
    if level in bundle:
        return bundle.level(level)
    return level_figures(level, within=area.kode)


def _window_logs(area: Area, level: str, since: date, today: date) -> dict[str, tuple[int, int]]:
    """{kode: (recorded, sessions)} of the logs dated in (since, today] of the areas of `level` in `area`."""
    column = _LOG_COLUMN[level]
    if level == "kecamatan" and _covers_every_log(area):
        # Grouping by an expression keeps SQLite from skip-scanning the (kecamatan_kode, session_date) index
        # and visiting the table for every log: one range of (session_date, kecamatan_kode, recorded_total)
        # reads the whole window instead.
        column = sa.func.substr(TurnoutLog.kecamatan_kode, 1, 8)
    memo = _memo()
    key = ("pace", area.kode, level, since, today)
    if memo is not None and key in memo:
        return memo[key]
    stmt = (sa.select(column, sa.func.sum(TurnoutLog.recorded_total), sa.func.count())
            .where(_log_area_condition(area), TurnoutLog.session_date > since, TurnoutLog.session_date <= today)
            .group_by(column))
    out = {kode: (int(rec or 0), int(n or 0)) for kode, rec, n in db.session.execute(stmt)}
    if memo is not None:
        memo[key] = out
    return out


def _history_points(area: Area, level: str, codes: list[str], today: date) -> dict[str, list[tuple]]:
    """{kode: [(date, backlog), ...]} of the areas `codes` (of `level`, inside `area`) before today: their
    official SIAK counts and nightly snapshots (a snapshot wins over a SIAK count of the same date)."""
    from outreach.regions import history

    condition = _area_condition(area) if area.kode is not None else sa.true()
    series = rq.cached(("series", area.kode, level, _series_stamp()),
                       lambda: history.official_series(level, condition))
    points: dict[str, dict[date, int]] = {k: {p.as_of: p.backlog for p in series.get(k, []) if p.as_of < today}
                                          for k in codes}
    S = CoverageSnapshot
    for i in range(0, len(codes), 900):
        chunk = codes[i:i + 900]
        for kode, day, backlog in db.session.execute(
                sa.select(S.region_kode, S.date, S.backlog).where(S.region_kode.in_(chunk), S.date < today)):
            points.setdefault(kode, {})[day] = int(backlog)
    return {k: sorted(v.items()) for k, v in points.items()}


def _fallback_per_session(area: Area, level: str, since: date, today: date) -> dict[str, Optional[float]]:
    """People per logged session in the window, per kabupaten and per province of the logs in `area`:
    an area's fallback when it has no logged session of its own (the kabupaten's for kecamatan and desa,
    the province's for kabupaten and province), the same whichever level asks."""
    out: dict[str, Optional[float]] = {}
    for column in (TurnoutLog.kabupaten_kode, TurnoutLog.provinsi_kode):
        for kode, rec, n in db.session.execute(
                sa.select(column, sa.func.sum(TurnoutLog.recorded_total), sa.func.count())
                .where(TurnoutLog.session_date > since, TurnoutLog.session_date <= today,
                       _fallback_condition(area, column)).group_by(column)):
            out[kode] = (int(rec or 0) / int(n)) if n and rec else None
    return out


def _fallback_condition(area: Area, column):
    """The logs of the kabupaten (or province) around `area`, so its areas' fallback is theirs."""
    if area.kode is None:
        return sa.true()
    outer = area.kode[:5] if area.level in ("kecamatan", "desa") else area.kode[:2]
    return TurnoutLog.kabupaten_kode == outer if len(outer) == 5 else TurnoutLog.provinsi_kode == outer


def _fallback_key(kode: str, level: str) -> str:
    return kode[:5] if level in ("kecamatan", "desa") else kode[:2]


def _pace_inputs(area: Area, level: str, today: date, weeks: int) -> dict[str, fc.PaceInput]:
    """{kode: PaceInput} of every area of `level` inside `area` with official figures."""
    figures = {k: f for k, f in _level_figures_in(area, level).items() if f.wajib_ktp is not None}
    since = today - timedelta(days=7 * weeks)
    logs = _window_logs(area, level, since, today)
    history = _history_points(area, level, sorted(figures), today)
    fallback = _fallback_per_session(area, level, since, today)
    out = {}
    for kode, f in figures.items():
        start = fc.start_point(history.get(kode, []), today, weeks)
        recorded, sessions = logs.get(kode, (0, 0))
        out[kode] = fc.PaceInput(kode=kode, nama=f.nama, reachable_backlog=f.reachable_backlog or 0,
                                 recorded_in_window=recorded, sessions_in_window=sessions, backlog_now=f.backlog,
                                 backlog_then=start[1] if start else None, since=start[0] if start else None,
                                 fallback_per_session=fallback.get(_fallback_key(kode, level)))
    return out


def _forecast_level(area: Area, level: Optional[str]) -> str:
    if level is not None:
        if level not in LEVELS or LEVELS.index(level) < LEVELS.index(area.level):
            raise BadInput(_("Tingkat '%(level)s' tidak dapat dipakai untuk wilayah ini.", level=str(level)[:20]))
        return level
    return "kecamatan" if LEVELS.index(area.level) <= LEVELS.index("kecamatan") else "desa"


def forecast_for(user, region_kode: Optional[str] = None, weeks: Optional[int] = None, deadline=None,
                 level: Optional[str] = None, today: Optional[date] = None) -> dict:
    """Forecast, for the area itself and per kecamatan of it (per desa inside a kecamatan or desa), of when
    the reachable backlog reaches zero, one engine at every level (outreach.coverage.forecast: the pace of
    the backlog's fall over the last `weeks` weeks of its history, setting FORECAST_WEEKS), flagged against
    `deadline` (setting COVERAGE_DEADLINE; none: no flags). A deadline in the past or weeks < 1 raise BadInput.

    Returns {"area": Area, "region": forecast.AreaForecast of the area itself (None without official
    figures), "level", "today", "weeks", "deadline", "items": [forecast.AreaForecast] (those missing the
    deadline first), "summary": dict}. An item equals the `region` answer of that child asked on its own."""
    area = resolve_area(user, region_kode)
    today = today or local_today()
    if weeks is None or weeks == "":
        weeks = forecast_weeks()
    try:
        weeks = int(weeks)
    except (TypeError, ValueError):
        weeks = 0
    if weeks < 1 or weeks > 104:
        raise BadInput(_("Jumlah minggu harus bilangan bulat antara 1 dan 104."))
    deadline = _as_date(deadline, "deadline") if deadline not in (None, "") else coverage_deadline()
    if deadline is not None and deadline < today:
        raise BadInput(_("Tenggat %(d)s sudah lewat; pilih hari ini atau sesudahnya.", d=deadline.isoformat()))
    level = _forecast_level(area, level)
    memo = _memo()
    key = ("forecast", area.kode, area.synthetic, level, today, weeks, deadline)
    if memo is not None and key in memo:
        return memo[key]
    rows = _pace_inputs(area, level, today, weeks)
    items = fc.forecast(rows.values(), today, weeks, deadline)
    own = None
    if area.kode is not None and not area.synthetic:
        own_rows = rows if level == area.level else _pace_inputs(area, area.level, today, weeks)
        if area.kode in own_rows:
            own = fc.forecast_area(own_rows[area.kode], today, weeks, deadline)
    result = {"area": area, "region": own, "level": level, "today": today, "weeks": weeks, "deadline": deadline,
              "items": items, "summary": fc.summary(items)}
    if memo is not None:
        memo[key] = result
    return result


def slowest_areas(user, region_kode: Optional[str] = None, limit: int = 10, weeks: Optional[int] = None,
                  level: Optional[str] = None, today: Optional[date] = None) -> list:
    """The areas (kecamatan by default) furthest from zero at their recent pace: stalled ones first (no logs in
    the window; the biggest reachable backlog first), then by weeks to zero, longest first. Areas with nothing
    left are left out."""
    # The deadline does not change the ranking; the configured one (unless past) shares the page's forecast.
    today = today or local_today()
    deadline = coverage_deadline()
    if deadline is not None and deadline < today:
        deadline = None
    result = forecast_for(user, region_kode, weeks=weeks, deadline=deadline, level=level, today=today)
    left = [f for f in result["items"] if f.reachable_backlog > 0]
    left.sort(key=lambda f: (f.weeks_to_zero is not None, -(f.weeks_to_zero or 0), -f.reachable_backlog, f.kode))
    return left[:limit]


# ---------------------------------------------------------------- sessions lists

def _session_rows(conditions, order, limit: Optional[int]) -> list[dict]:
    RS = RecordingSession
    stmt = (sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.status, RS.kind,
                      RS.expected_turnout, RS.site_id, Site.nama, Site.type, RS.desa_kode, Region.nama,
                      RS.kecamatan_kode, RS.team_id, Team.nama)
            .join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
            .outerjoin(Region, Region.kode == RS.desa_kode)
            .where(*conditions).order_by(*order))
    if limit is not None:
        stmt = stmt.limit(limit)
    keys = ("id", "date", "end_date", "start_time", "end_time", "status", "kind", "expected_turnout", "site_id",
            "site_nama", "site_type", "desa_kode", "desa_nama", "kecamatan_kode", "team_id", "team_nama")
    return [dict(zip(keys, row)) for row in db.session.execute(stmt)]


def upcoming_sessions(user, region_kode: Optional[str] = None, days: int = 14, limit: Optional[int] = 20,
                      today: Optional[date] = None) -> list[dict]:
    """Open sessions (rencana / terkonfirmasi / ditunda) in the area dated today .. today + `days`, soonest first.
    Each: id, date, end_date, start_time, end_time, status, kind, expected_turnout, site_id, site_nama,
    site_type, desa_kode, desa_nama, kecamatan_kode, team_id, team_nama."""
    area = resolve_area(user, region_kode)
    today = today or local_today()
    RS = RecordingSession
    return _session_rows([_session_area_condition(area), RS.status.in_(OPEN_STATUSES), RS.date >= today,
                          RS.date <= today + timedelta(days=days)],
                         (RS.date, RS.start_time, RS.id), limit)


def overdue_logs(user, region_kode: Optional[str] = None, limit: Optional[int] = 50,
                 now: Optional[datetime] = None) -> list[dict]:
    """Sessions in the area still open with no turnout log although they ended more than OVERDUE_LOG_HOURS
    ago, oldest first; each row as in upcoming_sessions plus `hours_overdue` (hours since the log fell due)."""
    area = resolve_area(user, region_kode)
    now = now or clock.utcnow()
    RS = RecordingSession
    last_date = sa.func.coalesce(RS.end_date, RS.date)
    # Ordered by the last day (an expression): the rows come from the (status, date) index, not a walk
    # back through every past session in date order.
    rows = _session_rows([_session_area_condition(area), _overdue_condition(now)],
                         (last_date, RS.end_time, RS.id), limit)
    tz = local_tz()
    hours = float(_setting("OVERDUE_LOG_HOURS", 24))
    for row in rows:
        ended = datetime.combine(row["end_date"] or row["date"], row["end_time"], tzinfo=tz)
        row["hours_overdue"] = round((now - ended).total_seconds() / 3600 - hours, 1)
    return rows


def count_overdue_logs(user, region_kode: Optional[str] = None, now: Optional[datetime] = None) -> int:
    """How many sessions in the area wait for a turnout log past OVERDUE_LOG_HOURS."""
    area = resolve_area(user, region_kode)
    return int(db.session.scalar(sa.select(sa.func.count(RecordingSession.id)).where(
        _session_area_condition(area), _overdue_condition(now))) or 0)
