"""A coordinator adds a site: bad input is refused with clear messages, then fixed, then listed."""
from urllib.parse import urlsplit

from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach import demo
from outreach.demo_data import PASSWORD
from outreach.models import Region, Site
from tests.conftest import WIB

# The demo is seeded and used on a Wednesday morning.
pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))]

NAME = "Pos ronda RT 02/RW 03 uji peramban"


def test_coordinator_creates_a_site_after_fixing_bad_input(app, db, page, login, screenshot):
    if "sites.new" not in app.view_functions:
        pytest.skip("sites pages pending")
    result = demo.seed_demo()
    kec = result.coordinator_kecamatan.kode
    desa = db.session.scalars(sa.select(Region).where(Region.level == "desa", Region.kecamatan_kode == kec)
                              .order_by(Region.kode)).first()

    login(page, "koordinator", PASSWORD)
    page.goto("/lokasi/baru")
    page.get_by_label("Jenis lokasi").select_option("rt_rw")
    page.get_by_label("Nama lokasi").fill(NAME)
    page.get_by_label("Desa/kelurahan").select_option(desa.kode)
    # RT left empty, latitude and longitude swapped.
    page.get_by_label("RW").fill("3")
    page.get_by_label("Lintang (lat)").fill(f"{desa.lng:.5f}")
    page.get_by_label("Bujur (lng)").fill(f"{desa.lat:.5f}")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()

    form_text = page.get_by_test_id("site-form").inner_text()
    assert "tertukar" in form_text
    assert "Nomor RT wajib diisi" in form_text
    assert page.get_by_label("Nama lokasi").input_value() == NAME  # nothing typed is lost
    screenshot(page, "salah")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(Site.nama == NAME)) == 0

    page.get_by_label("RT", exact=True).fill("2")
    page.get_by_label("Lintang (lat)").fill(f"{desa.lat:.5f}")
    page.get_by_label("Bujur (lng)").fill(f"{desa.lng:.5f}")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    assert "tersimpan" in page.locator("main").inner_text()
    assert urlsplit(page.url).path.startswith("/lokasi/")

    page.goto("/lokasi?q=uji+peramban")
    listing = page.locator("main").inner_text()
    assert NAME in listing
    screenshot(page, "daftar")
    # Only map tiles may have been asked of another host (and were blocked: no test needs the internet).
    assert all("tile.openstreetmap.org" in url for url in page.blocked_requests), page.blocked_requests
