"""Planning service: the database side of recording sessions. Views and the API call only this.

Reading (always scoped to the user):
    sessions_query(user, filters)        a SELECT of visible sessions, filtered, in calendar order
    list_sessions(user, filters, page, per_page) -> Page(total, items)   (site, team, kits preloaded)
    get_session(user, session_id)        one visible session, or None (another kecamatan's: None)
    visible_teams(user), visible_kits(user, team_id=None)
    allowed_status_targets(session)      (who may see, plan or edit: outreach.permissions)
    session_to_dict(session)             the API's JSON shape
    session_history(session)             audit trail + postponements, newest first, for the session page

Checking and writing (each write is one transaction that locks the team and kits before it checks;
it commits, or rolls back and raises):
    check_session(user, data, session_id=None) -> CheckResult   dry run for forms: errors, conflicts, estimate
    create_session(user, data) -> RecordingSession
    update_session(user, session_id, data, expected_version=None) -> RecordingSession
    change_status(user, session_id, status, ...) -> RecordingSession
        (confirm_session / cancel_session / postpone_session are shorthands)
    mark_finished(session, user=None, commit=True)             for the turnout log (issue 4)
    propose_mop_up(user, session_id, absentees=None) -> dict   a follow-up session, not saved (absentees
                                                               default: from the session's turnout log)
    mop_up_absentees(session) -> planning.mop_up.Absentees     that default, per not-recorded reason

`data` is a mapping of raw values, as JSON or a form gives them (strings, or date/time objects):
    site_id, date (YYYY-MM-DD), end_date (optional, multi-day), start, end (HH:MM), team_id,
    kit_ids (list or comma-separated), kind, target_groups (list or comma-separated), notes,
    confirmed_with, override_reason (to override warnings), mop_up_of_id and absentees (mop-up).

Errors are exceptions carrying Indonesian messages:
    ValidationFailed(errors={field: message})   -> 422
    ConflictsFound(conflicts=[Conflict, ...])   -> 409 (errors, or warnings without override_reason)
    StaleSession                                 -> 409 (someone else changed the session first)
    NotAllowed                                   -> 403,  NotFound -> 404

Concurrency: two planners booking the same kit at once must not both succeed. Before checking,
a write locks what it books: on PostgreSQL `SELECT ... FOR UPDATE` on the team row, then the kit
rows in id order (one global order, so no deadlock); on SQLite the transaction starts with
`BEGIN IMMEDIATE` (one writer at a time). The check then sees every booking committed before it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping, Optional

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from outreach import clock, permissions
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Kit, Site, Team, User
from outreach.models.audit import AuditEntry, record_change
from outreach.models.base import utcnow
from outreach.models.planning import (ACTIVE_STATUSES, MAX_SESSION_DAYS, NOTES_MAX_CHARS, REASON_MAX_CHARS,
                                      SESSION_KINDS, SESSION_STATUSES, TARGET_GROUPS, RecordingSession,
                                      SessionKit, SessionPostponement)
from outreach.planning import capacity, workflow
from outreach.planning.conflicts import (Booking, Conflict, KitInfo, Place, Proposal, Slot, Verdict, find_conflicts,
                                         is_open_day, refusals, window)
from outreach.permissions import scope_of


AUDIT_ENTITY = "recording_session"
SCHEDULE_FIELDS = ("site_id", "date", "end_date", "start", "end", "team_id", "kit_ids")
SESSION_FIELDS = SCHEDULE_FIELDS + ("kind", "target_groups", "notes", "confirmed_with")
# Model attribute for each input field whose name differs.
_ATTR = {"start": "start_time", "end": "end_time"}
CONFIRMED_WITH_MAX_CHARS = 120
MOP_UP_MIN_DAYS = 7
MOP_UP_SEARCH_DAYS = 60


# ---------------------------------------------------------------- errors

class PlanningError(Exception):
    status = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ValidationFailed(PlanningError):
    """Bad input: {field: message}."""
    status = 422

    def __init__(self, errors: dict[str, str], values: Optional[dict] = None):
        super().__init__(_("Data sesi tidak valid. Periksa isian yang ditandai."))
        self.errors = errors
        self.values = values or {}  # what did parse, so the other checks can still run on it


class ConflictsFound(PlanningError):
    """The session clashes with other sessions or the calendar."""
    status = 409

    def __init__(self, conflicts: list[Conflict]):
        verdict = Verdict(list(conflicts))
        if verdict.errors:
            message = _("Jadwal bentrok dengan sesi lain dan tidak dapat disimpan.")
        else:
            message = _("Ada peringatan jadwal. Untuk tetap menyimpan, isi alasan pengecualian (override_reason).")
        super().__init__(message)
        self.conflicts = verdict.conflicts
        self.overridable = not verdict.errors


class StaleSession(PlanningError):
    status = 409

    def __init__(self):
        super().__init__(_("Sesi ini baru saja diubah oleh pengguna lain. Muat ulang lalu ulangi perubahan Anda."))


class NotAllowed(PlanningError):
    status = 403

    def __init__(self, message: str = ""):
        super().__init__(message or _("Anda tidak berwenang mengubah sesi ini."))


class NotFound(PlanningError):
    status = 404

    def __init__(self):
        super().__init__(_("Sesi tidak ditemukan."))


# ---------------------------------------------------------------- labels and settings

def status_labels() -> dict[str, str]:
    return {"rencana": _("Rencana"), "terkonfirmasi": _("Terkonfirmasi"), "selesai": _("Selesai"),
            "dibatalkan": _("Dibatalkan"), "ditunda": _("Ditunda")}


def kind_labels() -> dict[str, str]:
    return {"perekaman": _("Perekaman"), "sosialisasi": _("Sosialisasi"),
            "keduanya": _("Perekaman dan sosialisasi")}


def target_group_labels() -> dict[str, str]:
    """Labels of a session's target groups: the recorded groups of outreach.vocab."""
    from outreach import vocab

    return vocab.recorded_group_labels()


