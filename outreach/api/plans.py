"""API: the planner. POST /plans proposes and stores; POST /plans/<id>/accept creates sessions.

Admins and coordinators (their own kecamatan) plan and accept; managers and field users get 403.
Nothing becomes a session until accepted, and each accepted item passes the conflict rules of
hand-made sessions (refused items are reported with their conflicts and save nothing). Plan bodies are
checked by outreach.planner (which words each message); their schemas here describe them and read the
JSON object.
"""
from __future__ import annotations

from functools import wraps

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields

from outreach.api import bp
from outreach.api.errors import ApiError, json_object
from outreach.api.schema import Out, Passed, error_response, operation, response
from outreach.planner import loader, store
from outreach.planner.validate import PlanInputError
from outreach.planning.errors import NotAllowed
from outreach.security import roles_required
from outreach import permissions

_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
_IDS = {"type": "array", "items": {"type": "integer"}}


class PlanInputSchema(Schema):
    """A plan request: read here, checked by outreach.planner."""

    class Meta:
        unknown = EXCLUDE

    region = Passed(required=True, metadata={
        "type": "string", "description": "Kode kecamatan (33.74.01) atau kabupaten/kota (33.74)"})
    date_from = Passed(required=True, metadata=_DATE)
    date_to = Passed(required=True, metadata=_DATE)
    team_ids = Passed(metadata={**_IDS, "description": "Tim yang tersedia (bawaan: semua)"})
    kit_ids = Passed(metadata={**_IDS, "description": "Alat yang tersedia (bawaan: semua)"})
    settings = Passed(metadata={"type": "object", "properties": {
        "travel_speed_kmh": {"type": "number"}, "road_factor": {"type": "number"},
        "records_per_kit_hour": {"type": "number"}, "work_start": _TIME, "work_end": _TIME,
        "min_session_hours": {"type": "number"}, "max_session_hours": {"type": "number"},
        "weight_pemilih_pemula": {"type": "number"}, "weight_lagging": {"type": "number"},
        "weight_per_30_days_since_visit": {"type": "number"}, "max_days_since_visit": {"type": "integer"},
        "weight_home_visit": {"type": "number"}, "home_visit_minutes": {"type": "integer"},
        "home_visits_per_day": {"type": "integer"}}})

    @classmethod
    def from_request(cls) -> dict:
        return json_object()


class PlanAcceptInputSchema(Schema):
    """The kept items: an index, or {index, date, ...} to move it (checked by outreach.planner.store)."""

    items = Passed(required=True, metadata={"type": "array", "items": {"oneOf": [
        {"type": "integer", "description": "Indeks usulan"},
        {"type": "object", "properties": {"index": {"type": "integer"}, "date": _DATE, "start": _TIME, "end": _TIME,
                                          "team_id": {"type": "integer"}, "kit_ids": _IDS,
                                          "site_id": {"type": "integer"}, "override_reason": {"type": "string"}}}]}})

    def handle_error(self, error, data, **kwargs):
        unknown = sorted(map(str, error.messages))  # items is passed as sent: only unknown keys fail here
        raise ApiError(422, _("Kolom tidak dikenal: %(names)s.", names=", ".join(unknown)),
                       {k: _("Kolom tidak dikenal.") for k in unknown})

    @classmethod
    def from_request(cls) -> dict:
        return cls().load(json_object(), partial=True)


class PlanItemSchema(Out):
    site_id = fields.Integer(required=True)
    site_nama = fields.String(required=True)
    site_type = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    date = fields.Date(required=True)
    start = fields.String(required=True, metadata={"pattern": _TIME["pattern"]})
    end = fields.String(required=True, metadata={"pattern": _TIME["pattern"]})
    team_id = fields.Integer(required=True)
    team_nama = fields.String()
    kit_ids = fields.List(fields.Integer(), required=True)
    kit_codes = fields.List(fields.String())
    expected_yield = fields.Integer(required=True)
    pemilih_pemula_yield = fields.Integer()
    distance_km = fields.Float()
    reason = fields.String(required=True)
    request_id = fields.Integer(metadata={"description": "Kunjungan rumah: permohonan yang dilayani"})
    request_code = fields.String(metadata={"description": "Kunjungan rumah: kode permohonan (JB-…)"})
    request_kind = fields.String(metadata={"description": "Kunjungan rumah: jenis permohonan (rumah_lansia, …)"})
    people = fields.Integer(metadata={"description": "Kunjungan rumah: jumlah orang pada permohonan"})


class LeftOutSchema(Out):
    site_id = fields.Integer()
    site_nama = fields.String()
    reason = fields.String()


