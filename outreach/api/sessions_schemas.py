"""API schemas of recording sessions, teams and kits: query strings, bodies and answers (outreach.api.sessions).

Session bodies are checked field by field by outreach.planning (which words each message); their schemas
here describe them for openapi.json and read the JSON object. The status change and the query strings are
checked here.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validate

from outreach import DB_INT_MAX
from outreach.api.errors import ApiError, refuse_nul
from outreach.api.schema import (MAX_PER_PAGE, Arg, ErrorSchema, Out, PageOut, Passed, Query, error_response,
                                 first_error, response)
from outreach.planning import conflicts as conflict_rules
from outreach.planning.errors import ValidationFailed
from outreach.planning.parse import parse_filters
from outreach.vocab import CONFIRMATION_STATUSES, KIT_STATUSES, SESSION_KINDS, SESSION_STATUSES, TARGET_GROUPS

KINDS = list(SESSION_KINDS)


# ---------------------------------------------------------------- query strings

class WholeNumber(Arg, fields.Integer):
    """A whole number from 1; above `maximum` it is lowered to it (per_page), above the database's range refused."""

    def __init__(self, default=None, maximum=None, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=maximum), **kwargs)
        self.default, self.maximum = default, maximum

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is missing or value in (None, ""):
            return self.default() if callable(self.default) else self.default
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(_("Harus bilangan bulat: \"%(value)s\".", value=value[:40]))
        if number < 1:
            raise ValidationError(_("Harus 1 atau lebih."))
        if number > DB_INT_MAX and not self.maximum:
            raise ValidationError(_("Angka terlalu besar."))
        return min(number, self.maximum) if self.maximum else number


def _described(kind, description: str, data_key=None, **metadata):
    """A filter handed to planning.parse_filters, which checks it; `kind` gives its documented type."""
    return Passed(data_key=data_key, metadata={"type": kind, "description": description, **metadata})


class SessionsQuery(Query):
    """Filters (checked by planning.parse_filters) and pages; bad input answers 422 with a message per parameter."""

    date_from = _described("string", "Sesi yang berlangsung pada/sesudah tanggal ini", data_key="from", format="date")
    date_to = _described("string", "Sesi yang dimulai pada/sebelum tanggal ini", data_key="to", format="date")
    status = _described("string", "Satu atau beberapa status, dipisah koma")
    team_id = _described("integer", "Tim")
    kecamatan = _described("string", "Kode kecamatan, mis. 33.74.01")
    desa = _described("string", "Kode desa/kelurahan")
    site_id = _described("integer", "Lokasi")
    site_type = _described("string", "Jenis lokasi")
    kind = _described("string", "Jenis sesi", enum=KINDS)
    page = WholeNumber(1, metadata={"description": "Halaman (mulai 1)", "default": 1})
    per_page = WholeNumber(lambda: current_app.config.get("PER_PAGE", 50), MAX_PER_PAGE,
                           metadata={"description": "Baris per halaman"})

    def handle_error(self, error: ValidationError, data, **kwargs):
        try:
            parse_filters(data)  # bad filters are reported before bad pages
        except ValidationFailed as exc:
            raise ApiError(422, exc.message, exc.errors)
        raise ApiError(422, _("Parameter halaman tidak valid."), {k: v[0] for k, v in error.messages.items()})


class KitsQuery(Query):
    team_id = WholeNumber(metadata={"description": "Alat milik tim ini"})
    status = Passed(metadata={"type": "string", "enum": list(KIT_STATUSES), "description": "Status alat"})

    def handle_error(self, error: ValidationError, data, **kwargs):
        key, message = first_error(self, error.messages)
        raise ApiError(422, message, {key: message})


class MopUpQuery(Query):
    absentees = Passed(metadata={"type": "integer", "minimum": 1,
                                 "description": "Jumlah warga yang belum hadir (bawaan: dari laporan hasil)"})


# ---------------------------------------------------------------- bodies

