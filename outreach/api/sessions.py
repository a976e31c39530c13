"""API: recording sessions, teams and kits (issue 3). Thin: access, parse, one service call, respond.

Role and scope rules are those of the pages: admins everything; coordinators plan and edit within
their kecamatan; managers read their region and edit nothing; field users read their own team's
sessions. A session outside the caller's view answers 404.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach import DB_INT_MAX
from outreach.api import bp
from outreach.planning import conflicts as conflict_rules
from outreach.planning import checks, operations, queries
from outreach.planning.errors import ConflictsFound, PlanningError, ValidationFailed
from outreach.planning.labels import status_labels
from outreach.planning.parse import parse_filters
from outreach.planning.serialize import postponement_to_dict, session_to_dict
from outreach.security import any_role, json_error, roles_required
from outreach import permissions

MAX_PER_PAGE = 500


def _body() -> dict | tuple:
    """The JSON object of the request, or an error response."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if data is None:
        return json_error(400, _("Isi permintaan bukan JSON yang sah."))
    if not isinstance(data, dict):
        return json_error(422, _("Isi permintaan harus berupa objek JSON."),
                          errors={"_": _("Isi permintaan harus berupa objek JSON.")})
    return data


def _planning_error(exc: PlanningError):
    if isinstance(exc, ValidationFailed):
        return json_error(422, exc.message, errors=exc.errors)
    if isinstance(exc, ConflictsFound):
        return json_error(409, exc.message, conflicts=[c.as_dict() for c in exc.conflicts],
                          overridable=exc.overridable)
    return json_error(exc.status, exc.message)


def _int_arg(name: str, default: int, maximum: int | None = None):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default, None
    try:
        value = int(raw)
    except ValueError:
        return None, _("Harus bilangan bulat: \"%(value)s\".", value=raw[:40])
    if value < 1:
        return None, _("Harus 1 atau lebih.")
    if value > DB_INT_MAX and not maximum:
        return None, _("Angka terlalu besar.")
    return (min(value, maximum) if maximum else value), None


def _detail(session) -> dict:
    out = session_to_dict(session)
    labels = status_labels()
    out["status_label"] = labels[session.status]
    out["can_edit"] = permissions.can_edit_session(current_user, session)
    out["allowed_status"] = queries.allowed_status_targets(session) if out["can_edit"] else []
    out["postponements"] = [postponement_to_dict(p) for p in session.postponements]
    out["history"] = [{"at": e.at.isoformat(), "action": e.action, "user_id": e.user_id,
                       "user_name": e.user.name if e.user else None, "changes": e.changes, "reason": e.reason}
                      for e in queries.session_history(session)]
    return out


@bp.get("/sessions")
@any_role
def sessions_list():
    """Sessions the caller may see, filtered and paginated."""
    try:
        filters = parse_filters(request.args)
    except ValidationFailed as exc:
        return _planning_error(exc)
    page, err_page = _int_arg("page", 1)
    per_page, err_pp = _int_arg("per_page", current_app.config.get("PER_PAGE", 50), MAX_PER_PAGE)
    errors = {k: v for k, v in (("page", err_page), ("per_page", err_pp)) if v}
    if errors:
        return json_error(422, _("Parameter halaman tidak valid."), errors=errors)
    result = queries.list_sessions(current_user, filters, page=page, per_page=per_page)
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page,
                    "items": [session_to_dict(s) for s in result.items]})


@bp.post("/sessions")
@roles_required(*permissions.PLANNERS)
def session_create():
    """Plan a session; 409 with the conflicts when it clashes (warnings pass with override_reason)."""
    data = _body()
    if not isinstance(data, dict):
        return data
    try:
        session = operations.create_session(current_user, data)
    except PlanningError as exc:
        return _planning_error(exc)
    resp = jsonify(_detail(session))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.session_detail", session_id=session.id)
    return resp


@bp.get("/sessions/<int:session_id>")
@any_role
def session_detail(session_id: int):
    session = queries.get_session(current_user, session_id)
    if session is None:
        return json_error(404, _("Sesi tidak ditemukan."))
    return jsonify(_detail(session))


