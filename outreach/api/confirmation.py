"""API: asking a session's site contact to confirm it (the signed public link). Thin: access, one call to
outreach.planning.confirmation, respond. Planners in scope only; another kecamatan's session answers 404."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields

from outreach import clock, permissions
from outreach.api import bp
from outreach.api.schema import Out, response
from outreach.api.schema import operation
from outreach.api.sessions import _planning_error
from outreach.api.sessions_schemas import COMMON, NOT_FOUND, VALIDATION, _session_body
from outreach.planning import confirmation, queries
from outreach.planning.errors import NotFound, PlanningError
from outreach.security import roles_required
from outreach.vocab import CONFIRMATION_STATUSES

DESCRIPTION = (
    "Membuat tautan bertanda tangan ke halaman publik tempat narahubung lokasi menjawab tanpa login: "
    "`konfirmasi` (sesi rencana menjadi terkonfirmasi), `jadwal_ulang` (dengan tanggal usulan dan catatan) atau "
    "`tolak`. Meminta lagi membuat tautan baru; tautan lama tidak berlaku. Tautan berakhir setelah hari terakhir "
    "sesi, atau bila sesi dibatalkan/selesai. `whatsapp_url` membuka WhatsApp dengan teks siap kirim (server tidak "
    "mengirim apa pun lewat WhatsApp). Dengan `email` dan server e-mail yang diatur, teks yang sama dikirim lewat "
    "e-mail dan status langsung `menunggu`.")


class ConfirmationRequestSchema(Schema):
    """Optional body: the contact's e-mail address."""

    class Meta:
        unknown = EXCLUDE

    email = fields.String(metadata={"description": "E-mail narahubung (opsional)", "format": "email",
                                    "maxLength": confirmation.EMAIL_MAX_CHARS})

    @classmethod
    def from_request(cls) -> dict:
        return _session_body()  # {} when empty; 400 when not JSON; 422 when not an object


class ConfirmationLinkSchema(Out):
    url = fields.String(required=True, metadata={"description": "Tautan publik bertanda tangan (absolut)"})
    whatsapp_url = fields.String(required=True, metadata={"description": "https://wa.me/<nomor>?text=..."})
    confirmation_status = fields.String(required=True, metadata={"enum": list(CONFIRMATION_STATUSES)})
    emailed = fields.Boolean(metadata={"description": "Teks terkirim lewat e-mail"})
    mail_error = fields.String(metadata={"description": "Mengapa e-mail tidak terkirim (kosong bila terkirim)"})


@bp.post("/sessions/<int:session_id>/confirmation-request")
@roles_required(*permissions.PLANNERS)
@operation("requestSiteConfirmation", "sessions", "Minta konfirmasi jadwal kepada narahubung lokasi",
           description=DESCRIPTION, body=ConfirmationRequestSchema,
           responses={201: response("Tautan konfirmasi dibuat", ConfirmationLinkSchema), 404: NOT_FOUND,
                      409: response("Sesi baru saja diubah pengguna lain"), 422: VALIDATION, **COMMON})
def session_confirmation_request(session_id: int, body: dict):
    try:
        session = queries.session_to_edit(current_user, session_id)
        if not permissions.can_ask_site_confirmation(current_user, session):
            return _planning_error(NotFound())
        link = confirmation.request_confirmation(session, current_user, clock.utcnow(), email=body.get("email"))
    except PlanningError as exc:
        return _planning_error(exc)
    resp = jsonify({"url": link.url, "whatsapp_url": link.whatsapp_url,
                    "confirmation_status": session.confirmation_status, "emailed": link.emailed,
                    "mail_error": link.mail_error})
    resp.status_code = 201
    return resp


# The body is optional (an empty POST asks without e-mail): say so in openapi.json.
session_confirmation_request.openapi["requestBody"]["required"] = False
