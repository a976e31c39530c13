"""Map pages: the manager's coverage map (/peta) and the coordinator's kecamatan map (/peta/kecamatan/<kode>).

The views only decide the area, the first view and the filters; Folium builds the map shell and
static/js/maps.js fetches what is visible from /api/v1/map/*.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.assets import vendor_url
from outreach.extensions import db
from outreach.maps import bp, queries, shapes
from outreach.maps.bbox import zoom_to_fit
from outreach.maps.builders import Overlay, build_shell
from outreach.maps.forms import MapFilterForm
from outreach.models import Region
from outreach.models.regions import level_of
from outreach.security import roles_required
from outreach.permissions import in_scope, scope_clause, scope_of
from outreach import permissions, vocab

# Desa polygons replace kecamatan polygons from this zoom on (unless the map is filtered to an area).
DESA_ZOOM = 11
# Below this zoom (a country, an island, several provinces) kabupaten/kota are coloured instead of kecamatan:
# 7,285 kecamatan outlines would black out the islands at a national zoom. A province opens at zoom 8.
KECAMATAN_ZOOM = 8
# Below this zoom sites and sessions are not drawn: a country's would be a few big clusters over the areas.
POINTS_ZOOM = 6
# Where the map opens when nothing in scope has a boundary or a centroid (Jawa Tengah).
DEFAULT_BOUNDS = [[-8.3, 108.5], [-5.7, 111.8]]
SESSION_CATEGORIES = ("upcoming", "done", "overdue", "cancelled")
FILTER_KEYS = ("date_from", "date_to", "status", "type")


@bp.route("/peta")
@roles_required(*permissions.STAFF)
def coverage():
    """Coverage map of the user's scope, optionally filtered to one kabupaten or kecamatan (?area=)."""
    scope = scope_of(current_user)
    if permissions.is_coordinator(current_user) and scope and level_of(scope) == "kecamatan" and not request.args:
        return redirect(url_for("maps.kecamatan", kode=scope))
    area = _area_from_args()
    form = _filter_form(area)
    form.area.choices = area_choices(current_user, area)
    title = _("Peta cakupan")
    if area:
        title = _("Peta cakupan: %(nama)s", nama=_region_label(area))
    return _render(form, area=area, lock_desa=bool(area), title=title, can_filter_area=True)


@bp.route("/peta/kecamatan/<kode>")
@roles_required(*permissions.STAFF)
def kecamatan(kode: str):
    """A kecamatan's map for planning: desa by reachable backlog, every site with its last and next session."""
    if level_of(kode) != "kecamatan" or not in_scope(current_user, kode) or not queries.region_exists(kode):
        abort(404)
    form = _filter_form(kode, metric="reachable_backlog")
    return _render(form, area=kode, lock_desa=True, can_filter_area=False, planning=True,
                   title=_("Peta kecamatan %(nama)s", nama=_region_label(kode)))


# ---------------------------------------------------------------- helpers

def _area_from_args() -> Optional[str]:
    area = (request.args.get("area") or "").strip()[:20]
    if not area:
        return None
    if level_of(area) not in ("kabupaten", "kecamatan") or not in_scope(current_user, area) \
            or not queries.region_exists(area):
        flash(_("Wilayah %(kode)s tidak ditemukan dalam wilayah tugas Anda; peta menampilkan seluruh wilayah tugas.",
                kode=area), "warning")
        return None
    return area


def _filter_form(area: Optional[str], metric: str = "percent_recorded") -> MapFilterForm:
    from outreach.clock import local_today

    form = MapFilterForm(formdata=request.args if request.args else None)
    today = local_today()
    if not request.args.get("metric"):
        form.metric.data = metric
    # A GET form leaves unchecked boxes out of the URL: defaults apply only when no filter was submitted.
    if not any(key in request.args for key in FILTER_KEYS):
        form.date_from.data = today - timedelta(days=30)
        form.date_to.data = today + timedelta(days=30)
        form.status.data = list(SESSION_CATEGORIES)
    form.validate()  # fills .errors for impossible dates; bad values are dropped below
    if form.metric.data not in ("percent_recorded", "reachable_backlog"):
        form.metric.data = metric
    form.status.data = [s for s in (form.status.data or []) if s in SESSION_CATEGORIES]
    if form.date_from.errors:
        form.date_from.data = None
    if form.date_to.errors:
        form.date_to.data = None
    if form.date_from.data and form.date_to.data and form.date_to.data < form.date_from.data:
        form.date_to.errors = [_("Tanggal akhir tidak boleh sebelum tanggal awal.")]
        form.date_to.data = None
    form.type.choices = [("", _("Semua jenis"))] + vocab.choices_of("site_type")
    if form.type.data not in vocab.SITE_TYPES:
        form.type.data = ""
    form.area.data = area or ""
    return form


