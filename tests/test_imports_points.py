"""Sites checked by geometry: points outside their own kecamatan, schools without kode_kecamatan, shared NPSN."""
import csv
import io
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.models import Site
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

REGIONS = """kode,nama,level,parent_kode,lat,lng
33.74,Kota Semarang,kabupaten,,-7.0,110.4
33.74.01,Semarang Tengah,kecamatan,33.74,-6.985,110.415
33.74.01.1001,Miroto,desa,33.74.01,-6.985,110.405
33.74.01.1002,Sekayu,desa,33.74.01,-6.985,110.425
33.74.02,Semarang Utara,kecamatan,33.74,-6.965,110.415
33.74.02.1001,Bulu Lor,desa,33.74.02,-6.965,110.405
"""
SCHOOL_HEADER = ("npsn,nama,jenjang,status,kode_kecamatan,nama_kecamatan,kode_kabupaten,kode_kecamatan_kemdikbud,"
                 "kode_kecamatan_titik,lat,lng\n")


def box(lng0, lat0, lng1, lat1):
    return {"type": "Polygon", "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]]}


# Semarang Tengah lies between lat -6.99 and -6.98, Semarang Utara north of it up to -6.95.
KECAMATAN = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"kode": "33.74.01"}, "geometry": box(110.40, -6.99, 110.43, -6.98)},
    {"type": "Feature", "properties": {"kode": "33.74.02"}, "geometry": box(110.40, -6.98, 110.43, -6.95)},
]}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def invoke(runner, *args):
    result = runner.invoke(args=[str(a) for a in args])
    return result


@pytest.fixture()
def regions(runner, db, tmp_path):
    assert invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS)).exit_code == 0


@pytest.fixture()
def boundaries(runner, regions, tmp_path):
    result = invoke(runner, "import-boundaries", write(tmp_path, "kec.geojson", json.dumps(KECAMATAN)))
    assert result.exit_code == 0, result.output


def site(db, **where):
    db.session.expire_all()
    return db.session.scalars(sa.select(Site).filter_by(**where)).one()


def test_school_outside_its_kecamatan_is_reported_and_stored_approximate(runner, db, tmp_path, boundaries):
    schools = SCHOOL_HEADER + (
        "20300001,SMA NEGERI 1,SMA,negeri,33.74.01,X,33.74,030101,33.74.02,-6.95,110.41\n"   # 3.3 km north
        "20300002,SMA NEGERI 2,SMA,negeri,33.74.01,X,33.74,030101,33.74.01,-6.9855,110.424\n")  # inside
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools))
    assert result.exit_code == 0, result.output
    assert ("Peringatan: baris 2: Titik SMA NEGERI 1 berada 3,3 km di luar Kecamatan Semarang Tengah, di dalam "
            "Kecamatan Semarang Utara; disimpan sebagai koordinat perkiraan di titik pusat desa/kecamatan.") \
        in result.output
    moved = site(db, npsn="20300001")
    assert (moved.kecamatan_kode, moved.desa_kode, moved.lat, moved.lng, moved.coords_approximate) == \
        ("33.74.01", "33.74.01.1001", -6.985, 110.405, True)
    inside = site(db, npsn="20300002")
    assert (inside.lat, inside.lng, inside.coords_approximate) == (-6.9855, 110.424, False)
    # Idempotent: the same file again changes nothing.
    again = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools))
    assert "0 ditambah, 0 diperbarui, 2 tidak berubah" in again.output


def test_accept_points_keeps_the_point_and_tolerance_is_a_setting(app, runner, db, tmp_path, boundaries):
    schools = SCHOOL_HEADER + "20300001,SMA NEGERI 1,SMA,negeri,33.74.01,X,33.74,030101,,-6.95,110.41\n"
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools), "--accept-points")
    assert result.exit_code == 0, result.output
    assert "3,3 km di luar Kecamatan Semarang Tengah" in result.output and "titik diterima apa adanya" in result.output
    kept = site(db, npsn="20300001")
    assert (kept.lat, kept.lng, kept.coords_approximate) == (-6.95, 110.41, False)
    app.config["IMPORT_POINT_TOLERANCE_M"] = 5000
    try:
        quiet = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools))
    finally:
        app.config.pop("IMPORT_POINT_TOLERANCE_M")
    assert "di luar Kecamatan" not in quiet.output
    assert site(db, npsn="20300001").coords_approximate is False


def test_generic_site_outside_its_kecamatan(runner, db, tmp_path, boundaries):
    sites = ("type,nama,desa_kode,lat,lng\n"
             "balai_desa,Balai Sekayu,33.74.01.1002,-6.96,110.42\n")
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", sites))
    assert result.exit_code == 0, result.output
    assert "Titik Balai Sekayu berada 2,2 km di luar Kecamatan Semarang Tengah, di dalam Kecamatan Semarang Utara" \
        in result.output
    balai = site(db, nama="Balai Sekayu")
    assert (balai.lat, balai.lng, balai.coords_approximate) == (-6.985, 110.425, True)


