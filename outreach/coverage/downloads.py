"""The coverage downloads: what each export of an area holds (the area table, its sessions, its
turnout logs, its team table), read from the page's query arguments, and the CSV or XLSX response.
The files themselves are written by the pure `exports` module, the rows read by `queries.export_rows`.

Bad input (an unreadable or backwards date range, an unknown level, too many rows for an XLSX) raises
`BadInput`; an area out of scope `RegionNotFound`.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator, Optional

from flask import Response, current_app, stream_with_context
from flask_babel import format_date
from flask_babel import gettext as _

from outreach import clock, vocab
from outreach.coverage import exports
from outreach.coverage.formatting import fmt_number, parse_date_arg
from outreach.coverage.navigation import child_level_of
from outreach.coverage.queries import export_rows
from outreach.coverage.queries.areas import BadInput
from outreach.coverage.queries.figures import area_table
from outreach.coverage.team_page import sorted_team_figures, team_args
from outreach.vocab import AWAY_REASONS, LEVELS

# An XLSX is built in memory by openpyxl (about 10,000 rows a second): larger sets go out as CSV.
XLSX_MAX_ROWS = 50_000


def export_titles() -> dict:
    return {"wilayah": _("Wilayah"), "sesi": _("Sesi"), "log": _("Laporan hasil")}


def _away_labels() -> dict:
    return vocab.away_reason_labels()


def _group_labels() -> dict:
    return vocab.recorded_group_labels()


def _not_recorded_labels() -> dict:
    return vocab.not_recorded_labels()


def _attachment(area, what: str, file_format: str) -> dict:
    filename = exports.export_filename(what, area.kode, clock.local_today(), file_format)
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


# ---------------------------------------------------------------- the area table, sessions and logs

# The column that carries "Jumlah" on each export's total row.
TOTAL_LABEL_COLUMN = {"wilayah": "nama", "sesi": "site", "log": "site", "tim": "nama"}


def csv_dialect(query_args) -> str:
    """?dialect=id: ";" and decimal comma for Excel set to Indonesian; default "intl" ("," and point)."""
    dialect = (query_args.get("dialect") or "intl").strip()
    if dialect not in exports.CSV_DIALECTS:
        raise BadInput(_("Format CSV \"%(dialect)s\" tidak dikenal: pilih id (Excel Indonesia) atau intl.",
                         dialect=dialect[:20]))
    return dialect


def for_people(file_format: str, dialect: str) -> bool:
    """XLSX and the Indonesian CSV are opened by people in a spreadsheet: they get a total row."""
    return file_format == "xlsx" or dialect == "id"


def dataset_download(user, area, dataset: str, file_format: str, query_args) -> Response:
    """The area table, the sessions or the turnout logs of an area in scope, as CSV (streamed) or XLSX."""
    dialect = csv_dialect(query_args)
    columns, rows = export_data(user, area, dataset, file_format, query_args)
    if for_people(file_format, dialect):
        rows = exports.with_total(columns, rows, TOTAL_LABEL_COLUMN[dataset], _("Jumlah"))
    headers = _attachment(area, dataset, file_format)
    if file_format == "csv":
        return Response(stream_with_context(exports.csv_chunks(columns, rows, dialect=dialect)),
                        content_type=exports.CSV_MIME, headers=headers)
    note = _("Diunduh %(at)s dari Jemput Bola.", at=format_date(clock.local_today(), "d MMMM yyyy"))
    body = exports.xlsx_bytes(columns, rows, sheet_title=export_titles()[dataset], notes=[note])
    return Response(body, content_type=exports.XLSX_MIME, headers=headers)


def export_range(query_args) -> tuple[Optional[date], Optional[date]]:
    """The optional from/to dates of a session or log export."""
    date_from, err = parse_date_arg(query_args.get("from"), _("Tanggal awal"))
    if err:
        raise BadInput(err)
    date_to, err = parse_date_arg(query_args.get("to"), _("Tanggal akhir"))
    if err:
        raise BadInput(err)
    if date_from and date_to and date_from > date_to:
        raise BadInput(_("Rentang tanggal terbalik: tanggal awal sesudah tanggal akhir."))
    return date_from, date_to


def export_data(user, area, dataset: str, file_format: str, query_args):
    """(columns, rows) of one export; the rows of sessions and logs are read batch by batch."""
    if dataset == "wilayah":
        level = (query_args.get("level") or child_level_of(area.level) or area.level).strip()
        if level not in LEVELS:
            raise BadInput(_("Tingkat \"%(level)s\" tidak dikenal.", level=level[:20]))
        rows = area_table(user, level, parent=area.kode, q=query_args.get("q") or None,
                          sort=query_args.get("sort") or "kode")
        away = [(r, label) for r, label in _away_labels().items()]
        return exports.area_columns(_, away), area_rows(rows)
    date_from, date_to = export_range(query_args)
    if file_format == "xlsx":
        limit = int(current_app.config.get("EXPORT_XLSX_MAX_ROWS", XLSX_MAX_ROWS))
        n = export_rows.export_row_count(user, area, dataset, date_from, date_to)
        if n > limit:
            raise BadInput(_("%(n)s baris terlalu banyak untuk XLSX (paling banyak %(max)s). Unduh CSV, "
                             "atau persempit dengan rentang tanggal (?from=TTTT-BB-HH&to=TTTT-BB-HH) atau "
                             "wilayah yang lebih kecil.", n=fmt_number(n), max=fmt_number(limit)))
    if dataset == "sesi":
        return exports.session_columns(_), export_rows.session_export_rows(user, area, date_from, date_to)
    groups, reasons = _group_labels(), _not_recorded_labels()
    columns = exports.log_columns(_, groups=list(groups.items()), not_recorded=list(reasons.items()),
                                  away=list(_away_labels().items()))
    return columns, export_rows.log_export_rows(user, area, date_from, date_to)


def area_rows(rows) -> Iterator[dict]:
    """The area table's rows for the export: the level's label and each away reason in a column."""
    from outreach.vocab import level_labels
    levels = level_labels()
    for f in rows:
        row = f.as_dict()
        row["level_label"] = levels.get(f.level, f.level)
        row["official_as_of"] = f.official_as_of
        for reason in AWAY_REASONS:
            row[f"away_{reason}"] = f.known_away_by_reason.get(reason, 0)
        yield row


# ---------------------------------------------------------------- the team table

def team_download(user, area, file_format: str, query_args) -> Response:
    """The team table of the team page (same period and order) as CSV or XLSX."""
    args = team_args(query_args)
    if args["error"]:
        raise BadInput(args["error"])
    dialect = csv_dialect(query_args)
    rows, offices = sorted_team_figures(user, area.kode, args)
    columns, data = team_columns(), team_rows(rows, offices, args["date_from"], args["date_to"])
    if for_people(file_format, dialect):
        data = exports.with_total(columns, data, TOTAL_LABEL_COLUMN["tim"], _("Jumlah"))
    headers = _attachment(area, "tim", file_format)
    if file_format == "csv":
        return Response(exports.csv_text(columns, data, dialect=dialect), content_type=exports.CSV_MIME,
                        headers=headers)
    note = _("Tim %(area)s, %(a)s sampai %(b)s. Diunduh %(at)s dari Jemput Bola.", area=area.nama,
             a=format_date(args["date_from"], "d MMMM yyyy"), b=format_date(args["date_to"], "d MMMM yyyy"),
             at=format_date(clock.local_today(), "d MMMM yyyy"))
    body = exports.xlsx_bytes(columns, data, sheet_title=_("Tim"), notes=[note])
    return Response(body, content_type=exports.XLSX_MIME, headers=headers)


def team_columns() -> list:
    """Columns of the team table's export (the total row sums counts and recomputes the rates)."""
    C, S, ratio = exports.Column, "sum", exports.ratio

    def on_time_percent(sums) -> Optional[float]:
        due = sums.get("logs_due") or 0
        return round(100 * ((sums.get("logs_sent") or 0) - (sums.get("logs_late") or 0)) / due, 1) if due else None

    return [C("team_id", _("No. tim"), "int", 8), C("nama", _("Tim"), width=24),
            C("office_kode", _("Kode kantor"), width=12), C("office", _("Kantor"), width=24), C("date_from", _("Dari tanggal"), "date", 12),
            C("date_to", _("Sampai tanggal"), "date", 12), C("sessions_planned", _("Sesi"), "int", total=S),
            C("sessions_open", _("Belum terlaksana"), "int", total=S), C("sessions_done", _("Selesai"), "int", total=S),
            C("sessions_cancelled", _("Batal"), "int", total=S),
            C("logs_overdue", _("Laporan terlambat"), "int", total=S),
            C("logs_sent", _("Laporan masuk"), "int", total=S),
            C("logs_late", _("Laporan dikirim terlambat"), "int", total=S),
            C("logs_due", _("Laporan wajib masuk"), "int", total=S),
            C("on_time_percent", _("Persen laporan tepat waktu"), "float", total=on_time_percent),
            C("recorded", _("Terekam"), "int", total=S), C("kit_hours", _("Alat-jam"), "float", total=S),
            C("recorded_per_kit_hour", _("Terekam per alat-jam"), "float", total=ratio("recorded", "kit_hours")),
            C("expected_turnout_done", _("Perkiraan hadir (sesi yang dilaporkan)"), "int", total=S),
            C("expected_reached_percent", _("Persen dari perkiraan hadir"), "float",
              total=ratio("recorded", "expected_turnout_done", 100, 1))]


def team_rows(teams: list, offices: dict, date_from: date, date_to: date) -> Iterator[dict]:
    """The team table's rows for the export, with the office's name, the period and rates in percent."""
    for t in teams:
        row = t.as_dict()
        share = t.expected_reached_share
        rate = t.on_time_rate
        row.update(office=offices.get(t.office_kode, ""), date_from=date_from, date_to=date_to,
                   expected_reached_percent=None if share is None else round(share * 100, 1),
                   on_time_percent=None if rate is None else round(rate * 100, 1))
        yield row
