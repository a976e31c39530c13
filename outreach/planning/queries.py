"""Reading planning data, always as the user may see it (every scope rule is outreach.permissions):
one session or a 404, filtered lists and pages of sessions, teams and kits, the audit trail, the bookings
a new session may clash with, the feed of a team, and region names for the pages. Nothing here writes.
"""
from __future__ import annotations

import hmac
from datetime import date, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from outreach import permissions
from outreach.extensions import db
from outreach.models import Kit, Region, Site, Team, User
from outreach.models.audit import AuditEntry
from outreach.models.planning import ACTIVE_STATUSES, MAX_SESSION_DAYS, OPEN_STATUSES, RecordingSession, SessionKit
from outreach.models.regions import level_of
from outreach.planning import workflow
from outreach.planning.conflicts import Booking, Slot, window
from outreach.planning.errors import NotAllowed, NotFound
from outreach.planning.parse import SessionFilters

AUDIT_ENTITY = "recording_session"
FEED_DAYS_BACK = 60
FEED_DAYS_AHEAD = 366
# The area feed (a coordinator's, manager's or admin's): open sessions a month back and half a year ahead.
AREA_FEED_DAYS_BACK = 30
AREA_FEED_DAYS_AHEAD = 180


# ---------------------------------------------------------------- one session

def get_session(user, session_id: int) -> Optional[RecordingSession]:
    """The session if `user` may see it, else None (never reveal another kecamatan's session)."""
    session = db.session.get(RecordingSession, session_id)
    if session is None or not permissions.can_see_session(user, session):
        return None
    return session


def session_to_edit(user, session_id: int) -> RecordingSession:
    """The session if `user` may change it; NotFound when out of the user's view, NotAllowed when only seen."""
    session = db.session.get(RecordingSession, session_id)
    if session is None:
        raise NotFound()
    if not permissions.can_edit_session(user, session):
        raise NotAllowed() if permissions.can_see_session(user, session) else NotFound()
    return session


def allowed_status_targets(session: RecordingSession) -> list[str]:
    """Statuses a planner may set on `session` now (for the buttons of the session page)."""
    return workflow.allowed_targets(session.status)


def session_history(session: RecordingSession) -> list[AuditEntry]:
    """The audit trail of a session (who, when, {field: [old, new]}, reason), newest first, users loaded."""
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity == AUDIT_ENTITY, AuditEntry.entity_id == str(session.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))


def audit_names(history) -> dict:
    """Names for the ids an audit trail mentions: {"site_id": {id: nama}, "team_id": {...}, "kit_ids": {...}}
    (three small queries at most, whatever the length of the trail)."""
    wanted: dict[str, set] = {"site_id": set(), "team_id": set(), "kit_ids": set()}
    for entry in history:
        for key, change in (entry.changes or {}).items():
            if key not in wanted or not isinstance(change, (list, tuple)):
                continue
            for value in change:
                values = value if isinstance(value, (list, tuple)) else [value]
                wanted[key].update(v for v in values if isinstance(v, int))
    out: dict[str, dict] = {key: {} for key in wanted}
    for key, model, column in (("site_id", Site, Site.nama), ("team_id", Team, Team.nama), ("kit_ids", Kit, Kit.code)):
        if wanted[key]:
            out[key] = dict(db.session.execute(sa.select(model.id, column).where(model.id.in_(wanted[key]))).all())
    return out


# ---------------------------------------------------------------- lists

def sessions_query(user, filters: Optional[SessionFilters] = None):
    """SELECT of the sessions `user` may see, filtered, ordered by date, start time, id."""
    f = filters or SessionFilters()
    RS = RecordingSession
    q = sa.select(RS).where(permissions.sessions_clause(user))
    if f.date_to:
        q = q.where(RS.date <= f.date_to)
    if f.date_from:
        # Sessions overlapping the range; the lower bound on `date` keeps it an index range.
        q = q.where(RS.date >= f.date_from - timedelta(days=MAX_SESSION_DAYS - 1),
                    sa.func.coalesce(RS.end_date, RS.date) >= f.date_from)
    if f.statuses:
        q = q.where(RS.status.in_(f.statuses))
    if f.team_id:
        q = q.where(RS.team_id == f.team_id)
    if f.provinsi_kode:
        q = q.where(RS.provinsi_kode == f.provinsi_kode)
    if f.kabupaten_kode:
        q = q.where(RS.kabupaten_kode == f.kabupaten_kode)
    if f.kecamatan_kode:
        q = q.where(RS.kecamatan_kode == f.kecamatan_kode)
    if f.desa_kode:
        q = q.where(RS.desa_kode == f.desa_kode)
    if f.site_id:
        q = q.where(RS.site_id == f.site_id)
    if f.kind:
        q = q.where(RS.kind == f.kind)
    if f.site_type:
        q = q.where(RS.site_id.in_(sa.select(Site.id).where(Site.type == f.site_type)))
    return q.order_by(RS.date, RS.start_time, RS.id)


