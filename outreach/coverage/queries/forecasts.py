"""The forecast's inputs read from the database (each area's reachable backlog, its recent logs and
backlog history) handed to the pure engine outreach.coverage.forecast; and the slowest areas."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa

from outreach.clock import local_today
from outreach.coverage import forecast as fc
from outreach.coverage.queries.areas import (Area, BadInput, area_bundle, area_condition, as_date,
                                             coverage_deadline, covers_every_log, forecast_weeks,
                                             log_area_condition, request_memo, resolve_area)
from outreach.coverage.queries.trend import series_stamp
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models.field import TurnoutLog
from outreach.models.jobs import CoverageSnapshot
from outreach.vocab import LEVELS
from outreach.regions import queries as rq
from outreach.regions.figures import AreaFigures
from outreach.regions.queries import level_figures


_LOG_COLUMN = {"provinsi": TurnoutLog.provinsi_kode, "kabupaten": TurnoutLog.kabupaten_kode,
               "kecamatan": TurnoutLog.kecamatan_kode, "desa": TurnoutLog.desa_kode}


def _level_figures_in(area: Area, level: str) -> dict[str, AreaFigures]:
    """The figures of every region of `level` inside `area` (the area itself at its own level)."""
    bundle = area_bundle(area)
    if area.kode is not None and area.level == level:
        return {area.kode: bundle.own}
    if level in bundle:
        return bundle.level(level)
    return level_figures(level, within=area.kode)


def _window_logs(area: Area, level: str, since: date, today: date) -> dict[str, tuple[int, int]]:
    """{kode: (recorded, sessions)} of the logs dated in (since, today] of the areas of `level` in `area`."""
    column = _LOG_COLUMN[level]
    if level == "kecamatan" and covers_every_log(area):
        # Grouping by an expression keeps SQLite from skip-scanning the (kecamatan_kode, session_date) index
        # and visiting the table for every log: one range of (session_date, kecamatan_kode, recorded_total)
        # reads the whole window instead.
        column = sa.func.substr(TurnoutLog.kecamatan_kode, 1, 8)
    memo = request_memo()
    key = ("pace", area.kode, level, since, today)
    if memo is not None and key in memo:
        return memo[key]
    stmt = (sa.select(column, sa.func.sum(TurnoutLog.recorded_total), sa.func.count())
            .where(log_area_condition(area), TurnoutLog.session_date > since, TurnoutLog.session_date <= today)
            .group_by(column))
    out = {kode: (int(rec or 0), int(n or 0)) for kode, rec, n in db.session.execute(stmt)}
    if memo is not None:
        memo[key] = out
    return out


def _history_points(area: Area, level: str, codes: list[str], today: date) -> dict[str, list[tuple]]:
    """{kode: [(date, backlog), ...]} of the areas `codes` (of `level`, inside `area`) before today: their
    official SIAK counts and nightly snapshots (a snapshot wins over a SIAK count of the same date)."""
    from outreach.regions import history

    condition = area_condition(area) if area.kode is not None else sa.true()
    series = rq.cached(("series", area.kode, level, series_stamp()),
                       lambda: history.official_series(level, condition))
    points: dict[str, dict[date, int]] = {k: {p.as_of: p.backlog for p in series.get(k, []) if p.as_of < today}
                                          for k in codes}
    S = CoverageSnapshot
    for i in range(0, len(codes), 900):
        chunk = codes[i:i + 900]
        for kode, day, backlog in db.session.execute(
                sa.select(S.region_kode, S.date, S.backlog).where(S.region_kode.in_(chunk), S.date < today)):
            points.setdefault(kode, {})[day] = int(backlog)
    return {k: sorted(v.items()) for k, v in points.items()}


def _fallback_per_session(area: Area, level: str, since: date, today: date) -> dict[str, Optional[float]]:
    """People per logged session in the window, per kabupaten and per province of the logs in `area`:
    an area's fallback when it has no logged session of its own (the kabupaten's for kecamatan and desa,
    the province's for kabupaten and province), the same whichever level asks."""
    out: dict[str, Optional[float]] = {}
    for column in (TurnoutLog.kabupaten_kode, TurnoutLog.provinsi_kode):
        for kode, rec, n in db.session.execute(
                sa.select(column, sa.func.sum(TurnoutLog.recorded_total), sa.func.count())
                .where(TurnoutLog.session_date > since, TurnoutLog.session_date <= today,
                       _fallback_condition(area, column)).group_by(column)):
            out[kode] = (int(rec or 0) / int(n)) if n and rec else None
    return out


def _fallback_condition(area: Area, column):
    """The logs of the kabupaten (or province) around `area`, so its areas' fallback is theirs."""
    if area.kode is None:
        return sa.true()
    outer = area.kode[:5] if area.level in ("kecamatan", "desa") else area.kode[:2]
    return TurnoutLog.kabupaten_kode == outer if len(outer) == 5 else TurnoutLog.provinsi_kode == outer


