"""On a 360 px phone: the coordinator asks a school's contact to confirm a session, the contact opens the
signed link in a browser that never signed in and confirms; the session page shows "Dikonfirmasi pihak
lokasi". Then a declined and a rescheduled answer (date and note) show on their session pages and on
the calendar."""
from datetime import date, datetime

import pytest

from tests import builders
from tests.browser.conftest import LOCAL_HOSTS, TIMEOUT_MS, give_test_clock
from tests.conftest import WIB

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)  # a Monday
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]
PHONE = {"width": 360, "height": 740}


def _world(world):
    w = builders.make_planning_world(world)
    w.school.contact_name, w.school.contact_phone = "Bu Sari", "0812-3456-7890"
    w.s_school = builders.make_session(w.school, w.team, [w.kit], day=date(2026, 12, 14),
                                       target_groups=["pemilih_pemula"])
    w.s_declined = builders.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 15))
    w.s_moved = builders.make_session(w.site3, w.team2, [w.team2_kit], day=date(2026, 12, 16))
    builders.db.session.commit()
    return w


def _contact_page(browser, live_server):
    """A phone browser that never signed in (its own cookies), local requests only."""
    from urllib.parse import urlsplit

    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", timezone_id="Asia/Jakarta", viewport=PHONE)
    ctx.set_default_timeout(TIMEOUT_MS)
    give_test_clock(ctx)
    ctx.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS
              else route.abort("blockedbyclient"))
    return ctx, ctx.new_page()


def _ask(page, session_id) -> str:
    """On the session page: "Minta konfirmasi", then the signed link shown."""
    page.goto(f"/sesi/{session_id}")
    with page.expect_navigation():
        page.get_by_test_id("confirmation-ask").click()
    link = page.get_by_test_id("confirmation-link").input_value()
    assert "/konfirmasi/" in link
    return link


def test_contact_confirms_declines_and_reschedules_through_signed_links(app, db, world, page, browser, live_server,
                                                                      login, screenshot):
    w = _world(world)
    page.set_viewport_size(PHONE)
    login(page, "koordinator_uji", builders.PASSWORD)

    link = _ask(page, w.s_school.id)
    state = page.get_by_test_id("confirmation-state")
    assert "Konfirmasi diminta" in state.inner_text()
    whatsapp = page.get_by_test_id("confirmation-whatsapp")
    href = whatsapp.get_attribute("href")
    assert href.startswith("https://wa.me/6281234567890?text=") and "%2Fkonfirmasi%2F" in href
    screenshot(page, "1-tautan-dibuat")
    # "Kirim lewat WhatsApp" opens WhatsApp in a new tab and records here that the link was sent.
    with page.expect_popup() as popup, page.expect_navigation():
        whatsapp.click()
    popup.value.close()
    assert "Menunggu balasan" in page.get_by_test_id("confirmation-state").inner_text()

    ctx, contact = _contact_page(browser, live_server)
    try:
        contact.goto(link)
        assert "SMA Negeri Uji" in contact.get_by_test_id("confirmation-session").inner_text()
        assert "Sen, 14 Des 2026" in contact.get_by_test_id("confirmation-day").inner_text()
        assert contact.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(contact, "2-halaman-narahubung")
        contact.get_by_role("radio", name="Bersedia, jadwal sesuai").check()
        with contact.expect_navigation():
            contact.get_by_test_id("confirmation-submit").click()
        assert "Dikonfirmasi pihak lokasi" in contact.get_by_test_id("confirmation-recorded").inner_text()
        screenshot(contact, "3-terima-kasih")

        page.goto(f"/sesi/{w.s_school.id}")
        assert "Dikonfirmasi pihak lokasi" in page.get_by_test_id("confirmation-state").inner_text()
        assert page.get_by_test_id("session-status").inner_text().strip() == "Terkonfirmasi"
        assert "Pihak lokasi (tautan)" in page.get_by_test_id("session-confirmed").inner_text()
        screenshot(page, "4-sesi-dikonfirmasi")

        # A declined answer.
        contact.goto(_ask(page, w.s_declined.id))
        contact.get_by_role("radio", name="Tidak bersedia").check()
        contact.get_by_label("Catatan (opsional)").fill("Balai dipakai hajatan warga")
        with contact.expect_navigation():
            contact.get_by_test_id("confirmation-submit").click()
        assert "Ditolak pihak lokasi" in contact.get_by_test_id("confirmation-recorded").inner_text()

        # A rescheduled answer: a date in the past is refused first, with a message.
        contact.goto(_ask(page, w.s_moved.id))
        contact.get_by_role("radio", name="Minta tanggal lain").check()
        contact.get_by_label("Tanggal lain yang diusulkan").fill("2026-12-01")
        with contact.expect_navigation():
            contact.get_by_test_id("confirmation-submit").click()
        assert "Tanggal usulan harus sesudah hari ini." in contact.content()
        contact.get_by_label("Tanggal lain yang diusulkan").fill("2026-12-21")
        contact.get_by_label("Catatan (opsional)").fill("Kepala desa rapat di kabupaten")
        with contact.expect_navigation():
            contact.get_by_test_id("confirmation-submit").click()
        assert "Minta jadwal ulang" in contact.get_by_test_id("confirmation-recorded").inner_text()
        screenshot(contact, "5-jadwal-ulang")
    finally:
        ctx.close()

    page.goto(f"/sesi/{w.s_declined.id}")
    assert "Ditolak pihak lokasi" in page.get_by_test_id("confirmation-state").inner_text()
    assert "Balai dipakai hajatan warga" in page.get_by_test_id("confirmation-note").inner_text()
    assert page.get_by_test_id("session-status").inner_text().strip() == "Rencana"
    page.goto(f"/sesi/{w.s_moved.id}")
    assert "Minta jadwal ulang" in page.get_by_test_id("confirmation-state").inner_text()
    assert "21 Desember 2026" in page.get_by_test_id("confirmation-proposed").inner_text()
    assert "Kepala desa rapat di kabupaten" in page.get_by_test_id("confirmation-note").inner_text()
    screenshot(page, "6-sesi-jadwal-ulang")

    page.goto("/kalender?month=2026-12")
    badges = {b.get_attribute("data-confirmation") for b in page.locator("[data-confirmation]").all()
              if b.is_visible()}
    assert badges >= {"terkonfirmasi", "ditolak", "jadwal_ulang"}, badges
    screenshot(page, "7-kalender")
    # Nothing but the map's tiles (and WhatsApp's own page) was asked of another host: no CDN.
    assert all("wa.me" in u or "tile.openstreetmap.org" in u for u in page.blocked_requests), page.blocked_requests
