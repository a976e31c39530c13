"""The coordinator opens a finished session and reads what the team logged and how it was corrected;
corrects it once more with a reason through the log form; and opens a mop-up pre-filled from the log."""
from datetime import date, datetime

import pytest

from outreach.field import operations
from tests import builders
from tests.conftest import WIB

DAY = date(2026, 5, 4)                          # a Monday; the session runs 08.00–12.00
NOW = datetime(2026, 5, 6, 10, 0, tzinfo=WIB)   # two days later
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]


def test_coordinator_reads_the_log_and_its_history_and_corrects_it_with_a_reason(app, db, world, page, login,
                                                                                    screenshot):
    w = builders.make_planning_world(world)
    field, coord = w.users["field"], w.users["coordinator"]
    field.name, coord.name = "Sari Lapangan", "Budi Koordinator"
    s = builders.make_session(w.site1, w.team, [w.kit, w.kit2], DAY, status="terkonfirmasi")
    db.session.commit()
    operations.save_log(field, s.id, {"recorded": {"pemilih_pemula": 3, "umum": 15},
                                   "recorded_by_sex": {"L": 8, "P": 10},
                                   "not_recorded": {"gangguan_alat_jaringan": 8, "tidak_ditemukan_siak": 4,
                                                    "tidak_bersedia": 3},
                                   "away": {"luar_negeri": 2}, "started_at": "08:05", "ended_at": "11:50",
                                   "notes": "Listrik padam 30 menit."},
                     "k-browser-1", now=datetime(2026, 5, 4, 13, 0, tzinfo=WIB))
    operations.correct_log(field, s.id, {"version": 1, "recorded": {"umum": 31}, "recorded_by_sex": {"L": 17, "P": 17},
                                      "reason": "Daftar hadir sore belum dihitung"},
                        now=datetime(2026, 5, 4, 15, 30, tzinfo=WIB))
    operations.correct_log(coord, s.id, {"version": 2, "recorded": {"umum": 17}, "recorded_by_sex": {"L": 10, "P": 10},
                                      "reason": "Dicek ulang: 14 nama tercatat dua kali"},
                        now=datetime(2026, 5, 5, 9, 15, tzinfo=WIB))

    login(page, "koordinator_uji", builders.PASSWORD)
    page.goto(f"/sesi/{s.id}")
    log = page.get_by_test_id("turnout-log")
    assert log.get_by_test_id("log-total").inner_text() == "20 terekam"
    assert "Umum\t17" in log.get_by_test_id("log-recorded").inner_text()
    assert "Data tidak ditemukan di SIAK / NIK ganda\t4" in log.get_by_test_id("log-not-recorded").inner_text()
    history = log.get_by_test_id("log-history")
    rows = history.locator("tbody tr")
    assert rows.count() == 3
    newest = rows.nth(0).inner_text()
    assert "Budi Koordinator" in newest and "Terekam: Umum: 31 → 17" in newest
    assert "Dicek ulang: 14 nama tercatat dua kali" in newest
    assert "Terekam: Umum: 15 → 31" in rows.nth(1).inner_text()
    assert "Sari Lapangan" in rows.nth(2).inner_text() and "Laporan pertama" in rows.nth(2).inner_text()
    # the mop-up form starts from the log: 8 kit/network failures + 4 not found in SIAK
    assert page.get_by_label("Jumlah warga yang belum hadir").input_value() == "12"
    log.scroll_into_view_if_needed()
    screenshot(page, "1-laporan-dan-riwayat")

    # one more correction, with its reason, through the log form
    with page.expect_navigation():
        log.get_by_test_id("correct-log").click()
    reason = page.get_by_label("Alasan koreksi")
    assert reason.is_visible()
    page.locator("#f-recorded-umum").fill("18")
    page.locator("#f-recorded_by_sex-L").fill("11")
    reason.fill("Satu warga lansia direkam di rumah sesudah sesi")
    screenshot(page, "2-formulir-koreksi")
    page.get_by_role("button", name="Simpan log").click()
    page.get_by_test_id("log-state").filter(has_text="terkirim").wait_for()
    assert reason.input_value() == ""  # the next correction starts without the old reason

    page.goto(f"/sesi/{s.id}")
    newest = page.get_by_test_id("log-history").locator("tbody tr").nth(0).inner_text()
    assert "Terekam: Umum: 17 → 18" in newest and "Satu warga lansia direkam di rumah sesudah sesi" in newest
    screenshot(page, "3-sesudah-koreksi")

    # the mop-up proposal, as the form sends it
    with page.expect_navigation():
        page.get_by_role("button", name="Usulkan sesi susulan").click()
    assert "12 warga belum hadir" in page.get_by_test_id("mop-up-note").inner_text()
    assert [u for u in page.blocked_requests if "tile.openstreetmap.org" not in u] == []  # map tiles only
