"""One journey on a 360 px phone, as people would make it: a desa's poster carries a QR code to the request
form; a daughter opens it on her phone (the desa already chosen) and asks for a home visit for her mother; two
days later the kecamatan's coordinator signs in, finds the request in "Permohonan", verifies it (a `rumah`
site is made), makes a session for it and links the request to that session; the daughter types the code and
the last 4 digits of her number on the status page and reads the day and hours of the visit; the kecamatan's
public schedule lists the visit as a home visit, without her name, address or number.

Only the world (regions, a team, a kit, users) is built in the database; everything else goes through the
pages. Every page is watched for CSP violations and console errors, and nothing is asked of another host
(but the session page's map tiles)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
import segno
import time_machine

from outreach.extensions import db as _db
from outreach.models import RecordingSession
from outreach.models.requests import VisitRequest
from tests import builders
from tests.browser.conftest import local_context, open_menu
from tests.browser.test_csp_browser import WATCH_CSP
from tests.conftest import WIB

SENT = datetime(2026, 12, 7, 19, 30, tzinfo=WIB)       # a Monday evening: the daughter sends the request
HANDLED = datetime(2026, 12, 9, 8, 0, tzinfo=WIB)      # Wednesday morning: the coordinator's turn
VISIT_DAY = date(2026, 12, 14)                         # the Monday after: the home visit (a working day)
pytestmark = [pytest.mark.browser, pytest.mark.at(SENT)]
PHONE = {"width": 360, "height": 740}

FAMILY = {"name": "Rina Wulandari", "relation": "Anak", "phone": "0857 1234 9876", "last4": "9876",
          "address": "Gang Melati 3 No. 14, rumah cat hijau", "description": "Ibu 82 tahun, sulit berjalan"}


# The innermost elements that reach past the right edge of the screen (for the message of a failed check).
WIDER_THAN_THE_PHONE = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
  .slice(0, 8).map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ` +
                        `"${(e.textContent || '').trim().slice(0, 40)}" → ${Math.round(e.getBoundingClientRect().right)}`)"""


class Watch:
    """CSP violations, console errors and uncaught errors of every page of a context; requests to other hosts."""

    def __init__(self, ctx):
        self.problems: list[str] = []
        self.pages = []
        ctx.add_init_script(WATCH_CSP)
        ctx.on("page", self.watch)
        for pg in ctx.pages:
            self.watch(pg)

    def watch(self, pg):
        self.pages.append(pg)
        pg.on("console", self._console)
        pg.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))

    def _console(self, message):
        # A request this harness aborted (the session page's map tiles) is checked through blocked_requests.
        if message.type == "error" and "ERR_BLOCKED_BY_CLIENT" not in message.text:
            self.problems.append(f"console: {message.text}")

    def check(self, pg, where: str):
        violations = pg.evaluate("window.__csp || null")
        assert violations is not None, f"{where}: the CSP listener did not run"
        assert violations == [], f"{where} ({pg.url}): {violations}"
        assert self.problems == [], f"{where} ({pg.url}): {self.problems}"
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (f"{where}: the page scrolls sideways on a 360 px phone ({width} px): "
                                         f"{pg.evaluate(WIDER_THAN_THE_PHONE, PHONE['width'])}")


def _phone(browser, live_server):
    """A phone browser that never signed in (its own cookies), the test's clock, local requests only."""
    ctx = local_context(browser, live_server, PHONE)
    return ctx, Watch(ctx), ctx.new_page()


def _qr_modules(svg_path: str) -> set[tuple[int, int]]:
    """The dark modules (x, y) of a QR code drawn by segno as one path of horizontal runs ("M2 2.5h7m3 0h1…")."""
    dark, x, y = set(), 0.0, 0.0
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", svg_path):
        nums = [float(n) for n in args.split()]
        if op == "M":
            x, y = nums
        elif op == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            run = nums[0]
            dark.update((int(x + i), int(y)) for i in range(int(run)))
            x += run
    return dark


def _encodes(svg_path: str, url: str) -> bool:
    """Whether the drawn QR code holds `url`: its modules are those of a QR code of `url` (at some error level)."""
    drawn = _qr_modules(svg_path)
    if not drawn:
        return False
    left, top = min(x for x, _ in drawn), min(y for _, y in drawn)  # the quiet zone the poster draws
    drawn = {(x - left, y - top) for x, y in drawn}
    for level in "lmqh":
        qr = segno.make(url, error=level)
        expected = {(x, y) for y, row in enumerate(qr.matrix) for x, dark in enumerate(row) if dark}
        if drawn == expected:
            return True
    return False


