"""API: coverage and progress: live figures of an area and its children, the backlog trend,
the area table, the forecast, team figures and pemilih pemula. Views are thin: outreach.coverage.queries
does the work (scoped to the user) and raises CoverageError for bad input."""
from __future__ import annotations

from datetime import date, datetime
from functools import wraps

from flask import jsonify
from flask_login import current_user
from marshmallow import fields

from outreach.api import bp
from outreach.api.errors import ApiError
from outreach.api.schema import (COMMON_ERRORS, Choice, Out, PageNumber, PositiveInt, Query, Text, error_response,
                                 operation, response)
from outreach.coverage.queries.areas import CoverageError, resolve_area
from outreach.coverage.queries.figures import SORT_KEYS, area_table, coverage
from outreach.coverage.queries.forecasts import forecast_for
from outreach.coverage.queries.pemula import pemilih_pemula
from outreach.coverage.queries.teams import team_figures
from outreach.coverage.queries.trend import trend_points
from outreach.vocab import AWAY_REASONS, LEVELS
from outreach.security import any_role


def _iso(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _plain(obj):
    """JSON-ready copy: dates as ISO strings, recursively."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return _iso(obj)


def coverage_errors(view):
    """Answer CoverageError (bad input, unknown or out-of-scope region) as a JSON error."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except CoverageError as e:
            raise ApiError(e.status, e.message)
    return wrapper


def _area_ref(area) -> dict:
    return {"kode": area.kode, "nama": area.nama, "level": area.level}


# ---------------------------------------------------------------- query strings (checked further by cq)

def _region():
    return Text(20, metadata={"example": "33.74", "description": "Kode wilayah bertitik; bawaan: wilayah tugas "
                                                                 "pengguna (provinsi untuk admin)."})


def _day(key: str, description: str):
    return Text(10, data_key=key, metadata={"format": "date", "description": description})


class CoverageQuery(Query):
    region = _region()


class AreaFirstQuery(Query):
    """The region is resolved (404 outside the user's scope) before the other parameters are judged."""

    def handle_error(self, error, data, **kwargs):
        if "region" not in error.messages:
            resolve_area(current_user, (data.get("region") or "").strip() or None)
        super().handle_error(error, data, **kwargs)


class TrendQuery(AreaFirstQuery):
    region = _region()
    date_from = _day("from", "Tanggal awal (bawaan: awal riwayat)")
    date_to = _day("to", "Tanggal akhir (bawaan: hari ini); 'from' sesudah 'to' ditolak (400)")


# A table of areas goes out whole up to this many rows; larger ones (every desa of a province or the country)
# are paged, so one answer stays about a megabyte.
AREAS_PER_PAGE_MAX = 2000


class AreasQuery(Query):
    level = Choice(LEVELS, metadata={"default": "kecamatan"})
    parent = Text(20, metadata={"description": "Kode induk (tingkat mana pun)"})
    q = Text(metadata={"description": "Bagian nama atau awal kode"})
    sort = Text(40, metadata={"enum": [*SORT_KEYS, *["-" + k for k in SORT_KEYS]],
                              "description": "Kolom urut; '-' untuk menurun"})
    page = PageNumber(load_default=None, metadata={"description": "Halaman, mulai 1 (lihat per_page)."})
    per_page = PositiveInt(AREAS_PER_PAGE_MAX, load_default=None,
                           metadata={"description": "Baris per halaman (maksimal 2000). Tanpa page/per_page semua "
                                                    "baris dikirim bila tidak lebih dari 2000; lebih dari itu "
                                                    "(mis. semua desa satu negara) jawaban dibagi per 2000 baris."})


class ForecastQuery(Query):
    region = _region()
    weeks = Text(5, metadata={"type": "integer", "minimum": 1, "maximum": 104,
                              "description": "Laju penurunan backlog N minggu terakhir (bawaan: pengaturan "
                                             "FORECAST_WEEKS)"})
    deadline = _day("deadline", "Tenggat (bawaan: COVERAGE_DEADLINE); tanggal lampau ditolak (400)")
    level = Choice(LEVELS)


class TeamsQuery(AreaFirstQuery):
    region = _region()
    date_from = _day("from", "Tanggal sesi awal (bawaan: 28 hari sebelum 'to')")
    date_to = _day("to", "Tanggal sesi akhir (bawaan: hari ini)")


class PemilihPemulaQuery(Query):
    region = _region()
    cutoff = _day("cutoff", "Batas usia 17 tahun (bawaan: PEMILIH_PEMULA_CUTOFF); tanggal lampau ditolak (400)")


# ---------------------------------------------------------------- answers

def _int(description: str = "", nullable: bool = False, required: bool = False):
    return fields.Integer(allow_none=nullable, required=required,
                          metadata={"description": description} if description else {})


def _date(description: str = "", required: bool = False):
    return fields.Date(allow_none=True, required=required,
                       metadata={"description": description} if description else {})


class CoverageFiguresSchema(Out):
    """Buku besar suatu wilayah: setiap suku dijumlah dari desanya, sehingga berlaku tepat di setiap tingkat:
    sudah_rekam_estimated = sudah_rekam_official + recorded_since − recorded_over_target; backlog = wajib_ktp −
    sudah_rekam_estimated; reachable_backlog = backlog − known_away_in_backlog − menolak_in_backlog."""

    kode = fields.String(required=True, metadata={"example": "33.74"})
    nama = fields.String(required=True)
    level = fields.String(metadata={"enum": list(LEVELS)})
    kind = fields.String()
    parent_kode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    wajib_ktp = _int("Wajib KTP (jumlah desa yang punya data SIAK)", True, True)
    sudah_rekam_official = _int("Sudah rekam menurut data SIAK terbaru", True, True)
    official_as_of = _date("Tanggal data SIAK terbaru di antara desanya", True)
    official_as_of_first = _date("Tanggal data SIAK terlama di antara desanya (berbeda bila desa diimpor pada "
                                 "tanggal berbeda)")
    recorded_since = _int("Terekam di lapangan (log) sesudah tanggal data SIAK tiap desa (desa yang punya data "
                          "SIAK)", required=True)
    recorded_over_target = _int("Bagian recorded_since di atas sasaran (wajib KTP) desanya", required=True)
    recorded_without_target = _int("Log di desa tanpa data SIAK (tidak masuk suku lain)")
    sudah_rekam_estimated = _int("Resmi + lapangan sejak itu − di atas sasaran", True, True)
    backlog = _int("Wajib KTP − sudah rekam perkiraan", True, True)
    backlog_official = _int("Wajib KTP − sudah rekam resmi", True)
    known_away = _int("Diketahui berada di luar (semua alasan)", required=True)
    known_away_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                       metadata={"description": "Per alasan: " + ", ".join(AWAY_REASONS)})
    known_away_in_backlog = _int("Bagian known_away yang termasuk backlog desanya (≤ known_away)", required=True)
    menolak = _int("Warga yang menolak direkam (log sesudah data SIAK), belum ditindaklanjuti", required=True)
    menolak_in_backlog = _int("Bagian menolak yang termasuk backlog (≤ menolak)", required=True)
    reachable_backlog = _int("backlog − known_away_in_backlog − menolak_in_backlog", True, True)
    planned = _int("Perkiraan hadir semua sesi terbuka (bagian yang sudah direncanakan)", required=True)
    reachable_unplanned = _int("Backlog terjangkau yang belum direncanakan", True)
    percent_recorded = fields.Float(required=True, allow_none=True,
                                    metadata={"description": "Persen sudah rekam (perkiraan)"})
    percent_recorded_official = fields.Float(allow_none=True)
    desa_with_targets = _int()


