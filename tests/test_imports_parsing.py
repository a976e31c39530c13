"""The pure import modules, tested without the app or a database."""
from datetime import date

import pytest
import shapely

from outreach.imports import boundaries, regions, sites, targets
from outreach.imports.common import (INDONESIA, JATENG, ValueProblem, check_point, decode_utf8, parse_count, parse_date,
                                     parse_float, read_csv)

HEADER = "kode,nama,level,parent_kode,lat,lng\n"


def csv_bytes(*lines, header=HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


def messages(problems):
    return [(p.line, p.message) for p in problems]


# ---------------------------------------------------------------- reading files

def test_utf8_with_bom_and_semicolons_is_read():
    data = "\ufeffkode;nama\n33.01;Kabupaten Cilacap\n".encode("utf-8")
    read = read_csv(data, ("kode", "nama"))
    assert not read.errors
    assert read.table.delimiter == ";"
    assert read.table.rows == [(2, {"kode": "33.01", "nama": "Kabupaten Cilacap"})]


def test_non_utf8_bytes_are_refused_with_the_line():
    data = "kode,nama\n33.01,Cilacap\n33.02,Banyumas Caf\xe9\n".encode("latin-1")
    text, problems = decode_utf8(data)
    assert text is None
    assert problems[0].line == 3
    assert "bukan teks UTF-8" in problems[0].message and "0xE9" in problems[0].message


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_file_is_refused(data):
    read = read_csv(data, ("kode",))
    assert read.table is None
    assert read.errors[0].message == "Berkas kosong."


def test_header_only_is_refused():
    read = read_csv(b"kode,nama\n", ("kode", "nama"))
    assert "tidak berisi baris data" in read.errors[0].message


def test_missing_and_unknown_columns():
    read = read_csv(b"code,nama\n1,a\n", ("kode", "nama"))
    assert read.table is None
    assert read.errors[0].line == 1
    assert "Kolom wajib tidak ada: kode" in read.errors[0].message
    read = read_csv(b"kode,nama,catatan\n33.01,a,x\n", ("kode", "nama"))
    assert not read.errors
    assert "catatan" in read.warnings[0].message


def test_duplicate_column_names_and_wrong_field_count():
    assert "ganda" in read_csv(b"kode,kode\n1,2\n", ("kode",)).errors[0].message
    read = read_csv(b"kode,nama\n33.01,a\n33.02,b,extra\n", ("kode", "nama"))
    assert messages(read.errors) == [(3, 'Jumlah kolom 3, seharusnya 2 (pemisah kolom: ",").')]


def test_line_numbers_follow_quoted_multiline_fields():
    data = b'kode,nama\n33.01,"dua\nbaris"\n33.02,b,c\n'
    read = read_csv(data, ("kode", "nama"))
    assert read.table.rows[0][0] == 2
    assert read.errors[0].line == 4


def test_value_parsers():
    assert parse_count(" 1200 ", "wajib_ktp") == 1200
    with pytest.raises(ValueProblem, match="tidak boleh negatif"):
        parse_count("-5", "wajib_ktp")
    with pytest.raises(ValueProblem, match="bilangan bulat"):
        parse_count("12,5", "wajib_ktp")
    assert parse_float("-7,25", "lat") == -7.25
    assert parse_date("15/09/2026", "as_of") == date(2026, 9, 15)
    with pytest.raises(ValueProblem, match="masa depan"):
        parse_date("2030-01-01", "as_of", today=date(2026, 9, 15))
    with pytest.raises(ValueProblem, match="bukan tanggal"):
        parse_date("kemarin", "as_of")


def test_coordinates_swapped_out_of_range_or_outside_the_province():
    check_point(-7.0, 110.4, JATENG)
    with pytest.raises(ValueProblem, match="tertukar"):
        check_point(110.4, -7.0, JATENG)
    with pytest.raises(ValueProblem, match="di luar rentang"):
        check_point(-97.0, 110.4, JATENG)
    with pytest.raises(ValueProblem, match="di luar wilayah Jawa Tengah"):
        check_point(-6.6, 106.8, JATENG)  # Bogor


# ---------------------------------------------------------------- regions

GOOD_REGIONS = csv_bytes(
    "33.74,Kota Semarang,kabupaten,,-7.0,110.4",
    "33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42",
    "33.74.01.1001,Miroto,desa,33.74.01,-6.98,110.41",
)


def test_regions_parse_derives_kind_parent_and_ancestors():
    parsed = regions.parse_regions(GOOD_REGIONS)
    assert not parsed.errors
    values = {r.kode: r.values() for r in parsed.rows}
    assert values["33.74"]["kind"] == "kota" and values["33.74"]["parent_kode"] == "33"
    # The file has no province row: the province comes from the official list, with its own name.
    assert values["33"] | {} == {**values["33"], "nama": "Jawa Tengah", "level": "provinsi", "parent_kode": None}
    assert [str(w) for w in parsed.warnings] == [
        "Baris provinsi 33 tidak ada di berkas: Provinsi Jawa Tengah dibuat dari daftar resmi Kemendagri."]
    assert values["33.74.01.1001"]["kind"] == "kelurahan"
    assert values["33.74.01.1001"]["parent_kode"] == "33.74.01"
    assert values["33.74.01.1001"]["kecamatan_kode"] == "33.74.01"
    assert values["33.74.01.1001"]["kabupaten_kode"] == "33.74"


def test_regions_children_before_parents_in_the_file_are_fine_and_sorted():
    data = csv_bytes("33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42", "33.74,Kota Semarang,kabupaten,,-7.0,110.4")
    parsed = regions.parse_regions(data)
    assert not parsed.errors
    assert [r.kode for r in parsed.rows] == ["33", "33.74", "33.74.01"]


def test_regions_file_with_its_province_row_or_a_known_province_adds_none():
    with_row = regions.parse_regions(csv_bytes("35,Jawa Timur,provinsi,,-7.7,112.7",
                                               "35.78,Kota Surabaya,kabupaten,35,-7.27,112.71"), bbox=INDONESIA)
    assert not with_row.errors and not with_row.warnings
    assert {r.kode: r.nama for r in with_row.rows} == {"35": "Jawa Timur", "35.78": "Kota Surabaya"}
    known = regions.parse_regions(csv_bytes("33.74,Kota Semarang,kabupaten,,-7.0,110.4"), known_codes={"33"})
    assert [r.kode for r in known.rows] == ["33.74"] and known.rows[0].parent_kode == "33"


def test_regions_file_of_a_province_outside_the_official_list_is_refused_once():
    parsed = regions.parse_regions(csv_bytes("99.01,Kabupaten Khayalan,kabupaten,,-7.0,110.4",
                                             "99.02,Kabupaten Rekaan,kabupaten,,-7.0,110.4"))
    assert [str(e) for e in parsed.errors] == [
        "baris 2: Provinsi 99 dari 99.01 tidak ada di daftar resmi 38 provinsi; tambahkan baris provinsinya ke berkas."]


def test_regions_province_row_becomes_the_parent_of_kabupaten():
    data = csv_bytes("33,Jawa Tengah,provinsi,,-7.2,110.1", "33.74,Kota Semarang,kabupaten,,-7.0,110.4")
    parsed = regions.parse_regions(data)
    assert not parsed.errors
    by = {r.kode: r for r in parsed.rows}
    assert by["33"].level == "provinsi" and by["33"].parent_kode is None
    assert by["33.74"].parent_kode == "33"


def test_regions_bad_rows_each_get_line_and_reason():
    data = csv_bytes(
        "33.74,Kota Semarang,kabupaten,,-7.0,110.4",               # 2 ok
        "33.74,Kota Semarang Lagi,kabupaten,,-7.0,110.4",          # 3 duplicate
        "33.99.01,Antah,kecamatan,33.99,-7.0,110.4",                # 4 parent missing
        "33.74.02,Tertukar,kecamatan,33.74,110.4,-7.0",             # 5 swapped
        "33.74.03,Jauh,kecamatan,33.74,-95,110.4",                  # 6 out of range
        "33.7X,Rusak,kabupaten,,-7.0,110.4",                        # 7 bad code
        "33.74.04,,kecamatan,33.74,-7.0,110.4",                     # 8 no name
        "33.74.05,Salah Level,desa,33.74,-7.0,110.4",               # 9 level mismatch
        "33.74.06,Salah Induk,kecamatan,33.75,-7.0,110.4",          # 10 parent mismatch
        "33.74.07,Setengah,kecamatan,33.74,-7.0,",                  # 11 half a point
    )
    parsed = regions.parse_regions(data)
    got = dict(messages(parsed.errors))
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "ganda" in got[3] and "baris 2" in got[3]
    assert "Induk 33.99 dari 33.99.01 tidak ditemukan" in got[4]
    assert "tertukar" in got[5]
    assert "di luar rentang" in got[6]
    assert "format Kemendagri" in got[7]
    assert got[8] == "nama wajib diisi."
    assert "tidak cocok dengan kode" in got[9]
    assert "parent_kode 33.75 tidak cocok" in got[10]
    assert "keduanya" in got[11]


def test_regions_parent_may_come_from_the_database():
    data = csv_bytes("33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42")
    assert regions.parse_regions(data).errors
    parsed = regions.parse_regions(data, known_codes={"33.74"})
    assert not parsed.errors and parsed.rows[0].parent_kode == "33.74"


def test_regions_html_in_a_name_is_kept_as_is():
    data = csv_bytes('33.74,"<script>alert(1)</script> Kota",kabupaten,,-7.0,110.4')
    parsed = regions.parse_regions(data)
    assert {r.kode: r.nama for r in parsed.rows}["33.74"] == "<script>alert(1)</script> Kota"


def test_regions_plan_splits_added_updated_unchanged():
    rows = regions.parse_regions(GOOD_REGIONS).rows
    existing = {r.kode: r.values() for r in rows}
    existing["33.74.01"] = {**existing["33.74.01"], "nama": "Nama Lama"}
    del existing["33.74.01.1001"]
    plan = regions.plan_regions(rows, existing)
    assert [i["kode"] for i in plan.inserts] == ["33.74.01.1001"]
    assert [u["kode"] for u in plan.updates] == ["33.74.01"]
    assert plan.unchanged == 2  # the province (from the official list) and the kota
    assert ("updated", "33.74.01", "Semarang Tengah") in plan.samples


# ---------------------------------------------------------------- boundaries

def square(lng, lat, size=0.01):
    return [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]]


