"""What the planning pages need beyond the planning service: the calendar grid, region and site
choices, the announcement and iCalendar feed built from sessions, pagination for templates.

Queries here are few and bounded (one per call); the service stays the only writer of sessions.
"""
from __future__ import annotations

import calendar as _calendar
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from outreach import clock
from outreach.extensions import db
from outreach.models import Region, Site, Team
from outreach.models.planning import RecordingSession
from outreach.planning import announce, calendar_rules, ical, service
from outreach.permissions import in_scope, scope_clause, scope_of
from outreach import permissions

MAX_SITE_CHOICES = 3000
FEED_DAYS_BACK = 60
FEED_DAYS_AHEAD = 366


# ---------------------------------------------------------------- calendar arithmetic (pure)

def parse_month(raw: Optional[str], today: date) -> date:
    """First day of the month 'YYYY-MM' (today's month when missing or unreadable)."""
    try:
        year, month = (int(p) for p in (raw or "").split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


def parse_day(raw: Optional[str], default: date) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return default


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def month_weeks(first: date) -> list[list[date]]:
    """The weeks (Monday first) covering the month that starts on `first`."""
    start = monday_of(first)
    last = first.replace(day=_calendar.monthrange(first.year, first.month)[1])
    weeks = []
    day = start
    while day <= last:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def add_months(first: date, n: int) -> date:
    month = first.month - 1 + n
    return date(first.year + month // 12, month % 12 + 1, 1)


def sessions_by_day(sessions: Iterable[RecordingSession], first: date, last: date) -> dict[date, list]:
    """{day: sessions on that day} for the days [first, last]; a multi-day session appears on each day."""
    out: dict[date, list] = {}
    for s in sessions:
        day = max(s.date, first)
        while day <= min(s.last_date, last):
            out.setdefault(day, []).append(s)
            day += timedelta(days=1)
    for items in out.values():
        items.sort(key=lambda s: (s.start_time, s.id))
    return out


local_now = clock.local_now


def local_iso(value) -> str:
    """An ISO timestamp from the audit trail shown in the office's time zone: '2026-05-04 09:30'."""
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parse_local_datetime(raw: str) -> Optional[datetime]:
    """'YYYY-MM-DDTHH:MM' typed in the office's time zone -> an aware UTC datetime; None when unreadable."""
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")))
    return value.astimezone(timezone.utc)


# ---------------------------------------------------------------- pagination for templates

@dataclass
class PageView:
    """A service.Page with what templates/regions/_macros.html: pagination() reads."""
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> Optional[int]:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> Optional[int]:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=1, right_edge=1, left_current=2, right_current=2):
        last = 0
        for n in range(1, self.pages + 1):
            if (n <= left_edge or self.page - left_current <= n <= self.page + right_current
                    or n > self.pages - right_edge):
                if last + 1 != n:
                    yield None
                yield n
                last = n


# ---------------------------------------------------------------- regions, sites, teams

def region_names(kodes: Iterable[str]) -> dict[str, str]:
    kodes = {k for k in kodes if k}
    if not kodes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(kodes))).all())


def kecamatan_options(user) -> list[tuple[str, str]]:
    """Kecamatan in the user's scope, by name."""
    rows = db.session.execute(sa.select(Region.kode, Region.nama)
                              .where(Region.level == "kecamatan", scope_clause(user, Region))
                              .order_by(Region.nama, Region.kode)).all()
    return [(kode, nama) for kode, nama in rows]


def own_kecamatan(user) -> Optional[str]:
    """The kecamatan a coordinator plans (its scope), else None."""
    scope = scope_of(user)
    return scope if scope and scope.count(".") == 2 else None


def busiest_kecamatan(user, first: date, last: date) -> Optional[str]:
    """The kecamatan with most visible sessions in [first, last] (a sensible default calendar)."""
    RS = RecordingSession
    row = db.session.execute(
        sa.select(RS.kecamatan_kode, sa.func.count()).where(permissions.sessions_clause(user),
                                                           RS.date.between(first, last))
        .group_by(RS.kecamatan_kode).order_by(sa.func.count().desc(), RS.kecamatan_kode).limit(1)).first()
    return row[0] if row else None


