"""Coverage pages: the manager's dashboard, the area table, trend and forecast pages, exports.

Every figure comes from `outreach.coverage.queries` (scoped to the user, computed live: a turnout log
counts the moment it is saved); the charts are drawn on the server (`charts`), the files written by
`exports`. A region outside the user's scope, or unknown, answers 404; bad input (a backwards date
range, a deadline in the past, a word where a date belongs) answers 400 with the page and a message.

    /dasbor                         the dashboard of the user's scope
    /dasbor/<kode>                  the dashboard of an area in scope (drill-down)
    /dasbor/tabel?level=&parent=&q=&sort=     every area of a level, sortable and filterable
    /dasbor/<kode>/tren?from=&to=             backlog over time: chart and table
    /dasbor/<kode>/prakiraan?weeks=&deadline= when the reachable backlog reaches zero, per kecamatan
    /dasbor/<kode>/tim?from=&to=&sort=        every team of the area over a period: table and chart
    /dasbor/<kode>/ekspor/<wilayah|sesi|log>.<csv|xlsx>   exports
    /dasbor/<kode>/ekspor/tim.<csv|xlsx>?from=&to=&sort=  the team table
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Iterator, Optional

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from outreach.coverage import charts, export_queries, exports
from outreach.coverage import forecast as fc
from outreach.coverage import queries
from outreach.extensions import db
from outreach.models import Region
from outreach.models.regions import AWAY_REASONS, LEVELS
from outreach.security import roles_required
from outreach.permissions import scope_of
from outreach import vocab
from outreach import permissions

bp = Blueprint("coverage", __name__)

TABLE_LEVELS = ("kabupaten", "kecamatan", "desa")
# Desa are shown for one kabupaten/kota or kecamatan at a time (a province has about 8,500).
DESA_TABLE_WITHIN = ("kabupaten", "kecamatan", "desa")
SLOWEST_LIMIT = 10
UPCOMING_DAYS = 14
UPCOMING_LIMIT = 15
OVERDUE_LIMIT = 15
FORECAST_CHART_LIMIT = 30
TEAM_DEFAULT_DAYS = 28       # as queries.team_figures
TEAM_DASHBOARD_LIMIT = 10    # the dashboard shows the teams most behind; the team page shows them all
TEAM_CHART_LIMIT = 30
# An XLSX is built in memory by openpyxl (about 10,000 rows a second): larger sets go out as CSV.
XLSX_MAX_ROWS = 50_000


# ---------------------------------------------------------------- small helpers

class Numbers:
    """Fast number formatting in one locale for tables of hundreds of rows (Babel's per-call lookup of
    the request's locale costs more than the page's queries): the separators are read once."""

    def __init__(self, locale):
        from babel.numbers import get_decimal_symbol, get_group_symbol
        self.group = get_group_symbol(locale)
        self.decimal = get_decimal_symbol(locale)

    def _swap(self, text: str) -> str:
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)

    def number(self, value) -> str:
        """1234567 -> "1.234.567" (the `number` filter's output, #,##0)."""
        if value is None:
            return "–"
        return self._swap(f"{round(value):,}")

    def percent(self, value) -> str:
        """97.456 -> "97,5%" (the `percent` filter's output, #,##0.0)."""
        if value is None:
            return "–"
        return self._swap(f"{value:,.1f}") + "%"

    def fixed1(self, value) -> str:
        """12 -> "12,0": one decimal always (columns of rates line up)."""
        if value is None:
            return "–"
        return self._swap(f"{value:,.1f}")

    def decimal1(self, value) -> str:
        """12.54 -> "12,5"; 12.0 -> "12" (#,##0.#)."""
        if value is None:
            return "–"
        text = f"{value:,.1f}"
        if text.endswith(".0"):
            text = text[:-2]
        return self._swap(text)


@bp.context_processor
def _template_helpers():
    from flask_babel import get_locale

    numbers = Numbers(get_locale())
    dates: dict = {}

    def day(value, fmt="d MMM yyyy"):
        """format_date, remembered per (date, pattern) for the length of the request."""
        if value is None:
            return "–"
        key = (value, fmt)
        if key not in dates:
            dates[key] = format_date(value, fmt)
        return dates[key]

    return {"num": numbers.number, "pct": numbers.percent, "decimal1": numbers.decimal1, "fixed1": numbers.fixed1,
            "day": day, "overdue_text": overdue_text}


def overdue_text(hours) -> str:
    """How late a log is: hours under two days, whole days after that."""
    hours = max(float(hours or 0), 0)
    if hours < 48:
        return _("%(n)s jam", n=int(round(hours)))
    return _("%(n)s hari", n=int(hours // 24))


def _bad_input_page(template: str, error: str, **context):
    return render_template(template, error=error, **context), 400


def _area_or_404(kode: Optional[str]):
    try:
        return queries.resolve_area(current_user, kode)
    except queries.RegionNotFound:
        abort(404)


def child_level_of(level: str) -> Optional[str]:
    return queries.CHILD_LEVEL.get(level)


def ranking_level(area) -> Optional[str]:
    """Which areas the dashboard ranks: kecamatan (from a kabupaten or the province), desa inside a kecamatan."""
    if area.level == "desa":
        return None
    return "desa" if area.level == "kecamatan" else "kecamatan"


def fmt_number(value) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0")


def chart_formatters() -> dict:
    """Babel's formatters in the request's locale, for the pure chart module."""
    return {"fmt_number": fmt_number, "fmt_date": lambda d: format_date(d, "d MMM yyyy"),
            "fmt_tick_date": lambda d: format_date(d, "d MMM"), "fmt_tick_month": lambda d: format_date(d, "MMM yyyy")}


def status_labels() -> dict:
    return {fc.DONE: _("Sudah nol"), fc.ON_TRACK: _("Sesuai jadwal"), fc.LATE: _("Terlambat"),
            fc.STALLED: _("Macet (belum rekam tidak turun)")}


def session_status_labels() -> dict:
    from outreach.planning.labels import status_labels as labels
    return labels()


def parse_date_arg(raw: Optional[str], label: str) -> tuple[Optional[date], Optional[str]]:
    """A YYYY-MM-DD query argument: (date, None), (None, None) when empty, (None, message) when unreadable."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, _("%(label)s \"%(raw)s\" bukan tanggal. Tulis tanggal sebagai TTTT-BB-HH, mis. 2026-09-15.",
                       label=label, raw=raw[:20])


def crumbs_for(area) -> list[dict]:
    """The ancestors of the area the user may open (links lead to their dashboards)."""
    if area.kode is None:
        return []
    from outreach.regions.routes import breadcrumbs
    return breadcrumbs(current_user, area.kode)


# ---------------------------------------------------------------- charts of the pages

def trend_chart(points: list[dict], title: str, markers: Iterable[charts.Marker] = (), width: int = 760):
    # A SIAK point knows no known away or refusers of its date: the reachable line skips it.
    series = [charts.Series(_("Belum rekam (backlog)"), [(p["date"], p["backlog"]) for p in points]),
              charts.Series(_("Backlog terjangkau"), [(p["date"], p["reachable_backlog"]) for p in points
                                                      if p["reachable_backlog"] is not None])]
    return charts.line_chart(series, title=title, markers=markers, testid="trend-chart", width=width,
                             desc=_("Belum rekam dan backlog terjangkau per tanggal."),
                             empty_text=_("Belum ada titik data pada rentang ini."), **chart_formatters())


def weekly_points(points: list[dict]) -> list[dict]:
    """The last point of each week (and the newest point), for the dashboard's short table."""
    by_week: dict = {}
    for p in points:
        by_week[p["date"].isocalendar()[:2]] = p
    out = list(by_week.values())
    if points and (not out or out[-1] is not points[-1]):
        out.append(points[-1])
    return out


def parent_names(area, kodes: Iterable[str]) -> dict:
    """{kecamatan kode: its kabupaten/kota's short name} when a ranking spans several kabupaten
    (kecamatan names repeat across Jawa Tengah: "Salam", "Pagedongan"); {} otherwise. One query."""
    if area.kode is not None and area.level != "provinsi":
        return {}
    kodes = [k for k in kodes if k and k.count(".") >= 2]
    parents = {k: ".".join(k.split(".")[:2]) for k in kodes}
    if not parents:
        return {}
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(sorted(set(parents.values())))))
    short = {k: (n[len("Kabupaten "):] if n.startswith("Kabupaten ") else n) for k, n in rows}
    return {k: short[p] for k, p in parents.items() if p in short}


def ranked_label(item, parents: dict) -> str:
    parent = parents.get(item.kode)
    return f"{item.nama}, {parent}" if parent else item.nama


def slowest_chart(items, level: str, parents: Optional[dict] = None):
    parents = parents or {}
    bars = []
    for f in items:
        text = fmt_number(f.reachable_backlog)
        if f.weeks_to_zero is not None:
            text += " · " + _("%(n)s minggu", n=format_decimal(f.weeks_to_zero, format="#,##0.#"))
        bars.append(charts.Bar(label=ranked_label(f, parents), value=f.reachable_backlog,
                               href=url_for(".dashboard", kode=f.kode), value_text=text, flag=f.status == fc.STALLED))
    title = _("Wilayah paling lambat: backlog terjangkau dan waktu sampai nol")
    return charts.bar_chart(bars, title=title, testid="slowest-chart", fmt_number=fmt_number,
                            flag_text=_("macet, tanpa laporan"), empty_text=_("Tidak ada backlog terjangkau."))


def forecast_bars(items, deadline: Optional[date], today: date, parents: Optional[dict] = None):
    parents = parents or {}
    labels = status_labels()
    bars = []
    for f in items[:FORECAST_CHART_LIMIT]:
        if f.weeks_to_zero is None:
            text, value = labels[fc.STALLED], None
        else:
            text = _("%(n)s minggu", n=format_decimal(f.weeks_to_zero, format="#,##0.#"))
            value = f.weeks_to_zero
            if f.extra_sessions:
                text += " · " + _("kurang %(n)s sesi", n=fmt_number(f.extra_sessions))
        bars.append(charts.Bar(label=ranked_label(f, parents), value=value, value_text=text,
                               href=url_for(".dashboard", kode=f.kode),
                               flag=f.misses_deadline or f.status == fc.STALLED))
    reference = None
    if deadline is not None:
        reference = charts.Reference((deadline - today).days / 7, _("Tenggat %(d)s", d=format_date(deadline, "d MMM yyyy")))
    return charts.bar_chart(bars, title=_("Minggu sampai backlog terjangkau nol, pada laju sekarang"), width=1160,
                            reference=reference, testid="forecast-chart", flag_text=_("meleset"),
                            fmt_number=lambda v: format_decimal(v, format="#,##0.#"),
                            empty_text=_("Belum ada wilayah dengan target."))


def projection_chart(points: list[dict], own, deadline: Optional[date], today: date):
    """Reachable backlog so far, and the straight line at the current pace down to zero."""
    history = charts.Series(_("Backlog terjangkau"), [(p["date"], p["reachable_backlog"]) for p in points
                                                      if p["reachable_backlog"] is not None])
    series = [history]
    if own is not None and own.reachable_backlog > 0 and own.finish_date is not None:
        end = own.finish_date
        if deadline is not None and end > deadline + timedelta(days=366):
            end = deadline + timedelta(days=366)
        left_at_end = max(own.reachable_backlog - own.weekly_pace * (end - today).days / 7, 0)
        series.append(charts.Series(_("Proyeksi pada laju sekarang"),
                                    [(today, own.reachable_backlog), (end, round(left_at_end))]))
    markers = [charts.Marker(today, _("Hari ini"))]
    if deadline is not None:
        markers.append(charts.Marker(deadline, _("Tenggat")))
    return charts.line_chart(series, title=_("Backlog terjangkau dan proyeksinya"), markers=markers,
                             testid="projection-chart", width=1160, empty_text=_("Belum ada titik data."),
                             **chart_formatters())


# ---------------------------------------------------------------- dashboard

def dashboard_context(user, kode: Optional[str]) -> dict:
    """Everything the dashboard shows for one area; raises queries.RegionNotFound when out of scope."""
    cov = queries.coverage(user, kode)
    area = cov["area"]
    k = area.kode
    context = {"cov": cov, "area": area, "figures": cov["region"], "children": cov["children"],
               "child_level": child_level_of(area.level), "crumbs": crumbs_for(area), "notes": [], "parents": {},
               "late": []}
    trend = queries.trend_points(user, k)
    context["trend"] = trend
    context["trend_table"] = weekly_points(trend)
    title = _("Tren belum rekam sejak %(date)s", date=format_date(trend[0]["date"], "d MMM yyyy")) if trend else \
        _("Tren belum rekam")
    context["trend_chart"] = trend_chart(trend, title)
    level = ranking_level(area)
    context["ranking_level"] = level
    context["weeks"] = queries.forecast_weeks()
    if level:
        context["slowest"] = queries.slowest_areas(user, k, limit=SLOWEST_LIMIT, level=level)
        # The deadline flags need every area's forecast: only worth a second pass when a deadline is set.
        result = queries.forecast_for(user, k, level=level) if _default_deadline() else None
        context["forecast"] = result
        context["late"] = [f for f in result["items"] if f.misses_deadline][:SLOWEST_LIMIT] if result else []
        context["parents"] = parent_names(area, [f.kode for f in context["slowest"] + context["late"]])
        context["slowest_chart"] = slowest_chart(context["slowest"], level, context["parents"])
    context["upcoming"] = queries.upcoming_sessions(user, k, days=UPCOMING_DAYS, limit=UPCOMING_LIMIT)
    context["overdue"] = queries.overdue_logs(user, k, limit=OVERDUE_LIMIT)
    context["overdue_count"] = queries.count_overdue_logs(user, k)
    # Who is behind: the first few in team_behind_key's order; every team is on the team page.
    all_teams = sorted(queries.team_figures(user, region_kode=k), key=team_behind_key)
    context["teams"] = all_teams[:TEAM_DASHBOARD_LIMIT]
    context["teams_total"] = len(all_teams)
    context["teams_overdue"] = sum(1 for t in all_teams if t.logs_overdue)
    context["teams_chart"] = team_chart(context["teams"], *team_period(None, None, queries.local_today()),
                                        limit=TEAM_DASHBOARD_LIMIT, width=560) if all_teams else None
    try:
        context["pemula"] = queries.pemilih_pemula(user, k, school_limit=5, per_kecamatan=False)
    except queries.BadInput as exc:  # e.g. the configured cut-off has passed
        context["pemula"] = None
        context["notes"].append(exc.message)
    return context


@bp.route("/dasbor", defaults={"kode": None})
@bp.route("/dasbor/<kode>")
@roles_required(*permissions.STAFF)
def dashboard(kode: Optional[str]):
    """Headline figures, trend, slowest areas, sessions, overdue logs, teams, pemilih pemula, forecast."""
    if scope_of(current_user) == "__none__":
        return render_template("coverage/dashboard.html", no_scope=True, area=None)
    try:
        context = dashboard_context(current_user, kode)
    except queries.RegionNotFound:
        abort(404)
    return render_template("coverage/dashboard.html", status_labels=status_labels(),
                           session_status_labels=session_status_labels(), upcoming_limit=UPCOMING_LIMIT, **context)


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


@bp.route("/dasbor/tabel")
@roles_required(*permissions.STAFF)
def area_table():
    """Every area of a level in scope with all figures; sorted by a column, narrowed by parent and name."""
    args = request.args
    scope_area = _area_or_404(None) if scope_of(current_user) != "__none__" else None
    default_level = child_level_of(scope_area.level) if scope_area else "kecamatan"
    level = (args.get("level") or default_level or "desa").strip()
    parent = (args.get("parent") or "").strip() or None
    q = (args.get("q") or "").strip()[:100]
    sort = (args.get("sort") or "kode").strip()
    context = {"level": level, "parent": parent, "q": q, "sort": sort, "levels": TABLE_LEVELS,
               "parent_options": table_parent_options(current_user, parent), "rows": [],
               "sort_keys": queries.SORT_KEYS}
    if level not in TABLE_LEVELS:
        return _bad_input_page("coverage/table.html", _("Tingkat \"%(level)s\" tidak dikenal. Pilih kabupaten, kecamatan, atau desa.",
                                                        level=level[:20]), **dict(context, level=default_level))
    if level == "desa" and not _desa_table_allowed(parent):
        return _bad_input_page("coverage/table.html", _("Untuk tingkat desa/kelurahan, pilih dulu kabupaten/kota atau "
                                                        "kecamatan (satu provinsi punya ribuan desa)."), **context)
    try:
        rows = queries.area_table(current_user, level, parent=parent, q=q or None, sort=sort)
    except queries.RegionNotFound:
        abort(404)
    except queries.BadInput as exc:
        return _bad_input_page("coverage/table.html", exc.message, **context)
    return render_template("coverage/table.html", **dict(context, rows=rows))


def _desa_table_allowed(parent: Optional[str]) -> bool:
    from outreach.models.regions import level_of
    within = parent or scope_of(current_user)
    return bool(within) and level_of(within) in DESA_TABLE_WITHIN


# ---------------------------------------------------------------- trend

@bp.route("/dasbor/<kode>/tren")
@roles_required(*permissions.STAFF)
def trend(kode: str):
    """The area's backlog over time, from the nightly snapshots and today's live figures."""
    area = _area_or_404(kode)
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    context = {"area": area, "crumbs": crumbs_for(area), "raw_from": raw_from, "raw_to": raw_to, "points": []}
    date_from, err_from = parse_date_arg(raw_from, _("Tanggal awal"))
    date_to, err_to = parse_date_arg(raw_to, _("Tanggal akhir"))
    if err_from or err_to:
        return _bad_input_page("coverage/trend.html", err_from or err_to, **context)
    if date_from and date_to and date_from > date_to:
        return _bad_input_page("coverage/trend.html", _("Rentang tanggal terbalik: tanggal awal (%(a)s) sesudah "
                                                        "tanggal akhir (%(b)s).", a=format_date(date_from, "d MMM yyyy"),
                                                        b=format_date(date_to, "d MMM yyyy")), **context)
    try:
        points = queries.trend_points(current_user, kode, date_from, date_to)
    except queries.RegionNotFound:
        abort(404)
    except queries.BadInput as exc:
        return _bad_input_page("coverage/trend.html", exc.message, **context)
    chart = trend_chart(points, _("Tren belum rekam"), width=1160)
    return render_template("coverage/trend.html", **dict(context, points=points, chart=chart))


# ---------------------------------------------------------------- forecast

@bp.route("/dasbor/<kode>/prakiraan")
@roles_required(*permissions.STAFF)
def forecast(kode: str):
    """When each kecamatan's reachable backlog reaches zero at the recent pace; who misses the deadline."""
    area = _area_or_404(kode)
    raw_weeks = (request.args.get("weeks") or "").strip()
    raw_deadline = (request.args.get("deadline") or "").strip()
    context = {"area": area, "crumbs": crumbs_for(area), "raw_weeks": raw_weeks, "raw_deadline": raw_deadline,
               "status_labels": status_labels(), "default_weeks": queries.forecast_weeks(),
               "default_deadline": _default_deadline(), "chart_limit": FORECAST_CHART_LIMIT}
    deadline, err = parse_date_arg(raw_deadline, _("Tenggat"))
    if err:
        return _bad_input_page("coverage/forecast.html", err, **context)
    if raw_weeks and not raw_weeks.isdigit():
        return _bad_input_page("coverage/forecast.html", _("Jumlah minggu \"%(raw)s\" bukan bilangan bulat. Isi antara "
                                                           "1 dan 104.", raw=raw_weeks[:20]), **context)
    today = queries.local_today()
    if deadline is not None and deadline < today:
        return _bad_input_page("coverage/forecast.html", _("Tenggat %(d)s sudah lewat. Pilih hari ini atau tanggal "
                                                           "sesudahnya.", d=format_date(deadline, "d MMM yyyy")), **context)
    try:
        result = queries.forecast_for(current_user, kode, weeks=raw_weeks or None, deadline=deadline,
                                      level=ranking_level(area) or "desa", today=today)
        own = result["region"]
        since = own.pace_since if own is not None and own.pace_since else today - timedelta(days=7 * result["weeks"])
        points = queries.trend_points(current_user, kode, since, today)
    except queries.RegionNotFound:
        abort(404)
    except queries.BadInput as exc:
        return _bad_input_page("coverage/forecast.html", exc.message, **context)
    parents = parent_names(area, [f.kode for f in result["items"]])
    return render_template("coverage/forecast.html", **dict(
        context, result=result, own=own, items=result["items"], summary=result["summary"], parents=parents,
        chart=forecast_bars(result["items"], result["deadline"], today, parents),
        projection=projection_chart(points, own, result["deadline"], today)))


def _default_deadline() -> Optional[date]:
    try:
        return queries.coverage_deadline()
    except queries.BadInput:
        return None


# ---------------------------------------------------------------- teams

# Sort keys of the team table: "behind" is who is behind first (the dashboard's order); the others are
# TeamFigures attributes ("office" the office's name). "-" before a key sorts descending.
TEAM_SORT_KEYS = ("behind", "nama", "office", "sessions_planned", "sessions_open", "sessions_done",
                  "sessions_cancelled", "logs_overdue", "logs_late", "on_time_rate", "recorded",
                  "recorded_per_kit_hour", "expected_reached_share")


def team_behind_key(team) -> tuple:
    """Who is behind first: most overdue logs, then the lowest on-time rate of the logs due (no log due
    yet counts as all on time), then the lowest share of the expected turnout reached (teams with no
    logged session after those with one), then the name."""
    share, rate = team.expected_reached_share, team.on_time_rate
    return (-team.logs_overdue, 1.0 if rate is None else rate, share is None, share or 0.0, team.nama.lower())


def sort_teams(teams: list, sort: str, offices: Optional[dict] = None) -> list:
    """The teams in the order of a TEAM_SORT_KEYS key ("-key": descending; missing values last, equal
    values by name). ValueError for an unknown key."""
    desc = sort.startswith("-")
    key = sort[1:] if desc else sort
    if key not in TEAM_SORT_KEYS:
        raise ValueError(key)
    if key == "behind":
        return sorted(teams, key=team_behind_key, reverse=desc)
    offices = offices or {}

    def value(t):
        if key == "office":
            return (offices.get(t.office_kode) or t.office_kode or "").lower()
        v = getattr(t, key)
        return v.lower() if isinstance(v, str) else v

    by_name = sorted(teams, key=lambda t: t.nama.lower())
    present = [t for t in by_name if value(t) is not None]
    missing = [t for t in by_name if value(t) is None]
    # sort is stable (also with reverse=True): equal values stay in name order
    return sorted(present, key=value, reverse=desc) + missing


def team_period(date_from: Optional[date], date_to: Optional[date], today: date) -> tuple[date, date]:
    """The period the team figures cover, with queries.team_figures' defaults (the last 28 days; 28 days
    from a start date in the future), so the page can say which days it shows."""
    if date_to is None:
        date_to = today if date_from is None or date_from <= today else date_from + timedelta(days=TEAM_DEFAULT_DAYS)
    return date_from or date_to - timedelta(days=TEAM_DEFAULT_DAYS), date_to


def team_totals(teams: list) -> dict:
    """The column sums of the team table; the rates from the sums (not an average of rates)."""
    out = {k: sum(getattr(t, k) for t in teams) for k in (
        "sessions_planned", "sessions_open", "sessions_done", "sessions_cancelled", "logs_overdue", "recorded",
        "kit_hours", "expected_turnout_done", "logs_sent", "logs_late", "logs_due")}
    out["on_time_rate"] = (out["logs_sent"] - out["logs_late"]) / out["logs_due"] if out["logs_due"] > 0 else None
    out["recorded_per_kit_hour"] = out["recorded"] / out["kit_hours"] if out["kit_hours"] > 0 else None
    out["expected_reached_share"] = (out["recorded"] / out["expected_turnout_done"]
                                     if out["expected_turnout_done"] > 0 else None)
    out["teams_overdue"] = sum(1 for t in teams if t.logs_overdue)
    return out


def late_log_hours() -> float:
    """LATE_LOG_HOURS: after this many hours past its session's end a log counts as late."""
    return float(current_app.config.get("LATE_LOG_HOURS") or 24)


def office_names(teams: list) -> dict:
    """{office kode: region name} of the teams' offices (one query)."""
    kodes = sorted({t.office_kode for t in teams if t.office_kode})
    if not kodes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(kodes))).all())