def _session_body() -> dict:
    """The JSON object of the request ({} when empty); 400 when not JSON, 422 when not an object."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, _("Isi permintaan bukan JSON yang sah."))
    if not isinstance(data, dict):
        message = _("Isi permintaan harus berupa objek JSON.")
        raise ApiError(422, message, {"_": message})
    refuse_nul(data)
    return data


_DATE = {"type": "string", "format": "date", "example": "2026-05-04"}
_TIME = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "08:00"}


def _input_fields(required=()) -> dict:
    def field(name, **metadata):
        return Passed(required=name in required, metadata=metadata)

    return {
        "site_id": field("site_id", type="integer"),
        "date": field("date", **_DATE),
        "end_date": field("end_date", **_DATE, nullable=True,
                          description="Hari terakhir sesi beberapa hari (paling lama 7 hari)"),
        "start": field("start", **_TIME), "end": field("end", **_TIME),
        "team_id": field("team_id", type="integer"),
        "kit_ids": field("kit_ids", type="array", items={"type": "integer"},
                         description="Minimal satu alat untuk perekaman/keduanya"),
        "kind": field("kind", type="string", enum=KINDS, default="perekaman"),
        "target_groups": field("target_groups", type="array",
                               items={"type": "string", "enum": list(TARGET_GROUPS)}),
        "notes": field("notes", type="string", maxLength=2000),
        "confirmed_with": field("confirmed_with", type="string", maxLength=120),
        "override_reason": field("override_reason", type="string",
                                 description="Alasan mengabaikan peringatan (bukan galat)"),
    }


class SessionBody(Schema):
    """A session body: read here, checked by outreach.planning."""

    class Meta:
        unknown = EXCLUDE

    @classmethod
    def from_request(cls) -> dict:
        return _session_body()


SessionInputSchema = SessionBody.from_dict(_input_fields(("site_id", "date", "start", "end", "team_id")),
                                           name="SessionInputSchema")
SessionPatchSchema = SessionBody.from_dict({**_input_fields(), "version": Passed(metadata={"type": "integer"})},
                                           name="SessionPatchSchema")


class NewStatus(fields.String):
    def deserialize(self, value, attr=None, data=None, **kwargs):
        if not isinstance(value, str) or not value:
            raise ValidationError(_("Status baru wajib diisi: terkonfirmasi, ditunda, atau dibatalkan."))
        return value


class ConfirmedAt(fields.DateTime):
    """ISO 8601; without a zone it is UTC. Empty means not given."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is missing or not value:
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(_("Waktu konfirmasi bukan tanggal-waktu yang sah (ISO 8601)."))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class StatusChangeSchema(SessionBody):
    status = NewStatus(required=True, metadata={"enum": ["terkonfirmasi", "ditunda", "dibatalkan"]})
    reason = Passed(metadata={"type": "string", "description": "Wajib untuk dibatalkan"})
    confirmed_with = Passed(metadata={"type": "string", "description": "Wajib untuk terkonfirmasi"})
    confirmed_at = ConfirmedAt()
    new_date = Passed(metadata={**_DATE, "description": "Wajib untuk ditunda"})
    new_end_date = Passed(metadata=_DATE)
    new_start = Passed(metadata=_TIME)
    new_end = Passed(metadata=_TIME)
    override_reason = Passed(metadata={"type": "string"})
    version = Passed(metadata={"type": "integer"})

    def handle_error(self, error: ValidationError, data, **kwargs):
        key, message = first_error(self, error.messages)
        raise ApiError(422, message, {key: message})

    @classmethod
    def from_request(cls) -> dict:
        return cls().load(_session_body())


# ---------------------------------------------------------------- answers

def _date(**kwargs):
    return fields.Date(metadata={"example": "2026-05-04"}, **kwargs)


def _time(**kwargs):
    return fields.String(metadata={"pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "08:00"}, **kwargs)


class SessionConfirmationSchema(Out):
    """Jawaban narahubung lokasi atas permintaan konfirmasi"""

    requested_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    proposed_date = fields.Date(allow_none=True, metadata={"example": "2026-05-04",
                                                          "description": "Tanggal lain yang diusulkan (jadwal_ulang)"})
    note = fields.String(metadata={"maxLength": 500})


class SessionSchema(Out):
    id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    site_name = fields.String()
    site_type = fields.String()
    date = _date(required=True)
    end_date = _date(allow_none=True)
    start = _time(required=True)
    end = _time(required=True)
    team_id = fields.Integer(required=True)
    team_name = fields.String()
    kit_ids = fields.List(fields.Integer(), required=True)
    kit_codes = fields.List(fields.String())
    kind = fields.String(required=True, metadata={"enum": KINDS, "default": "perekaman"})
    target_groups = fields.List(fields.String(metadata={"enum": list(TARGET_GROUPS)}))
    status = fields.String(required=True, metadata={"enum": list(SESSION_STATUSES)})
    expected_turnout = fields.Integer(required=True)
    turnout_reasoning = fields.String()
    confirmed_with = fields.String()
    confirmed_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String()
    notes = fields.String()
    override_reason = fields.String()
    mop_up_of_id = fields.Integer(allow_none=True)
    desa_kode = fields.String()
    kecamatan_kode = fields.String()
    kabupaten_kode = fields.String()
    provinsi_kode = fields.String()
    version = fields.Integer(metadata={"description": "Kirim kembali saat mengubah agar perubahan ganda ditolak"})
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    confirmation_status = fields.String(allow_none=True, metadata={
        "enum": list(CONFIRMATION_STATUSES), "description": "Konfirmasi pihak lokasi; null bila belum diminta"})
    confirmation = fields.Nested(SessionConfirmationSchema)
    can_edit = fields.Boolean(metadata={"description": "Hanya pada jawaban satu sesi"})
    allowed_status = fields.List(fields.String())
    postponements = fields.List(fields.Dict())
    history = fields.List(fields.Dict())


class SessionPageSchema(PageOut):
    items = fields.List(fields.Nested(SessionSchema))


class ConflictSchema(Out):
    kind = fields.String(required=True, metadata={"enum": list(conflict_rules.KINDS)})
    severity = fields.String(metadata={"enum": ["error", "warning"]})
    overridable = fields.Boolean()
    message = fields.String(required=True)
    session_id = fields.Integer(required=True, allow_none=True)


class ConflictErrorSchema(Out):
    error = fields.Integer(metadata={"example": 409})
    message = fields.String()
    overridable = fields.Boolean()
    conflicts = fields.List(fields.Nested(ConflictSchema))


class ValidationErrorSchema(Out):
    error = fields.Integer(metadata={"example": 422})
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class AbsenteesFromLogSchema(Out):
    """Warga dari laporan hasil yang dapat direkam pada kunjungan ulang"""

    total = fields.Integer(required=True, validate=validate.Range(min=0))
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(min=0)),
                            required=True, metadata={"description": "Per alasan tidak terekam yang dapat diatasi "
                                                                    "kunjungan ulang: gangguan_alat_jaringan, "
                                                                    "tidak_ditemukan_siak"})


