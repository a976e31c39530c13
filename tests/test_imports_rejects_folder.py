"""--valid-only where the refused rows cannot be written (README's province example run on the read-only
../shared/data folder): refused up front with a clear message and nothing stored, never a traceback after the
valid rows were saved."""
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.imports import cli as import_cli
from outreach.models import ImportBatch, Region
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

REGIONS = """kode,nama,level,parent_kode,lat,lng
33.74,Kota Semarang,kabupaten,,-7.0,110.4
33.74.01,Semarang Tengah,kecamatan,33.74,-6.98,110.42
33.74.09.1001,Tanpa Induk,desa,33.74.09,-6.985,110.405
"""


def _source(tmp_path) -> Path:
    path = tmp_path / "wilayah.csv"
    path.write_text(REGIONS, encoding="utf-8")
    return path


def _stored(db) -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Region)),
            db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)))


def test_rejects_into_a_missing_folder_is_refused_before_anything_is_stored(runner, db, tmp_path):
    target = tmp_path / "tidak-ada" / "tolak.csv"
    result = runner.invoke(args=["import-regions", str(_source(tmp_path)), "--valid-only", "--rejects", str(target)])
    assert result.exit_code == 2, result.output
    assert "tidak ada atau tidak dapat ditulisi" in result.output and "--rejects" in result.output
    assert "Traceback" not in result.output
    assert _stored(db) == (0, 0) and not target.exists()


def test_a_read_only_input_folder_asks_for_rejects(runner, db, tmp_path, monkeypatch):
    source = _source(tmp_path)
    real_access = import_cli.os.access
    # Root may write anywhere, so the read-only folder is simulated.
    monkeypatch.setattr(import_cli.os, "access",
                        lambda path, mode: False if Path(path) == tmp_path.resolve() else real_access(path, mode))
    result = runner.invoke(args=["import-regions", str(source), "--valid-only"])
    assert result.exit_code == 2, result.output
    assert str(tmp_path.resolve()) in result.output and "--rejects BERKAS" in result.output
    assert _stored(db) == (0, 0)

    elsewhere = tmp_path / "keluar"
    elsewhere.mkdir()
    result = runner.invoke(args=["import-regions", str(source), "--valid-only", "--rejects",
                                 str(elsewhere / "tolak.csv")])
    assert result.exit_code == 0, result.output
    assert (elsewhere / "tolak.csv").exists() and _stored(db) == (3, 1)  # the province row comes from the list


def test_a_rejects_file_that_cannot_be_written_is_a_clear_error(runner, db, tmp_path):
    (tmp_path / "wilayah.ditolak.csv").mkdir()  # a folder where the file should go
    result = runner.invoke(args=["import-regions", str(_source(tmp_path)), "--valid-only"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Baris yang ditolak (1) tidak dapat ditulis ke" in result.output and "--rejects BERKAS" in result.output
