"""API: sites (places where sessions happen): list, read, create, partial update."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields

from outreach.api import bp
from outreach.api.errors import ApiError
from outreach.api.routes import like_pattern, page_body
from outreach.api.schema import (COMMON_ERRORS, Body, Choice, JsonBool, JsonInt, JsonNumber, JsonString, Out,
                                 PageOut, Query, Text, error_response, operation, page_field, per_page_field,
                                 response)
from outreach.extensions import db
from outreach.models import JENJANG_CHOICES, Site
from outreach.vocab import SITE_TYPES
from outreach.models.regions import level_of
from outreach.security import any_role, get_scoped_or_404, roles_required
from outreach.sites.service import save_site, site_as_dict, visible_site
from outreach import permissions


class LevelKode(Text):
    """A dotted code of one level (desa or kecamatan)."""

    EXAMPLES = {"desa": "33.74.01.1001", "kecamatan": "33.74.01"}

    def __init__(self, level: str):
        super().__init__(20, metadata={"example": self.EXAMPLES[level]})
        self.level = level

    def check(self, raw: str, name: str) -> str:
        if level_of(raw) != self.level:
            raise ValidationError(_("Parameter %(name)s harus kode %(level)s bertitik, mis. %(example)s.", name=name,
                                    level=self.level, example=self.EXAMPLES[self.level]))
        return raw


class SitesQuery(Query):
    desa = LevelKode("desa")
    kecamatan = LevelKode("kecamatan")
    type = Choice(SITE_TYPES)
    q = Text(metadata={"description": "Bagian nama (tanpa beda huruf besar/kecil) atau NPSN"})
    page = page_field()
    per_page = per_page_field()


def _site_fields(writable: bool, required=()) -> dict:
    """The fields a client may write (rules.FIELDS): exact JSON types on input, as the answers carry them."""
    string, integer, number, boolean = ((JsonString, JsonInt, JsonNumber, JsonBool) if writable else
                                        (fields.String, fields.Integer, fields.Float, fields.Boolean))

    def field(kind, name, nullable=False, **metadata):
        return kind(required=name in required, allow_none=nullable, metadata=metadata)

    return {
        "type": field(string, "type", enum=list(SITE_TYPES)),
        "nama": field(string, "nama", maxLength=200, description="Nama apa adanya (tidak di-escape)"),
        "desa_kode": field(string, "desa_kode", example="33.74.01.1001"),
        "lat": field(number, "lat", minimum=-90, maximum=90, example=-6.99),
        "lng": field(number, "lng", minimum=-180, maximum=180, example=110.42),
        "coords_approximate": field(boolean, "coords_approximate", description="Koordinat perkiraan (ditandai di UI)"),
        "rt": field(integer, "rt", True, minimum=1, maximum=999),
        "rw": field(integer, "rw", True, minimum=1, maximum=999),
        "address": field(string, "address", maxLength=300),
        "npsn": field(string, "npsn", True, description="Sekolah: 8 karakter"),
        "jenjang": field(string, "jenjang", True, enum=[*JENJANG_CHOICES, None]),
        "school_status": field(string, "school_status", True, enum=["negeri", "swasta", None]),
        "contact_name": field(string, "contact_name", maxLength=120),
        "contact_phone": field(string, "contact_phone", maxLength=40),
        "notes": field(string, "notes", maxLength=2000),
        "unavailable_dates": field(string, "unavailable_dates",
                                   description="YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD items, comma separated"),
        "pemilih_pemula": field(integer, "pemilih_pemula", True, minimum=0,
                                description="Sekolah: siswa yang berusia 17 pada tanggal batas"),
    }


class SiteBody(Body):
    def invalid(self) -> str:
        return _("Data lokasi tidak valid. Periksa kolom yang ditandai.")


SiteInputSchema = SiteBody.from_dict(_site_fields(True, ("type", "nama", "desa_kode", "lat", "lng")),
                                     name="SiteInputSchema")
SiteInputSchema.__doc__ = "Untuk POST: type, nama, desa_kode, lat, lng wajib; RT/RW wajib untuk type rt_rw."
SitePatchSchema = SiteBody.from_dict(_site_fields(True), name="SitePatchSchema")
SitePatchSchema.__doc__ = "Hanya kolom yang diubah; kolom lain tetap."
SiteSchema = Out.from_dict({
    "id": fields.Integer(required=True),
    **_site_fields(False, ("nama", "type", "desa_kode", "lat", "lng")),
    "kecamatan_kode": fields.String(), "kabupaten_kode": fields.String(),
    "pemilih_pemula_recorded": fields.Integer(allow_none=True), "active": fields.Boolean(),
}, name="SiteSchema")


class SiteSavedSchema(SiteSchema):
    warnings = fields.List(fields.String(), metadata={"description": "Peringatan yang tidak menghalangi penyimpanan"})


class SiteListSchema(PageOut):
    items = fields.List(fields.Nested(SiteSchema), required=True)


def site_filters(user, desa=None, kecamatan=None, site_type=None, q=None) -> list:
    """SQL conditions for the sites `user` may list, narrowed by desa, kecamatan, type and a search."""
    conditions = [permissions.sites_clause(user)]
    if desa:
        conditions.append(Site.desa_kode == desa)
    if kecamatan:
        conditions.append(Site.kecamatan_kode == kecamatan)
    if site_type:
        conditions.append(Site.type == site_type)
    if q:
        conditions.append(sa.or_(sa.func.lower(Site.nama).like(like_pattern(q.lower()), escape="\\"),
                                 Site.npsn == q))
    return conditions


def _saved_body(site: Site, check) -> dict:
    return {**site_as_dict(site), "warnings": list(check.warnings)}


def _refused(check):
    raise ApiError(422, _("Data lokasi tidak valid. Periksa kolom yang ditandai."), check.errors)


_NOT_FOUND = error_response("Tidak ada, atau di luar wilayah tugas pengguna.")
_INVALID = error_response("Isian tidak valid: `errors` berisi pesan per kolom.")


@bp.route("/sites")
@any_role
@operation("listSites", "sites", "Daftar lokasi dalam lingkup pengguna", query=SitesQuery,
           responses={200: response("Satu halaman lokasi", SiteListSchema), **COMMON_ERRORS})
def sites_list(args):
    page, per_page = args["page"], args["per_page"]
    conditions = site_filters(current_user, args["desa"], args["kecamatan"], args["type"], args["q"])
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(*conditions))
    sites = db.session.scalars(sa.select(Site).where(*conditions).order_by(Site.nama, Site.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(page_body([site_as_dict(s) for s in sites], total, page, per_page))


@bp.route("/sites", methods=["POST"])
@roles_required(*permissions.PLANNERS)
@operation("createSite", "sites", "Tambah lokasi (admin, koordinator dalam kecamatannya)", body=SiteInputSchema,
           responses={201: response("Tersimpan; header Location menunjuk lokasi baru", SiteSavedSchema,
                                    headers={"Location": {"schema": {"type": "string"}}}),
                      **COMMON_ERRORS, 422: _INVALID})
def site_create(body):
    site, check = save_site(current_user, body)
    if site is None:
        _refused(check)
    resp = jsonify(_saved_body(site, check))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.site_detail", site_id=site.id)
    return resp


@bp.route("/sites/<int:site_id>")
@any_role
@operation("getSite", "sites", "Satu lokasi",
           responses={200: response("Lokasi", SiteSchema), **COMMON_ERRORS, 404: _NOT_FOUND})
def site_detail(site_id: int):
    site = visible_site(current_user, site_id)
    if site is None:
        raise ApiError(404, _("Lokasi tidak ditemukan."))
    return jsonify(site_as_dict(site))


def _site_first(view):
    """The site of the path (404 outside the user's scope) is looked up before the body is read."""
    @wraps(view)
    def wrapper(site_id: int, **kwargs):
        return view(site=get_scoped_or_404(Site, site_id, kode_attr="desa_kode"), **kwargs)
    return wrapper


@bp.route("/sites/<int:site_id>", methods=["PATCH"])
@roles_required(*permissions.PLANNERS)
@_site_first
@operation("updateSite", "sites", "Ubah sebagian kolom lokasi (admin, koordinator dalam kecamatannya)",
           body=SitePatchSchema,
           responses={200: response("Tersimpan", SiteSavedSchema), **COMMON_ERRORS, 404: _NOT_FOUND, 422: _INVALID})
def site_update(site: Site, body: dict):
    saved, check = save_site(current_user, body, site=site)
    if saved is None:
        _refused(check)
    return jsonify(_saved_body(saved, check))