def _with_relations(q):
    return q.options(joinedload(RecordingSession.site), joinedload(RecordingSession.team),
                     selectinload(RecordingSession.kits))


def list_sessions(user, filters: Optional[SessionFilters] = None, page: int = 1, per_page: int = 50):
    """One page (Flask-SQLAlchemy pagination) of visible sessions with site, team and kits loaded
    (three queries in all)."""
    return db.paginate(_with_relations(sessions_query(user, filters)), page=max(int(page or 1), 1),
                       per_page=per_page, error_out=False, max_per_page=per_page)


def sessions_between(user, first: date, last: date, *, team_id: Optional[int] = None,
                     kecamatan_kode: Optional[str] = None, statuses: Iterable[str] = (),
                     area_kode: Optional[str] = None) -> list[RecordingSession]:
    """Every visible session touching [first, last] (for calendars and printed schedules); `area_kode`: only
    those inside that region (a provinsi or kabupaten chosen without a kecamatan)."""
    f = SessionFilters(date_from=first, date_to=last, team_id=team_id, kecamatan_kode=kecamatan_kode,
                       statuses=tuple(statuses))
    level = level_of(area_kode) if area_kode else None
    if level in ("provinsi", "kabupaten", "kecamatan", "desa"):
        setattr(f, f"{level}_kode", area_kode)
    return list(db.session.scalars(_with_relations(sessions_query(user, f))).unique())


def _office_in(column, office_in: str):
    return sa.or_(column == office_in, column.like(office_in + ".%")) if office_in else sa.false()


def visible_teams(user, office_in: Optional[str] = None, keep_ids: Iterable[int] = ()) -> list[Team]:
    """The teams the user sees, by name; `office_in` (not None): only those whose office lies in that region
    ('' for none), and the teams `keep_ids` (already chosen) whatever their office."""
    q = sa.select(Team).where(permissions.teams_clause(user))
    if office_in is not None:
        q = q.where(sa.or_(_office_in(Team.office_kode, office_in), Team.id.in_([i for i in keep_ids if i])))
    return list(db.session.scalars(q.order_by(Team.nama)))


def active_teams_sample(user, n: int) -> list[Team]:
    """At most `n` active teams the user sees (is there exactly one?), without loading all of them."""
    return list(db.session.scalars(sa.select(Team).where(permissions.teams_clause(user), Team.active.is_(True))
                                   .order_by(Team.nama).limit(n)))


def visible_kits(user, team_id: Optional[int] = None, status: Optional[str] = None,
                 office_in: Optional[str] = None, keep_ids: Iterable[int] = ()) -> list[Kit]:
    """The kits the user sees, by code; `office_in` and `keep_ids` as in visible_teams."""
    q = sa.select(Kit).where(permissions.kits_clause(user))
    if office_in is not None:
        q = q.where(sa.or_(_office_in(Kit.office_kode, office_in), Kit.id.in_([i for i in keep_ids if i])))
    if team_id:
        q = q.where(Kit.team_id == team_id)
    if status:
        q = q.where(Kit.status == status)
    return list(db.session.scalars(q.order_by(Kit.code)))


# ---------------------------------------------------------------- what a booking may clash with

def load_bookings(slot: Slot, *, team_id: Optional[int], kit_ids: Iterable[int], site_id: Optional[int],
                  exclude_id: Optional[int] = None) -> list[Booking]:
    """Sessions that may clash with `slot`: the same team, kits or site within the slot's date window.

    Three index range scans (team_id, date), (kit_id, date), (site_id, date), then one query for their kits.
    """
    RS = RecordingSession
    lo, hi = window(slot, MAX_SESSION_DAYS)
    parts = []
    if team_id:
        parts.append(sa.select(RS.id).where(RS.team_id == team_id, RS.date.between(lo, hi)))
    if site_id:
        parts.append(sa.select(RS.id).where(RS.site_id == site_id, RS.date.between(lo, hi)))
    kit_ids = sorted(set(kit_ids))
    if kit_ids:
        parts.append(sa.select(SessionKit.session_id).where(SessionKit.kit_id.in_(kit_ids),
                                                            SessionKit.date.between(lo, hi)))
    if not parts:
        return []
    return _active_bookings(parts, exclude_id)


