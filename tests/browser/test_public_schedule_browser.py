"""A resident opens a kecamatan's public schedule on a 360 px phone: readable, nothing cut off, no login."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from outreach.extensions import db as _db
from tests import builders as b
from tests.conftest import WIB

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)
PHONE = {"width": 360, "height": 740}


def test_kecamatan_schedule_on_a_phone(page, world, screenshot):
    school = b.make_site(world.desa1.kode, "SMA Negeri 1 Kecamatan Satu dengan Nama yang Sangat Panjang Sekali",
                         type="sekolah")
    home = b.make_site(world.desa2.kode, "Mbah Karto", type="rumah", address="Jl. Kenanga 7", rt=3, rw=5)
    b.make_session(world.site1, world.team, [world.kit], day=date(2026, 12, 16), status="terkonfirmasi",
                   target_groups=["umum", "lansia_disabilitas"])
    b.make_session(school, world.team, [world.kit], day=date(2026, 12, 17), start="09:00", end="13:00",
                   target_groups=["pemilih_pemula"])
    b.make_session(home, world.team, [world.kit], day=date(2026, 12, 18), start="10:00", end="11:00",
                   target_groups=["lansia_disabilitas"])
    b.make_session(world.site1, world.team, [world.kit], day=date(2026, 12, 21), kind="sosialisasi")
    _db.session.commit()

    page.set_viewport_size(PHONE)
    page.goto(f"/jadwal/{world.kec1.kode}")
    assert page.get_by_test_id("schedule-title").is_visible()
    assert page.get_by_test_id("session").count() == 4
    assert page.get_by_text("Rabu, 16 Desember 2026").is_visible()
    assert page.get_by_text("Kunjungan rumah (terjadwal)").first.is_visible()
    body = page.content()
    assert "Mbah Karto" not in body and "Kenanga" not in body
    assert page.get_by_test_id("share-whatsapp").is_visible() and page.get_by_test_id("ical-link").is_visible()
    # Nothing wider than the phone, and no card or heading cut off.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for card in page.get_by_test_id("session").all():
        assert card.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    assert page.context.cookies() == []  # no session cookie for an anonymous visitor
    assert page.blocked_requests == []  # no CDN
    screenshot(page)
    # The children links lead to a desa's schedule, and the request link carries the desa.
    page.get_by_test_id("children").get_by_role("link", name="Kelurahan Satu A").click()
    page.wait_for_url(f"**/jadwal/{world.desa1.kode}")
    assert page.get_by_test_id("request-link").get_attribute("href") == f"/permohonan?desa={world.desa1.kode}"
    screenshot(page, "desa")