def area_choices(user, area: Optional[str]) -> dict:
    """Kabupaten/kota of the scope, and the kecamatan of the chosen (or the only) kabupaten."""
    kabupaten = db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.level == "kabupaten", scope_clause(user, Region)).order_by(Region.nama)).all()
    groups: dict = {}
    if kabupaten:
        groups[_("Kabupaten/Kota")] = [(k, n) for k, n in kabupaten]
    kab = area[:5] if area else (kabupaten[0][0] if len(kabupaten) == 1 else None)
    if kab is None and scope_of(user) and level_of(scope_of(user)) == "kecamatan":
        kab = scope_of(user)[:5]
    if kab:
        kecamatan = db.session.execute(sa.select(Region.kode, Region.nama).where(
            Region.level == "kecamatan", Region.kabupaten_kode == kab, scope_clause(user, Region))
            .order_by(Region.nama)).all()
        if kecamatan:
            groups[_("Kecamatan")] = [(k, _("Kec. %(nama)s", nama=n)) for k, n in kecamatan]
    return groups


def _region_label(kode: str) -> str:
    row = queries.region_name(kode)
    return row[0] if row else kode


def _first_view(prefix: Optional[str]) -> list:
    """[[south, west], [north, east]] of the area: boundaries (or centroids) of its kecamatan, else a default."""
    extent = shapes.extent("kecamatan", prefix)
    if extent.empty and prefix and level_of(prefix) in ("kecamatan", "desa"):
        extent = shapes.extent("desa", prefix)
    bounds = extent.as_bounds()
    if bounds is None:
        return DEFAULT_BOUNDS
    return bounds


def _data_as_of(prefix: Optional[str]):
    conditions = [Region.level == "desa"]
    if prefix:
        conditions.append(sa.or_(Region.kode == prefix, Region.kode.like(prefix + ".%")))
    return db.session.scalar(sa.select(sa.func.max(Region.target_as_of)).where(*conditions))


def _render(form: MapFilterForm, *, area: Optional[str], lock_desa: bool, title: str, can_filter_area: bool,
            planning: bool = False):
    prefix = queries.view_prefix(current_user, area)
    bounds = _first_view(prefix)
    (south, west), (north, east) = bounds
    overlays = [Overlay("regions", _("Wilayah (cakupan)")), Overlay("sites", _("Lokasi")),
                Overlay("sessions", _("Sesi"))]
    shell = build_shell(
        js=[("leaflet", vendor_url("leaflet", "leaflet.js"))],
        css=[("leaflet_css", vendor_url("leaflet", "leaflet.css"))],
        center=[(south + north) / 2, (west + east) / 2], zoom=zoom_to_fit(west, south, east, north),
        bounds=bounds, tile_url=current_app.config.get("MAP_TILE_URL"),
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION", ""), tile_title=_("Peta dasar"),
        overlays=overlays)
    config = _map_config(shell, form, area=area, lock_desa=lock_desa, planning=planning)
    config["bounds"] = bounds
    return render_template("maps/coverage.html", shell=shell, form=form, config=config, title=title,
                           area=area, can_filter_area=can_filter_area, planning=planning,
                           data_as_of=_data_as_of(prefix), waiting=_waiting_requests(prefix))


def _waiting_requests(prefix: Optional[str]) -> Optional[dict]:
    """Visit requests waiting in the map's area, per kecamatan (per desa on a kecamatan's map): one grouped
    query; None for a user who does not see the queue."""
    from outreach.requests.queue import waiting_counts

    if not permissions.sees_requests(current_user):
        return None
    level = "desa" if prefix and level_of(prefix) in ("kecamatan", "desa") else "kecamatan"
    counts = {k: n for k, n in waiting_counts(current_user, level).items()
              if not prefix or k == prefix or k.startswith(prefix + ".")}
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(counts))).all()) \
        if counts else {}
    rows = sorted(((names.get(k, k), n) for k, n in counts.items()), key=lambda row: (-row[1], row[0]))
    return {"total": sum(counts.values()), "rows": rows[:8], "more": max(len(rows) - 8, 0)}