def team_sessions_url(team, date_from: date, date_to: date) -> str:
    """The session list of one team over the period."""
    return url_for("planning.session_list", team_id=team.team_id, **{"from": date_from.isoformat(),
                                                                     "to": date_to.isoformat()})


def team_chart(teams: list, date_from: date, date_to: date, *, limit: int, width: int = 1160,
               testid: str = "teams-chart"):
    """Share of the expected turnout reached, one bar per team in the order given (the first `limit`);
    teams with overdue logs are hatched and say how many."""
    from flask_babel import get_locale

    numbers = Numbers(get_locale())
    bars = []
    for t in teams[:limit]:
        share = t.expected_reached_share
        if share is None:
            value = None
            text = _("belum ada laporan") if t.sessions_planned else _("tanpa sesi")
        else:
            value = share * 100
            text = numbers.percent(value)
        if t.logs_overdue:
            text += " · " + _("%(n)s laporan terlambat", n=numbers.number(t.logs_overdue))
        bars.append(charts.Bar(label=t.nama, value=value, value_text=text, flag=t.logs_overdue > 0,
                               href=team_sessions_url(t, date_from, date_to)))
    return charts.bar_chart(bars, title=_("Terekam dibanding perkiraan hadir, per tim"), width=width,
                            reference=charts.Reference(100, _("sesuai perkiraan")), testid=testid,
                            desc=_("Terekam dibagi perkiraan hadir sesi yang sudah dilaporkan. Tim dengan "
                                   "laporan terlambat diarsir."),
                            fmt_number=lambda v: numbers.number(v) + "%",
                            empty_text=_("Belum ada tim di wilayah ini."))


