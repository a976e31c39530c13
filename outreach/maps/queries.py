"""Database side of the maps: area figures, sites and sessions in a view (region shapes: `shapes`).

What a view needs at province scale is held per process and rebuilt when its tables change (see the
cache notes below): the figures of a level, and the positions,
types and codes of all sites and sessions. Filtering and clustering a view is then numpy work of a
few milliseconds; the details of the points actually sent (names, desa, team, last and next session)
are read from the database, scoped again with the usual rules, a few statements per answer whatever
the number of points (no per-feature queries). Computation lives in the pure modules beside this one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Optional

import numpy as np
import sqlalchemy as sa
from flask import current_app

from outreach.cache import ProcessCache
from outreach.extensions import db
from outreach.maps.bbox import BBox
from outreach.maps.geometry import BoundaryIndex
from outreach.maps import points
from outreach.maps.points import PointStore, SessionStore
from outreach.models import Region, Site, Team
from outreach.models.planning import OPEN_STATUSES, RecordingSession
from outreach.regions import queries as rq
from outreach.permissions import scope_of
from outreach import permissions

MAP_LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
SESSION_CATEGORIES = ("upcoming", "done", "overdue", "cancelled")


# ---------------------------------------------------------------- figures: the one adapter

def _figures_source(level: str, within: Optional[str]) -> dict:
    """Figures of every region of `level` inside `within` (None: all): the coverage figures
    (official SIAK counts plus what turnout logs recorded since). Switch the source here, in one line."""
    return rq.level_figures(level, within)


def _get(obj: Any, name: str, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def figures_dict(f: Any) -> dict:
    """The figures a map shows of one area, from an AreaFigures (or a dict with the same names)."""
    official = _get(f, "sudah_rekam_official", _get(f, "sudah_rekam"))
    estimated = _get(f, "sudah_rekam_estimated")
    as_of = _get(f, "official_as_of") or _get(f, "target_as_of")
    return {
        "wajib_ktp": _get(f, "wajib_ktp"),
        "sudah_rekam": estimated if estimated is not None else official,
        "sudah_rekam_official": official,
        "recorded_since": _get(f, "recorded_since"),
        "backlog": _get(f, "backlog"),
        "known_away": _get(f, "known_away"),
        "reachable_backlog": _get(f, "reachable_backlog"),
        "percent_recorded": _get(f, "percent_recorded"),
        "as_of": as_of.isoformat() if isinstance(as_of, date) else as_of,
    }


# ---------------------------------------------------------------- per-process caches, checked per request
#
# Each cache entry remembers a cheap fingerprint of its inputs (counts, newest ids and sums that SQL
# answers from indexes) checked on every request, and a deeper one (newest change times, which need a
# table scan) checked at most every MAP_RECHECK_SECONDS (default 2 s). So an added turnout log, site or
# import shows on the next request; an edit of an existing row within a couple of seconds.

_cache = ProcessCache(entries=256)


def _recheck_seconds() -> float:
    return float(current_app.config.get("MAP_RECHECK_SECONDS", 2.0))


def _cached(key: tuple, cheap: Callable[[], tuple], deep: Callable[[], tuple], build: Callable[[], Any]):
    return _cache.get(key, build, fingerprint=cheap, deep=deep, recheck=_recheck_seconds())


def clear_caches() -> None:
    """Forget every cached index, store and figure (tests; after a bulk change made outside the app)."""
    ProcessCache.clear_all()


def _row(stmt) -> tuple:
    return tuple(str(v) for v in db.session.execute(stmt).one())


def _figures_cheap() -> tuple:
    from outreach.models import KnownAway, TargetCount

    parts = _row(sa.select(sa.func.count(), sa.func.max(TargetCount.id)))
    parts += _row(sa.select(sa.func.count(), sa.func.sum(KnownAway.count), sa.func.max(KnownAway.updated_at)))
    parts += _row(sa.select(sa.func.count()).select_from(Region).where(Region.level == "desa"))
    log = db.metadata.tables.get("turnout_log")
    if log is not None:
        parts += _row(sa.select(sa.func.count(), sa.func.max(log.c.id)).select_from(log))
    return parts


def _figures_deep() -> tuple:
    log = db.metadata.tables.get("turnout_log")
    if log is None or "updated_at" not in log.c:
        return ()
    return _row(sa.select(sa.func.max(log.c.updated_at)).select_from(log))


def _boundaries_cheap(level: str) -> tuple:
    from outreach.models import ImportBatch

    # Boundaries and names are written by imports (each one an ImportBatch); the count catches the rest.
    return (_row(sa.select(sa.func.count()).select_from(Region).where(Region.level == level))
            + _row(sa.select(sa.func.max(ImportBatch.id))))


def boundary_index(level: str) -> BoundaryIndex:
    """The boundary index of a level (built once per process, again when the regions change): only the
    fallback of outreach.maps.shapes while the level's shared shapes are missing."""
    def build() -> BoundaryIndex:
        rows = db.session.execute(sa.select(
            Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng,
            Region.boundary).where(Region.level == level).order_by(Region.kode)).all()
        return BoundaryIndex(rows)

    return _cached(("boundaries", level), lambda: _boundaries_cheap(level), tuple, build)


