"""Data for bench/national.py: the national files (or one province's slice of them), made-up SIAK counts per desa,
and the bulk SQL that generates teams, kits, sessions and turnout logs on PostgreSQL.

Everything here is deterministic (a function of the region codes and of a row's id), so two runs at the same
scale build the same figures. Nothing is written to ../shared/data: slices go to the bench's temporary folder.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

NATIONAL_FILES = {
    "regions": "indonesia_wilayah.csv",
    "boundaries": ("indonesia_provinsi.geojson", "indonesia_kabupaten.geojson", "indonesia_kecamatan.geojson",
                   "indonesia_desa.geojson"),
    "schools": "indonesia_sekolah.csv",
    "population": "indonesia_penduduk_kabupaten.csv",
}
_FEATURE = '{"type":"Feature","properties":{"kode":"'


def missing_files(data_dir: Path) -> list[str]:
    names = [NATIONAL_FILES["regions"], *NATIONAL_FILES["boundaries"], NATIONAL_FILES["schools"],
             NATIONAL_FILES["population"]]
    return [n for n in names if not (data_dir / n).exists()]


# ---------------------------------------------------------------- one province's slice (the cheap path)

def _in_province(kode: str, prov: str) -> bool:
    return kode == prov or kode.startswith(prov + ".")


def csv_slice(path: Path, column: int, prov: str) -> str:
    """The header and the rows whose `column` lies in province `prov`."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    return lines[0] + "".join(line for line in lines[1:] if _in_province(next(csv.reader([line]))[column], prov))


def geojson_slice(path: Path, prov: str) -> dict:
    """The features of province `prov`. The files are sorted by kode, so they are one run of the text: cut it
    out and parse only that (parsing the whole 80 MB desa file costs ~10 s and ~700 MB)."""
    text = path.read_text(encoding="utf-8")
    starts = [text.find(_FEATURE + prov + '"'), text.find(_FEATURE + prov + ".")]
    starts = [s for s in starts if s != -1]
    if not starts:
        return {"type": "FeatureCollection", "features": []}
    start = end = min(starts)
    while True:
        nxt = text.find(_FEATURE, end + 1)
        if nxt == -1:
            break
        kode = text[nxt + len(_FEATURE):text.index('"', nxt + len(_FEATURE))]
        if not _in_province(kode, prov):
            break
        end = nxt
    tail = text.find(_FEATURE, end + 1)
    chunk = text[start:tail if tail != -1 else text.rindex("]")].rstrip().rstrip(",")
    features = [f for f in json.loads("[" + chunk + "]") if _in_province(f["properties"]["kode"], prov)]
    return {"type": "FeatureCollection", "features": features}


def write_province_files(data_dir: Path, out_dir: Path, prov: str) -> dict:
    """Cut province `prov` out of the national files into `out_dir`; returns {step: [paths]} like national_paths."""
    regions = out_dir / f"wilayah_{prov}.csv"
    regions.write_text(csv_slice(data_dir / NATIONAL_FILES["regions"], 0, prov), encoding="utf-8")
    boundaries = []
    for name in NATIONAL_FILES["boundaries"]:
        target = out_dir / name.replace("indonesia", f"prov{prov}")
        with open(target, "w", encoding="utf-8") as f:
            json.dump(geojson_slice(data_dir / name, prov), f)
        boundaries.append(target)
    schools = out_dir / f"sekolah_{prov}.csv"
    schools.write_text(csv_slice(data_dir / NATIONAL_FILES["schools"], 6, prov), encoding="utf-8")
    return {"regions": [regions], "boundaries": boundaries, "schools": [schools]}


def national_paths(data_dir: Path) -> dict:
    return {"regions": [data_dir / NATIONAL_FILES["regions"]],
            "boundaries": [data_dir / n for n in NATIONAL_FILES["boundaries"]],
            "schools": [data_dir / NATIONAL_FILES["schools"]]}


# ---------------------------------------------------------------- made-up SIAK counts

def siak_csv(desa_codes: list[str], population_csv: Path, as_of: date) -> str:
    """One SIAK row per desa: an equal share of 70% of its kabupaten's registered population
    (indonesia_penduduk_kabupaten.csv) as wajib KTP (at least 50), 3–9% of it not yet recorded."""
    with open(population_csv, encoding="utf-8", newline="") as f:
        population = {r["kode"]: int(r["penduduk_total"]) for r in csv.DictReader(f)}
    per_kab: dict[str, int] = {}
    for kode in desa_codes:
        per_kab[kode[:5]] = per_kab.get(kode[:5], 0) + 1
    out = io.StringIO()
    out.write("kode,wajib_ktp,sudah_rekam,as_of\n")
    for i, kode in enumerate(desa_codes):
        wajib = max(50, round(0.7 * population.get(kode[:5], 100_000) / per_kab[kode[:5]]))
        out.write(f"{kode},{wajib},{wajib - wajib * (3 + i % 7) // 100},{as_of.isoformat()}\n")
    return out.getvalue()


