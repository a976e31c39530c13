"""The coordinator plans a session from the calendar, meets a kit conflict, resolves it by choosing
another kit, confirms the session and opens the printed schedule; the field user then sees the
session on its team calendar."""
import re
from datetime import date, datetime, timedelta

import holidays
import pytest
import sqlalchemy as sa

from outreach.models import RecordingSession
from tests import builders
from tests.conftest import WIB

# Planned on a Monday morning, for a working day about two weeks ahead.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]


def next_working_day(start: date) -> date:
    days_off = holidays.country_holidays("ID", years=[start.year, start.year + 1])
    day = start
    while day.weekday() >= 5 or day in days_off:
        day += timedelta(days=1)
    return day


def test_coordinator_plans_resolves_a_kit_conflict_confirms_and_prints(app, db, world, page, login, screenshot):
    pw = builders.make_planning_world(world)
    day = next_working_day(NOW.date() + timedelta(days=10))
    # Tim Keliling 2 has borrowed KIT-A that morning at another site of the kecamatan.
    other = builders.make_session(pw.site3, pw.team2, [pw.kit], day=day, start="08:00", end="12:00")
    db.session.commit()

    login(page, "koordinator_uji", builders.PASSWORD)
    page.goto(f"/kalender?month={day:%Y-%m}")
    assert page.get_by_test_id("calendar-title").inner_text().startswith("Kalender Kecamatan")
    assert page.locator(f'td[data-date="{day.isoformat()}"] a[data-session-id="{other.id}"]').count() == 1
    with page.expect_navigation():
        page.get_by_test_id(f"add-{day.isoformat()}").click()
    assert page.get_by_label("Tanggal", exact=True).input_value() == day.isoformat()  # prefilled from the cell

    page.get_by_label("Lokasi").select_option(label="Balai Kelurahan Satu A — Balai desa/kelurahan")
    page.get_by_label("Jam mulai").fill("09:00")
    page.get_by_label("Jam selesai").fill("11:30")
    page.get_by_label("Tim", exact=True).select_option(label="Tim Keliling 1")
    page.get_by_label("KIT-A").check()
    page.get_by_label("Catatan").fill("Undangan lewat ketua RT")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()

    conflicts = page.get_by_test_id("conflicts")
    text = conflicts.inner_text()
    assert "Alat KIT-A sudah dipakai pada waktu yang sama di Balai Desa Satu B" in text
    assert f"sesi #{other.id}" in text
    assert page.get_by_label("Jam mulai").input_value() == "09:00"  # nothing typed is lost
    assert page.get_by_label("Catatan").input_value() == "Undangan lewat ketua RT"
    screenshot(page, "1-bentrok")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)) == 1

    page.get_by_label("KIT-A").uncheck()
    page.get_by_label("KIT-B").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    assert re.search(r"/sesi/\d+$", page.url)
    assert "Sesi direncanakan." in page.locator("main").inner_text()
    assert page.get_by_test_id("session-status").inner_text().strip() == "Rencana"
    assert "KIT-B" in page.get_by_test_id("session-kits").inner_text()
    # the small map shows the site's marker even though map tiles cannot be loaded here
    page.wait_for_selector("#site-map path.leaflet-interactive")
    screenshot(page, "2-sesi")

    page.get_by_role("button", name="Konfirmasi", exact=True).click()
    page.locator("#aksi-konfirmasi.show").wait_for()  # the form has finished opening (no click mid-animation)
    page.get_by_label("Dikonfirmasi dengan").fill("Pak Lurah Satu A")
    with page.expect_navigation(timeout=30_000):
        page.get_by_role("button", name="Simpan konfirmasi").click()
    assert page.get_by_test_id("session-status").inner_text().strip() == "Terkonfirmasi"
    assert "Pak Lurah Satu A" in page.get_by_test_id("session-confirmed").inner_text()
    assert "Dikonfirmasi" in page.get_by_test_id("audit-trail").inner_text()

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-announcement").click()
    page.wait_for_function("() => document.querySelector('[data-testid=copy-announcement]').textContent === 'Tersalin'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Balai Kelurahan Satu A" in copied and "09.00–11.30 WIB" in copied and "Kartu Keluarga" in copied
    screenshot(page, "3-terkonfirmasi")

    with page.expect_navigation():
        page.get_by_role("link", name="Cetak", exact=True).click()
    schedule = page.get_by_test_id("print-schedule").inner_text()
    assert "Jadwal Perekaman E-KTP Keliling" in schedule and "Balai Kelurahan Satu A" in schedule
    assert "09.00–11.30" in schedule and "Pak Lurah Satu A" in schedule
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden() and page.get_by_test_id("print-filters").is_hidden()
    screenshot(page, "4-cetak")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    page.emulate_media(media="screen")
    assert page.blocked_requests == [] or all("tile.openstreetmap.org" in u for u in page.blocked_requests)

    session_id = db.session.scalars(sa.select(RecordingSession.id).where(RecordingSession.site_id == pw.site1.id)).one()
    page.context.clear_cookies()
    login(page, "lapangan_uji", builders.PASSWORD)
    page.goto(f"/kalender?month={day:%Y-%m}")
    assert page.get_by_test_id("calendar-title").inner_text() == "Kalender Tim Keliling 1"
    item = page.locator(f'td[data-date="{day.isoformat()}"] a[data-session-id="{session_id}"]')
    assert "Balai Kelurahan Satu A" in item.inner_text()
    assert page.locator(f'a[data-session-id="{other.id}"]').count() == 0  # the other team's session
    assert pw.team.calendar_secret in page.get_by_test_id("feed-url").input_value()
    screenshot(page, "5-kalender-tim")