def _map_config(shell, form: MapFilterForm, *, area: Optional[str], lock_desa: bool, planning: bool) -> dict:

    views = current_app.view_functions
    placeholder_id = 987654321
    links = {
        "region": url_for("regions.detail", kode="__KODE__"),
        "site": url_for("sites.detail", site_id=placeholder_id).replace(str(placeholder_id), "__ID__"),
        "kecamatanMap": url_for("maps.kecamatan", kode="__KODE__"),
        "areaMap": url_for("maps.coverage", area="__KODE__"),
    }
    if "planning.session_detail" in views:
        links["session"] = url_for("planning.session_detail", session_id=placeholder_id).replace(
            str(placeholder_id), "__ID__")
    can_plan = permissions.can_plan(current_user) and "planning.new_session" in views
    if can_plan:
        links["newSession"] = url_for("planning.new_session", site="__ID__")
    return {
        "map": shell.map_name, "tiles": shell.tile_name, "groups": shell.groups,
        "endpoints": {"regions": url_for("api.map_regions"), "sites": url_for("api.map_sites"),
                      "sessions": url_for("api.map_sessions")},
        "area": area, "lockDesa": lock_desa, "desaZoom": DESA_ZOOM, "kecamatanZoom": KECAMATAN_ZOOM,
        "pointsZoom": POINTS_ZOOM, "metric": form.metric.data,
        "planning": planning, "canPlan": can_plan, "links": links,
        "locale": "id-ID" if str(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")).startswith("id") else "en",
        "siteTypes": vocab.site_type_labels(), "kinds": vocab.region_kind_labels(),
        "sessionKinds": vocab.session_kind_labels(), "statuses": vocab.session_status_labels(),
        "categories": {"upcoming": _("Akan datang"), "done": _("Selesai"),
                       "overdue": _("Terlambat (log belum diisi)"), "cancelled": _("Dibatalkan")},
        "text": {
            "percent_recorded": _("Persen terekam"), "reachable_backlog": _("Sisa terjangkau"),
            "wajib_ktp": _("Wajib KTP"), "sudah_rekam": _("Sudah rekam"),
            "sudah_rekam_official": _("Sudah rekam (SIAK)"), "recorded_since": _("Direkam di lapangan sejak itu"),
            "backlog": _("Belum rekam"), "known_away": _("Diketahui di luar daerah"),
            "noData": _("Tanpa data"), "dataAsOf": _("Data per %(date)s"), "loadedAt": _("dimuat %(time)s"),
            "openArea": _("Buka halaman wilayah"), "kecamatanMap": _("Peta kecamatan"),
            "filterArea": _("Saring peta ke wilayah ini"),
            "openSite": _("Buka lokasi"), "schedule": _("Jadwalkan di sini"), "openSession": _("Buka sesi"),
            "lastSession": _("Sesi terakhir"), "nextSession": _("Sesi berikutnya"), "none": _("belum ada"),
            "sites": _("Lokasi"), "sessions": _("Sesi"), "clusterHint": _("Klik untuk memperbesar"),
            "cluster": _("%(n)s di sekitar sini"), "expected": _("Perkiraan hadir"), "team": _("Tim"),
            "kind": _("Jenis"),
            "approximate": _("koordinat perkiraan"),
            "tilesFailed": _("Peta dasar tidak dapat dimuat (tanpa internet?). Wilayah, lokasi, sesi, dan "
                             "legenda tetap tampil."),
            "loading": _("Memuat data peta…"), "loadFailed": _("Data peta gagal dimuat: %(error)s"),
            "shownSites": _("%(n)s lokasi dalam tampilan"), "shownSessions": _("%(n)s sesi dalam tampilan"),
            "legend": _("Legenda"), "statusSession": _("Status sesi"),
            "zoomForPoints": _("Perbesar peta untuk melihat lokasi dan sesi."),
        },
    }
