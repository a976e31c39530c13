"""The charts of the coverage pages: the trend, the slowest areas, the forecast's ranking and the
projection, built from the queries' answers and drawn by the pure `charts` module in the request's
locale. (The team ranking is drawn in `team_page`.)"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Optional

from flask import url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from outreach.coverage import charts
from outreach.coverage import forecast as fc
from outreach.coverage.formatting import chart_formatters, fmt_number
from outreach.coverage.navigation import ranked_label
from outreach.vocab import forecast_status_labels

FORECAST_CHART_LIMIT = 30


def trend_chart(points: list[dict], title: str, markers: Iterable[charts.Marker] = (), width: int = 760):
    """Backlog and reachable backlog by date."""
    # A SIAK point knows no known away or refusers of its date: the reachable line skips it.
    series = [charts.Series(_("Belum rekam (backlog)"), [(p["date"], p["backlog"]) for p in points]),
              charts.Series(_("Backlog terjangkau"), [(p["date"], p["reachable_backlog"]) for p in points
                                                      if p["reachable_backlog"] is not None])]
    return charts.line_chart(series, title=title, markers=markers, testid="trend-chart", width=width,
                             desc=_("Belum rekam dan backlog terjangkau per tanggal."),
                             empty_text=_("Belum ada titik data pada rentang ini."), **chart_formatters())



def slowest_chart(items, level: str, parents: Optional[dict] = None):
    """The slowest areas: reachable backlog and weeks to zero; stalled ones flagged."""
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
    """Weeks to zero per area at the current pace, against the deadline; those missing it flagged."""
    parents = parents or {}
    labels = forecast_status_labels()
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