class CoverageSchema(Out):
    region = fields.Nested(CoverageFiguresSchema, required=True)
    children = fields.List(fields.Nested(CoverageFiguresSchema), required=True,
                           metadata={"description": "Wilayah satu tingkat di bawahnya, urut kode"})
    data_as_of = fields.DateTime(required=True, metadata={
        "description": "Saat angka dihitung (langsung dari data, tanpa jeda malam)"})
    official_as_of = _date()
    latest_log_at = fields.DateTime(allow_none=True, metadata={
        "description": "Perubahan log lapangan terakhir di wilayah ini"})


class TrendPointSchema(Out):
    date = fields.Date(required=True)
    source = fields.String(required=True, metadata={
        "enum": ["siak", "snapshot", "live"],
        "description": "siak: data SIAK resmi per tanggal itu; snapshot: potret malam; live: hari ini, dihitung "
                       "langsung"})
    backlog = _int(required=True)
    reachable_backlog = _int(nullable=True, required=True)
    sudah_rekam_estimated = _int(required=True)
    wajib_ktp = _int()
    sudah_rekam_official = _int()
    recorded_since = _int()
    recorded_over_target = _int()
    known_away = _int(nullable=True)
    known_away_in_backlog = _int(nullable=True)
    menolak = _int(nullable=True)
    menolak_in_backlog = _int(nullable=True)
    planned = _int(nullable=True)
    official_as_of = _date()
    desa_counted = _int()
    live = fields.Boolean(metadata={"description": "Titik hari ini, dihitung langsung"})


