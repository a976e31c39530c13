"""Shared pieces of the importers: problems, reading CSV bytes safely, parsing values, coordinates.

Over 400 lines on purpose: everything the four file kinds share (reading, values, the report and the file
of refused rows) in one place. Pure Python: nothing here imports Flask or the database. Messages are Bahasa Indonesia msgids with
%-style placeholders, so the web layer can pass them through gettext and the CLI can print them.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from collections import defaultdict
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence

from outreach.i18n import N_



# A value quoted in a message is cut to this many characters (a wrong file can put a whole geometry or a
# megabyte line into one cell), and a report lists at most this many problems of each kind.
PARAM_LIMIT = 120
PROBLEM_LIMIT = 50


def _short(value):
    if isinstance(value, str) and len(value) > PARAM_LIMIT:
        return value[:PARAM_LIMIT - 1] + "…"
    return value


@dataclass
class Problem:
    """One bad row (line >= 1) or a problem with the whole file (line 0)."""

    line: int
    template: str
    params: dict = field(default_factory=dict)
    # True for a problem with the file itself (its header, its syntax) even when it names a line: such a
    # file is refused whole, also when only the valid rows are to be kept.
    fatal: bool = False

    def __post_init__(self):
        if self.params:
            self.params = {k: _short(v) for k, v in self.params.items()}

    @property
    def refuses_file(self) -> bool:
        return self.fatal or self.line <= 0

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return f"baris {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Bbox:
    """Where coordinates may lie (default: Jawa Tengah), used to catch swapped or wrong points."""

    lat_min: float = -8.3
    lat_max: float = -5.7
    lng_min: float = 108.5
    lng_max: float = 111.8
    name: str = "Jawa Tengah"

    def contains(self, lat: float, lng: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lng_min <= lng <= self.lng_max


JATENG = Bbox()
# The whole country (regions files are checked against it: a national file needs no setting).
INDONESIA = Bbox(-11.5, 6.5, 94.0, 141.5, "Indonesia")


@dataclass
class CsvTable:
    """Rows of a CSV file as (line number where the record starts, {column: stripped value})."""

    columns: list[str]
    rows: list[tuple[int, dict]]
    delimiter: str


@dataclass
class CsvRead:
    table: Optional[CsvTable]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def decode_utf8(data: bytes) -> tuple[Optional[str], list[Problem]]:
    """Text of `data` (UTF-8, with or without BOM) or a file-level problem."""
    if not data or not data.strip():
        return None, [Problem(0, N_("Berkas kosong."))]
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return None, [Problem(0, N_("Berkas tersimpan sebagai UTF-16, bukan UTF-8. Simpan ulang sebagai \"CSV UTF-8\"."))]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(line, N_("Berkas bukan teks UTF-8: byte 0x%(byte)s tidak dikenali. Simpan ulang "
                                       "berkas sebagai \"CSV UTF-8\" lalu unggah lagi."),
                              {"byte": data[exc.start:exc.start + 1].hex().upper()}, fatal=True)]


# What a file that is not what its import expects looks like in its first bytes.
_ZIP = b"PK\x03\x04"


def file_type_problem(data: bytes, expected: str) -> Optional[Problem]:
    """One line naming what the file is when it is plainly not the expected type ("csv" or "geojson")."""
    head = data[:512].removeprefix(codecs.BOM_UTF8).lstrip()
    if head.startswith(_ZIP):
        return Problem(0, N_("Berkas ini Excel (XLSX) atau ZIP, bukan %(expected)s. Di Excel pilih Simpan Sebagai → "
                             "\"CSV UTF-8\", lalu unggah berkas CSV itu."),
                       {"expected": "CSV" if expected == "csv" else "GeoJSON"})
    if head.startswith(b"%PDF"):
        return Problem(0, N_("Berkas ini PDF, bukan %(expected)s."), {"expected": "CSV" if expected == "csv" else "GeoJSON"})
    looks_json = head[:1] in (b"{", b"[")
    if expected == "csv" and looks_json:
        kind = "GeoJSON" if b"Feature" in data[:4096] else "JSON"
        return Problem(0, N_("Berkas ini %(kind)s, bukan CSV. Impor batas wilayah memakai GeoJSON; impor ini "
                             "memakai CSV."), {"kind": kind})
    if expected == "geojson" and head and not looks_json:
        return Problem(0, N_("Berkas ini bukan GeoJSON (tidak diawali \"{\"); mungkin CSV? Batas wilayah diimpor "
                             "dari GeoJSON FeatureCollection."))
    return None


def sniff_delimiter(header_line: str) -> str:
    """`;` when the header uses semicolons (Excel with Indonesian settings), else `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(data: bytes, required: Sequence[str], optional: Sequence[str] = (),
             ignored: Sequence[str] = ()) -> CsvRead:
    """Decode and split a CSV upload; check its header. Column names are matched case-insensitively.

    Missing required columns and duplicate column names refuse the file; unknown columns are only
    warned about (their values are not imported).
    """
    text, problems = decode_utf8(data)
    if text is None:
        return CsvRead(None, problems)
    end = text.find("\n")
    delimiter = sniff_delimiter(text[:end] if end >= 0 else text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return CsvRead(None, [Problem(0, N_("Berkas kosong."))])
    columns = [h.strip().lower().lstrip("\ufeff") for h in header]
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if not any(columns):
        return CsvRead(None, [Problem(1, N_("Baris judul kolom kosong. Baris pertama harus berisi nama kolom: %(expected)s."),
                                      {"expected": ", ".join(required)}, fatal=True)])
    duplicates = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicates:
        errors.append(Problem(1, N_("Nama kolom ganda: %(columns)s."), {"columns": ", ".join(duplicates)}, fatal=True))
    missing = [c for c in required if c not in columns]
    if missing:
        errors.append(Problem(1, N_("Kolom wajib tidak ada: %(missing)s. Kolom yang dibutuhkan: %(expected)s; "
                                    "kolom di berkas: %(found)s."),
                              {"missing": ", ".join(missing), "expected": ", ".join(required),
                               "found": ", ".join(c for c in columns if c) or "-"}, fatal=True))
    unknown = [c for c in columns if c and c not in required and c not in optional and c not in ignored]
    if unknown and not missing:
        warnings.append(Problem(1, N_("Kolom tidak dikenal diabaikan: %(columns)s."), {"columns": ", ".join(unknown)}))
    if errors:
        return CsvRead(None, errors, warnings)

    rows: list[tuple[int, dict]] = []
    width = len(columns)
    next_line = reader.line_num + 1
    try:
        for record in reader:
            line = next_line
            next_line = reader.line_num + 1
            if not any(v.strip() for v in record):
                continue  # blank line
            if len(record) != width:
                errors.append(Problem(line, N_("Jumlah kolom %(found)d, seharusnya %(expected)d (pemisah kolom: "
                                               "\"%(delimiter)s\")."),
                                      {"found": len(record), "expected": width, "delimiter": delimiter}))
                continue
            rows.append((line, {c: v.strip() for c, v in zip(columns, record) if c}))
    except csv.Error as exc:
        errors.append(Problem(next_line, N_("Format CSV rusak: %(detail)s."), {"detail": str(exc)}, fatal=True))
    if not rows and not errors:
        errors.append(Problem(0, N_("Berkas tidak berisi baris data (hanya judul kolom).")))
    return CsvRead(CsvTable(columns, rows, delimiter), errors, warnings)


# ---------------------------------------------------------------- values

class ValueProblem(ValueError):
    """A cell that cannot be used; carries the message template and its parameters."""

    def __init__(self, template: str, **params):
        super().__init__(template % params if params else template)
        self.template, self.params = template, params

    def at(self, line: int) -> Problem:
        return Problem(line, self.template, self.params)


_INT_RE = re.compile(r"^[+-]?\d+$")


def parse_count(value: str, column: str) -> int:
    """A non-negative whole number (a count of people)."""
    v = value.replace(" ", "")
    if v == "":
        raise ValueProblem(N_("%(column)s wajib diisi."), column=column)
    if not _INT_RE.match(v):
        raise ValueProblem(N_("%(column)s harus bilangan bulat, bukan \"%(value)s\"."), column=column, value=value)
    number = int(v)
    if number < 0:
        raise ValueProblem(N_("%(column)s tidak boleh negatif (%(value)s)."), column=column, value=value)
    if number > 2_000_000_000:
        raise ValueProblem(N_("%(column)s terlalu besar (%(value)s)."), column=column, value=value)
    return number


def parse_optional_int(value: str, column: str, minimum: int = 0, maximum: int = 999) -> Optional[int]:
    if value == "":
        return None
    if not _INT_RE.match(value):
        raise ValueProblem(N_("%(column)s harus bilangan bulat, bukan \"%(value)s\"."), column=column, value=value)
    number = int(value)
    if not minimum <= number <= maximum:
        raise ValueProblem(N_("%(column)s harus antara %(min)d dan %(max)d (%(value)s)."),
                           column=column, value=value, min=minimum, max=maximum)
    return number


def parse_float(value: str, column: str) -> float:
    """A decimal number; a decimal comma (Excel with Indonesian settings) is accepted too."""
    v = value.replace(" ", "")
    if v.count(",") == 1 and "." not in v:
        v = v.replace(",", ".")
    try:
        number = float(v)
    except ValueError:
        raise ValueProblem(N_("%(column)s bukan angka: \"%(value)s\"."), column=column, value=value) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueProblem(N_("%(column)s bukan angka: \"%(value)s\"."), column=column, value=value)
    return number


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def parse_date(value: str, column: str, today: Optional[date] = None) -> date:
    """A date as YYYY-MM-DD (or DD/MM/YYYY, DD-MM-YYYY); never in the future."""
    if value == "":
        raise ValueProblem(N_("%(column)s wajib diisi (format TTTT-BB-HH, mis. 2026-09-15)."), column=column)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise ValueProblem(N_("%(column)s bukan tanggal yang sah: \"%(value)s\" (format TTTT-BB-HH, mis. 2026-09-15)."),
                           column=column, value=value)
    if today is not None and parsed > today:
        raise ValueProblem(N_("%(column)s %(value)s ada di masa depan."), column=column, value=parsed.isoformat())
    if parsed.year < 2000:
        raise ValueProblem(N_("%(column)s %(value)s terlalu lama (sebelum tahun 2000)."), column=column,
                           value=parsed.isoformat())
    return parsed


def check_point(lat: float, lng: float, bbox: Bbox = JATENG) -> None:
    """Raise ValueProblem when (lat, lng) is swapped, out of range, or outside the expected area."""
    if not bbox.contains(lat, lng) and bbox.contains(lng, lat):
        raise ValueProblem(N_("lat dan lng tertukar (lat=%(lat)s, lng=%(lng)s): di %(area)s lat sekitar "
                              "%(lat_min)s..%(lat_max)s dan lng %(lng_min)s..%(lng_max)s."),
                           lat=_num(lat), lng=_num(lng), **_bbox_params(bbox))
    if not (-90 <= lat <= 90) or not (-180 <= lng <= 180):
        raise ValueProblem(N_("Koordinat di luar rentang (lat=%(lat)s, lng=%(lng)s): lat harus -90..90 dan lng -180..180."),
                           lat=_num(lat), lng=_num(lng))
    if not bbox.contains(lat, lng):
        raise ValueProblem(N_("Koordinat (lat=%(lat)s, lng=%(lng)s) di luar wilayah %(area)s (lat %(lat_min)s..%(lat_max)s, "
                              "lng %(lng_min)s..%(lng_max)s)."),
                           lat=_num(lat), lng=_num(lng), **_bbox_params(bbox))


def parse_point(lat_value: str, lng_value: str, bbox: Bbox = JATENG, required: bool = True) -> Optional[tuple[float, float]]:
    """(lat, lng) from two cells, checked against `bbox`; None when both are empty and not required."""
    if lat_value == "" and lng_value == "":
        if required:
            raise ValueProblem(N_("lat dan lng wajib diisi."))
        return None
    if lat_value == "" or lng_value == "":
        raise ValueProblem(N_("lat dan lng harus diisi keduanya atau dikosongkan keduanya."))
    lat, lng = parse_float(lat_value, "lat"), parse_float(lng_value, "lng")
    check_point(lat, lng, bbox)
    return lat, lng


_CONTROL_RE = re.compile(r"[\x00-\x1f]")
_CONTROL_MULTILINE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_length(value: str, column: str, maximum: int, required: bool = True, multiline: bool = False) -> str:
    if required and value == "":
        raise ValueProblem(N_("%(column)s wajib diisi."), column=column)
    if len(value) > maximum:
        raise ValueProblem(N_("%(column)s terlalu panjang (%(length)d karakter, maks. %(max)d)."),
                           column=column, length=len(value), max=maximum)
    if (_CONTROL_MULTILINE_RE if multiline else _CONTROL_RE).search(value):
        raise ValueProblem(N_("%(column)s berisi karakter kontrol yang tidak diizinkan."), column=column)
    return value


def _num(x: float) -> str:
    return f"{x:g}"


def _bbox_params(bbox: Bbox) -> dict:
    return {"area": bbox.name, "lat_min": _num(bbox.lat_min), "lat_max": _num(bbox.lat_max),
            "lng_min": _num(bbox.lng_min), "lng_max": _num(bbox.lng_max)}


def duplicate_problem(line: int, what: str, value: str, first_line: int) -> Problem:
    return Problem(line, N_("%(what)s %(value)s ganda: sudah ada di baris %(first)d."),
                   {"what": what, "value": value, "first": first_line})


@dataclass
class ImportReport:
    """What an import found (and, when committed, did): counts, bad rows, warnings, notes."""

    kind: str
    filename: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    samples: list[tuple[str, str, str]] = field(default_factory=list)  # (action, key, nama)
    committed: bool = False
    batch_id: Optional[int] = None
    # How many errors / warnings were found in all, when more than PROBLEM_LIMIT are listed (see `cap`).
    error_count: int = 0
    warning_count: int = 0
    # Keep the valid rows: bad rows are refused one by one (`refused` of them, listed in `rejects`, the
    # refused rows with their reasons) instead of refusing the whole file.
    valid_only: bool = False
    refused: int = 0
    rejects: Optional[bytes] = None
    rejects_ext: str = "csv"

    @property
    def ok(self) -> bool:
        """Whether the file may be stored: no error at all, or (valid rows only) none with the file itself."""
        if self.valid_only:
            return not any(p.refuses_file for p in self.errors)
        return not self.errors

    def cap(self, limit: int = PROBLEM_LIMIT) -> None:
        """Keep the first `limit` errors and warnings (problems with the whole file first, then by line);
        the counts keep the totals."""
        self.error_count, self.warning_count = len(self.errors), len(self.warnings)
        self.errors = sorted(self.errors, key=lambda p: (not p.refuses_file, p.line))[:limit]
        self.warnings = self.warnings[:limit]

    @property
    def errors_left_off(self) -> int:
        return max(self.error_count - len(self.errors), 0)

    @property
    def warnings_left_off(self) -> int:
        return max(self.warning_count - len(self.warnings), 0)

    @property
    def changed(self) -> int:
        return self.added + self.updated


SAMPLE_LIMIT = 20


def chunks(items: Sequence, size: int = 500) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# A callback told how many more rows are done (the CLI's progress line); None: nobody is watching.
Tick = Optional[Callable[[int], None]]


def counted(items: Iterable, tick: Tick, every: int = 1000) -> Iterator:
    """Yield `items`, telling `tick` every `every` items how far the loop has got."""
    if tick is None:
        yield from items
        return
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == every:
            tick(pending)
            pending = 0
    if pending:
        tick(pending)


# ---------------------------------------------------------------- refused rows

REASON_COLUMN = "alasan"


def reasons_by_line(problems: Iterable[Problem]) -> dict[int, str]:
    """{line: its reasons joined by "; "} for the problems that refuse a row (not the file)."""
    out: dict[int, list[str]] = defaultdict(list)
    for p in problems:
        if not p.refuses_file and p.message not in out[p.line]:
            out[p.line].append(p.message)
    return {line: "; ".join(messages) for line, messages in out.items()}


def rejects_csv(data: bytes, reasons: Mapping[int, str]) -> bytes:
    """The refused records of a CSV file, as they were (same header and delimiter), plus an `alasan`
    column; records are found by the line they start on, counted as `read_csv` counts them."""
    text, _problems = decode_utf8(data)
    out = io.StringIO()
    if text is None:
        return b""
    end = text.find("\n")
    delimiter = sniff_delimiter(text[:end] if end >= 0 else text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    header = next(reader, [])
    writer.writerow([h.lstrip("\ufeff") for h in header] + [REASON_COLUMN])
    next_line = reader.line_num + 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if line in reasons:
                writer.writerow(list(record) + [reasons[line]])
    except csv.Error:
        pass  # a broken file refuses itself whole; nothing past the break was read
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # with a BOM, so Excel reads it as UTF-8
