"""API: regions with their target figures (wajib KTP, sudah rekam, known away, reachable backlog)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import (COMMON_ERRORS, PAGE_PARAMETERS, ApiError, choice_arg, error_response, json_content,
                                 like_pattern, list_schema, page_body, pagination, ref, text_arg)
from outreach.extensions import db
from outreach.models import Region
from outreach.vocab import AWAY_REASONS, LEVELS
from outreach.models.regions import level_of
from outreach.regions.queries import figures_for
from outreach.security import any_role
from outreach.permissions import in_scope, scope_clause


def region_filters(user, level=None, parent=None, q=None) -> list:
    """SQL conditions for the regions `user` may list, narrowed by level, parent and a name/code search."""
    conditions = [scope_clause(user, Region)]
    if level:
        conditions.append(Region.level == level)
    if parent:
        conditions.append(Region.parent_kode == parent)
    if q:
        conditions.append(sa.or_(sa.func.lower(Region.nama).like(like_pattern(q.lower()), escape="\\"),
                                 Region.kode.like(like_pattern(q, prefix_only=True), escape="\\")))
    return conditions


@bp.route("/regions")
@any_role
def regions_list():
    level = choice_arg("level", LEVELS)
    parent = text_arg("parent", 20)
    if parent and level_of(parent) is None:
        raise ApiError(400, _("Parameter parent harus kode wilayah bertitik, mis. 33.74 atau 33.74.01."))
    q = text_arg("q")
    page, per_page = pagination()
    conditions = region_filters(current_user, level, parent, q)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(*conditions))
    regions = db.session.scalars(sa.select(Region).where(*conditions).order_by(Region.kode)
                                 .limit(per_page).offset((page - 1) * per_page)).all()
    figures = figures_for(regions)
    return jsonify(page_body([figures[r.kode].as_dict() for r in regions], total, page, per_page))


@bp.route("/regions/<kode>")
@any_role
def region_detail(kode: str):
    region = db.session.get(Region, kode) if in_scope(current_user, kode) else None
    if region is None:
        raise ApiError(404, _("Wilayah %(kode)s tidak ditemukan.", kode=kode[:20]))
    body = figures_for([region])[region.kode].as_dict()
    body["children_count"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Region).where(Region.parent_kode == region.kode))
    return jsonify(body)


_FIGURES = {
    "wajib_ktp": {"type": "integer", "nullable": True, "description": "Wajib KTP (jumlah desa di bawahnya)"},
    "sudah_rekam": {"type": "integer", "nullable": True, "description": "Sudah rekam"},
    "backlog": {"type": "integer", "nullable": True, "description": "Wajib KTP − sudah rekam perkiraan"},
    "known_away": {"type": "integer", "description": "Diketahui berada di luar (semua alasan)"},
    "reachable_backlog": {"type": "integer", "nullable": True,
                          "description": "Backlog − diketahui di luar − menolak (yang termasuk backlog): yang "
                                         "dapat dijangkau tim"},
    "percent_recorded": {"type": "number", "nullable": True},
    "target_as_of": {"type": "string", "format": "date", "nullable": True,
                     "description": "Tanggal data SIAK terbaru"},
    "desa_with_targets": {"type": "integer", "description": "Jumlah desa yang punya target"},
    "sudah_rekam_official": {"type": "integer", "nullable": True,
                             "description": "Sudah rekam resmi (SIAK terbaru); sama dengan sudah_rekam"},
    "official_as_of": {"type": "string", "format": "date", "nullable": True,
                       "description": "Tanggal data SIAK terbaru (sama dengan target_as_of)"},
    "recorded_since": {"type": "integer", "description": "Terekam di lapangan sesudah tanggal data SIAK"},
    "sudah_rekam_estimated": {"type": "integer", "nullable": True,
                              "description": "Resmi + lapangan sejak itu − di atas sasaran"},
    "backlog_official": {"type": "integer", "nullable": True, "description": "Wajib KTP − sudah rekam resmi"},
    "percent_recorded_official": {"type": "number", "nullable": True},
    "known_away_by_reason": {"type": "object", "additionalProperties": {"type": "integer"},
                             "description": "Per alasan: " + ", ".join(AWAY_REASONS)},
    "official_as_of_first": {"type": "string", "format": "date", "nullable": True,
                             "description": "Tanggal data SIAK terlama di antara desanya"},
    "recorded_over_target": {"type": "integer", "description": "Bagian recorded_since di atas sasaran desanya"},
    "recorded_without_target": {"type": "integer", "description": "Log di desa tanpa data SIAK"},
    "known_away_in_backlog": {"type": "integer", "description": "Bagian known_away yang termasuk backlog"},
    "menolak": {"type": "integer", "description": "Menolak direkam (belum ditindaklanjuti)"},
    "menolak_in_backlog": {"type": "integer", "description": "Bagian menolak yang termasuk backlog"},
    "planned": {"type": "integer", "description": "Perkiraan hadir sesi terbuka"},
    "reachable_unplanned": {"type": "integer", "nullable": True,
                            "description": "Backlog terjangkau yang belum direncanakan"},
}

OPENAPI_SCHEMAS: dict = {
    "Region": {
        "type": "object",
        "required": ["kode", "nama", "level", "parent_kode", "lat", "lng", "wajib_ktp", "sudah_rekam",
                     "known_away", "reachable_backlog"],
        "properties": {
            "kode": {"type": "string", "example": "33.74.01.1001", "description": "Kode Kemendagri bertitik"},
            "nama": {"type": "string", "description": "Nama apa adanya (tidak di-escape)"},
            "level": {"type": "string", "enum": list(LEVELS)},
            "kind": {"type": "string", "enum": ["provinsi", "kabupaten", "kota", "kecamatan", "desa", "kelurahan"]},
            "parent_kode": {"type": "string", "nullable": True},
            "lat": {"type": "number", "nullable": True},
            "lng": {"type": "number", "nullable": True},
            **_FIGURES,
        },
    },
    "RegionDetail": {
        "allOf": [ref("Region"), {"type": "object", "properties": {
            "children_count": {"type": "integer", "description": "Jumlah wilayah satu tingkat di bawahnya"}}}],
    },
    "RegionList": list_schema("Region"),
}

OPENAPI_PATHS: dict = {
    "/api/v1/regions": {
        "get": {
            "summary": "Daftar wilayah dalam lingkup pengguna, dengan angka target",
            "description": ("Koordinator hanya melihat kecamatannya dan desanya; manajer kabupaten/kotanya "
                            "(atau provinsi); tim lapangan kabupaten/kota timnya. Urut menurut kode."),
            "operationId": "listRegions",
            "tags": ["regions"],
            "parameters": [
                {"name": "level", "in": "query", "schema": {"type": "string", "enum": list(LEVELS)}},
                {"name": "parent", "in": "query", "description": "Kode induk langsung, mis. 33.74",
                 "schema": {"type": "string"}},
                {"name": "q", "in": "query", "description": "Bagian nama (tanpa beda huruf besar/kecil) atau awal kode",
                 "schema": {"type": "string", "maxLength": 100}},
                *PAGE_PARAMETERS,
            ],
            "responses": {"200": {"description": "Satu halaman wilayah", "content": json_content(ref("RegionList"))},
                          **COMMON_ERRORS},
        },
    },
    "/api/v1/regions/{kode}": {
        "get": {
            "summary": "Satu wilayah dengan angka target, rincian diketahui di luar, dan jumlah anak",
            "operationId": "getRegion",
            "tags": ["regions"],
            "parameters": [{"name": "kode", "in": "path", "required": True, "schema": {"type": "string"},
                            "example": "33.74.01"}],
            "responses": {"200": {"description": "Wilayah", "content": json_content(ref("RegionDetail"))},
                          **COMMON_ERRORS,
                          "404": error_response("Tidak ada, atau di luar wilayah tugas pengguna.")},
        },
    },
}
