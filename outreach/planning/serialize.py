"""Sessions as the outside sees them: the API's JSON shape, the plain values of the audit trail, the
announcement text and the address line, and the iCalendar feeds of a team and of an area. No queries
beyond the relations of the sessions given (load site, team, kits and postponements first)."""
from __future__ import annotations

from datetime import date, time
from typing import Mapping, Optional

from flask import current_app

from outreach.models.planning import RecordingSession, SessionPostponement
from outreach.planning import announce, ical
from outreach.i18n import gettext_here as _
from outreach.vocab import session_kind_labels, session_status_labels
from outreach.planning.queries import region_info


def hhmm(t: Optional[time]) -> Optional[str]:
    return t.strftime("%H:%M") if t else None


def iso(v) -> Optional[str]:
    return v.isoformat() if v is not None else None


def session_to_dict(s: RecordingSession) -> dict:
    """A session as the API shows it (site, team and kits should be loaded)."""
    return {
        "id": s.id, "site_id": s.site_id, "site_name": s.site.nama if s.site else None,
        "site_type": s.site.type if s.site else None,
        "date": iso(s.date), "end_date": iso(s.end_date), "start": hhmm(s.start_time), "end": hhmm(s.end_time),
        "team_id": s.team_id, "team_name": s.team.nama if s.team else None,
        "kit_ids": s.kit_ids, "kit_codes": [k.code for k in s.kits],
        "kind": s.kind, "target_groups": list(s.target_groups or []), "status": s.status,
        "expected_turnout": s.expected_turnout, "turnout_reasoning": s.turnout_reasoning,
        "confirmed_with": s.confirmed_with, "confirmed_at": iso(s.confirmed_at),
        "cancel_reason": s.cancel_reason, "notes": s.notes, "override_reason": s.override_reason,
        "mop_up_of_id": s.mop_up_of_id,
        "desa_kode": s.desa_kode, "kecamatan_kode": s.kecamatan_kode, "kabupaten_kode": s.kabupaten_kode,
        "provinsi_kode": s.provinsi_kode, "created_by_id": s.created_by_id, "version": s.version,
        "created_at": iso(s.created_at), "updated_at": iso(s.updated_at),
        # The site contact's answer to "Minta konfirmasi" (None: never asked); the link itself is not shown.
        "confirmation_status": s.confirmation_status,
        "confirmation": {"requested_at": iso(s.confirmation_requested_at),
                         "answered_at": iso(s.confirmation_answered_at),
                         "proposed_date": iso(s.confirmation_proposed_date), "note": s.confirmation_note or ""},
    }


def postponement_to_dict(p: SessionPostponement) -> dict:
    return {"old_date": iso(p.old_date), "old_end_date": iso(p.old_end_date), "old_start": hhmm(p.old_start_time),
            "old_end": hhmm(p.old_end_time), "new_date": iso(p.new_date), "new_end_date": iso(p.new_end_date),
            "new_start": hhmm(p.new_start_time), "new_end": hhmm(p.new_end_time), "reason": p.reason,
            "user_id": p.user_id, "at": iso(p.at)}


def audit_values(values: Mapping) -> dict:
    """Parsed session values as the audit trail stores them (ISO dates, HH:MM times, lists)."""
    out = {}
    for key, v in values.items():
        if isinstance(v, (date, time)):
            v = v.isoformat(timespec="minutes") if isinstance(v, time) else v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        out[key] = v
    return out


# ---------------------------------------------------------------- announcement and feed

def _cutoff() -> Optional[date]:
    raw = current_app.config.get("PEMILIH_PEMULA_CUTOFF")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def announcement_input(s: RecordingSession, regions: Optional[dict] = None) -> announce.AnnouncementInput:
    """The announcement's facts for one session (site, team and postponements are read from it)."""
    site = s.site
    regions = regions if regions is not None else region_info([s.desa_kode, s.kecamatan_kode, s.kabupaten_kode])
    desa_name, desa_kind = regions.get(s.desa_kode, ("", "desa"))
    kab_name, kab_kind = regions.get(s.kabupaten_kode, ("", ""))
    if kab_name and kab_kind in ("kota", "kabupaten") and not kab_name.lower().startswith(kab_kind):
        kab_name = f"{kab_kind.title()} {kab_name}"
    return announce.AnnouncementInput(
        site_name=site.nama, site_type=site.type, address=site.address or "", rt=site.rt, rw=site.rw,
        desa_name=desa_name, desa_kind=desa_kind, kecamatan_name=regions.get(s.kecamatan_kode, ("", ""))[0],
        kabupaten_name=kab_name, date=s.date, end_date=s.end_date, start=s.start_time, end=s.end_time, kind=s.kind,
        target_groups=tuple(s.target_groups or ()), contact_name=s.confirmed_with or site.contact_name or "",
        contact_phone=site.contact_phone or "", team_name=s.team.nama if s.team else "",
        team_phone=s.team.phone if s.team else "", status=s.status, cancel_reason=s.cancel_reason or "",
        previous_dates=tuple(p.old_date for p in s.postponements), pemilih_pemula_cutoff=_cutoff())


