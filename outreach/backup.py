"""Backing up and restoring a whole installation: the database and the secret key, in one archive.

An archive (`flask --app app backup FILE`) is a gzip'd tar holding
    manifest.json      when, which database kind, the alembic revision, row counts, tool versions
    database.pgdump    PostgreSQL: `pg_dump --format=custom`, from one snapshot with the counts
    database.sqlite    SQLite: a copy made with the online backup API (the app may keep running)
    secret_key         the SECRET_KEY that signs session and remember-me cookies and CSRF tokens
`restore` refuses a database that holds rows and a different secret key already in use unless forced,
restores, upgrades a dump made by an older version of the app, and checks the row counts.
Messages are in Bahasa Indonesia (the admin's shell); errors are BackupError.

One module past 400 lines: the archive's writer and its reader (and the PostgreSQL and SQLite halves of
each) must agree on every member and manifest field, so they stay side by side.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from outreach.i18n import N_
from outreach.i18n import gettext_here as _

FORMAT = 1
MANIFEST = "manifest.json"
SECRET_KEY_MEMBER = "secret_key"
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite"}
ARCHIVE_PREFIX = "jemputbola-"
ARCHIVE_SUFFIX = ".tar.gz"
# Tables whose counts the restore prints (all tables are counted and checked).
SUMMARY_TABLES = {"app_user": N_("pengguna"), "recording_session": N_("sesi"), "turnout_log": N_("laporan hasil"),
                  "job_run": N_("riwayat tugas")}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Indonesian."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict


@dataclass
class RestoreResult:
    manifest: dict
    upgraded_from: str | None
    secret_key_action: str  # "same", "written", "replaced", "kept-config"
    counts: dict


# ---------------------------------------------------------------- backup

def create_backup(app: Flask, target: Path) -> BackupResult:
    """Write one archive of the database and the secret key to `target` (a file, or a folder to name one in)."""
    target = archive_path(target)
    url = database_url(app)
    kind = database_kind(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".jemputbola-cadangan-", dir=target.parent) as tmp:
        dump = Path(tmp) / DUMPS[kind]
        if kind == "postgresql":
            details = dump_postgresql(app, url, dump)
        else:
            details = dump_sqlite(url, dump)
        if details["revision"] is None:
            raise BackupError(_("Basis data ini belum disiapkan (tabel alembic_version tidak ada); jalankan "
                                "`flask --app app db upgrade` dahulu."))
        manifest = {
            "format": FORMAT,
            "app": "jemputbola",
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": kind,
            "alembic_revision": details.pop("revision"),
            "counts": details.pop("counts"),
            "app_version": app_version(),
            "secret_key_source": "config" if app.config.get("SECRET_KEY_SOURCE") == "config" else "file",
            "secret_key_sha256": key_fingerprint(app.config["SECRET_KEY"]),
            **details,
        }
        partial = Path(tmp) / "archive.tar.gz"
        write_archive(partial, manifest, dump, secret_key_text(app.config["SECRET_KEY"]))
        os.replace(partial, target)
    return BackupResult(target, manifest)


def archive_path(target: Path) -> Path:
    """`target` itself, or a dated name inside it when it is a folder."""
    if target.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        return target / f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}"
    return target


def prune_archives(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest dated archives in `folder`; returns what was deleted."""
    dated = sorted(p for p in folder.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}")
                   if re.fullmatch(rf"{ARCHIVE_PREFIX}\d{{8}}-\d{{6}}{re.escape(ARCHIVE_SUFFIX)}", p.name))
    old = dated[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def dump_postgresql(app: Flask, url: sa.URL, dump: Path) -> dict:
    """pg_dump from one exported snapshot, in which the revision and the row counts are read too."""
    pg_dump = pg_tool(app, "pg_dump")
    tool_major = tool_version(pg_dump)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                server_major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
                if tool_major < server_major:
                    raise BackupError(_(
                        "pg_dump versi %(tool)s lebih lama dari server PostgreSQL %(server)s; pasang "
                        "postgresql-client-%(server)s (atau atur PG_BIN_DIR).", tool=tool_major, server=server_major))
                snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
                revision = current_revision(conn)
                counts = table_counts(conn)
                run_tool([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}",
                          f"--dbname={libpq_uri(url)}"], url)
    finally:
        engine.dispose()
    return {"revision": revision, "counts": counts, "postgresql_server": server_major, "pg_dump": tool_major}


