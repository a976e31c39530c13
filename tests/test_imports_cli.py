"""The import commands against a real database: upsert, idempotence, all-or-nothing, history."""
import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from outreach.models import ImportBatch, Region, Site, TargetCount
from tests import builders
from tests.conftest import WIB

# Imported on a Monday in December 2026: the files' SIAK dates (June, September 2026) are in the past.
pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

REGIONS = """kode,nama,level,parent_kode,lat,lng
33.74,Kota Semarang,kabupaten,,-7.0,110.4
33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42
33.74.01.1001,Miroto,desa,33.74.01,-6.985,110.405
33.74.01.1002,Sekayu,desa,33.74.01,-6.985,110.425
33.74.02,Semarang Utara,kecamatan,33.74,-6.96,110.41
33.74.02.1001,Bulu Lor,desa,33.74.02,-6.965,110.405
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def invoke(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def region(db, kode):
    db.session.expire_all()
    return db.session.get(Region, kode)


@pytest.fixture()
def regions_loaded(runner, db, tmp_path):
    result = invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS))
    assert result.exit_code == 0, result.output
    return result


# ---------------------------------------------------------------- regions

def test_import_regions_adds_then_changes_nothing(runner, db, tmp_path, regions_loaded):
    assert "Ringkasan: 7 ditambah, 0 diperbarui, 0 tidak berubah." in regions_loaded.output
    assert "Provinsi Jawa Tengah dibuat dari daftar resmi" in regions_loaded.output
    desa = region(db, "33.74.01.1001")
    assert (desa.level, desa.kind, desa.parent_kode, desa.kecamatan_kode, desa.kabupaten_kode, desa.provinsi_kode) == \
        ("desa", "kelurahan", "33.74.01", "33.74.01", "33.74", "33")
    kota = region(db, "33.74")
    assert (kota.kind, kota.parent_kode) == ("kota", "33")
    assert (region(db, "33").nama, region(db, "33").level) == ("Jawa Tengah", "provinsi")
    stamp = desa.updated_at

    again = invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS))
    assert again.exit_code == 0, again.output
    assert "Ringkasan: 0 ditambah, 0 diperbarui, 6 tidak berubah." in again.output
    assert region(db, "33.74.01.1001").updated_at == stamp
    batches = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id)).all()
    assert [(b.kind, b.filename, b.added, b.updated, b.unchanged) for b in batches] == [
        ("regions", "wilayah.csv", 7, 0, 0), ("regions", "wilayah.csv", 0, 0, 6)]


def test_import_regions_updates_changed_rows_and_adds_a_province(runner, db, tmp_path, regions_loaded):
    changed = REGIONS.replace("Miroto,desa", "Miroto Baru,desa") + "33,Jawa Tengah,provinsi,,-7.2,110.1\n"
    result = invoke(runner, "import-regions", write(tmp_path, "wilayah2.csv", changed))
    assert result.exit_code == 0, result.output
    # the province row (made from the official list at the first import) gets its point; Miroto is renamed
    assert "Ringkasan: 0 ditambah, 2 diperbarui, 5 tidak berubah." in result.output
    assert (region(db, "33").lat, region(db, "33").lng) == (-7.2, 110.1)
    assert region(db, "33.74.01.1001").nama == "Miroto Baru"
    assert region(db, "33.74").parent_kode == "33"
    assert region(db, "33").kind == "provinsi"


def test_import_regions_is_all_or_nothing(runner, db, tmp_path, regions_loaded):
    bad = REGIONS.replace("Miroto,desa", "Miroto Baru,desa") + (
        "33.74.03,Tertukar,kecamatan,33.74,110.4,-7.0\n"
        "33.75.01,Yatim,kecamatan,33.75,-7.0,110.4\n"
        "33.74.01.1002,Sekayu Dua,desa,33.74.01,-6.9,110.4\n")
    result = invoke(runner, "import-regions", write(tmp_path, "buruk.csv", bad))
    assert result.exit_code == 1
    assert "baris 8: lat dan lng tertukar" in result.output
    assert "baris 9: Induk 33.75 dari 33.75.01 tidak ditemukan, baik di berkas maupun di basis data." in result.output
    assert "baris 10: kode 33.74.01.1002 ganda: sudah ada di baris 5." in result.output
    assert "Berkas ditolak: 3 masalah. Tidak ada data yang disimpan." in result.output
    # nothing was written, nothing saved before was lost
    assert region(db, "33.74.01.1001").nama == "Miroto"
    assert region(db, "33.74.03") is None
    assert count(db, ImportBatch) == 1


@pytest.mark.parametrize("content,message", [
    (b"", "Berkas kosong."),
    (b"kode,nama,level,parent_kode,lat,lng\n", "tidak berisi baris data"),
    (b"code,name,level\n33.74,Kota,kabupaten\n", "Kolom wajib tidak ada: kode, nama, parent_kode, lat, lng"),
    ("kode,nama,level,parent_kode,lat,lng\n33.74,Kota Semarang é,kabupaten,,-7,110.4\n".encode("latin-1"),
     "bukan teks UTF-8"),
    (b"kode,nama,level,parent_kode,lat,lng\n33.74,Kota,kabupaten,,-97,110.4\n", "di luar rentang"),
])
def test_import_regions_refuses_bad_files(runner, db, tmp_path, content, message):
    result = invoke(runner, "import-regions", write(tmp_path, "x.csv", content))
    assert result.exit_code == 1
    assert message in result.output
    assert count(db, Region) == 0 and count(db, ImportBatch) == 0


def test_import_regions_bom_and_semicolons(runner, db, tmp_path):
    text = "\ufeff" + REGIONS.replace(",", ";").replace("-7.0", "-7,0")
    result = invoke(runner, "import-regions", write(tmp_path, "excel.csv", text))
    assert result.exit_code == 0, result.output
    assert region(db, "33.74").lat == -7.0


def test_import_regions_size_limit_and_dry_run(runner, db, tmp_path):
    path = write(tmp_path, "wilayah.csv", REGIONS)
    result = invoke(runner, "import-regions", path, "--max-mb", "0.0001")
    assert result.exit_code == 1 and "Berkas terlalu besar" in result.output
    result = invoke(runner, "import-regions", path, "--dry-run")
    assert result.exit_code == 0 and "7 ditambah" in result.output and "tidak ada data yang disimpan" in result.output
    assert count(db, Region) == 0 and count(db, ImportBatch) == 0


def test_html_in_a_name_is_stored_as_is(runner, db, tmp_path):
    text = 'kode,nama,level,parent_kode,lat,lng\n33.74,"<b>Kota</b> & <script>x()</script>",kabupaten,,-7,110.4\n'
    assert invoke(runner, "import-regions", write(tmp_path, "x.csv", text)).exit_code == 0
    assert region(db, "33.74").nama == "<b>Kota</b> & <script>x()</script>"


# ---------------------------------------------------------------- boundaries

def square(lng, lat, size=0.01):
    return [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]]


def geojson(features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": k}, "geometry": {"type": "Polygon", "coordinates": c}}
        for k, c in features]})


BOUNDARIES = [("33.74.01.1001", square(110.40, -6.99)), ("33.74.01.1002", square(110.42, -6.99)),
              ("33.74.02.1001", square(110.40, -6.97))]


@pytest.fixture()
def boundaries_loaded(runner, db, tmp_path, regions_loaded):
    result = invoke(runner, "import-boundaries", write(tmp_path, "desa.geojson", geojson(BOUNDARIES)))
    assert result.exit_code == 0, result.output
    return result


def test_import_boundaries_sets_boundary_and_is_idempotent(runner, db, tmp_path, boundaries_loaded):
    assert "3 ditambah" in boundaries_loaded.output
    desa = region(db, "33.74.01.1001")
    assert desa.has_boundary and json.loads(desa.boundary)["type"] == "Polygon"
    assert not region(db, "33.74.01").has_boundary
    again = invoke(runner, "import-boundaries", write(tmp_path, "desa.geojson", geojson(BOUNDARIES)))
    assert "0 ditambah, 0 diperbarui, 3 tidak berubah" in again.output
    moved = [("33.74.01.1001", square(110.401, -6.99))]
    result = invoke(runner, "import-boundaries", write(tmp_path, "desa2.geojson", geojson(moved)))
    assert "0 ditambah, 1 diperbarui, 0 tidak berubah" in result.output


def test_import_boundaries_unknown_kode_refuses_the_file(runner, db, tmp_path, regions_loaded):
    features = BOUNDARIES + [("33.74.09.1001", square(110.40, -6.99))]
    result = invoke(runner, "import-boundaries", write(tmp_path, "desa.geojson", geojson(features)))
    assert result.exit_code == 1
    assert "Fitur ke-4: wilayah 33.74.09.1001 tidak ada di basis data. Impor wilayah dahulu." in result.output
    assert count(db, Region, Region.has_boundary.is_(True)) == 0


# ---------------------------------------------------------------- sites

SITES = """type,nama,desa_kode,lat,lng,rt,rw,address,contact_name,contact_phone,npsn,jenjang,status
rt_rw,RT 03/RW 05 Miroto,33.74.01.1001,-6.985,110.405,3,5,Jl. Pandanaran,Pak RT,0812 3456 789,,,
balai_desa,Balai Kelurahan Sekayu,33.74.01.1002,-6.985,110.425,,,,Lurah Sekayu,,,,
sekolah,SMA Negeri 3 <Semarang>,33.74.01.1002,-6.984,110.424,,,,Kepala Sekolah,,20328888,SMA,negeri
"""


def test_import_sites_generic_upserts(runner, db, tmp_path, boundaries_loaded):
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", SITES))
    assert result.exit_code == 0, result.output
    assert "3 ditambah" in result.output
    school = db.session.scalar(sa.select(Site).where(Site.npsn == "20328888"))
    assert (school.type, school.nama, school.jenjang, school.school_status, school.kecamatan_kode) == \
        ("sekolah", "SMA Negeri 3 <Semarang>", "SMA", "negeri", "33.74.01")
    rt = db.session.scalar(sa.select(Site).where(Site.type == "rt_rw"))
    assert (rt.rt, rt.rw, rt.contact_phone, rt.address) == (3, 5, "0812 3456 789", "Jl. Pandanaran")

    again = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", SITES))
    assert "0 ditambah, 0 diperbarui, 3 tidak berubah" in again.output
    changed = SITES.replace("Lurah Sekayu", "Ibu Lurah Sekayu").replace("-6.984,110.424", "-6.983,110.423")
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi2.csv", changed))
    assert "0 ditambah, 2 diperbarui, 1 tidak berubah" in result.output
    assert count(db, Site) == 3


def test_import_sites_warns_when_a_point_is_outside_its_desa(runner, db, tmp_path, boundaries_loaded):
    text = "type,nama,desa_kode,lat,lng\nbalai_desa,Balai Miroto,33.74.01.1001,-6.965,110.405\n"
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", text))
    assert result.exit_code == 0, result.output
    assert "Peringatan: baris 2: Titik lokasi \"Balai Miroto\" berada di luar batas desa 33.74.01.1001." in result.output


def test_import_sites_bad_rows_write_nothing(runner, db, tmp_path, regions_loaded):
    text = SITES + "balai_desa,Balai Antah,33.74.09.1001,-6.98,110.4,,,,,,,,\nrumah,Rumah,33.74.01.1001,110.4,-6.98,,,,,,,,\n"
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", text))
    assert result.exit_code == 1
    assert "baris 5: Desa/kelurahan 33.74.09.1001 tidak ada di basis data" in result.output
    assert "baris 6: lat dan lng tertukar" in result.output
    assert count(db, Site) == 0


SCHOOLS = """npsn,nama,jenjang,status,kode_kecamatan,nama_kecamatan,kode_kabupaten,kode_kecamatan_kemdikbud,kode_kecamatan_titik,lat,lng
20300001,SMA NEGERI 1 SEMARANG,SMA,negeri,33.74.01,Semarang Tengah,33.74,036001,33.74.01,-6.985,110.425
20300002,SD NEGERI MIROTO 01,SD,negeri,33.74.01,Semarang Tengah,33.74,036001,33.74.01,-6.985,110.405
20300003,SMK SWASTA BULU,SMK,swasta,33.74.02,Semarang Utara,33.74,036002,,,
20300004,SLB NEGERI,SLB,negeri,33.74.01,Semarang Tengah,33.74,036001,33.74.02,-6.965,110.405
"""


def test_import_schools_file_as_is(runner, db, tmp_path, boundaries_loaded):
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", SCHOOLS), "--jenjang", "SMA,SMK,SLB")
    assert result.exit_code == 0, result.output
    assert "3 ditambah, 0 diperbarui, 0 tidak berubah, 1 dilewati" in result.output
    assert "1 sekolah tanpa koordinat" in result.output
    sites = {s.npsn: s for s in db.session.scalars(sa.select(Site))}
    assert set(sites) == {"20300001", "20300003", "20300004"}
    assert (sites["20300001"].desa_kode, sites["20300001"].coords_approximate) == ("33.74.01.1002", False)
    assert sites["20300003"].desa_kode == "33.74.02.1001" and sites["20300003"].coords_approximate
    assert (sites["20300003"].lat, sites["20300003"].lng) == (-6.96, 110.41)  # the kecamatan centroid
    # the SLB's point lies in another kecamatan: it stays in its own (nearest desa centroid)
    assert sites["20300004"].kecamatan_kode == "33.74.01"
    assert all(s.type == "sekolah" for s in sites.values())

    again = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", SCHOOLS), "--jenjang", "SMA,SMK,SLB")
    assert "0 ditambah, 0 diperbarui, 3 tidak berubah, 1 dilewati" in again.output
    everything = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", SCHOOLS))
    assert "1 ditambah, 0 diperbarui, 3 tidak berubah" in everything.output


def test_import_sites_unknown_jenjang_option(runner, db, tmp_path):
    result = invoke(runner, "import-sites", write(tmp_path, "sekolah.csv", SCHOOLS), "--jenjang", "SMA,KULIAH")
    assert result.exit_code != 0 and "KULIAH" in result.output


# ---------------------------------------------------------------- targets

def test_import_targets_history_and_newest_wins(runner, db, tmp_path, regions_loaded):
    june = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,900,2026-06-01\n33.74.01.1002,500,450,2026-06-01\n"
    result = invoke(runner, "import-targets", write(tmp_path, "juni.csv", june))
    assert result.exit_code == 0, result.output
    assert "2 ditambah" in result.output
    desa = region(db, "33.74.01.1001")
    assert (desa.wajib_ktp, desa.sudah_rekam, desa.target_as_of) == (1000, 900, date(2026, 6, 1))

    again = invoke(runner, "import-targets", write(tmp_path, "juni.csv", june))
    assert "0 ditambah, 0 diperbarui, 2 tidak berubah" in again.output
    assert count(db, TargetCount) == 2

    sept = "kode;wajib_ktp;sudah_rekam;as_of;sumber\n33.74.01.1001;1010;990;2026-09-15;SIAK September\n"
    invoke(runner, "import-targets", write(tmp_path, "sept.csv", sept))
    march = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,990,700,2026-03-01\n"
    older = invoke(runner, "import-targets", write(tmp_path, "maret.csv", march))
    assert "1 angka lebih lama" in older.output
    desa = region(db, "33.74.01.1001")
    assert (desa.wajib_ktp, desa.sudah_rekam, desa.target_as_of) == (1010, 990, date(2026, 9, 15))
    rows = db.session.scalars(sa.select(TargetCount).where(TargetCount.desa_kode == "33.74.01.1001")
                              .order_by(TargetCount.as_of)).all()
    assert [(r.as_of.month, r.source) for r in rows] == [(3, "impor maret.csv"), (6, "impor juni.csv"),
                                                         (9, "SIAK September")]
    assert all(r.batch_id for r in rows)


def test_import_targets_for_school_pemilih_pemula(runner, db, tmp_path, regions_loaded):
    builders.make_site("33.74.01.1002", "SMA Negeri 1", type="sekolah", npsn="20300001", jenjang="SMA")
    db.session.commit()
    text = "kode,npsn,wajib_ktp,sudah_rekam,as_of\n,20300001,120,30,2026-09-01\n"
    result = invoke(runner, "import-targets", write(tmp_path, "pemula.csv", text))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    school = db.session.scalar(sa.select(Site).where(Site.npsn == "20300001"))
    assert (school.pemilih_pemula, school.pemilih_pemula_recorded, school.pemilih_pemula_as_of) == \
        (120, 30, date(2026, 9, 1))
    history = db.session.scalars(sa.select(TargetCount).where(TargetCount.site_id == school.id)).all()
    assert [(h.wajib_ktp, h.desa_kode) for h in history] == [(120, None)]
    unknown = invoke(runner, "import-targets", write(tmp_path, "x.csv", "kode,wajib_ktp,sudah_rekam,as_of\n"
                                                                  "29999999,1,1,2026-09-01\n"))
    assert unknown.exit_code == 1 and "npsn 29999999 tidak ada di basis data" in unknown.output


def test_import_targets_bad_counts_keep_earlier_figures(runner, db, tmp_path, regions_loaded):
    good = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,900,2026-06-01\n"
    invoke(runner, "import-targets", write(tmp_path, "a.csv", good))
    bad = ("kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,950,2026-09-01\n33.74.01.1002,-1,0,2026-09-01\n"
           "33.74.02.1001,100,150,2026-09-01\n")
    result = invoke(runner, "import-targets", write(tmp_path, "b.csv", bad))
    assert result.exit_code == 1
    assert "baris 3: wajib_ktp tidak boleh negatif (-1)." in result.output
    assert "baris 4: sudah_rekam (150) melebihi wajib_ktp (100)." in result.output
    desa = region(db, "33.74.01.1001")
    assert (desa.sudah_rekam, desa.target_as_of) == (900, date(2026, 6, 1))
    assert count(db, TargetCount) == 1


def test_a_conflicting_write_rolls_back_everything(runner, db, tmp_path, regions_loaded, monkeypatch):
    """When the database changes between the check and the write, the whole import is undone."""
    from outreach.imports import apply, regions as regions_mod
    real_plan = regions_mod.plan_regions

    def racing_plan(rows, existing, sample_limit=20):
        plan = real_plan(rows, existing, sample_limit)
        plan.inserts.append({**next(r for r in rows if r.kode == "33.74.01").values()})  # already exists
        return plan

    monkeypatch.setattr(apply.regions_mod, "plan_regions", racing_plan)
    changed = REGIONS.replace("Miroto,desa", "Miroto Baru,desa") + "33.74.03,Baru,kecamatan,33.74,-7,110.4\n"
    result = invoke(runner, "import-regions", write(tmp_path, "x.csv", changed))
    assert result.exit_code == 1 and "berubah selama impor" in result.output
    assert region(db, "33.74.01.1001").nama == "Miroto" and region(db, "33.74.03") is None
    assert count(db, ImportBatch) == 1


def test_site_points_are_checked_against_the_imported_regions_named_by_their_province(runner, db, tmp_path,
                                                                                      regions_loaded):
    text = "type,nama,desa_kode,lat,lng\nbalai_desa,Balai di Bogor,33.74.01.1001,-6.6,106.8\n"
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", text))
    assert result.exit_code == 1 and "di luar wilayah Jawa Tengah" in result.output
    assert count(db, Site) == 0


def test_another_province_imports_without_any_setting(runner, db, tmp_path):
    bali = ("kode,nama,level,parent_kode,lat,lng\n51.71,Kota Denpasar,kabupaten,,-8.65,115.22\n"
            "51.71.01,Denpasar Selatan,kecamatan,51.71,-8.7,115.23\n"
            "51.71.01.1001,Sesetan,desa,51.71.01,-8.71,115.22\n")
    result = invoke(runner, "import-regions", write(tmp_path, "bali.csv", bali))
    assert result.exit_code == 0, result.output
    assert (region(db, "51").nama, region(db, "51.71").parent_kode) == ("Bali", "51")
    text = "type,nama,desa_kode,lat,lng\nbalai_desa,Kantor Lurah Sesetan,51.71.01.1001,-8.71,115.22\n" \
           "balai_desa,Balai di Semarang,51.71.01.1001,-6.98,110.4\n"
    result = invoke(runner, "import-sites", write(tmp_path, "lokasi.csv", text))
    assert result.exit_code == 1 and "baris 3:" in result.output and "di luar wilayah Bali" in result.output
    assert "baris 2:" not in result.output