def site_options(user, *, kecamatan: Optional[str] = None, desa: Optional[str] = None,
                 include_id: Optional[int] = None) -> dict[str, list[tuple[str, str]]]:
    """Active sites the user may plan at, grouped by desa: {group label: [(id, label)]}.

    Limited to `desa` or `kecamatan` when given (and in scope); `include_id` is kept even if inactive.
    """
    q = (sa.select(Site.id, Site.nama, Site.type, Region.nama, Site.kecamatan_kode)
         .join(Region, Region.kode == Site.desa_kode).where(scope_clause(user, Site)))
    active = Site.active.is_(True)
    if include_id:
        active = sa.or_(active, Site.id == include_id)
    q = q.where(active)
    if desa:
        q = q.where(Site.desa_kode == desa)
    elif kecamatan:
        q = q.where(Site.kecamatan_kode == kecamatan)
    rows = db.session.execute(q.order_by(Site.kecamatan_kode, Region.nama, Site.nama, Site.id)
                              .limit(MAX_SITE_CHOICES)).all()
    from outreach.templating import site_type_labels
    types = site_type_labels()
    groups: dict[str, list] = {}
    for site_id, nama, type_, desa_nama, _kec in rows:
        groups.setdefault(desa_nama, []).append((str(site_id), f"{nama} — {types.get(type_, type_)}"))
    return groups


def site_in_scope(user, site_id) -> Optional[Site]:
    try:
        site = db.session.get(Site, int(site_id))
    except (TypeError, ValueError):
        return None
    if site is None or not in_scope(user, site.desa_kode):
        return None
    return site


def team_visible(user, team_id) -> Optional[Team]:
    """The team when `user` may see its calendar: a field user only its own team."""
    try:
        team_id = int(team_id)
    except (TypeError, ValueError):
        return None
    for team in service.visible_teams(user):
        if team.id == team_id:
            return team
    return None


