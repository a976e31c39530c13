"""CSV and XLSX writers (pure): formula neutralisation, BOM, types, streaming in chunks."""
import csv
import io
from datetime import date, datetime, time

import openpyxl
import pytest

from outreach.coverage import exports
from outreach.coverage.exports import Column

COLUMNS = [Column("kode", "Kode"), Column("nama", "Nama"), Column("wajib_ktp", "Wajib KTP", "int"),
           Column("as_of", "Per", "date"), Column("percent", "Persen", "float")]
EVIL = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+62 812", "'+62 812"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("Desa Maju", "Desa Maju"), ("", ""), (-5, -5), (None, None), (1.5, 1.5),
])
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def rows():
    return [{"kode": "33.74.01", "nama": "Kecamatan Ngaliyan", "wajib_ktp": 1234, "as_of": date(2026, 9, 15),
             "percent": 97.5},
            {"kode": "33.74.02", "nama": EVIL, "wajib_ktp": None, "as_of": None, "percent": None},
            {"kode": "33.74.03", "nama": "Kelurahan Ngémplak Simongan", "wajib_ktp": 0, "as_of": None, "percent": 0}]


def test_csv_has_bom_header_and_neutralised_cells():
    text = exports.csv_text(COLUMNS, rows())
    assert text.startswith("\ufeff")
    data = list(csv.reader(io.StringIO(text[1:])))
    assert data[0] == ["Kode", "Nama", "Wajib KTP", "Per", "Persen"]
    assert data[1] == ["33.74.01", "Kecamatan Ngaliyan", "1234", "2026-09-15", "97.5"]
    assert data[2][1] == "'" + EVIL
    assert data[2][2:] == ["", "", ""]
    assert data[3][1] == "Kelurahan Ngémplak Simongan"
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_csv_streams_in_chunks():
    many = [{"kode": f"33.{i:05d}", "nama": "x"} for i in range(1200)]
    chunks = list(exports.csv_chunks(COLUMNS, many, chunk_rows=500))
    assert len(chunks) == 1 + 3  # header, 500, 500, 200
    assert sum(c.count("\r\n") for c in chunks) == 1201


