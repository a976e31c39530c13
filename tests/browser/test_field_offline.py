"""The field pages in headless Chromium: the schedule installs the service worker, a log made with the
network off is queued on the phone ("belum terkirim"), and is sent once when the network returns
("terkirim"), moving the desa's known-away counts and the school's pemilih pemula once. Also: server
errors next to their fields, the over-capacity confirmation, and two phones logging one session.

Service workers need a secure context: the live server is on 127.0.0.1 (localhost counts as secure).
"""
from __future__ import annotations

from datetime import datetime, timedelta

# Playwright applies offline mode (and routing) to a service worker's own requests only with this flag;
# without it the worker would still reach the server while the page is "offline". It must be set before
# the Playwright driver starts (the session's `browser` fixture), so at import time.

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from outreach.extensions import db as _db  # noqa: E402
from tests import builders as b  # noqa: E402
from tests.browser.conftest import give_test_clock  # noqa: E402
from tests.conftest import WIB  # noqa: E402

# A Wednesday morning in the field: yesterday's school session waits for its log.
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=WIB)
TODAY = NOW.date()
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]
PHONE = {"width": 360, "height": 740}


@pytest.fixture()
def school_day(world):
    """Yesterday's session of the field user's team at a school in Kelurahan Satu A, still without a log;
    the kelurahan already knows 4 residents abroad; the school has 100 of 120 pemilih pemula recorded."""
    school = b.make_site(world.desa1.kode, "SMA Negeri Uji", type="sekolah", pemilih_pemula=120,
                         pemilih_pemula_recorded=100, contact_name="Bu Kepala Sekolah",
                         contact_phone="024-7654321")
    b.make_known_away(world.desa1.kode, "luar_negeri", 4)
    session = b.make_session(school, world.team, [world.kit], day=TODAY - timedelta(days=1),
                             status="terkonfirmasi", target_groups=["pemilih_pemula"])
    b.make_session(world.site1, world.team, [world.kit], day=TODAY + timedelta(days=2))
    _db.session.commit()
    return session


def _figures(session_id: int, desa_kode: str, site_id: int) -> dict:
    from outreach.models import KnownAway, Site, TurnoutLog

    _db.session.expire_all()
    away = dict(_db.session.execute(sa.select(KnownAway.reason, KnownAway.count)
                                    .where(KnownAway.desa_kode == desa_kode)).all())
    return {"logs": _db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)
                                       .where(TurnoutLog.session_id == session_id)),
            "away": away, "school": _db.session.get(Site, site_id).pemilih_pemula_recorded}


