"""Writing turnout logs: the first store and its corrections, with idempotency, locking and the figures a
log moves. The API and the field pages call these; reads are outreach.field.queries, shapes
outreach.field.serialize, errors outreach.field.errors.

Each call is ONE transaction: the log, the audit entry, the desa's KnownAway rows, the school's
pemilih_pemula_recorded and the session's status selesai are committed together, or nothing is.

    save_log(user, session_id, data, idempotency_key, now=None) -> SaveResult(log, created)
        first store: created=True (API 201). A repeat with the same key and the same body: the stored
        log, created=False (API 200), nothing moves again. The same key with another body:
        IdempotencyKeyReused (422). The session already has a log (another key): LogExists (409, use PATCH).
    correct_log(user, session_id, data, expected_version, now=None) -> CorrectionResult(log, changed)
        a correction of the fields present in `data` (inside a count family only the keys sent), with an
        optional `reason` (text, kept on the correction's audit entry; see rules.parse_correction_reason).
        `expected_version` is the `version` the client read; another version: StaleLog (409) carrying
        the current log, unless the correction asks for exactly the values already stored (a retried
        correction: answered with the stored log, changed=False). Only the difference moves the figures.
    hours_after_end(session, stored_at) -> float   how late a first store came (the team figures)

Who: field users log and correct their own team's sessions, corrections within LOG_CORRECTION_HOURS
(48 h) of the first store; coordinators (their kecamatan) and admins (their scope) log and correct any
time; managers only read (NotAllowed, 403).

`data` is a mapping as JSON gives it:
    recorded {pemilih_pemula, umum, lansia_disabilitas}, recorded_by_sex {L, P},
    not_recorded {tidak_ditemukan_siak, sudah_rekam, belum_cukup_umur, gangguan_alat_jaringan, tidak_bersedia},
    away {luar_negeri, sekolah_luar_daerah, bekerja_luar_daerah, pindah_meninggal, lainnya} (the keys of
    outreach.vocab), recorded_total (optional check),
    started_at, ended_at (ISO 8601 date-time, without offset = Asia/Jakarta; or "HH:MM" on the session's
    first day), kit_ids (default: the kits booked for the session), notes (≤ 2,000 characters),
    confirm_over_capacity (true when the team confirms a figure above what the kits could record).
See outreach.field.rules for the checks and their messages.

Concurrency: a write locks the session row first (PostgreSQL SELECT ... FOR UPDATE; SQLite BEGIN
IMMEDIATE), then checks again (replay, existing log, version). KnownAway rows move with atomic
upserts (count = count + delta), so logs of two sessions in one desa never lose an increment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from outreach import permissions
from outreach.extensions import db
from outreach.field import queries, rules
from outreach.field.errors import (BadIdempotencyKey, FieldError, IdempotencyKeyReused, LogExists, LogNotFound,
                                   LogValidationFailed, NotAllowed, SessionNotFound, StaleLog)
from outreach.i18n import gettext_here as _
from outreach.models import Kit, KnownAway, RecordingSession, Site
from outreach.models.audit import record_change
from outreach.models.base import utcnow
from outreach.models.field import COUNT_COLUMNS, TurnoutLog, kit_hours_of
from outreach.planning import errors as planning_errors
from outreach.planning import operations as planning_operations
from outreach.planning import workflow
from outreach.vocab import AWAY_REASONS, away_column


# ---------------------------------------------------------------- helpers

def _lock_session(session_id: int) -> Optional[RecordingSession]:
    """Start the write: lock the session row (PostgreSQL) or take SQLite's write lock, then reload it."""
    if db.session.get_bind().dialect.name == "sqlite":
        conn = db.session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    return db.session.scalars(sa.select(RecordingSession).where(RecordingSession.id == session_id)
                              .with_for_update().execution_options(populate_existing=True)).first()


