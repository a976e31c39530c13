"""Database side of the maps: boundary indexes, area figures, sites and sessions in a view.

Every query here is scoped by the caller's user (the same rules as the rest of the app) and answers a
whole view in a few statements: no per-feature queries. Computation (classes, clusters, geometry) lives
in the pure modules beside this one.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.maps import clustering
from outreach.maps.bbox import BBox
from outreach.maps.geometry import BoundaryIndex, RegionInfo
from outreach.models import Region, Site, Team
from outreach.models.planning import RecordingSession
from outreach.models.regions import level_of
from outreach.regions.queries import figures_for
from outreach.security import scope_clause, user_scope_kode

MAP_LEVELS = ("kabupaten", "kecamatan", "desa")
SESSION_CATEGORIES = ("upcoming", "done", "overdue", "cancelled")
OPEN_STATUSES = ("rencana", "terkonfirmasi", "ditunda")


# ---------------------------------------------------------------- figures: the one adapter

def _figures_source(regions: list) -> dict:
    """Figures per region code, from the coverage figures (issue 5). Switch the source here, in one line."""
    return figures_for(regions)


def _get(obj: Any, name: str, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def area_figures(regions: list) -> dict[str, dict]:
    """{kode: figures} for region-like objects (kode, nama, level, kind, parent_kode, lat, lng)."""
    out = {}
    for kode, f in _figures_source(regions).items():
        official = _get(f, "sudah_rekam_official", _get(f, "sudah_rekam"))
        estimated = _get(f, "sudah_rekam_estimated")
        as_of = _get(f, "official_as_of") or _get(f, "target_as_of")
        out[kode] = {
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
    return out


def figures_version() -> tuple:
    """A cheap fingerprint of everything the figures are computed from: it changes when any of it does."""
    from outreach.models import KnownAway, TargetCount

    parts: list = list(db.session.execute(sa.select(
        sa.func.count(), sa.func.max(Region.updated_at), sa.func.sum(Region.wajib_ktp),
        sa.func.sum(Region.sudah_rekam)).where(Region.level == "desa")).one())
    parts += list(db.session.execute(sa.select(sa.func.count(), sa.func.max(TargetCount.id))).one())
    parts += list(db.session.execute(sa.select(sa.func.count(), sa.func.sum(KnownAway.count),
                                               sa.func.max(KnownAway.updated_at))).one())
    # Field logs (issue 4) feed the coverage figures once that module lands: follow them when the table exists.
    log = db.metadata.tables.get("turnout_log")
    if log is not None:
        columns = [sa.func.count()]
        for name in ("updated_at", "id", "version"):
            if name in log.c:
                columns.append(sa.func.max(log.c[name]) if name != "version" else sa.func.sum(log.c[name]))
        parts += list(db.session.execute(sa.select(*columns).select_from(log)).one())
    return tuple(str(p) for p in parts)


# ---------------------------------------------------------------- per-process caches

def _db_key() -> str:
    return db.engine.url.render_as_string(hide_password=True)


_index_lock = threading.Lock()
_indexes: dict[tuple, tuple[tuple, BoundaryIndex]] = {}
_figures_lock = threading.Lock()
_figures_cache: dict[tuple, tuple[tuple, dict]] = {}


def boundaries_version(level: str) -> tuple:
    from outreach.models import ImportBatch

    row = db.session.execute(sa.select(
        sa.func.count(), sa.func.count(Region.boundary), sa.func.max(Region.updated_at),
        sa.func.min(Region.kode), sa.func.max(Region.kode)).where(Region.level == level)).one()
    batch = db.session.scalar(sa.select(sa.func.max(ImportBatch.id)))
    return tuple(str(p) for p in row) + (str(batch),)


def boundary_index(level: str) -> BoundaryIndex:
    """The boundary index of a level, rebuilt when the level's regions or boundaries change."""
    key = (_db_key(), level)
    version = boundaries_version(level)
    hit = _indexes.get(key)
    if hit and hit[0] == version:
        return hit[1]
    with _index_lock:
        hit = _indexes.get(key)
        if hit and hit[0] == version:
            return hit[1]
        rows = db.session.execute(sa.select(
            Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat, Region.lng,
            Region.boundary).where(Region.level == level).order_by(Region.kode)).tuples().all()
        index = BoundaryIndex(rows)
        _indexes[key] = (version, index)
        return index


