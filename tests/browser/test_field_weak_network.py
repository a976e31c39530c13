"""The field pages on a 360 px phone when the day or the signal is not what the plan said: today's
session after it ended, a moved session, the result of "Simpan log" next to the button, a sign-in that
ended while a log waited on the phone, a slow answer to a stored log, and a page too slow to arrive.

Each log still reaches the server exactly once (the idempotency key of the queued log).
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from outreach.extensions import db as _db
from tests import builders as b
from tests.conftest import WIB

# A Wednesday, 13.00: the morning's 08.00–12.00 session has ended without its log.
NOW = datetime(2026, 12, 9, 13, 0, tzinfo=WIB)
TODAY = NOW.date()
PHONE = {"width": 360, "height": 740}
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]


@pytest.fixture()
def field_day(world):
    """This morning's session (ended, no log) and yesterday's (waiting for its log) of the field team."""
    morning = b.make_session(world.site1, world.team, [world.kit], day=TODAY, start="08:00", end="12:00",
                             status="terkonfirmasi")
    yesterday = b.make_session(world.site2, world.team, [world.kit], day=TODAY - timedelta(days=1),
                               status="terkonfirmasi")
    _db.session.commit()
    return morning, yesterday


def _logs(session_id: int) -> int:
    from outreach.models import TurnoutLog

    _db.session.expire_all()
    return _db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)
                              .where(TurnoutLog.session_id == session_id))


def _sign_in(page, login, world):
    page.set_viewport_size(PHONE)
    login(page, world.users["field"].username, b.PASSWORD)


def _fill_log(page, umum: int = 5):
    page.locator('[name="recorded.umum"]').fill(str(umum))
    page.locator('[name="recorded_by_sex.L"]').fill(str(umum - umum // 2))
    page.locator('[name="recorded_by_sex.P"]').fill(str(umum // 2))


def _wait_for_offline_copy(page):
    page.get_by_test_id("offline-ready").wait_for(state="visible")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    except PlaywrightTimeoutError:
        page.reload()  # see test_field_offline: the next load is controlled
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]


# ------------------------------------------------------------------ today, and a moved session

def test_todays_ended_session_stays_under_today_and_a_moved_one_says_where_it_went(page, login, screenshot,
                                                                                    world, field_day):
    from outreach.planning import operations

    morning, yesterday = field_day
    moved = b.make_session(world.site1, world.team, [world.kit], day=date(2026, 12, 10), start="09:00",
                           end="12:00", status="terkonfirmasi", confirmed_with="Pak Lurah")
    _db.session.commit()
    operations.postpone_session(world.users["coordinator"], moved, date(2026, 12, 15), new_start="08:00",
                                new_end="11:00", reason="Balai dipakai rapat desa")

    _sign_in(page, login, world)
    page.goto("/jadwal-saya")
    today = page.get_by_test_id("today")
    assert "Tidak ada sesi hari ini" not in today.inner_text()
    expect(today.get_by_test_id(f"session-{morning.id}")).to_be_visible()
    expect(page.get_by_test_id(f"awaiting-{morning.id}")).to_have_text("Sesi sudah selesai — menunggu log.")
    expect(today.get_by_test_id(f"log-{morning.id}")).to_be_visible()
    waiting = page.get_by_test_id("waiting")
    assert "Menunggu log (1)" in waiting.inner_text()
    assert waiting.get_by_test_id(f"session-{yesterday.id}").count() == 1
    assert waiting.get_by_test_id(f"session-{morning.id}").count() == 0

    card = page.get_by_test_id("coming").get_by_test_id(f"session-{moved.id}")
    expect(card.get_by_test_id(f"moved-{moved.id}")).to_have_text("Dipindah ke Sel, 15 Des 08.00 (semula Kam, 10 Des 09.00)")
    assert "Ditunda" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "hari-ini-360")


# ------------------------------------------------------------------ the result next to "Simpan log"

def test_the_result_of_a_save_shows_under_the_button_without_moving_the_page(page, context, login, screenshot,
                                                                             world, field_day):
    _, yesterday = field_day
    _sign_in(page, login, world)
    page.goto("/jadwal-saya")
    _wait_for_offline_copy(page)
    page.goto(f"/jadwal-saya/sesi/{yesterday.id}/log")
    button = page.get_by_role("button", name="Simpan log")
    near = page.get_by_test_id("submit-status")
    assert near.get_attribute("aria-live") == "polite"

    context.set_offline(True)
    _fill_log(page)
    button.scroll_into_view_if_needed()
    assert page.evaluate("scrollY") > 800  # the button sits far below the top of the form on a phone
    thumb = button.bounding_box()["y"]
    button.click()
    expect(near).to_have_text("Belum terkirim — tersimpan di ponsel")
    assert abs(button.bounding_box()["y"] - thumb) < 2  # the button stays where the officer's thumb is
    assert _in_view(page, near) and _in_view(page, button)
    below = near.bounding_box()["y"] - (button.bounding_box()["y"] + button.bounding_box()["height"])
    assert 0 <= below < 40
    screenshot(page, "belum-terkirim-360")
    assert _logs(yesterday.id) == 0

    context.set_offline(False)  # the signal returns: the queued log goes, and the line says so
    expect(near).to_have_text("Terkirim", timeout=10_000)
    assert _in_view(page, near)
    screenshot(page, "terkirim-360")
    assert _logs(yesterday.id) == 1


# ------------------------------------------------------------------ a sign-in that ended

def test_a_log_queued_after_the_sign_in_ended_asks_to_sign_in_and_goes_once_afterwards(page, context, login,
                                                                                       screenshot, world,
                                                                                       field_day):
    _, yesterday = field_day
    _sign_in(page, login, world)
    page.goto("/jadwal-saya")
    _wait_for_offline_copy(page)
    page.goto(f"/jadwal-saya/sesi/{yesterday.id}/log")
    context.clear_cookies()  # the sign-in ended (expired, or ended from another device)

    _fill_log(page, 4)
    page.get_by_role("button", name="Simpan log").click()
    near = page.get_by_test_id("submit-status")
    expect(near).to_contain_text("Belum terkirim — tersimpan di ponsel")
    expect(near.get_by_test_id("sign-in-again")).to_have_text("Masuk lagi")
    status = page.get_by_test_id("log-status").inner_text()
    assert "Masuk lagi" in status and "Token keamanan" not in status
    assert _logs(yesterday.id) == 0

    # The schedule (from the phone: signed out, the server would answer the login page) shows why.
    context.set_offline(True)
    page.goto("/jadwal-saya")
    context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").click()
    why = page.get_by_test_id("sync-why")
    expect(why).to_contain_text("Sesi masuk Anda berakhir")
    signin = page.get_by_test_id("sync-login")
    expect(signin).to_be_visible()
    screenshot(page, "masuk-lagi-360")
    assert _logs(yesterday.id) == 0

    with page.expect_navigation():
        signin.click()
    page.get_by_label("Nama pengguna").fill(world.users["field"].username)
    page.get_by_label("Kata sandi").fill(b.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Masuk").click()
    state = page.locator(f'[data-state-for="{yesterday.id}"]').first
    expect(state).to_have_attribute("data-state", "sent", timeout=10_000)
    assert _logs(yesterday.id) == 1
    page.evaluate("window.jbField.flush()")  # another try changes nothing
    page.reload()
    assert _logs(yesterday.id) == 1


# ------------------------------------------------------------------ a weak but connected signal

@pytest.fixture()
def quick_timeouts(app, monkeypatch):
    """Timeouts of a few seconds shortened to fit a test (the defaults are checked in test_field_pages)."""
    monkeypatch.setitem(app.config, "FIELD_SEND_TIMEOUT_SECONDS", 2)
    monkeypatch.setitem(app.config, "FIELD_RETRY_SECONDS", 1)
    monkeypatch.setitem(app.config, "FIELD_PAGE_TIMEOUT_SECONDS", 1)


def test_a_stored_log_whose_answer_was_too_slow_ends_as_sent(page, login, screenshot, world, field_day,
                                                             quick_timeouts):
    _, yesterday = field_day
    _sign_in(page, login, world)
    page.goto(f"/jadwal-saya/sesi/{yesterday.id}/log")
    page.evaluate("""() => {
        window.seen = [];
        const near = document.getElementById('fb-submit-status');
        new MutationObserver(() => window.seen.push(near.textContent)).observe(near, {childList: true, subtree: true});
    }""")
    answers = []

    def slow_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        resp = route.fetch()  # reaches the server, which stores the log
        answers.append(resp.status)
        if len(answers) == 1:
            time.sleep(3.5)  # the answer is held past the phone's send timeout
        try:
            route.fulfill(response=resp)
        except PlaywrightError:
            pass  # the phone gave up on this one

    page.route("**/api/v1/sessions/*/turnout", slow_first_answer)
    _fill_log(page, 6)
    page.get_by_role("button", name="Simpan log").click()
    near = page.get_by_test_id("submit-status")
    expect(near).to_have_text("Terkirim", timeout=15_000)
    seen = page.evaluate("window.seen")
    assert "Menyimpan…" in seen and "Belum terkirim — tersimpan di ponsel" in seen
    assert answers == [201, 200]  # the retry with the same key is answered by the stored log
    assert _logs(yesterday.id) == 1
    expect(page.get_by_test_id("log-state")).to_have_text("(terkirim)")
    screenshot(page, "jawaban-lambat")


def test_a_page_too_slow_to_arrive_comes_from_the_phone_with_a_banner(page, context, login, screenshot, world,
                                                                     field_day, quick_timeouts):
    _sign_in(page, login, world)
    page.goto("/jadwal-saya")
    _wait_for_offline_copy(page)
    banner = page.locator("#fb-offline")
    assert banner.is_hidden()

    def slow_page(route):
        if route.request.resource_type == "document" or route.request.url.endswith("/jadwal-saya"):
            time.sleep(2.5)
        route.continue_()

    context.route("**/jadwal-saya", slow_page)
    page.reload()
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Ditampilkan dari ponsel — sinyal lemah")
    assert page.evaluate("document.body.dataset.fromPhone") == "1"
    expect(page.get_by_test_id("today")).to_be_visible()
    screenshot(page, "sinyal-lemah")
    context.unroute("**/jadwal-saya", slow_page)
    page.reload()  # a good signal again: the page from the server, no banner
    expect(banner).to_be_hidden()
