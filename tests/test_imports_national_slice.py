"""A slice of the real national files (../shared/data): Kota Pekanbaru, whose 2019 school list still names
kecamatan that were split since, so 143 of its 542 schools have an empty kode_kecamatan."""
import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.models import ImportBatch, Site

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

pytestmark = [
    pytest.mark.clock_free,
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA / "indonesia_sekolah.csv").exists() or not (DATA / "indonesia_wilayah.csv").exists(),
                       reason=f"real national data (indonesia_wilayah.csv, indonesia_sekolah.csv) not found in "
                              f"{DATA.resolve()}"),
]


def _slice(name, keep):
    with open(DATA / name, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    return lines[0] + "".join(line for line in lines[1:] if keep(next(csv.reader([line]))))


def test_pekanbaru_schools_without_kode_kecamatan_are_placed_by_kode_kecamatan_titik(runner, db, tmp_path):
    regions = tmp_path / "riau.csv"
    regions.write_text(_slice("indonesia_wilayah.csv", lambda r: r[0] == "14" or r[0].startswith("14.71")))
    schools = tmp_path / "pekanbaru.csv"
    schools.write_text(_slice("indonesia_sekolah.csv", lambda r: r[6] == "14.71"))
    rows = list(csv.DictReader(io.StringIO(schools.read_text())))
    uncoded = [r for r in rows if not r["kode_kecamatan"]]
    placeable = [r for r in uncoded if r["kode_kecamatan_titik"].startswith("14.71.")]
    assert (len(rows), len(uncoded), len(placeable)) == (542, 143, 136)

    result = runner.invoke(args=["import-regions", str(regions)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import-sites", str(schools), "--valid-only"])
    assert result.exit_code == 0, result.output
    assert "136 sekolah tanpa kode_kecamatan ditempatkan di kecamatan yang memuat titiknya" in result.output
    refused = list(csv.DictReader(io.StringIO((tmp_path / "pekanbaru.ditolak.csv").read_text("utf-8-sig"))))
    # Only schools without kode_kecamatan whose point lies in no imported kecamatan are refused.
    assert {r["npsn"] for r in refused} == {r["npsn"] for r in uncoded} - {r["npsn"] for r in placeable}
    assert all("kode_kecamatan sekolah" in r["alasan"] for r in refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 542 - len(refused)
    assert db.session.scalars(sa.select(ImportBatch.refused).where(ImportBatch.kind == "sites")).one() == len(refused)
    titik = {r["npsn"]: r["kode_kecamatan_titik"] for r in placeable}
    placed = dict(db.session.execute(sa.select(Site.npsn, Site.kecamatan_kode).where(Site.npsn.in_(titik))).all())
    assert placed == titik