def dump_sqlite(url: sa.URL, dump: Path) -> dict:
    """A consistent copy with the sqlite3 online backup API (writers may carry on), as a single file."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(_("Basis data SQLite %(path)s tidak ada.", path=str(source_path)))
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(dump)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        source.close()
        copy.close()
    engine = sa.create_engine(f"sqlite:///{dump}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            revision, counts = current_revision(conn), table_counts(conn)
    finally:
        engine.dispose()
    return {"revision": revision, "counts": counts, "sqlite": sqlite3.sqlite_version}


def write_archive(path: Path, manifest: dict, dump: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the secret key
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n")
        tar.add(dump, arcname=dump.name, recursive=False, filter=_private)
        _add_bytes(tar, SECRET_KEY_MEMBER, secret.encode() + b"\n")


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(timezone.utc).timestamp())
    tar.addfile(info, io.BytesIO(data))


# ---------------------------------------------------------------- restore

def read_manifest(archive: Path) -> dict:
    """The archive's manifest; BackupError when the file is no Jemput Bola backup."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            manifest = json.loads(_member_bytes(tar, MANIFEST))
    except (tarfile.TarError, OSError, ValueError, KeyError):
        raise BackupError(_("%(path)s bukan berkas cadangan Jemput Bola yang utuh.", path=str(archive))) from None
    if manifest.get("app") != "jemputbola" or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s bukan berkas cadangan Jemput Bola (format %(format)s).",
                            path=str(archive), format=FORMAT))
    return manifest


def restore_backup(app: Flask, archive: Path, *, force: bool = False) -> RestoreResult:
    """Restore `archive` into the configured database and put its secret key back. Every check is made
    before anything is written."""
    from outreach.extensions import db

    manifest = read_manifest(archive)
    url = database_url(app)
    kind = database_kind(url)
    if manifest["database"] != kind:
        raise BackupError(_("Cadangan ini dari basis data %(archived)s, sedangkan server ini memakai %(here)s; "
                            "pulihkan ke basis data yang sejenis.", archived=manifest["database"], here=kind))
    revision = manifest.get("alembic_revision")
    heads = migration_heads(app)
    if revision and revision not in heads and not revision_known(app, revision):
        raise BackupError(_("Cadangan dibuat oleh versi aplikasi yang lebih baru (revisi basis data %(rev)s); "
                            "perbarui aplikasi ini dahulu.", rev=revision))
    db.session.remove()
    db.engine.dispose()
    holding = tables_with_rows(url)
    if holding and not force:
        raise BackupError(_("Basis data tujuan tidak kosong (tabel %(tables)s berisi data). Pulihkan ke basis data "
                            "baru yang kosong, atau ulangi dengan --force untuk menimpanya.",
                            tables=", ".join(holding[:5])))
    with tempfile.TemporaryDirectory(prefix="jemputbola-pulih-") as tmp:
        dump, secret = extract(archive, Path(tmp), DUMPS[kind])
        key_action = plan_secret_key(app, secret, force)
        if kind == "postgresql":
            restore_postgresql(app, url, dump, manifest)
        else:
            restore_sqlite(url, dump)
    upgraded_from = None
    if revision not in heads:
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        upgraded_from = revision
    db.engine.dispose()
    counts = check_counts(url, manifest, upgraded=upgraded_from is not None)
    key_action = put_secret_key(app, secret, key_action)
    return RestoreResult(manifest, upgraded_from, key_action, counts)


def extract(archive: Path, into: Path, dump_name: str) -> tuple[Path, str]:
    """The dump (written under `into`) and the secret key; only the two known members are read."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            secret = _member_bytes(tar, SECRET_KEY_MEMBER).decode().strip()
            dump = into / dump_name
            member = tar.getmember(dump_name)
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                raise KeyError(dump_name)
            with source, open(dump, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
    except (tarfile.TarError, OSError, KeyError, UnicodeDecodeError):
        raise BackupError(_("%(path)s tidak lengkap (basis data atau kunci rahasia tidak ada).",
                            path=str(archive))) from None
    if not secret:
        raise BackupError(_("%(path)s tidak memuat kunci rahasia.", path=str(archive)))
    return dump, secret


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.getmember(name)
    source = tar.extractfile(member) if member.isfile() else None
    if source is None:
        raise KeyError(name)
    with source:
        return source.read()


def restore_postgresql(app: Flask, url: sa.URL, dump: Path, manifest: dict) -> None:
    pg_restore = pg_tool(app, "pg_restore")
    tool_major = tool_version(pg_restore)
    if tool_major < int(manifest.get("pg_dump") or 0):
        raise BackupError(_("pg_restore versi %(tool)s lebih lama dari pg_dump %(dump)s yang membuat cadangan; "
                            "pasang postgresql-client-%(dump)s (atau atur PG_BIN_DIR).",
                            tool=tool_major, dump=manifest["pg_dump"]))
    run_tool([pg_restore, "--no-owner", "--no-acl", "--clean", "--if-exists", "--exit-on-error",
              "--single-transaction", f"--dbname={libpq_uri(url)}", str(dump)], url)


def restore_sqlite(url: sa.URL, dump: Path) -> None:
    """Copy the archived database over the target with the online backup API (page by page, locked)."""
    target_path = sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        target.close()


def check_counts(url: sa.URL, manifest: dict, upgraded: bool) -> dict:
    """Row counts of the restored database; BackupError when a table lost or gained rows on the way."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
    finally:
        engine.dispose()
    if not upgraded:  # an upgrade may move rows between tables
        wrong = sorted(t for t, n in manifest.get("counts", {}).items() if counts.get(t) != n)
        if wrong:
            raise BackupError(_("Pemulihan tidak lengkap: jumlah baris tabel %(tables)s berbeda dengan cadangan.",
                                tables=", ".join(wrong)))
    return counts