def feature(kode, coords, kind="Polygon"):
    return {"type": "Feature", "properties": {"kode": kode}, "geometry": {"type": kind, "coordinates": coords}}


def geojson(*features) -> bytes:
    import json
    return json.dumps({"type": "FeatureCollection", "name": "uji", "features": list(features)}, indent=1).encode()


def test_boundaries_streamed_and_compacted():
    data = geojson(feature("33.74.01.1001", square(110.40, -7.0)), feature("33.74.01", square(110.3, -7.1, 0.2)))
    parsed = boundaries.parse_boundaries(data, {"33.74.01.1001", "33.74.01"})
    assert not parsed.errors
    assert [r.kode for r in parsed.rows] == ["33.74.01.1001", "33.74.01"]
    assert parsed.rows[0].geometry.startswith('{"type":"Polygon","coordinates":[[[110.4,-7.0]')


def test_boundaries_bad_features():
    bowtie = [[[110.40, -7.0], [110.41, -6.99], [110.41, -7.0], [110.40, -6.99], [110.40, -7.0]]]
    data = geojson(
        feature("33.74.01.1001", square(110.40, -7.0)),
        feature("33.74.01.1001", square(110.40, -7.0)),           # 2 duplicate
        feature("33.99.99.9999", square(110.40, -7.0)),           # 3 unknown region
        {"type": "Feature", "properties": {}, "geometry": None},   # 4 no kode
        feature("33.74.01.1002", [[[-7.0, 110.4], [-6.99, 110.4], [-6.99, 110.41], [-7.0, 110.4]]]),  # 5 swapped
        feature("33.74.01.1003", [110.4, -7.0], kind="Point"),   # 6 not a polygon
        feature("33.74.01.1004", bowtie),                         # 7 invalid: repaired with a warning
    )
    known = {"33.74.01.1001", "33.74.01.1002", "33.74.01.1003", "33.74.01.1004"}
    parsed = boundaries.parse_boundaries(data, known)
    got = dict(messages(parsed.errors))
    assert sorted(got) == [2, 3, 4, 5, 6]
    assert "ganda" in got[2]
    assert "tidak ada di basis data" in got[3]
    assert "properti \"kode\"" in got[4]
    assert "tertukar" in got[5]
    assert "Polygon atau MultiPolygon" in got[6]
    assert [w.line for w in parsed.warnings] == [7] and parsed.repaired == 1
    repaired = next(r for r in parsed.rows if r.kode == "33.74.01.1004")
    assert shapely.from_geojson(repaired.geometry).is_valid


