"""API: regions with their target figures (wajib KTP, sudah rekam, known away, reachable backlog)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields

from outreach.api import bp
from outreach.api.errors import ApiError
from outreach.api.routes import like_pattern, page_body
from outreach.api.schema import (COMMON_ERRORS, Choice, Out, PageOut, Query, Text, error_response, operation,
                                 page_field, per_page_field, response)
from outreach.extensions import db
from outreach.models import Region
from outreach.vocab import AWAY_REASONS, LEVELS
from outreach.models.regions import level_of
from outreach.regions.queries import figures_for
from outreach.security import any_role
from outreach.permissions import in_scope, scope_clause


class ParentKode(Text):
    def check(self, raw: str, name: str) -> str:
        if level_of(raw) is None:
            raise ValidationError(_("Parameter parent harus kode wilayah bertitik, mis. 33.74 atau 33.74.01."))
        return raw


class RegionsQuery(Query):
    level = Choice(LEVELS)
    parent = ParentKode(20, metadata={"description": "Kode induk langsung, mis. 33.74"})
    q = Text(metadata={"description": "Bagian nama (tanpa beda huruf besar/kecil) atau awal kode"})
    page = page_field()
    per_page = per_page_field()


def _int(description: str = "", nullable: bool = False, required: bool = False):
    return fields.Integer(allow_none=nullable, required=required,
                          metadata={"description": description} if description else {})


def _date(description: str):
    return fields.Date(allow_none=True, metadata={"description": description})


class RegionSchema(Out):
    kode = fields.String(required=True, metadata={"example": "33.74.01.1001",
                                                  "description": "Kode Kemendagri bertitik"})
    nama = fields.String(required=True, metadata={"description": "Nama apa adanya (tidak di-escape)"})
    level = fields.String(required=True, metadata={"enum": list(LEVELS)})
    kind = fields.String(metadata={"enum": ["provinsi", "kabupaten", "kota", "kecamatan", "desa", "kelurahan"]})
    parent_kode = fields.String(required=True, allow_none=True)
    lat = fields.Float(required=True, allow_none=True)
    lng = fields.Float(required=True, allow_none=True)
    wajib_ktp = _int("Wajib KTP (jumlah desa di bawahnya)", True, True)
    sudah_rekam = _int("Sudah rekam", True, True)
    backlog = _int("Wajib KTP − sudah rekam perkiraan", True)
    known_away = _int("Diketahui berada di luar (semua alasan)", required=True)
    reachable_backlog = _int("Backlog − diketahui di luar − menolak (yang termasuk backlog): yang dapat dijangkau "
                             "tim", True, True)
    percent_recorded = fields.Float(allow_none=True)
    target_as_of = _date("Tanggal data SIAK terbaru")
    desa_with_targets = _int("Jumlah desa yang punya target")
    sudah_rekam_official = _int("Sudah rekam resmi (SIAK terbaru); sama dengan sudah_rekam", True)
    official_as_of = _date("Tanggal data SIAK terbaru (sama dengan target_as_of)")
    recorded_since = _int("Terekam di lapangan sesudah tanggal data SIAK")
    sudah_rekam_estimated = _int("Resmi + lapangan sejak itu − di atas sasaran", True)
    backlog_official = _int("Wajib KTP − sudah rekam resmi", True)
    percent_recorded_official = fields.Float(allow_none=True)
    known_away_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                       metadata={"description": "Per alasan: " + ", ".join(AWAY_REASONS)})
    official_as_of_first = _date("Tanggal data SIAK terlama di antara desanya")
    recorded_over_target = _int("Bagian recorded_since di atas sasaran desanya")
    recorded_without_target = _int("Log di desa tanpa data SIAK")
    known_away_in_backlog = _int("Bagian known_away yang termasuk backlog")
    menolak = _int("Menolak direkam (belum ditindaklanjuti)")
    menolak_in_backlog = _int("Bagian menolak yang termasuk backlog")
    planned = _int("Perkiraan hadir sesi terbuka")
    reachable_unplanned = _int("Backlog terjangkau yang belum direncanakan", True)


class RegionDetailSchema(RegionSchema):
    children_count = _int("Jumlah wilayah satu tingkat di bawahnya")


class RegionListSchema(PageOut):
    items = fields.List(fields.Nested(RegionSchema), required=True)


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
@operation("listRegions", "regions", "Daftar wilayah dalam lingkup pengguna, dengan angka target",
           description="Koordinator hanya melihat kecamatannya dan desanya; manajer kabupaten/kotanya (atau "
                       "provinsi); tim lapangan kabupaten/kota timnya. Urut menurut kode.",
           query=RegionsQuery, responses={200: response("Satu halaman wilayah", RegionListSchema), **COMMON_ERRORS})
def regions_list(args):
    page, per_page = args["page"], args["per_page"]
    conditions = region_filters(current_user, args["level"], args["parent"], args["q"])
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(*conditions))
    regions = db.session.scalars(sa.select(Region).where(*conditions).order_by(Region.kode)
                                 .limit(per_page).offset((page - 1) * per_page)).all()
    figures = figures_for(regions)
    return jsonify(page_body([figures[r.kode].as_dict() for r in regions], total, page, per_page))


@bp.route("/regions/<kode>")
@any_role
@operation("getRegion", "regions", "Satu wilayah dengan angka target, rincian diketahui di luar, dan jumlah anak",
           responses={200: response("Wilayah", RegionDetailSchema), **COMMON_ERRORS,
                      404: error_response("Tidak ada, atau di luar wilayah tugas pengguna.")})
def region_detail(kode: str):
    region = db.session.get(Region, kode) if in_scope(current_user, kode) else None
    if region is None:
        raise ApiError(404, _("Wilayah %(kode)s tidak ditemukan.", kode=kode[:20]))
    body = figures_for([region])[region.kode].as_dict()
    body["children_count"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Region).where(Region.parent_kode == region.kode))
    return jsonify(body)