def team_columns() -> list:
    """Columns of the team table's export."""
    C = exports.Column
    return [C("team_id", _("No. tim"), "int", 8), C("nama", _("Tim"), width=24),
            C("office_kode", _("Kode kantor"), width=12), C("office", _("Kantor"), width=24), C("date_from", _("Dari tanggal"), "date", 12),
            C("date_to", _("Sampai tanggal"), "date", 12), C("sessions_planned", _("Sesi"), "int"),
            C("sessions_open", _("Belum terlaksana"), "int"), C("sessions_done", _("Selesai"), "int"),
            C("sessions_cancelled", _("Batal"), "int"), C("logs_overdue", _("Laporan terlambat"), "int"),
            C("logs_sent", _("Laporan masuk"), "int"), C("logs_late", _("Laporan dikirim terlambat"), "int"),
            C("logs_due", _("Laporan wajib masuk"), "int"),
            C("on_time_percent", _("Persen laporan tepat waktu"), "float"),
            C("recorded", _("Terekam"), "int"), C("kit_hours", _("Alat-jam"), "float"),
            C("recorded_per_kit_hour", _("Terekam per alat-jam"), "float"),
            C("expected_turnout_done", _("Perkiraan hadir (sesi yang dilaporkan)"), "int"),
            C("expected_reached_percent", _("Persen dari perkiraan hadir"), "float")]


