"""API: sites (places where sessions happen): list, read, create, partial update."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import (COMMON_ERRORS, PAGE_PARAMETERS, ApiError, check_types, choice_arg, error_response,
                                 json_content, json_object, like_pattern, list_schema, page_body, pagination, ref,
                                 text_arg)
from outreach.extensions import db
from outreach.models import JENJANG_CHOICES, Site
from outreach.vocab import SITE_TYPES
from outreach.models.regions import level_of
from outreach.security import any_role, get_scoped_or_404, roles_required
from outreach.permissions import scope_clause
from outreach.sites.service import save_site, site_as_dict
from outreach import permissions

# JSON type of every field a client may write (rules.FIELDS); null clears a field.
WRITABLE = {
    "type": "string", "nama": "string", "desa_kode": "string", "lat": "number", "lng": "number",
    "rt": "integer", "rw": "integer", "address": "string", "npsn": "string", "jenjang": "string",
    "school_status": "string", "contact_name": "string", "contact_phone": "string", "notes": "string", "unavailable_dates": "string",
    "pemilih_pemula": "integer", "coords_approximate": "boolean",
}


def _kode_arg(name: str, level: str):
    kode = text_arg(name, 20)
    if kode and level_of(kode) != level:
        raise ApiError(400, _("Parameter %(name)s harus kode %(level)s bertitik, mis. %(example)s.", name=name,
                              level=level, example={"desa": "33.74.01.1001", "kecamatan": "33.74.01"}[level]))
    return kode


def site_filters(user, desa=None, kecamatan=None, site_type=None, q=None) -> list:
    """SQL conditions for the sites `user` may list, narrowed by desa, kecamatan, type and a search."""
    conditions = [scope_clause(user, Site)]
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


def _body_for_save() -> dict:
    body = json_object()
    errors = check_types(body, WRITABLE)
    if errors:
        raise ApiError(422, _("Data lokasi tidak valid. Periksa kolom yang ditandai."), errors)
    return body


def _saved_body(site: Site, check) -> dict:
    return {**site_as_dict(site), "warnings": list(check.warnings)}


def _refused(check):
    raise ApiError(422, _("Data lokasi tidak valid. Periksa kolom yang ditandai."), check.errors)


@bp.route("/sites")
@any_role
def sites_list():
    desa = _kode_arg("desa", "desa")
    kecamatan = _kode_arg("kecamatan", "kecamatan")
    site_type = choice_arg("type", SITE_TYPES)
    q = text_arg("q")
    page, per_page = pagination()
    conditions = site_filters(current_user, desa, kecamatan, site_type, q)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(*conditions))
    sites = db.session.scalars(sa.select(Site).where(*conditions).order_by(Site.nama, Site.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(page_body([site_as_dict(s) for s in sites], total, page, per_page))


@bp.route("/sites", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def site_create():
    site, check = save_site(current_user, _body_for_save())
    if site is None:
        _refused(check)
    response = jsonify(_saved_body(site, check))
    response.status_code = 201
    response.headers["Location"] = url_for("api.site_detail", site_id=site.id)
    return response


@bp.route("/sites/<int:site_id>")
@any_role
def site_detail(site_id: int):
    site = get_scoped_or_404(Site, site_id, kode_attr="desa_kode")
    return jsonify(site_as_dict(site))


@bp.route("/sites/<int:site_id>", methods=["PATCH"])
@roles_required(*permissions.PLANNERS)
def site_update(site_id: int):
    site = get_scoped_or_404(Site, site_id, kode_attr="desa_kode")
    body = _body_for_save()
    saved, check = save_site(current_user, body, site=site)
    if saved is None:
        _refused(check)
    return jsonify(_saved_body(saved, check))


_SITE_PROPERTIES = {
    "type": {"type": "string", "enum": list(SITE_TYPES)},
    "nama": {"type": "string", "maxLength": 200, "description": "Nama apa adanya (tidak di-escape)"},
    "desa_kode": {"type": "string", "example": "33.74.01.1001"},
    "lat": {"type": "number", "minimum": -90, "maximum": 90, "example": -6.99},
    "lng": {"type": "number", "minimum": -180, "maximum": 180, "example": 110.42},
    "coords_approximate": {"type": "boolean", "description": "Koordinat perkiraan (ditandai di UI)"},
    "rt": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 999},
    "rw": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 999},
    "address": {"type": "string", "maxLength": 300},
    "npsn": {"type": "string", "nullable": True, "description": "Sekolah: 8 karakter"},
    "jenjang": {"type": "string", "nullable": True, "enum": [*JENJANG_CHOICES, None]},
    "school_status": {"type": "string", "nullable": True, "enum": ["negeri", "swasta", None]},
    "contact_name": {"type": "string", "maxLength": 120},
    "contact_phone": {"type": "string", "maxLength": 40},
    "notes": {"type": "string", "maxLength": 2000},
    "unavailable_dates": {"type": "string", "description": "YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD items, comma separated"},
    "pemilih_pemula": {"type": "integer", "nullable": True, "minimum": 0,
                       "description": "Sekolah: siswa yang berusia 17 pada tanggal batas"},
}

OPENAPI_SCHEMAS: dict = {
    "Site": {
        "type": "object",
        "required": ["id", "nama", "type", "desa_kode", "lat", "lng"],
        "properties": {
            "id": {"type": "integer"},
            **_SITE_PROPERTIES,
            "kecamatan_kode": {"type": "string"},
            "kabupaten_kode": {"type": "string"},
            "pemilih_pemula_recorded": {"type": "integer", "nullable": True},
            "active": {"type": "boolean"},
        },
    },
    "SiteInput": {
        "type": "object",
        "description": "Untuk POST: type, nama, desa_kode, lat, lng wajib; RT/RW wajib untuk type rt_rw.",
        "required": ["type", "nama", "desa_kode", "lat", "lng"],
        "additionalProperties": False,
        "properties": _SITE_PROPERTIES,
    },
    "SitePatch": {
        "type": "object",
        "description": "Hanya kolom yang diubah; kolom lain tetap.",
        "additionalProperties": False,
        "properties": _SITE_PROPERTIES,
    },
    "SiteSaved": {
        "allOf": [ref("Site"), {"type": "object", "properties": {
            "warnings": {"type": "array", "items": {"type": "string"},
                         "description": "Peringatan yang tidak menghalangi penyimpanan"}}}],
    },
    "SiteList": list_schema("Site"),
}

_SITE_ID = {"name": "site_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_NOT_FOUND = error_response("Tidak ada, atau di luar wilayah tugas pengguna.")
_INVALID = error_response("Isian tidak valid: `errors` berisi pesan per kolom.")

OPENAPI_PATHS: dict = {
    "/api/v1/sites": {
        "get": {
            "summary": "Daftar lokasi dalam lingkup pengguna",
            "operationId": "listSites",
            "tags": ["sites"],
            "parameters": [
                {"name": "desa", "in": "query", "schema": {"type": "string"}, "example": "33.74.01.1001"},
                {"name": "kecamatan", "in": "query", "schema": {"type": "string"}, "example": "33.74.01"},
                {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(SITE_TYPES)}},
                {"name": "q", "in": "query", "description": "Bagian nama (tanpa beda huruf besar/kecil) atau NPSN",
                 "schema": {"type": "string", "maxLength": 100}},
                *PAGE_PARAMETERS,
            ],
            "responses": {"200": {"description": "Satu halaman lokasi", "content": json_content(ref("SiteList"))},
                          **COMMON_ERRORS},
        },
        "post": {
            "summary": "Tambah lokasi (admin, koordinator dalam kecamatannya)",
            "operationId": "createSite",
            "tags": ["sites"],
            "requestBody": {"required": True, "content": json_content(ref("SiteInput"))},
            "responses": {
                "201": {"description": "Tersimpan; header Location menunjuk lokasi baru",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": json_content(ref("SiteSaved"))},
                **COMMON_ERRORS,
                "422": _INVALID,
            },
        },
    },
    "/api/v1/sites/{site_id}": {
        "get": {
            "summary": "Satu lokasi",
            "operationId": "getSite",
            "tags": ["sites"],
            "parameters": [_SITE_ID],
            "responses": {"200": {"description": "Lokasi", "content": json_content(ref("Site"))},
                          **COMMON_ERRORS, "404": _NOT_FOUND},
        },
        "patch": {
            "summary": "Ubah sebagian kolom lokasi (admin, koordinator dalam kecamatannya)",
            "operationId": "updateSite",
            "tags": ["sites"],
            "parameters": [_SITE_ID],
            "requestBody": {"required": True, "content": json_content(ref("SitePatch"))},
            "responses": {"200": {"description": "Tersimpan", "content": json_content(ref("SiteSaved"))},
                          **COMMON_ERRORS, "404": _NOT_FOUND, "422": _INVALID},
        },
    },
}
