"""API: field logging (issue 4), used by the offline client of the field pages.

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
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import ApiError, PAGE_PARAMETERS, error_response, json_content, json_object, pagination, ref
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


def _body() -> dict:
    """The JSON object of the request, refusing bodies above API_MAX_BODY_BYTES with 413 before reading."""
    limit = int(current_app.config.get("API_MAX_BODY_BYTES", 64 * 1024))
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, _("Isi permintaan terlalu besar (paling banyak %(kb)s KB). Laporan tidak disimpan.",
                              kb=limit // 1024))
    request.max_content_length = limit  # also bounds a body sent without Content-Length
    return json_object()


@bp.get("/my/sessions")
@any_role
def my_sessions():
    """The caller's schedule with each session's log summary and flags (awaiting_log, overdue, can_log)."""
    page, per_page = pagination()
    result = queries.my_sessions(current_user, page=page, per_page=per_page)
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page,
                    "items": [serialize.schedule_item_to_dict(i) for i in result.items]})


@bp.get("/sessions/<int:session_id>/turnout")
@any_role
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
def turnout_create(session_id: int):
    """Store the first log of a session (idempotent per Idempotency-Key)."""
    data = _body()
    try:
        result = operations.save_log(current_user, session_id, data, request.headers.get("Idempotency-Key"))
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
def turnout_update(session_id: int):
    """Correct a log; refused with 409 and the current values when `version` is not the stored one."""
    data = _body()
    version = data.get("version")
    if version is None and request.headers.get("If-Match"):
        version = request.headers["If-Match"].strip().strip('"').removeprefix("W/").strip('"')
    try:
        result = operations.correct_log(current_user, session_id, data, version)
    except errors.FieldError as exc:
        return _error(exc)
    return jsonify(serialize.log_to_dict(result.log))


# ---------------------------------------------------------------- OpenAPI 3 description

_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}


def _counts(keys, description: str) -> dict:
    return {"type": "object", "description": description, "additionalProperties": False,
            "properties": {k: _COUNT for k in keys}}


def _counts_out(keys, description: str) -> dict:
    return {"type": "object", "description": description, "required": list(keys),
            "properties": {k: _COUNT for k in keys}}


_MOMENT = {"type": "string", "maxLength": 40, "example": "2026-05-04T08:05:00+07:00",
           "description": "Tanggal-waktu ISO 8601 (tanpa zona: WIB), atau JJ:MM pada hari pertama sesi"}
_INPUT_PROPS = {
    "recorded": _counts(RECORDED_GROUPS, "Warga terekam per kelompok"),
    "recorded_by_sex": _counts(("L", "P"), "Warga terekam per jenis kelamin; L + P = jumlah per kelompok"),
    "recorded_total": {**_COUNT, "description": "Opsional: diperiksa sama dengan jumlah per kelompok"},
    "not_recorded": _counts(NOT_RECORDED_REASONS, "Datang tetapi tidak terekam, per alasan"),
    "away": _counts(AWAY_REASONS, "Warga yang diketahui berada di luar, per alasan (menambah data desa)"),
    "started_at": _MOMENT,
    "ended_at": _MOMENT,
    "kit_ids": {"type": "array", "maxItems": 50, "items": {"type": "integer", "minimum": 1},
                "description": "Alat yang benar-benar dipakai (bawaan: alat yang dipesan untuk sesi)"},
    "notes": {"type": "string", "maxLength": LOG_NOTES_MAX_CHARS},
    "confirm_over_capacity": {"type": "boolean", "default": False,
                              "description": "Wajib true bila jumlah terekam melebihi kapasitas alat × jam kerja"},
}
_SESSION_PARAM = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LOG = {"content": json_content(ref("TurnoutLog"))}
_INVALID = {"description": "Isian tidak valid (pesan per isian), sesi dibatalkan atau belum dimulai, atau "
                           "Idempotency-Key dipakai ulang dengan isi lain (tidak disimpan)",
            "content": json_content(ref("Error"))}
_READ_ERRORS = {"401": error_response("Belum masuk, atau token API tidak sah."),
                "403": error_response("Peran tidak berwenang."),
                "404": error_response("Sesi tidak ditemukan (atau di luar wilayah/tim), atau belum ada laporan.")}
_WRITE_ERRORS = {**_READ_ERRORS,
                 "400": error_response("Isi bukan objek JSON, atau header Idempotency-Key tidak ada/tidak sah."),
                 "409": {"description": "Laporan sudah ada (gunakan PATCH) atau versi usang; `current` berisi "
                                        "laporan yang tersimpan", "content": json_content(ref("TurnoutConflict"))},
                 "413": error_response("Isi permintaan terlalu besar."),
                 "422": _INVALID}

OPENAPI_PATHS: dict = {
    "/api/v1/my/sessions": {
        "get": {
            "summary": "Jadwal saya: sesi tim hari ini dan mendatang, serta sesi lalu yang belum dilaporkan",
            "operationId": "listMySessions",
            "tags": ["field"],
            "parameters": PAGE_PARAMETERS,
            "responses": {"200": {"description": "Satu halaman jadwal",
                                  "content": json_content(ref("MySessionPage"))},
                          "400": error_response("Parameter halaman tidak valid."),
                          "401": _READ_ERRORS["401"]},
        },
    },
    "/api/v1/sessions/{session_id}/turnout": {
        "parameters": [_SESSION_PARAM],
        "get": {
            "summary": "Laporan hasil satu sesi, dengan riwayat koreksinya",
            "description": "`history`: setiap penyimpanan dan koreksi laporan, terbaru dulu: kapan (WIB), "
                           "oleh siapa, isian yang berubah {kolom: [lama, baru]}, dan alasan koreksi.",
            "operationId": "getTurnoutLog",
            "tags": ["field"],
            "responses": {"200": {"description": "Laporan hasil", **_LOG}, **_READ_ERRORS},
        },
        "post": {
            "summary": "Kirim laporan hasil pertama sebuah sesi (idempoten per Idempotency-Key)",
            "description": "Menyimpan laporan, mengubah status sesi menjadi selesai, menambah data warga di luar "
                           "desa dan data pemilih pemula sekolah, dalam satu transaksi. Kirim ulang dengan kunci dan "
                           "isi yang sama: 200 dengan laporan tersimpan (tidak dihitung dua kali).",
            "operationId": "createTurnoutLog",
            "tags": ["field"],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                            "description": "Kunci buatan klien (mis. UUID), unik per laporan",
                            "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_CHARS,
                                       "pattern": "^[A-Za-z0-9._:-]+$"}}],
            "requestBody": {"required": True, "content": json_content(ref("TurnoutLogInput"))},
            "responses": {"201": {"description": "Laporan disimpan", **_LOG},
                          "200": {"description": "Pengulangan permintaan yang sama: laporan tersimpan", **_LOG},
                          **_WRITE_ERRORS},
        },
        "patch": {
            "summary": "Koreksi laporan hasil (kirim version yang dibaca)",
            "description": "Tim dapat mengoreksi dalam LOG_CORRECTION_HOURS (48 jam) sejak laporan pertama; "
                           "koordinator dan admin kapan saja. Hanya selisihnya yang menggerakkan angka.",
            "operationId": "updateTurnoutLog",
            "tags": ["field"],
            "parameters": [{"name": "If-Match", "in": "header", "required": False,
                            "description": "Versi yang dibaca, bila tidak dikirim di isian `version`",
                            "schema": {"type": "string", "maxLength": 20}}],
            "requestBody": {"required": True, "content": json_content(ref("TurnoutLogPatch"))},
            "responses": {"200": {"description": "Laporan setelah koreksi", **_LOG}, **_WRITE_ERRORS},
        },
    },
}

OPENAPI_SCHEMAS: dict = {
    "TurnoutLog": {
        "type": "object",
        "required": ["id", "session_id", "recorded", "recorded_by_sex", "recorded_total", "not_recorded", "away",
                     "started_at", "ended_at", "kit_ids", "notes", "version"],
        "properties": {
            "id": {"type": "integer"}, "session_id": {"type": "integer"},
            "session_date": {"type": "string", "format": "date"},
            "recorded": _counts_out(RECORDED_GROUPS, "Warga terekam per kelompok"),
            "recorded_by_sex": _counts_out(("L", "P"), "Warga terekam per jenis kelamin"),
            "recorded_total": {"type": "integer", "minimum": 0},
            "not_recorded": _counts_out(NOT_RECORDED_REASONS, "Tidak terekam per alasan"),
            "not_recorded_total": {"type": "integer", "minimum": 0},
            "away": _counts_out(AWAY_REASONS, "Diketahui berada di luar, per alasan"),
            "away_total": {"type": "integer", "minimum": 0},
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time"},
            "kit_ids": {"type": "array", "items": {"type": "integer"}},
            "notes": {"type": "string"},
            "over_capacity_confirmed": {"type": "boolean"},
            "version": {"type": "integer", "minimum": 1, "description": "Kirim kembali saat mengoreksi"},
            "created_by": {"type": "integer", "nullable": True},
            "created_by_name": {"type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_by": {"type": "integer", "nullable": True},
            "updated_by_name": {"type": "string", "nullable": True},
            "updated_at": {"type": "string", "format": "date-time"},
            "correction_deadline": {"type": "string", "format": "date-time",
                                    "description": "Batas koreksi oleh tim (sesudahnya: koordinator/admin)"},
            "desa_kode": {"type": "string"}, "kecamatan_kode": {"type": "string"},
            "kabupaten_kode": {"type": "string"}, "provinsi_kode": {"type": "string"},
            "history": {"type": "array", "items": ref("TurnoutLogHistoryEntry"),
                        "description": "Hanya pada GET: riwayat laporan, terbaru dulu"},
        },
    },
    "TurnoutLogHistoryEntry": {
        "type": "object",
        "required": ["at", "action", "user", "changes", "reason"],
        "properties": {
            "at": {"type": "string", "format": "date-time", "description": "Waktu perubahan (zona kantor, WIB)"},
            "action": {"type": "string", "enum": ["create", "update"],
                       "description": "create: laporan pertama; update: koreksi"},
            "user": {"type": "object", "nullable": True, "required": ["id", "name"],
                     "properties": {"id": {"type": "integer"}, "name": {"type": "string", "nullable": True}},
                     "description": "Pengguna yang menyimpan (null bila akunnya sudah dihapus)"},
            "changes": {"type": "object", "description": "Isian yang berubah: {kolom: [lama, baru]}, mis. "
                                                         "{\"recorded_umum\": [31, 17]}; waktu dalam WIB",
                        "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}}},
            "reason": {"type": "string", "description": "Alasan koreksi yang diberikan (kosong bila tidak ada)"},
        },
    },
    "TurnoutLogInput": {
        "type": "object",
        "required": ["recorded", "recorded_by_sex", "started_at", "ended_at"],
        "properties": _INPUT_PROPS,
    },
    "TurnoutLogPatch": {
        "type": "object",
        "required": ["version"],
        "properties": {**_INPUT_PROPS, "version": {"type": "integer", "minimum": 1,
                                                   "description": "Versi laporan yang dibaca"},
                       "reason": {"type": "string", "maxLength": CORRECTION_REASON_MAX_CHARS,
                                  "description": "Opsional: alasan koreksi (tanpa karakter NUL), tercatat di "
                                                 "riwayat laporan"}},
    },
    "TurnoutConflict": {
        "type": "object",
        "required": ["error", "message", "reason", "current"],
        "properties": {
            "error": {"type": "integer", "example": 409}, "message": {"type": "string"},
            "reason": {"type": "string", "enum": ["log_exists", "stale_version"]},
            "current": ref("TurnoutLog"),
        },
    },
    "MySession": {
        "type": "object",
        "description": "Sesi (seperti Session) dengan lokasi, pengumuman, ringkasan laporan, dan penanda",
        "required": ["id", "date", "start", "end", "status", "site", "awaiting_log", "overdue", "can_log"],
        "properties": {
            "id": {"type": "integer"}, "date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date", "nullable": True},
            "start": {"type": "string"}, "end": {"type": "string"}, "status": {"type": "string"},
            "status_label": {"type": "string"}, "team_id": {"type": "integer"},
            "kit_ids": {"type": "array", "items": {"type": "integer"}},
            "site": {"type": "object", "properties": {
                "id": {"type": "integer"}, "nama": {"type": "string"}, "type": {"type": "string"},
                "address": {"type": "string"}, "rt": {"type": "integer", "nullable": True},
                "rw": {"type": "integer", "nullable": True}, "contact_name": {"type": "string"},
                "contact_phone": {"type": "string"}, "lat": {"type": "number"}, "lng": {"type": "number"},
                "map_url": {"type": "string", "nullable": True}}},
            "announcement": {"type": "string"},
            "log": {"type": "object", "nullable": True, "properties": {
                "id": {"type": "integer"}, "version": {"type": "integer"}, "recorded_total": {"type": "integer"},
                "updated_at": {"type": "string", "format": "date-time"},
                "correction_deadline": {"type": "string", "format": "date-time"}}},
            "awaiting_log": {"type": "boolean", "description": "Sudah dimulai/lewat dan belum ada laporan"},
            "overdue": {"type": "boolean", "description": "Menunggu laporan dan hari terakhirnya sudah lewat"},
            "can_log": {"type": "boolean"}, "can_correct": {"type": "boolean"},
        },
    },
    "MySessionPage": {"type": "object", "required": ["total", "items"], "properties": {
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "items": {"type": "array", "items": ref("MySession")}}},
}