def team_rows(teams: list, offices: dict, date_from: date, date_to: date) -> Iterator[dict]:
    for t in teams:
        row = t.as_dict()
        share = t.expected_reached_share
        rate = t.on_time_rate
        row.update(office=offices.get(t.office_kode, ""), date_from=date_from, date_to=date_to,
                   expected_reached_percent=None if share is None else round(share * 100, 1),
                   on_time_percent=None if rate is None else round(rate * 100, 1))
        yield row


def _team_args() -> dict:
    """The team pages' query arguments: the period (from/to) and the sort key, with the first error."""
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    sort = (request.args.get("sort") or "behind").strip()
    args = {"raw_from": raw_from, "raw_to": raw_to, "sort": sort, "error": None}
    date_from, err_from = parse_date_arg(raw_from, _("Tanggal awal"))
    date_to, err_to = parse_date_arg(raw_to, _("Tanggal akhir"))
    if err_from or err_to:
        return dict(args, error=err_from or err_to)
    if date_from and date_to and date_from > date_to:
        return dict(args, error=_("Rentang tanggal terbalik: tanggal awal (%(a)s) sesudah tanggal akhir (%(b)s).",
                                  a=format_date(date_from, "d MMM yyyy"), b=format_date(date_to, "d MMM yyyy")))
    if (sort[1:] if sort.startswith("-") else sort) not in TEAM_SORT_KEYS:
        return dict(args, error=_("Urutan \"%(sort)s\" tidak dikenal. Klik judul kolom tabel untuk mengurutkan.",
                                  sort=sort[:40]))
    date_from, date_to = team_period(date_from, date_to, queries.local_today())
    return dict(args, date_from=date_from, date_to=date_to)


