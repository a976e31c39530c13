"""Database side of the maps: area figures, sites and sessions in a view (region shapes: `shapes`).

What a view needs at province scale is held per process and rebuilt when its tables change (see the
cache notes below; the point stores are patched with the changed rows instead): the figures of a level,
and the positions, types and codes of all sites and sessions. Filtering and clustering a view is then numpy work of a
few milliseconds; the details of the points actually sent (names, desa, team, last and next session)
are read from the database, scoped again with the usual rules, a few statements per answer whatever
the number of points (no per-feature queries). Computation lives in the pure modules beside this one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
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


def _cached(key: tuple, cheap: Callable[[], tuple], deep: Callable[[], tuple], build: Callable[[], Any],
            update: Optional[Callable[[Any, bool], Any]] = None):
    return _cache.get(key, build, fingerprint=cheap, deep=deep, recheck=_recheck_seconds(), update=update)


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


# ---------------------------------------------------------------- point stores, followed row by row
#
# A national session store (a million rows) takes 8–10 s to build, and sessions change all the time. So a
# store is built in full once, then follows the changes: when its fingerprints move, only the rows whose
# updated_at is at least the store's newest one minus MAP_CHANGE_MARGIN_SECONDS (default 300: updated_at
# is set when a statement runs, its transaction may commit later), and the rows above its highest id, are
# read (index ix_*_updated_at and the primary key) and patched into a new store (points.PointStore.patched).
# Reading a row twice is harmless. Deleted rows (the table holds fewer rows than the patched store) and a
# fingerprint moved by nothing the patch finds (a change that left updated_at alone) fall back to a full
# build.

_SITE_COLUMNS = (Site.id, Site.lat, Site.lng, Site.type, Site.desa_kode, Site.kecamatan_kode, Site.kabupaten_kode,
                 Site.provinsi_kode, Site.active)
_SESSION_COLUMNS = (RecordingSession.id, RecordingSession.site_id, RecordingSession.date, RecordingSession.end_date,
                    RecordingSession.status, RecordingSession.team_id, RecordingSession.desa_kode,
                    RecordingSession.kecamatan_kode, RecordingSession.kabupaten_kode, RecordingSession.provinsi_kode)


def _change_margin() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("MAP_CHANGE_MARGIN_SECONDS", 300)))


def _read_all(model, columns) -> tuple[Iterable, Any]:
    """(every row of `columns`, the newest updated_at of the table read just before them)."""
    newest = db.session.scalar(sa.select(sa.func.max(model.updated_at)))
    return db.session.execute(sa.select(*columns).execution_options(yield_per=points.CHUNK)), newest


class _Changed:
    """The rows of `model` changed since `store` was read (see above), without their updated_at, which
    `newest` keeps the newest of once they have been read."""

    def __init__(self, model, columns, store):
        since = [model.updated_at >= store.newest_change - _change_margin()] if store.newest_change is not None \
            else [model.updated_at.is_not(None)]
        self.rows = db.session.execute(
            sa.select(*columns, model.updated_at).where(sa.or_(model.id > (int(store.ids[-1]) if len(store) else 0),
                                                               *since))
            .execution_options(yield_per=points.CHUNK))
        self.newest = None

    def __iter__(self):
        for row in self.rows:
            if row[-1] is not None and (self.newest is None or row[-1] > self.newest):
                self.newest = row[-1]
            yield tuple(row[:-1])

    def stamp(self, store):
        """The store just patched from these rows (not yet shared), knowing the newest change it has seen."""
        if self.newest is not None and (store.newest_change is None or self.newest > store.newest_change):
            store.newest_change = self.newest
        return store


def _recent_changes(model, *sums) -> tuple:
    """The newest updated_at of `model`'s table, and the number of rows (and `sums`) changed within the margin
    before it: a change committed late, with an updated_at older than the newest, moves them too."""
    newest = db.session.scalar(sa.select(sa.func.max(model.updated_at)))
    if newest is None:
        return ("",)
    return (str(newest),) + _row(sa.select(sa.func.count(), *sums).select_from(model)
                                 .where(model.updated_at >= newest - _change_margin()))


def _complete(model, store):
    """`store` when it holds as many rows as the table (else rows were deleted: None, build it again)."""
    return store if db.session.scalar(sa.select(sa.func.count()).select_from(model)) == len(store) else None


def site_store() -> PointStore:
    """Every site's position, type and region codes, for clustering (patched when the sites change)."""
    def cheap() -> tuple:
        # Answered from the (lat, lng) index: an added, removed or moved site changes it. Positions are summed
        # in whole micro-degrees: integral floats add up exactly in any order, where PostgreSQL's parallel
        # sum of the raw floats differs in its last digits from one statement to the next.
        return _row(sa.select(sa.func.count(), sa.func.max(Site.id), sa.func.sum(sa.func.round(Site.lat * 1e6)),
                              sa.func.sum(sa.func.round(Site.lng * 1e6))))

    def deep() -> tuple:
        return _recent_changes(Site) + _row(sa.select(sa.func.count().filter(Site.active.is_(True))))

    def build() -> PointStore:
        rows, newest = _read_all(Site, _SITE_COLUMNS)
        return PointStore(rows, newest)

    def update(old: PointStore, cheap_changed: bool) -> Optional[PointStore]:
        changed = _Changed(Site, _SITE_COLUMNS, old)
        new = changed.stamp(old.patched(changed))
        if cheap_changed and new.rows_changed == 0:
            return None  # moved, added or removed by something the patch cannot see
        return _complete(Site, new)

    return _cached(("sites",), cheap, deep, build, update)


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
    """Every session's site, dates, status, team and region codes (patched when sessions or sites change)."""
    sites = site_store()
    RS = RecordingSession

    def cheap() -> tuple:
        return _row(sa.select(sa.func.count(), sa.func.max(RS.id))) + (str(id(sites)),)

    def deep() -> tuple:
        # Status changes, postponements and edits move updated_at (and version, which the ORM counts up).
        return _recent_changes(RS, sa.func.sum(RS.version))

    def build() -> SessionStore:
        rows, newest = _read_all(RS, _SESSION_COLUMNS)
        return SessionStore(rows, sites, newest)

    def update(old: SessionStore, cheap_changed: bool) -> Optional[SessionStore]:
        changed = _Changed(RS, _SESSION_COLUMNS, old)
        return _complete(RS, changed.stamp(old.patched(changed, sites)))

    return _cached(("sessions",), cheap, deep, build, update)


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