def _setting(name: str, default):
    return current_app.config.get(name, default)


local_today = clock.local_today


def _locale() -> str:
    if has_request_context():
        from flask_babel import get_locale
        loc = get_locale()
        if loc is not None:
            return str(loc)
    return _setting("BABEL_DEFAULT_LOCALE", "id")


def holidays_between(first: date, last: date) -> dict[date, str]:
    """National days off from `first` to `last` (public holidays of HOLIDAY_COUNTRY, cuti bersama, national
    election days, as corrected in the planning calendar), named in the current locale."""
    from outreach.planning import calendar as planning_calendar

    return planning_calendar.national_holidays(first, last)


def session_hours_setting() -> tuple[float, float]:
    """(SESSION_MIN_HOURS, SESSION_MAX_HOURS): the session length outside which a session gets a warning."""
    return float(_setting("SESSION_MIN_HOURS", 2)), float(_setting("SESSION_MAX_HOURS", 6))


# ---------------------------------------------------------------- parsing raw input

def _parse_date(value, label: str) -> tuple[Optional[date], Optional[str]]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        return date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, _("%(label)s \"%(value)s\" bukan tanggal yang sah; tulis dengan format TTTT-BB-HH, "
                       "mis. 2026-05-04.", label=label, value=str(value)[:40])


def _parse_time(value, label: str) -> tuple[Optional[time], Optional[str]]:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0), None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    text = str(value).strip().replace(".", ":")
    if len(text) == 4 and text[1] == ":":  # "8:00"
        text = "0" + text
    try:
        parsed = time.fromisoformat(text)
        return parsed.replace(second=0, microsecond=0), None
    except ValueError:
        return None, _("%(label)s \"%(value)s\" bukan jam yang sah; tulis dengan format JJ:MM, mis. 08:00.",
                       label=label, value=str(value)[:40])


_ID_MAX = 2**31 - 1  # database INTEGER: a larger id cannot exist


def _parse_id(value) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= _ID_MAX else None
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 < n <= _ID_MAX else None


def _parse_list(value) -> Optional[list]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return None