@bp.patch("/sessions/<int:session_id>")
@roles_required(*permissions.PLANNERS)
def session_update(session_id: int):
    """Change some fields of a session (send `version` to refuse the change if someone else was first)."""
    data = _body()
    if not isinstance(data, dict):
        return data
    if "status" in data:
        message = _("Status diubah melalui POST /api/v1/sessions/%(id)s/status.", id=session_id)
        return json_error(422, message, errors={"status": message})
    try:
        session = queries.session_to_edit(current_user, session_id)
        session = operations.update_session(current_user, session, data)
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(_detail(session))


@bp.post("/sessions/<int:session_id>/status")
@roles_required(*permissions.PLANNERS)
def session_status(session_id: int):
    """Confirm, cancel or postpone a session."""
    data = _body()
    if not isinstance(data, dict):
        return data
    status = data.get("status")
    if not isinstance(status, str) or not status:
        message = _("Status baru wajib diisi: terkonfirmasi, ditunda, atau dibatalkan.")
        return json_error(422, message, errors={"status": message})
    confirmed_at = None
    if data.get("confirmed_at"):
        from datetime import datetime, timezone
        try:
            confirmed_at = datetime.fromisoformat(str(data["confirmed_at"]))
        except ValueError:
            message = _("Waktu konfirmasi bukan tanggal-waktu yang sah (ISO 8601).")
            return json_error(422, message, errors={"confirmed_at": message})
        if confirmed_at.tzinfo is None:
            confirmed_at = confirmed_at.replace(tzinfo=timezone.utc)
    try:
        session = queries.session_to_edit(current_user, session_id)
        session = operations.change_status(
            current_user, session, status, reason=data.get("reason") or "",
            confirmed_with=data.get("confirmed_with") or "", confirmed_at=confirmed_at,
            new_date=data.get("new_date"), new_end_date=data.get("new_end_date"), new_start=data.get("new_start"),
            new_end=data.get("new_end"), override_reason=data.get("override_reason") or "",
            expected_version=data.get("version"))
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(_detail(session))


@bp.get("/sessions/<int:session_id>/mop-up")
@roles_required(*permissions.PLANNERS)
def session_mop_up(session_id: int):
    """Propose a mop-up of a finished session (not saved); `absentees` omitted: taken from its turnout log."""
    try:
        source = queries.session_to_edit(current_user, session_id)
        proposal = checks.propose_mop_up(source, request.args.get("absentees"))
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(proposal)


@bp.get("/teams")
@any_role
def teams_list():
    teams = queries.visible_teams(current_user)
    return jsonify({"total": len(teams), "items": [
        {"id": t.id, "nama": t.nama, "office_kode": t.office_kode, "phone": t.phone, "active": t.active}
        for t in teams]})


@bp.get("/kits")
@any_role
def kits_list():
    team_id, err = _int_arg("team_id", 0)
    status = request.args.get("status") or None
    if err:
        return json_error(422, err, errors={"team_id": err})
    kits = queries.visible_kits(current_user, team_id=team_id or None, status=status)
    return jsonify({"total": len(kits), "items": [
        {"id": k.id, "code": k.code, "status": k.status, "office_kode": k.office_kode, "team_id": k.team_id}
        for k in kits]})


# ---------------------------------------------------------------- OpenAPI 3 description

_ERR = {"$ref": "#/components/schemas/Error"}  # shared: declared in outreach.api.routes
_VALIDATION = {"description": "Data tidak valid (pesan per isian)",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}}
_CONFLICT = {"description": "Bentrok jadwal (atau sesi telah diubah pengguna lain)",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ConflictError"}}}}
_SESSION = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}}
_COMMON = {"401": {"description": "Belum masuk / token tidak sah", "content": {"application/json": {"schema": _ERR}}},
           "403": {"description": "Peran tidak berwenang", "content": {"application/json": {"schema": _ERR}}}}