def level_figures(level: str, prefix: Optional[str]) -> dict[str, dict]:
    """{kode: figures} of every region of `level` under `prefix` (None: all), cached until the data changes."""
    def build() -> dict:
        return {kode: figures_dict(f) for kode, f in _figures_source(level, prefix).items()}

    return _cached(("figures", level, prefix), _figures_cheap, _figures_deep, build)


def site_store() -> PointStore:
    """Every site's position, type and region codes, for clustering (rebuilt when the sites change)."""
    def cheap() -> tuple:
        # Answered from the (lat, lng) index: an added, removed or moved site changes it.
        return _row(sa.select(sa.func.count(), sa.func.max(Site.id), sa.func.sum(Site.lat), sa.func.sum(Site.lng)))

    def deep() -> tuple:
        return _row(sa.select(sa.func.max(Site.updated_at), sa.func.count().filter(Site.active.is_(True))))

    def build() -> PointStore:
        return PointStore(db.session.execute(sa.select(
            Site.id, Site.lat, Site.lng, Site.type, Site.desa_kode, Site.kecamatan_kode, Site.kabupaten_kode,
            Site.provinsi_kode, Site.active).execution_options(yield_per=points.CHUNK)))

    return _cached(("sites",), cheap, deep, build)


# ---------------------------------------------------------------- scope and area

def view_prefix(user, area: Optional[str]) -> Optional[str]:
    """The code prefix a view is limited to: the area when given (already checked to be in scope), else
    the user's scope (None: everything)."""
    return area or scope_of(user)


def region_exists(kode: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(Region.kode == kode)) > 0


def region_name(kode: str) -> Optional[tuple[str, str, str]]:
    row = db.session.execute(sa.select(Region.nama, Region.kind, Region.level).where(Region.kode == kode)).first()
    return tuple(row) if row else None


# ---------------------------------------------------------------- sites

@dataclass
class SiteFilter:
    bbox: BBox
    zoom: int
    area: Optional[str] = None
    site_type: Optional[str] = None


def site_selection(user, f: SiteFilter):
    """(store, mask) of the sites in view that `user` may see (the store applies the same scope as
    scope_clause: the user's region, or the area already checked to lie inside it; a field user's further
    narrowed to the sites of its team's sessions, as permissions.sites_clause)."""
    store = site_store()
    mask = store.select(f.bbox, view_prefix(user, f.area), f.site_type)
    if permissions.is_field(user):
        own = db.session.scalars(sa.select(Site.id).where(permissions.sites_clause(user))).all()
        mask &= np.isin(store.ids, np.array(own, dtype=np.int64))
    return store, mask