def _open_schedule_and_wait_for_offline_copy(page):
    page.goto("/jadwal-saya")
    page.get_by_test_id("offline-ready").wait_for(state="visible")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    except PlaywrightTimeoutError:
        # Seen once on a loaded machine: the worker was active and had cached the pages, but had not
        # claimed this page yet. The next load of the page is controlled, as it is for a user.
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_log_made_offline_is_queued_then_sent_once(page, context, login, screenshot, world, school_day):
    sid, desa, site_id = school_day.id, world.desa1.kode, school_day.site_id
    page.set_viewport_size(PHONE)
    login(page, world.users["field"].username, b.PASSWORD)
    _open_schedule_and_wait_for_offline_copy(page)
    waiting = page.get_by_test_id("waiting")
    assert "Menunggu log (1)" in waiting.inner_text() and "SMA Negeri Uji" in waiting.inner_text()
    assert page.locator(f'[data-state-for="{sid}"]').inner_text() == "belum diisi"
    # Touch targets are at least 44 px high on a 360 px wide screen; nothing is wider than the screen.
    for box in (page.get_by_test_id(f"log-{sid}").bounding_box(), page.locator("summary").first.bounding_box()):
        assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "jadwal-360")

    context.set_offline(True)
    assert page.evaluate("fetch('/healthz').then(() => 'online', () => 'offline')") == "offline"
    with page.expect_navigation() as nav:
        page.get_by_test_id(f"log-{sid}").click()
    assert nav.value.from_service_worker, "the log form should come from the phone's cache"
    assert page.locator("#fb-offline").is_visible()

    # Phone-side checks, in Indonesian, before anything is queued.
    page.locator('[name="recorded.pemilih_pemula"]').fill("6")
    page.locator('[name="recorded.umum"]').fill("1x")
    assert "angka bulat" in page.locator('[data-error-for="recorded.umum"]').inner_text()
    page.locator('[name="recorded.umum"]').fill("1")
    page.locator('[name="recorded_by_sex.L"]').fill("3")
    page.locator('[name="recorded_by_sex.P"]').fill("3")
    page.get_by_role("button", name="Simpan log").click()
    assert "L + P (6) harus sama dengan total terekam (7)" in page.locator(
        '[data-error-for="recorded_by_sex"]').inner_text()
    page.locator('[name="recorded_by_sex.P"]').fill("4")
    assert page.get_by_test_id("sum").inner_text() == "total 7 = L 3 + P 4"
    page.locator('[name="away.luar_negeri"]').fill("2")
    page.locator('[name="away.bekerja_luar_daerah"]').fill("1")
    page.locator('[name="not_recorded.sudah_rekam"]').fill("2")
    page.locator('[name="notes"]').fill("Dua siswa ternyata sudah rekam di Disdukcapil.")
    screenshot(page, "form-offline")
    page.get_by_role("button", name="Simpan log").click()
    status = page.get_by_test_id("log-status")
    expect(page.get_by_test_id("log-state")).to_have_text("(belum terkirim)")
    assert "disimpan di ponsel" in status.inner_text()
    assert _figures(sid, desa, site_id)["logs"] == 0

    with page.expect_navigation() as nav:
        status.get_by_role("link").click()  # back to the schedule, still offline
    assert nav.value.from_service_worker
    state = page.locator(f'[data-state-for="{sid}"]')
    assert state.inner_text() == "belum terkirim"
    assert "1 log belum terkirim." in page.get_by_test_id("sync").inner_text()
    screenshot(page, "antrian")

    context.set_offline(False)  # the "online" event sends the queue
    expect(state).to_have_text("terkirim", timeout=10_000)
    expect(state).to_have_attribute("data-state", "sent")
    assert page.get_by_test_id("sync").is_hidden()
    after = _figures(sid, desa, site_id)
    assert after == {"logs": 1, "away": {"luar_negeri": 6, "bekerja_luar_daerah": 1}, "school": 106}
    from outreach.models import RecordingSession, TurnoutLog
    log = _db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.session_id == sid))
    assert (log.recorded_pemilih_pemula, log.recorded_umum, log.recorded_l, log.recorded_p) == (6, 1, 3, 4)
    assert log.not_recorded_sudah_rekam == 2 and log.kit_ids == [world.kit.id]
    assert _db.session.get(RecordingSession, sid).status == "selesai"

    # The same queued log sent again (a retry after a lost answer) is stored once: same key, same body.
    key = page.evaluate(f"""() => {{
        const k = Object.keys(localStorage).find(n => n.startsWith('jb.antrian.'));
        const q = JSON.parse(localStorage.getItem(k));
        q['{sid}'].state = 'pending';
        localStorage.setItem(k, JSON.stringify(q));
        return window.jbField.flush().then(() => JSON.parse(localStorage.getItem(k))['{sid}']);
    }}""")
    assert key["state"] == "sent" and key["server"]["version"] == 1
    assert _figures(sid, desa, site_id) == after
    page.reload()
    assert page.locator(f'[data-state-for="{sid}"]').inner_text() == "terkirim"
    assert page.blocked_requests == []


