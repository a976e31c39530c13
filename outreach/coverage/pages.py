"""What the coverage pages show: the dashboard of an area, the area table, the trend and the forecast
pages, each built from the queries into a template's context. A builder returns (context, message):
the message, when not None, is the bad input to show with the page (answered with 400); an area out
of the user's scope raises RegionNotFound (404). The team page lives in `team_page`."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from outreach import clock
from outreach.coverage.formatting import backwards_range_message, parse_date_arg
from outreach.coverage.navigation import child_level_of, crumbs_for, parent_names, ranking_level
from outreach.coverage.panels import default_deadline, panel
from outreach.coverage.page_charts import (FORECAST_CHART_LIMIT, forecast_bars, projection_chart, slowest_chart,
                                           trend_chart)
from outreach.coverage.queries.areas import BadInput, forecast_weeks, resolve_area
from outreach.coverage.queries.figures import SORT_KEYS, area_table, coverage
from outreach.coverage.queries.forecasts import forecast_for, slowest_areas
from outreach.coverage.queries.pemula import pemilih_pemula
from outreach.coverage.queries.sessions import count_overdue_logs, overdue_logs, sessions_in_days, upcoming_sessions
from outreach.coverage.queries.trend import trend_points
from outreach.coverage.team_page import TEAM_DASHBOARD_LIMIT, team_chart, team_period
from outreach.extensions import db
from outreach.models import Region
from outreach.models.regions import level_of
from outreach.permissions import scope_of
from outreach.vocab import forecast_status_labels, session_status_labels

TABLE_LEVELS = ("kabupaten", "kecamatan", "desa")
# Desa are shown for one kabupaten/kota or kecamatan at a time (a province has about 8,500).
DESA_TABLE_WITHIN = ("kabupaten", "kecamatan", "desa")
UPCOMING_DAYS = 14
UPCOMING_LIMIT = 15
OVERDUE_LIMIT = 15


def weekly_points(points: list[dict]) -> list[dict]:
    """The last point of each week (and the newest point), for the dashboard's short table."""
    by_week: dict = {}
    for p in points:
        by_week[p["date"].isocalendar()[:2]] = p
    out = list(by_week.values())
    if points and (not out or out[-1] is not points[-1]):
        out.append(points[-1])
    return out


# ---------------------------------------------------------------- dashboard

def dashboard_context(user, kode: Optional[str]) -> dict:
    """Everything the dashboard shows for one area; raises RegionNotFound when out of scope."""
    cov = coverage(user, kode)
    area = cov["area"]
    k = area.kode
    context = {"cov": cov, "area": area, "figures": cov["region"], "children": cov["children"],
               "child_level": child_level_of(area.level), "crumbs": crumbs_for(area), "notes": [], "parents": {},
               "late": [], "status_labels": forecast_status_labels(), "session_status_labels": session_status_labels(),
               "upcoming_limit": UPCOMING_LIMIT}
    trend = trend_points(user, k)
    context["trend"] = trend
    context["trend_table"] = weekly_points(trend)
    title = _("Tren belum rekam sejak %(date)s", date=format_date(trend[0]["date"], "d MMM yyyy")) if trend else \
        _("Tren belum rekam")
    context["trend_chart"] = trend_chart(trend, title)
    level = ranking_level(area)
    context["ranking_level"] = level
    context["weeks"] = forecast_weeks()
    if level:
        forecast, context["forecast_at"] = panel("forecast", user, area)
        context.update(slowest=forecast["slowest"], late=forecast["late"], forecast=forecast["forecast"])
        context["parents"] = parent_names(area, [f.kode for f in context["slowest"] + context["late"]])
        context["slowest_chart"] = slowest_chart(context["slowest"], level, context["parents"])
    context["upcoming"] = upcoming_sessions(user, k, days=UPCOMING_DAYS, limit=UPCOMING_LIMIT)
    context["overdue"] = overdue_logs(user, k, limit=OVERDUE_LIMIT)
    context["overdue_count"] = count_overdue_logs(user, k)
    # Who is behind: the first few in team_behind_key's order; every team is on the team page.
    teams, context["teams_at"] = panel("teams", user, area)
    context.update(teams=teams["teams"], teams_total=teams["total"], teams_overdue=teams["overdue"])
    context["teams_chart"] = team_chart(context["teams"], *team_period(None, None, clock.local_today()),
                                        limit=TEAM_DASHBOARD_LIMIT, width=560) if teams["teams"] else None
    try:
        context["pemula"] = pemilih_pemula(user, k, school_limit=5, per_kecamatan=False)
    except BadInput as exc:  # e.g. the configured cut-off has passed
        context["pemula"] = None
        context["notes"].append(exc.message)
    return context


# ---------------------------------------------------------------- one-page summary for the head of office

SUMMARY_LAGGARDS = 8
SUMMARY_SESSIONS = 25


def office_summary_context(user, kode: Optional[str], today: Optional[date] = None) -> dict:
    """What the head of office reads on one printed A4 page: the area's figures, the areas furthest
    from zero, and next week's sessions (Monday to Sunday); raises RegionNotFound out of scope."""
    today = today or clock.local_today()
    cov = coverage(user, kode)
    area = cov["area"]
    level = ranking_level(area)
    laggards = slowest_areas(user, area.kode, limit=SUMMARY_LAGGARDS, level=level) if level else []
    first = today + timedelta(days=7 - today.weekday())
    last = first + timedelta(days=6)
    sessions = sessions_in_days(user, area.kode, first, last, limit=SUMMARY_SESSIONS + 1)
    return {"area": area, "figures": cov["region"], "cov": cov, "ranking_level": level, "laggards": laggards,
            "parents": parent_names(area, [f.kode for f in laggards]), "status_labels": forecast_status_labels(),
            "week_first": first, "week_last": last, "sessions": sessions[:SUMMARY_SESSIONS],
            "more_sessions": len(sessions) > SUMMARY_SESSIONS, "session_status_labels": session_status_labels(),
            "printed_at": clock.local_now()}