def _team_figures(kode: str, args: dict) -> tuple[list, dict]:
    """The area's teams over the period of `args`, in its sort order, and their offices' names."""
    teams = queries.team_figures(current_user, args["date_from"], args["date_to"], region_kode=kode)
    offices = office_names(teams)
    return sort_teams(teams, args["sort"], offices), offices


@bp.route("/dasbor/<kode>/tim")
@roles_required(*permissions.STAFF)
def teams(kode: str):
    """Every team working in the area over a period: sessions, overdue logs, recorded, recorded per
    kit-hour and the share of the expected turnout reached; sortable, with the ranking as a chart."""
    area = _area_or_404(kode)
    args = _team_args()
    error = args.pop("error")
    context = dict(args, area=area, crumbs=crumbs_for(area), teams=[], chart_limit=TEAM_CHART_LIMIT)
    if error:
        return _bad_input_page("coverage/teams.html", error, **context)
    try:
        rows, offices = _team_figures(kode, args)
    except queries.RegionNotFound:
        abort(404)
    except queries.BadInput as exc:
        return _bad_input_page("coverage/teams.html", exc.message, **context)
    behind = rows if args["sort"] == "behind" else sorted(rows, key=team_behind_key)
    return render_template("coverage/teams.html", **dict(
        context, teams=rows, offices=offices, totals=team_totals(rows), late_hours=late_log_hours(),
        sessions_url=team_sessions_url, chart=team_chart(behind, args["date_from"], args["date_to"],
                                                         limit=TEAM_CHART_LIMIT)))


