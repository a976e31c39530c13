"""`flask import-calendar FILE.csv`: upsert on (jenis, wilayah, tanggal), idempotent, all-or-nothing, bad rows
listed with their line numbers in Bahasa Indonesia."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from outreach.models import CalendarEntry, ImportBatch
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

GOOD = """jenis,tanggal,tanggal_akhir,nama,wilayah,menggantikan
libur_daerah,2027-04-02,,Hari jadi Kota Uji,33.74,
ujian_sekolah,2027-03-01,2027-03-05,Penilaian akhir semester SMA/SMK,33.74,
hari_pemilu,2029-02-14,,Pemilihan umum 2029,,
hari_pemilu,2027-11-24,,Pilkada Kota Uji,33.74,
libur_nasional,2026-12-28,,Hari Raya Natal (dipindah),,2026-12-25
"""


@pytest.fixture()
def regions(db):
    builders.make_region("33.74", "Kota Uji")
    builders.make_region("33.74.01", "Kecamatan Satu")
    db.session.commit()


def write(tmp_path, text, name="kalender.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(CalendarEntry).order_by(CalendarEntry.first_date)).all()


def test_good_file_is_imported_then_changes_nothing(runner, db, regions, tmp_path):
    path = write(tmp_path, GOOD)
    result = runner.invoke(args=["import-calendar", path])
    assert result.exit_code == 0, result.output
    assert "Ringkasan: 5 ditambah, 0 diperbarui, 0 tidak berubah." in result.output
    got = {(e.kind, e.region_kode, e.first_date, e.last_date, e.name, e.replaces_date) for e in rows(db)}
    assert ("ujian_sekolah", "33.74", date(2027, 3, 1), date(2027, 3, 5), "Penilaian akhir semester SMA/SMK",
            None) in got
    assert ("libur_nasional", "", date(2026, 12, 28), date(2026, 12, 28), "Hari Raya Natal (dipindah)",
            date(2026, 12, 25)) in got
    again = runner.invoke(args=["import-calendar", path])
    assert again.exit_code == 0 and "Ringkasan: 0 ditambah, 0 diperbarui, 5 tidak berubah." in again.output
    assert len(rows(db)) == 5
    # A changed name updates the row of the same (jenis, wilayah, tanggal).
    changed = runner.invoke(args=["import-calendar", write(tmp_path, GOOD.replace("Hari jadi Kota Uji",
                                                                                   "Hari jadi ke-480 Kota Uji"))])
    assert "Ringkasan: 0 ditambah, 1 diperbarui, 4 tidak berubah." in changed.output
    assert "Hari jadi ke-480 Kota Uji" in {e.name for e in rows(db)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)
                             .where(ImportBatch.kind == "calendar")) == 3


def test_bad_rows_are_listed_with_line_numbers_and_nothing_is_saved(runner, db, regions, tmp_path):
    text = GOOD + """libur_daerah,2027-05-10,2027-05-01,Terbalik,33.74,
libur_daerah,2027-06-01,,Kabupaten tak dikenal,33.99,
ujian_sekolah,2027-07-01,,Tanpa wilayah,,
cuti_bersama,31-12-2027,,Tanggal salah,,
libur_daerah,2027-04-02,,Hari jadi (dobel),33.74,
libur_nasional,2026-12-29,,Natal lagi,,2026-12-25
"""
    result = runner.invoke(args=["import-calendar", write(tmp_path, text)])
    assert result.exit_code == 1
    out = result.output
    assert "Kesalahan: baris 7: Rentang terbalik: tanggal akhir 2027-05-01 sebelum tanggal mulai 2027-05-10." in out
    assert "Kesalahan: baris 8: Kabupaten/kota 33.99 tidak dikenal." in out
    assert "Kesalahan: baris 9: Masa ujian sekolah berlaku per kabupaten/kota" in out
    assert "Kesalahan: baris 10: Tanggal \"31-12-2027\" tidak dikenali" in out
    assert "Kesalahan: baris 11: Entri yang sama (jenis, wilayah, tanggal) sudah ada di baris 2." in out
    assert "Kesalahan: baris 12: Tanggal paket 2026-12-25 sudah dikoreksi oleh entri lain" in out
    assert "Berkas ditolak: 6 masalah. Tidak ada data yang disimpan." in out
    assert rows(db) == []


def test_missing_column_and_dry_run(runner, db, regions, tmp_path):
    result = runner.invoke(args=["import-calendar", write(tmp_path, "jenis,tanggal\nlibur_daerah,2027-04-02\n")])
    assert result.exit_code == 1 and "Kolom wajib tidak ada: nama." in result.output
    result = runner.invoke(args=["import-calendar", "--dry-run", write(tmp_path, GOOD)])
    assert result.exit_code == 0 and "Uji coba (--dry-run): tidak ada data yang disimpan." in result.output
    assert rows(db) == []
