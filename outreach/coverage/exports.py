"""CSV and XLSX writers for the coverage exports (no Flask): the area table, sessions and turnout logs.

Rows are plain mappings or objects (AreaFigures); a `Column` names the key to read and the header to
write. Headers are translated by the `_` the caller passes (the views pass Flask-Babel's gettext).

Safety: a text cell that begins with `=`, `+`, `-`, `@` (or a tab / carriage return) would be run as a
formula by Excel or LibreOffice ("=cmd|' /C calc'!A0"); such cells are written with a leading `'`
(OWASP's advice), numbers stay numbers. Control characters XLSX cannot hold are dropped.

CSV is UTF-8 with a byte-order mark so Excel shows Indonesian names correctly, and is produced in
chunks (`csv_chunks`) so a province-wide export streams; XLSX uses openpyxl's write-only mode.

Two CSV dialects: "intl" (",", decimal point; the default, for programs) and "id" (";", decimal comma:
what Excel set to Indonesian expects, so columns and decimals open as they should). Files meant for
people (XLSX and the "id" CSV) end with a total row ("Jumlah"): columns declare how they total
(`Column.total`: "sum", or a function of the summed row for rates and percentages).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from outreach.i18n import plain_gettext as _plain

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# What XLSX (XML 1.0) cannot store: C0 controls except tab, newline, carriage return.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | float | date | datetime | time (formats in XLSX)
    width: Optional[float] = None
    # How the total row fills this column: None (empty), "sum", or a function of the row of sums
    # (for rates, recomputed from the summed parts rather than summed themselves).
    total: Any = None


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    decimal: str


CSV_DIALECTS = {"intl": CsvDialect(",", "."), "id": CsvDialect(";", ",")}
TOTAL_MARK = "__total__"


def ratio(numerator: str, denominator: str, factor: float = 1.0, digits: int = 2) -> Callable[[Mapping], Any]:
    """A total-row rate: Σ numerator ÷ Σ denominator (× factor), None when the denominator is 0."""
    def compute(sums: Mapping) -> Optional[float]:
        den = sums.get(denominator) or 0
        return round(factor * (sums.get(numerator) or 0) / den, digits) if den else None
    return compute


def with_total(columns: Sequence[Column], rows: Iterable[Any], label_key: str, label: str) -> Iterator[Any]:
    """The rows, then one total row: "sum" columns summed, rate columns recomputed, `label` in `label_key`.

    Summing follows the rows as they stream, so a province-wide export still needs one pass."""
    summed = [c.key for c in columns if c.total == "sum"]
    sums: dict = dict.fromkeys(summed, 0)
    for row in rows:
        for key in summed:
            value = _get(row, key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sums[key] += value
        yield row
    total = {TOTAL_MARK: True, label_key: label}
    for c in columns:
        if c.total == "sum":
            total[c.key] = round(sums[c.key], 2) if isinstance(sums[c.key], float) else sums[c.key]
        elif callable(c.total):
            total[c.key] = c.total(sums)
    yield total


def _get(row: Any, key: str) -> Any:
    if type(row) is dict or isinstance(row, Mapping):  # the cheap test first: exports run to 100,000 rows
        return row.get(key)
    return getattr(row, key, None)


def cell_values(columns: Sequence[Column], row: Any) -> list:
    """The row's values in column order, neutralised (dates and numbers keep their type)."""
    out = []
    for c in columns:
        value = _get(row, c.key)
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        out.append(neutralise(value))
    return out


def _csv_text(value: Any, decimal: str = ".") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and decimal != ".":
        return repr(value).replace(".", decimal)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def csv_chunks(columns: Sequence[Column], rows: Iterable[Any], *, chunk_rows: int = 500,
               dialect: str = "intl") -> Iterator[str]:
    """The CSV file in pieces: BOM and header first, then `chunk_rows` rows at a time (for streaming)."""
    form = CSV_DIALECTS[dialect]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=form.delimiter)
    writer.writerow([neutralise(c.header) for c in columns])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    n = 0
    for row in rows:
        writer.writerow([_csv_text(v, form.decimal) for v in cell_values(columns, row)])
        n += 1
        if n % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest


