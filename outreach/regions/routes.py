"""Region browser: provinsi → kabupaten/kota → kecamatan → desa/kelurahan, with targets and backlog."""
from __future__ import annotations

import json
from typing import Optional

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from outreach.extensions import db
from outreach.input_limits import page_number
from outreach.models import Region, Site, TargetCount
from outreach.regions import bp, picker
from outreach.regions.forms import RefuserFollowupForm, RegionSearchForm
from outreach.regions.queries import figures_for
from outreach.security import any_role, json_error, roles_required
from outreach.permissions import can_edit_sites, in_scope, scope_clause, scope_of, visible_kode
from outreach import permissions

# sort= values of the children table -> AreaFigures attribute
SORT_KEYS = ("nama", "kode", "wajib_ktp", "sudah_rekam", "sudah_rekam_estimated", "backlog", "known_away",
             "known_away_in_backlog", "menolak_in_backlog", "reachable_backlog", "planned", "percent_recorded")
SEARCH_PER_PAGE = 25


# ---------------------------------------------------------------- queries used by the views

def breadcrumbs(user, kode: str) -> list[dict]:
    """Ancestors of `kode` (itself excluded) the user may see; only in-scope ones are links."""
    parts = kode.split(".")
    prefixes = [".".join(parts[:i]) for i in range(1, len(parts))]
    if not prefixes:
        return []
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind)
                              .where(Region.kode.in_(prefixes)).order_by(Region.kode)).all()
    return [{"kode": k, "nama": n, "kind": kind, "link": in_scope(user, k)}
            for k, n, kind in rows if visible_kode(user, k)]


def children_of(kode: Optional[str]) -> list[Region]:
    """Child regions of `kode`, or the provinces when `kode` is None."""
    where = Region.parent_kode == kode if kode else Region.level == "provinsi"
    return list(db.session.scalars(sa.select(Region).where(where).order_by(Region.kode)))


def sort_figures(rows: list, sort: str) -> tuple[list, str]:
    """Order AreaFigures by a column; '-col' sorts descending; missing values always go last."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, sort = "kode", "kode"
    descending = sort.startswith("-")

    def value(f):
        v = getattr(f, key)
        return v.lower() if isinstance(v, str) else v

    present = [f for f in rows if value(f) is not None]
    missing = [f for f in rows if value(f) is None]
    present.sort(key=value, reverse=descending)
    return present + missing, sort


def search_regions(user, q: str, page: int):
    """Regions in the user's scope whose name contains `q` or whose code starts with it."""
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    code_prefix = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = (sa.select(Region).options(joinedload(Region.parent))
            .where(scope_clause(user, Region), sa.or_(sa.func.lower(Region.nama).like(pattern, escape="\\"),
                                        Region.kode.like(code_prefix, escape="\\")))
            .order_by(Region.kode))
    return db.paginate(stmt, page=page, per_page=SEARCH_PER_PAGE, error_out=False)


def region_or_404(user, kode: str) -> Region:
    if not in_scope(user, kode):
        abort(404)
    region = db.session.get(Region, kode)
    if region is None:
        abort(404)
    return region


# ---------------------------------------------------------------- views

@bp.route("/wilayah")
@any_role
def index():
    """Start at the user's own area; with ?q= the search results (limited to the scope)."""
    form = RegionSearchForm(formdata=request.args)
    q = (form.q.data or "").strip()[:120]
    if q:
        page = search_regions(current_user, q, page_number(request.args.get("page")))
        return render_template("regions/search.html", form=form, q=q, page=page,
                               figures=figures_for(page.items))
    scope = scope_of(current_user)
    if scope is None:
        provinces = children_of(None)
        if len(provinces) != 1:
            return _browse(None, provinces, form)
        return _browse(provinces[0], children_of(provinces[0].kode), form)
    region = db.session.get(Region, scope)
    if region is None:
        return render_template("regions/browse.html", region=None, rows=[], region_figures=None, crumbs=[],
                               form=form, sort="kode", no_scope=True)
    return _show(region, form)