_ID_PARAM = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _q(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


OPENAPI_PATHS: dict = {
    "/api/v1/sessions": {
        "get": {
            "summary": "Daftar sesi yang boleh dilihat pengguna",
            "operationId": "listSessions",
            "tags": ["sessions"],
            "parameters": [
                _q("from", {"type": "string", "format": "date"}, "Sesi yang berlangsung pada/sesudah tanggal ini"),
                _q("to", {"type": "string", "format": "date"}, "Sesi yang dimulai pada/sebelum tanggal ini"),
                _q("status", {"type": "string"}, "Satu atau beberapa status, dipisah koma"),
                _q("team_id", {"type": "integer"}, "Tim"),
                _q("kecamatan", {"type": "string"}, "Kode kecamatan, mis. 33.74.01"),
                _q("desa", {"type": "string"}, "Kode desa/kelurahan"),
                _q("site_id", {"type": "integer"}, "Lokasi"),
                _q("site_type", {"type": "string"}, "Jenis lokasi"),
                _q("kind", {"type": "string", "enum": ["perekaman", "sosialisasi", "keduanya"]}, "Jenis sesi"),
                _q("page", {"type": "integer", "minimum": 1}, "Halaman (mulai 1)"),
                _q("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Baris per halaman"),
            ],
            "responses": {"200": {"description": "Satu halaman sesi", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SessionPage"}}}}, "422": _VALIDATION, **_COMMON},
        },
        "post": {
            "summary": "Rencanakan sesi baru (admin, koordinator dalam kecamatannya)",
            "operationId": "createSession",
            "tags": ["sessions"],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SessionInput"}}}},
            "responses": {"201": {"description": "Sesi dibuat (status rencana)", **_SESSION},
                          "409": _CONFLICT, "422": _VALIDATION, **_COMMON},
        },
    },
    "/api/v1/sessions/{session_id}": {
        "parameters": [_ID_PARAM],
        "get": {"summary": "Satu sesi, dengan riwayat penundaan dan jejak audit", "tags": ["sessions"],
                "operationId": "getSession",
                "responses": {"200": {"description": "Sesi", **_SESSION},
                              "404": {"description": "Tidak ditemukan atau di luar wilayah",
                                      "content": {"application/json": {"schema": _ERR}}}, **_COMMON}},
        "patch": {
            "summary": "Ubah sebagian isian sesi (jadwal diperiksa ulang)",
            "operationId": "updateSession",
            "tags": ["sessions"],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SessionPatch"}}}},
            "responses": {"200": {"description": "Sesi setelah diubah", **_SESSION}, "404": {"description": "Tidak ditemukan"},
                          "409": _CONFLICT, "422": _VALIDATION, **_COMMON},
        },
    },
    "/api/v1/sessions/{session_id}/status": {
        "parameters": [_ID_PARAM],
        "post": {
            "summary": "Konfirmasi, tunda, atau batalkan sesi",
            "operationId": "changeSessionStatus",
            "description": "rencana → terkonfirmasi | ditunda | dibatalkan; terkonfirmasi → ditunda | dibatalkan "
                           "(selesai diisi dari laporan hasil); ditunda → terkonfirmasi | ditunda | dibatalkan. "
                           "Sesi yang ditunda pindah ke tanggal baru dan berstatus ditunda sampai dikonfirmasi lagi; "
                           "tanggal lama tersimpan di riwayat penundaan.",
            "tags": ["sessions"],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/StatusChange"}}}},
            "responses": {"200": {"description": "Sesi dengan status baru", **_SESSION},
                          "404": {"description": "Tidak ditemukan"}, "409": _CONFLICT, "422": _VALIDATION, **_COMMON},
        },
    },
    "/api/v1/sessions/{session_id}/mop-up": {
        "parameters": [_ID_PARAM],
        "get": {
            "summary": "Usulan sesi susulan (mop-up) dari sesi yang sudah selesai; tidak disimpan",
            "description": "Lokasi, tim, alat, dan jam mulai sama; lama sesi cukup untuk `absentees` warga; hari "
                           "kerja pertama tanpa bentrok sedikitnya seminggu sesudah sesi. Tanpa `absentees`: "
                           "jumlahnya diambil dari laporan hasil sesi, yaitu warga yang datang tetapi belum dapat "
                           "direkam karena gangguan alat atau jaringan atau data tidak ditemukan di SIAK "
                           "(`absentees_from_log`). Simpan usulan dengan POST /api/v1/sessions.",
            "operationId": "proposeMopUp",
            "tags": ["sessions"],
            "parameters": [_q("absentees", {"type": "integer", "minimum": 1},
                              "Jumlah warga yang belum hadir (bawaan: dari laporan hasil)")],
            "responses": {"200": {"description": "Usulan sesi susulan", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/MopUpProposal"}}}},
                "404": {"description": "Tidak ditemukan atau di luar wilayah",
                        "content": {"application/json": {"schema": _ERR}}},
                "422": _VALIDATION, **_COMMON},
        },
    },
    "/api/v1/teams": {
        "get": {"summary": "Tim yang terlihat oleh pengguna", "tags": ["resources"], "operationId": "listTeams",
                "responses": {"200": {"description": "Daftar tim", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"total": {"type": "integer"}, "items": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Team"}}}}}}}, **_COMMON}},
    },
    "/api/v1/kits": {
        "get": {"summary": "Alat perekam yang terlihat oleh pengguna", "tags": ["resources"],
                "operationId": "listKits",
                "parameters": [_q("team_id", {"type": "integer"}, "Alat milik tim ini"),
                               _q("status", {"type": "string", "enum": ["ok", "rusak", "servis"]}, "Status alat")],
                "responses": {"200": {"description": "Daftar alat", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"total": {"type": "integer"}, "items": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Kit"}}}}}}},
                    "422": _VALIDATION, **_COMMON}},
    },
}

_DATE = {"type": "string", "format": "date", "example": "2026-05-04"}
_TIME = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "08:00"}
_INPUT_PROPS = {
    "site_id": {"type": "integer"},
    "date": _DATE,
    "end_date": {**_DATE, "nullable": True, "description": "Hari terakhir sesi beberapa hari (paling lama 7 hari)"},
    "start": _TIME, "end": _TIME,
    "team_id": {"type": "integer"},
    "kit_ids": {"type": "array", "items": {"type": "integer"},
                "description": "Minimal satu alat untuk perekaman/keduanya"},
    "kind": {"type": "string", "enum": ["perekaman", "sosialisasi", "keduanya"], "default": "perekaman"},
    "target_groups": {"type": "array", "items": {"type": "string",
                                                  "enum": ["pemilih_pemula", "umum", "lansia_disabilitas"]}},
    "notes": {"type": "string", "maxLength": 2000},
    "confirmed_with": {"type": "string", "maxLength": 120},
    "override_reason": {"type": "string", "description": "Alasan mengabaikan peringatan (bukan galat)"},
}

OPENAPI_SCHEMAS: dict = {
    "Session": {
        "type": "object",
        "required": ["id", "site_id", "date", "start", "end", "team_id", "kit_ids", "kind", "status",
                     "expected_turnout"],
        "properties": {
            "id": {"type": "integer"}, "site_id": {"type": "integer"}, "site_name": {"type": "string"},
            "site_type": {"type": "string"}, "date": _DATE, "end_date": {**_DATE, "nullable": True},
            "start": _TIME, "end": _TIME, "team_id": {"type": "integer"}, "team_name": {"type": "string"},
            "kit_ids": {"type": "array", "items": {"type": "integer"}},
            "kit_codes": {"type": "array", "items": {"type": "string"}},
            "kind": _INPUT_PROPS["kind"], "target_groups": _INPUT_PROPS["target_groups"],
            "status": {"type": "string", "enum": ["rencana", "terkonfirmasi", "selesai", "dibatalkan", "ditunda"]},
            "expected_turnout": {"type": "integer"}, "turnout_reasoning": {"type": "string"},
            "confirmed_with": {"type": "string"}, "confirmed_at": {"type": "string", "format": "date-time",
                                                                  "nullable": True},
            "cancel_reason": {"type": "string"}, "notes": {"type": "string"}, "override_reason": {"type": "string"},
            "mop_up_of_id": {"type": "integer", "nullable": True},
            "desa_kode": {"type": "string"}, "kecamatan_kode": {"type": "string"},
            "kabupaten_kode": {"type": "string"}, "provinsi_kode": {"type": "string"},
            "version": {"type": "integer", "description": "Kirim kembali saat mengubah agar perubahan ganda ditolak"},
            "created_by_id": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "can_edit": {"type": "boolean", "description": "Hanya pada jawaban satu sesi"},
            "allowed_status": {"type": "array", "items": {"type": "string"}},
            "postponements": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object"}},
        },
    },
    "MopUpProposal": {
        "type": "object",
        "required": ["site_id", "date", "start", "end", "team_id", "kit_ids", "mop_up_of_id", "absentees",
                     "expected_turnout", "absentees_from_log", "absentees_source"],
        "properties": {
            **_INPUT_PROPS, "mop_up_of_id": {"type": "integer"},
            "absentees": {"type": "integer", "minimum": 1, "description": "Jumlah warga yang dituju sesi susulan"},
            "expected_turnout": {"type": "integer"}, "turnout_reasoning": {"type": "string"},
            "conflicts": {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}},
            "absentees_from_log": {"type": "object", "required": ["total", "by_reason"], "properties": {
                "total": {"type": "integer", "minimum": 0},
                "by_reason": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                              "description": "Per alasan tidak terekam yang dapat diatasi kunjungan ulang: "
                                             "gangguan_alat_jaringan, tidak_ditemukan_siak"}},
                "description": "Warga dari laporan hasil yang dapat direkam pada kunjungan ulang"},
            "absentees_source": {"type": "string", "enum": ["log", "input"],
                                 "description": "log: jumlah dari laporan hasil; input: jumlah yang dikirim"},
        },
    },
    "SessionPage": {"type": "object", "properties": {
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}}},
    "SessionInput": {"type": "object", "required": ["site_id", "date", "start", "end", "team_id"],
                     "properties": _INPUT_PROPS},
    "SessionPatch": {"type": "object", "properties": {**_INPUT_PROPS, "version": {"type": "integer"}}},
    "StatusChange": {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["terkonfirmasi", "ditunda", "dibatalkan"]},
        "reason": {"type": "string", "description": "Wajib untuk dibatalkan"},
        "confirmed_with": {"type": "string", "description": "Wajib untuk terkonfirmasi"},
        "confirmed_at": {"type": "string", "format": "date-time"},
        "new_date": {**_DATE, "description": "Wajib untuk ditunda"}, "new_end_date": _DATE,
        "new_start": _TIME, "new_end": _TIME, "override_reason": {"type": "string"},
        "version": {"type": "integer"}}},
    "Conflict": {"type": "object", "required": ["kind", "message", "session_id"], "properties": {
        "kind": {"type": "string", "enum": list(conflict_rules.KINDS)},
        "severity": {"type": "string", "enum": ["error", "warning"]},
        "overridable": {"type": "boolean"},
        "message": {"type": "string"},
        "session_id": {"type": "integer", "nullable": True}}},
    "ConflictError": {"type": "object", "properties": {
        "error": {"type": "integer", "example": 409}, "message": {"type": "string"},
        "overridable": {"type": "boolean"},
        "conflicts": {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}}}},
    "ValidationError": {"type": "object", "properties": {
        "error": {"type": "integer", "example": 422}, "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "Team": {"type": "object", "properties": {
        "id": {"type": "integer"}, "nama": {"type": "string"}, "office_kode": {"type": "string"},
        "phone": {"type": "string"}, "active": {"type": "boolean"}}},
    "Kit": {"type": "object", "properties": {
        "id": {"type": "integer"}, "code": {"type": "string"},
        "status": {"type": "string", "enum": ["ok", "rusak", "servis"]}, "office_kode": {"type": "string"},
        "team_id": {"type": "integer", "nullable": True}}},
}
