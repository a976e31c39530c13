"""API: recording sessions, teams and kits. Thin: access, parse, one service call, respond.

Role and scope rules are those of the pages: admins everything; coordinators plan and edit within
their kecamatan; managers read their region and edit nothing; field users read their own team's
sessions. A session outside the caller's view answers 404. The schemas live in outreach.api.sessions_schemas.
"""
from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.api import bp
from outreach.api.schema import operation, response
from outreach.api.sessions_schemas import (COMMON, CONFLICT, MOP_UP_DESCRIPTION, NOT_FOUND, STATUS_DESCRIPTION,
                                           VALIDATION, WRITE, KitListSchema, KitsQuery, MopUpProposalSchema,
                                           MopUpQuery, SessionInputSchema, SessionPageSchema, SessionPatchSchema,
                                           SessionSchema, SessionsQuery, StatusChangeSchema, TeamListSchema)
from outreach.planning import checks, operations, queries
from outreach.planning.errors import ConflictsFound, PlanningError, ValidationFailed
from outreach.vocab import session_status_labels
from outreach.planning.parse import parse_filters
from outreach.planning.serialize import postponement_to_dict, session_to_dict
from outreach.security import any_role, json_error, roles_required
from outreach import permissions


def _planning_error(exc: PlanningError):
    if isinstance(exc, ValidationFailed):
        return json_error(422, exc.message, errors=exc.errors)
    if isinstance(exc, ConflictsFound):
        return json_error(409, exc.message, conflicts=[c.as_dict() for c in exc.conflicts],
                          overridable=exc.overridable)
    return json_error(exc.status, exc.message)


def _detail(session) -> dict:
    out = session_to_dict(session)
    labels = session_status_labels()
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
@operation("listSessions", "sessions", "Daftar sesi yang boleh dilihat pengguna", query=SessionsQuery,
           responses={200: response("Satu halaman sesi", SessionPageSchema), 422: VALIDATION, **COMMON})
def sessions_list(args):
    """Sessions the caller may see, filtered and paginated."""
    try:
        filters = parse_filters(request.args)
    except ValidationFailed as exc:
        return _planning_error(exc)
    result = queries.list_sessions(current_user, filters, page=args["page"], per_page=args["per_page"])
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page,
                    "items": [session_to_dict(s) for s in result.items]})


@bp.post("/sessions")
@roles_required(*permissions.PLANNERS)
@operation("createSession", "sessions", "Rencanakan sesi baru (admin, koordinator dalam kecamatannya)",
           body=SessionInputSchema, responses={201: response("Sesi dibuat (status rencana)", SessionSchema),
                                               409: CONFLICT, 422: VALIDATION, **COMMON})
def session_create(body):
    """Plan a session; 409 with the conflicts when it clashes (warnings pass with override_reason)."""
    try:
        session = operations.create_session(current_user, body)
    except PlanningError as exc:
        return _planning_error(exc)
    resp = jsonify(_detail(session))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.session_detail", session_id=session.id)
    return resp


@bp.get("/sessions/<int:session_id>")
@any_role
@operation("getSession", "sessions", "Satu sesi, dengan riwayat penundaan dan jejak audit",
           responses={200: response("Sesi", SessionSchema), 404: NOT_FOUND, **COMMON})
def session_detail(session_id: int):
    session = queries.get_session(current_user, session_id)
    if session is None:
        return json_error(404, _("Sesi tidak ditemukan."))
    return jsonify(_detail(session))


@bp.patch("/sessions/<int:session_id>")
@roles_required(*permissions.PLANNERS)
@operation("updateSession", "sessions", "Ubah sebagian isian sesi (jadwal diperiksa ulang)", body=SessionPatchSchema,
           responses={200: response("Sesi setelah diubah", SessionSchema), **WRITE})
def session_update(session_id: int, body: dict):
    """Change some fields of a session (send `version` to refuse the change if someone else was first)."""
    if "status" in body:
        message = _("Status diubah melalui POST /api/v1/sessions/%(id)s/status.", id=session_id)
        return json_error(422, message, errors={"status": message})
    try:
        session = queries.session_to_edit(current_user, session_id)
        session = operations.update_session(current_user, session, body)
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(_detail(session))


@bp.post("/sessions/<int:session_id>/status")
@roles_required(*permissions.PLANNERS)
@operation("changeSessionStatus", "sessions", "Konfirmasi, tunda, atau batalkan sesi", body=StatusChangeSchema,
           description=STATUS_DESCRIPTION, responses={200: response("Sesi dengan status baru", SessionSchema), **WRITE})
def session_status(session_id: int, body: dict):
    """Confirm, cancel or postpone a session."""
    try:
        session = queries.session_to_edit(current_user, session_id)
        session = operations.change_status(
            current_user, session, body["status"], reason=body.get("reason") or "",
            confirmed_with=body.get("confirmed_with") or "", confirmed_at=body["confirmed_at"],
            new_date=body.get("new_date"), new_end_date=body.get("new_end_date"), new_start=body.get("new_start"),
            new_end=body.get("new_end"), override_reason=body.get("override_reason") or "",
            expected_version=body.get("version"))
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(_detail(session))


@bp.get("/sessions/<int:session_id>/mop-up")
@roles_required(*permissions.PLANNERS)
@operation("proposeMopUp", "sessions", "Usulan sesi susulan (mop-up) dari sesi yang sudah selesai; tidak disimpan",
           description=MOP_UP_DESCRIPTION, query=MopUpQuery,
           responses={200: response("Usulan sesi susulan", MopUpProposalSchema), 404: NOT_FOUND, 422: VALIDATION,
                      **COMMON})
def session_mop_up(session_id: int, args: dict):
    """Propose a mop-up of a finished session (not saved); `absentees` omitted: taken from its turnout log."""
    try:
        source = queries.session_to_edit(current_user, session_id)
        proposal = checks.propose_mop_up(source, args["absentees"])
    except PlanningError as exc:
        return _planning_error(exc)
    return jsonify(proposal)


@bp.get("/teams")
@any_role
@operation("listTeams", "resources", "Tim yang terlihat oleh pengguna",
           responses={200: response("Daftar tim", TeamListSchema), **COMMON})
def teams_list():
    teams = queries.visible_teams(current_user)
    return jsonify({"total": len(teams), "items": [
        {"id": t.id, "nama": t.nama, "office_kode": t.office_kode, "phone": t.phone, "active": t.active}
        for t in teams]})


@bp.get("/kits")
@any_role
@operation("listKits", "resources", "Alat perekam yang terlihat oleh pengguna", query=KitsQuery,
           responses={200: response("Daftar alat", KitListSchema), 422: VALIDATION, **COMMON})
def kits_list(args):
    kits = queries.visible_kits(current_user, team_id=args["team_id"], status=args["status"] or None)
    return jsonify({"total": len(kits), "items": [
        {"id": k.id, "code": k.code, "status": k.status, "office_kode": k.office_kode, "team_id": k.team_id}
        for k in kits]})


