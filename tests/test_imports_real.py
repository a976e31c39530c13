"""Province-scale imports of the real Jawa Tengah files (../shared/data), twice, with the same result."""
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.models import Region, Site

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

pytestmark = [
    pytest.mark.clock_free,
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA / "jateng_wilayah.csv").exists(),
                       reason=f"real Jawa Tengah data not found in {DATA.resolve()}"),
]


def _import(runner, command, filename, *extra):
    result = runner.invoke(args=[command, str(DATA / filename), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _levels(db):
    return dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())


def test_real_regions_import_twice(runner, db):
    first = _import(runner, "import-regions", "jateng_wilayah.csv")
    assert "Ringkasan: 9175 ditambah, 0 diperbarui, 0 tidak berubah." in first
    assert _levels(db) == {"provinsi": 1, "kabupaten": 35, "kecamatan": 576, "desa": 8563}
    second = _import(runner, "import-regions", "jateng_wilayah.csv")
    assert "Ringkasan: 0 ditambah, 0 diperbarui, 9174 tidak berubah." in second
    assert _levels(db) == {"provinsi": 1, "kabupaten": 35, "kecamatan": 576, "desa": 8563}
    kelurahan = db.session.scalar(sa.select(sa.func.count()).where(Region.kind == "kelurahan"))
    kota = db.session.scalar(sa.select(sa.func.count()).where(Region.kind == "kota"))
    assert (kelurahan, kota) == (753, 6)


@pytest.mark.skipif(not (DATA / "jateng_desa.geojson").exists(), reason="desa boundaries not found")
def test_real_boundaries_and_secondary_schools_import_twice(runner, db):
    _import(runner, "import-regions", "jateng_wilayah.csv")
    assert "8563 ditambah" in _import(runner, "import-boundaries", "jateng_desa.geojson")
    assert "0 ditambah, 0 diperbarui, 8563 tidak berubah" in _import(runner, "import-boundaries", "jateng_desa.geojson")
    first = _import(runner, "import-sites", "jateng_sekolah.csv", "--jenjang", "SMA,SMK,SLB,SMLB")
    assert "2592 ditambah, 0 diperbarui, 0 tidak berubah, 22410 dilewati" in first
    second = _import(runner, "import-sites", "jateng_sekolah.csv", "--jenjang", "SMA,SMK,SLB,SMLB")
    assert "0 ditambah, 0 diperbarui, 2592 tidak berubah" in second
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(Site.type == "sekolah")) == 2592
