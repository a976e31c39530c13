"""From the database to a `PlanRequest`: the query side of the planner (the planner itself stays pure).

`parse_inputs(raw)` checks the raw API/form values; `load_request(user, inputs)` loads, for a
kecamatan or kabupaten in the user's scope: candidate sites with the reachable backlog of their desa
that no open session is planned for yet (one pool per desa, shared by its sites: never counted twice;
outreach.ledger), schools with pemilih pemula still to record and not yet planned for, and the cut-off
PEMILIH_PEMULA_CUTOFF, verified home-visit requests waiting for a session (load_home_visits); sites whose pool
open sessions already cover are left out with the sessions named; the teams and kits the user may plan with (kits under
repair marked), existing sessions as busy slots, days since each desa was last visited, and areas
lagging the coverage forecast.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from flask import current_app

from outreach import clock, input_limits
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region, Site as SiteRow
from outreach.models.planning import ACTIVE_STATUSES, OPEN_STATUSES, RecordingSession, SessionKit
from outreach.models.regions import level_of
from outreach.models.requests import VisitRequest
from outreach.planner.model import BusySlot, HomeVisit, Kit, LeftOut, PlanRequest, PriorityWeights, Site, Team
from outreach.planner.validate import Issue, PlanInputError
from outreach.planning import queries as planning_queries
from outreach.planning.parse import ID_MAX
from outreach.permissions import in_scope
from outreach.vocab import HOME_VISIT_KINDS
from outreach.templating import short_day

log = logging.getLogger(__name__)

REPAIR_STATUSES = ("rusak", "servis")
SCHOOL = "sekolah"
# A `rumah` site is planned only through its verified home-visit request (load_home_visits), never as a
# place of its desa.
NOT_PLANNED_TYPES = ("rumah",)
INPUT_KINDS = {"region": "string", "date_from": "string", "date_to": "string", "team_ids": "array",
               "kit_ids": "array", "settings": "object"}
# Setting overrides: name -> (kind, PlanRequest field or weight name).
SETTING_KINDS = {
    "travel_speed_kmh": "number", "road_factor": "number", "records_per_kit_hour": "number",
    "work_start": "time", "work_end": "time", "min_session_hours": "number", "max_session_hours": "number",
    "weight_pemilih_pemula": "number", "weight_lagging": "number", "weight_per_30_days_since_visit": "number",
    "max_days_since_visit": "integer", "weight_home_visit": "number", "home_visit_minutes": "integer",
    "home_visits_per_day": "integer",
}


class RegionNotFound(Exception):
    """The region does not exist, is not a kecamatan/kabupaten, or lies outside the user's scope."""


@dataclass
class PlanInputs:
    region: str
    date_from: date
    date_to: date
    team_ids: Optional[list[int]] = None
    kit_ids: Optional[list[int]] = None
    settings: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"region": self.region, "date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                "team_ids": self.team_ids, "kit_ids": self.kit_ids, "settings": dict(self.settings)}


def _cfg(name: str, default):
    return current_app.config.get(name, default)


def _parse_time(value) -> Optional[time]:
    if isinstance(value, time):
        return value
    try:
        text = str(value).strip()
        return time.fromisoformat(("0" + text) if len(text) == 4 else text)
    except ValueError:
        return None


def _id_list(value, label: str, issues: list, fld: str) -> Optional[list[int]]:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        issues.append(Issue(fld, _("%(label)s harus berupa daftar id.", label=label)))
        return None
    out = []
    for v in value:
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.isdigit())) \
                or not 0 < int(v) <= ID_MAX:
            issues.append(Issue(fld, _("%(label)s berisi id yang tidak sah: %(value)s.", label=label,
                                       value=str(v)[:40])))
            return None
        out.append(int(v))
    return sorted(set(out))


