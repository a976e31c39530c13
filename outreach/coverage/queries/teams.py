"""Per team, over a period: sessions planned and done, logs overdue and late, recorded, recorded per
kit-hour and the share of the expected turnout reached."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from outreach import clock, permissions
from outreach.clock import local_today, local_tz
from outreach.coverage.queries.areas import BadInput, as_date, resolve_area, session_area_condition, setting
from outreach.coverage.queries.sessions import rare, session_end_before, without_log
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Team
from outreach.models.planning import OPEN_STATUSES
from outreach.planning.workflow import DIBATALKAN, SELESAI
from outreach.models.field import TurnoutLog
from outreach.models.planning import RecordingSession
from outreach.regions import queries as rq


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
    date_to = as_date(date_to, "to")
    date_from = as_date(date_from, "from")
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
    late_hours = float(setting("LATE_LOG_HOURS", 24))
    RS = RecordingSession
    in_period = sa.and_(RS.date >= date_from, RS.date <= date_to, session_area_condition(area))
    totals = rq.cached(("teams", area.kode, area.synthetic, date_from, date_to, late_hours),
                       lambda: _team_totals(in_period, date_from, date_to, late_hours), also=(RecordingSession,))
    overdue = _team_missing_logs(in_period, now, late_hours)
    office_cond = sa.true() if area.kode is None else sa.or_(Team.office_kode == area.kode,
                                                             Team.office_kode.like(area.kode + ".%"))
    teams = db.session.execute(sa.select(Team.id, Team.nama, Team.office_kode).where(
        sa.or_(sa.and_(Team.active.is_(True), office_cond), Team.id.in_(list(totals) + list(overdue) or [-1])),
        permissions.team_figures_clause(user))  # a field user reads its own team's figures only
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
        sa.func.sum(sa.case((RS.status == SELESAI, 1), else_=0)),
        sa.func.sum(sa.case((RS.status == DIBATALKAN, 1), else_=0)),
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
    overdue_hours = float(setting("OVERDUE_LOG_HOURS", 24))
    overdue = session_end_before(now_local - timedelta(hours=overdue_hours))
    missing = session_end_before(now_local - timedelta(hours=late_hours))
    stmt = (sa.select(RS.team_id, sa.func.sum(sa.case((overdue, 1), else_=0)),
                      sa.func.sum(sa.case((missing, 1), else_=0)))
            .where(in_period, rare(RS.status.in_(OPEN_STATUSES)), without_log(),
                   session_end_before(now_local - timedelta(hours=min(overdue_hours, late_hours))))
            .group_by(RS.team_id))
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.session.execute(stmt)}