def site_points(user, ids: list[int]) -> list[dict]:
    """The given sites (scoped again in SQL) with their desa name and last and next session.

    Three statements whatever the number of sites: the sites, then the last and the next session of all of
    them at once (window functions ranking each site's sessions).
    """
    if not ids:
        return []
    out: dict[int, dict] = {}
    for chunk in _chunks(sorted(ids), 2000):
        conds = [permissions.sites_clause(user), Site.active.is_(True), Site.id.in_(chunk)]
        rows = db.session.execute(
            sa.select(Site.id, Site.nama, Site.type, Site.lat, Site.lng, Site.desa_kode, Region.nama,
                      Site.coords_approximate)
            .join(Region, Region.kode == Site.desa_kode).where(*conds).order_by(Site.id)).all()
        for r in rows:
            out[r[0]] = {"id": r[0], "nama": r[1], "type": r[2], "lat": r[3], "lng": r[4], "desa_kode": r[5],
                         "desa_nama": r[6], "approximate": bool(r[7]), "last_session": None, "next_session": None}
        if rows:
            for key, row in _last_and_next_sessions(user, [r[0] for r in rows]):
                site = out.get(row.site_id)
                if site is not None:
                    site[key] = {"id": row.id, "date": row.date.isoformat(), "status": row.status}
    return [out[i] for i in sorted(out)]


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _last_and_next_sessions(user, site_ids) -> Iterable[tuple[str, Any]]:
    from outreach.permissions import sessions_clause
    from outreach.clock import local_today

    RS = RecordingSession
    today = local_today()
    visible = sessions_clause(user)
    last = (sa.select(RS.site_id, RS.id, RS.date, RS.status,
                      sa.func.row_number().over(partition_by=RS.site_id,
                                                order_by=(RS.date.desc(), RS.id.desc())).label("rn"))
            .where(visible, RS.site_id.in_(site_ids), RS.date < today, RS.status != "dibatalkan")).subquery()
    nxt = (sa.select(RS.site_id, RS.id, RS.date, RS.status,
                     sa.func.row_number().over(partition_by=RS.site_id,
                                               order_by=(RS.date.asc(), RS.start_time.asc(), RS.id.asc()))
                     .label("rn"))
           .where(visible, RS.site_id.in_(site_ids), RS.date >= today, RS.status.in_(OPEN_STATUSES))).subquery()
    for key, sub in (("last_session", last), ("next_session", nxt)):
        for row in db.session.execute(sa.select(sub.c.site_id, sub.c.id, sub.c.date, sub.c.status)
                                      .where(sub.c.rn == 1)):
            yield key, row


# ---------------------------------------------------------------- sessions

@dataclass
class SessionFilter:
    bbox: BBox
    zoom: int
    area: Optional[str] = None
    categories: tuple = ()
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    site_type: Optional[str] = None


def session_store() -> SessionStore:
    """Every session's site, dates, status, team and region codes (rebuilt when sessions or sites change)."""
    sites = site_store()
    RS = RecordingSession

    def cheap() -> tuple:
        return _row(sa.select(sa.func.count(), sa.func.max(RS.id))) + (str(id(sites)),)

    def deep() -> tuple:
        # Status changes, postponements and edits move updated_at.
        return _row(sa.select(sa.func.max(RS.updated_at)))

    def build() -> SessionStore:
        return SessionStore(db.session.execute(sa.select(
            RS.id, RS.site_id, RS.date, RS.end_date, RS.status, RS.team_id, RS.desa_kode, RS.kecamatan_kode,
            RS.kabupaten_kode, RS.provinsi_kode).execution_options(yield_per=points.CHUNK)), sites)

    return _cached(("sessions",), cheap, deep, build)


def session_selection(user, f: SessionFilter):
    """(store, mask, categories) of the sessions in view that `user` may see: the rules of
    permissions.sessions_clause (the user's region; a field user only its own team's)."""
    store = session_store()
    team_id = None
    if permissions.is_field(user):
        team_id = user.team_id or -1
    mask, cat = store.select(f.bbox, view_prefix(user, f.area), _today(), team_id=team_id,
                             categories=f.categories, date_from=f.date_from, date_to=f.date_to,
                             site_type=f.site_type)
    return store, mask, cat


def _category_expr(today: date):
    RS = RecordingSession
    return sa.case((RS.status == "selesai", "done"), (RS.status == "dibatalkan", "cancelled"),
                   (sa.func.coalesce(RS.end_date, RS.date) < today, "overdue"), else_="upcoming")


def _today() -> date:
    from outreach.clock import local_today
    return local_today()


def session_points(user, ids: list[int]) -> list[dict]:
    """The given sessions (scoped again in SQL) with their site, team and map category."""
    from outreach.permissions import sessions_clause

    if not ids:
        return []
    RS = RecordingSession
    category = _category_expr(_today())
    out = []
    for chunk in _chunks(sorted(ids), 2000):
        rows = db.session.execute(
            sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.status, category, RS.kind,
                      RS.expected_turnout, Site.id, Site.nama, Site.lat, Site.lng, Team.nama)
            .select_from(RS).join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
            .where(sessions_clause(user), RS.id.in_(chunk))).all()
        out += [{"id": r[0], "date": r[1].isoformat(), "end_date": r[2].isoformat() if r[2] else None,
                 "start": r[3].strftime("%H:%M"), "end": r[4].strftime("%H:%M"), "status": r[5], "category": r[6],
                 "kind": r[7], "expected_turnout": r[8], "site_id": r[9], "site_nama": r[10], "lat": r[11],
                 "lng": r[12], "team_nama": r[13]} for r in rows]
    out.sort(key=lambda s: (s["date"], s["start"], s["id"]))
    return out
