"""API plumbing: JSON errors, the bearer-token cookie rule, openapi.json, and small helpers the views share."""
from __future__ import annotations

from flask import current_app, jsonify, request, session

from outreach.api import bp
from outreach.api.errors import ApiError
from outreach.api.schema import build_document, operation, response
from outreach.security import json_error, public


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    extra = {"errors": e.errors} if e.errors else {}
    return json_error(e.status, e.message, **extra)


@bp.after_request
def no_cookie_for_tokens(response):
    """A bearer-token call is stateless: the login done for it in guard_request must not leave a cookie.

    Decided from the request itself (guard_request answered 401 to any bad token before we got here).
    """
    if request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        session.modified = False
    return response


@bp.route("/openapi.json")
@public
@operation("getOpenapi", "meta", "Deskripsi OpenAPI dari API ini", security=[],
           responses={200: response("Dokumen OpenAPI 3.0", {"type": "object"})})
def openapi():
    return jsonify(build_document(current_app))


def like_pattern(text: str, prefix_only: bool = False) -> str:
    """A LIKE pattern matching `text` literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def page_body(items: list, total: int, page: int, per_page: int) -> dict:
    return {"total": total, "page": page, "per_page": per_page, "items": items}