@pytest.mark.parametrize("data,fragment", [
    (b'{"type":"FeatureCollection","features":[{"type":"Feature"', "GeoJSON rusak"),
    (b'{"type":"Feature","geometry":null}', "FeatureCollection"),
    (b'[1,2]', "GeoJSON rusak"),
    (b'{"type":"FeatureCollection","features":[]}', "tidak berisi satu fitur"),
])
def test_boundaries_broken_files(data, fragment):
    parsed = boundaries.parse_boundaries(data, set())
    assert not parsed.rows
    assert fragment in parsed.errors[0].message


def test_boundaries_plan_is_idempotent():
    data = geojson(feature("33.74.01.1001", square(110.40, -7.0)))
    rows = boundaries.parse_boundaries(data, {"33.74.01.1001"}).rows
    first = boundaries.plan_boundaries(rows, {})
    assert first.added == 1 and first.updates[0]["has_boundary"] is True
    again = boundaries.plan_boundaries(rows, {"33.74.01.1001": (rows[0].geometry, True)})
    assert (again.added, again.updated, again.unchanged, again.updates) == (0, 0, 1, [])


# ---------------------------------------------------------------- sites

SITE_HEADER = "type,nama,desa_kode,lat,lng,rt,rw,contact_phone,npsn,jenjang\n"


