"""Site pages: list with filters, detail with a small map and audit trail, create/edit form."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased, contains_eager, joinedload

from outreach.extensions import db
from outreach.input_limits import page_number
from outreach.models import AuditEntry, Region, Site
from outreach.security import any_role, get_scoped_or_404, roles_required
from outreach.permissions import can_edit_sites, in_scope, scope_clause, scope_of
from outreach.regions import picker
from outreach.regions.choices import desa_choices, kecamatan_choices
from outreach.sites import bp
from outreach.sites.forms import SiteFilterForm, SiteForm
from outreach.sites.service import save_site, visible_site
from outreach import permissions, vocab


# ---------------------------------------------------------------- queries used by the views

def desa_choices_grouped(user) -> dict[str, list[tuple[str, str]]]:
    """Desa in the user's scope grouped by kecamatan (and kabupaten when the scope spans several)."""
    kec, kab = aliased(Region), aliased(Region)
    rows = db.session.execute(
        sa.select(Region.kode, Region.nama, kec.nama, kab.nama)
        .outerjoin(kec, kec.kode == Region.kecamatan_kode).outerjoin(kab, kab.kode == Region.kabupaten_kode)
        .where(Region.level == "desa", scope_clause(user, Region))
        .order_by(Region.kabupaten_kode, Region.kecamatan_kode, Region.nama)).all()
    several_kab = len({r[3] for r in rows}) > 1
    groups: dict[str, list] = {}
    for kode, nama, kec_nama, kab_nama in rows:
        kec_nama = kec_nama or kode.rsplit(".", 1)[0]
        label = _("Kec. %(kec)s", kec=kec_nama) + (f" — {kab_nama or kode[:5]}" if several_kab else "")
        groups.setdefault(label, []).append((kode, f"{nama} ({kode})"))
    return groups


def filtered_sites(user, filters: dict, page: int):
    """One page of sites in scope, with their desa loaded in the same query."""
    stmt = (sa.select(Site).join(Site.desa).options(contains_eager(Site.desa))
            .where(permissions.sites_clause(user)))
    if filters.get("provinsi"):
        stmt = stmt.where(Site.provinsi_kode == filters["provinsi"])
    if filters.get("kabupaten"):
        stmt = stmt.where(Site.kabupaten_kode == filters["kabupaten"])
    if filters.get("kecamatan"):
        stmt = stmt.where(Site.kecamatan_kode == filters["kecamatan"])
    if filters.get("desa"):
        stmt = stmt.where(Site.desa_kode == filters["desa"])
    if filters.get("type"):
        stmt = stmt.where(Site.type == filters["type"])
    if filters.get("q"):
        q = filters["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{q}%"
        stmt = stmt.where(sa.or_(*(sa.func.lower(col).like(pattern, escape="\\")
                                   for col in (Site.nama, Site.address, Site.contact_name, Site.npsn))))
    stmt = stmt.order_by(Site.kecamatan_kode, Region.nama, Site.nama, Site.id)
    return db.paginate(stmt, page=page, per_page=current_app.config.get("PER_PAGE", 50), error_out=False)


def region_names(kodes) -> dict[str, str]:
    kodes = {k for k in kodes if k}
    if not kodes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(kodes))).all())


def audit_trail(site_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity == "site", AuditEntry.entity_id == str(site_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))


def map_settings() -> dict:
    return {"tileUrl": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION", "")}


def boundary_of(kode: str):
    raw = db.session.scalar(sa.select(Region.boundary).where(Region.kode == kode))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


# ---------------------------------------------------------------- views

@bp.route("/lokasi")
@any_role
def index():
    form = SiteFilterForm(formdata=request.args)
    form.type.choices = [("", _("Semua jenis"))] + vocab.choices_of("site_type")
    area = picker.build_picker(current_user, {"kecamatan": "kecamatan", "desa": "desa"},
                               {"kecamatan": form.kecamatan.data, "desa": form.desa.data},
                               picker.select_max(current_app.config), picker.submitted_picks(request.args))
    if not area.stepwise:
        form.kecamatan.choices = [("", _("Semua kecamatan"))] + kecamatan_choices(current_user)
        scope = scope_of(current_user) or ""
        kecamatan = form.kecamatan.data or (scope if scope.count(".") == 2 else "")
        form.desa.choices = [("", _("Semua desa/kelurahan"))] + (desa_choices(current_user, kecamatan)
                                                                  if kecamatan else [])
    filters = {name: (form[name].data or "").strip() for name in ("kecamatan", "desa", "type", "q")}
    if area.stepwise:  # what the lists show: a desa outside its kecamatan or a changed kabupaten drops out
        filters.update({level: area.chosen(level) for level in ("provinsi", "kabupaten", "kecamatan", "desa")})
    page = filtered_sites(current_user, filters, page_number(request.args.get("page")))
    kecamatan_names = region_names(s.kecamatan_kode for s in page.items)
    return render_template("sites/index.html", form=form, page=page, kecamatan_names=kecamatan_names, area=area,
                           filtered=any(filters.values()), can_edit=can_edit_sites(current_user))


@bp.route("/lokasi/<int:site_id>")
@any_role
def detail(site_id: int):
    site = visible_site(current_user, site_id)
    if site is None:
        abort(404)
    names = region_names([site.kecamatan_kode, site.kabupaten_kode])
    map_data = dict(map_settings(), lat=site.lat, lng=site.lng, approximate=site.coords_approximate,
                    label=site.nama, boundary=boundary_of(site.desa_kode))
    return render_template("sites/detail.html", site=site, names=names, audit=audit_trail(site.id),
                           map_data=map_data, can_edit=can_edit_sites(current_user))


@bp.route("/lokasi/baru", methods=["GET", "POST"])
@roles_required(*permissions.PLANNERS)
def new():
    form = SiteForm()
    if request.method == "GET":
        desa = request.args.get("desa", "")
        if desa and in_scope(current_user, desa):
            form.desa_kode.data = desa
    return _site_form(form, site=None)


@bp.route("/lokasi/<int:site_id>/ubah", methods=["GET", "POST"])
@roles_required(*permissions.PLANNERS)
def edit(site_id: int):
    site = get_scoped_or_404(Site, site_id, kode_attr="desa_kode")
    form = SiteForm(obj=site) if request.method == "GET" else SiteForm()
    return _site_form(form, site=site)


def _site_form(form: SiteForm, site: Site | None):
    form.type.choices = [("", _("— pilih jenis —"))] + vocab.choices_of("site_type")
    area = picker.build_picker(current_user, {"desa": "desa_kode"}, {"desa": form.desa_kode.data},
                               picker.select_max(current_app.config), picker.submitted_picks(request.form))
    if not area.stepwise:
        form.desa_kode.choices = desa_choices_grouped(current_user)
    # "Tampilkan" of the stepwise picker without JavaScript: show the next list, save nothing.
    if "area_step" not in request.form and form.validate_on_submit():
        saved, check = save_site(current_user, form.site_data(), site=site)
        if saved is not None:
            flash(_("Lokasi “%(nama)s” tersimpan.", nama=saved.nama), "success")
            for warning in check.warnings:
                flash(warning, "warning")
            return redirect(url_for("sites.detail", site_id=saved.id))
        form.show_errors(check.errors)
    scope = db.session.get(Region, scope_of(current_user)) if scope_of(current_user) else None
    start = {"lat": scope.lat if scope else -7.15, "lng": scope.lng if scope else 110.14}
    return render_template("sites/form.html", form=form, site=site, area=area,
                           map_data=dict(map_settings(), start=start,
                                         boundaryUrl=url_for("regions.boundary", kode="KODE")))