def parse_inputs(raw: Mapping[str, Any]) -> PlanInputs:
    """The request's raw values checked and typed; PlanInputError (Indonesian messages) when any is bad."""
    issues: list[Issue] = []
    unknown = sorted(str(k) for k in raw if k not in INPUT_KINDS)
    if unknown:
        issues.append(Issue("input", _("Kolom tidak dikenal: %(names)s.", names=", ".join(unknown))))
    region = raw.get("region")
    if not isinstance(region, str) or not region.strip():
        issues.append(Issue("wilayah", _("Pilih wilayah (kode kecamatan atau kabupaten/kota).")))
        region = ""
    region = region.strip()
    days = {}
    for key, label in (("date_from", _("Tanggal mulai")), ("date_to", _("Tanggal akhir"))):
        value = raw.get(key)
        if isinstance(value, date):
            days[key] = value if input_limits.date_in_range(value) else None
            if days[key] is None:
                issues.append(Issue("tanggal", input_limits.date_range_message(label)))
            continue
        try:
            days[key] = date.fromisoformat(str(value).strip()) if value not in (None, "") else None
        except ValueError:
            days[key] = None
            issues.append(Issue("tanggal", _("%(label)s \"%(value)s\" bukan tanggal yang sah (format TTTT-BB-HH).",
                                             label=label, value=str(value)[:40])))
            continue
        if days[key] is None:
            issues.append(Issue("tanggal", _("%(label)s wajib diisi.", label=label)))
        elif not input_limits.date_in_range(days[key]):
            days[key] = None
            issues.append(Issue("tanggal", input_limits.date_range_message(label)))
    if days.get("date_from") and days.get("date_to"):
        span = (days["date_to"] - days["date_from"]).days + 1
        if span < 1:
            issues.append(Issue("tanggal", _("Rentang tanggal kosong: tanggal akhir %(last)s sebelum tanggal mulai "
                                             "%(first)s.", last=short_day(days["date_to"]),
                                             first=short_day(days["date_from"]))))
        elif span > int(_cfg("PLANNER_MAX_DAYS", 62)):
            issues.append(Issue("tanggal", _("Rentang tanggal terlalu panjang: paling lama %(n)s hari.",
                                             n=int(_cfg("PLANNER_MAX_DAYS", 62)))))
    team_ids = _id_list(raw.get("team_ids"), _("Tim"), issues, "tim")
    kit_ids = _id_list(raw.get("kit_ids"), _("Alat"), issues, "alat")
    settings = raw.get("settings") or {}
    clean: dict = {}
    if not isinstance(settings, Mapping):
        issues.append(Issue("pengaturan", _("Pengaturan harus berupa objek.")))
        settings = {}
    for key, value in settings.items():
        kind = SETTING_KINDS.get(key)
        if kind is None:
            issues.append(Issue("pengaturan", _("Pengaturan tidak dikenal: %(name)s.", name=str(key)[:40])))
        elif value is None:
            continue
        elif kind == "time":
            parsed = _parse_time(value)
            if parsed is None:
                issues.append(Issue("pengaturan", _("%(name)s \"%(value)s\" bukan jam yang sah (format JJ:MM).",
                                                    name=key, value=str(value)[:20])))
            else:
                clean[key] = parsed.strftime("%H:%M")
        else:
            number = value
            if isinstance(value, str):
                try:
                    number = float(value.replace(",", "."))
                except ValueError:
                    number = None
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
                issues.append(Issue("pengaturan", _("%(name)s harus berupa angka.", name=key)))
            elif kind == "integer" and number != int(number):
                issues.append(Issue("pengaturan", _("%(name)s harus berupa bilangan bulat.", name=key)))
            else:
                clean[key] = int(number) if kind == "integer" else float(number)
    if issues:
        raise PlanInputError(issues)
    return PlanInputs(region=region, date_from=days["date_from"], date_to=days["date_to"], team_ids=team_ids,
                      kit_ids=kit_ids, settings=clean)


def resolve_region(user, kode: str) -> Region:
    """The kecamatan or kabupaten to plan, inside the user's scope; RegionNotFound otherwise."""
    if level_of(kode) not in ("kecamatan", "kabupaten"):
        raise PlanInputError([Issue("wilayah", _("Wilayah \"%(kode)s\" harus kode kecamatan (mis. 33.74.01) atau "
                                                 "kabupaten/kota (mis. 33.74).", kode=kode[:20]))])
    if not in_scope(user, kode):
        raise RegionNotFound(kode)
    region = db.session.get(Region, kode)
    if region is None:
        raise RegionNotFound(kode)
    return region


def planning_regions(user) -> list[Region]:
    """Kecamatan (and, for an admin or a kabupaten scope, kabupaten) the user may plan, for forms."""
    from outreach.permissions import scope_of

    scope = scope_of(user)
    q = sa.select(Region).where(Region.level.in_(("kecamatan", "kabupaten")))
    if scope is not None:
        q = q.where(sa.or_(Region.kode == scope, Region.kode.like(scope + ".%")))
    return list(db.session.scalars(q.order_by(Region.kode)))


def _kabupaten_of(region: Region) -> str:
    return region.kode[:5]


def available_resources(user, region: Region):
    """Teams and kits of the region's kabupaten the user may plan with (kits under repair included)."""
    kab = _kabupaten_of(region)
    teams = [t for t in planning_queries.visible_teams(user, office_in=kab) if t.active and t.office_kode == kab]
    kits = [k for k in planning_queries.visible_kits(user, office_in=kab) if k.office_kode == kab]
    return teams, kits


