"""Queries behind the coverage exports: the sessions and turnout logs of an area in the user's scope,
read in batches so a province-wide CSV streams without loading every row (no Flask request code here)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Iterator, Optional

import sqlalchemy as sa

from outreach import clock, vocab
from outreach.extensions import db
from outreach.models import Kit, Region, Site, Team, User
from outreach.models.field import TurnoutLog
from outreach.models.planning import RecordingSession, SessionKit

EXPORT_BATCH = 1000


def _region_condition(area, model):
    column = {"provinsi": "provinsi_kode", "kabupaten": "kabupaten_kode", "kecamatan": "kecamatan_kode",
              "desa": "desa_kode"}[area.level]
    return getattr(model, column) == area.kode


def _names(kodes: set) -> dict:
    if not kodes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(sorted(kodes)))).all())


def _batches(result, size: int) -> Iterator[list]:
    while True:
        chunk = result.fetchmany(size)
        if not chunk:
            return
        yield chunk


def session_conditions(user, area, date_from: Optional[date], date_to: Optional[date]) -> list:
    """SQL conditions: the sessions of an area the user may see, dated in the range (when given)."""
    from outreach.permissions import sessions_clause
    RS = RecordingSession
    out = [_region_condition(area, RS), sessions_clause(user)]
    if date_from:
        out.append(RS.date >= date_from)
    if date_to:
        out.append(RS.date <= date_to)
    return out


def log_conditions(user, area, date_from: Optional[date], date_to: Optional[date]) -> list:
    """SQL conditions on TurnoutLog joined to its session: the logs of an area the user may see."""
    from outreach.permissions import sessions_clause
    L = TurnoutLog
    out = [_region_condition(area, L), sessions_clause(user)]
    if date_from:
        out.append(L.session_date >= date_from)
    if date_to:
        out.append(L.session_date <= date_to)
    return out


def export_row_count(user, area, dataset: str, date_from: Optional[date], date_to: Optional[date]) -> int:
    RS = RecordingSession
    if dataset == "sesi":
        stmt = sa.select(sa.func.count(RS.id)).where(*session_conditions(user, area, date_from, date_to))
    else:
        stmt = (sa.select(sa.func.count(TurnoutLog.id)).join(RS, RS.id == TurnoutLog.session_id)
                .where(*log_conditions(user, area, date_from, date_to)))
    return int(db.session.scalar(stmt) or 0)


def session_export_rows(user, area, date_from: Optional[date], date_to: Optional[date]) -> Iterator[dict]:
    """The sessions of an area in scope (optionally dated in a range), batch by batch: one query for the
    rows, one per batch for kits, region names and logged totals."""
    RS = RecordingSession
    stmt = (sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.status, RS.kind,
                      RS.kabupaten_kode, RS.kecamatan_kode, RS.desa_kode, Site.nama, Site.type, Team.nama,
                      RS.target_groups, RS.expected_turnout, TurnoutLog.recorded_total, RS.confirmed_with,
                      RS.cancel_reason, RS.notes)
            .join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
            .outerjoin(TurnoutLog, TurnoutLog.session_id == RS.id)
            .where(*session_conditions(user, area, date_from, date_to))
            .order_by(RS.date, RS.start_time, RS.id))
    statuses, kinds = vocab.session_status_labels(), vocab.session_kind_labels()
    types, groups = vocab.site_type_labels(), vocab.target_group_labels()
    result = db.session.execute(stmt.execution_options(yield_per=EXPORT_BATCH))
    for batch in _batches(result, EXPORT_BATCH):
        ids = [r[0] for r in batch]
        kits = defaultdict(list)
        for session_id, code in db.session.execute(
                sa.select(SessionKit.session_id, Kit.code).join(Kit, Kit.id == SessionKit.kit_id)
                .where(SessionKit.session_id.in_(ids)).order_by(Kit.code)):
            kits[session_id].append(code)
        names = _names({r[7] for r in batch} | {r[8] for r in batch} | {r[9] for r in batch})
        for r in batch:
            yield {"id": r[0], "date": r[1], "end_date": r[2], "start_time": r[3], "end_time": r[4],
                   "status_label": statuses.get(r[5], r[5]), "kind_label": kinds.get(r[6], r[6]),
                   "kabupaten": names.get(r[7], r[7]), "kecamatan": names.get(r[8], r[8]), "desa_kode": r[9],
                   "desa": names.get(r[9], r[9]), "site": r[10], "site_type": types.get(r[11], r[11]),
                   "team": r[12], "kits": kits.get(r[0], []),
                   "target_groups": [groups.get(g, g) for g in (r[13] or [])], "expected_turnout": r[14],
                   "recorded_total": r[15], "confirmed_with": r[16], "cancel_reason": r[17], "notes": r[18]}


def _local(value: Optional[datetime]) -> Optional[datetime]:
    """A stored UTC time as the office's wall-clock time (Excel and CSV readers expect local times)."""
    if value is None:
        return None
    from datetime import timezone
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(clock.local_tz()).replace(tzinfo=None)


def log_export_rows(user, area, date_from: Optional[date], date_to: Optional[date]) -> Iterator[dict]:
    """The turnout logs of an area in scope (by session date), batch by batch."""
    from outreach.models.field import COUNT_COLUMNS

    L, RS = TurnoutLog, RecordingSession
    count_cols = [getattr(L, c) for c in COUNT_COLUMNS]
    stmt = (sa.select(L.session_id, L.session_date, L.kecamatan_kode, L.desa_kode, Site.nama, Team.nama,
                      L.started_at, L.ended_at, L.recorded_total, L.kit_ids, L.notes,
                      sa.func.coalesce(sa.func.nullif(User.name, ""), User.username),
                      L.created_at, L.updated_at, L.version, *count_cols)
            .join(RS, RS.id == L.session_id).join(Site, Site.id == RS.site_id).join(Team, Team.id == RS.team_id)
            .outerjoin(User, User.id == L.created_by_id)
            .where(*log_conditions(user, area, date_from, date_to))
            .order_by(L.session_date, L.session_id))
    result = db.session.execute(stmt.execution_options(yield_per=EXPORT_BATCH))
    for batch in _batches(result, EXPORT_BATCH):
        names = _names({r[2] for r in batch} | {r[3] for r in batch})
        kit_ids = {k for r in batch for k in (r[9] or [])}
        codes = dict(db.session.execute(sa.select(Kit.id, Kit.code).where(Kit.id.in_(sorted(kit_ids)))).all()) \
            if kit_ids else {}
        for r in batch:
            row = {"session_id": r[0], "session_date": r[1], "kecamatan": names.get(r[2], r[2]), "desa_kode": r[3],
                   "desa": names.get(r[3], r[3]), "site": r[4], "team": r[5], "started_at": _local(r[6]),
                   "ended_at": _local(r[7]), "recorded_total": r[8],
                   "kits": [codes.get(k, str(k)) for k in (r[9] or [])], "notes": r[10], "created_by": r[11],
                   "created_at": _local(r[12]), "updated_at": _local(r[13]), "version": r[14]}
            row.update(zip(COUNT_COLUMNS, r[15:]))
            yield row