def site_table(*lines):
    read = read_csv(csv_bytes(*lines, header=SITE_HEADER), sites.GENERIC_REQUIRED, sites.GENERIC_OPTIONAL)
    assert not read.errors, read.errors
    return read.table


def test_generic_sites_parse_and_validate():
    table = site_table(
        "rt_rw,RT 03 RW 05 Miroto,33.74.01.1001,-6.98,110.41,3,5,0812-3456-789,,",   # 2 ok
        "RT/RW,RT 01,33.74.01.1001,-6.98,110.41,,5,,,",                              # 3 rt missing
        "pabrik,Pabrik,33.74.01.1001,-6.98,110.41,,,,,",                              # 4 unknown type
        "balai desa,Balai,33.74.01,-6.98,110.41,,,,,",                                # 5 not a desa code
        "sekolah,SMA 1,33.74.01.1001,-6.98,110.41,,,,2030,SMA",                       # 6 bad npsn
        "sekolah,SMA 2,33.74.01.1001,-6.98,110.41,,,,20301234,KULIAH",                # 7 bad jenjang
        "rumah,Rumah Bu Sri,33.74.01.1001,110.41,-6.98,,,,,",                         # 8 swapped
        "balai_desa,Balai,33.74.01.1001,-6.98,110.41,,,telp kantor,,",                # 9 bad phone
        "sekolah,SMA 3,33.74.01.1001,-6.98,110.41,,,,20301235,sma",                   # 10 ok
        "sekolah,SMA 3 lagi,33.74.01.1001,-6.98,110.41,,,,20301235,SMA",              # 11 duplicate npsn
        "balai_desa,Balai,33.74.01.1001,-6.98,110.41,,,,20301236,",                   # 12 npsn not a school
    )
    rows, errors, skipped = sites.parse_generic(table)
    got = dict(messages(errors))
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert "rt dan rw" in got[3]
    assert "type \"pabrik\" tidak dikenal" in got[4]
    assert "bukan kode desa" in got[5]
    assert "npsn \"2030\"" in got[6]
    assert "jenjang \"KULIAH\"" in got[7]
    assert "tertukar" in got[8]
    assert "bukan nomor telepon" in got[9]
    assert "ganda" in got[11]
    assert "hanya untuk lokasi bertipe sekolah" in got[12]
    by_line = {r.line: r for r in rows}
    assert by_line[2].values["type"] == "rt_rw" and (by_line[2].values["rt"], by_line[2].values["rw"]) == (3, 5)
    assert by_line[2].key == ("nama", "33.74.01.1001", "rt_rw", "rt 03 rw 05 miroto")
    assert by_line[10].values["jenjang"] == "SMA" and by_line[10].key == ("npsn", "20301235")
    assert skipped == 0


def test_generic_sites_jenjang_filter_only_skips_schools():
    table = site_table("sekolah,SD 1,33.74.01.1001,-6.98,110.41,,,,20301237,SD",
                       "balai_desa,Balai,33.74.01.1001,-6.98,110.41,,,,,")
    rows, errors, skipped = sites.parse_generic(table, jenjang=frozenset({"SMA"}))
    assert not errors and skipped == 1 and [r.values["type"] for r in rows] == ["balai_desa"]