def csv_text(columns: Sequence[Column], rows: Iterable[Any], dialect: str = "intl") -> str:
    """The whole CSV file as one string (tests, small exports)."""
    return "".join(csv_chunks(columns, rows, dialect=dialect))


# Number formats set cell by cell (a styled cell costs several times a plain one, so integers stay in
# Excel's General format; dates and times get openpyxl's date formats without help).
_FORMATS = {"float": "#,##0.00", "datetime": "yyyy-mm-dd hh:mm", "time": "hh:mm"}


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the caller passes local time
    return value


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Any], *, sheet_title: str = "Data",
               notes: Sequence[str] = ()) -> bytes:
    """An .xlsx workbook (openpyxl write-only): bold frozen header row, typed and formatted cells.

    `notes` are written under the table (e.g. "data per ...")."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(sheet_title))
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = c.width or max(min(len(c.header) + 2, 40), 10)
    bold = Font(bold=True)
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=_xlsx_value(neutralise(c.header)))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        is_total = isinstance(row, Mapping) and row.get(TOTAL_MARK)
        out = []
        for c, value in zip(columns, cell_values(columns, row)):
            value = _xlsx_value(value)
            if is_total or (c.kind in _FORMATS and value is not None and not isinstance(value, str)):
                cell = WriteOnlyCell(ws, value=value)
                if c.kind in _FORMATS and value is not None and not isinstance(value, str):
                    cell.number_format = _FORMATS[c.kind]
                if is_total:
                    cell.font = bold
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    if notes:
        ws.append([])
        for note in notes:
            ws.append([_xlsx_value(neutralise(note))])
    stream = io.BytesIO()
    wb.save(stream)
    return stream.getvalue()


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Data"
    return cleaned[:31]


# ---------------------------------------------------------------- the three exports' columns

def area_columns(_: Callable[..., str] = _plain, away_reasons: Sequence[tuple[str, str]] = ()) -> list[Column]:
    """Columns of the area table; `away_reasons` = [(reason, label)] adds one column per reason."""
    cols = [
        Column("kode", _("Kode"), width=14),
        Column("nama", _("Nama"), width=30),
        Column("level_label", _("Tingkat"), width=16),
        Column("wajib_ktp", _("Wajib KTP"), "int", total="sum"),
        Column("sudah_rekam_official", _("Sudah rekam (resmi SIAK)"), "int", total="sum"),
        Column("official_as_of", _("Data resmi per"), "date", 14),
        Column("recorded_since", _("Terekam di lapangan sejak data resmi"), "int", total="sum"),
        Column("recorded_over_target", _("Di atas sasaran"), "int", total="sum"),
        Column("sudah_rekam_estimated", _("Sudah rekam (perkiraan)"), "int", total="sum"),
        Column("backlog", _("Belum rekam (backlog)"), "int", total="sum"),
        Column("known_away", _("Diketahui di luar daerah"), "int", total="sum"),
    ]
    cols += [Column(f"away_{reason}", _("Di luar daerah: %(reason)s", reason=label), "int", total="sum")
             for reason, label in away_reasons]
    cols += [
        Column("known_away_in_backlog", _("Di luar daerah, termasuk belum rekam"), "int", total="sum"),
        Column("menolak", _("Menolak direkam"), "int", total="sum"),
        Column("menolak_in_backlog", _("Menolak, termasuk belum rekam"), "int", total="sum"),
        Column("reachable_backlog", _("Backlog terjangkau"), "int", total="sum"),
        Column("planned", _("Sudah direncanakan"), "int", total="sum"),
        Column("percent_recorded", _("Persen sudah rekam"), "float",
               total=ratio("sudah_rekam_estimated", "wajib_ktp", 100, 2)),
    ]
    return cols


def session_columns(_: Callable[..., str] = _plain) -> list[Column]:
    return [
        Column("id", _("No. sesi"), "int", 9),
        Column("date", _("Tanggal"), "date", 12),
        Column("end_date", _("Sampai tanggal"), "date", 12),
        Column("start_time", _("Jam mulai"), "time", 9),
        Column("end_time", _("Jam selesai"), "time", 9),
        Column("status_label", _("Status"), width=14),
        Column("kind_label", _("Jenis"), width=14),
        Column("kabupaten", _("Kabupaten/Kota"), width=22),
        Column("kecamatan", _("Kecamatan"), width=22),
        Column("desa_kode", _("Kode desa"), width=14),
        Column("desa", _("Desa/Kelurahan"), width=22),
        Column("site", _("Lokasi"), width=30),
        Column("site_type", _("Jenis lokasi"), width=18),
        Column("team", _("Tim"), width=20),
        Column("kits", _("Alat"), width=16),
        Column("target_groups", _("Sasaran"), width=24),
        Column("expected_turnout", _("Perkiraan hadir"), "int", total="sum"),
        Column("recorded_total", _("Terekam (laporan)"), "int", total="sum"),
        Column("confirmed_with", _("Dikonfirmasi dengan"), width=22),
        Column("cancel_reason", _("Alasan batal"), width=30),
        Column("notes", _("Catatan"), width=40),
    ]


def log_columns(_: Callable[..., str] = _plain, groups: Sequence[tuple[str, str]] = (),
                not_recorded: Sequence[tuple[str, str]] = (),
                away: Sequence[tuple[str, str]] = ()) -> list[Column]:
    """Columns of the turnout-log export; the (key, label) lists add one column per count family member."""
    cols = [
        Column("session_id", _("No. sesi"), "int", 9),
        Column("session_date", _("Tanggal sesi"), "date", 12),
        Column("kecamatan", _("Kecamatan"), width=22),
        Column("desa_kode", _("Kode desa"), width=14),
        Column("desa", _("Desa/Kelurahan"), width=22),
        Column("site", _("Lokasi"), width=30),
        Column("team", _("Tim"), width=20),
        Column("started_at", _("Mulai"), "datetime", 17),
        Column("ended_at", _("Selesai"), "datetime", 17),
        Column("recorded_total", _("Terekam"), "int", total="sum"),
    ]
    cols += [Column(f"recorded_{g}", _("Terekam: %(group)s", group=label), "int", total="sum") for g, label in groups]
    cols += [Column("recorded_l", _("Terekam laki-laki"), "int", total="sum"), Column("recorded_p", _("Terekam perempuan"), "int", total="sum")]
    cols += [Column(f"not_recorded_{r}", _("Tidak terekam: %(reason)s", reason=label), "int", total="sum")
             for r, label in not_recorded]
    cols += [Column(f"away_{r}", _("Di luar daerah: %(reason)s", reason=label), "int", total="sum") for r, label in away]
    cols += [
        Column("kits", _("Alat"), width=16),
        Column("notes", _("Catatan"), width=40),
        Column("created_by", _("Dilaporkan oleh"), width=18),
        Column("created_at", _("Dilaporkan pada"), "datetime", 17),
        Column("updated_at", _("Diubah pada"), "datetime", 17),
        Column("version", _("Versi"), "int", 7),
    ]
    return cols


def export_filename(what: str, kode: str, day: date, fmt: str) -> str:
    """e.g. "wilayah-33.74-2026-09-15.csv" (ASCII only: safe in a Content-Disposition header)."""
    safe_kode = re.sub(r"[^0-9.]", "", kode).strip(".") or "wilayah"
    return f"{what}-{safe_kode}-{day.isoformat()}.{fmt}"