def _open_queue_from_menu(page):
    open_menu(page)
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("link", name="Permohonan").click()


def test_a_home_visit_from_the_qr_poster_to_the_scheduled_date(world, page, browser, live_server, login, screenshot):
    w = world
    problems_seen = []

    # 1. The desa office opens its poster; the QR code holds the address printed under it.
    office_ctx, office, poster = _phone(browser, live_server)
    family_ctx, family, phone = _phone(browser, live_server)
    try:
        poster.goto(f"/permohonan/poster/{w.desa1.kode}")
        qr = poster.get_by_test_id("poster-qr").locator("svg")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box["width"] >= 150 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        target = poster.get_by_test_id("poster-url").inner_text().strip()
        assert target == f"{live_server.url}/permohonan?desa={w.desa1.kode}"
        assert _encodes(qr.locator("path").first.get_attribute("d"), target), "the QR code does not hold the printed address"
        assert "Kelurahan Satu A" in poster.get_by_test_id("poster").inner_text()
        office.check(poster, "poster")
        screenshot(poster, "1-poster")

        # The daughter scans it: her phone opens the form with the desa already chosen.
        phone.goto(target)
        assert phone.locator("#kabupaten").input_value() == w.kab.kode
        assert phone.locator("#kecamatan").input_value() == w.kec1.kode
        assert phone.locator("#desa_kode").input_value() == w.desa1.kode
        family.check(phone, "form")
        screenshot(phone, "2-formulir")

        # 2. A home visit for an elderly mother, filled in as a family member would.
        phone.get_by_label("Jenis permohonan").select_option("rumah_lansia")
        phone.get_by_label("Alamat").fill(FAMILY["address"])
        phone.get_by_label("RT", exact=True).fill("3")
        phone.get_by_label("RW", exact=True).fill("5")
        phone.get_by_label("Jumlah orang").fill("1")
        phone.get_by_label("Keterangan").fill(FAMILY["description"])
        phone.get_by_label("Nama pemohon").fill(FAMILY["name"])
        phone.get_by_label("Hubungan dengan yang direkam").fill(FAMILY["relation"])
        phone.get_by_label("Nomor WhatsApp").fill(FAMILY["phone"])
        screenshot(phone, "3-formulir-terisi")
        with phone.expect_navigation():
            phone.get_by_test_id("submit-request").click()
        code = phone.get_by_test_id("request-code").input_value()
        assert re.fullmatch(r"JB-[0-9A-Z]{6}", code), code
        family.check(phone, "terkirim")
        screenshot(phone, "4-terkirim")

        # 3. Two days later the kecamatan's coordinator takes it up on a phone.
        with time_machine.travel(HANDLED.astimezone(timezone.utc)):
            for ctx in (page.context, family_ctx):
                ctx.clock.set_system_time(datetime.now(timezone.utc))
            coordinator = Watch(page.context)
            coordinator.watch(page)
            page.set_viewport_size(PHONE)
            login(page, "koordinator_uji", builders.PASSWORD)
            _open_queue_from_menu(page)
            row = page.get_by_test_id("queue-list").locator("tbody tr", has_text=code)
            # At 360 px the row keeps code, kind (the desa under it), age and status; RT/RW wait for a wider screen.
            cells = row.locator("td").all_inner_texts()
            assert "Kunjungan rumah: lansia" in cells[1] and "Kelurahan Satu A" in cells[1], cells
            assert row.locator("td").nth(3).is_hidden() and "03 / 05" in cells[3], cells
            assert row.locator("[data-age-days]").inner_text() == "2 hari"
            assert FAMILY["name"] not in page.locator("main").inner_text()  # no personal data in the list
            coordinator.check(page, "antrean")
            screenshot(page, "5-antrean")

            with page.expect_navigation():
                row.get_by_role("link", name=code).click()
            personal = page.get_by_test_id("request-personal").inner_text()
            assert FAMILY["name"] in personal and FAMILY["address"] in personal
            with page.expect_navigation():
                page.get_by_test_id("verify").click()
            assert page.get_by_test_id("request-status").get_attribute("data-status") == "diverifikasi"
            site_name = page.get_by_test_id("request-site").inner_text().strip()
            assert site_name == "Rumah warga RT 03/RW 05"
            coordinator.check(page, "diverifikasi")
            screenshot(page, "6-diverifikasi")

            with page.expect_navigation():
                page.get_by_test_id("new-session-for-request").click()
            site_select = page.get_by_label("Lokasi")
            assert site_select.locator("option:checked").inner_text().startswith(site_name)  # preselected
            page.get_by_label("Tanggal", exact=True).fill(VISIT_DAY.isoformat())
            page.get_by_label("Jam mulai").fill("10:00")
            page.get_by_label("Jam selesai").fill("11:00")
            page.get_by_label("Tim", exact=True).select_option(label="Tim Keliling 1")
            page.get_by_label("KIT-A").check()
            coordinator.check(page, "form sesi")
            screenshot(page, "7-form-sesi")
            with page.expect_navigation():
                page.get_by_role("button", name="Simpan").click()
            assert re.search(r"/sesi/\d+$", page.url), page.url
            session_id = int(page.url.rsplit("/", 1)[1])
            assert "Sesi direncanakan." in page.locator("main").inner_text()
            # The visit expects the one person the request names, not a share of the desa's backlog.
            assert "Kunjungan rumah: 1 orang sesuai permohonan." in page.locator("main").inner_text()
            coordinator.check(page, "sesi")
            screenshot(page, "8-sesi")

            # Back to the request, linked to that session.
            _open_queue_from_menu(page)
            with page.expect_navigation():
                page.get_by_test_id("queue-list").get_by_role("link", name=code).click()
            page.get_by_label("Tautkan ke sesi kecamatan ini").select_option(str(session_id))
            with page.expect_navigation():
                page.get_by_test_id("link-session").click()
            assert page.get_by_test_id("request-status").get_attribute("data-status") == "dijadwalkan"
            assert site_name in page.get_by_test_id("request-session").inner_text()
            coordinator.check(page, "dijadwalkan")
            screenshot(page, "9-dijadwalkan")

            # 4. The daughter looks up her request.
            phone.goto("/permohonan/status")
            phone.get_by_label("Kode permohonan").fill(code)
            phone.get_by_label("4 angka terakhir nomor WhatsApp").fill(FAMILY["last4"])
            with phone.expect_navigation():
                phone.get_by_role("button", name="Lihat status").click()
            assert phone.get_by_test_id("status-label").inner_text() == "Dijadwalkan"
            when = phone.get_by_test_id("session-date").inner_text()
            assert "Senin, 14 Desember 2026" in when and "pukul 10.00–11.00 WIB" in when, when
            assert "Di rumah" in phone.locator("main").inner_text()
            text = phone.content()
            assert FAMILY["name"] not in text and "Melati" not in text
            family.check(phone, "status")
            screenshot(phone, "10-status")

            # 5. The kecamatan's public schedule: a home visit, nobody's name, address or number.
            phone.goto(f"/jadwal/{w.kec1.kode}")
            day = phone.get_by_test_id("day").filter(has_text="Senin, 14 Desember 2026")
            card = day.get_by_test_id("session").filter(has_text="Kunjungan rumah (terjadwal)")
            assert card.count() == 1
            card_text = card.inner_text()
            assert "Kelurahan Satu A" in card_text and "10.00–11.00 WIB" in card_text, card_text
            text = phone.content()
            for private in (FAMILY["name"], "Rina", "Melati", "cat hijau", "9876", "0857", "6285", "sulit berjalan",
                            site_name, "RT 03"):
                assert private not in text, f"the public schedule shows {private!r}"
            family.check(phone, "jadwal")
            screenshot(phone, "11-jadwal")
            problems_seen = office_ctx.blocked_requests + family_ctx.blocked_requests
    finally:
        office_ctx.close()
        family_ctx.close()

    assert problems_seen == [], problems_seen  # the public pages ask nothing of another host
    assert all("tile.openstreetmap.org" in u for u in page.blocked_requests), page.blocked_requests
    _db.session.expire_all()
    saved = _db.session.query(VisitRequest).filter_by(code=code).one()
    session = _db.session.get(RecordingSession, session_id)
    assert (saved.status, saved.session_id, saved.site_id) == ("dijadwalkan", session_id, session.site_id)
    assert session.date == VISIT_DAY and session.site.type == "rumah"
