"""Writing recording sessions: plan, change, move along the workflow (confirm, postpone, cancel,
finish), with their locks and audit entries; and replacing a user's area calendar link. Each write is one
transaction: it commits, or rolls back and raises an error of outreach.planning.errors.

The caller has checked access: views load the session with queries.session_to_edit (the one scope
check, outreach.permissions) and hand it over; only create_session, which has no session yet, asks
permissions.can_plan itself.

Concurrency: two planners booking the same kit at once must not both succeed. Before checking,
a write locks what it books: on PostgreSQL `SELECT ... FOR UPDATE` on the team row, then the kit
rows in id order (one global order, so no deadlock); on SQLite the transaction starts with
`BEGIN IMMEDIATE` (one writer at a time). The check then sees every booking committed before it.
A change of an existing session may also carry the version the user saw (`expected_version`):
another version means someone else was first (StaleSession).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from outreach import clock, permissions
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Kit, Site, Team, User
from outreach.models.audit import record_change
from outreach.models.base import utcnow
from outreach.models.planning import RecordingSession, SessionKit, SessionPostponement
from outreach.planning import checks, parse, workflow
from outreach.planning.conflicts import Verdict
from outreach.planning.errors import ConflictsFound, NotAllowed, PlanningError, StaleSession, ValidationFailed
from outreach.vocab import session_status_labels
from outreach.planning.queries import AUDIT_ENTITY
from outreach.planning.serialize import audit_values, iso
from outreach.requests.queue import follow_session

SCHEDULE_FIELDS = ("site_id", "date", "end_date", "start", "end", "team_id", "kit_ids")


# ---------------------------------------------------------------- locking and committing

def lock_resources(team_id: Optional[int], kit_ids: Iterable[int]) -> tuple[Optional[Team], list[Kit]]:
    """Start the write: take the locks, then load the team and kits fresh from the database.

    PostgreSQL: row locks (team first, then kits by id: one global order, no deadlocks).
    SQLite: BEGIN IMMEDIATE, unless this connection already holds the write lock.
    """
    kit_ids = sorted(set(kit_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        conn = db.session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    team = None
    if team_id:
        team = db.session.scalars(sa.select(Team).where(Team.id == team_id).with_for_update()
                                  .execution_options(populate_existing=True)).first()
    kits = []
    if kit_ids:
        kits = list(db.session.scalars(sa.select(Kit).where(Kit.id.in_(kit_ids)).order_by(Kit.id).with_for_update()
                                       .execution_options(populate_existing=True)))
    return team, kits


def _checked_booking(user, site, values: Mapping, exclude_id: Optional[int], override: str, *,
                     check_scope: bool = True) -> tuple[Verdict, list[Kit]]:
    """Lock the team and kits of `values`, then refuse or find conflicts (rolling back on either)."""
    team, kits = lock_resources(values["team_id"], values["kit_ids"])
    refused = checks.refuse(user, site, team, kits, values["kit_ids"], check_scope=check_scope)
    if refused:
        _fail(ValidationFailed(refused))
    verdict = checks.verdict_for(checks.slot_of(values), site.id, team, kits, exclude_id, kind=values["kind"])
    if not verdict.allows(override):
        _fail(ConflictsFound(verdict.conflicts))
    return verdict, kits


def _fail(exc: PlanningError):
    db.session.rollback()  # releases the locks; nothing of this request is kept
    raise exc


def _check_version(session: RecordingSession, expected_version) -> None:
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationFailed({"version": _("Versi harus berupa angka.")})
    if expected != session.version:
        raise StaleSession()


def _reallocate(session: RecordingSession, *also_sites) -> None:
    """Share out again the pools the session draws on (and a site it left): see outreach.ledger."""
    from outreach.ledger import operations as ledger

    ledger.reallocate_session(session, *[site for site in also_sites if site is not None])


def _commit(session: RecordingSession) -> RecordingSession:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleSession()
    db.session.expire(session, ["kits"])
    return session


def _override_note(verdict: Verdict, override: str) -> str:
    if not verdict.warnings:
        return ""
    listed = "; ".join(c.message for c in verdict.warnings)
    return _("Peringatan diabaikan dengan alasan: %(reason)s (%(warnings)s)", reason=override, warnings=listed)


# ---------------------------------------------------------------- a session's fields

def set_kits(session: RecordingSession, kit_ids: Iterable[int]) -> None:
    """Book exactly `kit_ids` for `session` (keeps the copied date of each booking in step)."""
    wanted = set(kit_ids)
    for link in list(session.kit_links):
        if link.kit_id not in wanted:
            session.kit_links.remove(link)
        else:
            link.date = session.date
            wanted.discard(link.kit_id)
    for kit_id in sorted(wanted):
        session.kit_links.append(SessionKit(kit_id=kit_id, date=session.date))


def _apply(session: RecordingSession, values: Mapping) -> None:
    for key in ("site_id", "date", "end_date", "team_id", "kind", "notes", "confirmed_with"):
        if key in values:
            setattr(session, key, values[key])
    if "start" in values:
        session.start_time = values["start"]
    if "end" in values:
        session.end_time = values["end"]
    if "target_groups" in values:
        session.target_groups = list(values["target_groups"])
    set_kits(session, values.get("kit_ids", ()))


def _default_groups(site: Site) -> tuple:
    return ("pemilih_pemula",) if site.type == "sekolah" else ("umum",)


def _mop_up_source(data: Mapping, values: Mapping, errors: dict):
    """The finished session a mop-up follows, and its absentee count (both optional)."""
    raw = data.get("mop_up_of_id") if isinstance(data, Mapping) else None
    if raw in (None, ""):
        return None, None
    source = db.session.get(RecordingSession, parse.parse_id(raw) or -1)
    if source is None or source.site_id != values.get("site_id") or source.status != workflow.SELESAI:
        errors["mop_up_of_id"] = _("Sesi susulan harus mengikuti sesi yang sudah selesai di lokasi yang sama.")
        return None, None
    absentees = data.get("absentees")
    if absentees in (None, ""):
        return source, None
    n = parse.parse_id(absentees) if str(absentees).strip() != "0" else 0
    if n is None:
        errors["absentees"] = _("Jumlah warga yang belum hadir harus bilangan bulat tidak negatif.")
        return source, None
    return source, n


# ---------------------------------------------------------------- plan and change

def create_session(user, data: Mapping[str, Any], *, today: Optional[date] = None) -> RecordingSession:
    """Plan a new session (status rencana) after checking input, scope, conflicts; commit and audit it."""
    if not permissions.can_plan(user):
        raise NotAllowed(_("Hanya admin dan koordinator kecamatan yang dapat merencanakan sesi."))
    override = parse.parse_reason(data)
    values = parse.parse_new(data, today or clock.local_today())
    errors: dict[str, str] = {}
    parse.check_new_values(values, None, today or clock.local_today(), errors)
    mop_up_of, absentees = _mop_up_source(data, values, errors)
    if errors:
        raise ValidationFailed(errors)
    site = db.session.get(Site, values["site_id"])
    verdict, kits = _checked_booking(user, site, values, None, override)
    if "target_groups" not in values or not values["target_groups"]:
        values["target_groups"] = _default_groups(site)
    estimate = checks.estimate_turnout(site, kind=values["kind"], kit_count=len(kits), start=values["start"],
                                       end=values["end"], days=checks.days_of(values), absentees=absentees)
    session = RecordingSession(
        desa_kode=site.desa_kode, kecamatan_kode=site.kecamatan_kode, kabupaten_kode=site.kabupaten_kode,
        provinsi_kode=site.provinsi_kode, status=workflow.RENCANA, expected_turnout=estimate.expected,
        turnout_reasoning=estimate.reasoning, override_reason=override if verdict.warnings else "",
        created_by_id=user.id, mop_up_of_id=mop_up_of.id if mop_up_of else None,
        mop_up_absentees=absentees if mop_up_of else None)
    _apply(session, values)
    db.session.add(session)
    db.session.flush()
    _reallocate(session)
    changes = {k: [None, v] for k, v in audit_values(values).items() if v not in (None, "", [], ())}
    changes["expected_turnout"] = [None, session.expected_turnout]
    record_change(AUDIT_ENTITY, session.id, "create", user.id, changes,
                  reason=_override_note(verdict, override))
    return _commit(session)


def update_session(user, session: RecordingSession, data: Mapping[str, Any], *, expected_version=None,
                   today: Optional[date] = None) -> RecordingSession:
    """Change the fields present in `data`. A change of site, date, time, team or kits is checked again
    (conflicts, with `override_reason` for warnings); a confirmed session is moved only by postponing it."""
    if isinstance(data, Mapping) and expected_version is None:
        expected_version = data.get("version")
    _check_version(session, expected_version)
    if session.status not in workflow.EDITABLE:
        raise ValidationFailed({"status": _("Sesi berstatus %(status)s tidak dapat diubah lagi.",
                                            status=session_status_labels()[session.status])})
    override = parse.parse_reason(data)
    before = parse.current_values(session)
    values = parse.merged_values(session, parse.parse_session_data(data, partial=True))
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    errors: dict[str, str] = {}
    parse.check_new_values(values, session, today or clock.local_today(), errors)
    moved = {"date", "end_date", "start", "end"} & set(changed)
    if moved and session.status not in workflow.RESCHEDULABLE:
        errors[sorted(moved)[0]] = _("Sesi yang sudah dikonfirmasi dipindah dengan menundanya (status ditunda), "
                                     "agar tanggal lama tetap tercatat.")
    if errors:
        raise ValidationFailed(errors)
    if not changed:
        return session
    verdict = Verdict()
    site = session.site if "site_id" not in changed else db.session.get(Site, values["site_id"])
    if set(SCHEDULE_FIELDS) & set(changed):
        verdict, _kits = _checked_booking(user, site, values, session.id, override)
    old_plain, new_plain = audit_values(before), audit_values(changed)
    audit = {k: [old_plain.get(k), new_plain[k]] for k in changed}
    estimate = None
    old_site = session.site
    if {"site_id", "kit_ids", "start", "end", "date", "end_date", "kind"} & set(changed):
        estimate = checks.estimate_turnout(site, kind=values["kind"], kit_count=len(values["kit_ids"]),
                                           start=values["start"], end=values["end"], days=checks.days_of(values),
                                           session_id=session.id)
    with db.session.no_autoflush:  # one UPDATE, so `version` goes up by one
        if "site_id" in changed:
            session.desa_kode, session.kecamatan_kode = site.desa_kode, site.kecamatan_kode
            session.kabupaten_kode, session.provinsi_kode = site.kabupaten_kode, site.provinsi_kode
        _apply(session, values)
        if estimate is not None:
            if estimate.expected != session.expected_turnout:
                audit["expected_turnout"] = [session.expected_turnout, estimate.expected]
            session.expected_turnout, session.turnout_reasoning = estimate.expected, estimate.reasoning
        if verdict.warnings:
            session.override_reason = override
        session.updated_at = utcnow()
        record_change(AUDIT_ENTITY, session.id, "update", user.id, audit, reason=_override_note(verdict, override))
    db.session.flush()
    _reallocate(session, old_site)
    return _commit(session)


# ---------------------------------------------------------------- the workflow

def change_status(user, session: RecordingSession, status: str, *, reason: str = "", confirmed_with: str = "",
                  confirmed_at: Optional[datetime] = None, new_date=None, new_end_date=None, new_start=None,
                  new_end=None, override_reason: str = "", expected_version=None,
                  today: Optional[date] = None) -> RecordingSession:
    """Move a session along the workflow (the rules: outreach.planning.workflow.check_transition).

    terkonfirmasi: `confirmed_with` (contact at the site) required; `confirmed_at` defaults to now.
    dibatalkan: `reason` required. ditunda: `new_date` required (new times and end date optional: by
    default the same hours and number of days); the new slot is checked like a new booking and the old
    one is kept in the postponement history. selesai is refused here: see mark_finished.
    """
    _check_version(session, expected_version)
    reason, contact, new_day = parse.parse_status_change(reason, override_reason, confirmed_with, new_date)
    errors = workflow.check_transition(session.status, status, reason=reason, new_date=new_day,
                                       confirmed_with=contact or session.confirmed_with,
                                       today=today or clock.local_today(), labels=session_status_labels(), _=_)
    if errors:
        raise ValidationFailed(errors)
    changes: dict[str, list] = {"status": [session.status, status]}
    if status == workflow.DITUNDA:
        _postpone(user, session, new_day, parse.parse_new_slot(new_end_date, new_start, new_end), reason,
                  override_reason, changes)
    elif status == workflow.TERKONFIRMASI:
        when = confirmed_at or utcnow()
        if contact and contact != session.confirmed_with:
            changes["confirmed_with"] = [session.confirmed_with, contact]
            session.confirmed_with = contact
        changes["confirmed_at"] = [iso(session.confirmed_at), when.isoformat()]
        session.confirmed_at = when
    elif status == workflow.DIBATALKAN:
        changes["cancel_reason"] = [session.cancel_reason, reason]
        session.cancel_reason = reason
    session.status = status
    session.updated_at = utcnow()
    record_change(AUDIT_ENTITY, session.id, f"status:{status}", user.id, changes, reason=reason)
    follow_session(session, user)
    db.session.flush()
    _reallocate(session)
    return _commit(session)


def _postpone(user, session: RecordingSession, new_date: date, new_slot: tuple, reason: str,
              override_reason: str, changes: dict) -> None:
    """Move `session` to its new slot (checked like a new booking), keeping the old one in its history."""
    end_date, start, end = new_slot
    span = (session.last_date - session.date).days
    values = {"date": new_date, "end_date": end_date or (new_date + timedelta(days=span) if span else None),
              "start": start or session.start_time, "end": end or session.end_time, "team_id": session.team_id,
              "kit_ids": tuple(link.kit_id for link in session.kit_links), "kind": session.kind}
    shape: dict[str, str] = {}
    parse.check_schedule_shape(values, shape)
    shape = {{"end": "new_end", "end_date": "new_end_date"}.get(k, k): v for k, v in shape.items()}
    if shape:
        raise ValidationFailed(shape)
    if (values["date"], values["end_date"], values["start"], values["end"]) == \
            (session.date, session.end_date, session.start_time, session.end_time):
        raise ValidationFailed({"new_date": _("Tanggal dan jam baru sama dengan jadwal sekarang.")})
    # The site and team stay, so scope was settled when the session was planned.
    verdict, kits = _checked_booking(user, session.site, values, session.id, override_reason, check_scope=False)
    estimate = checks.estimate_turnout(session.site, kind=session.kind, kit_count=len(kits), start=values["start"],
                                       end=values["end"], days=checks.days_of(values), session_id=session.id)
    session.postponements.append(SessionPostponement(
        old_date=session.date, old_end_date=session.end_date, old_start_time=session.start_time,
        old_end_time=session.end_time, new_date=values["date"], new_end_date=values["end_date"],
        new_start_time=values["start"], new_end_time=values["end"], reason=reason, user_id=user.id))
    for key, attr in (("date", "date"), ("end_date", "end_date"), ("start", "start_time"), ("end", "end_time")):
        old = getattr(session, attr)
        if old != values[key]:
            plain = audit_values({"old": old, "new": values[key]})
            changes[key] = [plain["old"], plain["new"]]
        setattr(session, attr, values[key])
    if verdict.warnings:
        session.override_reason = (override_reason or "").strip()
    set_kits(session, values["kit_ids"])
    session.expected_turnout, session.turnout_reasoning = estimate.expected, estimate.reasoning


def confirm_session(user, session: RecordingSession, confirmed_with: str, **kw) -> RecordingSession:
    return change_status(user, session, workflow.TERKONFIRMASI, confirmed_with=confirmed_with, **kw)


def cancel_session(user, session: RecordingSession, reason: str, **kw) -> RecordingSession:
    return change_status(user, session, workflow.DIBATALKAN, reason=reason, **kw)


def postpone_session(user, session: RecordingSession, new_date, **kw) -> RecordingSession:
    return change_status(user, session, workflow.DITUNDA, new_date=new_date, **kw)


def mark_finished(session: RecordingSession, user: Optional[User] = None, *, commit: bool = True,
                  note: str = "", by_log: bool = False) -> RecordingSession:
    """Set a confirmed session to selesai: for the turnout log, which calls it with commit=False
    inside its own transaction. Raises ValidationFailed when the workflow does not allow it.

    `by_log=True` (the turnout log) also finishes a rencana or ditunda session: see workflow.LOGGABLE."""
    errors = workflow.check_transition(session.status, workflow.SELESAI, manual=False, by_log=by_log,
                                       labels=session_status_labels(), _=_)
    if errors:
        raise ValidationFailed(errors)
    record_change(AUDIT_ENTITY, session.id, "status:selesai", user.id if user else None,
                  {"status": [session.status, workflow.SELESAI]}, reason=note)
    session.status = workflow.SELESAI
    session.updated_at = utcnow()
    follow_session(session, user)
    db.session.flush()
    _reallocate(session)
    if commit:
        return _commit(session)
    return session


# ---------------------------------------------------------------- the area calendar link

def rotate_area_calendar_link(user: User) -> str:
    """Give the user's area calendar link a new secret (audited, the secret itself is not): the old link stops
    answering. The caller has checked permissions.has_area_calendar."""
    secret = user.new_calendar_secret()
    record_change("user", user.id, "rotate_calendar_link", user.id, {})
    db.session.commit()
    return secret
