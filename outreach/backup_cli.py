"""backup and restore: the database and the secret key in one archive (see outreach.backup)."""
from pathlib import Path

import click
from flask import current_app

from outreach import backup
from outreach.i18n import gettext_here as _


def summary(counts: dict) -> str:
    return ", ".join(f"{counts.get(table, 0)} {_(label)}" for table, label in backup.SUMMARY_TABLES.items())


def register(app):
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--keep", type=click.IntRange(min=0), default=0,
                  help="Bila PATH sebuah folder: simpan hanya N cadangan terbaru di sana (0 = semua).")
    def backup_command(path, keep):
        """Write the database and the secret key into one archive (PATH: a file, or a folder to date one in)."""
        folder = path if path.is_dir() else None
        if keep and folder is None:
            raise click.UsageError(_("--keep hanya untuk PATH berupa folder."))
        try:
            result = backup.create_backup(current_app, path)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        m = result.manifest
        size_mb = result.path.stat().st_size / 1e6
        click.echo(_("Cadangan ditulis: %(path)s (%(kind)s, revisi %(rev)s; %(summary)s; %(size).1f MB).",
                     path=str(result.path), kind=m["database"], rev=m["alembic_revision"],
                     summary=summary(m["counts"]), size=size_mb))
        click.echo(_("Berkas ini memuat kunci rahasia aplikasi: simpan di tempat aman, jangan dibagikan."))
        if folder is not None and keep:
            for old in backup.prune_archives(folder, keep):
                click.echo(_("Cadangan lama dihapus: %(path)s", path=str(old)))

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Timpa basis data yang berisi data dan kunci rahasia yang berbeda.")
    def restore_command(archive, force):
        """Restore a backup archive into the configured database and put its secret key back."""
        try:
            result = backup.restore_backup(current_app, archive, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        m = result.manifest
        click.echo(_("Dipulihkan dari cadangan %(when)s (%(kind)s): %(summary)s.",
                     when=m["created_at"], kind=m["database"], summary=summary(result.counts)))
        if result.upgraded_from:
            click.echo(_("Basis data dinaikkan dari revisi %(old)s ke revisi terbaru.", old=result.upgraded_from))
        click.echo({
            "same": _("Kunci rahasia sudah sama dengan cadangan: login yang ada tetap berlaku."),
            "written": _("Kunci rahasia dari cadangan dipasang di %(path)s.", path=str(backup.secret_key_file(current_app))),
            "replaced": _("Kunci rahasia diganti dengan kunci dari cadangan; kunci lama disimpan sebagai %(path)s.lama.",
                          path=str(backup.secret_key_file(current_app))),
            "kept-config": _("PERHATIAN: SECRET_KEY server ini dipertahankan; login dan cookie dari sebelum "
                             "cadangan tidak berlaku."),
        }[result.secret_key_action])
        click.echo(_("Jalankan ulang layanan web dan penjadwal agar memakai data yang dipulihkan."))
