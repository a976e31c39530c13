"""Each demo user signs in through the form, lands on its own home page in Bahasa Indonesia, and signs out."""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from outreach import demo
from outreach.demo_data import PASSWORD
from tests.conftest import WIB

# The demo is seeded and used on a Wednesday morning.
pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))]

ROLE_LABELS = {"admin": "Admin", "manajer": "Manajer", "koordinator": "Koordinator kecamatan",
               "lapangan": "Tim lapangan"}
SCOPE_TEXT = {"admin": "Seluruh wilayah", "manajer": "Kota Semarang", "koordinator": "Tembalang",
              "lapangan": "Kota Semarang"}
# Words an English page would show; none may leak into the Indonesian one.
ENGLISH = ("Welcome", "Home", "Dashboard", "Sites", "Regions", "Calendar", "Sessions", "Schedule", "Map",
           "Log out", "Logout", "Sign out", "Sign in", "Settings", "Users", "Teams", "Recorded", "Locations")


@pytest.mark.parametrize("username", list(ROLE_LABELS))
def test_demo_user_logs_in_and_sees_home_in_indonesian(db, page, login, screenshot, username):
    result = demo.seed_demo()
    user = result.users[username]

    login(page, username, PASSWORD)

    assert urlsplit(page.url).path == "/"
    assert page.locator("html").get_attribute("lang") == "id"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().strip() == f"Selamat datang, {user.name}"
    whoami = page.get_by_test_id("whoami").inner_text()
    assert ROLE_LABELS[username] in whoami
    main_text = page.locator("main").inner_text()
    assert "Wajib KTP" in main_text and "Belum rekam" in main_text
    assert SCOPE_TEXT[username] in main_text
    nav_text = page.locator("nav").inner_text()
    for word in ENGLISH:
        assert not re.search(rf"\b{word}\b", nav_text + "\n" + main_text), f"English '{word}' on the page"
    assert page.blocked_requests == [], "the page asked for something outside this server"
    screenshot(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Keluar", exact=True).click()
    assert page.url.endswith("/login")
    assert "Anda telah keluar." in page.locator("main").inner_text()
    page.goto("/")
    assert "/login" in page.url  # signed out: home sends back to the login form


def test_wrong_password_shows_indonesian_message(db, page, login, screenshot):
    demo.seed_demo()
    login(page, "koordinator", "bukan-sandinya")
    assert "/login" in page.url
    assert "Nama pengguna atau kata sandi salah." in page.locator("main").inner_text()
    screenshot(page)


@pytest.mark.parametrize("username", ["koordinator", "admin"])
def test_the_menu_bar_stays_on_one_line_at_1366_px_and_the_account_menu_opens(db, page, login, screenshot, username):
    """Password and signing out everywhere live in the account menu (who is signed in), so a planner's bar,
    "Permohonan" included, is one line on an office laptop."""
    demo.seed_demo()
    page.set_viewport_size({"width": 1366, "height": 700})
    login(page, username, PASSWORD)
    nav = page.locator("nav.navbar")
    assert nav.bounding_box()["height"] <= 64, "the menu bar wraps onto a second line"
    queue = nav.locator("a.nav-link", has_text="Permohonan")
    from outreach.requests.demo import REQUESTS

    waiting = sum(1 for *_, then in REQUESTS if (then or "baru") in ("baru", "diverifikasi"))
    assert queue.is_visible() and queue.get_by_test_id("nav-badge-request_queue.index").inner_text() == str(waiting)
    assert not page.get_by_test_id("change-password-link").is_visible()
    page.get_by_test_id("whoami").click()
    page.get_by_test_id("change-password-link").wait_for(state="visible")
    assert page.get_by_role("button", name="Keluar dari semua perangkat").is_visible()
    screenshot(page)