@bp.route("/dasbor/<kode>/ekspor/tim.<any(csv,xlsx):file_format>")
@roles_required(*permissions.STAFF)
def teams_export(kode: str, file_format: str):
    """The team table of the team page (same period and order) as CSV or XLSX."""
    area = _area_or_404(kode)
    args = _team_args()
    if args["error"]:
        return render_template("error.html", code=400, message=args["error"]), 400
    try:
        rows, offices = _team_figures(kode, args)
    except queries.RegionNotFound:
        abort(404)
    except queries.BadInput as exc:
        return render_template("error.html", code=400, message=exc.message), 400
    columns, data = team_columns(), team_rows(rows, offices, args["date_from"], args["date_to"])
    filename = exports.export_filename("tim", area.kode, queries.local_today(), file_format)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if file_format == "csv":
        return Response(exports.csv_text(columns, data), content_type=exports.CSV_MIME, headers=headers)
    note = _("Tim %(area)s, %(a)s sampai %(b)s. Diunduh %(at)s dari Jemput Bola.", area=area.nama,
             a=format_date(args["date_from"], "d MMMM yyyy"), b=format_date(args["date_to"], "d MMMM yyyy"),
             at=format_date(queries.local_today(), "d MMMM yyyy"))
    body = exports.xlsx_bytes(columns, data, sheet_title=_("Tim"), notes=[note])
    return Response(body, content_type=exports.XLSX_MIME, headers=headers)