def bookings_of(first: date, last: date, *, team_ids: Iterable[int], kit_ids: Iterable[int],
                exclude_id: Optional[int] = None) -> list[Booking]:
    """Active sessions dated `first` .. `last` that hold any of the teams or kits (the alternatives offered
    beside a conflict): two index range scans, then one query for their kits."""
    RS = RecordingSession
    parts = []
    team_ids, kit_ids = sorted(set(team_ids)), sorted(set(kit_ids))
    if team_ids:
        parts.append(sa.select(RS.id).where(RS.team_id.in_(team_ids), RS.date.between(first, last)))
    if kit_ids:
        parts.append(sa.select(SessionKit.session_id).where(SessionKit.kit_id.in_(kit_ids),
                                                            SessionKit.date.between(first, last)))
    if not parts:
        return []
    return _active_bookings(parts, exclude_id)


def _active_bookings(parts: list, exclude_id: Optional[int]) -> list[Booking]:
    """The active sessions among the ids the `parts` select (their union), with their kits: two queries."""
    RS = RecordingSession
    ids = sa.union(*parts) if len(parts) > 1 else parts[0]
    q = (sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.site_id, Site.nama, RS.team_id,
                   Team.nama)
         .join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
         .where(RS.id.in_(ids), RS.status.in_(ACTIVE_STATUSES)))
    if exclude_id:
        q = q.where(RS.id != exclude_id)
    rows = db.session.execute(q).all()
    if not rows:
        return []
    kits_of: dict[int, set] = {}
    for sid, kid in db.session.execute(sa.select(SessionKit.session_id, SessionKit.kit_id)
                                       .where(SessionKit.session_id.in_([r[0] for r in rows]))):
        kits_of.setdefault(sid, set()).add(kid)
    return [Booking(id=r[0], slot=Slot(r[1], r[3], r[4], r[2]), site_id=r[5], site_name=r[6], team_id=r[7],
                    team_name=r[8], kit_ids=frozenset(kits_of.get(r[0], ()))) for r in rows]


# ---------------------------------------------------------------- a team's feed

def team_by_secret(team_id: int, secret: str) -> Optional[Team]:
    """The team whose calendar secret is `secret` (constant-time comparison), else None."""
    team = db.session.get(Team, team_id)
    if team is None or not team.calendar_secret:
        return None
    if not hmac.compare_digest(team.calendar_secret.encode(), (secret or "").encode()):
        return None
    return team


def feed_sessions(team_id: int, today: date) -> list[RecordingSession]:
    """The team's sessions for its feed: not cancelled, from two months back to a year ahead (4 queries)."""
    RS = RecordingSession
    q = (sa.select(RS).options(joinedload(RS.site), joinedload(RS.team),
                               selectinload(RS.postponements))
         .where(RS.team_id == team_id, RS.status != "dibatalkan",
                RS.date.between(today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)))
         .order_by(RS.date, RS.start_time, RS.id))
    return list(db.session.scalars(q).unique())


def user_by_calendar_secret(user_id: int, secret: str) -> Optional[User]:
    """The user whose area calendar secret is `secret` (constant-time comparison), if that user still has an
    area calendar (active, not a field user); else None."""
    user = db.session.get(User, user_id)
    if user is None or not user.calendar_secret or not permissions.has_area_calendar(user):
        return None
    if not hmac.compare_digest(user.calendar_secret.encode(), (secret or "").encode()):
        return None
    return user


def area_feed_sessions(user, today: date) -> list[RecordingSession]:
    """The planned, confirmed and postponed sessions of the user's area that touch the days from
    AREA_FEED_DAYS_BACK before `today` to AREA_FEED_DAYS_AHEAD after it, every team's (4 queries)."""
    RS = RecordingSession
    first, last = today - timedelta(days=AREA_FEED_DAYS_BACK), today + timedelta(days=AREA_FEED_DAYS_AHEAD)
    q = (sa.select(RS).options(joinedload(RS.site), joinedload(RS.team), selectinload(RS.postponements))
         .where(permissions.sessions_clause(user), RS.status.in_(OPEN_STATUSES),
                RS.date <= last, sa.func.coalesce(RS.end_date, RS.date) >= first)
         .order_by(RS.date, RS.start_time, RS.id))
    return list(db.session.scalars(q).unique())


# ---------------------------------------------------------------- region names

def region_names(kodes: Iterable[str]) -> dict[str, str]:
    kodes = {k for k in kodes if k}
    if not kodes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(kodes))).all())


def region_info(kodes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{kode: (nama, kind)} for the given region codes (one query)."""
    kodes = {k for k in kodes if k}
    if not kodes:
        return {}
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind).where(Region.kode.in_(kodes))).all()
    return {kode: (nama, kind) for kode, nama, kind in rows}