def parse_session_data(data: Mapping[str, Any], *, partial: bool = False) -> dict:
    """Parse raw values into {input field: python value} (only the fields present when `partial`).

    Raises ValidationFailed with one Indonesian message per bad field.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed({"_": _("Isi permintaan harus berupa objek JSON.")})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def present(key):
        return key in data or not partial

    for key, label in (("site_id", _("Lokasi")), ("team_id", _("Tim"))):
        if present(key):
            raw = data.get(key)
            parsed = _parse_id(raw)
            if raw in (None, ""):
                errors[key] = _("%(label)s wajib dipilih.", label=label)
            elif parsed is None:
                errors[key] = _("%(label)s tidak valid: \"%(value)s\".", label=label, value=str(raw)[:40])
            else:
                values[key] = parsed
    for key, label, required in (("date", _("Tanggal"), True), ("end_date", _("Tanggal selesai"), False)):
        if present(key):
            parsed, error = _parse_date(data.get(key), label)
            if error:
                errors[key] = error
            elif parsed is None and required:
                errors[key] = _("Tanggal wajib diisi.")
            else:
                values[key] = parsed
    for key, label in (("start", _("Jam mulai")), ("end", _("Jam selesai"))):
        if present(key):
            parsed, error = _parse_time(data.get(key), label)
            if error:
                errors[key] = error
            elif parsed is None:
                errors[key] = _("%(label)s wajib diisi.", label=label)
            else:
                values[key] = parsed
    if present("kit_ids"):
        raw = _parse_list(data.get("kit_ids"))
        ids = [_parse_id(v) for v in raw] if raw is not None else None
        if ids is None or any(i is None for i in ids):
            errors["kit_ids"] = _("Daftar alat tidak valid; kirim nomor alat, mis. [1, 2].")
        else:
            values["kit_ids"] = tuple(sorted(set(ids)))
    if present("kind"):
        kind = data.get("kind") or "perekaman"
        if kind not in SESSION_KINDS:
            errors["kind"] = _("Jenis sesi harus salah satu dari: perekaman, sosialisasi, keduanya.")
        else:
            values["kind"] = kind
    if present("target_groups") and "target_groups" in data:
        groups = _parse_list(data.get("target_groups"))
        if groups is None or any(g not in TARGET_GROUPS for g in groups):
            errors["target_groups"] = _("Sasaran harus dari: pemilih_pemula, umum, lansia_disabilitas.")
        else:
            values["target_groups"] = tuple(g for g in TARGET_GROUPS if g in groups)
    for key, limit, label in (("notes", NOTES_MAX_CHARS, _("Catatan")),
                              ("confirmed_with", CONFIRMED_WITH_MAX_CHARS, _("Nama kontak"))):
        if key in data:
            text = data.get(key) or ""
            if not isinstance(text, str):
                errors[key] = _("%(label)s harus berupa teks.", label=label)
            elif len(text) > limit:
                errors[key] = _("%(label)s terlalu panjang: %(length)s karakter, paling banyak %(limit)s. "
                                "Persingkat lalu simpan lagi.", label=label, length=f"{len(text):,}".replace(",", "."),
                                limit=f"{limit:,}".replace(",", "."))
            else:
                values[key] = text.strip()
    if errors:
        raise ValidationFailed(errors, values)
    return values


def _parse_new(data: Mapping[str, Any], today: date) -> dict:
    """Parse a new session's input; on bad input report every problem at once: the field errors
    together with those of the schedule checks (times in order, not in the past, kits) on what parsed."""
    try:
        return _merged_values(None, parse_session_data(data))
    except ValidationFailed as exc:
        more: dict[str, str] = {}
        _check_new_values(exc.values, None, today, more)
        raise ValidationFailed({**more, **exc.errors}, exc.values) from None


def _reason(data: Mapping, key: str = "override_reason") -> str:
    text = data.get(key) if isinstance(data, Mapping) else None
    if text is None:
        return ""
    if not isinstance(text, str) or len(text) > REASON_MAX_CHARS:
        raise ValidationFailed({key: _("Alasan harus berupa teks, paling banyak %(limit)s karakter.",
                                       limit=f"{REASON_MAX_CHARS:,}".replace(",", "."))})
    return text.strip()


def _check_schedule_shape(values: Mapping, errors: dict) -> None:
    """Dates and times in order, a sane span, kits present when recording."""
    d, end_d, start, end = values.get("date"), values.get("end_date"), values.get("start"), values.get("end")
    if start and end and end <= start:
        errors["end"] = _("Jam selesai harus setelah jam mulai.")
    if d and end_d:
        if end_d < d:
            errors["end_date"] = _("Tanggal selesai tidak boleh sebelum tanggal mulai.")
        elif (end_d - d).days + 1 > MAX_SESSION_DAYS:
            errors["end_date"] = _("Satu sesi paling lama %(days)s hari; pecah menjadi beberapa sesi.",
                                   days=MAX_SESSION_DAYS)
    if values.get("kind", "perekaman") in capacity.RECORDING_KINDS and not values.get("kit_ids"):
        errors["kit_ids"] = _("Pilih minimal satu alat perekam untuk sesi perekaman.")


# ---------------------------------------------------------------- reading

def allowed_status_targets(session: RecordingSession) -> list[str]:
    """Statuses a planner may set on `session` now (for the buttons of the session page)."""
    return workflow.allowed_targets(session.status)


def get_session(user, session_id: int) -> Optional[RecordingSession]:
    """The session if `user` may see it, else None (never reveal another kecamatan's session)."""
    session = db.session.get(RecordingSession, session_id)
    if session is None or not permissions.can_see_session(user, session):
        return None
    return session


@dataclass
class SessionFilters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    statuses: tuple = ()
    team_id: Optional[int] = None
    kecamatan_kode: Optional[str] = None
    desa_kode: Optional[str] = None
    site_id: Optional[int] = None
    site_type: Optional[str] = None
    kind: Optional[str] = None


def parse_filters(args: Mapping[str, Any]) -> SessionFilters:
    """Filters from query-string style values (from, to, status, team_id, kecamatan, desa, site_id, site_type,
    kind); raises ValidationFailed for values that cannot be understood."""
    errors: dict[str, str] = {}
    f = SessionFilters()
    f.date_from, err = _parse_date(args.get("from"), _("Tanggal awal"))
    if err:
        errors["from"] = err
    f.date_to, err = _parse_date(args.get("to"), _("Tanggal akhir"))
    if err:
        errors["to"] = err
    if f.date_from and f.date_to and f.date_to < f.date_from:
        errors["to"] = _("Tanggal akhir tidak boleh sebelum tanggal awal.")
    statuses = tuple(s for s in (args.get("status") or "").split(",") if s)
    if any(s not in SESSION_STATUSES for s in statuses):
        errors["status"] = _("Status harus dari: %(list)s.", list=", ".join(SESSION_STATUSES))
    f.statuses = statuses
    for key in ("team_id", "site_id"):
        raw = args.get(key)
        if raw not in (None, ""):
            value = _parse_id(raw)
            if value is None:
                errors[key] = _("Nomor tidak valid: \"%(value)s\".", value=str(raw)[:40])
            setattr(f, key, value)
    f.kecamatan_kode = args.get("kecamatan") or None
    f.desa_kode = args.get("desa") or None
    f.site_type = args.get("site_type") or None
    kind = args.get("kind") or None
    if kind and kind not in SESSION_KINDS:
        errors["kind"] = _("Jenis sesi harus salah satu dari: perekaman, sosialisasi, keduanya.")
    f.kind = kind
    if errors:
        raise ValidationFailed(errors)
    return f


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


@dataclass
class Page:
    total: int
    items: list
    page: int
    per_page: int


def list_sessions(user, filters: Optional[SessionFilters] = None, page: int = 1, per_page: int = 50) -> Page:
    """One page of visible sessions with site, team and kits loaded (three queries in all)."""
    q = sessions_query(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.order_by(None).subquery()))
    page = max(page, 1)
    items = db.session.scalars(_with_relations(q).limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(total, list(items), page, per_page)


def sessions_between(user, first: date, last: date, *, team_id: Optional[int] = None,
                     kecamatan_kode: Optional[str] = None, statuses: Iterable[str] = ()) -> list[RecordingSession]:
    """Every visible session touching [first, last] (for calendars and printed schedules)."""
    f = SessionFilters(date_from=first, date_to=last, team_id=team_id, kecamatan_kode=kecamatan_kode,
                       statuses=tuple(statuses))
    return list(db.session.scalars(_with_relations(sessions_query(user, f))).unique())


def visible_teams(user) -> list[Team]:
    return list(db.session.scalars(sa.select(Team).where(permissions.teams_clause(user)).order_by(Team.nama)))


def visible_kits(user, team_id: Optional[int] = None, status: Optional[str] = None) -> list[Kit]:
    q = sa.select(Kit).where(permissions.kits_clause(user))
    if team_id:
        q = q.where(Kit.team_id == team_id)
    if status:
        q = q.where(Kit.status == status)
    return list(db.session.scalars(q.order_by(Kit.code)))


def _hhmm(t: Optional[time]) -> Optional[str]:
    return t.strftime("%H:%M") if t else None


def _iso(v) -> Optional[str]:
    return v.isoformat() if v is not None else None


def session_to_dict(s: RecordingSession) -> dict:
    """A session as the API shows it (site, team and kits should be loaded)."""
    return {
        "id": s.id, "site_id": s.site_id, "site_name": s.site.nama if s.site else None,
        "site_type": s.site.type if s.site else None,
        "date": _iso(s.date), "end_date": _iso(s.end_date), "start": _hhmm(s.start_time), "end": _hhmm(s.end_time),
        "team_id": s.team_id, "team_name": s.team.nama if s.team else None,
        "kit_ids": s.kit_ids, "kit_codes": [k.code for k in s.kits],
        "kind": s.kind, "target_groups": list(s.target_groups or []), "status": s.status,
        "expected_turnout": s.expected_turnout, "turnout_reasoning": s.turnout_reasoning,
        "confirmed_with": s.confirmed_with, "confirmed_at": _iso(s.confirmed_at),
        "cancel_reason": s.cancel_reason, "notes": s.notes, "override_reason": s.override_reason,
        "mop_up_of_id": s.mop_up_of_id,
        "desa_kode": s.desa_kode, "kecamatan_kode": s.kecamatan_kode, "kabupaten_kode": s.kabupaten_kode,
        "provinsi_kode": s.provinsi_kode, "created_by_id": s.created_by_id, "version": s.version,
        "created_at": _iso(s.created_at), "updated_at": _iso(s.updated_at),
    }


def postponement_to_dict(p: SessionPostponement) -> dict:
    return {"old_date": _iso(p.old_date), "old_end_date": _iso(p.old_end_date), "old_start": _hhmm(p.old_start_time),
            "old_end": _hhmm(p.old_end_time), "new_date": _iso(p.new_date), "new_end_date": _iso(p.new_end_date),
            "new_start": _hhmm(p.new_start_time), "new_end": _hhmm(p.new_end_time), "reason": p.reason,
            "user_id": p.user_id, "at": _iso(p.at)}


def session_history(session: RecordingSession) -> list[AuditEntry]:
    """The audit trail of a session (who, when, {field: [old, new]}, reason), newest first, users loaded."""
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity == AUDIT_ENTITY, AuditEntry.entity_id == str(session.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))