def desa_boundary(kode: str):
    raw = db.session.scalar(sa.select(Region.boundary).where(Region.kode == kode))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def map_settings() -> dict:
    return {"tileUrl": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION", "")}


# ---------------------------------------------------------------- announcement and feed

def _cutoff() -> Optional[date]:
    raw = current_app.config.get("PEMILIH_PEMULA_CUTOFF")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def region_info(kodes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{kode: (nama, kind)} for the given region codes (one query)."""
    kodes = {k for k in kodes if k}
    if not kodes:
        return {}
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind).where(Region.kode.in_(kodes))).all()
    return {kode: (nama, kind) for kode, nama, kind in rows}


def region_label(nama: str, kind: str) -> str:
    """'Kelurahan Meteseh', 'Kota Semarang' (the name alone for a kecamatan, whose label is added by the page)."""
    prefix = {"desa": _("Desa"), "kelurahan": _("Kelurahan"), "kota": _("Kota"), "kabupaten": _("Kabupaten")}.get(kind)
    if not prefix or nama.lower().startswith(prefix.lower()):
        return nama
    return f"{prefix} {nama}"


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


def team_by_secret(team_id: int, secret: str) -> Optional[Team]:
    """The team whose calendar secret is `secret` (constant-time comparison), else None."""
    import hmac

    team = db.session.get(Team, team_id)
    if team is None or not team.calendar_secret:
        return None
    if not hmac.compare_digest(team.calendar_secret.encode(), (secret or "").encode()):
        return None
    return team


def feed_sessions(team_id: int, today: date) -> list[RecordingSession]:
    """The team's sessions for its feed: not cancelled, from two months back to a year ahead (4 queries)."""
    RS = RecordingSession
    q = (sa.select(RS).options(joinedload(RS.site), joinedload(RS.team),
                               selectinload(RS.postponements))
         .where(RS.team_id == team_id, RS.status != "dibatalkan",
                RS.date.between(today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)))
         .order_by(RS.date, RS.start_time, RS.id))
    return list(db.session.scalars(q).unique())


def team_feed(team: Team, sessions: list[RecordingSession], url_for_session, uid_domain: str) -> bytes:
    """The iCalendar bytes of `sessions` for `team` (url_for_session(id) -> absolute link)."""
    regions = region_info({k for s in sessions for k in (s.desa_kode, s.kecamatan_kode, s.kabupaten_kode)})
    labels = service.kind_labels()
    events = []
    for s in sessions:
        inp = announcement_input(s, regions)
        location = announce.place_line(inp)
        link = url_for_session(s.id)
        events.append(ical.FeedEvent(
            uid=f"sesi-{s.id}@{uid_domain}", summary=f"{labels.get(s.kind, s.kind)}: {s.site.nama}",
            date=s.date, end_date=s.end_date, start=s.start_time, end=s.end_time, location=location,
            description=announce.announcement_text(inp) + "\n" + link, url=link, status=s.status,
            sequence=s.version or 0, last_modified=s.updated_at, lat=s.site.lat, lng=s.site.lng))
    tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    return ical.build_feed(f"Jemput Bola — {team.nama}", events, tz=tz)


# ---------------------------------------------------------------- page contexts

class Invisible(Exception):
    """A kecamatan or team the user may not see was asked for (answered 404)."""


@dataclass
class CalendarContext:
    view: str
    first: date
    last: date
    anchor: date  # first of the month (month view) or the Monday (week view)
    weeks: list
    by_day: dict
    holidays: dict  # {day: names of the days off that close it there (all but exam weeks)}
    kecamatan: Optional[str]
    kecamatan_name: str
    team: Optional[Team]
    kecamatan_choices: list
    teams: list
    days_off: dict = field(default_factory=dict)  # {day: (DayOff, ...)} of the planning calendar shown

    @property
    def day_off_labels(self) -> dict:
        """The translated name of each kind of day off (outreach.planning.calendar_rules)."""
        return {kind: _(label) for kind, label in calendar_rules.KIND_LABELS.items()}

    @property
    def month(self) -> str:
        return self.anchor.strftime("%Y-%m")

    @property
    def session_count(self) -> int:
        return len({s.id for items in self.by_day.values() for s in items})

    def period_args(self, step: int = 0) -> dict:
        """Query arguments of this calendar moved by `step` months (or weeks)."""
        if self.view == "week":
            return {"view": "week", "start": (self.anchor + timedelta(days=7 * step)).isoformat()}
        return {"view": "month", "month": add_months(self.anchor, step).strftime("%Y-%m")}

    def focus_args(self, user) -> dict:
        """The kecamatan and team this calendar shows (as the user chose them)."""
        args = {}
        if permissions.sees_area_wide(user):
            args["kecamatan"] = self.kecamatan or ""
        if not permissions.is_field(user) and self.team is not None:
            args["team"] = self.team.id
        return args


def calendar_context(user, args, today: date) -> CalendarContext:
    """Everything the calendar page shows, in a bounded number of queries (sessions: two)."""
    view = "week" if args.get("view") == "week" else "month"
    if view == "week":
        anchor = monday_of(parse_day(args.get("start"), today))
        weeks = [[anchor + timedelta(days=i) for i in range(7)]]
    else:
        anchor = parse_month(args.get("month"), today)
        weeks = month_weeks(anchor)
    first, last = weeks[0][0], weeks[-1][-1]
    teams = service.visible_teams(user)
    team = None
    raw_team = args.get("team")
    if permissions.is_field(user):
        team = user.team
        if raw_team not in (None, "") and (team is None or str(team.id) != str(raw_team)):
            raise Invisible()
    elif raw_team not in (None, ""):
        team = next((t for t in teams if str(t.id) == str(raw_team)), None)
        if team is None:
            raise Invisible()
    kecamatan = args.get("kecamatan") or None
    if kecamatan and (kecamatan.count(".") != 2 or not in_scope(user, kecamatan)):
        raise Invisible()
    choices: list = []
    if permissions.sees_area_wide(user):
        choices = kecamatan_options(user)
        if "kecamatan" not in args and team is None:  # first visit: the busiest kecamatan; "" = all of them
            kecamatan = busiest_kecamatan(user, first, last) or (choices[0][0] if choices else None)
    elif permissions.is_coordinator(user):
        kecamatan = own_kecamatan(user)
    if permissions.is_field(user) and team is None:
        sessions = []
    else:
        sessions = service.sessions_between(user, first, last, team_id=team.id if team else None,
                                            kecamatan_kode=kecamatan if not permissions.is_field(user) else None)
    name = dict(choices).get(kecamatan) if kecamatan else ""
    if kecamatan and not name:
        name = region_names([kecamatan]).get(kecamatan, kecamatan)
    days_off = calendar_days_off(user, kecamatan, team, first, last)
    return CalendarContext(view=view, first=first, last=last, anchor=anchor, weeks=weeks,
                           by_day=sessions_by_day(sessions, first, last),
                           holidays={d: "; ".join(o.name for o in offs if o.kind != calendar_rules.EXAM_WEEK)
                                     for d, offs in days_off.items()
                                     if any(o.kind != calendar_rules.EXAM_WEEK for o in offs)},
                           kecamatan=kecamatan, kecamatan_name=name or "", team=team, kecamatan_choices=choices,
                           teams=teams, days_off=days_off)


def calendar_days_off(user, kecamatan: Optional[str], team: Optional[Team], first: date, last: date) -> dict:
    """The planning calendar's days off the calendar page shows: national ones, and those of the area in
    view (the kecamatan shown, else the team's office or the user's own region): regional holidays,
    pilkada, school exam weeks."""
    from outreach.models.regions import level_of
    from outreach.planning import calendar as planning_calendar

    area = kecamatan or (team.office_kode if team is not None else None)
    scope = scope_of(user)
    if area is None and scope and level_of(scope) in ("kabupaten", "kecamatan", "desa"):
        area = scope
    if area is None:
        return planning_calendar.days_off_between(first, last, region_kodes=())
    return planning_calendar.days_off_for_region(area, first, last)


def print_focus(user, args, first: date, last: date) -> tuple[Optional[str], Optional[Team], list]:
    """(kecamatan, team, kecamatan choices) of the printed schedule: a coordinator prints its kecamatan,
    a field user its team; managers and admins choose (default: the busiest kecamatan of the period)."""
    kecamatan = args.get("kecamatan") or None
    if kecamatan and (kecamatan.count(".") != 2 or not in_scope(user, kecamatan)):
        raise Invisible()
    team = None
    if permissions.is_field(user):
        team = user.team
        if team is None or (args.get("team") not in (None, "") and str(args.get("team")) != str(team.id)):
            raise Invisible()
        return None, team, []
    if args.get("team") not in (None, ""):
        team = team_visible(user, args.get("team"))
        if team is None:
            raise Invisible()
    choices = kecamatan_options(user) if permissions.sees_area_wide(user) else []
    if permissions.is_coordinator(user):
        kecamatan = own_kecamatan(user)
    elif not kecamatan and team is None:
        kecamatan = busiest_kecamatan(user, first, last) or (choices[0][0] if choices else None)
    return kecamatan, team, choices


def schedule_by_desa(sessions: Iterable[RecordingSession], names: dict) -> list[tuple[str, list]]:
    """[(desa name, sessions by date and time)] ordered by desa name, for the printed schedule."""
    groups: dict[str, list] = {}
    for s in sessions:
        groups.setdefault(s.desa_kode, []).append(s)
    out = []
    for kode, items in groups.items():
        items.sort(key=lambda s: (s.date, s.start_time, s.id))
        out.append((names.get(kode, kode), items))
    out.sort(key=lambda g: g[0])
    return out


# Status change forms on the session page: action (form prefix) -> target status.
STATUS_ACTIONS = {"konfirmasi": "terkonfirmasi", "tunda": "ditunda", "batal": "dibatalkan"}


def status_change_args(action: str, form) -> tuple[dict, dict]:
    """(keyword arguments for service.change_status, {field: message}) from a status form."""
    status = STATUS_ACTIONS[action]
    kwargs: dict = {"expected_version": form.version.data or None}
    errors: dict = {}
    if status == "terkonfirmasi":
        kwargs["confirmed_with"] = form.confirmed_with.data or ""
        raw = (form.confirmed_at.data or "").strip()
        if raw:
            when = parse_local_datetime(raw)
            if when is None:
                errors["confirmed_at"] = _(
                    "Waktu konfirmasi \"%(value)s\" tidak dapat dibaca; isi tanggal dan jam, mis. 2026-05-04 09:30.",
                    value=raw[:40])
            kwargs["confirmed_at"] = when
        if not kwargs["confirmed_with"].strip():
            errors["confirmed_with"] = _("Isi nama kontak di lokasi yang mengonfirmasi jadwal ini.")
    elif status == "dibatalkan":
        kwargs["reason"] = form.reason.data or ""
    else:
        kwargs.update(reason=form.reason.data or "", new_date=form.new_date.data or None,
                      new_end_date=form.new_end_date.data or None, new_start=form.new_start.data or None,
                      new_end=form.new_end.data or None, override_reason=form.override_reason.data or "")
    return kwargs, errors


# ---------------------------------------------------------------- the session form

def desa_options(user, kecamatan: str) -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.level == "desa", Region.kecamatan_kode == kecamatan, scope_clause(user, Region))
        .order_by(Region.nama, Region.kode)).all()
    return [(kode, nama) for kode, nama in rows]