def level_figures(level: str, prefix: Optional[str]) -> dict[str, dict]:
    """Figures of every region of `level` under `prefix` (None: all), cached until the data changes."""
    key = (_db_key(), level, prefix)
    version = figures_version()
    hit = _figures_cache.get(key)
    if hit and hit[0] == version:
        return hit[1]
    index = boundary_index(level)
    infos = [info for info in index.infos if _under(info.kode, prefix)]
    # Regions without boundary nor centroid are not drawn but still count for the class breaks.
    figures = area_figures(infos) if infos else {}
    with _figures_lock:
        if len(_figures_cache) > 64:
            _figures_cache.clear()
        _figures_cache[key] = (version, figures)
    return figures


def clear_caches() -> None:
    """Forget every boundary index and cached figure (tests; after a bulk change outside the app)."""
    with _index_lock:
        _indexes.clear()
    with _figures_lock:
        _figures_cache.clear()


def _under(kode: str, prefix: Optional[str]) -> bool:
    return prefix is None or kode == prefix or kode.startswith(prefix + ".")


# ---------------------------------------------------------------- scope and area

def view_prefix(user, area: Optional[str]) -> Optional[str]:
    """The code prefix a view is limited to: the area when given (already checked to be in scope), else
    the user's scope (None: everything)."""
    return area or user_scope_kode(user)


def region_exists(kode: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(Region.kode == kode)) > 0


def region_name(kode: str) -> Optional[tuple[str, str, str]]:
    row = db.session.execute(sa.select(Region.nama, Region.kind, Region.level).where(Region.kode == kode)).first()
    return tuple(row) if row else None


def _area_condition(model, area: Optional[str]):
    if not area:
        return sa.true()
    column = {"provinsi": model.provinsi_kode, "kabupaten": model.kabupaten_kode,
              "kecamatan": model.kecamatan_kode, "desa": model.desa_kode}.get(level_of(area))
    return column == area if column is not None else sa.false()


def _cell_expr(column, size: float, origin: float):
    """Grid cell index of a coordinate column (the same arithmetic as clustering.cell_of)."""
    shifted = (column - origin) / size
    if db.engine.dialect.name == "sqlite":
        return sa.cast(shifted, sa.Integer)  # truncation = floor: the value is never negative
    return sa.cast(sa.func.floor(shifted), sa.Integer)


# ---------------------------------------------------------------- sites

@dataclass
class SiteFilter:
    bbox: BBox
    zoom: int
    area: Optional[str] = None
    site_type: Optional[str] = None


def _site_conditions(user, f: SiteFilter) -> list:
    b = f.bbox
    conds = [scope_clause(user, Site), Site.active.is_(True), _area_condition(Site, f.area),
             Site.lat >= b.south, Site.lat <= b.north, Site.lng >= b.west, Site.lng <= b.east]
    if f.site_type:
        conds.append(Site.type == f.site_type)
    return conds


def count_sites(user, f: SiteFilter) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(*_site_conditions(user, f)))


def site_clusters(user, f: SiteFilter) -> list[clustering.Cluster]:
    size = clustering.cell_size(f.zoom)
    cx = _cell_expr(Site.lng, size, clustering.LNG_ORIGIN).label("cx")
    cy = _cell_expr(Site.lat, size, clustering.LAT_ORIGIN).label("cy")
    rows = db.session.execute(
        sa.select(cx, cy, Site.type, sa.func.count(), sa.func.sum(Site.lat), sa.func.sum(Site.lng),
                  sa.func.min(Site.id))
        .where(*_site_conditions(user, f)).group_by(cx, cy, Site.type)).all()
    return clustering.merge_cells(rows)


def site_points(user, f: Optional[SiteFilter], ids: Optional[list[int]] = None,
                limit: int = clustering.HARD_POINT_LIMIT) -> list[dict]:
    """Sites in view (or the given ids, still scoped) with their desa name and last and next session.

    Three statements whatever the number of sites: the sites, then the last and the next session of all of
    them at once (window functions ranking each site's sessions).
    """
    conds = _site_conditions(user, f) if f is not None else [scope_clause(user, Site), Site.active.is_(True)]
    if ids is not None:
        if not ids:
            return []
        conds.append(Site.id.in_(ids))
    rows = db.session.execute(
        sa.select(Site.id, Site.nama, Site.type, Site.lat, Site.lng, Site.desa_kode, Region.nama,
                  Site.coords_approximate)
        .join(Region, Region.kode == Site.desa_kode).where(*conds).order_by(Site.id).limit(limit)).all()
    sites = [{"id": r[0], "nama": r[1], "type": r[2], "lat": r[3], "lng": r[4], "desa_kode": r[5],
              "desa_nama": r[6], "approximate": bool(r[7]), "last_session": None, "next_session": None}
             for r in rows]
    if sites:
        by_id = {s["id"]: s for s in sites}
        site_ids = sa.select(Site.id).where(*conds)
        for key, row in _last_and_next_sessions(user, site_ids):
            site = by_id.get(row.site_id)
            if site is not None:
                site[key] = {"id": row.id, "date": row.date.isoformat(), "status": row.status}
    return sites