def _weights(settings: Mapping) -> PriorityWeights:
    return PriorityWeights(
        pemilih_pemula=settings.get("weight_pemilih_pemula", float(_cfg("PLANNER_WEIGHT_PEMILIH_PEMULA", 1.0))),
        lagging=settings.get("weight_lagging", float(_cfg("PLANNER_WEIGHT_LAGGING", 0.5))),
        per_30_days_since_visit=settings.get("weight_per_30_days_since_visit",
                                             float(_cfg("PLANNER_WEIGHT_PER_30_DAYS", 0.1))),
        max_days_since_visit=settings.get("max_days_since_visit", int(_cfg("PLANNER_MAX_DAYS_SINCE_VISIT", 180))),
        home_visit=settings.get("weight_home_visit", float(_cfg("PLANNER_WEIGHT_HOME_VISIT", 100.0))))


def _lagging_kodes(user, region: Region, today: date) -> set[str]:
    """Kecamatan/desa of the region whose forecast misses the deadline (empty when no forecast can be made)."""
    try:
        from outreach.coverage.queries.forecasts import forecast_for

        fc = forecast_for(user, region.kode, today=today)
        return {item.kode for item in fc["items"] if item.misses_deadline}
    except Exception:  # the forecast is optional for the planner: no weight rather than no plan
        log.warning("planner: no lagging forecast for %s", region.kode, exc_info=True)
        return set()