# ---------------------------------------------------------------- exports

def export_titles() -> dict:
    return {"wilayah": _("Wilayah"), "sesi": _("Sesi"), "log": _("Laporan hasil")}


@bp.route("/dasbor/<kode>/ekspor/<any(wilayah,sesi,log):dataset>.<any(csv,xlsx):file_format>")
@roles_required(*permissions.STAFF)
def export(kode: str, dataset: str, file_format: str):
    """The area table, the sessions or the turnout logs of an area in scope, as CSV (streamed) or XLSX."""
    area = _area_or_404(kode)
    if area.kode is None:
        abort(404)
    try:
        columns, rows = _export_data(area, dataset, file_format)
    except queries.RegionNotFound:
        abort(404)
    except ExportInputError as exc:
        return render_template("error.html", code=400, message=exc.message), 400
    except queries.BadInput as exc:
        return render_template("error.html", code=400, message=exc.message), 400
    filename = exports.export_filename(dataset, area.kode, queries.local_today(), file_format)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if file_format == "csv":
        return Response(stream_with_context(exports.csv_chunks(columns, rows)), content_type=exports.CSV_MIME,
                        headers=headers)
    note = _("Diunduh %(at)s dari Jemput Bola.", at=format_date(queries.local_today(), "d MMMM yyyy"))
    body = exports.xlsx_bytes(columns, rows, sheet_title=export_titles()[dataset], notes=[note])
    return Response(body, content_type=exports.XLSX_MIME, headers=headers)


