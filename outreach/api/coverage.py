"""API: coverage and progress (issue 5): live figures of an area and its children, the backlog trend,
the area table, the forecast, team figures and pemilih pemula. Views are thin: outreach.coverage.queries
does the work (scoped to the user) and raises CoverageError for bad input."""
from __future__ import annotations

from datetime import date, datetime
from functools import wraps

from flask import jsonify
from flask_login import current_user

from outreach.api import bp
from outreach.api.routes import COMMON_ERRORS, ApiError, choice_arg, error_response, json_content, ref, text_arg
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


def _region_arg():
    return text_arg("region", 20)


def _area_ref(area) -> dict:
    return {"kode": area.kode, "nama": area.nama, "level": area.level}


@bp.route("/coverage")
@any_role
@coverage_errors
def coverage_get():
    result = coverage(current_user, _region_arg())
    return jsonify({"region": result["region"].as_dict(),
                    "children": [f.as_dict() for f in result["children"]],
                    "data_as_of": _iso(result["data_as_of"]),
                    "official_as_of": _iso(result["official_as_of"]),
                    "latest_log_at": _iso(result["latest_log_at"])})


@bp.route("/coverage/trend")
@any_role
@coverage_errors
def coverage_trend():
    region = _region_arg()
    area = resolve_area(current_user, region)
    points = trend_points(current_user, region, text_arg("from", 10), text_arg("to", 10))
    return jsonify({"region": _area_ref(area), "points": _plain(points)})


@bp.route("/coverage/areas")
@any_role
@coverage_errors
def coverage_areas():
    level = choice_arg("level", LEVELS) or "kecamatan"
    rows = area_table(current_user, level, parent=text_arg("parent", 20), q=text_arg("q"),
                         sort=text_arg("sort", 40))
    return jsonify({"level": level, "total": len(rows), "items": [f.as_dict() for f in rows]})


@bp.route("/coverage/forecast")
@any_role
@coverage_errors
def coverage_forecast():
    result = forecast_for(current_user, _region_arg(), weeks=text_arg("weeks", 5),
                             deadline=text_arg("deadline", 10), level=choice_arg("level", LEVELS))
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
def coverage_teams():
    region = _region_arg()
    area = resolve_area(current_user, region)
    teams = team_figures(current_user, text_arg("from", 10), text_arg("to", 10), region_kode=region)
    return jsonify({"region": _area_ref(area), "items": [t.as_dict() for t in teams]})


@bp.route("/coverage/pemilih-pemula")
@any_role
@coverage_errors
def coverage_pemilih_pemula():
    result = pemilih_pemula(current_user, _region_arg(), cutoff=text_arg("cutoff", 10))
    return jsonify(_plain({"region": _area_ref(result["area"]), "cutoff": result["cutoff"], "total": result["total"],
                           "kecamatan": result["kecamatan"], "schools": result["schools"],
                           "schools_total": result["schools_total"]}))


# ---------------------------------------------------------------- OpenAPI

_INT = {"type": "integer"}
_NINT = {"type": "integer", "nullable": True}
_DATE = {"type": "string", "format": "date"}
_NDATE = {"type": "string", "format": "date", "nullable": True}
_REGION_PARAM = {"name": "region", "in": "query", "required": False, "schema": {"type": "string"},
                 "example": "33.74",
                 "description": "Kode wilayah bertitik; bawaan: wilayah tugas pengguna (provinsi untuk admin)."}
_NOT_FOUND = error_response("Wilayah tidak dikenal, atau di luar wilayah tugas pengguna.")