def load_request(user, inputs: PlanInputs, *, today: Optional[date] = None) -> tuple[PlanRequest, dict]:
    """The planner's request for `inputs`, plus a context for display (names of sites, teams, kits)."""
    region = resolve_region(user, inputs.region)
    today = today or clock.local_today()
    issues: list[Issue] = []
    teams, kits = available_resources(user, region)
    if inputs.team_ids is not None:
        unknown = sorted(set(inputs.team_ids) - {t.id for t in teams})
        if unknown:
            issues.append(Issue("tim", _("Tim tidak dikenal atau bukan tim kabupaten/kota wilayah ini: %(ids)s.",
                                         ids=", ".join(map(str, unknown)))))
        teams = [t for t in teams if t.id in set(inputs.team_ids)]
    if inputs.kit_ids is not None:
        unknown = sorted(set(inputs.kit_ids) - {k.id for k in kits})
        if unknown:
            issues.append(Issue("alat", _("Alat tidak dikenal atau bukan alat kabupaten/kota wilayah ini: %(ids)s.",
                                          ids=", ".join(map(str, unknown)))))
        kits = [k for k in kits if k.id in set(inputs.kit_ids)]
    if issues:
        raise PlanInputError(issues)

    from outreach.regions.queries import level_figures
    from outreach.planning import calendar as planning_calendar
    from outreach.planning.conflicts import blocked_days

    level_col = SiteRow.kecamatan_kode if region.level == "kecamatan" else SiteRow.kabupaten_kode
    rows = list(db.session.scalars(sa.select(SiteRow).where(
        level_col == region.kode, SiteRow.active.is_(True), SiteRow.type.not_in(NOT_PLANNED_TYPES))
        .order_by(SiteRow.id)))
    # The planning calendar, read the way a hand-made session's check reads it: the days off of the whole
    # region (national, cuti bersama, regional, election) and, per site, those plus exam weeks at schools
    # and the site's own unavailable dates.
    places = planning_calendar.places_for_sites(rows, inputs.date_from, inputs.date_to)
    region_days_off = frozenset(planning_calendar.days_off_for_region(region.kode, inputs.date_from, inputs.date_to,
                                                                      schools=False))
    figures = level_figures("desa", region.kode)
    # The ledger: what open sessions already expect is not proposed again (the unplanned reachable backlog).
    desa_backlog = {kode: int(f.reachable_unplanned or 0) for kode, f in figures.items()}
    planned = planned_on_pools(region)
    last_visit = dict(db.session.execute(
        sa.select(RecordingSession.desa_kode, sa.func.max(RecordingSession.date))
        .where(RecordingSession.desa_kode.in_(list(desa_backlog) or [""]),
               RecordingSession.status.in_(ACTIVE_STATUSES), RecordingSession.date < inputs.date_from)
        .group_by(RecordingSession.desa_kode)).all())
    lagging = _lagging_kodes(user, region, today)
    cutoff = date.fromisoformat(str(_cfg("PEMILIH_PEMULA_CUTOFF", "2029-02-14")))

    sites, left_out = [], []
    for row in rows:
        seen = last_visit.get(row.desa_kode)
        since = (inputs.date_from - seen).days if seen else None
        is_lagging = row.desa_kode in lagging or row.kecamatan_kode in lagging
        school_pool = row.type == SCHOOL and row.pemilih_pemula is not None
        on_pool = planned.get(("sekolah", row.id) if school_pool else ("desa", row.desa_kode), [])
        left = (max((row.pemilih_pemula_backlog or 0) - sum(n for _, n in on_pool), 0) if school_pool
                else desa_backlog.get(row.desa_kode, 0))
        if on_pool and left == 0:
            left_out.append(LeftOut(row.id, _("sudah direncanakan, %(sessions)s",
                                              sessions=", ".join(f"#{sid}" for sid, _n in on_pool))))
            continue
        note = _("sebagian sudah direncanakan (%(sessions)s)", sessions=", ".join(
            _("sesi #%(id)s: %(n)s", id=sid, n=n) for sid, n in on_pool)) if on_pool else ""
        if school_pool:  # a school without a pemilih pemula count is a place to visit for its desa's pool
            sites.append(Site(row.id, row.lat, row.lng, name=row.nama, pemilih_pemula=left,
                              cutoff=cutoff, days_since_visit=since, lagging=is_lagging,
                              blocked_dates=blocked_days(inputs.date_from, inputs.date_to, places[row.id]), note=note))
        else:
            desa_figures = figures.get(row.desa_kode)
            sites.append(Site(row.id, row.lat, row.lng, name=row.nama, desa=row.desa_kode, backlog=left,
                              desa_name=desa_figures.nama if desa_figures is not None else "",
                              days_since_visit=since, lagging=is_lagging,
                              blocked_dates=blocked_days(inputs.date_from, inputs.date_to, places[row.id]), note=note))

    home_visits, home_rows = load_home_visits(region, inputs, figures, last_visit, lagging)

    pool_ids = {k.id for k in kits}
    plan_teams = []
    for t in teams:
        lat = t.office_lat if t.office_lat is not None else (t.office.lat if t.office else None)
        lng = t.office_lng if t.office_lng is not None else (t.office.lng if t.office else None)
        if lat is None or lng is None:
            lat, lng = region.lat or 0.0, region.lng or 0.0
        own = tuple(sorted(k.id for k in kits if k.team_id in (t.id, None) and k.id in pool_ids))
        plan_teams.append(Team(t.id, lat, lng, name=t.nama, kit_ids=own))
    plan_kits = tuple(Kit(k.id, k.code, under_repair=k.status in REPAIR_STATUSES) for k in kits)

    team_ids = [t.id for t in teams] or [-1]
    kit_ids = sorted(pool_ids) or [-1]
    booked = sa.or_(RecordingSession.team_id.in_(team_ids), RecordingSession.id.in_(
        sa.select(SessionKit.session_id).where(SessionKit.kit_id.in_(kit_ids))))
    existing = db.session.execute(
        sa.select(RecordingSession.id, RecordingSession.date, RecordingSession.end_date, RecordingSession.team_id)
        .where(RecordingSession.status.in_(ACTIVE_STATUSES), RecordingSession.date <= inputs.date_to,
               sa.func.coalesce(RecordingSession.end_date, RecordingSession.date) >= inputs.date_from, booked)).all()
    session_kits: dict[int, list[int]] = {}
    if existing:
        for sid, kid in db.session.execute(sa.select(SessionKit.session_id, SessionKit.kit_id)
                                           .where(SessionKit.session_id.in_([e.id for e in existing]))):
            session_kits.setdefault(sid, []).append(kid)
    busy = []
    for e in existing:
        day = max(e.date, inputs.date_from)
        last = min(e.end_date or e.date, inputs.date_to)
        while day <= last:
            busy.append(BusySlot(day, team_id=e.team_id, kit_ids=tuple(sorted(session_kits.get(e.id, ())))))
            day = date.fromordinal(day.toordinal() + 1)

    s = inputs.settings
    req = PlanRequest(
        first_day=inputs.date_from, last_day=inputs.date_to, teams=tuple(plan_teams), kits=plan_kits,
        sites=tuple(sites), desa_backlog=desa_backlog, busy=tuple(busy),
        work_start=_parse_time(s.get("work_start", _cfg("PLANNER_DAY_START", "08:00"))),
        work_end=_parse_time(s.get("work_end", _cfg("PLANNER_DAY_END", "15:00"))),
        records_per_kit_hour=s.get("records_per_kit_hour", float(_cfg("RECORDS_PER_KIT_HOUR", 12))),
        travel_speed_kmh=s.get("travel_speed_kmh", float(_cfg("PLANNER_TRAVEL_KMH", 30))),
        road_factor=s.get("road_factor", float(_cfg("PLANNER_ROAD_FACTOR", 1.4))),
        min_session_hours=s.get("min_session_hours", float(_cfg("SESSION_MIN_HOURS", 2))),
        max_session_hours=s.get("max_session_hours", float(_cfg("SESSION_MAX_HOURS", 6))),
        weights=_weights(s), default_cutoff=cutoff, holiday_country="", extra_holidays=region_days_off,
        home_visits=tuple(home_visits),
        home_visit_minutes=s.get("home_visit_minutes", int(_cfg("PLANNER_HOME_VISIT_MINUTES", 30))),
        home_visits_per_day=s.get("home_visits_per_day", int(_cfg("PLANNER_HOME_VISITS_PER_DAY", 4))))
    context = {
        "region": region,
        "sites": {**{r.id: r for r in rows}, **{r.id: r for r in home_rows}},
        "teams": {t.id: t for t in teams},
        "kits": {k.id: k for k in kits},
        "left_out": left_out,  # sites whose pool open sessions already cover
        "home_visit_codes": {v.site_id: v.request_code for v in home_visits},  # rumah sites named by their request
    }
    return req, context