class PlanProposalSchema(Out):
    id = fields.Integer(required=True)
    region = fields.String()
    date_from = fields.Date()
    date_to = fields.Date()
    items = fields.List(fields.Nested(PlanItemSchema), required=True)
    total_expected_yield = fields.Integer(required=True)
    total_weighted_yield = fields.Float()
    left_out = fields.List(fields.Nested(LeftOutSchema), required=True)
    working_days = fields.List(fields.Date())
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    accepted_session_ids = fields.List(fields.Integer())
    accept_outcome = fields.Dict(allow_none=True, metadata={
        "description": "Hasil penerimaan: created [{index, session_id}], refused [{index, messages}], left_out "
                       "[indeks yang tidak dipertahankan]"})


class RefusedItemSchema(Out):
    index = fields.Integer(allow_none=True)
    item = fields.Dict()
    messages = fields.List(fields.String())
    conflicts = fields.List(fields.Dict())
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class PlanAcceptResultSchema(Out):
    proposal_id = fields.Integer()
    created_session_ids = fields.List(fields.Integer())
    created = fields.List(fields.Dict())
    refused = fields.List(fields.Nested(RefusedItemSchema))


_COMMON = {401: error_response("Belum masuk atau token tidak sah."),
           403: error_response("Peran tidak berwenang (hanya admin dan koordinator)."),
           404: error_response("Wilayah atau usulan tidak ditemukan / di luar cakupan.")}
_NOT_JSON = error_response("Isi permintaan bukan objek JSON.")


def _input_error(exc: PlanInputError) -> ApiError:
    errors: dict[str, str] = {}
    for issue in exc.issues:
        errors[issue.field] = (errors[issue.field] + " " + issue.message) if issue.field in errors else issue.message
    return ApiError(422, " ".join(i.message for i in exc.issues), errors)


@bp.post("/plans")
@roles_required(*permissions.PLANNERS)
@operation("createPlan", "planner",
           "Usulkan jadwal sesi untuk kecamatan/kabupaten (disimpan sebagai usulan, belum menjadi sesi)",
           body=PlanInputSchema,
           responses={201: response("Usulan tersimpan", PlanProposalSchema), 400: _NOT_JSON,
                      422: error_response("Masukan tidak valid (pesan dalam Bahasa Indonesia)."), **_COMMON})
def plans_create(body: dict):
    """Propose sessions for a kecamatan or kabupaten over a date range and store the proposal."""
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


def _proposal_first(view):
    """The proposal of the path (404 when missing or out of scope) is looked up before the body is read."""
    @wraps(view)
    def wrapper(proposal_id: int, **kwargs):
        proposal = store.get_proposal(current_user, proposal_id)
        if proposal is None:
            raise ApiError(404, _("Usulan jadwal tidak ditemukan."))
        return view(proposal=proposal, **kwargs)
    return wrapper


@bp.get("/plans/<int:proposal_id>")
@roles_required(*permissions.PLANNERS)
@_proposal_first
@operation("getPlan", "planner", "Satu usulan jadwal",
           responses={200: response("Usulan", PlanProposalSchema), **_COMMON})
def plans_detail(proposal):
    return jsonify(store.proposal_to_dict(proposal))


@bp.post("/plans/<int:proposal_id>/accept")
@roles_required(*permissions.PLANNERS)
@_proposal_first
@operation("acceptPlan", "planner", "Terima usulan yang dipertahankan: setiap sesi melewati aturan bentrok yang sama",
           body=PlanAcceptInputSchema,
           responses={200: response("Sesi yang dibuat dan usulan yang ditolak beserta bentroknya",
                                    PlanAcceptResultSchema), 400: _NOT_JSON,
                      409: error_response("Usulan ini sudah diterima (sekali saja); sesi yang dibuat ada di "
                                          "accepted_session_ids usulan."),
                      422: error_response("Daftar usulan tidak valid."), **_COMMON})
def plans_accept(proposal, body: dict):
    """Create a session for each kept item (an index, or {index, date, ...} to move it)."""
    try:
        outcome = store.accept_proposal(current_user, proposal, body.get("items"))
    except store.AcceptInputError as exc:
        raise ApiError(422, exc.message, exc.errors or {"items": exc.message})
    except store.AlreadyAccepted as exc:
        raise ApiError(409, exc.message, {"accepted_session_ids": ", ".join(map(str, exc.proposal.accepted_session_ids or []))})
    return jsonify({"proposal_id": proposal.id, "created_session_ids": outcome.created_session_ids,
                    "created": [{"index": c["index"], "session_id": c["session_id"]} for c in outcome.created],
                    "refused": [{"index": r["index"], "item": r["item"], "messages": r["messages"],
                                 "conflicts": r["conflicts"], "errors": r.get("errors", {})}
                                for r in outcome.refused]})
