"""The API's error type and its JSON body reader, shared by the schemas and the views."""
from __future__ import annotations

import json
from typing import Optional

from flask import request
from flask_babel import gettext as _


class ApiError(Exception):
    """Raised by API views and schemas; answered as {"error": status, "message": ..., "errors": {...}}."""

    def __init__(self, status: int, message: str, errors: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def _reject_constant(name: str):
    raise ValueError(name)


def json_object(refuse_nul_bytes: bool = True) -> dict:
    """The request body as a JSON object; 400 for a missing, non-JSON, malformed or non-object body, and for a
    NUL byte in any of its strings unless the caller's own checks word that per field (`refuse_nul_bytes`)."""
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
    if refuse_nul_bytes:
        refuse_nul(body)
    return body


def refuse_nul(body) -> None:
    """400 naming the field when a JSON string (value or key) holds a NUL byte, which the database cannot store."""
    from outreach import input_guard

    where = input_guard.json_nul_field(body)
    if where is not None:
        raise ApiError(400, input_guard.nul_message("json", where), {where: input_guard.nul_field_message()})
