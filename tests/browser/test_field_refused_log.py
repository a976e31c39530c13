"""A log the server refuses as it is (a 4xx other than a stale CSRF token: 422 from the turnout rules, or a
400) stays on the phone marked "perlu diperbaiki" with the server's message, and is not sent again until the
team corrects it."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from outreach.extensions import db as _db
from tests import builders as b
from tests.conftest import WIB

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=WIB)
pytestmark = [pytest.mark.browser, pytest.mark.at(NOW)]
PHONE = {"width": 360, "height": 740}


def _logs(session_id: int) -> int:
    from outreach.models import TurnoutLog

    _db.session.expire_all()
    return _db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)
                              .where(TurnoutLog.session_id == session_id))


def test_log_with_a_nul_in_its_notes_is_refused_with_the_message_then_sent_corrected(page, login, screenshot,
                                                                                      world):
    session = b.make_session(world.site1, world.team, [world.kit], day=NOW.date() - timedelta(days=1),
                             status="terkonfirmasi")
    _db.session.commit()
    sid = session.id
    page.set_viewport_size(PHONE)
    login(page, world.users["field"].username, b.PASSWORD)
    page.goto(f"/jadwal-saya/sesi/{sid}/log")
    page.locator('[name="recorded.umum"]').fill("10")
    page.locator('[name="recorded_by_sex.L"]').fill("4")
    page.locator('[name="recorded_by_sex.P"]').fill("6")
    # A NUL pasted from another app (a keyboard cannot type one).
    page.eval_on_selector('[name="notes"]', 'el => { el.value = "Lancar\\u0000 sekali"; }')
    page.get_by_role("button", name="Simpan log").click()
    expect(page.get_by_test_id("log-state")).to_have_text("(perlu diperbaiki)")
    assert "karakter NUL" in page.locator('[data-error-for="notes"]').inner_text()
    screenshot(page, "refused-nul")
    assert page.evaluate(f"window.jbField.queue()['{sid}'].state") == "invalid"
    page.evaluate("window.jbField.flush()")  # a retry round leaves it alone
    page.wait_for_timeout(500)
    assert page.evaluate(f"window.jbField.queue()['{sid}'].state") == "invalid"
    assert _logs(sid) == 0

    page.locator('[name="notes"]').fill("Lancar sekali")
    page.get_by_role("button", name="Simpan log").click()
    expect(page.get_by_test_id("log-state")).to_have_text("(terkirim)")
    assert _logs(sid) == 1


def test_a_400_refusal_is_kept_as_refused_with_its_message_and_not_resent(page, login, world):
    """A 400 that is not a stale CSRF token (here: answered by a stand-in for the server) marks the log as
    refused with the server's message; before, it was queued again and again as 'belum terkirim'."""
    session = b.make_session(world.site1, world.team, [world.kit], day=NOW.date() - timedelta(days=1),
                             status="terkonfirmasi")
    _db.session.commit()
    sid = session.id
    calls = []

    def refuse(route):
        calls.append(route.request.method)
        route.fulfill(status=400, content_type="application/json",
                      body='{"error": 400, "message": "Header Idempotency-Key ditolak server.", '
                           '"errors": {"Idempotency-Key": "Kunci tidak sah."}}')

    page.set_viewport_size(PHONE)
    login(page, world.users["field"].username, b.PASSWORD)
    page.route(f"**/api/v1/sessions/{sid}/turnout", refuse)
    page.goto(f"/jadwal-saya/sesi/{sid}/log")
    page.locator('[name="recorded.umum"]').fill("10")
    page.locator('[name="recorded_by_sex.L"]').fill("4")
    page.locator('[name="recorded_by_sex.P"]').fill("6")
    page.get_by_role("button", name="Simpan log").click()
    expect(page.get_by_test_id("log-state")).to_have_text("(perlu diperbaiki)")
    assert "Kunci tidak sah." in page.locator('[data-error-for="_general"]').inner_text()
    assert page.evaluate(f"window.jbField.queue()['{sid}'].state") == "invalid"
    sent = len(calls)
    page.evaluate("window.jbField.flush()")
    page.wait_for_timeout(500)
    assert len(calls) == sent and _logs(sid) == 0
