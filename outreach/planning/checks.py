"""What saving a session would run into, asked of the database: refusals (site, team and kits missing,
inactive, out of scope or out of service), conflicts with other bookings and the planning calendar
(the pure rules of outreach.planning.conflicts), and the expected turnout (outreach.ledger).

check_session is the dry run the session form shows before saving; propose_mop_up suggests a follow-up
session for a finished one (not saved). The writes in outreach.planning.operations run the same checks
after taking their locks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping, Optional

import sqlalchemy as sa
from flask import current_app, has_request_context

from outreach import clock
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Kit, Site, Team
from outreach.models.planning import MAX_SESSION_DAYS, RecordingSession
from outreach.permissions import scope_of
from outreach.planning import capacity, queries, workflow
from outreach.planning.conflicts import KitInfo, Place, Proposal, Slot, Verdict, find_conflicts, is_open_day, refusals
from outreach.planning.errors import ValidationFailed
from outreach.planning.parse import check_new_values, merged_values, parse_id, parse_new, parse_session_data
from outreach.planning.serialize import hhmm

HOME_SITE_TYPE = "rumah"

MOP_UP_MIN_DAYS = 7
MOP_UP_SEARCH_DAYS = 60


def _setting(name: str, default):
    return current_app.config.get(name, default)


def _locale() -> str:
    if has_request_context():
        from flask_babel import get_locale
        loc = get_locale()
        if loc is not None:
            return str(loc)
    return _setting("BABEL_DEFAULT_LOCALE", "id")


def session_hours_setting() -> tuple[float, float]:
    """(SESSION_MIN_HOURS, SESSION_MAX_HOURS): the session length outside which a session gets a warning."""
    return float(_setting("SESSION_MIN_HOURS", 2)), float(_setting("SESSION_MAX_HOURS", 6))


def slot_of(values: Mapping) -> Slot:
    return Slot(values["date"], values["start"], values["end"], values.get("end_date"))


def days_of(values: Mapping) -> int:
    return ((values.get("end_date") or values["date"]) - values["date"]).days + 1


def _kit_info(kit: Kit) -> KitInfo:
    return KitInfo(kit.id, kit.code, kit.status, kit.office_kode)


def _team_info(team: Optional[Team]) -> Optional[dict]:
    if team is None:
        return None
    return {"nama": team.nama, "office_kode": team.office_kode, "active": team.active}


def refuse(user, site: Optional[Site], team: Optional[Team], kits: list[Kit], kit_ids: Iterable[int],
           check_scope: bool = True) -> dict[str, str]:
    """{field: message} for what may not be booked at all (empty when all may)."""
    if site is None:
        errors = {"site_id": _("Lokasi tidak ditemukan.")}
        if team is None:
            errors["team_id"] = _("Tim tidak ditemukan.")
        return errors
    return refusals(site_kode=site.desa_kode, site_name=site.nama, site_active=site.active,
                    site_kabupaten=site.kabupaten_kode, scope_kode=scope_of(user) if check_scope else None,
                    team=_team_info(team), kits=[_kit_info(k) for k in kits],
                    missing_kit_ids=set(kit_ids) - {k.id for k in kits}, _=_)


def verdict_for(slot: Slot, site_id: int, team: Team, kits: list[Kit], exclude_id: Optional[int],
                place: Optional[Place] = None, kind: str = "perekaman") -> Verdict:
    """The rules of outreach.planning.conflicts for a session at `site_id`: other sessions, session length
    (for sessions that record: a sosialisasi meeting may be short, and so may a home visit, which has no
    minimum), and the planning calendar of the site (`place`, loaded when not given)."""
    from outreach.planning import calendar as planning_calendar

    kit_ids = frozenset(k.id for k in kits)
    bookings = queries.load_bookings(slot, team_id=team.id, kit_ids=kit_ids, site_id=site_id, exclude_id=exclude_id)
    proposal = Proposal(slot=slot, site_id=site_id, team_id=team.id, kit_ids=kit_ids, team_name=team.nama,
                        session_id=exclude_id)
    site = db.session.get(Site, site_id)
    if place is None:
        place = planning_calendar.place_for_site(site, slot.date, slot.last_date)
    hours = session_hours_setting() if kind in capacity.RECORDING_KINDS else None
    if hours is not None and site is not None and site.type == HOME_SITE_TYPE:
        hours = (0.0, hours[1])  # a home visit records one household: short by nature
    return find_conflicts(proposal, bookings, {k.id: _kit_info(k) for k in kits},
                          travel_buffer=timedelta(minutes=int(_setting("TRAVEL_BUFFER_MINUTES", 60))),
                          place=place, session_hours=hours, locale=_locale(), _=_)


def estimate_turnout(site: Site, *, kind: str, kit_count: int, start: time, end: time, days: int = 1,
                     absentees: Optional[int] = None, session_id: Optional[int] = None) -> capacity.TurnoutEstimate:
    """Expected turnout of a session at `site` with its reasoning: its share of what its pool (the desa's
    reachable backlog or a school's pemilih pemula) leaves after the open sessions planned before it
    (outreach.ledger). `absentees`: a mop-up's known absentees; `session_id`: the session being edited."""
    from outreach.ledger import operations as ledger

    return ledger.estimate_for(site, kind=kind, kit_count=kit_count, start=start, end=end, days=days,
                               session_id=session_id, absentees=absentees)


@dataclass
class CheckResult:
    """Outcome of a dry run: field errors, conflicts (errors and warnings) and the turnout estimate."""
    errors: dict = field(default_factory=dict)
    conflicts: list = field(default_factory=list)
    estimate: Optional[capacity.TurnoutEstimate] = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflicts


def check_session(user, data: Mapping[str, Any], *, session: Optional[RecordingSession] = None,
                  today: Optional[date] = None) -> CheckResult:
    """What saving `data` (as a new session, or over `session`) would run into, without saving or locking
    (for forms: show before submitting)."""
    result = CheckResult()
    today = today or clock.local_today()
    try:
        if session is None:
            values = parse_new(data, today)
        else:
            values = merged_values(session, parse_session_data(data, partial=True))
    except ValidationFailed as exc:
        result.errors = exc.errors
        return result
    check_new_values(values, session, today, result.errors)
    site = db.session.get(Site, values["site_id"])
    team = db.session.get(Team, values["team_id"])
    kits = list(db.session.scalars(sa.select(Kit).where(Kit.id.in_(values["kit_ids"])))) if values["kit_ids"] else []
    result.errors.update(refuse(user, site, team, kits, values["kit_ids"]))
    session_id = session.id if session is not None else None
    if site is not None:
        result.estimate = estimate_turnout(site, kind=values["kind"], kit_count=len(kits), start=values["start"],
                                           end=values["end"], days=days_of(values), session_id=session_id)
    if not result.errors:
        result.conflicts = verdict_for(slot_of(values), site.id, team, kits, session_id, kind=values["kind"]).conflicts
    return result


# ---------------------------------------------------------------- alternatives beside a conflict

def alternatives(user, data: Mapping[str, Any], conflicts: Iterable, *, session: Optional[RecordingSession] = None,
                 today: Optional[date] = None) -> Optional[dict]:
    """When the team or a kit of `data` is taken: the teams and kits (of the site's office, in the user's
    view) free at the same slot, and the nearest day the chosen team and kits are free at the same hours.
    None when no team or kit conflict is among `conflicts` or the input does not parse."""
    from outreach.planning import calendar as planning_calendar
    from outreach.planning import suggestions
    from outreach.planning.conflicts import BROKEN_KIT_STATUS, window

    if not suggestions.needs_alternatives(conflicts):
        return None
    today = today or clock.local_today()
    try:
        values = parse_new(data, today) if session is None else merged_values(
            session, parse_session_data(data, partial=True))
    except ValidationFailed:
        return None
    site = db.session.get(Site, values["site_id"])
    if site is None:
        return None
    slot = slot_of(values)
    teams = [t for t in queries.visible_teams(user) if t.active and t.office_kode == site.kabupaten_kode]
    kits = [k for k in queries.visible_kits(user)
            if k.status != BROKEN_KIT_STATUS and (k.office_kode or site.kabupaten_kode) == site.kabupaten_kode]
    buffer = timedelta(minutes=int(_setting("TRAVEL_BUFFER_MINUTES", 60)))
    first = slot.date - timedelta(days=suggestions.SEARCH_DAYS)
    last = slot.last_date + timedelta(days=suggestions.SEARCH_DAYS)
    lo, hi = window(Slot(first, slot.start, slot.end, last), MAX_SESSION_DAYS)
    bookings = queries.bookings_of(lo, hi, team_ids=[t.id for t in teams] + [values["team_id"]],
                                   kit_ids=[k.id for k in kits] + list(values["kit_ids"]),
                                   exclude_id=session.id if session is not None else None)
    free_teams, free_kits = suggestions.free_resources(slot, bookings, [t.id for t in teams if t.id != values["team_id"]],
                                                       [k.id for k in kits if k.id not in values["kit_ids"]], buffer)
    place = planning_calendar.place_for_site(site, first, last)
    next_slot = suggestions.nearest_free_slot(slot, values["team_id"], values["kit_ids"], bookings, buffer,
                                              lambda d: is_open_day(d, place), earliest=today)
    names = {t.id: t.nama for t in teams}
    codes = {k.id: k.code for k in kits}
    team = db.session.get(Team, values["team_id"])
    return {"teams": [names[t] for t in free_teams], "kits": [codes[k] for k in free_kits],
            "next_slot": next_slot, "team_name": team.nama if team else ""}


# ---------------------------------------------------------------- mop-up

def mop_up_absentees(session: RecordingSession):
    """The absentees a mop-up of `session` proposes by default, from its turnout log (planning.mop_up)."""
    from outreach.models.field import TurnoutLog, not_recorded_column
    from outreach.planning import mop_up

    columns = [getattr(TurnoutLog, not_recorded_column(r)) for r in mop_up.RETURN_VISIT_REASONS]
    row = db.session.execute(sa.select(*columns).where(TurnoutLog.session_id == session.id)).first()
    return mop_up.absentees_from_log(dict(zip(mop_up.RETURN_VISIT_REASONS, row)) if row else None)


def propose_mop_up(source: RecordingSession, absentees=None, *, today: Optional[date] = None) -> dict:
    """A follow-up session at the same site for the people the finished session `source` missed (not saved).

    Same site, team, kits and start time; long enough for `absentees` at the configured rate (within
    SESSION_MIN_HOURS–SESSION_MAX_HOURS); on the first working day at least a week after the session
    (and after today) where nothing clashes. `absentees` None or "": the session's log says how many
    (mop_up_absentees). The result is a `data` mapping for create_session, plus `expected_turnout`,
    `turnout_reasoning`, `conflicts` (empty unless no free day was found), `absentees_from_log`
    ({total, by_reason}) and `absentees_source` ("log" or "input").
    """
    from outreach.planning import calendar as planning_calendar

    if source.status != workflow.SELESAI:
        raise ValidationFailed({"status": _("Sesi susulan hanya dapat diusulkan dari sesi yang sudah selesai.")})
    from_log = mop_up_absentees(source)
    given = absentees not in (None, "")
    n = parse_id(absentees) if given else (from_log.total or None)
    if n is None and not given:
        raise ValidationFailed({"absentees": _("Laporan hasil sesi ini tidak mencatat warga yang dapat direkam "
                                               "pada kunjungan ulang (gangguan alat atau jaringan, data tidak "
                                               "ditemukan di SIAK). Isi jumlah warga yang belum hadir.")})
    if n is None:
        raise ValidationFailed({"absentees": _("Jumlah warga yang belum hadir harus bilangan bulat lebih dari 0.")})
    today = today or clock.local_today()
    kit_ids = tuple(link.kit_id for link in source.kit_links)
    rate = float(_setting("RECORDS_PER_KIT_HOUR", 12))
    min_h, max_h = int(_setting("SESSION_MIN_HOURS", 2)), int(_setting("SESSION_MAX_HOURS", 6))
    hours = min(max(math.ceil(n / (max(len(kit_ids), 1) * rate)), min_h), max_h)
    start = source.start_time
    end_dt = datetime.combine(date.min, start) + timedelta(hours=hours)
    end = end_dt.time() if end_dt.date() == date.min and end_dt.time() > start else source.end_time
    team = source.team
    kits = list(source.kits)
    first = max(today + timedelta(days=1), source.last_date + timedelta(days=MOP_UP_MIN_DAYS))
    place = planning_calendar.place_for_site(source.site, first, first + timedelta(days=MOP_UP_SEARCH_DAYS))
    chosen, conflicts = None, []
    for i in range(MOP_UP_SEARCH_DAYS):
        day = first + timedelta(days=i)
        if not is_open_day(day, place):
            continue
        verdict = verdict_for(Slot(day, start, end), source.site_id, team, kits, None, place)
        if chosen is None:
            chosen, conflicts = day, verdict.conflicts
        if not verdict.conflicts:
            chosen, conflicts = day, []
            break
    chosen = chosen or first
    estimate = estimate_turnout(source.site, kind="perekaman", kit_count=len(kit_ids), start=start, end=end,
                                absentees=n)
    return {"site_id": source.site_id, "date": chosen.isoformat(), "end_date": None, "start": hhmm(start),
            "end": hhmm(end), "team_id": source.team_id, "kit_ids": list(kit_ids), "kind": "perekaman",
            "target_groups": list(source.target_groups or []), "mop_up_of_id": source.id, "absentees": n,
            "notes": _("Sesi susulan untuk sesi #%(id)s (%(date)s): %(n)s warga belum hadir.", id=source.id,
                       date=source.date.isoformat(), n=n),
            "expected_turnout": estimate.expected, "turnout_reasoning": estimate.reasoning,
            "conflicts": [c.as_dict() for c in conflicts],
            "absentees_from_log": from_log.as_dict(), "absentees_source": "input" if given else "log"}
