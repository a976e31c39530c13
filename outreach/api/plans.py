"""API: the planner (issue 8). POST /plans proposes and stores; POST /plans/<id>/accept creates sessions.

Admins and coordinators (their own kecamatan) plan and accept; managers and field users get 403.
Nothing becomes a session until accepted, and each accepted item passes the conflict rules of
hand-made sessions (refused items are reported with their conflicts and save nothing).
"""
from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import ApiError, error_response, json_content, json_object, ref
from outreach.planner import loader, store
from outreach.planner.validate import PlanInputError
from outreach.planning.errors import NotAllowed
from outreach.security import roles_required
from outreach import permissions


def _input_error(exc: PlanInputError) -> ApiError:
    errors: dict[str, str] = {}
    for issue in exc.issues:
        errors[issue.field] = (errors[issue.field] + " " + issue.message) if issue.field in errors else issue.message
    return ApiError(422, " ".join(i.message for i in exc.issues), errors)


@bp.post("/plans")
@roles_required(*permissions.PLANNERS)
def plans_create():
    """Propose sessions for a kecamatan or kabupaten over a date range and store the proposal."""
    body = json_object()
    try:
        proposal = store.create_proposal(current_user, body)
    except PlanInputError as exc:
        raise _input_error(exc)
    except loader.RegionNotFound:
        raise ApiError(404, _("Wilayah tidak ditemukan atau di luar cakupan Anda."))
    except NotAllowed as exc:
        raise ApiError(403, exc.message)
    resp = jsonify(store.proposal_to_dict(proposal))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.plans_detail", proposal_id=proposal.id)
    return resp


def _proposal_or_404(proposal_id: int):
    proposal = store.get_proposal(current_user, proposal_id)
    if proposal is None:
        raise ApiError(404, _("Usulan jadwal tidak ditemukan."))
    return proposal


@bp.get("/plans/<int:proposal_id>")
@roles_required(*permissions.PLANNERS)
def plans_detail(proposal_id: int):
    return jsonify(store.proposal_to_dict(_proposal_or_404(proposal_id)))


@bp.post("/plans/<int:proposal_id>/accept")
@roles_required(*permissions.PLANNERS)
def plans_accept(proposal_id: int):
    """Create a session for each kept item (an index, or {index, date, ...} to move it)."""
    proposal = _proposal_or_404(proposal_id)
    body = json_object()
    unknown = sorted(set(body) - {"items"})
    if unknown:
        raise ApiError(422, _("Kolom tidak dikenal: %(names)s.", names=", ".join(unknown)),
                       {k: _("Kolom tidak dikenal.") for k in unknown})
    try:
        outcome = store.accept_proposal(current_user, proposal, body.get("items"))
    except store.AcceptInputError as exc:
        raise ApiError(422, exc.message, exc.errors or {"items": exc.message})
    except store.AlreadyAccepted as exc:
        raise ApiError(409, exc.message, {"accepted_session_ids": ", ".join(map(str, exc.proposal.accepted_session_ids or []))})
    return jsonify({"proposal_id": proposal_id, "created_session_ids": outcome.created_session_ids,
                    "created": [{"index": c["index"], "session_id": c["session_id"]} for c in outcome.created],
                    "refused": [{"index": r["index"], "item": r["item"], "messages": r["messages"],
                                 "conflicts": r["conflicts"], "errors": r.get("errors", {})}
                                for r in outcome.refused]})


_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
_COMMON = {"401": error_response("Belum masuk atau token tidak sah."),
           "403": error_response("Peran tidak berwenang (hanya admin dan koordinator)."),
           "404": error_response("Wilayah atau usulan tidak ditemukan / di luar cakupan.")}