def _last_and_next_sessions(user, site_ids) -> Iterable[tuple[str, Any]]:
    from outreach.planning.service import local_today, visible_sessions_clause

    RS = RecordingSession
    today = local_today()
    visible = visible_sessions_clause(user)
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


def _category_expr(today: date):
    RS = RecordingSession
    return sa.case((RS.status == "selesai", "done"), (RS.status == "dibatalkan", "cancelled"),
                   (sa.func.coalesce(RS.end_date, RS.date) < today, "overdue"), else_="upcoming")


def _session_conditions(user, f: SessionFilter, category) -> list:
    from outreach.planning.service import visible_sessions_clause

    RS = RecordingSession
    b = f.bbox
    conds = [visible_sessions_clause(user), _area_condition(RS, f.area),
             Site.lat >= b.south, Site.lat <= b.north, Site.lng >= b.west, Site.lng <= b.east]
    if f.date_to:
        conds.append(RS.date <= f.date_to)
    if f.date_from:
        from outreach.models.planning import MAX_SESSION_DAYS
        from datetime import timedelta
        conds += [RS.date >= f.date_from - timedelta(days=MAX_SESSION_DAYS - 1),
                  sa.func.coalesce(RS.end_date, RS.date) >= f.date_from]
    if f.categories and set(f.categories) != set(SESSION_CATEGORIES):
        conds.append(category.in_(f.categories))
    if f.site_type:
        conds.append(Site.type == f.site_type)
    return conds


def _today() -> date:
    from outreach.planning.service import local_today
    return local_today()


def count_sessions(user, f: SessionFilter) -> int:
    category = _category_expr(_today())
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)
                             .join(Site, Site.id == RecordingSession.site_id)
                             .where(*_session_conditions(user, f, category)))


def session_clusters(user, f: SessionFilter) -> list[clustering.Cluster]:
    size = clustering.cell_size(f.zoom)
    category = _category_expr(_today())
    cx = _cell_expr(Site.lng, size, clustering.LNG_ORIGIN).label("cx")
    cy = _cell_expr(Site.lat, size, clustering.LAT_ORIGIN).label("cy")
    cat = category.label("category")
    rows = db.session.execute(
        sa.select(cx, cy, cat, sa.func.count(), sa.func.sum(Site.lat), sa.func.sum(Site.lng),
                  sa.func.min(RecordingSession.id))
        .select_from(RecordingSession).join(Site, Site.id == RecordingSession.site_id)
        .where(*_session_conditions(user, f, category)).group_by(cx, cy, cat)).all()
    return clustering.merge_cells(rows)


def session_points(user, f: SessionFilter, ids: Optional[list[int]] = None,
                   limit: int = clustering.HARD_POINT_LIMIT) -> list[dict]:
    RS = RecordingSession
    category = _category_expr(_today())
    conds = _session_conditions(user, f, category)
    if ids is not None:
        if not ids:
            return []
        conds.append(RS.id.in_(ids))
    rows = db.session.execute(
        sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.status, category, RS.kind,
                  RS.expected_turnout, Site.id, Site.nama, Site.lat, Site.lng, Team.nama)
        .select_from(RS).join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
        .where(*conds).order_by(RS.date, RS.start_time, RS.id).limit(limit)).all()
    return [{"id": r[0], "date": r[1].isoformat(), "end_date": r[2].isoformat() if r[2] else None,
             "start": r[3].strftime("%H:%M"), "end": r[4].strftime("%H:%M"), "status": r[5], "category": r[6],
             "kind": r[7], "expected_turnout": r[8], "site_id": r[9], "site_nama": r[10], "lat": r[11],
             "lng": r[12], "team_nama": r[13]} for r in rows]