# ---------------------------------------------------------------- locking

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


# ---------------------------------------------------------------- checking

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


def _kit_info(kit: Kit) -> KitInfo:
    return KitInfo(kit.id, kit.code, kit.status, kit.office_kode)


def _team_info(team: Optional[Team]) -> Optional[dict]:
    if team is None:
        return None
    return {"nama": team.nama, "office_kode": team.office_kode, "active": team.active}


def _refuse(user, site: Optional[Site], team: Optional[Team], kits: list[Kit], kit_ids: Iterable[int],
            check_scope: bool = True) -> dict[str, str]:
    if site is None:
        errors = {"site_id": _("Lokasi tidak ditemukan.")}
        if team is None:
            errors["team_id"] = _("Tim tidak ditemukan.")
        return errors
    return refusals(site_kode=site.desa_kode, site_name=site.nama, site_active=site.active,
                    site_kabupaten=site.kabupaten_kode, scope_kode=scope_of(user) if check_scope else None,
                    team=_team_info(team), kits=[_kit_info(k) for k in kits],
                    missing_kit_ids=set(kit_ids) - {k.id for k in kits}, _=_)


def _verdict(slot: Slot, site_id: int, team: Team, kits: list[Kit], exclude_id: Optional[int],
             place: Optional[Place] = None, kind: str = "perekaman") -> Verdict:
    """The rules of outreach.planning.conflicts for a session at `site_id`: other sessions, session length
    (for sessions that record: a sosialisasi meeting may be short), and the planning calendar of the site
    (`place`, loaded when not given)."""
    from outreach.planning import calendar as planning_calendar

    kit_ids = frozenset(k.id for k in kits)
    bookings = load_bookings(slot, team_id=team.id, kit_ids=kit_ids, site_id=site_id, exclude_id=exclude_id)
    proposal = Proposal(slot=slot, site_id=site_id, team_id=team.id, kit_ids=kit_ids, team_name=team.nama,
                        session_id=exclude_id)
    if place is None:
        place = planning_calendar.place_for_site(db.session.get(Site, site_id), slot.date, slot.last_date)
    return find_conflicts(proposal, bookings, {k.id: _kit_info(k) for k in kits},
                          travel_buffer=timedelta(minutes=int(_setting("TRAVEL_BUFFER_MINUTES", 60))),
                          place=place, session_hours=session_hours_setting() if kind in capacity.RECORDING_KINDS
                          else None, locale=_locale(), _=_)


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


