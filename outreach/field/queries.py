"""Reading turnout logs, scoped to the user like the planning queries (a session the user may not see is
"not found"), and the facts and settings the log rules need.

    get_log_session(user, session_id) -> RecordingSession      raises SessionNotFound (404)
    get_log(user, session_id) -> TurnoutLog | None             raises SessionNotFound (404)
    log_of(session_id) -> TurnoutLog | None                    unscoped, fresh from the database
    logs_by_session(session_ids) -> {session_id: TurnoutLog}   one query (no N+1 on lists)
    my_sessions(user, page=1, per_page=50, now=None) -> Flask-SQLAlchemy Pagination of ScheduleItem
        the field user's team's sessions: today and coming, plus past ones still waiting for a log;
        admins, coordinators and managers: the same over the sessions they may see
    can_log(user, session, log, now), can_correct(user, log, now) -> bool   (for buttons)
    log_history(log) -> list[AuditEntry]                       the log's audit trail, newest first
    log_settings() -> rules.Settings                           RECORDS_PER_KIT_HOUR, TURNOUT_CAPACITY_TOLERANCE, tz
    session_facts(session) -> rules.SessionFacts
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from outreach import permissions
from outreach.extensions import db
from outreach.field import rules
from outreach.field.errors import SessionNotFound
from outreach.models import RecordingSession
from outreach.models.audit import AuditEntry
from outreach.models.base import utcnow
from outreach.models.field import TurnoutLog
from outreach.models.planning import MAX_SESSION_DAYS
from outreach.planning import queries as planning_queries
from outreach.planning import workflow

AUDIT_ENTITY = "turnout_log"
MAX_ID = 2**31 - 1


# ---------------------------------------------------------------- settings and facts

def log_settings() -> rules.Settings:
    """The log rules' settings from the app's config: kit rate, capacity tolerance, office zone."""
    config = current_app.config
    return rules.Settings(records_per_kit_hour=float(config.get("RECORDS_PER_KIT_HOUR", 12)),
                          tolerance=float(config.get("TURNOUT_CAPACITY_TOLERANCE", 1.25)),
                          tz=ZoneInfo(config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")),
                          tz_label=config.get("LOCAL_TIMEZONE_LABEL", "WIB"))


def correction_hours() -> float:
    """How long the team may correct its own log (LOG_CORRECTION_HOURS)."""
    return float(current_app.config.get("LOG_CORRECTION_HOURS", 48))


def session_facts(session: RecordingSession) -> rules.SessionFacts:
    """What the log rules need to know about `session` (days, times, status, booked kits)."""
    return rules.SessionFacts(first_day=session.date, last_day=session.last_date, start=session.start_time,
                              end=session.end_time, status=session.status,
                              booked_kit_ids=tuple(sorted(link.kit_id for link in session.kit_links)))


def utc(now: Optional[datetime]) -> datetime:
    """`now` as aware UTC (SQLite keeps no offset: every stored time must be UTC); None: the clock's now."""
    return rules.as_utc(now) if now is not None else utcnow()


# ---------------------------------------------------------------- reading

def get_log_session(user, session_id: int) -> RecordingSession:
    """The session if `user` may see it (field: own team's; others: their region), else SessionNotFound."""
    if not isinstance(session_id, int) or not 0 < session_id <= MAX_ID:  # PostgreSQL INTEGER ends at 2**31 − 1
        raise SessionNotFound()
    session = planning_queries.get_session(user, session_id)
    if session is None:
        raise SessionNotFound()
    return session


def log_of(session_id: int) -> Optional[TurnoutLog]:
    """The session's log read afresh (populate_existing), whoever may see it: the writes check first."""
    return db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.session_id == session_id)
                             .execution_options(populate_existing=True))


def get_log(user, session_id: int) -> Optional[TurnoutLog]:
    """The log of a visible session (None: not logged yet); SessionNotFound when the session is not visible."""
    get_log_session(user, session_id)
    return log_of(session_id)


