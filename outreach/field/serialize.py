"""Turnout logs and schedule entries as JSON dicts: the API's shapes, also embedded in the field pages for
the offline client. Times are shown in the office zone (Asia/Jakarta) with their offset (…+07:00).

    log_to_dict(log) -> dict                     the log (GET/POST/PATCH /api/v1/sessions/<id>/turnout)
    schedule_item_to_dict(item) -> dict          one entry of GET /api/v1/my/sessions
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from outreach import vocab
from outreach.field import rules
from outreach.field import queries
from outreach.models.field import TurnoutLog
from outreach.planning import serialize as planning_serialize


def iso_local(value: Optional[datetime], tz) -> Optional[str]:
    """A stored time (naive: UTC) in zone `tz` as ISO 8601 with its offset; None stays None."""
    value = rules.as_utc(value)
    return value.astimezone(tz).isoformat() if value is not None else None


def log_to_dict(log: TurnoutLog) -> dict:
    """A log as the API shows it. Times in Asia/Jakarta with their offset (…+07:00)."""
    tz = queries.log_settings().tz
    not_recorded, away = log.not_recorded, log.away
    return {
        "id": log.id, "session_id": log.session_id, "session_date": log.session_date.isoformat(),
        "recorded": log.recorded, "recorded_by_sex": log.recorded_by_sex, "recorded_total": log.recorded_total,
        "not_recorded": not_recorded, "not_recorded_total": sum(not_recorded.values()),
        "away": away, "away_total": sum(away.values()),
        "started_at": iso_local(log.started_at, tz), "ended_at": iso_local(log.ended_at, tz),
        "kit_ids": sorted(log.kit_ids or []), "notes": log.notes or "",
        "over_capacity_confirmed": bool(log.over_capacity_confirmed),
        "version": log.version,
        "created_by": log.created_by_id, "created_by_name": log.created_by.name if log.created_by else None,
        "created_at": iso_local(log.created_at, tz),
        "updated_by": log.updated_by_id, "updated_by_name": log.updated_by.name if log.updated_by else None,
        "updated_at": iso_local(log.updated_at, tz),
        "correction_deadline": iso_local(queries.correction_deadline(log), tz),
        "desa_kode": log.desa_kode, "kecamatan_kode": log.kecamatan_kode, "kabupaten_kode": log.kabupaten_kode,
        "provinsi_kode": log.provinsi_kode,
    }


def _map_url(lat, lng) -> Optional[str]:
    if lat is None or lng is None:
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}#map=17/{lat:.6f}/{lng:.6f}"


def schedule_item_to_dict(item: queries.ScheduleItem) -> dict:
    """One entry of GET /api/v1/my/sessions: the session, its site, its log summary and its flags."""
    s = item.session
    out = planning_serialize.session_to_dict(s)
    site = s.site
    out["site"] = {"id": site.id, "nama": site.nama, "type": site.type, "address": site.address,
                   "rt": site.rt, "rw": site.rw, "contact_name": site.contact_name,
                   "contact_phone": site.contact_phone, "lat": site.lat, "lng": site.lng,
                   "map_url": _map_url(site.lat, site.lng)}
    out["status_label"] = vocab.session_status_labels().get(s.status, s.status)
    out["announcement"] = item.announcement
    log = item.log
    tz = queries.log_settings().tz
    out["log"] = None if log is None else {
        "id": log.id, "version": log.version, "recorded_total": log.recorded_total,
        "updated_at": iso_local(log.updated_at, tz),
        "correction_deadline": iso_local(queries.correction_deadline(log), tz)}
    out["awaiting_log"] = item.awaiting_log
    out["overdue"] = item.overdue
    out["can_log"] = item.can_log
    out["can_correct"] = item.can_correct
    return out