def load_home_visits(region: Region, inputs: PlanInputs, figures: Mapping, last_visit: Mapping,
                     lagging: set) -> tuple[list[HomeVisit], list[SiteRow]]:
    """The verified home-visit requests of the region waiting for a session (status diverifikasi, a `rumah`
    site, no session yet) as HomeVisits, with their sites. Only the code, kind, head count and the site's point
    are read: no personal data. A desa with official figures lends its pool (the people at home are part of
    its reachable backlog, outreach.ledger); without figures a request's people are a pool of their own."""
    level_col = VisitRequest.kecamatan_kode if region.level == "kecamatan" else VisitRequest.kabupaten_kode
    found = db.session.execute(
        sa.select(VisitRequest.id, VisitRequest.code, VisitRequest.kind, VisitRequest.people, SiteRow)
        .join(SiteRow, SiteRow.id == VisitRequest.site_id)
        .where(level_col == region.kode, VisitRequest.status == "diverifikasi",
               VisitRequest.kind.in_(HOME_VISIT_KINDS), VisitRequest.session_id.is_(None),
               SiteRow.active.is_(True), SiteRow.lat.is_not(None), SiteRow.lng.is_not(None))
        .order_by(VisitRequest.id)).all()
    if not found:
        return [], []
    from outreach.planning import calendar as planning_calendar
    from outreach.planning.conflicts import blocked_days

    sites = {row[4].id: row[4] for row in found}
    places = planning_calendar.places_for_sites(sites.values(), inputs.date_from, inputs.date_to)
    visits = []
    for request_id, code, kind, people, site in found:
        desa_figures = figures.get(site.desa_kode)
        known = desa_figures is not None and desa_figures.reachable_unplanned is not None
        seen = last_visit.get(site.desa_kode)
        visits.append(HomeVisit(
            request_id, code, site.id, site.lat, site.lng, people=max(int(people or 1), 1), kind=kind,
            desa=site.desa_kode if known else None, desa_name=desa_figures.nama if desa_figures is not None else "",
            blocked_dates=blocked_days(inputs.date_from, inputs.date_to, places[site.id]),
            days_since_visit=(inputs.date_from - seen).days if seen else None,
            lagging=site.desa_kode in lagging or site.kecamatan_kode in lagging))
    return visits, list(sites.values())


def planned_on_pools(region: Region) -> dict[tuple, list[tuple[int, int]]]:
    """{("desa", kode) or ("sekolah", site id): [(session id, expected turnout)]} of the open sessions in the
    region, by pool (outreach.ledger), oldest first."""
    RS = RecordingSession
    level_col = RS.kecamatan_kode if region.level == "kecamatan" else RS.kabupaten_kode
    out: dict[tuple, list[tuple[int, int]]] = {}
    for sid, site_id, desa, pool, expected in db.session.execute(
            sa.select(RS.id, RS.site_id, RS.desa_kode, RS.pool, RS.expected_turnout)
            .where(level_col == region.kode, RS.status.in_(OPEN_STATUSES)).order_by(RS.id)):
        key = ("sekolah", site_id) if pool == "sekolah" else ("desa", desa)
        out.setdefault(key, []).append((sid, int(expected or 0)))
    return out