def test_school_without_kode_kecamatan_is_placed_by_its_point(runner, db, tmp_path, boundaries):
    schools = SCHOOL_HEADER + (
        "20300003,SD NEGERI 3,SD,negeri,,,33.74,030101,,-6.97,110.41\n"          # in Semarang Utara by boundary
        "20300004,SD NEGERI 4,SD,negeri,,,33.74,030101,,-7.05,110.41\n"         # in no kecamatan: refused
        "20300007,SD NEGERI 7,SD,negeri,,,33.74,030101,,,\n")                   # no point either: refused
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools), "--valid-only")
    assert result.exit_code == 0, result.output
    assert "Catatan: 1 sekolah tanpa kode_kecamatan ditempatkan di kecamatan yang memuat titiknya" in result.output
    placed = site(db, npsn="20300003")
    assert (placed.kecamatan_kode, placed.desa_kode, placed.coords_approximate) == ("33.74.02", "33.74.02.1001", False)
    rejects = list(csv.DictReader(io.StringIO((tmp_path / "sekolah.ditolak.csv").read_text("utf-8-sig"))))
    assert [r["npsn"] for r in rejects] == ["20300004", "20300007"]
    assert "kode_kecamatan sekolah 20300004 kosong dan titiknya tidak berada" in rejects[0]["alasan"]
    assert rejects[1]["alasan"] == ("kode_kecamatan sekolah 20300007 kosong dan sekolah ini tidak berkoordinat; isi "
                                    "kode_kecamatan atau lat/lng.")


def test_school_without_kode_kecamatan_uses_kode_kecamatan_titik(runner, db, tmp_path, regions):
    schools = SCHOOL_HEADER + "20300005,SD NEGERI 5,SD,negeri,,,33.74,030101,33.74.02,-6.966,110.406\n"
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools))
    assert result.exit_code == 0, result.output
    assert site(db, npsn="20300005").desa_kode == "33.74.02.1001"


def test_shared_npsn_is_a_warning_or_a_refused_row(runner, db, tmp_path, regions):
    schools = SCHOOL_HEADER + (
        "10263519,SMK SWASTA KESEHATAN EFARINA,SMK,swasta,33.74.01,X,33.74,1,,-6.985,110.41\n"
        "20300006,SD NEGERI 6,SD,negeri,33.74.01,X,33.74,1,,-6.985,110.42\n"
        "10263519,SMK SWASTA PLUS KESEHATAN EFARINA,SMK,swasta,33.74.02,X,33.74,1,,-6.965,110.41\n")
    message = ("npsn 10263519 dipakai dua sekolah: baris 2 (SMK SWASTA KESEHATAN EFARINA) dan baris 4 (SMK SWASTA "
               "PLUS KESEHATAN EFARINA); hanya baris 2 yang disimpan.")
    whole = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools))
    assert whole.exit_code == 0, whole.output  # not fatal to the file
    assert f"Peringatan: baris 4: {message}" in whole.output
    assert site(db, npsn="10263519").nama == "SMK SWASTA KESEHATAN EFARINA"
    valid_only = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", schools), "--valid-only")
    assert valid_only.exit_code == 0 and "1 ditolak" in valid_only.output
    rejects = list(csv.DictReader(io.StringIO((tmp_path / "sekolah.ditolak.csv").read_text("utf-8-sig"))))
    assert [(r["nama"], r["alasan"]) for r in rejects] == [("SMK SWASTA PLUS KESEHATAN EFARINA", message)]


def test_kecamatan_area_from_its_desa_boundaries():
    import shapely

    from outreach.imports.points import KecamatanAreas, km_text

    desa = {"33.74.01.1001": shapely.box(110.40, -6.99, 110.41, -6.98),
            "33.74.01.1002": shapely.box(110.41, -6.99, 110.43, -6.98),
            "33.74.02.1001": shapely.box(110.40, -6.98, 110.43, -6.95)}
    areas = KecamatanAreas.build({}, desa, {k: k[:8] for k in desa})
    found = areas.outside([("33.74.01", -6.985, 110.42),     # another desa of its own kecamatan: inside
                           ("33.74.01", -6.9755, 110.42),    # 500 m north: within the tolerance
                           ("33.74.01", -6.96, 110.42),      # 2.2 km north, in Semarang Utara
                           ("33.74.01", -7.10, 110.42),      # 12.2 km south, in no kecamatan
                           ("33.74.09", -6.96, 110.42)],     # a kecamatan without boundaries: not checked
                          tolerance_m=1000)
    assert found[0] is None and found[1] is None and found[4] is None
    assert (km_text(found[2].distance_m), found[2].found) == ("2,2", "33.74.02")
    assert (km_text(found[3].distance_m), found[3].found) == ("12,2", None)
