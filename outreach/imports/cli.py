"""The import commands: import-regions, import-boundaries, import-sites, import-targets."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app

from outreach.imports.apply import options_from_config, run_import
from outreach.imports.common import ImportReport, ValueProblem
from outreach.imports.progress import ProgressLine
from outreach.imports.sites import parse_jenjang_filter

KIND_LABELS = {"regions": "wilayah", "boundaries": "batas wilayah", "sites": "lokasi", "targets": "target",
               "calendar": "kalender"}

REGIONS_HELP = """Impor wilayah dari CSV berkolom kode,nama,level,parent_kode,lat,lng
(format ../shared/data/jateng_wilayah.csv; baris kabupaten boleh tanpa parent_kode; baris
level=provinsi boleh ada). Upsert per kode: dijalankan dua kali tidak mengubah apa pun.
Semua atau tidak sama sekali: satu baris salah = tidak ada yang disimpan, status keluar 1;
dengan --valid-only baris yang sah disimpan dan baris yang ditolak ditulis ke berkas."""

BOUNDARIES_HELP = """Impor batas wilayah dari GeoJSON FeatureCollection. Setiap fitur wajib
memiliki properti "kode" (wilayah yang sudah diimpor) dan geometri Polygon/MultiPolygon dengan
urutan [lng, lat]. Semua atau tidak sama sekali (atau --valid-only: fitur yang ditolak ditulis ke
GeoJSON berakhiran .ditolak.geojson beserta alasannya); dijalankan dua kali tidak mengubah apa pun."""

SITES_HELP = """Impor lokasi (tempat sesi perekaman) dari CSV, pemisah , atau ;.

\b
Format umum, satu baris per lokasi:
  wajib     type, nama, desa_kode, lat, lng
  opsional  rt, rw, address, contact_name, contact_phone, npsn, jenjang, status, notes
  type      rt_rw | balai_desa | sekolah | kantor_kecamatan | rumah | lainnya
  rt_rw     wajib mengisi rt dan rw
  sekolah   wajib mengisi npsn (8 karakter) dan jenjang (SD, SMP, SMA, SMK, SLB, ...);
            status = negeri | swasta
Lokasi sekolah dicocokkan lewat npsn, lokasi lain lewat (desa_kode, type, nama).

\b
Format daftar sekolah Kemendikbud (../shared/data/jateng_sekolah.csv apa adanya):
  npsn, nama, jenjang, status, kode_kecamatan, nama_kecamatan, kode_kabupaten,
  kode_kecamatan_kemdikbud, kode_kecamatan_titik, lat, lng
Setiap sekolah ditempatkan di desa kecamatannya yang batasnya memuat titik sekolah (bila batas
desa sudah diimpor), atau di desa berpusat terdekat; sekolah tanpa koordinat memakai titik
pusat desa/kecamatan dan ditandai sebagai perkiraan. Sekolah dengan kode_kecamatan kosong
ditempatkan di kecamatan yang memuat titiknya (batas wilayah atau kode_kecamatan_titik). NPSN
yang sama pada dua sekolah: baris kedua tidak disimpan (peringatan; ditolak bila --valid-only).