OPENAPI_PATHS: dict = {
    "/api/v1/plans": {
        "post": {
            "summary": "Usulkan jadwal sesi untuk kecamatan/kabupaten (disimpan sebagai usulan, belum menjadi sesi)",
            "operationId": "createPlan", "tags": ["planner"],
            "requestBody": {"required": True, "content": json_content(ref("PlanInput"))},
            "responses": {"201": {"description": "Usulan tersimpan", "content": json_content(ref("PlanProposal"))},
                          "400": error_response("Isi permintaan bukan objek JSON."),
                          "422": error_response("Masukan tidak valid (pesan dalam Bahasa Indonesia)."), **_COMMON},
        },
    },
    "/api/v1/plans/{proposal_id}": {
        "get": {
            "summary": "Satu usulan jadwal", "operationId": "getPlan", "tags": ["planner"],
            "parameters": [{"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Usulan", "content": json_content(ref("PlanProposal"))}, **_COMMON},
        },
    },
    "/api/v1/plans/{proposal_id}/accept": {
        "post": {
            "summary": "Terima usulan yang dipertahankan: setiap sesi melewati aturan bentrok yang sama",
            "operationId": "acceptPlan", "tags": ["planner"],
            "parameters": [{"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": json_content(ref("PlanAcceptInput"))},
            "responses": {"200": {"description": "Sesi yang dibuat dan usulan yang ditolak beserta bentroknya",
                                  "content": json_content(ref("PlanAcceptResult"))},
                          "400": error_response("Isi permintaan bukan objek JSON."),
                          "409": error_response("Usulan ini sudah diterima (sekali saja); sesi yang dibuat ada di "
                                                "accepted_session_ids usulan."),
                          "422": error_response("Daftar usulan tidak valid."), **_COMMON},
        },
    },
}

OPENAPI_SCHEMAS: dict = {
    "PlanInput": {"type": "object", "required": ["region", "date_from", "date_to"], "properties": {
        "region": {"type": "string", "description": "Kode kecamatan (33.74.01) atau kabupaten/kota (33.74)"},
        "date_from": _DATE, "date_to": _DATE,
        "team_ids": {"type": "array", "items": {"type": "integer"}, "description": "Tim yang tersedia (bawaan: semua)"},
        "kit_ids": {"type": "array", "items": {"type": "integer"}, "description": "Alat yang tersedia (bawaan: semua)"},
        "settings": {"type": "object", "properties": {
            "travel_speed_kmh": {"type": "number"}, "road_factor": {"type": "number"},
            "records_per_kit_hour": {"type": "number"}, "work_start": _TIME, "work_end": _TIME,
            "min_session_hours": {"type": "number"}, "max_session_hours": {"type": "number"},
            "weight_pemilih_pemula": {"type": "number"}, "weight_lagging": {"type": "number"},
            "weight_per_30_days_since_visit": {"type": "number"}, "max_days_since_visit": {"type": "integer"}}},
    }},
    "PlanItem": {"type": "object", "required": ["site_id", "site_nama", "date", "start", "end", "team_id", "kit_ids",
                                                 "expected_yield", "reason"], "properties": {
        "site_id": {"type": "integer"}, "site_nama": {"type": "string"}, "site_type": {"type": "string"},
        "lat": {"type": "number"}, "lng": {"type": "number"},
        "date": _DATE, "start": _TIME, "end": _TIME, "team_id": {"type": "integer"}, "team_nama": {"type": "string"},
        "kit_ids": {"type": "array", "items": {"type": "integer"}},
        "kit_codes": {"type": "array", "items": {"type": "string"}},
        "expected_yield": {"type": "integer"}, "pemilih_pemula_yield": {"type": "integer"},
        "distance_km": {"type": "number"}, "reason": {"type": "string"}}},
    "PlanProposal": {"type": "object", "required": ["id", "items", "total_expected_yield", "left_out"], "properties": {
        "id": {"type": "integer"}, "region": {"type": "string"}, "date_from": _DATE, "date_to": _DATE,
        "items": {"type": "array", "items": ref("PlanItem")},
        "total_expected_yield": {"type": "integer"}, "total_weighted_yield": {"type": "number"},
        "left_out": {"type": "array", "items": {"type": "object", "properties": {
            "site_id": {"type": "integer"}, "site_nama": {"type": "string"}, "reason": {"type": "string"}}}},
        "working_days": {"type": "array", "items": _DATE},
        "created_at": {"type": "string", "format": "date-time"},
        "accepted_at": {"type": "string", "format": "date-time", "nullable": True},
        "accepted_session_ids": {"type": "array", "items": {"type": "integer"}},
        "accept_outcome": {"type": "object", "nullable": True,
                           "description": "Hasil penerimaan: created [{index, session_id}], refused [{index, "
                                          "messages}], left_out [indeks yang tidak dipertahankan]"}}},
    "PlanAcceptInput": {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"oneOf": [
            {"type": "integer", "description": "Indeks usulan"},
            {"type": "object", "properties": {"index": {"type": "integer"}, "date": _DATE, "start": _TIME,
                                              "end": _TIME, "team_id": {"type": "integer"},
                                              "kit_ids": {"type": "array", "items": {"type": "integer"}},
                                              "site_id": {"type": "integer"},
                                              "override_reason": {"type": "string"}}}]}}}},
    "PlanAcceptResult": {"type": "object", "properties": {
        "proposal_id": {"type": "integer"},
        "created_session_ids": {"type": "array", "items": {"type": "integer"}},
        "created": {"type": "array", "items": {"type": "object"}},
        "refused": {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer", "nullable": True}, "item": {"type": "object"},
            "messages": {"type": "array", "items": {"type": "string"}},
            "conflicts": {"type": "array", "items": {"type": "object"}}}}}}},
}