def test_generic_sites_unknown_desa_and_point_outside_boundary():
    table = site_table("balai_desa,Balai A,33.74.01.1001,-6.98,110.41,,,,,", "balai_desa,Balai B,33.74.01.1009,-6.98,110.41,,,,,",
                       "balai_desa,Balai C,33.74.01.1001,-7.5,110.9,,,,,")
    rows, _, _ = sites.parse_generic(table)
    shape = shapely.Polygon(square(110.40, -6.99, 0.02)[0])
    kept, errors, warnings = sites.check_generic_desa(rows, {"33.74.01.1001"}, {"33.74.01.1001": shape})
    assert messages(errors) == [(3, "Desa/kelurahan 33.74.01.1009 tidak ada di basis data. Impor wilayah dahulu.")]
    assert [w.line for w in warnings] == [4] and "di luar batas desa" in warnings[0].message
    assert len(kept) == 2


SCHOOL_HEADER = ("npsn,nama,jenjang,status,kode_kecamatan,nama_kecamatan,kode_kabupaten,kode_kecamatan_kemdikbud,"
                 "kode_kecamatan_titik,lat,lng\n")


def school_table(*lines):
    assert sites.detect_format(SCHOOL_HEADER.strip().split(",")) == "schools"
    read = read_csv(csv_bytes(*lines, header=SCHOOL_HEADER), sites.SCHOOL_REQUIRED, sites.SCHOOL_OPTIONAL,
                    sites.SCHOOL_IGNORED)
    assert not read.errors and not read.warnings
    return read.table


def locator(with_shapes=True):
    desa = [sites.DesaPoint("33.74.01.1001", "33.74.01", "Miroto", -6.985, 110.405),
            sites.DesaPoint("33.74.01.1002", "33.74.01", "Sekayu", -6.985, 110.425),
            sites.DesaPoint("33.74.02.1001", "33.74.02", "Lain", -6.965, 110.405)]
    shapes = {"33.74.01.1001": shapely.Polygon(square(110.40, -6.99)[0]),
              "33.74.01.1002": shapely.Polygon(square(110.42, -6.99)[0]),
              "33.74.02.1001": shapely.Polygon(square(110.40, -6.97)[0])} if with_shapes else {}
    return sites.DesaLocator(desa, shapes, {"33.74.01": (-6.985, 110.415)})


def test_schools_are_placed_in_a_desa_of_their_kecamatan():
    table = school_table(
        "20300001,SMA NEGERI 1,SMA,negeri,33.74.01,X,33.74,030101,33.74.01,-6.985,110.425",   # inside Sekayu
        "20300002,SMK SWASTA,SMK,swasta,33.74.01,X,33.74,030101,33.74.02,-6.965,110.405",     # in another kecamatan
        "20300003,SD NEGERI MIROTO 02,SD,negeri,33.74.01,X,33.74,030101,,,",                   # no point, name match
        "20300004,SD NEGERI 9,SD,negeri,33.74.01,X,33.74,030101,,,",                           # no point, no match
        "20300005,SLB,SLB,swasta,33.74.09,X,33.74,030101,,-6.985,110.425",                     # unknown kecamatan
    )
    rows, errors, skipped, _dups = sites.parse_schools(table)
    assert not errors
    placed, errors, stats = sites.assign_schools(rows, locator())
    by = {row.npsn: place for row, place in placed}
    assert by["20300001"] == sites.Placement("33.74.01.1002", -6.985, 110.425, False)
    assert by["20300002"].desa_kode in ("33.74.01.1001", "33.74.01.1002")  # stays in its own kecamatan
    assert by["20300003"] == sites.Placement("33.74.01.1001", -6.985, 110.405, True)
    assert by["20300004"].approximate and (by["20300004"].lat, by["20300004"].lng) == (-6.985, 110.415)
    assert messages(errors) == [(6, "Kecamatan 33.74.09 (npsn 20300005) tidak ada di basis data atau belum memiliki "
                                    "desa. Impor wilayah dahulu.")]
    assert (stats.by_boundary, stats.by_nearest_centroid, stats.outside_own_kecamatan, stats.approximate) == (1, 1, 1, 2)


