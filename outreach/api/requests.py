"""API: the coordinator's queue of visit requests (list, change of status). Thin: access, parse, one call to
outreach.requests.queue, respond.

Scoped like sessions: a request outside the caller's area answers 404; field users 403. Each item carries the
requester's personal data (for the staff whose area covers the desa), and each such view is audited ("lihat").
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields

from outreach import clock, permissions
from outreach.api import bp
from outreach.api.errors import ApiError
from outreach.api.routes import page_body
from outreach.api.schema import (COMMON_ERRORS, Body, Choice, JsonInt, JsonString, Out, PageOut, Query,
                                 error_response, operation, page_field, per_page_field, response)
from outreach.extensions import db
from outreach.models.requests import REQUEST_REASON_MAX, VisitRequest
from outreach.requests import queue
from outreach.requests.privacy import PERSONAL_FIELDS, personal_data
from outreach.security import roles_required
from outreach.vocab import REQUEST_KINDS, REQUEST_STATUSES


class RequestsQuery(Query):
    status = Choice(REQUEST_STATUSES)
    kind = Choice(REQUEST_KINDS)
    page = page_field()
    per_page = per_page_field()


class RequestPatchBody(Body):
    status = JsonString(required=True, metadata={"enum": list(REQUEST_STATUSES)})
    reason = JsonString(metadata={"maxLength": REQUEST_REASON_MAX,
                                  "description": "Wajib untuk status ditolak (pemohon melihatnya)"})
    session_id = JsonInt(metadata={"description": "Wajib untuk status dijadwalkan: sesi di kecamatan permohonan"})
    version = JsonInt(metadata={"description": "Versi yang dibaca; 409 bila permohonan sudah diubah orang lain"})

    def invalid(self) -> str:
        return _("Perubahan permohonan tidak valid. Periksa kolom yang ditandai.")


RequestPatchBody.__doc__ = "Pindahkan permohonan: baru → diverifikasi → dijadwalkan (dengan session_id) → selesai, " \
                           "atau ditolak (dengan reason)."

RequestSchema = Out.from_dict({
    "id": fields.Integer(required=True),
    "code": fields.String(required=True),
    "kind": fields.String(required=True, metadata={"enum": list(REQUEST_KINDS)}),
    "status": fields.String(required=True, metadata={"enum": list(REQUEST_STATUSES)}),
    "desa_kode": fields.String(required=True),
    "kecamatan_kode": fields.String(),
    "rt": fields.Integer(allow_none=True),
    "rw": fields.Integer(allow_none=True),
    "people": fields.Integer(),
    "created_at": fields.DateTime(),
    "status_changed_at": fields.DateTime(),
    "closed_at": fields.DateTime(allow_none=True),
    "age_days": fields.Integer(metadata={"description": "Hari sejak permohonan masuk (kalender kantor)"}),
    "session_id": fields.Integer(allow_none=True),
    "site_id": fields.Integer(allow_none=True, metadata={"description": "Lokasi rumah dari kunjungan rumah"}),
    "reason": fields.String(),
    "version": fields.Integer(),
    "erased": fields.Boolean(metadata={"description": "Data pribadi sudah dihapus (retensi)"}),
    "allowed_status": fields.List(fields.String(), metadata={"description": "Status tujuan yang boleh dipilih"}),
    **{name: fields.Raw(allow_none=True, metadata={"description": "Data pribadi (hanya dalam wilayah tugas)"})
       for name in PERSONAL_FIELDS},
}, name="VisitRequestSchema")


class RequestPageSchema(PageOut):
    items = fields.List(fields.Nested(RequestSchema), required=True)


_NOT_FOUND = error_response("Tidak ada, atau di luar wilayah tugas pengguna.")
_INVALID = error_response("Perubahan ditolak: `errors` berisi pesan per kolom.")
_CONFLICT = error_response("Permohonan sudah diubah pengguna lain (versi lama).")


def request_to_dict(req: VisitRequest, now=None) -> dict:
    out = {
        "id": req.id, "code": req.code, "kind": req.kind, "status": req.status, "desa_kode": req.desa_kode,
        "kecamatan_kode": req.kecamatan_kode, "rt": req.rt, "rw": req.rw, "people": req.people,
        "created_at": _iso(req.created_at), "status_changed_at": _iso(req.status_changed_at),
        "closed_at": _iso(req.closed_at), "age_days": queue.age_of(req, now), "session_id": req.session_id,
        "site_id": req.site_id, "reason": req.reason, "version": req.version, "erased": req.erased_at is not None,
        "allowed_status": list(queue.allowed_targets(req.status))
        if permissions.can_handle_request(current_user, req) else [],
    }
    if permissions.can_view_request(current_user, req):
        out.update(personal_data(req))
    return out


def _iso(value):
    return value.isoformat() if value is not None else None


@bp.get("/requests")
@roles_required(*permissions.STAFF)
@operation("listVisitRequests", "requests", "Antrean permohonan kunjungan dalam wilayah pengguna",
           description="Permohonan yang menunggu lebih dulu, yang tertua lebih dulu. Setiap tampilan data pribadi "
                       "tercatat di jejak audit.", query=RequestsQuery,
           responses={200: response("Satu halaman permohonan", RequestPageSchema), **COMMON_ERRORS})
def requests_list(args):
    filters = queue.QueueFilters(status=args["status"] or "", kind=args["kind"] or "")
    stmt = queue.queue_statement(current_user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    now = clock.utcnow()
    body = page_body([request_to_dict(r, now) for r in items], total, page, per_page)
    queue.record_views(current_user, [r for r in items if permissions.can_view_request(current_user, r)])
    return jsonify(body)


@bp.patch("/requests/<int:request_id>")
@roles_required(*permissions.PLANNERS)
@operation("updateVisitRequest", "requests", "Ubah status permohonan (admin, koordinator dalam kecamatannya)",
           body=RequestPatchBody,
           responses={200: response("Permohonan setelah diubah", RequestSchema), **COMMON_ERRORS,
                      404: _NOT_FOUND, 409: _CONFLICT, 422: _INVALID})
def request_update(request_id: int, body: dict):
    req = queue.visible_request(current_user, request_id) if 0 < request_id < 2**31 else None
    if req is None:
        raise ApiError(404, _("Permohonan tidak ditemukan."))
    if not body.get("status"):
        message = _("Status wajib diisi.")
        raise ApiError(422, message, {"status": message})
    try:
        req = queue.change_status(current_user, req, body["status"], reason=body.get("reason") or "",
                                  session_id=body.get("session_id"), expected_version=body.get("version"))
    except queue.QueueError as exc:
        raise ApiError(exc.status, exc.message, exc.errors or None)
    out = request_to_dict(req)
    queue.record_views(current_user, [req])
    return jsonify(out)
