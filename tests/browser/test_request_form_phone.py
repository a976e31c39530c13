"""A resident on a 360 px phone opens the request form from a desa's QR link, asks for a home visit, keeps the
code, and follows the request on the status page ("Baru"). The chooser fills its lists through its script,
nothing breaks the CSP, and the page asks for nothing outside the app."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.extensions import db as _db
from outreach.models import VisitRequest
from tests.conftest import WIB

pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))]


def test_a_home_visit_request_from_the_qr_link_on_a_phone(page, world, screenshot):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(f"/permohonan?desa={world.desa1.kode}")
    assert page.locator("#kabupaten").input_value() == "33.74"
    assert page.locator("#kecamatan").input_value() == "33.74.01"
    assert page.locator("#desa_kode").input_value() == world.desa1.kode
    assert not page.get_by_role("button", name="Tampilkan").first.is_visible()  # the script took over
    assert page.get_by_role("button", name="Pakai lokasi saya sekarang").is_visible()
    trap = page.locator("#website").bounding_box()  # the honeypot: off the screen for people
    assert trap is None or trap["x"] + trap["width"] <= 0

    # The chooser asks the server for the other kecamatan's desa, then back.
    page.select_option("#kecamatan", "33.74.02")
    page.locator("#desa_kode option[value='33.74.02.1001']").wait_for(state="attached")
    page.select_option("#kecamatan", "33.74.01")
    page.locator(f"#desa_kode option[value='{world.desa1.kode}']").wait_for(state="attached")
    page.select_option("#desa_kode", world.desa1.kode)

    page.select_option("#kind", "rumah_disabilitas")
    page.fill("#address", "Jl. Kenanga 12, belakang musala")
    page.fill("#rt", "4")
    page.fill("#rw", "2")
    page.fill("#people", "1")
    page.fill("#description", "Bapak memakai kursi roda")
    page.fill("#requester_name", "Dewi Lestari")
    page.fill("#relation", "Anak")
    page.fill("#phone", "0813 2222 4321")
    screenshot(page, "form")
    with page.expect_navigation():
        page.get_by_test_id("submit-request").click()

    code = page.get_by_test_id("request-code").input_value()
    assert code.startswith("JB-") and len(code) == 9
    assert page.get_by_role("button", name="Salin kode").is_visible()
    screenshot(page, "terkirim")
    row = _db.session.scalar(sa.select(VisitRequest).where(VisitRequest.code == code))
    assert (row.kind, row.phone, row.desa_kode, row.rt) == ("rumah_disabilitas", "6281322224321", world.desa1.kode, 4)

    page.get_by_test_id("status-link").click()
    page.wait_for_url("**/permohonan/status?kode=*")
    assert page.locator("#kode").input_value() == code
    page.fill("#hp4", "4321")
    with page.expect_navigation():
        page.get_by_role("button", name="Lihat status").click()
    assert page.get_by_test_id("status-label").inner_text() == "Baru"
    assert "Kelurahan Satu A" in page.get_by_test_id("request-status").inner_text()
    assert "Dewi" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the status page scrolls sideways on a 360 px phone ({width} px)"
    screenshot(page, "status")

    assert not problems, problems
    assert not page.blocked_requests, page.blocked_requests


def test_the_poster_on_a_phone_and_its_print_button(page, world, screenshot):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/permohonan/poster/{world.desa1.kode}")
    assert page.get_by_test_id("poster-qr").locator("svg").is_visible()
    assert page.get_by_role("button", name="Cetak poster").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".pb-head").is_visible()
    screenshot(page, "print")
