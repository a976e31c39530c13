"""Coverage pages: the manager's dashboard, the area table, trend, forecast and team pages, exports.

Each view checks access, hands the area and the query arguments to a builder and responds: `pages`
(dashboard, table, trend, forecast), `team_page`, `downloads` (CSV/XLSX). Every figure comes from
`outreach.coverage.queries` (scoped to the user, computed live: a turnout log counts the moment it is
saved). A region outside the user's scope, or unknown, answers 404; bad input (a backwards date range,
a deadline in the past, a word where a date belongs) answers 400 with the page and a message.

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

from typing import Optional

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from outreach import permissions
from outreach.coverage import downloads, pages, team_page
from outreach.coverage.formatting import template_helpers
from outreach.coverage.queries.areas import BadInput, RegionNotFound, resolve_area
from outreach.permissions import scope_of
from outreach.security import roles_required

bp = Blueprint("coverage", __name__)
bp.context_processor(template_helpers)


def _area_or_404(kode: Optional[str]):
    try:
        return resolve_area(current_user, kode)
    except RegionNotFound:
        abort(404)


def _render(template: str, build, *args):
    """The page a builder's (context, message) gives: 400 with the message, 404 out of scope."""
    try:
        context, error = build(current_user, *args)
    except RegionNotFound:
        abort(404)
    if error:
        return render_template(template, error=error, **context), 400
    return render_template(template, **context)


def _download(build, *args):
    try:
        return build(current_user, *args, request.args)
    except RegionNotFound:
        abort(404)
    except BadInput as exc:
        return render_template("error.html", code=400, message=exc.message), 400


@bp.route("/dasbor", defaults={"kode": None})
@bp.route("/dasbor/<kode>")
@roles_required(*permissions.STAFF)
def dashboard(kode: Optional[str]):
    """Headline figures, trend, slowest areas, sessions, overdue logs, teams, pemilih pemula, forecast."""
    if scope_of(current_user) == "__none__":
        return render_template("coverage/dashboard.html", no_scope=True, area=None)
    try:
        context = pages.dashboard_context(current_user, kode)
    except RegionNotFound:
        abort(404)
    return render_template("coverage/dashboard.html", **context)


@bp.route("/dasbor/ringkasan", defaults={"kode": None})
@bp.route("/dasbor/<kode>/ringkasan")
@roles_required(*permissions.STAFF)
def office_summary(kode: Optional[str]):
    """One printable A4 page for the head of office: figures, laggards, next week's sessions."""
    if scope_of(current_user) == "__none__":
        abort(404)
    try:
        context = pages.office_summary_context(current_user, kode)
    except RegionNotFound:
        abort(404)
    return render_template("coverage/summary.html", **context)


@bp.route("/dasbor/tabel")
@roles_required(*permissions.STAFF)
def area_table():
    """Every area of a level in scope with all figures; sorted by a column, narrowed by parent and name."""
    return _render("coverage/table.html", pages.table_page, request.args)


@bp.route("/dasbor/<kode>/tren")
@roles_required(*permissions.STAFF)
def trend(kode: str):
    """The area's backlog over time, from the nightly snapshots and today's live figures."""
    return _render("coverage/trend.html", pages.trend_page, _area_or_404(kode), request.args)


@bp.route("/dasbor/<kode>/prakiraan")
@roles_required(*permissions.STAFF)
def forecast(kode: str):
    """When each kecamatan's reachable backlog reaches zero at the recent pace; who misses the deadline."""
    return _render("coverage/forecast.html", pages.forecast_page, _area_or_404(kode), request.args)


@bp.route("/dasbor/<kode>/tim")
@roles_required(*permissions.STAFF)
def teams(kode: str):
    """Every team working in the area over a period: sessions, overdue logs, recorded, recorded per
    kit-hour and the share of the expected turnout reached; sortable, with the ranking as a chart."""
    return _render("coverage/teams.html", team_page.teams_page, _area_or_404(kode), request.args)


@bp.route("/dasbor/<kode>/ekspor/tim.<any(csv,xlsx):file_format>")
@roles_required(*permissions.STAFF)
def teams_export(kode: str, file_format: str):
    """The team table of the team page (same period and order) as CSV or XLSX."""
    return _download(downloads.team_download, _area_or_404(kode), file_format)


@bp.route("/dasbor/<kode>/ekspor/<any(wilayah,sesi,log):dataset>.<any(csv,xlsx):file_format>")
@roles_required(*permissions.STAFF)
def export(kode: str, dataset: str, file_format: str):
    """The area table, the sessions or the turnout logs of an area in scope, as CSV (streamed) or XLSX."""
    area = _area_or_404(kode)
    if area.kode is None:
        abort(404)
    return _download(downloads.dataset_download, area, dataset, file_format)