def check_session(user, data: Mapping[str, Any], *, session_id: Optional[int] = None,
                  today: Optional[date] = None) -> CheckResult:
    """What saving `data` would run into, without saving or locking (for forms: show before submitting)."""
    result = CheckResult()
    existing = None
    if session_id is not None:
        existing = get_session(user, session_id)
        if existing is None:
            raise NotFound()
    try:
        if existing is None:
            values = _parse_new(data, today or local_today())
        else:
            values = _merged_values(existing, parse_session_data(data, partial=True))
    except ValidationFailed as exc:
        result.errors = exc.errors
        return result
    _check_new_values(values, existing, today or local_today(), result.errors)
    site = db.session.get(Site, values["site_id"])
    team = db.session.get(Team, values["team_id"])
    kits = list(db.session.scalars(sa.select(Kit).where(Kit.id.in_(values["kit_ids"])))) if values["kit_ids"] else []
    result.errors.update(_refuse(user, site, team, kits, values["kit_ids"]))
    if site is not None:
        result.estimate = estimate_turnout(site, kind=values["kind"], kit_count=len(kits), start=values["start"],
                                           end=values["end"], days=_days(values), session_id=session_id)
    if not result.errors:
        result.conflicts = _verdict(_slot(values), site.id, team, kits, session_id, kind=values["kind"]).conflicts
    return result


# ---------------------------------------------------------------- writing

def _slot(values: Mapping) -> Slot:
    return Slot(values["date"], values["start"], values["end"], values.get("end_date"))


def _days(values: Mapping) -> int:
    return ((values.get("end_date") or values["date"]) - values["date"]).days + 1


def _current_values(s: RecordingSession) -> dict:
    return {"site_id": s.site_id, "date": s.date, "end_date": s.end_date, "start": s.start_time, "end": s.end_time,
            "team_id": s.team_id, "kit_ids": tuple(sorted(link.kit_id for link in s.kit_links)), "kind": s.kind,
            "target_groups": tuple(s.target_groups or ()), "notes": s.notes, "confirmed_with": s.confirmed_with}


def _merged_values(existing: Optional[RecordingSession], new: dict) -> dict:
    values = _current_values(existing) if existing is not None else {}
    values.update(new)
    if values.get("end_date") == values.get("date"):
        values["end_date"] = None
    values.setdefault("kind", "perekaman")
    values.setdefault("notes", "")
    values.setdefault("confirmed_with", "")
    values.setdefault("kit_ids", ())
    return values


def _default_groups(site: Site) -> tuple:
    return ("pemilih_pemula",) if site.type == "sekolah" else ("umum",)


def _check_new_values(values: dict, existing: Optional[RecordingSession], today: date, errors: dict) -> None:
    _check_schedule_shape(values, errors)
    moved = existing is None or values["date"] != existing.date
    if moved and values.get("date") and values["date"] < today and "date" not in errors:
        errors["date"] = (_("Tanggal %(date)s sudah lewat; sesi baru tidak dapat dijadwalkan di masa lalu.",
                            date=values["date"].isoformat()) if existing is None else
                          _("Sesi tidak dapat dipindah ke tanggal yang sudah lewat (%(date)s).",
                            date=values["date"].isoformat()))


def _fail(exc: PlanningError):
    db.session.rollback()  # releases the locks; nothing of this request is kept
    raise exc


def _audit_values(values: Mapping) -> dict:
    out = {}
    for key, v in values.items():
        if isinstance(v, (date, time)):
            v = v.isoformat(timespec="minutes") if isinstance(v, time) else v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        out[key] = v
    return out


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