class ExportInputError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _export_range() -> tuple[Optional[date], Optional[date]]:
    date_from, err = parse_date_arg(request.args.get("from"), _("Tanggal awal"))
    if err:
        raise ExportInputError(err)
    date_to, err = parse_date_arg(request.args.get("to"), _("Tanggal akhir"))
    if err:
        raise ExportInputError(err)
    if date_from and date_to and date_from > date_to:
        raise ExportInputError(_("Rentang tanggal terbalik: tanggal awal sesudah tanggal akhir."))
    return date_from, date_to


def _export_data(area, dataset: str, file_format: str = "csv"):
    if dataset == "wilayah":
        level = (request.args.get("level") or child_level_of(area.level) or area.level).strip()
        if level not in LEVELS:
            raise ExportInputError(_("Tingkat \"%(level)s\" tidak dikenal.", level=level[:20]))
        rows = queries.area_table(current_user, level, parent=area.kode, q=request.args.get("q") or None,
                                  sort=request.args.get("sort") or "kode")
        away = [(r, label) for r, label in _away_labels().items()]
        return exports.area_columns(_, away), _area_rows(rows)
    date_from, date_to = _export_range()
    if file_format == "xlsx":
        limit = int(current_app.config.get("EXPORT_XLSX_MAX_ROWS", XLSX_MAX_ROWS))
        n = export_queries.export_row_count(current_user, area, dataset, date_from, date_to)
        if n > limit:
            raise ExportInputError(_("%(n)s baris terlalu banyak untuk XLSX (paling banyak %(max)s). Unduh CSV, "
                                     "atau persempit dengan rentang tanggal (?from=TTTT-BB-HH&to=TTTT-BB-HH) atau "
                                     "wilayah yang lebih kecil.", n=fmt_number(n), max=fmt_number(limit)))
    if dataset == "sesi":
        return exports.session_columns(_), export_queries.session_export_rows(current_user, area, date_from, date_to)
    groups, reasons = _group_labels(), _not_recorded_labels()
    columns = exports.log_columns(_, groups=list(groups.items()), not_recorded=list(reasons.items()),
                                  away=list(_away_labels().items()))
    return columns, export_queries.log_export_rows(current_user, area, date_from, date_to)


def _away_labels() -> dict:
    return vocab.away_reason_labels()


def _group_labels() -> dict:
    return vocab.recorded_group_labels()


def _not_recorded_labels() -> dict:
    return vocab.not_recorded_labels()


def _area_rows(rows) -> Iterator[dict]:
    from outreach.templating import level_labels
    levels = level_labels()
    for f in rows:
        row = f.as_dict()
        row["level_label"] = levels.get(f.level, f.level)
        row["official_as_of"] = f.official_as_of
        for reason in AWAY_REASONS:
            row[f"away_{reason}"] = f.known_away_by_reason.get(reason, 0)
        yield row
