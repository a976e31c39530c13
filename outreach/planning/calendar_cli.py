"""The command `import-calendar`: planning calendar entries from CSV (see outreach.planning.calendar)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from outreach.imports.cli import print_report
from outreach.planning import calendar as planning_calendar

CALENDAR_HELP = """Impor hari kalender perencanaan dari CSV (pemisah , atau ;).

\b
Kolom:
  wajib     jenis, tanggal, nama
  opsional  tanggal_akhir, wilayah, menggantikan
  jenis     libur_nasional | cuti_bersama | libur_daerah | hari_pemilu | ujian_sekolah | bukan_libur
  tanggal   TTTT-BB-HH; tanggal_akhir untuk rentang (kosong = satu hari, paling lama 31 hari)
  wilayah   kode kabupaten/kota (mis. 33.74); kosong = nasional. Wajib untuk libur_daerah dan
            ujian_sekolah; harus kosong untuk libur_nasional, cuti_bersama dan bukan_libur
  menggantikan  tanggal libur dari paket holidays yang dipindah oleh baris ini
            (libur_nasional atau cuti_bersama)
Libur nasional dan cuti bersama sudah datang dari paket holidays; berkas hanya menambah atau
mengoreksi. Upsert per (jenis, wilayah, tanggal): dijalankan dua kali tidak mengubah apa pun.
Semua atau tidak sama sekali: satu baris salah = tidak ada yang disimpan, status keluar 1."""


def register(app):
    """Add `import-calendar` to the app's command line."""
    @app.cli.command("import-calendar", help=CALENDAR_HELP)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Hanya periksa dan tampilkan ringkasan; tidak menyimpan apa pun.")
    def import_calendar(file: Path, dry_run: bool):
        max_bytes = current_app.config.get("MAX_CONTENT_LENGTH")
        size = file.stat().st_size
        if max_bytes and size > max_bytes:
            click.echo(f"Berkas terlalu besar: {size / 1048576:.1f} MB; batasnya {max_bytes / 1048576:.1f} MB.",
                       err=True)
            raise SystemExit(1)
        report = planning_calendar.import_csv(file.read_bytes(), filename=file.name, commit=not dry_run)
        print_report(report, dry_run)
        if not report.ok:
            raise SystemExit(1)