def _date_param(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": _DATE, "description": description}


OPENAPI_SCHEMAS: dict = {
    "CoverageFigures": {
        "type": "object",
        "description": "Buku besar suatu wilayah: setiap suku dijumlah dari desanya, sehingga berlaku tepat di "
                       "setiap tingkat: sudah_rekam_estimated = sudah_rekam_official + recorded_since − "
                       "recorded_over_target; backlog = wajib_ktp − sudah_rekam_estimated; reachable_backlog = "
                       "backlog − known_away_in_backlog − menolak_in_backlog.",
        "required": ["kode", "nama", "wajib_ktp", "sudah_rekam_official", "official_as_of", "recorded_since",
                     "recorded_over_target", "sudah_rekam_estimated", "backlog", "known_away",
                     "known_away_in_backlog", "menolak", "menolak_in_backlog", "reachable_backlog", "planned",
                     "percent_recorded"],
        "properties": {
            "kode": {"type": "string", "example": "33.74"},
            "nama": {"type": "string"},
            "level": {"type": "string", "enum": list(LEVELS)},
            "kind": {"type": "string"},
            "parent_kode": {"type": "string", "nullable": True},
            "lat": {"type": "number", "nullable": True},
            "lng": {"type": "number", "nullable": True},
            "wajib_ktp": {**_NINT, "description": "Wajib KTP (jumlah desa yang punya data SIAK)"},
            "sudah_rekam_official": {**_NINT, "description": "Sudah rekam menurut data SIAK terbaru"},
            "official_as_of": {**_NDATE, "description": "Tanggal data SIAK terbaru di antara desanya"},
            "official_as_of_first": {**_NDATE, "description": "Tanggal data SIAK terlama di antara desanya "
                                                              "(berbeda bila desa diimpor pada tanggal berbeda)"},
            "recorded_since": {**_INT, "description": "Terekam di lapangan (log) sesudah tanggal data SIAK tiap desa "
                                                      "(desa yang punya data SIAK)"},
            "recorded_over_target": {**_INT, "description": "Bagian recorded_since di atas sasaran (wajib KTP) "
                                                            "desanya"},
            "recorded_without_target": {**_INT, "description": "Log di desa tanpa data SIAK (tidak masuk suku lain)"},
            "sudah_rekam_estimated": {**_NINT, "description": "Resmi + lapangan sejak itu − di atas sasaran"},
            "backlog": {**_NINT, "description": "Wajib KTP − sudah rekam perkiraan"},
            "backlog_official": {**_NINT, "description": "Wajib KTP − sudah rekam resmi"},
            "known_away": {**_INT, "description": "Diketahui berada di luar (semua alasan)"},
            "known_away_by_reason": {"type": "object", "additionalProperties": _INT,
                                     "description": "Per alasan: " + ", ".join(AWAY_REASONS)},
            "known_away_in_backlog": {**_INT, "description": "Bagian known_away yang termasuk backlog desanya "
                                                             "(≤ known_away)"},
            "menolak": {**_INT, "description": "Warga yang menolak direkam (log sesudah data SIAK), belum "
                                               "ditindaklanjuti"},
            "menolak_in_backlog": {**_INT, "description": "Bagian menolak yang termasuk backlog (≤ menolak)"},
            "reachable_backlog": {**_NINT, "description": "backlog − known_away_in_backlog − menolak_in_backlog"},
            "planned": {**_INT, "description": "Perkiraan hadir semua sesi terbuka (bagian yang sudah direncanakan)"},
            "reachable_unplanned": {**_NINT, "description": "Backlog terjangkau yang belum direncanakan"},
            "percent_recorded": {"type": "number", "nullable": True, "description": "Persen sudah rekam (perkiraan)"},
            "percent_recorded_official": {"type": "number", "nullable": True},
            "desa_with_targets": _INT,
        },
    },
    "Coverage": {
        "type": "object",
        "required": ["region", "children", "data_as_of"],
        "properties": {
            "region": ref("CoverageFigures"),
            "children": {"type": "array", "items": ref("CoverageFigures"),
                         "description": "Wilayah satu tingkat di bawahnya, urut kode"},
            "data_as_of": {"type": "string", "format": "date-time",
                           "description": "Saat angka dihitung (langsung dari data, tanpa jeda malam)"},
            "official_as_of": _NDATE,
            "latest_log_at": {"type": "string", "format": "date-time", "nullable": True,
                              "description": "Perubahan log lapangan terakhir di wilayah ini"},
        },
    },
    "CoverageTrend": {
        "type": "object",
        "required": ["points"],
        "properties": {
            "region": {"type": "object"},
            "points": {"type": "array", "items": {
                "type": "object", "required": ["date", "source", "backlog", "reachable_backlog",
                                               "sudah_rekam_estimated"],
                "properties": {"date": _DATE,
                               "source": {"type": "string", "enum": ["siak", "snapshot", "live"],
                                          "description": "siak: data SIAK resmi per tanggal itu; snapshot: potret "
                                                         "malam; live: hari ini, dihitung langsung"},
                               "backlog": _INT, "reachable_backlog": _NINT, "sudah_rekam_estimated": _INT,
                               "wajib_ktp": _INT, "sudah_rekam_official": _INT, "recorded_since": _INT,
                               "recorded_over_target": _INT, "known_away": _NINT, "known_away_in_backlog": _NINT,
                               "menolak": _NINT, "menolak_in_backlog": _NINT, "planned": _NINT,
                               "official_as_of": _NDATE, "desa_counted": _INT,
                               "live": {"type": "boolean", "description": "Titik hari ini, dihitung langsung"}}}},
        },
    },
    "CoverageAreas": {
        "type": "object", "required": ["items"],
        "properties": {"level": {"type": "string"}, "total": _INT,
                       "items": {"type": "array", "items": ref("CoverageFigures")}},
    },
    "AreaForecast": {"type": "object", "properties": {
        "kode": {"type": "string"}, "nama": {"type": "string"}, "reachable_backlog": _INT,
        "recorded_in_window": _INT, "sessions_in_window": _INT,
        "weekly_pace": {"type": "number", "description": "Penurunan backlog per minggu (dari riwayat SIAK, potret "
                                                         "dan angka hari ini), atau log per minggu bila tanpa riwayat"},
        "pace_source": {"type": "string", "enum": ["riwayat", "log"]},
        "pace_since": _NDATE, "backlog_then": _NINT, "backlog_now": _NINT,
        "per_session": {"type": "number", "nullable": True},
        "weeks_to_zero": {"type": "number", "nullable": True}, "finish_date": _NDATE,
        "status": {"type": "string", "enum": ["selesai", "sesuai", "terlambat", "macet"]},
        "misses_deadline": {"type": "boolean"}, "shortfall_at_deadline": _INT, "extra_sessions": _NINT}},
    "CoverageForecast": {
        "type": "object", "required": ["region", "items", "summary"],
        "properties": {
            "region": {"type": "object", "description": "Wilayah yang ditanya dengan prakiraannya sendiri "
                                                        "(kode, nama, level, dan semua kolom AreaForecast: "
                                                        "finish_date, status, weekly_pace, ...)"},
            "level": {"type": "string"}, "today": _DATE, "weeks": _INT,
            "deadline": _NDATE, "summary": {"type": "object"},
            "items": {"type": "array", "items": ref("AreaForecast"),
                      "description": "Sama dengan jawaban 'region' masing-masing bila ditanya sendiri"},
        },
    },
    "CoverageTeams": {
        "type": "object", "required": ["items"],
        "properties": {"region": {"type": "object"}, "items": {"type": "array", "items": {
            "type": "object", "properties": {
                "team_id": _INT, "nama": {"type": "string"}, "office_kode": {"type": "string"},
                "sessions_planned": _INT, "sessions_open": _INT, "sessions_done": _INT, "sessions_cancelled": _INT,
                "logs_overdue": _INT,
                "logs_sent": {**_INT, "description": "Sesi yang sudah memiliki laporan hasil"},
                "logs_late": {**_INT, "description": "Laporan yang pertama masuk lebih dari LATE_LOG_HOURS "
                                                     "(24) jam setelah sesinya berakhir"},
                "logs_on_time": _INT,
                "logs_due": {**_INT, "description": "Laporan masuk + sesi terbuka tanpa laporan lebih dari "
                                                    "LATE_LOG_HOURS jam setelah berakhir"},
                "on_time_rate": {"type": "number", "nullable": True,
                                 "description": "Laporan tepat waktu ÷ laporan wajib masuk (null: belum ada)"},
                "recorded": _INT, "kit_hours": {"type": "number"},
                "expected_turnout_done": _INT, "recorded_per_kit_hour": {"type": "number", "nullable": True},
                "expected_reached_share": {"type": "number", "nullable": True}}}}},
    },
    "CoveragePemilihPemula": {
        "type": "object", "required": ["cutoff", "total", "kecamatan", "schools"],
        "properties": {"region": {"type": "object"}, "cutoff": _DATE, "total": {"type": "object"},
                       "kecamatan": {"type": "array", "items": {"type": "object"}},
                       "schools": {"type": "array", "items": {"type": "object"}}, "schools_total": _INT},
    },
}


def _get(summary: str, operation_id: str, parameters: list, schema: str, description: str = "") -> dict:
    op = {"summary": summary, "operationId": operation_id, "tags": ["coverage"], "parameters": parameters,
          "responses": {"200": {"description": summary, "content": json_content(ref(schema))},
                        **COMMON_ERRORS, "404": _NOT_FOUND}}
    if description:
        op["description"] = description
    return {"get": op}


OPENAPI_PATHS: dict = {
    "/api/v1/coverage": _get(
        "Angka cakupan perekaman suatu wilayah dan wilayah satu tingkat di bawahnya", "getCoverage",
        [_REGION_PARAM], "Coverage",
        "Resmi (SIAK terbaru) + terekam di lapangan sejak tanggal data SIAK tiap desa = perkiraan. Log sebelum "
        "tanggal itu sudah termasuk data SIAK, jadi tidak dihitung dua kali. Langsung dari data: log baru "
        "langsung tampak."),
    "/api/v1/coverage/trend": _get(
        "Riwayat backlog suatu wilayah: setiap tanggal data SIAK, potret malam, dan titik hari ini",
        "getCoverageTrend",
        [_REGION_PARAM, _date_param("from", "Tanggal awal (bawaan: awal riwayat)"),
         _date_param("to", "Tanggal akhir (bawaan: hari ini); 'from' sesudah 'to' ditolak (400)")],
        "CoverageTrend"),
    "/api/v1/coverage/areas": _get(
        "Tabel wilayah satu tingkat dengan semua angka cakupan", "listCoverageAreas",
        [{"name": "level", "in": "query", "schema": {"type": "string", "enum": list(LEVELS), "default": "kecamatan"}},
         {"name": "parent", "in": "query", "schema": {"type": "string"}, "description": "Kode induk (tingkat mana pun)"},
         {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Bagian nama atau awal kode"},
         {"name": "sort", "in": "query", "schema": {"type": "string", "enum": [
             *SORT_KEYS, *["-" + k for k in SORT_KEYS]]}, "description": "Kolom urut; '-' untuk menurun"}],
        "CoverageAreas"),
    "/api/v1/coverage/forecast": _get(
        "Perkiraan kapan backlog terjangkau tiap kecamatan habis, dan yang akan melewati tenggat",
        "getCoverageForecast",
        [_REGION_PARAM,
         {"name": "weeks", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 104},
          "description": "Laju penurunan backlog N minggu terakhir (bawaan: pengaturan FORECAST_WEEKS)"},
         _date_param("deadline", "Tenggat (bawaan: COVERAGE_DEADLINE); tanggal lampau ditolak (400)"),
         {"name": "level", "in": "query", "schema": {"type": "string", "enum": list(LEVELS)}}],
        "CoverageForecast"),
    "/api/v1/coverage/teams": _get(
        "Angka per tim: sesi rencana/selesai/batal, log terlambat, terekam per jam-alat, capaian target",
        "getCoverageTeams",
        [_REGION_PARAM, _date_param("from", "Tanggal sesi awal (bawaan: 28 hari sebelum 'to')"),
         _date_param("to", "Tanggal sesi akhir (bawaan: hari ini)")],
        "CoverageTeams"),
    "/api/v1/coverage/pemilih-pemula": _get(
        "Pemilih pemula yang belum rekam per sekolah dan per kecamatan, dengan sesi sekolah yang direncanakan",
        "getCoveragePemilihPemula",
        [_REGION_PARAM, _date_param("cutoff", "Batas usia 17 tahun (bawaan: PEMILIH_PEMULA_CUTOFF); tanggal "
                                               "lampau ditolak (400)")],
        "CoveragePemilihPemula"),
}