class CoverageTrendSchema(Out):
    region = fields.Dict()
    points = fields.List(fields.Nested(TrendPointSchema), required=True)


class CoverageAreasSchema(Out):
    level = fields.String()
    total = _int()
    page = _int("Halaman ini (hanya pada jawaban yang dibagi per halaman)")
    per_page = _int("Baris per halaman (hanya pada jawaban yang dibagi per halaman)")
    pages = _int("Jumlah halaman (hanya pada jawaban yang dibagi per halaman)")
    items = fields.List(fields.Nested(CoverageFiguresSchema), required=True)


class AreaForecastSchema(Out):
    kode = fields.String()
    nama = fields.String()
    reachable_backlog = _int()
    recorded_in_window = _int()
    sessions_in_window = _int()
    weekly_pace = fields.Float(metadata={"description": "Penurunan backlog per minggu (dari riwayat SIAK, potret dan "
                                                        "angka hari ini), atau log per minggu bila tanpa riwayat"})
    pace_source = fields.String(metadata={"enum": ["riwayat", "log"]})
    pace_since = _date()
    backlog_then = _int(nullable=True)
    backlog_now = _int(nullable=True)
    per_session = fields.Float(allow_none=True)
    weeks_to_zero = fields.Float(allow_none=True)
    finish_date = _date()
    status = fields.String(metadata={"enum": ["selesai", "sesuai", "terlambat", "macet"]})
    misses_deadline = fields.Boolean()
    shortfall_at_deadline = _int()
    extra_sessions = _int(nullable=True)


class CoverageForecastSchema(Out):
    region = fields.Dict(required=True, metadata={
        "description": "Wilayah yang ditanya dengan prakiraannya sendiri (kode, nama, level, dan semua kolom "
                       "AreaForecast: finish_date, status, weekly_pace, ...)"})
    level = fields.String()
    today = fields.Date()
    weeks = _int()
    deadline = _date()
    summary = fields.Dict(required=True)
    items = fields.List(fields.Nested(AreaForecastSchema), required=True, metadata={
        "description": "Sama dengan jawaban 'region' masing-masing bila ditanya sendiri"})


class TeamFiguresSchema(Out):
    team_id = _int()
    nama = fields.String()
    office_kode = fields.String()
    sessions_planned = _int()
    sessions_open = _int()
    sessions_done = _int()
    sessions_cancelled = _int()
    logs_overdue = _int()
    logs_sent = _int("Sesi yang sudah memiliki laporan hasil")
    logs_late = _int("Laporan yang pertama masuk lebih dari LATE_LOG_HOURS (24) jam setelah sesinya berakhir")
    logs_on_time = _int()
    logs_due = _int("Laporan masuk + sesi terbuka tanpa laporan lebih dari LATE_LOG_HOURS jam setelah berakhir")
    on_time_rate = fields.Float(allow_none=True, metadata={
        "description": "Laporan tepat waktu ÷ laporan wajib masuk (null: belum ada)"})
    recorded = _int()
    kit_hours = fields.Float()
    expected_turnout_done = _int()
    recorded_per_kit_hour = fields.Float(allow_none=True)
    expected_reached_share = fields.Float(allow_none=True)


class CoverageTeamsSchema(Out):
    region = fields.Dict()
    items = fields.List(fields.Nested(TeamFiguresSchema), required=True)


class CoveragePemilihPemulaSchema(Out):
    region = fields.Dict()
    cutoff = fields.Date(required=True)
    total = fields.Dict(required=True)
    kecamatan = fields.List(fields.Dict(), required=True)
    schools = fields.List(fields.Dict(), required=True)
    schools_total = _int()


def coverage_operation(operation_id: str, summary: str, query, schema, description: str = ""):
    return operation(operation_id, "coverage", summary, description=description, query=query,
                     responses={200: response(summary, schema), **COMMON_ERRORS,
                                404: error_response("Wilayah tidak dikenal, atau di luar wilayah tugas pengguna.")})


# ---------------------------------------------------------------- views