def _fallback_key(kode: str, level: str) -> str:
    return kode[:5] if level in ("kecamatan", "desa") else kode[:2]


def _pace_inputs(area: Area, level: str, today: date, weeks: int) -> dict[str, fc.PaceInput]:
    """{kode: PaceInput} of every area of `level` inside `area` with official figures."""
    figures = {k: f for k, f in _level_figures_in(area, level).items() if f.wajib_ktp is not None}
    since = today - timedelta(days=7 * weeks)
    logs = _window_logs(area, level, since, today)
    history = _history_points(area, level, sorted(figures), today)
    fallback = _fallback_per_session(area, level, since, today)
    out = {}
    for kode, f in figures.items():
        start = fc.start_point(history.get(kode, []), today, weeks)
        recorded, sessions = logs.get(kode, (0, 0))
        out[kode] = fc.PaceInput(kode=kode, nama=f.nama, reachable_backlog=f.reachable_backlog or 0,
                                 recorded_in_window=recorded, sessions_in_window=sessions, backlog_now=f.backlog,
                                 backlog_then=start[1] if start else None, since=start[0] if start else None,
                                 fallback_per_session=fallback.get(_fallback_key(kode, level)))
    return out


def _forecast_level(area: Area, level: Optional[str]) -> str:
    if level is not None:
        if level not in LEVELS or LEVELS.index(level) < LEVELS.index(area.level):
            raise BadInput(_("Tingkat '%(level)s' tidak dapat dipakai untuk wilayah ini.", level=str(level)[:20]))
        return level
    return "kecamatan" if LEVELS.index(area.level) <= LEVELS.index("kecamatan") else "desa"


def forecast_for(user, region_kode: Optional[str] = None, weeks: Optional[int] = None, deadline=None,
                 level: Optional[str] = None, today: Optional[date] = None) -> dict:
    """Forecast, for the area itself and per kecamatan of it (per desa inside a kecamatan or desa), of when
    the reachable backlog reaches zero, one engine at every level (outreach.coverage.forecast: the pace of
    the backlog's fall over the last `weeks` weeks of its history, setting FORECAST_WEEKS), flagged against
    `deadline` (setting COVERAGE_DEADLINE; none: no flags). A deadline in the past or weeks < 1 raise BadInput.

    Returns {"area": Area, "region": forecast.AreaForecast of the area itself (None without official
    figures), "level", "today", "weeks", "deadline", "items": [forecast.AreaForecast] (those missing the
    deadline first), "summary": dict}. An item equals the `region` answer of that child asked on its own."""
    area = resolve_area(user, region_kode)
    today = today or local_today()
    if weeks is None or weeks == "":
        weeks = forecast_weeks()
    try:
        weeks = int(weeks)
    except (TypeError, ValueError):
        weeks = 0
    if weeks < 1 or weeks > 104:
        raise BadInput(_("Jumlah minggu harus bilangan bulat antara 1 dan 104."))
    deadline = as_date(deadline, "deadline") if deadline not in (None, "") else coverage_deadline()
    if deadline is not None and deadline < today:
        raise BadInput(_("Tenggat %(d)s sudah lewat; pilih hari ini atau sesudahnya.", d=deadline.isoformat()))
    level = _forecast_level(area, level)
    memo = request_memo()
    key = ("forecast", area.kode, area.synthetic, level, today, weeks, deadline)
    if memo is not None and key in memo:
        return memo[key]
    rows = _pace_inputs(area, level, today, weeks)
    items = fc.forecast(rows.values(), today, weeks, deadline)
    own = None
    if area.kode is not None and not area.synthetic:
        own_rows = rows if level == area.level else _pace_inputs(area, area.level, today, weeks)
        if area.kode in own_rows:
            own = fc.forecast_area(own_rows[area.kode], today, weeks, deadline)
    result = {"area": area, "region": own, "level": level, "today": today, "weeks": weeks, "deadline": deadline,
              "items": items, "summary": fc.summary(items)}
    if memo is not None:
        memo[key] = result
    return result


def slowest_areas(user, region_kode: Optional[str] = None, limit: int = 10, weeks: Optional[int] = None,
                  level: Optional[str] = None, today: Optional[date] = None) -> list:
    """The areas (kecamatan by default) furthest from zero at their recent pace: stalled ones first (no logs in
    the window; the biggest reachable backlog first), then by weeks to zero, longest first. Areas with nothing
    left are left out."""
    # The deadline does not change the ranking; the configured one (unless past) shares the page's forecast.
    today = today or local_today()
    deadline = coverage_deadline()
    if deadline is not None and deadline < today:
        deadline = None
    result = forecast_for(user, region_kode, weeks=weeks, deadline=deadline, level=level, today=today)
    left = [f for f in result["items"] if f.reachable_backlog > 0]
    left.sort(key=lambda f: (f.weeks_to_zero is not None, -(f.weeks_to_zero or 0), -f.reachable_backlog, f.kode))
    return left[:limit]