def announcement_for(s: RecordingSession, regions: Optional[dict] = None) -> str:
    return announce.announcement_text(announcement_input(s, regions))


def address_of(s: RecordingSession, regions: dict) -> str:
    """Address, RT/RW, desa and kecamatan of the session's site, each said once."""
    site = s.site
    desa_name, desa_kind = regions.get(s.desa_kode, ("", "desa"))
    place = announce.AnnouncementInput(
        site_name=site.nama, date=s.date, start=s.start_time, end=s.end_time, address=site.address or "",
        rt=site.rt, rw=site.rw, desa_name=desa_name, desa_kind=desa_kind,
        kecamatan_name=regions.get(s.kecamatan_kode, ("", ""))[0])
    return announce.place_line(place, with_site=False)


def _feed_event(s: RecordingSession, inp: announce.AnnouncementInput, uid: str, summary: str, link: str,
                intro: str = "") -> ical.FeedEvent:
    """One session as a feed event from its calendar-safe facts (announce.for_calendar); a home visit also
    leaves out its exact position."""
    home = s.site.type == "rumah"
    return ical.FeedEvent(
        uid=uid, summary=summary, date=s.date, end_date=s.end_date, start=s.start_time, end=s.end_time,
        location=announce.place_line(inp), description=intro + announce.announcement_text(inp) + "\n" + link,
        url=link, status=s.status, sequence=s.version or 0, last_modified=s.updated_at,
        lat=None if home else s.site.lat, lng=None if home else s.site.lng)


def _feed_timezone() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")


def team_feed(team, sessions: list[RecordingSession], url_for_session, uid_domain: str) -> bytes:
    """The iCalendar bytes of `sessions` for `team` (url_for_session(id) -> absolute link): what a forwarded
    link may show (announce.for_calendar); a home visit also leaves out its exact position."""
    regions = region_info({k for s in sessions for k in (s.desa_kode, s.kecamatan_kode, s.kabupaten_kode)})
    labels = session_kind_labels()
    events = []
    for s in sessions:
        inp = announce.for_calendar(announcement_input(s, regions))  # no contacts, no one's health at home
        events.append(_feed_event(s, inp, f"sesi-{s.id}@{uid_domain}",
                                  f"{labels.get(s.kind, s.kind)}: {inp.site_name}", url_for_session(s.id)))
    return ical.build_feed(f"Jemput Bola — {team.nama}", events, tz=_feed_timezone())


def area_feed(area_name: str, sessions: list[RecordingSession], url_for_session, uid_domain: str) -> bytes:
    """The iCalendar bytes of an area's `sessions`, every team's, for a coordinator's, manager's or admin's
    phone: the team feed's facts (announce.for_calendar: no contacts, no phones, a home visit by its RT/RW
    only) plus the team's name and the status in each event. Its UIDs differ from the team feed's, so an
    admin subscribed to both sees two events rather than one calendar overwriting the other's."""
    regions = region_info({k for s in sessions for k in (s.desa_kode, s.kecamatan_kode, s.kabupaten_kode)})
    kinds, statuses = session_kind_labels(), session_status_labels()
    events = []
    for s in sessions:
        inp = announce.for_calendar(announcement_input(s, regions))
        team, status = (s.team.nama if s.team else ""), statuses.get(s.status, s.status)
        summary = _("%(kind)s: %(site)s (%(team)s, %(status)s)", kind=kinds.get(s.kind, s.kind),
                    site=inp.site_name, team=team, status=status)
        intro = _("Tim: %(team)s · Status: %(status)s", team=team, status=status) + "\n\n"
        events.append(_feed_event(s, inp, f"sesi-{s.id}.wilayah@{uid_domain}", summary, url_for_session(s.id),
                                  intro))
    return ical.build_feed(f"Jemput Bola — {area_name}", events, tz=_feed_timezone())