def test_server_errors_show_next_to_fields_and_over_capacity_needs_a_confirmation(page, login, screenshot, world,
                                                                                  school_day):
    sid = school_day.id
    page.set_viewport_size(PHONE)
    login(page, world.users["field"].username, b.PASSWORD)
    page.goto(f"/jadwal-saya/sesi/{sid}/log")
    page.locator('[name="recorded.pemilih_pemula"]').fill("70")
    page.locator('[name="recorded_by_sex.L"]').fill("30")
    page.locator('[name="recorded_by_sex.P"]').fill("40")
    page.locator('[name="started_at"]').fill(f"{(school_day.date - timedelta(days=1)).isoformat()}T08:00")
    page.get_by_role("button", name="Simpan log").click()
    # The server refuses a start on the day before the session, next to the field; nothing is stored.
    error = page.locator('[data-error-for="started_at"]')
    error.wait_for(state="visible")
    assert "hari sesi" in error.inner_text()
    expect(page.get_by_test_id("log-state")).to_have_text("(perlu diperbaiki)")
    screenshot(page, "server-error")
    assert _figures(sid, world.desa1.kode, school_day.site_id)["logs"] == 0

    # One kit for 3 h 50 min records about 57 people: the phone asks for a confirmation first.
    page.locator('[name="started_at"]').fill(f"{school_day.date.isoformat()}T08:10")
    page.get_by_role("button", name="Simpan log").click()
    confirm = page.locator("#fb-confirm")
    confirm.wait_for(state="visible")
    assert "melebihi perkiraan kemampuan kit" in confirm.inner_text()
    assert _figures(sid, world.desa1.kode, school_day.site_id)["logs"] == 0
    page.locator("#f-confirm").check()
    page.get_by_role("button", name="Simpan log").click()
    expect(page.get_by_test_id("log-state")).to_have_text("(terkirim)")
    from outreach.models import TurnoutLog
    log = _db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.session_id == sid))
    assert log.recorded_total == 70 and log.over_capacity_confirmed


def test_two_phones_one_session_the_second_sees_the_other_values(browser, live_server, page, login, screenshot,
                                                                  world, school_day):
    sid = school_day.id
    user = world.users["field"].username
    page.set_viewport_size(PHONE)
    other = browser.new_context(base_url=live_server.url, locale="id-ID", timezone_id="Asia/Jakarta",
                                viewport=PHONE)
    give_test_clock(other)
    try:
        phone_b = other.new_page()
        for p in (page, phone_b):
            login(p, user, b.PASSWORD)
            p.goto(f"/jadwal-saya/sesi/{sid}/log")

        def fill(p, pemula, l, pr):
            p.locator('[name="recorded.pemilih_pemula"]').fill(str(pemula))
            p.locator('[name="recorded_by_sex.L"]').fill(str(l))
            p.locator('[name="recorded_by_sex.P"]').fill(str(pr))
            p.get_by_role("button", name="Simpan log").click()

        fill(page, 10, 4, 6)
        expect(page.get_by_test_id("log-state")).to_have_text("(terkirim)")
        fill(phone_b, 12, 5, 7)
        conflict = phone_b.get_by_test_id("conflict")
        conflict.wait_for(state="visible")
        text = conflict.inner_text()
        assert "Nilai di server" in text and "Nilai Anda" in text
        row = conflict.locator("tr", has_text="Pemilih pemula").inner_text().split()
        assert row[-2:] == ["10", "12"]
        screenshot(phone_b, "bentrok")
        from outreach.models import TurnoutLog
        log = _db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.session_id == sid))
        assert log.recorded_pemilih_pemula == 10 and log.version == 1  # nothing overwritten

        phone_b.get_by_test_id("use-mine").click()  # an explicit choice: correct the log with version 1
        expect(phone_b.get_by_test_id("log-state")).to_have_text("(terkirim)")
        _db.session.expire_all()
        log = _db.session.scalar(sa.select(TurnoutLog).where(TurnoutLog.session_id == sid))
        assert (log.recorded_pemilih_pemula, log.recorded_l, log.recorded_p, log.version) == (12, 5, 7, 2)
    finally:
        other.close()