def test_schools_without_boundaries_use_the_nearest_centroid():
    table = school_table("20300001,SMA NEGERI 1,SMA,negeri,33.74.01,X,33.74,030101,33.74.01,-6.984,110.424")
    rows, _, _, _ = sites.parse_schools(table)
    placed, _, stats = sites.assign_schools(rows, locator(with_shapes=False))
    assert placed[0][1].desa_kode == "33.74.01.1002" and stats.by_nearest_centroid == 1


def test_schools_jenjang_filter_and_bad_rows():
    table = school_table(
        "20300001,SMA NEGERI 1,SMA,negeri,33.74.01,X,33.74,030101,33.74.01,-6.985,110.425",
        "20300002,SD 1,SD,negeri,33.74.01,X,33.74,030101,33.74.01,-6.985,110.425",
        "20300001,SMA NEGERI 1 LAGI,SMA,negeri,33.74.01,X,33.74,030101,33.74.01,-6.985,110.425",
        "20300003,SMK,SMK,negeri,33.74.01,X,33.74,030101,33.74.01,110.425,-6.985",
        "20300004,SMK,SMK,entah,33.74.01,X,33.74,030101,33.74.01,-6.985,110.425",
    )
    assert sites.parse_jenjang_filter("sma, smk;SLB") == {"SMA", "SMK", "SLB"}
    with pytest.raises(ValueProblem):
        sites.parse_jenjang_filter("SMA,KULIAH")
    rows, errors, skipped, duplicates = sites.parse_schools(table, jenjang=sites.parse_jenjang_filter("SMA,SMK"))
    assert skipped == 1
    assert [r.npsn for r in rows] == ["20300001"]
    got = dict(messages(errors))
    assert "tertukar" in got[5] and "status \"entah\"" in got[6] and 4 not in got
    # The same NPSN twice is not an error of the file: the second row is left out, naming both lines.
    assert messages(duplicates) == [(4, "npsn 20300001 dipakai dua sekolah: baris 2 (SMA NEGERI 1) dan baris 4 "
                                        "(SMA NEGERI 1 LAGI); hanya baris 2 yang disimpan.")]


def test_sites_plan_upserts_on_npsn_and_natural_key():
    table = site_table("sekolah,SMA 3,33.74.01.1001,-6.98,110.41,,,,20301235,SMA",
                       "balai_desa,Balai Miroto,33.74.01.1001,-6.98,110.41,,,,,",
                       "rumah,Rumah Pak Budi,33.74.01.1001,-6.98,110.41,,,,,")
    rows, _, _ = sites.parse_generic(table)
    base = {"address": "", "rt": None, "rw": None, "school_status": None, "contact_name": "", "contact_phone": "",
            "notes": "", "coords_approximate": False, "kecamatan_kode": "33.74.01", "kabupaten_kode": "33.74",
            "provinsi_kode": "33", "desa_kode": "33.74.01.1001", "lat": -6.98, "lng": 110.41}
    existing = sites.ExistingSites.build([
        {**base, "id": 7, "type": "sekolah", "nama": "SMA 3", "npsn": "20301235", "jenjang": "SMA"},
        {**base, "id": 8, "type": "balai_desa", "nama": "BALAI MIROTO", "npsn": None, "jenjang": None, "lat": -6.9},
    ])
    plan = sites.plan_sites(rows, existing)
    assert plan.unchanged == 1
    assert [u["id"] for u in plan.updates] == [8] and plan.updates[0]["lat"] == -6.98
    assert [i["nama"] for i in plan.inserts] == ["Rumah Pak Budi"] and plan.inserts[0]["address"] == ""


# ---------------------------------------------------------------- targets

TARGET_HEADER = "kode,wajib_ktp,sudah_rekam,as_of\n"


def test_targets_parse_and_bad_rows():
    data = csv_bytes(
        "33.74.01.1001,1000,900,2026-09-15",     # 2 ok
        "33.74.01.1002,-3,0,2026-09-15",         # 3 negative
        "33.74.01.1003,100,120,2026-09-15",      # 4 sudah > wajib
        "33.74.01,100,10,2026-09-15",            # 5 not a desa
        "33.74.01.1001,1000,950,15/09/2026",     # 6 same desa and date
        "20301235,40,10,2026-09-15",             # 7 an NPSN in kode: a school target
        "33.74.01.1004,100,10,2099-01-01",       # 8 future
        "33.74.01.1001,1000,800,2026-03-01",     # 9 older export: fine
        header=TARGET_HEADER)
    parsed = targets.parse_targets(data, today=date(2026, 9, 20))
    got = dict(messages(parsed.errors))
    assert sorted(got) == [3, 4, 5, 6, 8]
    assert "wajib_ktp tidak boleh negatif" in got[3]
    assert got[4] == "sudah_rekam (120) melebihi wajib_ktp (100)."
    assert "bukan kode desa" in got[5]
    assert "ganda" in got[6] and "baris 2" in got[6]
    assert "masa depan" in got[8]
    school = next(r for r in parsed.rows if r.line == 7)
    assert school.npsn == "20301235" and school.kode is None