def _claim_pools(session: RecordingSession) -> None:
    """The pools the log will share out again, locked before the session (see ledger.queries.claim_pools_first)."""
    from outreach.ledger import queries as ledger_queries

    site = session.site
    schools = [site.id] if site is not None and ledger_queries.pool_of(site) == ledger_queries.SEKOLAH else []
    ledger_queries.claim_pools_first([session.desa_kode], schools)


def _fail(exc: FieldError):
    db.session.rollback()  # releases the locks; nothing of this request is kept
    raise exc


def _check_kits(kit_ids, session: RecordingSession) -> dict[str, str]:
    """Kits actually used must exist and be booked for the session or belong to the team's office."""
    if not kit_ids:
        return {}
    booked = {link.kit_id for link in session.kit_links}
    others = [i for i in kit_ids if i not in booked]  # the booked kits are the session's: nothing to look up
    if not others:
        return {}
    office = session.team.office_kode if session.team else None
    found = {k.id: k for k in db.session.scalars(sa.select(Kit).where(Kit.id.in_(others)))}
    bad = [i for i in others if i not in found or found[i].office_kode != office]
    if bad:
        return {"kit_ids": _("Alat %(ids)s tidak ditemukan atau bukan milik kantor tim ini.",
                             ids=", ".join(f"#{i}" for i in bad))}
    return {}


def _validate(data, session: RecordingSession, now: datetime, base: Optional[rules.LogValues] = None
              ) -> rules.LogValues:
    try:
        values = rules.validate_log(data, queries.session_facts(session), queries.log_settings(), now, base=base,
                                    _=_)
    except rules.LogInvalid as exc:
        raise LogValidationFailed(exc.errors)
    errors = _check_kits(values.kit_ids, session)
    if errors:
        raise LogValidationFailed(errors)
    return values


def _stored_columns(values: rules.LogValues, over_capacity: bool) -> dict:
    cols = values.columns()
    cols["over_capacity_confirmed"] = over_capacity
    return cols


def _over_capacity(values: rules.LogValues) -> bool:
    settings = queries.log_settings()
    hours = rules.hours_worked(values.started_at.astimezone(settings.tz), values.ended_at.astimezone(settings.tz))
    limit = rules.kit_capacity(len(values.kit_ids), hours, settings.records_per_kit_hour, settings.tolerance)
    return values.confirm_over_capacity and values.recorded_total > limit


def _kit_hours(values: rules.LogValues) -> float:
    """Kits used × hours worked (rules.hours_worked on the office-zone times): kept on the log, the team
    figures sum it without reading the log's row. Not an audited column: it follows the times and kits."""
    return kit_hours_of(values.started_at, values.ended_at, values.kit_ids, queries.log_settings().tz)


def _current_columns(log: TurnoutLog) -> dict:
    cols = {c: getattr(log, c) for c in COUNT_COLUMNS}
    cols.update(recorded_total=log.recorded_total, started_at=rules.as_utc(log.started_at),
                ended_at=rules.as_utc(log.ended_at), kit_ids=sorted(log.kit_ids or []), notes=log.notes or "",
                over_capacity_confirmed=bool(log.over_capacity_confirmed))
    return cols


