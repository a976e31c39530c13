"""Imports that keep the valid rows (--valid-only, "Simpan baris yang sah saja"), and the CLI progress line."""
import csv
import io
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.models import ImportBatch, Region, TargetCount
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

REGIONS = """kode,nama,level,parent_kode,lat,lng
33.74,Kota Semarang,kabupaten,,-7.0,110.4
33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42
33.74.01.1001,Miroto,desa,33.74.01,-6.985,110.405
33.74.02,Semarang Utara,kecamatan,33.74,lintang?,110.41
33.74.02.1001,Bulu Lor,desa,33.74.02,-6.965,110.405
33.74.01.1002,Sekayu,desa,33.74.01,-6.985,110.425
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def invoke(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def read_rejects(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_regions_valid_only_stores_the_valid_rows_and_writes_the_refused_ones(runner, db, tmp_path):
    source = write(tmp_path, "wilayah.csv", REGIONS)
    result = invoke(runner, "import-regions", source, "--valid-only")
    assert result.exit_code == 0, result.output
    assert "Ringkasan: 5 ditambah, 0 diperbarui, 0 tidak berubah, 2 ditolak." in result.output
    assert "Ditolak: baris 5: lat bukan angka" in result.output
    # The desa under the refused kecamatan is refused with it; the rest is stored.
    assert {r for r in db.session.scalars(sa.select(Region.kode))} == {
        "33", "33.74", "33.74.01", "33.74.01.1001", "33.74.01.1002"}
    rejects = read_rejects(tmp_path / "wilayah.ditolak.csv")
    assert [r["kode"] for r in rejects] == ["33.74.02", "33.74.02.1001"]
    assert list(rejects[0]) == ["kode", "nama", "level", "parent_kode", "lat", "lng", "alasan"]
    assert rejects[0]["lat"] == "lintang?" and rejects[0]["alasan"] == 'lat bukan angka: "lintang?".'
    assert rejects[1]["alasan"].startswith("Induk 33.74.02 dari 33.74.02.1001 tidak ditemukan")
    assert f"ditulis ke {tmp_path / 'wilayah.ditolak.csv'}" in result.output
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    assert (batch.added, batch.refused) == (5, 2)


def test_regions_default_stays_all_or_nothing(runner, db, tmp_path):
    result = invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS))
    assert result.exit_code == 1
    assert count(db, Region) == 0 and not (tmp_path / "wilayah.ditolak.csv").exists()


def test_valid_only_still_refuses_a_broken_file_whole(runner, db, tmp_path):
    bad_header = "kode,nama,level,lat,lng\n33.74,Kota Semarang,kabupaten,-7.0,110.4\n"
    result = invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", bad_header), "--valid-only")
    assert result.exit_code == 1
    assert "Kolom wajib tidak ada: parent_kode" in result.output and "Berkas ditolak" in result.output
    assert count(db, Region) == 0 and not (tmp_path / "wilayah.ditolak.csv").exists()


def test_rejects_path_and_targets(runner, db, tmp_path):
    assert invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS.replace("lintang?", "-6.96")
                                                  )).exit_code == 0
    targets = ("kode;wajib_ktp;sudah_rekam;as_of\n"
               "33.74.01.1001;1000;900;2026-09-15\n"
               "33.74.01.1002;500;600;2026-09-15\n"
               "33.74.09.1001;10;1;2026-09-15\n")
    out = tmp_path / "lain" / "tolak.csv"
    out.parent.mkdir()
    result = invoke(runner, "import-targets", write(tmp_path, "siak.csv", targets), "--valid-only", "--rejects", out)
    assert result.exit_code == 0, result.output
    assert "1 ditambah" in result.output and "2 ditolak" in result.output
    assert count(db, TargetCount) == 1
    text = out.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == "kode;wajib_ktp;sudah_rekam;as_of;alasan"  # the file's own delimiter
    assert [r["kode"] for r in csv.DictReader(io.StringIO(text), delimiter=";")] == ["33.74.01.1002", "33.74.09.1001"]
    # --rejects without --valid-only is a usage error, and nothing is stored.
    again = invoke(runner, "import-targets", write(tmp_path, "siak2.csv", targets), "--rejects", out)
    assert again.exit_code == 2 and count(db, TargetCount) == 1


def test_boundaries_valid_only_writes_the_refused_features_as_geojson(runner, db, tmp_path):
    assert invoke(runner, "import-regions", write(tmp_path, "wilayah.csv", REGIONS.replace("lintang?", "-6.96")
                                                  )).exit_code == 0
    square = [[[110.40, -6.99], [110.43, -6.99], [110.43, -6.98], [110.40, -6.98], [110.40, -6.99]]]
    features = [{"type": "Feature", "properties": {"kode": "33.74.01", "nama": "Semarang Tengah"},
                 "geometry": {"type": "Polygon", "coordinates": square}},
                {"type": "Feature", "properties": {"kode": "33.74.77", "nama": "Tidak Ada"},
                 "geometry": {"type": "Polygon", "coordinates": square}}]
    source = write(tmp_path, "kec.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    result = invoke(runner, "import-boundaries", source, "--valid-only")
    assert result.exit_code == 0, result.output
    assert "1 ditambah" in result.output and "1 ditolak" in result.output
    refused = json.loads((tmp_path / "kec.ditolak.geojson").read_text())
    assert [f["properties"]["kode"] for f in refused["features"]] == ["33.74.77"]
    assert "tidak ada di basis data" in refused["features"][0]["properties"]["alasan"]
    assert db.session.get(Region, "33.74.01").has_boundary


def test_progress_line_only_when_asked(runner, db, tmp_path):
    source = write(tmp_path, "wilayah.csv", REGIONS.replace("lintang?", "-6.96"))
    quiet = invoke(runner, "import-regions", source, "--dry-run")
    assert quiet.exit_code == 0 and "baris/detik" not in quiet.output
    shown = invoke(runner, "import-regions", source, "--progress")
    assert shown.exit_code == 0, shown.output
    assert "Memeriksa baris" in shown.stderr and "Menyimpan" in shown.stderr
    assert "baris/detik" in shown.stderr and "selesai dalam" in shown.stderr
    assert "baris/detik" not in shown.stdout


def test_progress_line_shows_rate_and_time_left():
    from outreach.imports.progress import ProgressLine

    now = [100.0]
    stream = io.StringIO()
    line = ProgressLine(stream, clock=lambda: now[0], interval=0)
    tick = line.phase("Memeriksa baris", 10_000)
    now[0] += 2
    tick(4_000)
    assert "4.000/10.000 (40%) · 2.000 baris/detik · sisa 3 dtk" in stream.getvalue()
    now[0] += 3
    tick(6_000)
    line.finish()
    assert "10.000/10.000 (100%) · 2.000 baris/detik · selesai dalam 5 dtk" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