# ---------------------------------------------------------------- area table

def table_parent_options(user, parent: Optional[str]) -> list[tuple[str, str]]:
    """Areas the table can be narrowed to: the scope, its children (and the current choice)."""
    scope = scope_of(user)
    if scope == "__none__":
        return []
    if scope is None:
        where = Region.level.in_(("provinsi", "kabupaten"))
    else:
        where = sa.or_(Region.kode == scope, Region.parent_kode == scope)
    if parent:
        where = sa.or_(where, Region.kode == parent)
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind).where(where)
                              .order_by(Region.kode)).all()
    return [(k, n) for k, n, _kind in rows]


def desa_table_allowed(user, parent: Optional[str]) -> bool:
    """Desa are listed only within one kabupaten/kota or kecamatan (the one chosen, else the scope)."""
    within = parent or scope_of(user)
    return bool(within) and level_of(within) in DESA_TABLE_WITHIN


def table_page(user, query_args) -> tuple[dict, Optional[str]]:
    """Every area of a level in scope with all figures; sorted by a column, narrowed by parent and name."""
    scope_area = resolve_area(user, None) if scope_of(user) != "__none__" else None
    default_level = child_level_of(scope_area.level) if scope_area else "kecamatan"
    level = (query_args.get("level") or default_level or "desa").strip()
    parent = (query_args.get("parent") or "").strip() or None
    q = (query_args.get("q") or "").strip()[:100]
    sort = (query_args.get("sort") or "kode").strip()
    context = {"level": level, "parent": parent, "q": q, "sort": sort, "levels": TABLE_LEVELS,
               "parent_options": table_parent_options(user, parent), "rows": [], "sort_keys": SORT_KEYS}
    if level not in TABLE_LEVELS:
        return dict(context, level=default_level), _(
            "Tingkat \"%(level)s\" tidak dikenal. Pilih kabupaten, kecamatan, atau desa.", level=level[:20])
    if level == "desa" and not desa_table_allowed(user, parent):
        return context, _("Untuk tingkat desa/kelurahan, pilih dulu kabupaten/kota atau kecamatan (satu provinsi "
                          "punya ribuan desa).")
    try:
        rows = area_table(user, level, parent=parent, q=q or None, sort=sort)
    except BadInput as exc:
        return context, exc.message
    return dict(context, rows=rows), None


# ---------------------------------------------------------------- trend

def trend_page(user, area, query_args) -> tuple[dict, Optional[str]]:
    """The area's backlog over time, from the nightly snapshots and today's live figures."""
    raw_from, raw_to = query_args.get("from", ""), query_args.get("to", "")
    context = {"area": area, "crumbs": crumbs_for(area), "raw_from": raw_from, "raw_to": raw_to, "points": []}
    date_from, err_from = parse_date_arg(raw_from, _("Tanggal awal"))
    date_to, err_to = parse_date_arg(raw_to, _("Tanggal akhir"))
    if err_from or err_to:
        return context, err_from or err_to
    if date_from and date_to and date_from > date_to:
        return context, backwards_range_message(date_from, date_to)
    try:
        points = trend_points(user, area.kode, date_from, date_to)
    except BadInput as exc:
        return context, exc.message
    return dict(context, points=points, chart=trend_chart(points, _("Tren belum rekam"), width=1160)), None


# ---------------------------------------------------------------- forecast

def forecast_page(user, area, query_args) -> tuple[dict, Optional[str]]:
    """When each kecamatan's reachable backlog reaches zero at the recent pace; who misses the deadline."""
    raw_weeks = (query_args.get("weeks") or "").strip()
    raw_deadline = (query_args.get("deadline") or "").strip()
    context = {"area": area, "crumbs": crumbs_for(area), "raw_weeks": raw_weeks, "raw_deadline": raw_deadline,
               "status_labels": forecast_status_labels(), "default_weeks": forecast_weeks(),
               "default_deadline": default_deadline(), "chart_limit": FORECAST_CHART_LIMIT}
    deadline, err = parse_date_arg(raw_deadline, _("Tenggat"))
    if err:
        return context, err
    if raw_weeks and not raw_weeks.isdigit():
        return context, _("Jumlah minggu \"%(raw)s\" bukan bilangan bulat. Isi antara 1 dan 104.", raw=raw_weeks[:20])
    today = clock.local_today()
    if deadline is not None and deadline < today:
        return context, _("Tenggat %(d)s sudah lewat. Pilih hari ini atau tanggal sesudahnya.",
                          d=format_date(deadline, "d MMM yyyy"))
    try:
        result = forecast_for(user, area.kode, weeks=raw_weeks or None, deadline=deadline,
                              level=ranking_level(area) or "desa", today=today)
        own = result["region"]
        since = own.pace_since if own is not None and own.pace_since else today - timedelta(days=7 * result["weeks"])
        points = trend_points(user, area.kode, since, today)
    except BadInput as exc:
        return context, exc.message
    parents = parent_names(area, [f.kode for f in result["items"]])
    return dict(context, result=result, own=own, items=result["items"], summary=result["summary"], parents=parents,
                chart=forecast_bars(result["items"], result["deadline"], today, parents),
                projection=projection_chart(points, own, result["deadline"], today)), None