def list_filters(form, user) -> tuple[service.SessionFilters, dict]:
    """Fill the choices of the session list's filter form; return the service filters and the raw values
    (unreadable values get their message on the form and are ignored)."""
    from outreach.templating import site_type_labels

    coordinator = permissions.is_coordinator(user)
    kecamatan = own_kecamatan(user) if coordinator else form.kecamatan.data
    form.kecamatan.choices = [("", _("Semua kecamatan"))] + ([] if coordinator else kecamatan_options(user))
    form.desa.choices = [("", _("Semua desa/kelurahan"))] + (desa_options(user, kecamatan) if kecamatan else [])
    form.site_type.choices = [("", _("Semua jenis"))] + list(site_type_labels().items())
    form.team_id.choices = [("", _("Semua tim"))] + [(str(t.id), t.nama) for t in service.visible_teams(user)]
    form.status.choices = [("", _("Semua status"))] + list(service.status_labels().items())
    args = {"from": form.date_from.data, "to": form.date_to.data, "status": form.status.data,
            "team_id": form.team_id.data, "kecamatan": form.kecamatan.data, "desa": form.desa.data,
            "site_type": form.site_type.data}
    try:
        return service.parse_filters(args), args
    except service.ValidationFailed as exc:
        for key, message in exc.errors.items():
            target = {"from": form.date_from, "to": form.date_to}.get(key) or form._fields.get(key)
            if target is not None:
                target.errors = [message]
        return service.SessionFilters(), args


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
    form.target_groups.data = ["pemilih_pemula"] if site is not None and site.type == "sekolah" else ["umum"]
    teams = [t for t in service.visible_teams(user) if t.active]
    team = team_visible(user, args.get("team")) if args.get("team") else None
    if team is not None:
        form.team_id.data = str(team.id)
    elif len(teams) == 1:
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


