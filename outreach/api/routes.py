"""API plumbing: openapi.json and the helpers every API module shares (JSON errors, bodies, pagination)."""
from __future__ import annotations

import json
import math
from typing import Optional

from flask import current_app, jsonify, request, session
from flask_babel import gettext as _

from outreach.api import bp
from outreach.security import json_error, public

MAX_PER_PAGE = 500


class ApiError(Exception):
    """Raised by API views and helpers; answered as {"error": status, "message": ..., "errors": {...}}."""

    def __init__(self, status: int, message: str, errors: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


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
def openapi():
    from outreach.api.openapi import build_document

    return jsonify(build_document())


# ---------------------------------------------------------------- request helpers

def _positive_int(name: str, default: int, high: Optional[int] = None) -> int:
    raw = request.args.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1 or (high is not None and value > high):
        if high is None:
            message = _("Parameter %(name)s harus bilangan bulat 1 atau lebih (diterima: '%(raw)s').",
                        name=name, raw=raw[:40])
        else:
            message = _("Parameter %(name)s harus bilangan bulat antara 1 dan %(high)s (diterima: '%(raw)s').",
                        name=name, high=high, raw=raw[:40])
        raise ApiError(400, message)
    return value


def pagination() -> tuple[int, int]:
    """(page, per_page) from the query string; 400 with a clear message when either is bad."""
    default = min(int(current_app.config.get("PER_PAGE", 50)), MAX_PER_PAGE)
    return _positive_int("page", 1), _positive_int("per_page", default, MAX_PER_PAGE)


def choice_arg(name: str, choices) -> Optional[str]:
    """An optional query parameter restricted to `choices`; 400 naming the allowed values otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if raw not in choices:
        raise ApiError(400, _("Parameter %(name)s tidak dikenal: '%(raw)s'. Pilihan: %(choices)s.",
                              name=name, raw=raw[:40], choices=", ".join(choices)))
    return raw


def text_arg(name: str, max_len: int = 100) -> Optional[str]:
    raw = request.args.get(name, "").strip()
    if len(raw) > max_len:
        raise ApiError(400, _("Parameter %(name)s terlalu panjang (maksimal %(max)s karakter).",
                              name=name, max=max_len))
    return raw or None


def like_pattern(text: str, prefix_only: bool = False) -> str:
    """A LIKE pattern matching `text` literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def page_body(items: list, total: int, page: int, per_page: int) -> dict:
    return {"total": total, "page": page, "per_page": per_page, "items": items}


def _reject_constant(name: str):
    raise ValueError(name)


def json_object() -> dict:
    """The request body as a JSON object; 400 for a missing, non-JSON, malformed or non-object body."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(400, _("Isi permintaan harus berupa JSON dengan header Content-Type: application/json."))
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, _("Isi permintaan kosong; kirim objek JSON."))
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, _("Isi permintaan bukan JSON yang sah. Periksa tanda kutip, koma, dan kurung."))
    if not isinstance(body, dict):
        raise ApiError(400, _("Isi permintaan harus berupa objek JSON ({...}), bukan daftar atau nilai tunggal."))
    return body


# ---------------------------------------------------------------- type checks for JSON fields

def check_types(body: dict, kinds: dict[str, str]) -> dict:
    """{field: message} for each value in `body` whose JSON type is not `kinds[field]`; unknown keys too.

    Kinds: "string", "number", "integer", "boolean"; null is accepted for every field (it clears it).
    """
    errors = {}
    for key, value in body.items():
        kind = kinds.get(key)
        if kind is None:
            errors[str(key)] = _("Kolom tidak dikenal atau tidak dapat diubah.")
        elif value is None:
            continue
        elif kind == "string" and not isinstance(value, str):
            errors[key] = _("Harus berupa teks.")
        elif kind == "boolean" and not isinstance(value, bool):
            errors[key] = _("Harus berupa true atau false.")
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            errors[key] = _("Harus berupa bilangan bulat.")
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                   or not math.isfinite(value)):
            errors[key] = _("Harus berupa angka.")
    return errors


# ---------------------------------------------------------------- shared OpenAPI pieces

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def error_response(description: str) -> dict:
    return {"description": description, "content": json_content(ref("Error"))}


def list_schema(item: str) -> dict:
    return {"type": "object", "required": ["total", "items"], "properties": {
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "items": {"type": "array", "items": ref(item)},
    }}


PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False, "description": "Halaman, mulai 1.",
     "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "required": False, "description": "Baris per halaman (maksimal 500).",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}},
]

COMMON_ERRORS = {
    "400": error_response("Parameter atau isi permintaan tidak valid."),
    "401": error_response("Belum masuk, atau token API tidak sah/kedaluwarsa/dicabut."),
    "403": error_response("Peran pengguna tidak berwenang."),
}

OPENAPI_PATHS: dict = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "Deskripsi OpenAPI dari API ini",
            "operationId": "getOpenapi",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": {"description": "Dokumen OpenAPI 3.0",
                                  "content": json_content({"type": "object"})}},
        },
    },
}

OPENAPI_SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "integer", "description": "Kode status HTTP"},
            "message": {"type": "string", "description": "Pesan dalam Bahasa Indonesia"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Pesan per kolom (pada 422)"},
        },
    },
}