def create_session(user, data: Mapping[str, Any], *, today: Optional[date] = None) -> RecordingSession:
    """Plan a new session (status rencana) after checking input, scope, conflicts; commit and audit it."""
    if not permissions.can_plan(user):
        raise NotAllowed(_("Hanya admin dan koordinator kecamatan yang dapat merencanakan sesi."))
    override = _reason(data)
    values = _parse_new(data, today or local_today())
    errors: dict[str, str] = {}
    _check_new_values(values, None, today or local_today(), errors)
    mop_up_of, absentees = _mop_up_source(data, values, errors)
    if errors:
        raise ValidationFailed(errors)
    site = db.session.get(Site, values["site_id"])
    team, kits = lock_resources(values["team_id"], values["kit_ids"])
    refused = _refuse(user, site, team, kits, values["kit_ids"])
    if refused:
        _fail(ValidationFailed(refused))
    verdict = _verdict(_slot(values), site.id, team, kits, None, kind=values["kind"])
    if not verdict.allows(override):
        _fail(ConflictsFound(verdict.conflicts))
    if "target_groups" not in values or not values["target_groups"]:
        values["target_groups"] = _default_groups(site)
    estimate = estimate_turnout(site, kind=values["kind"], kit_count=len(kits), start=values["start"],
                                end=values["end"], days=_days(values), absentees=absentees)
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
    changes = {k: [None, v] for k, v in _audit_values(values).items() if v not in (None, "", [], ())}
    changes["expected_turnout"] = [None, session.expected_turnout]
    record_change(AUDIT_ENTITY, session.id, "create", user.id, changes,
                  reason=_override_note(verdict, override))
    return _commit(session)


def _override_note(verdict: Verdict, override: str) -> str:
    if not verdict.warnings:
        return ""
    listed = "; ".join(c.message for c in verdict.warnings)
    return _("Peringatan diabaikan dengan alasan: %(reason)s (%(warnings)s)", reason=override, warnings=listed)


def _mop_up_source(data: Mapping, values: Mapping, errors: dict):
    """The finished session a mop-up follows, and its absentee count (both optional)."""
    raw = data.get("mop_up_of_id") if isinstance(data, Mapping) else None
    if raw in (None, ""):
        return None, None
    source = db.session.get(RecordingSession, _parse_id(raw) or -1)
    if source is None or source.site_id != values.get("site_id") or source.status != workflow.SELESAI:
        errors["mop_up_of_id"] = _("Sesi susulan harus mengikuti sesi yang sudah selesai di lokasi yang sama.")
        return None, None
    absentees = data.get("absentees")
    if absentees in (None, ""):
        return source, None
    n = _parse_id(absentees) if str(absentees).strip() != "0" else 0
    if n is None:
        errors["absentees"] = _("Jumlah warga yang belum hadir harus bilangan bulat tidak negatif.")
        return source, None
    return source, n


def _load_for_write(user, session_id: int, expected_version) -> RecordingSession:
    session = get_session(user, session_id)
    if session is None:
        raise NotFound()
    if not permissions.can_edit_session(user, session):
        raise NotAllowed()
    if expected_version not in (None, ""):
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise ValidationFailed({"version": _("Versi harus berupa angka.")})
        if expected != session.version:
            raise StaleSession()
    return session