def test_xlsx_opens_with_typed_cells_and_no_formula():
    data = exports.xlsx_bytes(COLUMNS, rows(), sheet_title="Wilayah: 33/74", notes=["Data per 15 Sep 2026"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "Wilayah  33 74"
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == ("Kode", "Nama", "Wajib KTP", "Per", "Persen")
    assert values[1][:3] == ("33.74.01", "Kecamatan Ngaliyan", 1234)
    assert values[1][3].date() == date(2026, 9, 15)
    assert values[1][4] == 97.5
    assert values[2][1] == "'" + EVIL
    assert ws.cell(row=3, column=2).data_type == "s"  # text, never a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert values[3][1] == "Kelurahan Ngémplak Simongan"
    assert values[-1][0] == "Data per 15 Sep 2026"
    assert ws.freeze_panes == "A2"
    assert ws.cell(row=1, column=1).font.bold


def test_xlsx_drops_control_characters_and_handles_times():
    cols = [Column("nama", "Nama"), Column("at", "Pada", "datetime"), Column("t", "Jam", "time")]
    data = exports.xlsx_bytes(cols, [{"nama": "a\x00b\x07c", "at": datetime(2026, 9, 15, 8, 30), "t": time(9, 0)}])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    row = list(ws.iter_rows(min_row=2, values_only=True))[0]
    assert row[0] == "abc"
    assert row[1] == datetime(2026, 9, 15, 8, 30)


def test_columns_of_the_three_exports_read_objects_and_mappings():
    class Figures:
        kode, nama, level_label, wajib_ktp = "33.74", "Kota Uji", "Kabupaten/Kota", 10
        sudah_rekam_official, official_as_of, recorded_since, sudah_rekam_estimated = 5, date(2026, 1, 1), 2, 7
        backlog, known_away, reachable_backlog, percent_recorded = 3, 1, 2, 70.0
        away_luar_negeri = 1

    cols = exports.area_columns(away_reasons=[("luar_negeri", "Luar negeri")])
    text = exports.csv_text(cols, [Figures()])
    header, row = list(csv.reader(io.StringIO(text[1:])))
    assert "Di luar daerah: Luar negeri" in header
    assert dict(zip(header, row))["Backlog terjangkau"] == "2"
    assert dict(zip(header, row))["Sudah rekam (perkiraan)"] == "7"
    s_cols = exports.session_columns()
    s_text = exports.csv_text(s_cols, [{"id": 7, "kits": ["KIT-A", "KIT-B"], "notes": "@here"}])
    s_row = dict(zip(*list(csv.reader(io.StringIO(s_text[1:])))))
    assert s_row["Alat"] == "KIT-A, KIT-B" and s_row["Catatan"] == "'@here"
    l_cols = exports.log_columns(groups=[("umum", "Umum")])
    assert "Terekam: Umum" in [c.header for c in l_cols]


def test_export_filename_is_ascii():
    assert exports.export_filename("wilayah", "33.74", date(2026, 9, 15), "csv") == "wilayah-33.74-2026-09-15.csv"
    assert exports.export_filename("log", "../x", date(2026, 9, 15), "xlsx") == "log-wilayah-2026-09-15.xlsx"


TOTALLED = [Column("kode", "Kode"), Column("nama", "Nama"), Column("wajib_ktp", "Wajib KTP", "int", total="sum"),
            Column("sudah", "Sudah", "int", total="sum"),
            Column("percent", "Persen", "float", total=exports.ratio("sudah", "wajib_ktp", 100, 2)),
            Column("jam", "Jam", "float", total="sum")]


def totalled_rows():
    return [{"kode": "1", "nama": "A", "wajib_ktp": 300, "sudah": 200, "percent": 66.67, "jam": 1.25},
            {"kode": "2", "nama": "B", "wajib_ktp": None, "sudah": 0, "percent": None, "jam": 2.5},
            {"kode": "3", "nama": "C", "wajib_ktp": 100, "sudah": 99, "percent": 99.0, "jam": 0.0}]


def test_indonesian_csv_uses_semicolons_and_decimal_commas():
    text = exports.csv_text(TOTALLED, totalled_rows(), dialect="id")
    data = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert data[0] == ["Kode", "Nama", "Wajib KTP", "Sudah", "Persen", "Jam"]
    assert data[1] == ["1", "A", "300", "200", "66,67", "1,25"]
    assert ";" in text.splitlines()[1] and "66.67" not in text
    # The international dialect is unchanged: commas between cells, a decimal point.
    assert list(csv.reader(io.StringIO(exports.csv_text(TOTALLED, totalled_rows())[1:])))[1][4] == "66.67"


def test_total_row_sums_counts_and_recomputes_rates():
    rows = list(exports.with_total(TOTALLED, totalled_rows(), "nama", "Jumlah"))
    assert len(rows) == 4
    total = rows[-1]
    assert total["nama"] == "Jumlah" and total.get("kode") is None
    assert (total["wajib_ktp"], total["sudah"], total["jam"]) == (400, 299, 3.75)
    assert total["percent"] == 74.75  # 299 / 400, not the sum (or mean) of the rows' percentages
    empty = list(exports.with_total(TOTALLED, [], "nama", "Jumlah"))
    assert empty[0]["wajib_ktp"] == 0 and empty[0]["percent"] is None


def test_xlsx_total_row_is_bold_and_typed():
    body = exports.xlsx_bytes(TOTALLED, exports.with_total(TOTALLED, totalled_rows(), "nama", "Jumlah"))
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    last = [c for c in ws[5]]
    assert [c.value for c in last] == [None, "Jumlah", 400, 299, 74.75, 3.75]
    assert all(c.font.bold for c in last) and not ws.cell(row=2, column=2).font.bold