def fill_session_choices(form, user, desa: Optional[str] = None, kecamatan: Optional[str] = None) -> list[dict]:
    """Choices of the session form (sites near the chosen one, teams, kits, kinds, groups);
    returns the kits as rows for the template (code, status, team)."""
    site = site_in_scope(user, form.site_id.data) if form.site_id.data else None
    if desa and in_scope(user, desa):
        groups = site_options(user, desa=desa, include_id=site.id if site else None)
    elif site is not None:
        groups = site_options(user, kecamatan=site.kecamatan_kode, include_id=site.id)
    elif kecamatan and kecamatan.count(".") == 2 and in_scope(user, kecamatan):
        groups = site_options(user, kecamatan=kecamatan)
    else:
        groups = site_options(user, kecamatan=own_kecamatan(user))
    form.site_id.choices = groups
    teams = service.visible_teams(user)
    chosen = str(form.team_id.data or "")
    form.team_id.choices = [("", _("— pilih tim —"))] + [
        (str(t.id), t.nama) for t in teams if t.active or str(t.id) == chosen]
    team_names = {t.id: t.nama for t in teams}
    kits = service.visible_kits(user)
    form.kit_ids.choices = [(str(k.id), k.code) for k in kits]
    form.kind.choices = list(service.kind_labels().items())
    form.target_groups.choices = list(service.target_group_labels().items())
    from outreach.templating import kit_status_labels
    status = kit_status_labels()
    return [{"id": str(k.id), "code": k.code, "status": k.status, "status_label": status.get(k.status, k.status),
             "team": team_names.get(k.team_id, "")} for k in kits]


def audit_names(history) -> dict:
    """Names for the ids an audit trail mentions: {"site_id": {id: nama}, "team_id": {...}, "kit_ids": {...}}
    (three small queries at most, whatever the length of the trail)."""
    from outreach.models import Kit

    wanted: dict[str, set] = {"site_id": set(), "team_id": set(), "kit_ids": set()}
    for entry in history:
        for key, change in (entry.changes or {}).items():
            if key not in wanted or not isinstance(change, (list, tuple)):
                continue
            for value in change:
                values = value if isinstance(value, (list, tuple)) else [value]
                wanted[key].update(v for v in values if isinstance(v, int))
    out: dict[str, dict] = {key: {} for key in wanted}
    for key, model, column in (("site_id", Site, Site.nama), ("team_id", Team, Team.nama), ("kit_ids", Kit, Kit.code)):
        if wanted[key]:
            out[key] = dict(db.session.execute(sa.select(model.id, column).where(model.id.in_(wanted[key]))).all())
    return out