# ---------------------------------------------------------------- the secret key

def plan_secret_key(app: Flask, archived: str, force: bool) -> str:
    """What to do with the archived key on this server; BackupError when it would end logins unasked."""
    current = secret_key_text(app.config["SECRET_KEY"])
    source = app.config.get("SECRET_KEY_SOURCE")
    if current == archived:
        return "same"
    if source == "config":
        if not force:
            raise BackupError(_(
                "SECRET_KEY di konfigurasi server ini berbeda dengan kunci di cadangan: cookie login lama tidak "
                "akan berlaku. Isi SECRET_KEY dengan kunci dari cadangan (berkas secret_key di dalam arsip), "
                "atau ulangi dengan --force untuk tetap memakai kunci server ini."))
        return "kept-config"
    if source == "new-file":  # made by this very process: nothing was ever signed with it
        return "written"
    if not force:
        raise BackupError(_(
            "Kunci rahasia %(path)s berbeda dengan kunci di cadangan. Ulangi dengan --force untuk menggantinya "
            "(kunci lama disimpan sebagai %(path)s.lama).", path=str(secret_key_file(app))))
    return "replaced"


def put_secret_key(app: Flask, archived: str, action: str) -> str:
    if action not in ("written", "replaced"):
        return action
    path = secret_key_file(app)
    if action == "replaced" and path.exists():
        os.replace(path, path.with_name(path.name + ".lama"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(archived)
    app.config["SECRET_KEY"] = archived
    return action


def secret_key_file(app: Flask) -> Path:
    from outreach import secret_key_path

    return secret_key_path(app)


def secret_key_text(key) -> str:
    return key.decode() if isinstance(key, bytes) else str(key)


def key_fingerprint(key) -> str:
    return hashlib.sha256(secret_key_text(key).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the database

def database_url(app: Flask) -> sa.URL:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])


def database_kind(url: sa.URL) -> str:
    kind = url.get_backend_name()
    if kind not in DUMPS:
        raise BackupError(_("Basis data %(kind)s tidak didukung; hanya PostgreSQL dan SQLite.", kind=kind))
    return kind


def sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(_("Basis data SQLite harus berupa berkas, bukan di memori."))
    return Path(url.database)


def table_counts(conn) -> dict[str, int]:
    names = sorted(sa.inspect(conn).get_table_names())
    return {name: conn.scalar(sa.text(f'SELECT count(*) FROM "{name}"')) for name in names}


def tables_with_rows(url: sa.URL) -> list[str]:
    """Tables of the target database that hold rows (the migration bookkeeping does not count)."""
    if url.get_backend_name() == "sqlite" and not sqlite_path(url).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [name for name in sorted(sa.inspect(conn).get_table_names()) if name != "alembic_version"
                    and conn.scalar(sa.text(f'SELECT EXISTS (SELECT 1 FROM "{name}")'))]
    finally:
        engine.dispose()


def current_revision(conn) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def migration_heads(app: Flask) -> tuple[str, ...]:
    return tuple(_scripts(app).get_heads())


def revision_known(app: Flask, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return _scripts(app).get_revision(revision) is not None
    except CommandError:
        return False


def _scripts(app: Flask):
    from alembic.script import ScriptDirectory

    return ScriptDirectory(app.extensions["migrate"].directory)


# ---------------------------------------------------------------- the PostgreSQL tools

def pg_tool(app: Flask, name: str) -> str:
    folder = app.config.get("PG_BIN_DIR")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(_("Program %(name)s tidak ditemukan; pasang postgresql-client (atau atur PG_BIN_DIR).",
                            name=name))
    return path


def tool_version(path: str) -> int:
    """The major version a PostgreSQL client program reports (`pg_dump (PostgreSQL) 15.20` -> 15)."""
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"\)\s*(\d+)", out)
    if not found:
        raise BackupError(_("Versi %(path)s tidak terbaca.", path=path))
    return int(found.group(1))


def libpq_uri(url: sa.URL) -> str:
    """The URL for libpq without the driver name and the password (that goes in PGPASSWORD, not argv)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def run_tool(args: list[str], url: sa.URL) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(_("%(tool)s gagal (kode %(code)s): %(error)s", tool=Path(args[0]).name,
                            code=done.returncode, error=done.stderr.strip()[-2000:]))


def app_version() -> str | None:
    """`git describe` of the installed code when it is a git checkout, else None."""
    from outreach import ROOT

    try:
        done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