\b
Bila batas wilayah sudah diimpor, lokasi yang titiknya lebih dari IMPORT_POINT_TOLERANCE_M
(bawaan 1000 m) di luar kecamatannya dilaporkan beserta jaraknya dan kecamatan tempat titik itu
berada, lalu disimpan sebagai koordinat perkiraan di titik pusat desa/kecamatan, kecuali
dengan --accept-points."""

TARGETS_HELP = """Impor target SIAK dari CSV berkolom kode,wajib_ktp,sudah_rekam,as_of
(kode desa/kelurahan; as_of TTTT-BB-HH). Kolom opsional: npsn (atau NPSN di kolom kode) untuk
target pemilih pemula sekolah (wajib_ktp = siswa berusia 17 tahun pada batas waktu), sumber.
Setiap impor menambah riwayat; as_of terbaru menjadi angka yang ditampilkan. Berkas yang sama
diimpor ulang tidak mengubah apa pun."""


def _file_options(command):
    command = click.option("--progress/--no-progress", default=None,
                           help="Tampilkan baris kemajuan (baris/detik, sisa waktu) di stderr. Bawaan: hanya bila "
                                "stderr adalah terminal.")(command)
    command = click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="Dengan --valid-only: tulis baris yang ditolak ke berkas ini (bawaan: di samping "
                                "berkas masukan, NAMA.ditolak.csv).")(command)
    command = click.option("--valid-only", is_flag=True,
                           help="Simpan baris yang sah saja: baris yang salah ditolak satu per satu dan ditulis "
                                "beserta alasannya (kolom alasan) ke NAMA.ditolak.csv. Tanpa opsi ini: semua atau "
                                "tidak sama sekali.")(command)
    command = click.option("--max-mb", type=click.FloatRange(min=0, min_open=True), default=None,
                           help="Batas ukuran berkas dalam MB (bawaan: MAX_CONTENT_LENGTH, 32 MB).")(command)
    command = click.option("--dry-run", is_flag=True,
                           help="Hanya periksa dan tampilkan ringkasan; tidak menyimpan apa pun.")(command)
    command = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(command)
    return command


def register(app):
    @app.cli.command("import-regions", help=REGIONS_HELP)
    @_file_options
    def import_regions(file, dry_run, max_mb, **mode):
        _run("regions", file, dry_run, max_mb, **mode)

    @app.cli.command("import-boundaries", help=BOUNDARIES_HELP)
    @_file_options
    def import_boundaries(file, dry_run, max_mb, **mode):
        _run("boundaries", file, dry_run, max_mb, **mode)

    @app.cli.command("import-sites", help=SITES_HELP)
    @_file_options
    @click.option("--jenjang", default=None, help="Hanya jenjang ini, mis. SMA,SMK,SLB (untuk sekolah).")
    @click.option("--accept-points", is_flag=True,
                  help="Terima titik koordinat apa adanya, juga yang berada di luar kecamatannya (tetap dilaporkan).")
    def import_sites(file, dry_run, max_mb, jenjang, accept_points, **mode):
        try:
            jenjang_filter = parse_jenjang_filter(jenjang)
        except ValueProblem as exc:
            raise click.BadParameter(str(exc), param_hint="--jenjang") from None
        _run("sites", file, dry_run, max_mb, jenjang=jenjang_filter, accept_points=accept_points, **mode)

    @app.cli.command("import-targets", help=TARGETS_HELP)
    @_file_options
    def import_targets(file, dry_run, max_mb, **mode):
        _run("targets", file, dry_run, max_mb, **mode)


def _run(kind: str, file: Path, dry_run: bool, max_mb: float | None, valid_only: bool = False,
         rejects_path: Path | None = None, progress: bool | None = None, **overrides) -> None:
    max_bytes = int(max_mb * 1024 * 1024) if max_mb else current_app.config.get("MAX_CONTENT_LENGTH")
    size = file.stat().st_size
    if max_bytes and size > max_bytes:
        click.echo(f"Berkas terlalu besar: {size / 1048576:.1f} MB; batasnya {max_bytes / 1048576:.1f} MB. "
                   "Naikkan batas dengan --max-mb bila berkas ini memang benar.", err=True)
        raise SystemExit(1)
    if rejects_path is not None and not valid_only:
        raise click.BadParameter("hanya berlaku bersama --valid-only.", param_hint="--rejects")
    if valid_only:
        _check_rejects_folder(rejects_path, file)
    stderr = sys.stderr
    if progress is None:
        progress = stderr.isatty()
    options = options_from_config(current_app.config, filename=file.name, max_bytes=max_bytes,
                                  valid_only=valid_only, progress=ProgressLine(stderr) if progress else None,
                                  **overrides)
    report = run_import(kind, file.read_bytes(), options, commit=not dry_run)
    print_report(report, dry_run)
    if report.rejects is not None:
        target = rejects_path or rejects_path_for(file, report.rejects_ext)
        try:
            target.write_bytes(report.rejects)
        except OSError as exc:
            click.echo(f"Baris yang ditolak ({report.refused}) tidak dapat ditulis ke {target}: "
                       f"{exc.strerror or exc}. Ulangi dengan --rejects BERKAS di folder yang dapat ditulisi "
                       "(impornya sendiri tidak berubah bila diulang).", err=True)
            raise SystemExit(1)
        click.echo(f"Baris yang ditolak ({report.refused}) beserta alasannya ditulis ke {target}.")
    if not report.ok:
        raise SystemExit(1)


def _check_rejects_folder(rejects_path: Path | None, file: Path) -> None:
    """Refuse before importing when the refused rows could not be written: a shared data folder (such as
    ../shared/data) is often read-only, and finding out after the valid rows were stored is too late."""
    folder = (rejects_path or file).resolve().parent
    if not os.access(folder, os.W_OK):
        hint = "--rejects" if rejects_path is not None else "--valid-only"
        raise click.BadParameter(f"baris yang ditolak ditulis ke folder {folder}, yang tidak ada atau tidak dapat "
                                 "ditulisi; pilih berkasnya dengan --rejects BERKAS.", param_hint=hint)


def rejects_path_for(file: Path, ext: str = "csv") -> Path:
    """NAMA.ditolak.csv beside the input file."""
    return file.with_name(f"{file.stem}.ditolak.{ext}")


def print_report(report: ImportReport, dry_run: bool = False) -> None:
    click.echo(f"Impor {KIND_LABELS[report.kind]} dari {report.filename}")
    for problem in report.warnings:
        click.echo(f"Peringatan: {_where(problem)}{problem.message}")
    if report.warnings_left_off:
        click.echo(f"Peringatan: … dan {report.warnings_left_off} peringatan lain.")
    for problem in report.notes:
        click.echo(f"Catatan: {problem.message}")
    label = "Ditolak" if report.ok else "Kesalahan"  # valid rows only: a bad row is refused, not the file
    for problem in report.errors:
        click.echo(f"{label}: {_where(problem)}{problem.message}", err=True)
    if report.errors_left_off:
        click.echo(f"Kesalahan: … dan {report.errors_left_off} masalah lain (hanya {len(report.errors)} pertama "
                   "yang ditampilkan).", err=True)
    skipped = f", {report.skipped} dilewati" if report.skipped else ""
    refused = f", {report.refused} ditolak" if report.valid_only and report.ok else ""
    click.echo(f"Ringkasan: {report.added} ditambah, {report.updated} diperbarui, "
               f"{report.unchanged} tidak berubah{skipped}{refused}.")
    if not report.ok:
        click.echo(f"Berkas ditolak: {max(report.error_count, len(report.errors))} masalah. Tidak ada data yang "
                   "disimpan.", err=True)
    elif dry_run:
        click.echo("Uji coba (--dry-run): tidak ada data yang disimpan.")
    elif report.committed:
        click.echo(f"Tersimpan (impor #{report.batch_id}).")


def _where(problem) -> str:
    if not problem.line:
        return ""
    if problem.template.startswith("Fitur ke-"):
        return ""
    return f"baris {problem.line}: "
