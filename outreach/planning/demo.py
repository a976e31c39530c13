"""Demo sessions for `seed-demo`: a month of jemput bola around today in the coordinator's kecamatan.

Finished sessions in the past weeks, confirmed ones in the coming week, planned ones after that,
one cancelled, one postponed (with its history) and one two-day school visit, so every planning
page has something true to show on first start. The plan has no conflicts: each team works on its
own weekdays with its own kits, and every session passes the calendar's rules of a hand-made one
(outreach.planning.conflicts: no holiday, cuti bersama, regional day, exam week at a school or day
the site is unavailable; a length within the settings). Idempotent: when the kecamatan already has
sessions, nothing is added.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.ledger import queries as ledger_queries
from outreach.models.audit import record_change
from outreach.models.planning import RecordingSession, SessionPostponement
from outreach import permissions
from outreach.planning import calendar as planning_calendar
from outreach.planning import checks, operations, workflow
from outreach.planning.queries import AUDIT_ENTITY
from outreach.planning.conflicts import Slot, calendar_conflicts, length_conflicts

DAYS_BACK = 21
DAYS_AHEAD = 24
# (start, end) per team slot: team 0 works Mon/Wed/Fri mornings, team 1 Tue/Thu late mornings.
TEAM_DAYS = ({0, 2, 4}, {1, 3})
TEAM_HOURS = ((time(8, 0), time(12, 0)), (time(9, 0), time(13, 0)))


def _kode(value) -> str:
    return getattr(value, "kode", value)


def planner_for(users, kecamatan: str):
    """The demo user who plans in `kecamatan`: its coordinator, else an admin whose area holds it."""
    people = list(users.values()) if isinstance(users, dict) else list(users or [])
    planners = [u for u in people if permissions.can_plan(u) and permissions.in_scope(u, kecamatan)]
    return next((u for u in planners if permissions.is_coordinator(u)), planners[0] if planners else None)


def seed(demo) -> list[RecordingSession]:
    """Add the demo sessions (see module docstring); returns those created."""
    kecamatan = _kode(demo.coordinator_kecamatan)
    if db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)
                         .where(RecordingSession.kecamatan_kode == kecamatan)):
        return []
    sites = sorted((s for s in demo.sites if s.kecamatan_kode == kecamatan and s.active), key=lambda s: s.id)
    teams = [t for t in demo.teams if t.active][:2]
    if not sites or not teams:
        return []
    kits_of = {t.id: [k for k in demo.kits if k.team_id == t.id and k.status == "ok"] for t in teams}
    spare = [k for k in demo.kits if k.team_id is None and k.status == "ok"]
    for team in teams:
        if not kits_of[team.id] and spare:
            kits_of[team.id] = [spare.pop(0)]
    teams = [t for t in teams if kits_of[t.id]]
    if not teams:
        return []
    planner = planner_for(demo.users, kecamatan)
    today = clock.local_today()
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    places = planning_calendar.places_for_sites(sites, first, last + timedelta(days=14))
    hours = checks.session_hours_setting()

    def fits(site, day, end_date, start, end) -> bool:
        """No warning from the calendar or the session length for this slot at `site`."""
        slot = Slot(day, start, end, end_date)
        return not calendar_conflicts(slot, places[site.id]) and not length_conflicts(slot, hours)

    general = [s for s in sites if s.type != "sekolah"] or sites
    # What each desa's pool leaves as the sessions are placed (outreach.ledger): a coordinator sends the
    # teams where people are still waiting.
    left = {kode: f.reachable_backlog for kode, f in ledger_queries.desa_accounts({s.desa_kode for s in general}).items()
            if f.reachable_backlog is not None}
    schools = [s for s in sites if s.type == "sekolah"]

    created: list[RecordingSession] = []
    busy: set[tuple[int, date]] = set()
    cursor = 0
    day = first
    school_visit_done = False
    while day <= last:
        if day.weekday() < 5:
            for index, team in enumerate(teams):
                if day.weekday() not in TEAM_DAYS[index] or (team.id, day) in busy:
                    continue
                start, end = TEAM_HOURS[index]
                end_date = None
                next_day = day + timedelta(days=1)
                if (not school_visit_done and schools and day > today + timedelta(days=7)
                        and fits(schools[0], day, next_day, start, end)):
                    site, end_date, kind, groups = schools[0], next_day, "keduanya", ["pemilih_pemula"]
                    school_visit_done = True
                else:
                    open_sites = [s for s in general if fits(s, day, None, start, end)]
                    if not open_sites:
                        continue
                    site = _site_with_backlog(open_sites, cursor, left)
                    if site is None:
                        if day >= today:
                            continue  # nobody left to plan for: no session (past ones did happen)
                        site = open_sites[cursor % len(open_sites)]
                    cursor += 1
                    kind = "keduanya" if cursor % 5 == 0 else "perekaman"
                    groups = ["umum", "lansia_disabilitas"] if site.type == "rumah" else ["umum"]
                session = _session(site, team, kits_of[team.id], day, end_date, start, end, kind, groups, planner)
                if ledger_queries.pool_of(site) == "desa" and site.desa_kode in left:
                    left[site.desa_kode] -= session.expected_turnout
                for d in session_days(session):
                    busy.add((team.id, d))
                created.append(session)
        day += timedelta(days=1)
    db.session.flush()
    _set_statuses(created, today, planner, busy, fits)
    db.session.flush()
    return created


def _site_with_backlog(sites: list, cursor: int, left: dict):
    """The next site in turn whose desa the sessions placed so far have not used up (None: every desa is)."""
    for i in range(len(sites)):
        site = sites[(cursor + i) % len(sites)]
        if left.get(site.desa_kode, 1) > 0:
            return site
    return None


def session_days(session: RecordingSession) -> list[date]:
    return [session.date + timedelta(days=i) for i in range((session.last_date - session.date).days + 1)]


def _session(site, team, kits, day, end_date, start, end, kind, groups, planner) -> RecordingSession:
    days = ((end_date or day) - day).days + 1
    estimate = checks.estimate_turnout(site, kind=kind, kit_count=len(kits), start=start, end=end, days=days)
    session = RecordingSession(
        site_id=site.id, desa_kode=site.desa_kode, kecamatan_kode=site.kecamatan_kode,
        kabupaten_kode=site.kabupaten_kode, provinsi_kode=site.provinsi_kode, date=day, end_date=end_date,
        start_time=start, end_time=end, team_id=team.id, kind=kind, target_groups=groups,
        expected_turnout=estimate.expected, turnout_reasoning=estimate.reasoning, status=workflow.RENCANA,
        created_by_id=planner.id if planner else None, notes="")
    operations.set_kits(session, [k.id for k in kits])
    db.session.add(session)
    db.session.flush()
    record_change(AUDIT_ENTITY, session.id, "create", planner.id if planner else None,
                  {"date": [None, day.isoformat()], "site_id": [None, site.id], "team_id": [None, team.id],
                   "kit_ids": [None, [k.id for k in kits]]}, reason="demo")
    return session


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


def _set_status(session, status, planner, changes, reason=""):
    record_change(AUDIT_ENTITY, session.id, f"status:{status}", planner.id if planner else None,
                  {"status": [session.status, status], **changes}, reason=reason)
    session.status = status


def _set_statuses(sessions, today, planner, busy, fits) -> None:
    future = [s for s in sessions if s.date >= today]
    cancelled = future[1] if len(future) > 2 else None
    postponed = future[2] if len(future) > 3 else None
    for s in sessions:
        contact = s.site.contact_name or "Kepala desa/lurah"
        if s.date < today or s.date <= today + timedelta(days=7):
            s.confirmed_with, s.confirmed_at = contact, _at(s.date - timedelta(days=5))
            _set_status(s, workflow.TERKONFIRMASI, planner, {"confirmed_with": ["", contact]})
        if s.date < today:
            _set_status(s, workflow.SELESAI, planner, {})
    if cancelled is not None:
        s = cancelled
        s.cancel_reason = "Balai dipakai untuk hajatan warga; dijadwalkan ulang bulan depan."
        _set_status(s, workflow.DIBATALKAN, planner, {"cancel_reason": ["", s.cancel_reason]}, s.cancel_reason)
    if postponed is not None:
        s = postponed
        new_day = s.date + timedelta(days=1)
        while not fits(s.site, new_day, None, s.start_time, s.end_time) or (s.team_id, new_day) in busy:
            new_day += timedelta(days=1)
        reason = "Kepala desa berhalangan; diundur atas permintaan desa."
        s.postponements.append(SessionPostponement(
            old_date=s.date, old_end_date=s.end_date, old_start_time=s.start_time, old_end_time=s.end_time,
            new_date=new_day, new_end_date=None, new_start_time=s.start_time, new_end_time=s.end_time,
            reason=reason, user_id=planner.id if planner else None))
        changes = {"date": [s.date.isoformat(), new_day.isoformat()]}
        s.date = new_day
        operations.set_kits(s, [link.kit_id for link in s.kit_links])
        busy.add((s.team_id, new_day))
        _set_status(s, workflow.DITUNDA, planner, changes, reason)