@bp.route("/coverage")
@any_role
@coverage_errors
@coverage_operation(
    "getCoverage", "Angka cakupan perekaman suatu wilayah dan wilayah satu tingkat di bawahnya", CoverageQuery,
    CoverageSchema,
    "Resmi (SIAK terbaru) + terekam di lapangan sejak tanggal data SIAK tiap desa = perkiraan. Log sebelum tanggal "
    "itu sudah termasuk data SIAK, jadi tidak dihitung dua kali. Langsung dari data: log baru langsung tampak.")
def coverage_get(args):
    result = coverage(current_user, args["region"])
    return jsonify({"region": result["region"].as_dict(),
                    "children": [f.as_dict() for f in result["children"]],
                    "data_as_of": _iso(result["data_as_of"]),
                    "official_as_of": _iso(result["official_as_of"]),
                    "latest_log_at": _iso(result["latest_log_at"])})


@bp.route("/coverage/trend")
@any_role
@coverage_errors
@coverage_operation("getCoverageTrend",
                    "Riwayat backlog suatu wilayah: setiap tanggal data SIAK, potret malam, dan titik hari ini",
                    TrendQuery, CoverageTrendSchema)
def coverage_trend(args):
    region = args["region"]
    area = resolve_area(current_user, region)
    points = trend_points(current_user, region, args["date_from"], args["date_to"])
    return jsonify({"region": _area_ref(area), "points": _plain(points)})


@bp.route("/coverage/areas")
@any_role
@coverage_errors
@coverage_operation("listCoverageAreas", "Tabel wilayah satu tingkat dengan semua angka cakupan", AreasQuery,
                    CoverageAreasSchema)
def coverage_areas(args):
    level = args["level"] or "kecamatan"
    rows = area_table(current_user, level, parent=args["parent"], q=args["q"], sort=args["sort"])
    body = {"level": level, "total": len(rows)}
    if args["page"] is None and args["per_page"] is None and len(rows) <= AREAS_PER_PAGE_MAX:
        return jsonify(dict(body, items=[f.as_dict() for f in rows]))
    page, per_page = args["page"] or 1, args["per_page"] or AREAS_PER_PAGE_MAX
    shown = rows[(page - 1) * per_page:page * per_page]
    return jsonify(dict(body, page=page, per_page=per_page, pages=max(-(-len(rows) // per_page), 1),
                        items=[f.as_dict() for f in shown]))


@bp.route("/coverage/forecast")
@any_role
@coverage_errors
@coverage_operation("getCoverageForecast",
                    "Perkiraan kapan backlog terjangkau tiap kecamatan habis, dan yang akan melewati tenggat",
                    ForecastQuery, CoverageForecastSchema)
def coverage_forecast(args):
    result = forecast_for(current_user, args["region"], weeks=args["weeks"], deadline=args["deadline"],
                             level=args["level"])
    region = _area_ref(result["area"])
    if result["region"] is not None:
        region.update(result["region"].as_dict())
        region.update(_area_ref(result["area"]))
    return jsonify({"region": region, "level": result["level"], "today": _iso(result["today"]),
                    "weeks": result["weeks"], "deadline": _iso(result["deadline"]),
                    "summary": result["summary"], "items": [f.as_dict() for f in result["items"]]})


@bp.route("/coverage/teams")
@any_role
@coverage_errors
@coverage_operation("getCoverageTeams",
                    "Angka per tim: sesi rencana/selesai/batal, log terlambat, terekam per jam-alat, capaian target",
                    TeamsQuery, CoverageTeamsSchema)
def coverage_teams(args):
    region = args["region"]
    area = resolve_area(current_user, region)
    teams = team_figures(current_user, args["date_from"], args["date_to"], region_kode=region)
    return jsonify({"region": _area_ref(area), "items": [t.as_dict() for t in teams]})


@bp.route("/coverage/pemilih-pemula")
@any_role
@coverage_errors
@coverage_operation("getCoveragePemilihPemula",
                    "Pemilih pemula yang belum rekam per sekolah dan per kecamatan, dengan sesi sekolah yang "
                    "direncanakan", PemilihPemulaQuery, CoveragePemilihPemulaSchema)
def coverage_pemilih_pemula(args):
    result = pemilih_pemula(current_user, args["region"], cutoff=args["cutoff"])
    return jsonify(_plain({"region": _area_ref(result["area"]), "cutoff": result["cutoff"], "total": result["total"],
                           "kecamatan": result["kecamatan"], "schools": result["schools"],
                           "schools_total": result["schools_total"]}))