def test_targets_need_a_kode_or_npsn_column():
    parsed = targets.parse_targets(b"desa,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1,1,2026-01-01\n")
    assert "kode" in parsed.errors[0].message


def test_targets_plan_history_and_newest_wins():
    data = csv_bytes("33.74.01.1001,1000,950,2026-09-15", "33.74.01.1002,500,400,2026-03-01",
                     "33.74.01.1003,300,300,2026-09-15", "20301235,40,10,2026-09-15", header=TARGET_HEADER)
    parsed = targets.parse_targets(data)
    resolved, errors = targets.resolve_targets(parsed.rows, {"33.74.01.1001", "33.74.01.1002"},
                                               {"20301235": (7, "33.74.01.1001")})
    assert messages(errors) == [(4, "Desa/kelurahan 33.74.01.1003 tidak ada di basis data. Impor wilayah dahulu.")]
    history = {("desa", "33.74.01.1001"): {date(2026, 6, 1): (1000, 900)},
               ("desa", "33.74.01.1002"): {date(2026, 6, 1): (500, 450)}}
    current = {("desa", "33.74.01.1001"): (1000, 900, date(2026, 6, 1)),
               ("desa", "33.74.01.1002"): (500, 450, date(2026, 6, 1)), ("site", 7): None}
    plan = targets.plan_targets(resolved, history, current, default_source="impor uji.csv")
    assert (plan.added, plan.updated, plan.unchanged, plan.older) == (3, 0, 0, 1)
    assert {h["source"] for h in plan.history} == {"impor uji.csv"}
    # The March figure is history only; the September one and the school's become current.
    assert plan.region_updates == [{"kode": "33.74.01.1001", "wajib_ktp": 1000, "sudah_rekam": 950,
                                    "target_as_of": date(2026, 9, 15)}]
    assert plan.site_updates == [{"id": 7, "pemilih_pemula": 40, "pemilih_pemula_recorded": 10,
                                  "pemilih_pemula_as_of": date(2026, 9, 15)}]
    # Importing the same figures again changes nothing.
    history2 = {s: dict(h) for s, h in history.items()}
    for h in plan.history:
        subject = ("desa", h["desa_kode"]) if h["desa_kode"] else ("site", h["site_id"])
        history2.setdefault(subject, {})[h["as_of"]] = (h["wajib_ktp"], h["sudah_rekam"])
    current2 = {**current, ("desa", "33.74.01.1001"): (1000, 950, date(2026, 9, 15)), ("site", 7): (40, 10, date(2026, 9, 15))}
    again = targets.plan_targets(resolved, history2, current2)
    assert (again.added, again.updated, again.unchanged, again.history, again.region_updates, again.site_updates) == \
        (0, 0, 3, [], [], [])


def test_targets_correction_for_the_same_date_counts_as_updated():
    data = csv_bytes("33.74.01.1001,1000,960,2026-09-15", header=TARGET_HEADER)
    resolved, _ = targets.resolve_targets(targets.parse_targets(data).rows, {"33.74.01.1001"}, {})
    plan = targets.plan_targets(resolved, {("desa", "33.74.01.1001"): {date(2026, 9, 15): (1000, 950)}},
                                {("desa", "33.74.01.1001"): (1000, 950, date(2026, 9, 15))})
    assert (plan.added, plan.updated) == (0, 1)
    assert plan.region_updates[0]["sudah_rekam"] == 960


def test_control_characters_are_refused_but_notes_may_span_lines():
    from outreach.imports.common import check_length
    with pytest.raises(ValueProblem, match="karakter kontrol"):
        check_length("Desa\x07", "nama", 120)
    assert check_length("baris satu\nbaris dua\tx", "notes", 2000, required=False, multiline=True)
    with pytest.raises(ValueProblem, match="terlalu panjang"):
        check_length("x" * 121, "nama", 120)
