"""`flask backup` / `flask restore`: a backup restored into a new, empty database gives a working app
(logins made before the backup, the logs and their idempotency keys, the job history, the passwords),
on SQLite and on PostgreSQL; restore refuses what it would overwrite unasked."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import tarfile
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from outreach import backup, create_app, normalise_database_url
from outreach.extensions import db
from outreach.models import TurnoutLog
from outreach.models.jobs import JobRun
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)
KEY = "8f14e45f-ceea-467f-a0e6-5b7ddc1b2f30"


def turnout_body() -> dict:
    return {"recorded": {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3},
            "recorded_by_sex": {"L": 13, "P": 15},
            "not_recorded": {"tidak_ditemukan_siak": 2, "sudah_rekam": 1, "belum_cukup_umur": 0,
                             "gangguan_alat_jaringan": 1, "tidak_bersedia": 0},
            "away": {"luar_negeri": 0, "bekerja_luar_daerah": 0, "pindah_meninggal": 0, "lainnya": 0},
            "started_at": "08:05", "ended_at": "11:50", "notes": "Lancar."}


# ------------------------------------------------------------------ databases and apps

class Databases:
    """Fresh databases of one kind for one test, dropped afterwards."""

    def __init__(self, kind: str, tmp_path):
        self.kind, self.tmp_path, self.made, self.apps = kind, tmp_path, [], []
        if kind == "postgresql":
            self.base = sa.engine.make_url(os.environ["TEST_DATABASE_URL"])
            self.admin = sa.create_engine(normalise_database_url(os.environ["TEST_DATABASE_URL"]),
                                          isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def new(self, label: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp_path / label}.sqlite"
        name = f"{self.base.database}_bk_{secrets.token_hex(4)}_{label}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def app(self, url: str, key_file, **config):
        """The app as a server would start it on `url`: its secret key from `key_file`, made when missing."""
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY_FILE": str(key_file),
                          "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "SERVER_NAME": None, **config})
        self.apps.append(app)
        return app

    def drop_all(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.kind == "postgresql":
            with self.admin.connect() as conn:
                for name in self.made:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    kind = request.param
    if kind == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql")):
            pytest.skip("PostgreSQL backup runs only when TEST_DATABASE_URL names a PostgreSQL database")
        if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            pytest.skip("pg_dump / pg_restore are not installed (Debian package postgresql-client)")
    dbs = Databases(kind, tmp_path)
    yield dbs
    dbs.drop_all()


def seeded_source(dbs: Databases, tmp_path, revision: str = "head"):
    """A source server with users, a session, a turnout log posted with an idempotency key through the
    API, a job run, and an admin signed in (its cookie kept)."""
    app = dbs.app(dbs.new("src"), tmp_path / "src_secret_key")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision=revision)
        if revision != "head":
            return SimpleNamespace(app=app)
        desa = builders.make_region("33.74.01.1001", "Kelurahan Satu A", wajib_ktp=1000, sudah_rekam=900)
        team = builders.make_team("33.74", "Tim Keliling 1")
        kit = builders.make_kit(team, "KIT-A")
        site = builders.make_site(desa.kode, "Balai Kelurahan Satu A")
        builders.make_user("admin", "admin_uji")
        field = builders.make_user("field", "lapangan_uji", team=team)
        session = builders.make_session(site, team, [kit], NOW.date() - timedelta(days=1), status="terkonfirmasi")
        db.session.commit()
        source = SimpleNamespace(app=app, session_id=session.id, token=builders.make_api_token(field))
    client = app.test_client()
    posted = client.post(f"/api/v1/sessions/{source.session_id}/turnout", json=turnout_body(),
                         headers={"Authorization": f"Bearer {source.token}", "Idempotency-Key": KEY})
    assert posted.status_code == 201, posted.get_json()
    source.log = posted.get_json()
    ran = app.test_cli_runner().invoke(args=["run-job", "housekeeping", "--at", "2026-12-14 03:30"])
    assert ran.exit_code == 0, ran.output
    admin = app.test_client()
    assert admin.post("/login", data={"username": "admin_uji", "password": builders.PASSWORD}).status_code == 302
    source.cookie = admin.get_cookie("session").value
    return source


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


# ------------------------------------------------------------------ the drill

def test_a_backup_restored_into_a_new_database_serves_the_same_logins_logs_replays_and_jobs(databases, tmp_path):
    source = seeded_source(databases, tmp_path)
    archive = tmp_path / "cadangan.tar.gz"
    made = run(source.app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "Cadangan ditulis" in made.output
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # it holds the secret key

    target_url, target_key = databases.new("dst"), tmp_path / "dst_secret_key"
    restored = run(databases.app(target_url, target_key), "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "1 laporan hasil" in restored.output and "1 riwayat tugas" in restored.output
    assert target_key.read_text() == (tmp_path / "src_secret_key").read_text()

    app = databases.app(target_url, target_key)  # the server started again on the restored database
    with app.app_context():
        assert app.config["SECRET_KEY"] == source.app.config["SECRET_KEY"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)) == 1
        runs = db.session.scalars(sa.select(JobRun)).all()
        assert [(r.job, r.status) for r in runs] == [("housekeeping", "done")]
        from outreach.regions.tally import drift

        assert drift() == []  # the tally triggers came back with the tables

    old_login = app.test_client()
    old_login.set_cookie("session", source.cookie)
    jobs_page = old_login.get("/admin/jobs")
    assert jobs_page.status_code == 200  # the cookie from before the backup still signs the admin in
    assert "housekeeping" in jobs_page.get_data(as_text=True)

    api = app.test_client()
    headers = {"Authorization": f"Bearer {source.token}", "Idempotency-Key": KEY}
    url = f"/api/v1/sessions/{source.session_id}/turnout"
    assert api.get(url, headers=headers).get_json()["recorded_total"] == 28
    replay = api.post(url, json=turnout_body(), headers=headers)
    assert replay.status_code == 200 and replay.get_json()["id"] == source.log["id"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)) == 1

    for username in ("admin_uji", "lapangan_uji"):
        login = app.test_client().post("/login", data={"username": username, "password": builders.PASSWORD})
        assert login.status_code == 302, username


def test_the_archive_holds_a_manifest_the_dump_and_the_secret_key(databases, tmp_path):
    source = seeded_source(databases, tmp_path)
    made = run(source.app, "backup", str(tmp_path))  # a folder: the archive gets a dated name
    assert made.exit_code == 0, made.output
    [archive] = tmp_path.glob("jemputbola-20261214-*.tar.gz")
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", backup.DUMPS[databases.kind], "secret_key"])
        manifest = json.load(tar.extractfile("manifest.json"))
        key = tar.extractfile("secret_key").read().decode().strip()
    assert key == source.app.config["SECRET_KEY"]
    assert manifest["database"] == databases.kind
    with source.app.app_context():
        assert manifest["alembic_revision"] == backup.migration_heads(source.app)[0]
    assert manifest["counts"]["turnout_log"] == 1 and manifest["counts"]["app_user"] == 2
    assert manifest["created_at"].startswith("2026-12-14T02:")


def test_restore_refuses_a_database_that_holds_rows_unless_forced(databases, tmp_path):
    source = seeded_source(databases, tmp_path)
    archive = tmp_path / "cadangan.tar.gz"
    assert run(source.app, "backup", str(archive)).exit_code == 0
    with source.app.app_context():
        db.session.execute(sa.delete(JobRun))
        db.session.commit()

    refused = run(source.app, "restore", str(archive))
    assert refused.exit_code == 1
    assert "tidak kosong" in refused.output and "--force" in refused.output
    with source.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0  # untouched

    forced = run(source.app, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    with source.app.app_context():
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1


def test_restore_keeps_a_different_secret_key_in_use_unless_forced(databases, tmp_path):
    source = seeded_source(databases, tmp_path)
    archive = tmp_path / "cadangan.tar.gz"
    assert run(source.app, "backup", str(archive)).exit_code == 0
    target_key = tmp_path / "dst_secret_key"
    target_key.write_text("kunci-server-ini-" + "x" * 40)  # a key this server already signed cookies with
    target_url = databases.new("dst")

    refused = run(databases.app(target_url, target_key), "restore", str(archive))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert target_key.read_text().startswith("kunci-server-ini-")
    target = databases.app(target_url, target_key)
    assert backup.tables_with_rows(backup.database_url(target)) == []  # nothing was restored

    forced = run(databases.app(target_url, target_key), "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert target_key.read_text() == source.app.config["SECRET_KEY"]
    assert (tmp_path / "dst_secret_key.lama").read_text().startswith("kunci-server-ini-")


def test_restore_upgrades_a_dump_made_by_an_older_version(databases, tmp_path):
    app = databases.app(databases.new("probe"), tmp_path / "probe_key")
    with app.app_context():
        head = backup.migration_heads(app)[0]
        previous = backup._scripts(app).get_revision(head).down_revision
    source = seeded_source(databases, tmp_path, revision=previous)
    archive = tmp_path / "lama.tar.gz"
    assert run(source.app, "backup", str(archive)).exit_code == 0

    target_url = databases.new("dst")
    restored = run(databases.app(target_url, tmp_path / "dst_key"), "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert f"dinaikkan dari revisi {previous}" in restored.output
    engine = sa.create_engine(normalise_database_url(target_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
    engine.dispose()


def test_restore_refuses_a_file_that_is_no_backup(databases, tmp_path):
    bogus = tmp_path / "bukan.tar.gz"
    bogus.write_bytes(b"bukan arsip")
    app = databases.app(databases.new("dst"), tmp_path / "dst_key")
    result = run(app, "restore", str(bogus))
    assert result.exit_code == 1 and "bukan berkas cadangan" in result.output


def test_prune_keeps_the_newest_dated_archives(tmp_path):
    names = [f"jemputbola-202612{d:02d}-010000.tar.gz" for d in range(1, 6)]
    for name in names + ["catatan.txt"]:
        (tmp_path / name).write_text("x")
    deleted = backup.prune_archives(tmp_path, keep=2)
    assert [p.name for p in deleted] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:] + ["catatan.txt"])


def test_restore_never_overrides_a_secret_key_from_the_configuration_unasked(tmp_path):
    """SECRET_KEY set in the environment cannot be rewritten by restore: it says so, or keeps it with --force."""
    dbs = Databases("sqlite", tmp_path)
    try:
        source = seeded_source(dbs, tmp_path)
        archive = tmp_path / "cadangan.tar.gz"
        assert run(source.app, "backup", str(archive)).exit_code == 0
        configured = "kunci-dari-lingkungan-" + "k" * 40
        target_url = dbs.new("dst")

        refused = run(dbs.app(target_url, tmp_path / "dst_key", SECRET_KEY=configured), "restore", str(archive))
        assert refused.exit_code == 1 and "SECRET_KEY" in refused.output and "--force" in refused.output
        assert backup.tables_with_rows(sa.engine.make_url(target_url)) == []

        forced = run(dbs.app(target_url, tmp_path / "dst_key", SECRET_KEY=configured),
                     "restore", "--force", str(archive))
        assert forced.exit_code == 0 and "PERHATIAN" in forced.output
        assert not (tmp_path / "dst_key").exists()  # nothing written beside the configured key
    finally:
        dbs.drop_all()
