"""Forecast (pure: no Flask, no database): when will each area's reachable backlog reach zero?

One engine for every level. The weekly pace is how fast the area's backlog fell over the last N
weeks, read from its history (official SIAK counts at each as-of date, nightly snapshots, and today's
figure, which adds the field logs since the last SIAK count):

    pace = (backlog at the start point − backlog now) ÷ weeks between them        (never below 0)

where the start point is the area's newest history point dated N weeks ago or earlier (else its
oldest point since). An area without any history point before today has only its field logs:
pace = people its logs recorded in the window ÷ N. An area with reachable backlog R finishes in
R / pace weeks. Against a deadline (e.g. election day) the area misses when that date falls after it;
the shortfall is what the pace leaves unrecorded by the deadline, and the extra sessions needed are
that shortfall divided by the people an average session records (the area's own average over the
window, else the given fallback, else unknown). An area with backlog left and no pace never finishes
at that pace ("macet").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Iterable, Optional

from outreach.vocab import FORECAST_STATUSES

# Status of one area's forecast.
# The statuses (keys and labels in outreach.vocab.FORECAST_STATUSES):
#   DONE      reachable backlog already zero
#   ON_TRACK  reaches zero by the deadline (or no deadline given)
#   LATE      reaches zero, but after the deadline
#   STALLED   backlog left and no pace: never at this pace
DONE, ON_TRACK, LATE, STALLED = FORECAST_STATUSES


@dataclass(frozen=True)
class PaceInput:
    """One area's figures: reachable backlog now, what its logs recorded in the window, and (when it has a
    history) its backlog now and at the start point (`since`: that point's date)."""
    kode: str
    nama: str
    reachable_backlog: int
    recorded_in_window: int = 0
    sessions_in_window: int = 0
    backlog_now: Optional[int] = None
    backlog_then: Optional[int] = None
    since: Optional[date] = None
    fallback_per_session: Optional[float] = None


def start_point(points: Iterable[tuple], today: date, weeks: int) -> Optional[tuple]:
    """The (date, backlog) a pace is measured from: the newest point dated `weeks` weeks before today or
    earlier, else the oldest point after that but before today (None: no point before today)."""
    window_start = today - timedelta(days=7 * weeks)
    before = [p for p in points if p[0] <= window_start]
    if before:
        return max(before, key=lambda p: p[0])
    inside = [p for p in points if window_start < p[0] < today]
    return min(inside, key=lambda p: p[0]) if inside else None


@dataclass(frozen=True)
class AreaForecast:
    kode: str
    nama: str
    reachable_backlog: int
    recorded_in_window: int
    sessions_in_window: int
    weekly_pace: float                       # backlog fall per week (or logs per week without history)
    pace_source: str                         # "riwayat" (history) or "log" (field logs only)
    pace_since: Optional[date]               # the start point of a history pace
    backlog_then: Optional[int]              # backlog at that point
    backlog_now: Optional[int]
    per_session: Optional[float]             # people per logged session (area's, else overall)
    weeks_to_zero: Optional[float]           # None: never at this pace (or nothing left: 0.0)
    finish_date: Optional[date]              # None: never at this pace
    status: str                              # DONE / ON_TRACK / LATE / STALLED
    misses_deadline: bool
    shortfall_at_deadline: int               # people still unrecorded on the deadline at this pace
    extra_sessions: Optional[int]            # sessions needed to close the shortfall (None: unknown)

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["finish_date"] = self.finish_date.isoformat() if self.finish_date else None
        out["pace_since"] = self.pace_since.isoformat() if self.pace_since else None
        out["weekly_pace"] = round(self.weekly_pace, 2)
        out["per_session"] = round(self.per_session, 2) if self.per_session is not None else None
        out["weeks_to_zero"] = round(self.weeks_to_zero, 2) if self.weeks_to_zero is not None else None
        return out


def overall_per_session(rows: Iterable[PaceInput]) -> Optional[float]:
    """People recorded per logged session over all the areas given (None without any session)."""
    rows = list(rows)
    sessions = sum(r.sessions_in_window for r in rows)
    if sessions <= 0:
        return None
    return sum(r.recorded_in_window for r in rows) / sessions


def forecast_area(row: PaceInput, today: date, weeks: int, deadline: Optional[date] = None,
                  fallback_per_session: Optional[float] = None) -> AreaForecast:
    """The forecast of one area at the pace of its last `weeks` weeks of logs."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if deadline is not None and deadline < today:
        raise ValueError("deadline lies in the past")
    backlog = max(int(row.reachable_backlog or 0), 0)
    recorded = max(int(row.recorded_in_window or 0), 0)
    sessions = max(int(row.sessions_in_window or 0), 0)
    if row.since is not None and row.backlog_then is not None and row.backlog_now is not None and row.since < today:
        pace = max(row.backlog_then - row.backlog_now, 0) / ((today - row.since).days / 7)
        source = "riwayat"
    else:
        pace, source = recorded / weeks, "log"
    if row.fallback_per_session is not None:
        fallback_per_session = row.fallback_per_session
    per_session = recorded / sessions if sessions and recorded else fallback_per_session
    if per_session is not None and per_session <= 0:
        per_session = None

    if backlog == 0:
        weeks_to_zero, finish, status = 0.0, today, DONE
    elif pace <= 0:
        weeks_to_zero, finish, status = None, None, STALLED
    else:
        weeks_to_zero = backlog / pace
        finish = today + timedelta(days=math.ceil(weeks_to_zero * 7 - 1e-9))
        status = LATE if deadline is not None and finish > deadline else ON_TRACK

    shortfall = 0
    if deadline is not None and backlog > 0:
        reached = pace * (deadline - today).days / 7
        shortfall = max(int(math.ceil(backlog - reached - 1e-9)), 0)
    misses = shortfall > 0
    if misses and status == ON_TRACK:  # rounding: a finish on the deadline with a fraction left
        status = LATE
    extra = None
    if shortfall == 0:
        extra = 0
    elif per_session:
        extra = int(math.ceil(shortfall / per_session - 1e-9))
    return AreaForecast(kode=row.kode, nama=row.nama, reachable_backlog=backlog, recorded_in_window=recorded,
                        sessions_in_window=sessions, weekly_pace=pace, pace_source=source,
                        pace_since=row.since if source == "riwayat" else None,
                        backlog_then=row.backlog_then if source == "riwayat" else None,
                        backlog_now=row.backlog_now, per_session=per_session,
                        weeks_to_zero=weeks_to_zero, finish_date=finish, status=status, misses_deadline=misses,
                        shortfall_at_deadline=shortfall, extra_sessions=extra)


def forecast(rows: Iterable[PaceInput], today: date, weeks: int, deadline: Optional[date] = None) -> list[AreaForecast]:
    """Forecast every area; those that miss the deadline first (most extra sessions first), then by finish."""
    rows = list(rows)
    fallback = overall_per_session(rows)
    out = [forecast_area(r, today, weeks, deadline, fallback) for r in rows]
    never = date.max
    return sorted(out, key=lambda f: (not f.misses_deadline, -f.shortfall_at_deadline,
                                      f.finish_date or never, f.kode))


def summary(forecasts: Iterable[AreaForecast]) -> dict:
    """Totals over a list of forecasts: areas late or stalled, total shortfall and extra sessions, last finish."""
    forecasts = list(forecasts)
    finishes = [f.finish_date for f in forecasts if f.finish_date is not None]
    stalled = [f for f in forecasts if f.status == STALLED]
    return {
        "areas": len(forecasts),
        "missing_deadline": sum(1 for f in forecasts if f.misses_deadline),
        "stalled": len(stalled),
        "shortfall_at_deadline": sum(f.shortfall_at_deadline for f in forecasts),
        "extra_sessions": (sum(f.extra_sessions for f in forecasts if f.extra_sessions is not None)
                           if forecasts else 0),
        "extra_sessions_unknown": sum(1 for f in forecasts if f.extra_sessions is None),
        "last_finish": None if stalled or not finishes else max(finishes).isoformat(),
    }