def split_by_province(siak: str, most_rows: int = 40_000) -> list[str]:
    """The SIAK file cut into files of whole provinces of at most `most_rows` desa each (one province more than
    that stays whole): README imports a province's counts as a file of its own."""
    header, *rows = siak.splitlines(keepends=True)
    parts: list[list[str]] = [[]]
    by_province: dict[str, list[str]] = {}
    for row in rows:
        by_province.setdefault(row[:2], []).append(row)
    for prov_rows in by_province.values():
        if parts[-1] and len(parts[-1]) + len(prov_rows) > most_rows:
            parts.append([])
        parts[-1].extend(prov_rows)
    return [header + "".join(part) for part in parts if part]


# ---------------------------------------------------------------- bulk generation (PostgreSQL)

TEAMS_PER_KABUPATEN = 3
KITS_PER_TEAM = 2
USER_TRIGGER_TABLES = ("recording_session", "turnout_log")


def team_and_kit_sql() -> list[str]:
    return [
        f"INSERT INTO team (nama, office_kode, office_lat, office_lng, members, phone, calendar_secret, active, "
        f"created_at) SELECT 'Tim ' || r.kode || ' #' || i, r.kode, r.lat, r.lng, '', '', md5('bench' || r.kode "
        f"|| i), true, now() FROM region r, generate_series(1, {TEAMS_PER_KABUPATEN}) i WHERE r.level = 'kabupaten' "
        f"ORDER BY r.kode, i",
        f"INSERT INTO kit (code, status, office_kode, team_id, notes, created_at) SELECT 'KIT-' || t.id || '-' || i, "
        f"'ok', t.office_kode, t.id, '', now() FROM team t, generate_series(1, {KITS_PER_TEAM}) i ORDER BY t.id, i",
    ]


def _session_insert(n: int, offset: int, status_sql: str, date_sql: str, turnout_sql: str) -> str:
    """n sessions numbered g = offset+1 .. offset+n, each at one desa's default place, spread over the sites by a
    multiplicative hash, with a team of the site's kabupaten."""
    return (
        "INSERT INTO recording_session (site_id, desa_kode, kecamatan_kode, kabupaten_kode, provinsi_kode, date, "
        "start_time, end_time, team_id, kind, target_groups, expected_turnout, turnout_reasoning, status, "
        "confirmed_with, cancel_reason, notes, override_reason, version, created_at, updated_at, pool, "
        "confirmation_note) "
        f"SELECT s.id, s.desa_kode, s.kecamatan_kode, s.kabupaten_kode, s.provinsi_kode, {date_sql}, "
        "make_time(7 + (g % 3)::int, 0, 0), make_time(10 + (g % 3)::int + ((g / 3) % 3)::int, 0, 0), "
        f"t.ids[1 + (g % array_length(t.ids, 1))::int], 'perekaman', '[\"umum\"]'::json, {turnout_sql}, '', "
        f"{status_sql}, '', '', '', '', 1, now(), now(), 'desa', '' "
        f"FROM generate_series({offset + 1}::bigint, {offset + n}::bigint) g "
        "JOIN bench_site s ON s.n = 1 + (g * 7919) % (SELECT count(*) FROM bench_site) "
        "JOIN bench_team t ON t.kab = s.kabupaten_kode"
    )


def session_sql(today: date, n_logged: int, n_open: int, n_cancelled: int) -> list[str]:
    """Logged sessions over the last 365 days, cancelled ones, and open ones from 5 days ago to 35 days ahead."""
    d = f"DATE '{today.isoformat()}'"
    return [
        "CREATE TEMP TABLE bench_site AS SELECT row_number() OVER (ORDER BY s.id) AS n, s.id, s.desa_kode, "
        "s.kecamatan_kode, s.kabupaten_kode, s.provinsi_kode FROM site s WHERE s.type = 'balai_desa' AND "
        "s.active AND s.desa_kode IS NOT NULL",
        "CREATE UNIQUE INDEX ON bench_site (n)",
        "CREATE TEMP TABLE bench_team AS SELECT office_kode AS kab, array_agg(id ORDER BY id) AS ids FROM team "
        "GROUP BY office_kode",
        _session_insert(n_logged, 0, "'selesai'", f"{d} - (1 + (g * 37) % 365)::int", "10 + (g % 30)::int"),
        _session_insert(n_cancelled, n_logged, "'dibatalkan'", f"{d} - 30 + (g % 60)::int", "10 + (g % 30)::int"),
        _session_insert(n_open, n_logged + n_cancelled,
                        "CASE WHEN g % 3 = 0 THEN 'rencana' ELSE 'terkonfirmasi' END",
                        f"{d} - 5 + (g % 40)::int", "5 + (g % 20)::int"),
        "INSERT INTO session_kit (session_id, kit_id, date) SELECT rs.id, k.kit_id, rs.date FROM recording_session rs "
        "JOIN (SELECT team_id, min(id) AS kit_id FROM kit GROUP BY team_id) k ON k.team_id = rs.team_id",
    ]


