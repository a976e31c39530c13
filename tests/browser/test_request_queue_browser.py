"""A coordinator on a 360 px phone opens the queue from the menu, opens a home-visit request, verifies it (it
becomes a `rumah` site) and links it to an upcoming session."""
from datetime import datetime

import pytest

from outreach.models.requests import VisitRequest
from tests import builders
from tests.conftest import WIB
from tests.test_requests_queue import make_request
from tests.browser.conftest import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))]
PHONE = {"width": 360, "height": 740}


def test_coordinator_verifies_and_schedules_a_request_on_a_phone(world, db, page, login, screenshot):
    w = world
    req = make_request(code="JB-TEST01", kind="rumah_lansia", days_old=4)
    make_request(code="JB-TEST02", kind="sekolah", days_old=1)
    session = builders.make_session(w.site1, w.team, [w.kit])
    db.session.commit()
    req_id, session_id = req.id, session.id

    page.set_viewport_size(PHONE)
    login(page, "koordinator_uji", builders.PASSWORD)
    open_menu(page)
    badge = page.get_by_test_id("nav-badge-request_queue.index")
    assert badge.inner_text() == "2"
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("link", name="Permohonan").click()
    rows = page.get_by_test_id("queue-list").locator("tbody tr")
    assert rows.first.get_attribute("data-request-id") == str(req_id)  # the oldest waiting one first
    assert "4 hari" in rows.first.inner_text() and "0812" not in page.locator("main").inner_text()
    screenshot(page, "antrean")

    with page.expect_navigation():
        page.get_by_role("link", name="JB-TEST01").click()
    assert "Siti Aminah" in page.get_by_test_id("request-personal").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("verify").click()
    assert page.get_by_test_id("request-status").get_attribute("data-status") == "diverifikasi"
    assert "Rumah warga RT 03/RW 05" in page.get_by_test_id("request-site").inner_text()
    assert page.get_by_test_id("new-session-for-request").is_visible()

    page.get_by_label("Tautkan ke sesi kecamatan ini").select_option(str(session_id))
    with page.expect_navigation():
        page.get_by_test_id("link-session").click()
    assert page.get_by_test_id("request-status").get_attribute("data-status") == "dijadwalkan"
    assert "Balai Kelurahan Satu A" in page.get_by_test_id("request-session").inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is wider than the phone: {width}px"
    screenshot(page, "dijadwalkan")

    db.session.expire_all()
    saved = db.session.get(VisitRequest, req_id)
    assert saved.status == "dijadwalkan" and saved.session_id == session_id and saved.site_id
