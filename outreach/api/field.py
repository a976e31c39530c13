"""API: field logging, used by the offline client of the field pages.

    GET   /api/v1/my/sessions                 the caller's schedule (field: its team's sessions today and
                                              coming, plus past ones still waiting for a log, flagged)
    GET   /api/v1/sessions/<id>/turnout       the session's log with its `history` (who changed what, when,
                                              old → new, why; newest first); 404 "no_log" before the first one
    POST  /api/v1/sessions/<id>/turnout       the first log; header Idempotency-Key required.
                                              201 stored; 200 + same log on a repeat of key and body;
                                              422 same key with another body (nothing stored);
                                              409 {"reason": "log_exists", "current": log} when the
                                              session already has a log (correct it with PATCH)
    PATCH /api/v1/sessions/<id>/turnout       a correction with the `version` it read (body, or If-Match) and
                                              an optional `reason`; 409 {"reason": "stale_version",
                                              "current": log} when stale

Errors: {"error": status, "message": "...", "reason": code, "errors": {field: message}} (errors on 422).
Bodies above API_MAX_BODY_BYTES (64 KB) answer 413. Thin views: access, parse, one service call, respond.
Log bodies are checked field by field by outreach.field (which words each message); their schemas here
describe them and read the JSON object.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields, validate

from outreach.api import bp
from outreach.api.errors import ApiError, json_object
from outreach.api.schema import Out, PageOut, PageQuery, Passed, error_response, operation, response
from outreach.field import errors, log_view, operations, queries, serialize
from outreach.field.rules import CORRECTION_REASON_MAX_CHARS, IDEMPOTENCY_KEY_MAX_CHARS, LOG_NOTES_MAX_CHARS, MAX_COUNT
from outreach.vocab import AWAY_REASONS, NOT_RECORDED_REASONS, RECORDED_GROUPS
from outreach.security import any_role, json_error, roles_required
from outreach import permissions


def _error(exc: errors.FieldError):
    extra = {"reason": exc.reason}
    if getattr(exc, "errors", None):
        extra["errors"] = exc.errors
    if isinstance(exc, (errors.LogExists, errors.StaleLog)):
        extra["current"] = serialize.log_to_dict(exc.log)
    return json_error(exc.status, exc.message, **extra)


# ---------------------------------------------------------------- bodies

_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
_MOMENT = {"type": "string", "maxLength": 40, "example": "2026-05-04T08:05:00+07:00",
           "description": "Tanggal-waktu ISO 8601 (tanpa zona: WIB), atau JJ:MM pada hari pertama sesi"}


def _counts(keys, description: str, required: bool = False) -> Passed:
    return Passed(required=required, metadata={"type": "object", "description": description,
                                               "additionalProperties": False, "properties": {k: _COUNT for k in keys}})


def _input_fields() -> dict:
    return {
        "recorded": _counts(RECORDED_GROUPS, "Warga terekam per kelompok", True),
        "recorded_by_sex": _counts(("L", "P"), "Warga terekam per jenis kelamin; L + P = jumlah per kelompok", True),
        "recorded_total": Passed(metadata={**_COUNT, "description": "Opsional: diperiksa sama dengan jumlah per "
                                                                    "kelompok"}),
        "not_recorded": _counts(NOT_RECORDED_REASONS, "Datang tetapi tidak terekam, per alasan"),
        "away": _counts(AWAY_REASONS, "Warga yang diketahui berada di luar, per alasan (menambah data desa)"),
        "started_at": Passed(required=True, metadata=_MOMENT),
        "ended_at": Passed(required=True, metadata=_MOMENT),
        "kit_ids": Passed(metadata={"type": "array", "maxItems": 50, "items": {"type": "integer", "minimum": 1},
                                    "description": "Alat yang benar-benar dipakai (bawaan: alat yang dipesan untuk "
                                                   "sesi)"}),
        "notes": Passed(metadata={"type": "string", "maxLength": LOG_NOTES_MAX_CHARS}),
        "confirm_over_capacity": Passed(metadata={
            "type": "boolean", "default": False,
            "description": "Wajib true bila jumlah terekam melebihi kapasitas alat × jam kerja"}),
    }


class LogBody(Schema):
    """A turnout log body: read here (413 above API_MAX_BODY_BYTES, before reading), checked by outreach.field."""

    class Meta:
        unknown = EXCLUDE

    @classmethod
    def from_request(cls) -> dict:
        limit = int(current_app.config.get("API_MAX_BODY_BYTES", 64 * 1024))
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, _("Isi permintaan terlalu besar (paling banyak %(kb)s KB). Laporan tidak disimpan.",
                                  kb=limit // 1024))
        request.max_content_length = limit  # also bounds a body sent without Content-Length
        # The turnout-log rules (outreach.field.rules) refuse a NUL in any field with their own message (422),
        # which the offline queue shows next to the field.
        return json_object(refuse_nul_bytes=False)


TurnoutLogInputSchema = LogBody.from_dict(_input_fields(), name="TurnoutLogInputSchema")
TurnoutLogPatchSchema = LogBody.from_dict({
    **{name: Passed(metadata=field.metadata) for name, field in _input_fields().items()},
    "version": Passed(required=True, metadata={"type": "integer", "minimum": 1,
                                               "description": "Versi laporan yang dibaca"}),
    "reason": Passed(metadata={"type": "string", "maxLength": CORRECTION_REASON_MAX_CHARS,
                               "description": "Opsional: alasan koreksi (tanpa karakter NUL), tercatat di riwayat "
                                              "laporan"}),
}, name="TurnoutLogPatchSchema")

IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                   "description": "Kunci buatan klien (mis. UUID), unik per laporan",
                   "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_CHARS,
                              "pattern": "^[A-Za-z0-9._:-]+$"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "Versi yang dibaca, bila tidak dikirim di isian `version`",
            "schema": {"type": "string", "maxLength": 20}}


# ---------------------------------------------------------------- answers

def _counts_out(keys, description: str):
    return fields.Dict(required=True, metadata={"description": description, "required": list(keys),
                                                "properties": {k: _COUNT for k in keys}})


class TurnoutLogHistoryEntrySchema(Out):
    at = fields.DateTime(required=True, metadata={"description": "Waktu perubahan (zona kantor, WIB)"})
    action = fields.String(required=True, metadata={"enum": ["create", "update"],
                                                    "description": "create: laporan pertama; update: koreksi"})
    user = fields.Dict(required=True, allow_none=True, metadata={
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string", "nullable": True}},
        "description": "Pengguna yang menyimpan (null bila akunnya sudah dihapus)"})
    changes = fields.Dict(required=True, metadata={
        "description": "Isian yang berubah: {kolom: [lama, baru]}, mis. {\"recorded_umum\": [31, 17]}; waktu dalam "
                       "WIB",
        "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}}})
    reason = fields.String(required=True, metadata={"description": "Alasan koreksi yang diberikan (kosong bila "
                                                                   "tidak ada)"})


def _count(**kwargs):
    return fields.Integer(validate=validate.Range(min=0), **kwargs)


class TurnoutLogSchema(Out):
    id = fields.Integer(required=True)
    session_id = fields.Integer(required=True)
    session_date = fields.Date()
    recorded = _counts_out(RECORDED_GROUPS, "Warga terekam per kelompok")
    recorded_by_sex = _counts_out(("L", "P"), "Warga terekam per jenis kelamin")
    recorded_total = _count(required=True)
    not_recorded = _counts_out(NOT_RECORDED_REASONS, "Tidak terekam per alasan")
    not_recorded_total = _count()
    away = _counts_out(AWAY_REASONS, "Diketahui berada di luar, per alasan")
    away_total = _count()
    started_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(required=True)
    kit_ids = fields.List(fields.Integer(), required=True)
    notes = fields.String(required=True)
    over_capacity_confirmed = fields.Boolean()
    version = fields.Integer(required=True, validate=validate.Range(min=1),
                             metadata={"description": "Kirim kembali saat mengoreksi"})
    created_by = fields.Integer(allow_none=True)
    created_by_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_by = fields.Integer(allow_none=True)
    updated_by_name = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    correction_deadline = fields.DateTime(metadata={
        "description": "Batas koreksi oleh tim (sesudahnya: koordinator/admin)"})
    desa_kode = fields.String()
    kecamatan_kode = fields.String()
    kabupaten_kode = fields.String()
    provinsi_kode = fields.String()
    history = fields.List(fields.Nested(TurnoutLogHistoryEntrySchema),
                          metadata={"description": "Hanya pada GET: riwayat laporan, terbaru dulu"})


class TurnoutConflictSchema(Out):
    error = fields.Integer(required=True, metadata={"example": 409})
    message = fields.String(required=True)
    reason = fields.String(required=True, metadata={"enum": ["log_exists", "stale_version"]})
    current = fields.Nested(TurnoutLogSchema, required=True)


class MySessionSiteSchema(Out):
    id = fields.Integer()
    nama = fields.String()
    type = fields.String()
    address = fields.String()
    rt = fields.Integer(allow_none=True)
    rw = fields.Integer(allow_none=True)
    contact_name = fields.String()
    contact_phone = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    map_url = fields.String(allow_none=True)


class MySessionLogSchema(Out):
    id = fields.Integer()
    version = fields.Integer()
    recorded_total = fields.Integer()
    updated_at = fields.DateTime()
    correction_deadline = fields.DateTime()


class MySessionSchema(Out):
    """Sesi (seperti Session) dengan lokasi, pengumuman, ringkasan laporan, dan penanda"""

    id = fields.Integer(required=True)
    date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String()
    team_id = fields.Integer()
    kit_ids = fields.List(fields.Integer())
    site = fields.Nested(MySessionSiteSchema, required=True)
    announcement = fields.String()
    log = fields.Nested(MySessionLogSchema, allow_none=True)
    awaiting_log = fields.Boolean(required=True, metadata={"description": "Sudah dimulai/lewat dan belum ada laporan"})
    overdue = fields.Boolean(required=True, metadata={"description": "Menunggu laporan dan hari terakhirnya sudah "
                                                                     "lewat"})
    can_log = fields.Boolean(required=True)
    can_correct = fields.Boolean()


class MySessionPageSchema(PageOut):
    items = fields.List(fields.Nested(MySessionSchema), required=True)


_LOG = TurnoutLogSchema
_READ_ERRORS = {401: error_response("Belum masuk, atau token API tidak sah."),
                403: error_response("Peran tidak berwenang."),
                404: error_response("Sesi tidak ditemukan (atau di luar wilayah/tim), atau belum ada laporan.")}
_WRITE_ERRORS = {
    **_READ_ERRORS,
    400: error_response("Isi bukan objek JSON, atau header Idempotency-Key tidak ada/tidak sah."),
    409: response("Laporan sudah ada (gunakan PATCH) atau versi usang; `current` berisi laporan yang tersimpan",
                  TurnoutConflictSchema),
    413: error_response("Isi permintaan terlalu besar."),
    422: error_response("Isian tidak valid (pesan per isian), sesi dibatalkan atau belum dimulai, atau "
                        "Idempotency-Key dipakai ulang dengan isi lain (tidak disimpan)"),
}


# ---------------------------------------------------------------- views

@bp.get("/my/sessions")
@any_role
@operation("listMySessions", "field",
           "Jadwal saya: sesi tim hari ini dan mendatang, serta sesi lalu yang belum dilaporkan", query=PageQuery,
           responses={200: response("Satu halaman jadwal", MySessionPageSchema),
                      400: error_response("Parameter halaman tidak valid."), 401: _READ_ERRORS[401]})
def my_sessions(args):
    """The caller's schedule with each session's log summary and flags (awaiting_log, overdue, can_log)."""
    result = queries.my_sessions(current_user, page=args["page"], per_page=args["per_page"])
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page,
                    "items": [serialize.schedule_item_to_dict(i) for i in result.items]})


@bp.get("/sessions/<int:session_id>/turnout")
@any_role
@operation("getTurnoutLog", "field", "Laporan hasil satu sesi, dengan riwayat koreksinya",
           description="`history`: setiap penyimpanan dan koreksi laporan, terbaru dulu: kapan (WIB), oleh siapa, "
                       "isian yang berubah {kolom: [lama, baru]}, dan alasan koreksi.",
           responses={200: response("Laporan hasil", _LOG), **_READ_ERRORS})
def turnout_detail(session_id: int):
    try:
        log = queries.get_log(current_user, session_id)
    except errors.FieldError as exc:
        return _error(exc)
    if log is None:
        return _error(errors.LogNotFound())
    return jsonify(log_view.log_detail(log))


@bp.post("/sessions/<int:session_id>/turnout")
@roles_required(*permissions.LOGGERS)
@operation("createTurnoutLog", "field", "Kirim laporan hasil pertama sebuah sesi (idempoten per Idempotency-Key)",
           description="Menyimpan laporan, mengubah status sesi menjadi selesai, menambah data warga di luar desa dan "
                       "data pemilih pemula sekolah, dalam satu transaksi. Kirim ulang dengan kunci dan isi yang sama: "
                       "200 dengan laporan tersimpan (tidak dihitung dua kali).",
           headers=(IDEMPOTENCY_KEY,), body=TurnoutLogInputSchema,
           responses={201: response("Laporan disimpan", _LOG),
                      200: response("Pengulangan permintaan yang sama: laporan tersimpan", _LOG), **_WRITE_ERRORS})
def turnout_create(session_id: int, body: dict):
    """Store the first log of a session (idempotent per Idempotency-Key)."""
    try:
        result = operations.save_log(current_user, session_id, body, request.headers.get("Idempotency-Key"))
    except errors.FieldError as exc:
        return _error(exc)
    resp = jsonify(serialize.log_to_dict(result.log))
    resp.status_code = 201 if result.created else 200
    resp.headers["Location"] = url_for("api.turnout_detail", session_id=session_id)
    if not result.created:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


@bp.patch("/sessions/<int:session_id>/turnout")
@roles_required(*permissions.LOGGERS)
@operation("updateTurnoutLog", "field", "Koreksi laporan hasil (kirim version yang dibaca)",
           description="Tim dapat mengoreksi dalam LOG_CORRECTION_HOURS (48 jam) sejak laporan pertama; koordinator "
                       "dan admin kapan saja. Hanya selisihnya yang menggerakkan angka.",
           headers=(IF_MATCH,), body=TurnoutLogPatchSchema,
           responses={200: response("Laporan setelah koreksi", _LOG), **_WRITE_ERRORS})
def turnout_update(session_id: int, body: dict):
    """Correct a log; refused with 409 and the current values when `version` is not the stored one."""
    version = body.get("version")
    if version is None and request.headers.get("If-Match"):
        version = request.headers["If-Match"].strip().strip('"').removeprefix("W/").strip('"')
    try:
        result = operations.correct_log(current_user, session_id, body, version)
    except errors.FieldError as exc:
        return _error(exc)
    return jsonify(serialize.log_to_dict(result.log))