MopUpProposalSchema = Out.from_dict({
    **_input_fields(("site_id", "date", "start", "end", "team_id", "kit_ids")),
    "mop_up_of_id": fields.Integer(required=True),
    "absentees": fields.Integer(required=True, validate=validate.Range(min=1),
                                metadata={"description": "Jumlah warga yang dituju sesi susulan"}),
    "expected_turnout": fields.Integer(required=True),
    "turnout_reasoning": fields.String(),
    "conflicts": fields.List(fields.Nested(ConflictSchema)),
    "absentees_from_log": fields.Nested(AbsenteesFromLogSchema, required=True),
    "absentees_source": fields.String(required=True, metadata={
        "enum": ["log", "input"], "description": "log: jumlah dari laporan hasil; input: jumlah yang dikirim"}),
}, name="MopUpProposalSchema")


class TeamSchema(Out):
    id = fields.Integer()
    nama = fields.String()
    office_kode = fields.String()
    phone = fields.String()
    active = fields.Boolean()


class KitSchema(Out):
    id = fields.Integer()
    code = fields.String()
    status = fields.String(metadata={"enum": list(KIT_STATUSES)})
    office_kode = fields.String()
    team_id = fields.Integer(allow_none=True)


class TeamListSchema(Out):
    total = fields.Integer()
    items = fields.List(fields.Nested(TeamSchema))


class KitListSchema(Out):
    total = fields.Integer()
    items = fields.List(fields.Nested(KitSchema))


NOT_FOUND = error_response("Tidak ditemukan atau di luar wilayah")
VALIDATION = response("Data tidak valid (pesan per isian)", ValidationErrorSchema)
CONFLICT = response("Bentrok jadwal (atau sesi telah diubah pengguna lain)", ConflictErrorSchema)
COMMON = {401: response("Belum masuk / token tidak sah", ErrorSchema),
           403: response("Peran tidak berwenang", ErrorSchema)}
WRITE = {404: NOT_FOUND, 409: CONFLICT, 422: VALIDATION, **COMMON}
STATUS_DESCRIPTION = (
    "rencana → terkonfirmasi | ditunda | dibatalkan; terkonfirmasi → ditunda | dibatalkan (selesai diisi dari laporan "
    "hasil); ditunda → terkonfirmasi | ditunda | dibatalkan. Sesi yang ditunda pindah ke tanggal baru dan berstatus "
    "ditunda sampai dikonfirmasi lagi; tanggal lama tersimpan di riwayat penundaan.")
MOP_UP_DESCRIPTION = (
    "Lokasi, tim, alat, dan jam mulai sama; lama sesi cukup untuk `absentees` warga; hari kerja pertama tanpa "
    "bentrok sedikitnya seminggu sesudah sesi. Tanpa `absentees`: jumlahnya diambil dari laporan hasil sesi, yaitu "
    "warga yang datang tetapi belum dapat direkam karena gangguan alat atau jaringan atau data tidak ditemukan di "
    "SIAK (`absentees_from_log`). Simpan usulan dengan POST /api/v1/sessions.")
