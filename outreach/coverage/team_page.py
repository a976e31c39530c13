"""The team page (/dasbor/<kode>/tim) and the dashboard's short team list: every team working in an
area over a period, sorted, totalled and ranked as a chart; the period and sort read from the page's
query arguments."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from outreach import clock
from outreach.coverage import charts
from outreach.coverage.formatting import Numbers, backwards_range_message, parse_date_arg
from outreach.coverage.navigation import crumbs_for
from outreach.coverage.queries.areas import BadInput
from outreach.coverage.queries.teams import team_figures
from outreach.extensions import db
from outreach.models import Region

TEAM_DEFAULT_DAYS = 28       # as queries.teams.team_figures
TEAM_DASHBOARD_LIMIT = 10    # the dashboard shows the teams most behind; the team page shows them all
TEAM_CHART_LIMIT = 30

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
    """The period the team figures cover, with team_figures' defaults (the last 28 days; 28 days
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


def team_args(query_args) -> dict:
    """The team pages' query arguments: the period (from/to) and the sort key, with the first error."""
    raw_from, raw_to = query_args.get("from", ""), query_args.get("to", "")
    sort = (query_args.get("sort") or "behind").strip()
    args = {"raw_from": raw_from, "raw_to": raw_to, "sort": sort, "error": None}
    date_from, err_from = parse_date_arg(raw_from, _("Tanggal awal"))
    date_to, err_to = parse_date_arg(raw_to, _("Tanggal akhir"))
    if err_from or err_to:
        return dict(args, error=err_from or err_to)
    if date_from and date_to and date_from > date_to:
        return dict(args, error=backwards_range_message(date_from, date_to))
    if (sort[1:] if sort.startswith("-") else sort) not in TEAM_SORT_KEYS:
        return dict(args, error=_("Urutan \"%(sort)s\" tidak dikenal. Klik judul kolom tabel untuk mengurutkan.",
                                  sort=sort[:40]))
    date_from, date_to = team_period(date_from, date_to, clock.local_today())
    return dict(args, date_from=date_from, date_to=date_to)


def sorted_team_figures(user, kode: str, args: dict) -> tuple[list, dict]:
    """The area's teams over the period of `args`, in its sort order, and their offices' names."""
    teams = team_figures(user, args["date_from"], args["date_to"], region_kode=kode)
    offices = office_names(teams)
    return sort_teams(teams, args["sort"], offices), offices


def teams_page(user, area, query_args) -> tuple[dict, Optional[str]]:
    """The team page's context, and the message when its input is bad (RegionNotFound passes through)."""
    args = team_args(query_args)
    error = args.pop("error")
    context = dict(args, area=area, crumbs=crumbs_for(area), teams=[], chart_limit=TEAM_CHART_LIMIT)
    if error:
        return context, error
    try:
        rows, offices = sorted_team_figures(user, area.kode, args)
    except BadInput as exc:
        return context, exc.message
    behind = rows if args["sort"] == "behind" else sorted(rows, key=team_behind_key)
    return dict(context, teams=rows, offices=offices, totals=team_totals(rows), late_hours=late_log_hours(),
                sessions_url=team_sessions_url,
                chart=team_chart(behind, args["date_from"], args["date_to"], limit=TEAM_CHART_LIMIT)), None
