"""A manager opens the dashboard, reads the headline numbers and the trend chart, drills down to a
kecamatan, downloads its area table as CSV, and opens the team figures."""
import csv
import io
from datetime import date, datetime, timedelta

import pytest

from outreach.models.jobs import CoverageSnapshot
from tests import builders
from tests.conftest import WIB

# Read on a Monday morning; official figures as of 15 Sep 2026, snapshots of the weeks before.
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
TODAY = NOW.date()
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]


def _snapshot(db, kode, day, wajib, official, backlog, away):
    db.session.add(CoverageSnapshot(region_kode=kode, date=day, wajib_ktp=wajib, sudah_rekam_official=official,
                                    official_as_of=date(2026, 9, 15), recorded_since=max(wajib - backlog - official, 0),
                                    sudah_rekam_estimated=wajib - backlog, backlog=backlog, known_away=away,
                                    reachable_backlog=max(backlog - away, 0)))


def test_manager_reads_the_dashboard_drills_down_and_downloads_csv(app, db, world, page, login, screenshot, tmp_path):
    w = world
    builders.make_known_away(w.desa1.kode, "luar_negeri", 30)
    builders.make_known_away(w.desa2.kode, "bekerja_luar_daerah", 5)
    s1 = builders.make_session(w.site1, w.team, [w.kit], day=TODAY - timedelta(days=10), expected_turnout=50)
    builders.make_turnout_log(s1, recorded={"pemilih_pemula": 10, "umum": 30})
    s3 = builders.make_session(w.site2, w.team, [w.kit], day=TODAY - timedelta(days=12))
    builders.make_turnout_log(s3, recorded={"umum": 8})
    builders.make_session(w.site1, w.team, [w.kit], day=TODAY + timedelta(days=3), status="terkonfirmasi",
                          expected_turnout=60)
    # nightly snapshots of the last weeks: the backlog of Kota Uji falling towards today's 112
    for i, backlog in enumerate((400, 340, 260, 210, 170, 150, 130)):
        _snapshot(db, "33.74", TODAY - timedelta(days=7 * (7 - i)), 2300, 2140, backlog, 35)
        _snapshot(db, "33.74.01", TODAY - timedelta(days=7 * (7 - i)), 1500, 1350, backlog - 10, 35)
    db.session.commit()

    login(page, "manajer_uji", builders.PASSWORD)
    page.locator("nav.navbar").get_by_role("link", name="Dasbor", exact=True).click()
    page.wait_for_url("**/dasbor")
    assert page.get_by_test_id("dashboard-title").inner_text() == "Dasbor Kota Uji"
    headline = page.get_by_test_id("headline")
    assert headline.locator('[data-figure="wajib_ktp"]').inner_text() == "2.300"
    assert headline.locator('[data-figure="sudah_rekam_estimated"]').inner_text() == "2.188"
    assert headline.locator('[data-figure="backlog"]').inner_text() == "112"
    assert headline.locator('[data-figure="reachable_backlog"]').inner_text() == "77"
    assert headline.locator('[data-figure="percent_recorded"]').inner_text() == "95,1%"
    assert "resmi SIAK 15 September 2026" in page.get_by_test_id("data-as-of").inner_text()
    chart = page.get_by_test_id("trend-chart")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 400
    assert chart.locator("polyline").count() == 2
    assert page.get_by_test_id("slowest-chart").is_visible()
    screenshot(page, "1-dasbor-kota")

    with page.expect_navigation():
        page.get_by_test_id("children").get_by_role("link", name="Kecamatan Satu").click()
    assert page.url.endswith("/dasbor/33.74.01")
    assert page.get_by_test_id("dashboard-title").inner_text() == "Dasbor Kecamatan Satu"
    assert page.locator('[data-testid="headline"] [data-figure="reachable_backlog"]').inner_text() == "75"
    assert "Kota Uji" in page.get_by_test_id("breadcrumbs").inner_text()
    screenshot(page, "2-dasbor-kecamatan")

    with page.expect_download() as info:
        page.get_by_test_id("export-wilayah-csv").click()
    download = info.value
    assert download.suggested_filename.startswith("wilayah-33.74.01-") and download.suggested_filename.endswith(".csv")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    # The Indonesian page offers the CSV Indonesian Excel reads: ";" between cells, and a total row.
    rows = {r["Kode"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")}
    assert rows["33.74.01.1001"]["Backlog terjangkau"] == "30"
    assert rows["33.74.01.2002"]["Nama"] == "Desa Satu B"
    assert rows[""]["Nama"] == "Jumlah"

    page.get_by_role("link", name="Tren", exact=True).click()
    page.wait_for_url("**/dasbor/33.74.01/tren")
    assert page.get_by_test_id("trend-chart").is_visible()
    screenshot(page, "3-tren-kecamatan")

    # back to the kabupaten: the forecast against a deadline four weeks away
    page.goto(f"/dasbor/33.74/prakiraan?deadline={TODAY + timedelta(days=28)}")
    assert page.get_by_test_id("forecast-chart").is_visible()
    assert "1 dari 2 wilayah diperkirakan meleset" in page.get_by_test_id("forecast-headline").inner_text()
    screenshot(page, "4-prakiraan-kota")

    # who is behind: the team tab, its ranking chart and the table of every team
    page.get_by_test_id("tab-teams").click()
    page.wait_for_url("**/dasbor/33.74/tim")
    assert page.get_by_test_id("teams-chart").is_visible()
    row = page.get_by_test_id("teams-table").locator(f'tr[data-team-id="{w.team.id}"]')
    assert row.locator("td").nth(9).inner_text() == "48"   # 40 + 8 recorded in the last 28 days
    assert row.locator("td").nth(11).inner_text() == "96,0%"  # 48 of the 50 expected (the other session gave none)
    screenshot(page, "5-tim-kota")
    assert page.blocked_requests == []
