"""API: the public visit requests (no login): create one, and follow it with its code and the last 4 phone digits.

For other clients of the same service as the form at /permohonan (a desa website, a WhatsApp bot):
outreach.requests.intake checks, stores and answers. No CSRF (a JSON-only body, no login: see
outreach.security.csrf_exempt); limited per client address like the form (outreach.ratelimits).
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import fields

from outreach import ratelimits
from outreach.api import bp
from outreach.api.errors import ApiError, json_object
from outreach.api.schema import (Body, ErrorSchema, JsonInt, JsonNumber, JsonString, Out, Query, Text, error_response,
                                 operation, response)
from outreach.models.requests import (REQUEST_ADDRESS_MAX, REQUEST_DESCRIPTION_MAX, REQUEST_NAME_MAX,
                                      REQUEST_PEOPLE_MAX, REQUEST_RELATION_MAX)
from outreach.requests import intake
from outreach.security import csrf_exempt, public
from outreach.vocab import REQUEST_KINDS, REQUEST_STATUSES

BODY_MAX_BYTES = 16 * 1024  # a request is well under 2 KB


class RequestBody(Body):
    def invalid(self) -> str:
        return _("Permohonan tidak valid. Periksa kolom yang ditandai.")

    @classmethod
    def from_request(cls) -> dict:
        if request.content_length is not None and request.content_length > BODY_MAX_BYTES:
            raise ApiError(413, _("Isi permintaan terlalu besar (paling banyak %(kb)s KB).", kb=BODY_MAX_BYTES // 1024))
        request.max_content_length = BODY_MAX_BYTES  # also bounds a body sent without Content-Length
        return cls().load(json_object(), partial=True)


def _input_fields() -> dict:
    required = ("kind", "desa_kode", "address", "people", "requester_name", "relation", "phone")

    def field(kind, name, **metadata):
        return kind(required=name in required, allow_none=True, metadata=metadata)

    return {
        "kind": field(JsonString, "kind", enum=list(REQUEST_KINDS),
                      description="Jenis: kunjungan rumah (rumah_*), sekolah, lembaga, atau pertemuan RT/RW"),
        "desa_kode": field(JsonString, "desa_kode", example="33.74.01.1001", description="Kode desa/kelurahan"),
        "address": field(JsonString, "address", maxLength=REQUEST_ADDRESS_MAX),
        "rt": field(JsonInt, "rt", minimum=0, maximum=intake.RT_RW_MAX),
        "rw": field(JsonInt, "rw", minimum=0, maximum=intake.RT_RW_MAX),
        "people": field(JsonInt, "people", minimum=1, maximum=REQUEST_PEOPLE_MAX,
                        description="Jumlah orang yang perlu direkam"),
        "description": field(JsonString, "description", maxLength=REQUEST_DESCRIPTION_MAX,
                             description="Keterangan singkat kondisi atau kelompok (tanpa NIK)"),
        "requester_name": field(JsonString, "requester_name", maxLength=REQUEST_NAME_MAX),
        "relation": field(JsonString, "relation", maxLength=REQUEST_RELATION_MAX,
                          description="Hubungan pemohon dengan yang direkam"),
        "phone": field(JsonString, "phone", example="0812-3456-7890",
                       description="Nomor WhatsApp Indonesia (08…, +628…, 628…; spasi/tanda hubung boleh)"),
        "lat": field(JsonNumber, "lat", example=-6.99, description="Opsional, bersama lng: di kabupaten/kota desa"),
        "lng": field(JsonNumber, "lng", example=110.42),
    }


PublicRequestInputSchema = RequestBody.from_dict(_input_fields(), name="PublicRequestInputSchema")
PublicRequestInputSchema.__doc__ = "Permohonan jemput bola. Tanpa NIK, foto, atau dokumen."


class PublicRequestCreatedSchema(Out):
    code = fields.String(required=True, metadata={"example": "JB-7KQ4MX",
                                                  "description": "Kode permohonan (simpan untuk melihat status)"})
    status = fields.String(required=True, metadata={
        "enum": list(REQUEST_STATUSES), "description": "Status permohonan (yang baru dibuat: yang pertama)"})


class PublicSessionSchema(Out):
    date = fields.String(required=True, metadata={"format": "date"})
    end_date = fields.String(allow_none=True, metadata={"format": "date"})
    start_time = fields.String(required=True, metadata={"example": "08:00"})
    end_time = fields.String(required=True, metadata={"example": "12:00"})
    at_home = fields.Boolean(required=True, metadata={"description": "Kunjungan di alamat permohonan"})
    place = fields.String(allow_none=True, metadata={"description": "Nama tempat (kosong untuk kunjungan rumah)"})
    status = fields.String(required=True)
    status_label = fields.String(required=True)


class PublicRequestStatusSchema(Out):
    code = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(REQUEST_KINDS)})
    kind_label = fields.String(required=True)
    desa_kode = fields.String(required=True)
    desa = fields.String(required=True)
    kecamatan = fields.String(required=True)
    kabupaten = fields.String(required=True)
    people = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(REQUEST_STATUSES)})
    status_label = fields.String(required=True)
    submitted_on = fields.String(required=True, metadata={"format": "date"})
    status_changed_on = fields.String(allow_none=True, metadata={"format": "date"})
    closed_on = fields.String(allow_none=True, metadata={"format": "date"})
    reason = fields.String(metadata={"description": "Alasan penolakan (hanya bila ditolak)"})
    session = fields.Nested(PublicSessionSchema, allow_none=True,
                            metadata={"description": "Jadwal kunjungan bila sudah dijadwalkan"})


class StatusQuery(Query):
    phone_last4 = Text(10, metadata={"description": "4 angka terakhir nomor WhatsApp pemohon (wajib)",
                                                    "pattern": "^[0-9]{4}$"})


_TOO_MANY = response("Terlalu banyak permintaan dari alamat ini (REQUEST_FORM_LIMIT, REQUEST_FORM_ATTEMPT_LIMIT, "
                     "REQUEST_STATUS_LIMIT); ulangi setelah Retry-After detik.", ErrorSchema,
                     headers={"Retry-After": {"schema": {"type": "integer"}}})


@bp.route("/public/requests", methods=["POST"])
@public
@csrf_exempt
@ratelimits.request_creation_limits
@operation("createPublicRequest", "public-requests", "Kirim permohonan jemput bola (tanpa login)",
           description="Layanan yang sama dengan formulir /permohonan. Dibatasi per alamat klien; satu nomor "
                       "WhatsApp paling banyak REQUEST_OPEN_PER_PHONE permohonan yang masih berjalan.",
           body=PublicRequestInputSchema, security=[],
           responses={201: response("Tersimpan", PublicRequestCreatedSchema),
                      400: error_response("Isi permintaan bukan objek JSON."),
                      413: error_response("Isi permintaan terlalu besar."),
                      422: error_response("Isian tidak valid: `errors` berisi pesan per kolom."),
                      429: _TOO_MANY})
def public_request_create(body: dict):
    outcome = intake.submit(body, "api")
    if outcome.errors:
        raise ApiError(422, _("Permohonan tidak valid. Periksa kolom yang ditandai."), outcome.errors)
    resp = jsonify({"code": outcome.code, "status": "baru"})
    resp.status_code = 201
    return resp


@bp.route("/public/requests/<code>")
@public
@ratelimits.request_status_limits
@operation("getPublicRequest", "public-requests", "Status permohonan dari kodenya dan 4 angka terakhir nomor WhatsApp",
           description="Tanpa data pribadi. Kode yang tidak ada dan angka yang salah dijawab sama: 404.",
           query=StatusQuery, security=[],
           responses={200: response("Status permohonan", PublicRequestStatusSchema),
                      404: error_response("Kode tidak ditemukan atau 4 angka terakhir tidak cocok."),
                      429: _TOO_MANY})
def public_request_status(code: str, args: dict):
    found = intake.public_status(code, args["phone_last4"] or "")
    if found is None:
        raise ApiError(404, _("Permohonan tidak ditemukan. Periksa kode dan 4 angka terakhir nomor WhatsApp."))
    return jsonify(found)