def log_sql() -> list[str]:
    """One turnout log for every logged session (recorded 0–24 people, split by group and sex; some refusals and
    people abroad), stored 1–30 hours after the session ended, with its kit-hours."""
    local = "AT TIME ZONE 'Asia/Jakarta'"
    return [
        "INSERT INTO turnout_log (session_id, desa_kode, kecamatan_kode, kabupaten_kode, provinsi_kode, session_date, "
        "recorded_pemilih_pemula, recorded_umum, recorded_lansia_disabilitas, recorded_l, recorded_p, recorded_total, "
        "not_recorded_tidak_ditemukan_siak, not_recorded_sudah_rekam, not_recorded_belum_cukup_umur, "
        "not_recorded_gangguan_alat_jaringan, not_recorded_tidak_bersedia, away_luar_negeri, "
        "away_bekerja_luar_daerah, away_pindah_meninggal, away_lainnya, away_sekolah_luar_daerah, started_at, "
        "ended_at, kit_ids, notes, over_capacity_confirmed, idempotency_key, request_fingerprint, version, "
        "created_at, updated_at, kit_hours, hours_after_end) "
        "SELECT x.id, x.desa_kode, x.kecamatan_kode, x.kabupaten_kode, x.provinsi_kode, x.date, "
        "x.pp, x.umum, x.lansia, (x.pp + x.umum + x.lansia) / 2, x.pp + x.umum + x.lansia - (x.pp + x.umum + "
        "x.lansia) / 2, x.pp + x.umum + x.lansia, (x.id % 3)::int, 0, 0, 0, (CASE WHEN x.id % 13 = 0 THEN 1 ELSE "
        "0 END), (x.id % 2)::int, 0, 0, 0, 0, x.started, x.ended, json_build_array(x.kit_id), '', false, "
        "'bench-' || x.id, repeat('0', 64), 1, x.ended + make_interval(hours => x.late), "
        "x.ended + make_interval(hours => x.late), EXTRACT(EPOCH FROM x.ended - x.started) / 3600.0, x.late "
        "FROM (SELECT rs.*, (rs.id % 6)::int AS pp, ((rs.id / 7) % 15)::int AS umum, ((rs.id / 11) % 4)::int AS "
        f"lansia, (rs.date + rs.start_time) {local} AS started, (rs.date + rs.end_time) {local} AS ended, "
        "(1 + rs.id % 30)::int AS late, sk.kit_id FROM recording_session rs JOIN session_kit sk ON sk.session_id = "
        "rs.id WHERE rs.status = 'selesai') x",
    ]


def cap_open_sql() -> str:
    """The open sessions of a desa expect at most their equal share of its reachable backlog (SIAK backlog less the
    logs and refusals after its as-of date), as the ledger asks; ledger-check verifies it afterwards."""
    return (
        "WITH since AS (SELECT l.desa_kode, sum(l.recorded_total) AS rec, sum(l.not_recorded_tidak_bersedia) AS men "
        "FROM turnout_log l JOIN region r ON r.kode = l.desa_kode WHERE l.session_date > r.target_as_of "
        "GROUP BY l.desa_kode), "
        "open AS (SELECT desa_kode, count(*) AS n FROM recording_session WHERE status IN ('rencana', 'terkonfirmasi', "
        "'ditunda') AND pool = 'desa' GROUP BY desa_kode), "
        "share AS (SELECT o.desa_kode, greatest(0, (coalesce(r.wajib_ktp, 0) - coalesce(r.sudah_rekam, 0) "
        "- coalesce(s.rec, 0) - coalesce(s.men, 0)) / o.n) AS most FROM open o JOIN region r ON r.kode = o.desa_kode "
        "LEFT JOIN since s ON s.desa_kode = o.desa_kode) "
        "UPDATE recording_session rs SET expected_turnout = least(rs.expected_turnout, share.most) FROM share "
        "WHERE rs.desa_kode = share.desa_kode AND rs.status IN ('rencana', 'terkonfirmasi', 'ditunda')"
    )


def triggers_sql(enable: bool) -> list[str]:
    word = "ENABLE" if enable else "DISABLE"
    return [f"ALTER TABLE {t} {word} TRIGGER USER" for t in USER_TRIGGER_TABLES]


def log_day(today: date) -> date:
    """The day of the session the field user logs during the bench (yesterday: started, not late)."""
    return today - timedelta(days=1)