def update_session(user, session_id: int, data: Mapping[str, Any], *, expected_version=None,
                   today: Optional[date] = None) -> RecordingSession:
    """Change the fields present in `data`. A change of site, date, time, team or kits is checked again
    (conflicts, with `override_reason` for warnings); a confirmed session is moved only by postponing it."""
    if isinstance(data, Mapping) and expected_version is None:
        expected_version = data.get("version")
    session = _load_for_write(user, session_id, expected_version)
    if session.status not in workflow.EDITABLE:
        raise ValidationFailed({"status": _("Sesi berstatus %(status)s tidak dapat diubah lagi.",
                                            status=status_labels()[session.status])})
    override = _reason(data)
    before = _current_values(session)
    values = _merged_values(session, parse_session_data(data, partial=True))
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    errors: dict[str, str] = {}
    _check_new_values(values, session, today or local_today(), errors)
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
        team, kits = lock_resources(values["team_id"], values["kit_ids"])
        refused = _refuse(user, site, team, kits, values["kit_ids"])
        if refused:
            _fail(ValidationFailed(refused))
        verdict = _verdict(_slot(values), site.id, team, kits, session.id, kind=values["kind"])
        if not verdict.allows(override):
            _fail(ConflictsFound(verdict.conflicts))
    old_plain, new_plain = _audit_values(before), _audit_values(changed)
    audit = {k: [old_plain.get(k), new_plain[k]] for k in changed}
    estimate = None
    old_site = session.site
    if {"site_id", "kit_ids", "start", "end", "date", "end_date", "kind"} & set(changed):
        estimate = estimate_turnout(site, kind=values["kind"], kit_count=len(values["kit_ids"]),
                                    start=values["start"], end=values["end"], days=_days(values),
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


def change_status(user, session_id: int, status: str, *, reason: str = "", confirmed_with: str = "",
                  confirmed_at: Optional[datetime] = None, new_date=None, new_end_date=None, new_start=None,
                  new_end=None, override_reason: str = "", expected_version=None,
                  today: Optional[date] = None) -> RecordingSession:
    """Move a session along the workflow (see outreach.planning.workflow).

    terkonfirmasi: `confirmed_with` (contact at the site) required; `confirmed_at` defaults to now.
    dibatalkan: `reason` required. ditunda: `new_date` required (new times and end date optional: by
    default the same hours and number of days); the new slot is checked like a new booking and the old
    one is kept in the postponement history. selesai is refused here: see mark_finished.
    """
    session = _load_for_write(user, session_id, expected_version)
    today = today or local_today()
    errors: dict[str, str] = {}
    for key, value in (("reason", reason), ("override_reason", override_reason)):
        if value and (not isinstance(value, str) or len(value) > REASON_MAX_CHARS):
            errors[key] = _("Alasan harus berupa teks, paling banyak %(limit)s karakter.",
                            limit=f"{REASON_MAX_CHARS:,}".replace(",", "."))
    if confirmed_with and (not isinstance(confirmed_with, str) or len(confirmed_with) > CONFIRMED_WITH_MAX_CHARS):
        errors["confirmed_with"] = _("Nama kontak paling banyak %(limit)s karakter.", limit=CONFIRMED_WITH_MAX_CHARS)
    parsed_date, err = _parse_date(new_date, _("Tanggal baru"))
    if err:
        errors["new_date"] = err
    if errors:
        raise ValidationFailed(errors)
    reason, confirmed_with = (reason or "").strip(), (confirmed_with or "").strip()
    errors = workflow.check_transition(session.status, status, reason=reason, new_date=parsed_date,
                                       confirmed_with=confirmed_with or session.confirmed_with, today=today,
                                       labels=status_labels(), _=_)
    if errors:
        raise ValidationFailed(errors)
    old_status = session.status
    changes: dict[str, list] = {"status": [old_status, status]}
    if status == workflow.DITUNDA:
        _postpone(user, session, parsed_date, new_end_date, new_start, new_end, reason, override_reason, changes)
    elif status == workflow.TERKONFIRMASI:
        when = confirmed_at or utcnow()
        if confirmed_with and confirmed_with != session.confirmed_with:
            changes["confirmed_with"] = [session.confirmed_with, confirmed_with]
            session.confirmed_with = confirmed_with
        changes["confirmed_at"] = [_iso(session.confirmed_at), when.isoformat()]
        session.confirmed_at = when
    elif status == workflow.DIBATALKAN:
        changes["cancel_reason"] = [session.cancel_reason, reason]
        session.cancel_reason = reason
    session.status = status
    session.updated_at = utcnow()
    record_change(AUDIT_ENTITY, session.id, f"status:{status}", user.id, changes, reason=reason)
    db.session.flush()
    _reallocate(session)
    return _commit(session)


def _postpone(user, session: RecordingSession, new_date: date, new_end_date, new_start, new_end, reason: str,
              override_reason: str, changes: dict) -> None:
    errors: dict[str, str] = {}
    end_date, err = _parse_date(new_end_date, _("Tanggal selesai baru"))
    if err:
        errors["new_end_date"] = err
    start, err = _parse_time(new_start, _("Jam mulai baru"))
    if err:
        errors["new_start"] = err
    end, err = _parse_time(new_end, _("Jam selesai baru"))
    if err:
        errors["new_end"] = err
    if errors:
        raise ValidationFailed(errors)
    span = (session.last_date - session.date).days
    values = {"date": new_date, "end_date": end_date or (new_date + timedelta(days=span) if span else None),
              "start": start or session.start_time, "end": end or session.end_time,
              "kit_ids": tuple(link.kit_id for link in session.kit_links), "kind": session.kind}
    shape: dict[str, str] = {}
    _check_schedule_shape(values, shape)
    shape = {{"end": "new_end", "end_date": "new_end_date"}.get(k, k): v for k, v in shape.items()}
    if shape:
        raise ValidationFailed(shape)
    if (values["date"], values["end_date"], values["start"], values["end"]) == \
            (session.date, session.end_date, session.start_time, session.end_time):
        raise ValidationFailed({"new_date": _("Tanggal dan jam baru sama dengan jadwal sekarang.")})
    team, kits = lock_resources(session.team_id, values["kit_ids"])
    refused = _refuse(user, session.site, team, kits, values["kit_ids"], check_scope=False)
    if refused:
        _fail(ValidationFailed(refused))
    verdict = _verdict(_slot(values), session.site_id, team, kits, session.id, kind=session.kind)
    if not verdict.allows(override_reason):
        _fail(ConflictsFound(verdict.conflicts))
    estimate = estimate_turnout(session.site, kind=session.kind, kit_count=len(kits), start=values["start"],
                                end=values["end"], days=_days(values), session_id=session.id)
    session.postponements.append(SessionPostponement(
        old_date=session.date, old_end_date=session.end_date, old_start_time=session.start_time,
        old_end_time=session.end_time, new_date=values["date"], new_end_date=values["end_date"],
        new_start_time=values["start"], new_end_time=values["end"], reason=reason, user_id=user.id))
    for key, attr in (("date", "date"), ("end_date", "end_date"), ("start", "start_time"), ("end", "end_time")):
        old = getattr(session, attr)
        if old != values[key]:
            plain = _audit_values({"old": old, "new": values[key]})
            changes[key] = [plain["old"], plain["new"]]
        setattr(session, attr, values[key])
    if verdict.warnings:
        session.override_reason = (override_reason or "").strip()
    set_kits(session, values["kit_ids"])
    session.expected_turnout, session.turnout_reasoning = estimate.expected, estimate.reasoning


def confirm_session(user, session_id: int, confirmed_with: str, **kw) -> RecordingSession:
    return change_status(user, session_id, workflow.TERKONFIRMASI, confirmed_with=confirmed_with, **kw)


def cancel_session(user, session_id: int, reason: str, **kw) -> RecordingSession:
    return change_status(user, session_id, workflow.DIBATALKAN, reason=reason, **kw)


def postpone_session(user, session_id: int, new_date, **kw) -> RecordingSession:
    return change_status(user, session_id, workflow.DITUNDA, new_date=new_date, **kw)


def mark_finished(session: RecordingSession | int, user: Optional[User] = None, *, commit: bool = True,
                  note: str = "", by_log: bool = False) -> RecordingSession:
    """Set a confirmed session to selesai: for the turnout log (issue 4), which calls it with commit=False
    inside its own transaction. Raises ValidationFailed when the workflow does not allow it.

    `by_log=True` (the turnout log) also finishes a rencana or ditunda session: see workflow.LOGGABLE."""
    if not isinstance(session, RecordingSession):
        session = db.session.get(RecordingSession, session)
        if session is None:
            raise NotFound()
    errors = workflow.check_transition(session.status, workflow.SELESAI, manual=False, by_log=by_log,
                                       labels=status_labels(), _=_)
    if errors:
        raise ValidationFailed(errors)
    record_change(AUDIT_ENTITY, session.id, "status:selesai", user.id if user else None,
                  {"status": [session.status, workflow.SELESAI]}, reason=note)
    session.status = workflow.SELESAI
    session.updated_at = utcnow()
    db.session.flush()
    _reallocate(session)
    if commit:
        return _commit(session)
    return session


def mop_up_absentees(session: RecordingSession):
    """The absentees a mop-up of `session` proposes by default, from its turnout log (planning.mop_up)."""
    from outreach.models.field import TurnoutLog, not_recorded_column
    from outreach.planning import mop_up

    columns = [getattr(TurnoutLog, not_recorded_column(r)) for r in mop_up.RETURN_VISIT_REASONS]
    row = db.session.execute(sa.select(*columns).where(TurnoutLog.session_id == session.id)).first()
    return mop_up.absentees_from_log(dict(zip(mop_up.RETURN_VISIT_REASONS, row)) if row else None)


def propose_mop_up(user, session_id: int, absentees=None, *, today: Optional[date] = None) -> dict:
    """A follow-up session at the same site for the people a finished session missed (not saved).

    Same site, team, kits and start time; long enough for `absentees` at the configured rate (within
    SESSION_MIN_HOURS–SESSION_MAX_HOURS); on the first working day at least a week after the session
    (and after today) where nothing clashes. `absentees` None or "": the session's log says how many
    (mop_up_absentees). The result is a `data` mapping for create_session, plus `expected_turnout`,
    `turnout_reasoning`, `conflicts` (empty unless no free day was found), `absentees_from_log`
    ({total, by_reason}) and `absentees_source` ("log" or "input").
    """
    source = get_session(user, session_id)
    if source is None:
        raise NotFound()
    if not permissions.can_edit_session(user, source):
        raise NotAllowed()
    if source.status != workflow.SELESAI:
        raise ValidationFailed({"status": _("Sesi susulan hanya dapat diusulkan dari sesi yang sudah selesai.")})
    from_log = mop_up_absentees(source)
    given = absentees not in (None, "")
    n = _parse_id(absentees) if given else (from_log.total or None)
    if n is None and not given:
        raise ValidationFailed({"absentees": _("Laporan hasil sesi ini tidak mencatat warga yang dapat direkam "
                                               "pada kunjungan ulang (gangguan alat atau jaringan, data tidak "
                                               "ditemukan di SIAK). Isi jumlah warga yang belum hadir.")})
    if n is None:
        raise ValidationFailed({"absentees": _("Jumlah warga yang belum hadir harus bilangan bulat lebih dari 0.")})
    today = today or local_today()
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
    from outreach.planning import calendar as planning_calendar

    place = planning_calendar.place_for_site(source.site, first, first + timedelta(days=MOP_UP_SEARCH_DAYS))
    chosen, conflicts = None, []
    for i in range(MOP_UP_SEARCH_DAYS):
        day = first + timedelta(days=i)
        if not is_open_day(day, place):
            continue
        verdict = _verdict(Slot(day, start, end), source.site_id, team, kits, None, place)
        if chosen is None:
            chosen, conflicts = day, verdict.conflicts
        if not verdict.conflicts:
            chosen, conflicts = day, []
            break
    chosen = chosen or first
    estimate = estimate_turnout(source.site, kind="perekaman", kit_count=len(kit_ids), start=start, end=end,
                                absentees=n)
    return {"site_id": source.site_id, "date": chosen.isoformat(), "end_date": None, "start": _hhmm(start),
            "end": _hhmm(end), "team_id": source.team_id, "kit_ids": list(kit_ids), "kind": "perekaman",
            "target_groups": list(source.target_groups or []), "mop_up_of_id": source.id, "absentees": n,
            "notes": _("Sesi susulan untuk sesi #%(id)s (%(date)s): %(n)s warga belum hadir.", id=source.id,
                       date=source.date.isoformat(), n=n),
            "expected_turnout": estimate.expected, "turnout_reasoning": estimate.reasoning,
            "conflicts": [c.as_dict() for c in conflicts],
            "absentees_from_log": from_log.as_dict(), "absentees_source": "input" if given else "log"}
