"""The dashboard panels that read every kecamatan or every team of a big area (a province, or the whole
country): the forecast (each kecamatan's pace over the last weeks, the slowest, those missing the deadline)
and the teams furthest behind. They take most of such a dashboard's time, and move slowly: for a province
or the country they are shared by every worker and restart (outreach.cache.SharedCache) for PANEL_MAX_AGE
seconds and kept warm by the job `dashboard_panels`; each says when it was computed. The headline figures,
the trend's live point and the sessions stay live. Smaller areas compute everything at each request.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable, Optional

import sqlalchemy as sa

from outreach import clock, permissions
from outreach.cache import SharedCache
from outreach.coverage.navigation import ranking_level
from outreach.coverage.queries.areas import Area, BadInput, coverage_deadline, forecast_weeks, resolve_area, setting
from outreach.coverage.queries.figures import official_dates
from outreach.coverage.queries.forecasts import forecast_for, slowest_areas
from outreach.coverage.queries.teams import team_figures
from outreach.coverage.queries.trend import official_series_of
from outreach.coverage.team_page import TEAM_DASHBOARD_LIMIT, team_behind_key
from outreach.extensions import db
from outreach.models import Region

SLOWEST_LIMIT = 10
PANEL_MAX_AGE = 600  # seconds (setting PANEL_MAX_AGE)


def panel_max_age() -> int:
    return int(setting("PANEL_MAX_AGE", PANEL_MAX_AGE))


def default_deadline() -> Optional[date]:
    """The configured deadline (COVERAGE_DEADLINE); None when unset or unreadable."""
    try:
        return coverage_deadline()
    except BadInput:
        return None


def _key(name: str, area: Area, today: date) -> str:
    return f"dashboard:{name}:{area.kode or '*'}:{today.isoformat()}"


def _stamp(name: str) -> str:
    """What else a panel depends on: the settings it reads."""
    if name == "forecast":
        return f"{forecast_weeks()}|{default_deadline()}|{SLOWEST_LIMIT}"
    return str(TEAM_DASHBOARD_LIMIT)


def compute_forecast(user, area: Area) -> dict:
    """{"slowest": [AreaForecast] (SLOWEST_LIMIT), "late": [AreaForecast] missing the deadline (as many),
    "forecast": {"deadline", "summary"} (None without a deadline)} of the area's ranking level."""
    level = ranking_level(area)
    slowest = slowest_areas(user, area.kode, limit=SLOWEST_LIMIT, level=level)
    # The deadline flags need every area's forecast: only worth a second pass when a deadline is set.
    result = forecast_for(user, area.kode, level=level) if default_deadline() else None
    late = [f for f in result["items"] if f.misses_deadline][:SLOWEST_LIMIT] if result else []
    summary = {"deadline": result["deadline"], "summary": result["summary"]} if result else None
    return {"slowest": slowest, "late": late, "forecast": summary}


def compute_teams(user, area: Area) -> dict:
    """{"teams": the first TEAM_DASHBOARD_LIMIT teams in team_behind_key's order, "total", "overdue"}."""
    every = sorted(team_figures(user, region_kode=area.kode), key=team_behind_key)
    return {"teams": every[:TEAM_DASHBOARD_LIMIT], "total": len(every),
            "overdue": sum(1 for t in every if t.logs_overdue)}


_PANELS: dict[str, Callable] = {"forecast": compute_forecast, "teams": compute_teams}


def panel(name: str, user, area: Area, today: Optional[date] = None) -> tuple[dict, Optional[datetime]]:
    """(the panel's value, when it was computed: None when computed now, for a small area or where values
    are not shared)."""
    compute = _PANELS[name]
    if not area.big or not SharedCache.enabled():
        return compute(user, area), None
    today = today or clock.local_today()
    stored = SharedCache.get(_key(name, area, today), lambda: {"value": compute(user, area), "at": clock.utcnow()},
                             stamp=_stamp(name), max_age=panel_max_age())
    return stored["value"], stored["at"]


# ---------------------------------------------------------------- the job

def warm(today: Optional[date] = None) -> dict:
    """Compute and store the panels of everything and of each province, and their SIAK series and as-of dates
    when missing (the job `dashboard_panels`; the caller commits)."""
    if not SharedCache.enabled():
        return {"areas": 0, "shared": False}
    today = today or clock.local_today()
    user = permissions.everything_viewer()
    areas = [resolve_area(user, None)]
    for kode in db.session.scalars(sa.select(Region.kode).where(Region.level == "provinsi").order_by(Region.kode)):
        areas.append(resolve_area(user, kode))
    areas = [a for a in dict.fromkeys(areas) if a.big]
    with SharedCache.in_session():
        for area in areas:
            for name, compute in _PANELS.items():
                SharedCache.store(_key(name, area, today), {"value": compute(user, area), "at": clock.utcnow()},
                                  stamp=_stamp(name))
            # The SIAK series and as-of dates the page also shares (by their own stamps): stored now if missing.
            official_series_of(area)
            official_dates(area)
    return {"areas": len(areas), "shared": SharedCache.enabled()}
