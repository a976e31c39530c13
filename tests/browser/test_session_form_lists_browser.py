"""A national admin on a 1366 px screen plans a session where the sites are too many for one list: provinsi →
kabupaten → kecamatan filled from the lists above (static/js/area_picker.js), "Tampilkan lokasi" brings the
kecamatan's sites and the teams and kits of its kabupaten/kota office only, then the session is saved."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from outreach.models import RecordingSession
from tests import builders
from tests.browser.test_planning_browser import next_working_day
from tests.conftest import WIB

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]


def test_national_admin_narrows_sites_teams_and_kits(app, db, world, page, login, screenshot, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_SITE_SELECT_MAX", 3)
    pw = builders.make_planning_world(world)  # teams and kits of Kota Uji (33.74) and of Kabupaten Lain (33.01)
    for i in range(1, 5):
        builders.make_site(world.desa2.kode, f"SD Negeri {i}", type="sekolah")
    db.session.commit()
    day = next_working_day(NOW.date() + timedelta(days=10))

    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "admin_uji", builders.PASSWORD)
    page.goto(f"/sesi/baru?date={day.isoformat()}")
    assert page.locator("#site_id option").count() == 1  # nothing but "— pilih lokasi —" yet
    assert page.locator("#team_id option").count() == 1
    page.locator("#pilih_provinsi").select_option("33")
    page.locator("#pilih_kabupaten option[value='33.74']").wait_for(state="attached")
    page.locator("#pilih_kabupaten").select_option("33.74")
    page.locator("#pilih_kecamatan option[value='33.74.02']").wait_for(state="attached")
    page.locator("#pilih_kecamatan").select_option("33.74.02")
    page.get_by_label("Catatan").fill("Undangan lewat ketua RT")
    with page.expect_navigation():
        page.get_by_test_id("show-sites").click()

    assert page.locator("#site_id option").count() == 2  # Balai Kelurahan Dua A, the kecamatan's only site
    teams = page.locator("#team_id option").all_inner_texts()
    assert "Tim Keliling 1" in teams and "Tim Kabupaten Lain" not in teams
    assert page.locator("[data-testid=kit-choices]").inner_text().count("KIT-LAIN") == 0
    assert page.get_by_label("Catatan").input_value() == "Undangan lewat ketua RT"  # nothing typed is lost
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the form scrolls sideways at 1366 px ({width} px)"
    screenshot(page, "dipersempit")

    page.locator("#site_id").select_option(str(world.site2.id))
    page.get_by_label("Tim", exact=True).select_option(label="Tim Keliling 1")
    page.get_by_label("KIT-A").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    saved = db.session.scalar(sa.select(RecordingSession))
    assert saved is not None and saved.site_id == world.site2.id and saved.team_id == pw.team.id
    screenshot(page, "tersimpan")


def test_national_admin_picks_a_team_office_province_first(app, db, world, page, login, screenshot, monkeypatch):
    """The team form of a national admin above AREA_SELECT_MAX kabupaten/kota: the kabupaten list is filled
    from the chosen province without a reload, and the team is saved with that office."""
    from outreach.models import Team

    monkeypatch.setitem(app.config, "AREA_SELECT_MAX", 1)
    builders.make_region("34.01", "Kabupaten Yogya Satu")
    builders.make_region("34.02", "Kabupaten Yogya Dua")
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "admin_uji", builders.PASSWORD)
    page.goto("/admin/tim/baru")
    assert page.locator("#office_kode option").count() == 1
    page.get_by_label("Nama tim").fill("Tim Yogya")
    page.locator("#pilih_provinsi").select_option("34")
    page.locator("#office_kode option[value='34.02']").wait_for(state="attached")
    page.locator("#office_kode").select_option("34.02")
    screenshot(page, "kantor")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    team = db.session.scalar(sa.select(Team).where(Team.nama == "Tim Yogya"))
    assert team is not None and team.office_kode == "34.02"
