"""A province admin on a 360 px phone adds a site: kabupaten → kecamatan → desa, each list filled from the
one above it (static/js/area_picker.js), then saves."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import Site
from tests import builders as b
from tests.conftest import WIB

pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))]


def test_province_admin_picks_kabupaten_kecamatan_desa_on_a_phone(app, page, login, screenshot, monkeypatch):
    monkeypatch.setitem(app.config, "AREA_SELECT_MAX", 10)
    for k in range(81, 84):
        b.make_region(f"33.{k}", f"Kabupaten Uji {k}")
        for c in range(1, 4):
            b.make_region(f"33.{k}.{c:02d}", f"Kecamatan {k}-{c}")
            for d in range(1, 5):
                b.make_region(f"33.{k}.{c:02d}.200{d}", f"Desa {k}-{c}-{d}", lat=-7.0, lng=110.4)
    admin = b.make_user("admin", "admin_provinsi", scope="33")
    db.session.commit()

    page.set_viewport_size({"width": 360, "height": 740})
    login(page, admin.username, b.PASSWORD)
    page.goto("/lokasi/baru")
    assert page.locator("#desa_kode option").count() == 1  # nothing but "— pilih … —" yet
    assert not page.get_by_role("button", name="Tampilkan").first.is_visible()  # JS hides the no-JS buttons
    page.get_by_label("Jenis lokasi").select_option("balai_desa")
    page.get_by_label("Nama lokasi").fill("Balai Desa 82-3-2")
    page.locator("#pilih_kabupaten").select_option("33.82")
    page.locator("#pilih_kecamatan option[value='33.82.03']").wait_for(state="attached")
    page.locator("#pilih_kecamatan").select_option("33.82.03")
    page.locator("#desa_kode option[value='33.82.03.2002']").wait_for(state="attached")
    assert page.locator("#desa_kode option").count() == 5
    page.locator("#desa_kode").select_option("33.82.03.2002")
    page.get_by_label("Lintang (lat)").fill("-7.00010")
    page.get_by_label("Bujur (lng)").fill("110.40010")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the form scrolls sideways on a 360 px phone ({width} px)"
    screenshot(page, "dipilih")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    assert "tersimpan" in page.locator("main").inner_text()
    site = db.session.scalar(sa.select(Site).where(Site.nama == "Balai Desa 82-3-2"))
    assert site is not None and site.desa_kode == "33.82.03.2002" and site.kabupaten_kode == "33.82"
    screenshot(page, "tersimpan")
