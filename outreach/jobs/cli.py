"""Commands: run-scheduler (the one scheduler process), run-job NAME [--at TIME], snapshot [--date D]."""
from __future__ import annotations

import json
from datetime import date, datetime, time

import click
from flask import current_app
from flask.cli import with_appcontext

from outreach.jobs.context import timezone_of

TIME_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_slot(text: str, tz) -> datetime:
    """A slot from the command line: local time (the scheduler's zone) unless an offset is given."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
        for fmt in TIME_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise click.ClickException(f"'{text}' bukan waktu yang dikenal; contoh: 2026-09-15 atau 2026-09-15 15:00.")
    return value if value.tzinfo else value.replace(tzinfo=tz)


def describe(outcome, tz) -> str:
    local = outcome.slot.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    if outcome.status == "done":
        return (f"Tugas {outcome.job} untuk slot {local} selesai (percobaan ke-{outcome.attempt}): "
                f"{json.dumps(outcome.summary, ensure_ascii=False, default=str)}")
    if outcome.status == "failed":
        return f"Tugas {outcome.job} untuk slot {local} GAGAL (percobaan ke-{outcome.attempt}): {outcome.error}"
    state = {"done": "sudah selesai", "running": "sedang berjalan", "claimed": "sedang berjalan"}.get(
        outcome.existing_status or "", outcome.existing_status or "?")
    return (f"Tugas {outcome.job} untuk slot {local} {state}; tidak dijalankan lagi "
            f"(pakai --force untuk mengulang slot yang sudah selesai).")


def register(app):
    @app.cli.command("run-scheduler")
    def run_scheduler_command():
        """Run the scheduler (one process per database; a second copy refuses to start)."""
        from outreach.jobs.scheduler import SchedulerAlreadyRunning, SchedulerLockLost, run_scheduler

        try:
            run_scheduler(current_app._get_current_object(), echo=click.echo)
        except SchedulerAlreadyRunning as exc:
            click.echo(f"Penjadwal lain sudah berjalan ({exc}); proses ini tidak dijalankan.", err=True)
            raise SystemExit(1)
        except SchedulerLockLost as exc:
            click.echo(f"Kunci penjadwal hilang bersama koneksi basis data dan kini dipegang penjadwal lain "
                       f"({exc}); proses ini berhenti.", err=True)
            raise SystemExit(3)

    @app.cli.command("run-job")
    @click.argument("name")
    @click.option("--at", "at", default=None, help="Slot waktu (waktu lokal), mis. '2026-09-15 15:00'. "
                                                   "Bawaan: sekarang (menit ini).")
    @click.option("--force", is_flag=True, help="Ulangi juga slot yang sudah selesai.")
    @with_appcontext
    def run_job_command(name, at, force):
        """Run one job for one slot, exactly as the scheduler would (claiming the slot first)."""
        from outreach.jobs.registry import JOBS
        from outreach.jobs.runner import run_job
        from outreach.models.base import utcnow

        if name not in JOBS:
            raise click.ClickException(f"Tugas '{name}' tidak dikenal. Pilihan: {', '.join(JOBS)}.")
        tz = timezone_of(current_app.config)
        slot = parse_slot(at, tz) if at else utcnow().replace(second=0, microsecond=0)
        outcome = run_job(name, slot, trigger="cli", force=force)
        click.echo(describe(outcome, tz))
        if outcome.status == "failed":
            raise SystemExit(1)

    @app.cli.command("snapshot")
    @click.option("--date", "day", default=None, help="Tanggal (YYYY-MM-DD); bawaan: hari ini.")
    @with_appcontext
    def snapshot_command(day):
        """Take (or retake: it replaces) the coverage snapshot of every region for a date."""
        from outreach.jobs.runner import run_job
        from outreach.models.base import utcnow

        tz = timezone_of(current_app.config)
        today = utcnow().astimezone(tz).date()
        if day:
            try:
                target = date.fromisoformat(day.strip())
            except ValueError:
                raise click.ClickException(f"--date: '{day}' bukan tanggal; tulis YYYY-MM-DD, mis. 2026-09-15.")
        else:
            target = today
        from outreach.jobs.snapshot import refusal

        message = refusal(target, today)
        if message:
            raise click.ClickException(f"--date: {message}")
        # A past date is computed as of that date (trigger "backdated"), today's from the figures now.
        outcome = run_job("snapshot", datetime.combine(target, time(0, 0), tzinfo=tz),
                          trigger="backdated" if target < today else "cli", force=True)
        click.echo(describe(outcome, tz))
        if target < today and outcome.status == "done":
            click.echo("Catatan: angka tanggal lampau dihitung per tanggal itu (data SIAK dan log sampai hari itu); "
                       "jumlah warga yang diketahui di luar daerah tidak punya riwayat, jadi memakai angka sekarang.")
        if outcome.status == "failed":
            raise SystemExit(1)