def _upsert_known_away(desa_kode: str, reason: str, delta: int) -> None:
    """Add `delta` (> 0) to the desa's known-away count for `reason`, creating the row when missing."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(KnownAway).values(desa_kode=desa_kode, reason=reason, count=delta, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["desa_kode", "reason"],
                                          set_={"count": KnownAway.count + stmt.excluded.count, "updated_at": now})
        db.session.execute(stmt)
        return
    updated = db.session.execute(sa.update(KnownAway).where(KnownAway.desa_kode == desa_kode,
                                                            KnownAway.reason == reason)
                                 .values(count=KnownAway.count + delta, updated_at=now)).rowcount
    if not updated:
        db.session.execute(sa.insert(KnownAway).values(desa_kode=desa_kode, reason=reason, count=delta,
                                                       updated_at=now))


def _move_figures(session: RecordingSession, old: Optional[Mapping], new: Mapping) -> dict:
    """Move the figures a log feeds by the difference between `old` and `new` column values:
    the desa's KnownAway per reason, and a school's pemilih_pemula_recorded. Returns {what: delta}.

    Each figure moves by the delta only, so a repeat changes nothing and a correction moves the change.
    (The desa's field-recorded count and the kecamatan/kabupaten totals are SUMs over turnout_log.)"""
    moved = {}
    for reason in AWAY_REASONS:
        column = away_column(reason)
        delta = int(new[column]) - int((old or {}).get(column) or 0)
        if delta > 0:
            _upsert_known_away(session.desa_kode, reason, delta)
        elif delta < 0:
            # Never below zero (an import may have lowered the row since the log added to it).
            after = KnownAway.count + delta
            db.session.execute(sa.update(KnownAway)
                               .where(KnownAway.desa_kode == session.desa_kode, KnownAway.reason == reason)
                               .values(count=sa.case((after < 0, 0), else_=after), updated_at=utcnow()))
        if delta:
            moved[f"known_away.{reason}"] = delta
    delta = int(new["recorded_pemilih_pemula"]) - int((old or {}).get("recorded_pemilih_pemula") or 0)
    if delta and session.site is not None and session.site.type == "sekolah":
        after = sa.func.coalesce(Site.pemilih_pemula_recorded, 0) + delta
        db.session.execute(sa.update(Site).where(Site.id == session.site_id)
                           .values(pemilih_pemula_recorded=sa.case((after < 0, 0), else_=after),
                                   updated_at=utcnow()))
        moved["site.pemilih_pemula_recorded"] = delta
    return moved


def hours_after_end(session: RecordingSession, stored_at: datetime) -> float:
    """Hours from the session's end (office zone) to a log's first store (the team figures' late logs)."""
    ended = rules.late_after(session.last_date, session.end_time, queries.log_settings().tz, 0)
    return round((rules.as_utc(stored_at) - ended).total_seconds() / 3600, 6)


def _share_out_again(session: RecordingSession) -> None:
    """The log moved the desa's (and a school's) pool: the open sessions there get their shares again."""
    from outreach.ledger import operations as ledger

    ledger.reallocate_session(session)


def _replayed_and_existing(key: str, fingerprint: str, session_id: int
                           ) -> tuple[Optional[TurnoutLog], Optional[TurnoutLog]]:
    """(_replayed, queries.log_of) in one statement: the log first stored with `key` when this request
    repeats it (IdempotencyKeyReused when the key came with another body or session), and the session's
    log, both read afresh."""
    logs = db.session.scalars(sa.select(TurnoutLog).where(
        sa.or_(TurnoutLog.idempotency_key == key, TurnoutLog.session_id == session_id))
        .execution_options(populate_existing=True)).all()
    keyed = next((log for log in logs if log.idempotency_key == key), None)
    if keyed is not None and (keyed.session_id != session_id or keyed.request_fingerprint != fingerprint):
        raise IdempotencyKeyReused()
    return keyed, next((log for log in logs if log.session_id == session_id), None)


def _commit_keeping_values() -> None:
    """Commit without expiring what the transaction wrote: the answer is built from the values just stored
    (every column is set here, the database's triggers only write other tables), which spares a second
    transaction that would read them back."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _replayed(key: str, fingerprint: str, session_id: int) -> Optional[TurnoutLog]:
    """The log first stored with `key` when this request repeats it; IdempotencyKeyReused when the key
    was used with another body (or for another session); None when the key is new."""
    log = db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.idempotency_key == key)
                            .execution_options(populate_existing=True))
    if log is None:
        return None
    if log.session_id != session_id or log.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return log


# ---------------------------------------------------------------- writing

@dataclass
class SaveResult:
    log: TurnoutLog
    created: bool  # False: a repeat of a stored request, answered with the stored log


@dataclass
class CorrectionResult:
    log: TurnoutLog
    changed: bool  # False: nothing differed from the stored values


def save_log(user, session_id: int, data: Mapping[str, Any], idempotency_key: Optional[str], *,
             now: Optional[datetime] = None) -> SaveResult:
    """Store the first log of a session (see the module docstring): one transaction, figures moved once."""
    now = queries.utc(now)
    key = (idempotency_key or "").strip()
    if not rules.valid_idempotency_key(key):
        raise BadIdempotencyKey()
    session = queries.get_log_session(user, session_id)
    if not permissions.can_write_logs(user):
        raise NotAllowed(_("Manajer hanya dapat melihat laporan hasil."))
    fingerprint = rules.request_fingerprint(session_id, data)
    replay, existing = _replayed_and_existing(key, fingerprint, session_id)
    if replay is not None:
        return SaveResult(replay, False)
    errors = rules.check_can_log(queries.session_facts(session), queries.log_settings(), now, _=_)
    if errors:
        raise LogValidationFailed(errors, next(iter(errors.values())))
    if existing is not None:
        raise LogExists(existing)
    values = _validate(data, session, now)

    _claim_pools(session)
    session = _lock_session(session_id)
    if session is None:
        _fail(SessionNotFound())
    try:
        replay, existing = _replayed_and_existing(key, fingerprint, session_id)
    except IdempotencyKeyReused as exc:
        _fail(exc)
    if replay is not None:
        db.session.rollback()
        return SaveResult(_reload(replay.id), False)
    if existing is not None:
        _fail(LogExists(existing))
    if session.status not in workflow.LOGGABLE and session.status != workflow.SELESAI:
        refusal = rules.check_can_log(queries.session_facts(session), queries.log_settings(), now, _=_)
        _fail(LogValidationFailed(refusal or {"session": _("Sesi ini tidak dapat diberi laporan hasil.")}))
    columns = _stored_columns(values, _over_capacity(values))
    log = TurnoutLog(session_id=session.id, desa_kode=session.desa_kode, kecamatan_kode=session.kecamatan_kode,
                     kabupaten_kode=session.kabupaten_kode, provinsi_kode=session.provinsi_kode,
                     session_date=session.date, idempotency_key=key, request_fingerprint=fingerprint,
                     created_by_id=user.id, updated_by_id=user.id, created_at=now, updated_at=now,
                     kit_hours=_kit_hours(values), hours_after_end=hours_after_end(session, now), **columns)
    db.session.add(log)
    try:
        db.session.flush()
    except IntegrityError:
        return _resolve_race(key, fingerprint, session_id)
    _move_figures(session, None, columns)
    changes = rules.changed_columns({}, {k: v for k, v in columns.items() if v not in (0, "", [], False)})
    record_change(queries.AUDIT_ENTITY, log.id, "create", user.id, changes).at = now  # the log's own created_at
    if session.status != workflow.SELESAI:
        try:
            planning_operations.mark_finished(session, user, commit=False, by_log=True,
                                   note=_("Laporan hasil dikirim (%(total)s orang terekam).",
                                          total=log.recorded_total))
        except planning_errors.ValidationFailed as exc:
            _fail(LogValidationFailed(exc.errors))
    else:
        _share_out_again(session)
    try:
        _commit_keeping_values()
    except IntegrityError:
        return _resolve_race(key, fingerprint, session_id)
    except StaleDataError:
        db.session.rollback()
        raise LogValidationFailed({"session": _("Sesi baru saja diubah pengguna lain. Kirim ulang laporan.")})
    return SaveResult(log, True)


def _reload(log_id: int) -> TurnoutLog:
    return db.session.scalar(sa.select(TurnoutLog).options(joinedload(TurnoutLog.created_by),
                                                           joinedload(TurnoutLog.updated_by))
                             .where(TurnoutLog.id == log_id).execution_options(populate_existing=True))


def _resolve_race(key: str, fingerprint: str, session_id: int) -> SaveResult:
    """Another request stored a log for the session (or with the key) first: answer as if it came first."""
    db.session.rollback()
    replay = _replayed(key, fingerprint, session_id)
    if replay is not None:
        return SaveResult(replay, False)
    existing = queries.log_of(session_id)
    if existing is not None:
        raise LogExists(existing)
    raise IdempotencyKeyReused()


def _expected_version(raw) -> int:
    if raw is None or raw == "" or isinstance(raw, bool):
        raise LogValidationFailed({"version": _("Kirim versi laporan yang Anda baca (version) agar perubahan dari "
                                                "perangkat lain tidak tertimpa.")})
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value > 2**31:
        raise LogValidationFailed({"version": _("Versi harus bilangan bulat 1 atau lebih.")})
    return value


def _validate_correction(data, session: RecordingSession, now: datetime, log: TurnoutLog
                         ) -> tuple[str, rules.LogValues]:
    """(reason, values) of a correction; LogValidationFailed with every message, the reason's included."""
    reason, reason_error = "", None
    if isinstance(data, Mapping) and "reason" in data:
        reason, reason_error = rules.parse_correction_reason(data["reason"], _=_)
        data = {k: v for k, v in data.items() if k != "reason"}
    try:
        values = _validate(data, session, now, base=rules.LogValues.from_columns(log))
    except LogValidationFailed as exc:
        if reason_error:
            exc.errors["reason"] = reason_error
        raise
    if reason_error:
        raise LogValidationFailed({"reason": reason_error})
    return reason, values


def correct_log(user, session_id: int, data: Mapping[str, Any], expected_version=None, *,
                now: Optional[datetime] = None) -> CorrectionResult:
    """Correct a stored log (see the module docstring). `expected_version` defaults to data["version"]."""
    now = queries.utc(now)
    if expected_version is None and isinstance(data, Mapping):
        expected_version = data.get("version")
    session = queries.get_log_session(user, session_id)
    if not permissions.can_write_logs(user):
        raise NotAllowed(_("Manajer hanya dapat melihat laporan hasil."))
    log = queries.log_of(session_id)
    if log is None:
        raise LogNotFound()
    expected = _expected_version(expected_version)
    if not queries.can_correct(user, log, now):
        deadline = queries.correction_deadline(log).astimezone(queries.log_settings().tz)
        raise NotAllowed(_("Masa koreksi oleh tim sudah lewat (sampai %(when)s). Minta koordinator kecamatan "
                           "untuk mengoreksi laporan ini.", when=deadline.strftime("%Y-%m-%d %H.%M")))
    reason, values = _validate_correction(data, session, now, log)

    _claim_pools(session)
    session = _lock_session(session_id)
    log = queries.log_of(session_id)
    if session is None or log is None:
        _fail(LogNotFound())
    columns = _stored_columns(values, _over_capacity(values))
    old = _current_columns(log)
    changes = rules.changed_columns(old, columns)
    if log.version != expected:
        db.session.rollback()
        log = _reload(log.id)
        if not changes:
            return CorrectionResult(log, False)  # a retried correction: its values are already stored
        raise StaleLog(log)
    if not changes:
        db.session.rollback()
        return CorrectionResult(_reload(log.id), False)
    _move_figures(session, old, columns)
    with db.session.no_autoflush:  # one UPDATE, so `version` goes up by one
        for column, value in columns.items():
            setattr(log, column, value)
        log.kit_hours = _kit_hours(values)
        log.updated_by_id = user.id
        log.updated_at = now
        record_change(queries.AUDIT_ENTITY, log.id, "update", user.id, changes, reason=reason).at = now  # = updated_at
    _share_out_again(session)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleLog(_reload(log.id))
    return CorrectionResult(_reload(log.id), True)
