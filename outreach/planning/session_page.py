"""The session page and the session form: the form's choices and first values, the site's map, and
audit timestamps in the office's time zone."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.models import Region
from outreach.models.planning import RecordingSession
from outreach.templating import clock_text, short_day
from outreach.models.regions import level_of
from outreach.planning import queries, session_lists
from outreach.regions import picker
from outreach.vocab import session_kind_labels, target_group_labels
from outreach.planning.site_scope import site_in_scope, site_options, team_visible


def local_iso(value) -> str:
    """An ISO timestamp from the audit trail shown in the office's time zone as the pages write it:
    'Sen, 4 Mei 09.30' (the year when not this year)."""
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    local = when.astimezone(zone)
    return f"{short_day(local.date())} {clock_text(local.time())}"


def desa_boundary(kode: str):
    raw = db.session.scalar(sa.select(Region.boundary).where(Region.kode == kode))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def map_settings() -> dict:
    return {"tileUrl": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION", "")}


# ---------------------------------------------------------------- the session form

def _iso_or_raw(raw) -> str:
    return (raw or "").strip()[:40]


def prefill_new(form, user, args, proposal: Optional[dict] = None) -> None:
    """Initial values of a new session form: a mop-up proposal, or ?site=, ?date=, ?team=, with defaults."""
    if proposal:
        for key in ("site_id", "date", "end_date", "start", "end", "team_id", "kind", "notes", "mop_up_of_id",
                    "absentees"):
            value = proposal.get(key)
            form[key].data = "" if value is None else str(value)
        form.kit_ids.data = [str(k) for k in proposal.get("kit_ids") or []]
        form.target_groups.data = list(proposal.get("target_groups") or [])
        return
    site = site_in_scope(user, args.get("site")) if args.get("site") else None
    if site is not None:
        form.site_id.data = str(site.id)
    form.date.data = _iso_or_raw(args.get("date"))
    form.start.data, form.end.data, form.kind.data = "08:00", "12:00", "perekaman"
    default_groups = {"sekolah": ["pemilih_pemula"], "rumah": ["lansia_disabilitas"]}
    form.target_groups.data = default_groups.get(site.type if site is not None else "", ["umum"])
    team = team_visible(user, args.get("team")) if args.get("team") else None
    if team is not None:
        form.team_id.data = str(team.id)
    else:
        teams = queries.active_teams_sample(user, 2)
        if len(teams) == 1:
            form.team_id.data = str(teams[0].id)


def prefill_edit(form, s: RecordingSession) -> None:
    form.site_id.data = str(s.site_id)
    form.date.data = s.date.isoformat()
    form.end_date.data = s.end_date.isoformat() if s.end_date else ""
    form.start.data, form.end.data = s.start_time.strftime("%H:%M"), s.end_time.strftime("%H:%M")
    form.team_id.data = str(s.team_id)
    form.kit_ids.data = [str(link.kit_id) for link in s.kit_links]
    form.kind.data = s.kind
    form.target_groups.data = list(s.target_groups or [])
    form.notes.data = s.notes or ""
    form.version.data = str(s.version)


def fill_session_choices(form, user, desa: Optional[str] = None, kecamatan: Optional[str] = None,
                         submitted: Optional[Mapping] = None) -> tuple[list[dict], dict]:
    """Choices of the session form (sites, teams, kits, kinds, groups), kept short at national scale by
    outreach.planning.session_lists; returns the kits as rows for the template (code, status, team) and
    what the template says about the lists (the area picker, what to choose first, the office)."""
    from outreach.vocab import kit_status_labels

    config = current_app.config
    site = site_in_scope(user, form.site_id.data) if form.site_id.data else None
    sites = session_lists.plan_site_list(user, site, session_lists.site_select_max(config),
                                         picker.select_max(config), desa_arg=desa, kecamatan_arg=kecamatan,
                                         form=submitted)
    if not sites.region_set:
        groups = {}
    elif sites.region and level_of(sites.region) == "desa":
        groups = site_options(user, desa=sites.region, include_id=site.id if site else None)
    elif sites.region and level_of(sites.region) == "kecamatan":
        groups = site_options(user, kecamatan=sites.region, include_id=site.id if site else None)
    else:
        groups = site_options(user, include_id=site.id if site else None)
    if site is not None and not any(o[0] == str(site.id) for opts in groups.values() for o in opts):
        # the chosen site stays chosen while the lists above it change
        extra = site_options(user, desa=site.desa_kode, include_id=site.id)
        for g, opts in extra.items():
            groups.setdefault(g, []).extend(o for o in opts if o[0] == str(site.id))
    form.site_id.choices = groups
    chosen = str(form.team_id.data or "")
    offered = session_lists.teams_and_kits(user, session_lists.list_office(site, sites), sites.stepwise,
                                           chosen_team=chosen, chosen_kits=form.kit_ids.data or ())
    form.team_id.choices = [("", _("— pilih tim —"))] + [
        (str(t.id), t.nama) for t in offered.teams if t.active or str(t.id) == chosen]
    names = {t.id: t.nama for t in offered.teams}
    names.update(session_lists.team_names({k.team_id for k in offered.kits if k.team_id not in names}))
    form.kit_ids.choices = [(str(k.id), k.code) for k in offered.kits]
    form.kind.choices = list(session_kind_labels().items())
    form.target_groups.choices = list(target_group_labels().items())
    status = kit_status_labels()
    kits = [{"id": str(k.id), "code": k.code, "status": k.status, "status_label": status.get(k.status, k.status),
             "team": names.get(k.team_id, "")} for k in offered.kits]
    office_name = queries.region_names([offered.office]).get(offered.office, offered.office) \
        if offered.office else ""
    return kits, {"sites": sites, "office": offered.office, "office_name": office_name,
                  "teams_waiting": offered.waiting}


def confirmation_panel(user, s: RecordingSession, now: datetime, request_form) -> dict:
    """The session page's "Konfirmasi lokasi" box: the contact's state and answer for everyone who sees the
    session; the current signed link, its WhatsApp URL and the buttons for those who may edit it."""
    from outreach import clock, permissions
    from outreach.planning import confirmation

    can_ask = permissions.can_ask_site_confirmation(user, s) and not confirmation.check_askable(
        s, now.astimezone(clock.local_tz()).date())
    out = {"state": confirmation.state_of(s), "can_ask": can_ask, "form": request_form, "link": None,
           "whatsapp_url": None, "phone_usable": bool(confirmation.normalise_phone(s.site.contact_phone))}
    if can_ask and s.confirmation_nonce and s.confirmation_status:
        out["link"] = confirmation.link_of(s)
        out["whatsapp_url"] = confirmation.whatsapp_url(s.site.contact_phone,
                                                        confirmation.message_text(s, out["link"]))
    return out