@bp.route("/wilayah/pilihan")
@any_role
def picker_children():
    """The area picker's next list: [{kode, nama}] one level below ?induk=, within the user's scope."""
    children = picker.children_for_request(current_user, request.args.get("induk", "")[:40])
    if children is None:
        return json_error(404, _("Wilayah tidak ditemukan."))
    return jsonify(children)


@bp.route("/wilayah/<kode>")
@any_role
def detail(kode: str):
    region = region_or_404(current_user, kode)
    return _show(region, RegionSearchForm(formdata=None))


@bp.route("/wilayah/<kode>/batas.json")
@any_role
def boundary(kode: str):
    """Centroid and boundary (GeoJSON geometry or null) of a region in scope, for the site map picker."""
    if not in_scope(current_user, kode):
        return json_error(404, _("Wilayah tidak ditemukan."))
    row = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind, Region.level, Region.lat, Region.lng,
                                       Region.boundary).where(Region.kode == kode)).first()
    if row is None:
        return json_error(404, _("Wilayah tidak ditemukan."))
    try:
        geometry = json.loads(row.boundary) if row.boundary else None
    except ValueError:
        geometry = None
    return jsonify({"kode": row.kode, "nama": row.nama, "kind": row.kind, "level": row.level,
                    "lat": row.lat, "lng": row.lng, "boundary": geometry})


def _show(region: Region, form):
    if region.level == "desa":
        return _desa(region, form)
    return _browse(region, children_of(region.kode), form)


def _browse(region: Optional[Region], children: list[Region], form):
    figures = figures_for(([region] if region else []) + children)
    rows, sort = sort_figures([figures[c.kode] for c in children], request.args.get("sort", "kode"))
    return render_template("regions/browse.html", region=region, rows=rows, sort=sort, form=form,
                           region_figures=figures.get(region.kode) if region else None,
                           crumbs=breadcrumbs(current_user, region.kode) if region else [],
                           child_level=children[0].level if children else None)


@bp.route("/wilayah/<kode>/penolak", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def refuser_followup(kode: str):
    """Refusers of a desa followed up: they return to its reachable backlog."""
    from outreach import clock
    from outreach.ledger import operations as ledger

    region = region_or_404(current_user, kode)
    if region.level != "desa":
        abort(404)
    followup = RefuserFollowupForm()
    if followup.validate_on_submit():
        try:
            row = ledger.follow_up_refusers(current_user, region.kode, followup.count.data, followup.followed_on.data,
                                            followup.note.data or "")
        except ledger.FollowupInvalid as exc:
            for name, message in exc.errors.items():
                getattr(followup, name).errors = [message]
        else:
            flash(_("%(n)s warga yang menolak dicatat sudah ditindaklanjuti; mereka kembali masuk backlog terjangkau.",
                    n=row.count), "success")
            return redirect(url_for("regions.detail", kode=region.kode))
    elif not followup.followed_on.data and not followup.followed_on.errors:
        followup.followed_on.data = clock.local_today()
    return _desa(region, RegionSearchForm(formdata=None), followup), 422


def _desa(region: Region, form, followup=None):
    figures = figures_for([region])[region.kode]
    sites = db.session.scalars(sa.select(Site).where(Site.desa_kode == region.kode,
                                                     permissions.sites_clause(current_user))
                               .order_by(Site.type, Site.nama)).all()
    history = db.session.scalars(sa.select(TargetCount).where(TargetCount.desa_kode == region.kode)
                                 .order_by(TargetCount.as_of.desc(), TargetCount.id.desc()).limit(10)).all()
    if followup is None and can_edit_sites(current_user) and figures.menolak:
        from outreach import clock

        followup = RefuserFollowupForm(formdata=None, followed_on=clock.local_today())
    return render_template("regions/desa.html", region=region, figures=figures, sites=sites, history=history,
                           crumbs=breadcrumbs(current_user, region.kode), form=form,
                           can_add_site=can_edit_sites(current_user), followup=followup)
