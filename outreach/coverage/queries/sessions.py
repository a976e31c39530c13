"""Sessions of an area that need attention: those coming up, and those whose turnout log is overdue;
with the SQL pieces the team figures share (when a session ended, has it a log, is its log overdue)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from outreach import clock
from outreach.clock import local_today, local_tz
from outreach.coverage.queries.areas import resolve_area, session_area_condition, setting
from outreach.extensions import db
from outreach.models import Region, Site, Team
from outreach.models.field import TurnoutLog
from outreach.models.planning import OPEN_STATUSES, RecordingSession


# ---------------------------------------------------------------- sessions: shared pieces

def session_end_before(moment_local: datetime):
    """SQL: the session's last day ended at or before `moment_local` (wall-clock, office zone)."""
    last_date = sa.func.coalesce(RecordingSession.end_date, RecordingSession.date)
    day, clock = moment_local.date(), moment_local.time().replace(tzinfo=None, microsecond=0)
    # date <= last_date: the first condition lets an index on (status, date) narrow the rows.
    return sa.and_(RecordingSession.date <= day,
                   sa.or_(last_date < day, sa.and_(last_date == day, RecordingSession.end_time <= clock)))


_LOG_CHECK = sa.orm.aliased(TurnoutLog, name="log_check")


def without_log():
    return ~sa.exists().where(_LOG_CHECK.session_id == RecordingSession.id).correlate(RecordingSession)


def overdue_condition(now: Optional[datetime] = None, no_log=None):
    """SQL: the session is open, has no turnout log (`no_log`: a condition when the log is already joined)
    and ended more than OVERDUE_LOG_HOURS before `now`."""
    hours = float(setting("OVERDUE_LOG_HOURS", 24))
    now = (now or clock.utcnow()).astimezone(local_tz())
    return sa.and_(rare(RecordingSession.status.in_(OPEN_STATUSES)), without_log() if no_log is None else no_log,
                   session_end_before(now - timedelta(hours=hours)))


def rare(condition):
    """Tell SQLite's planner that few rows match (its statistics only know the average status is 1 in 5;
    past sessions still open are far fewer), so it reads them from the (status, date) index."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.unlikely(condition)
    return condition


# ---------------------------------------------------------------- sessions lists

def _session_rows(conditions, order, limit: Optional[int]) -> list[dict]:
    RS = RecordingSession
    stmt = (sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.status, RS.kind,
                      RS.expected_turnout, RS.site_id, Site.nama, Site.type, RS.desa_kode, Region.nama,
                      RS.kecamatan_kode, RS.team_id, Team.nama)
            .join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
            .outerjoin(Region, Region.kode == RS.desa_kode)
            .order_by(*order))
    if limit is not None:
        # The first `limit` sessions are chosen on the session table alone, then joined: a country's next two
        # weeks hold thousands of open sessions, and joining each to its site and team before the limit took
        # 40 ms.
        first = sa.select(RS.id.label("id")).where(*conditions).order_by(*order).limit(limit).subquery("first")
        stmt = stmt.join(first, first.c.id == RS.id)
    else:
        stmt = stmt.where(*conditions)
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
    return _session_rows([session_area_condition(area), RS.status.in_(OPEN_STATUSES), RS.date >= today,
                          RS.date <= today + timedelta(days=days)],
                         (RS.date, RS.start_time, RS.id), limit)


def sessions_in_days(user, region_kode: Optional[str], first: date, last: date,
                     limit: Optional[int] = None) -> list[dict]:
    """Open sessions in the area dated first .. last (both included), soonest first; rows as in upcoming_sessions."""
    area = resolve_area(user, region_kode)
    RS = RecordingSession
    return _session_rows([session_area_condition(area), RS.status.in_(OPEN_STATUSES), RS.date >= first,
                          RS.date <= last], (RS.date, RS.start_time, RS.id), limit)


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
    rows = _session_rows([session_area_condition(area), overdue_condition(now)],
                         (last_date, RS.end_time, RS.id), limit)
    tz = local_tz()
    hours = float(setting("OVERDUE_LOG_HOURS", 24))
    for row in rows:
        ended = datetime.combine(row["end_date"] or row["date"], row["end_time"], tzinfo=tz)
        row["hours_overdue"] = round((now - ended).total_seconds() / 3600 - hours, 1)
    return rows


def count_overdue_logs(user, region_kode: Optional[str] = None, now: Optional[datetime] = None) -> int:
    """How many sessions in the area wait for a turnout log past OVERDUE_LOG_HOURS."""
    area = resolve_area(user, region_kode)
    return int(db.session.scalar(sa.select(sa.func.count(RecordingSession.id)).where(
        session_area_condition(area), overdue_condition(now))) or 0)