def logs_by_session(session_ids) -> dict[int, TurnoutLog]:
    """{session_id: log} of the sessions that have one, in one query."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    return {log.session_id: log for log in db.session.scalars(
        sa.select(TurnoutLog).where(TurnoutLog.session_id.in_(ids)))}


def correction_deadline(log: TurnoutLog) -> datetime:
    """Until when the team may correct `log`."""
    return rules.correction_deadline(log.created_at, correction_hours())


def can_log(user, session: RecordingSession, log: Optional[TurnoutLog], now: Optional[datetime] = None) -> bool:
    """True when `user` may send the first log of `session` now (started, not cancelled, no log yet)."""
    if log is not None or not permissions.can_write_logs(user) or session.status not in workflow.LOGGABLE:
        return False
    return not rules.check_can_log(session_facts(session), log_settings(), utc(now))


def can_correct(user, log: Optional[TurnoutLog], now: Optional[datetime] = None) -> bool:
    """True when `user` may correct `log` now (team: within LOG_CORRECTION_HOURS; coordinator/admin: always)."""
    if log is None:
        return False
    return permissions.can_correct_log(user, log, utc(now), correction_deadline(log))


def log_history(log: TurnoutLog) -> list[AuditEntry]:
    """The audit trail of a log ({column: [old, new]} per change), newest first, users loaded."""
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity == AUDIT_ENTITY, AuditEntry.entity_id == str(log.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))


@dataclass
class ScheduleItem:
    session: RecordingSession
    log: Optional[TurnoutLog]
    awaiting_log: bool      # started (or over), open status, no log yet
    overdue: bool           # awaiting and its last day is before today
    can_log: bool
    can_correct: bool
    announcement: str = ""


def my_sessions_query(user, today: date):
    """SELECT of the sessions on the user's schedule: running today or later (whatever their status),
    and past ones in an open status still without a log. Ordered by date, start, id."""
    RS = RecordingSession
    last_day = sa.func.coalesce(RS.end_date, RS.date)
    no_log = ~sa.exists(sa.select(TurnoutLog.id).where(TurnoutLog.session_id == RS.id))
    current = sa.and_(RS.date >= today - timedelta(days=MAX_SESSION_DAYS - 1), last_day >= today)
    waiting = sa.and_(RS.date < today, last_day < today, RS.status.in_(sorted(workflow.LOGGABLE)), no_log)
    return (sa.select(RS).where(permissions.sessions_clause(user), sa.or_(current, waiting))
            .order_by(RS.date, RS.start_time, RS.id))


def my_sessions(user, *, page: int = 1, per_page: int = 50, now: Optional[datetime] = None,
                with_announcement: bool = True):
    """One page of the user's schedule (Flask-SQLAlchemy's Pagination: total, page, per_page, items), each
    item a ScheduleItem with its log (if any) and its flags (5–6 queries)."""
    from outreach.planning import serialize as planning_serialize

    now = utc(now)
    settings = log_settings()
    today = now.astimezone(settings.tz).date()
    query = my_sessions_query(user, today).options(
        joinedload(RecordingSession.site), joinedload(RecordingSession.team),
        selectinload(RecordingSession.kits), selectinload(RecordingSession.kit_links),
        selectinload(RecordingSession.postponements))
    # A page far past the end reads nothing; its offset must still fit a 64-bit SQL integer.
    page = min(max(int(page or 1), 1), MAX_ID)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=per_page)
    sessions = list(result.items)
    logs = logs_by_session(s.id for s in sessions)
    regions = planning_queries.region_info({k for s in sessions for k in (s.desa_kode, s.kecamatan_kode,
                                                                       s.kabupaten_kode)}) \
        if with_announcement else {}
    items = []
    for s in sessions:
        log = logs.get(s.id)
        started = now >= rules.session_start(session_facts(s), settings.tz)
        awaiting = log is None and s.status in workflow.LOGGABLE and started
        items.append(ScheduleItem(
            session=s, log=log, awaiting_log=awaiting, overdue=awaiting and s.last_date < today,
            can_log=awaiting and permissions.can_write_logs(user), can_correct=can_correct(user, log, now),
            announcement=planning_serialize.announcement_for(s, regions) if with_announcement else ""))
    result.items = items
    return result
