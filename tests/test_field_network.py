"""HTTP side of the field pages on a weak or changing network: a queued log of a phone whose sign-in ended
is answered "sign in again" (never the CSRF answer), a change of address or browser signature does not
sign a field team out, and the phone's timeouts are settings rendered into the pages."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests import builders as b
from tests.conftest import WIB

NOW = datetime(2026, 12, 9, 13, 0, tzinfo=WIB)


@pytest.fixture()
def yesterday(world):
    from outreach.extensions import db

    s = b.make_session(world.site1, world.team, [world.kit], day=NOW.date() - timedelta(days=1),
                       status="terkonfirmasi")
    db.session.commit()
    return s


def _log_body(day) -> dict:
    return {"recorded": {"pemilih_pemula": 0, "umum": 2, "lansia_disabilitas": 0},
            "recorded_by_sex": {"L": 1, "P": 1}, "kit_ids": [],
            "started_at": f"{day.isoformat()}T08:00:00+07:00", "ended_at": f"{day.isoformat()}T11:00:00+07:00"}


@pytest.mark.at(NOW)
def test_a_log_sent_after_the_sign_in_ended_is_asked_to_sign_in_again_not_refused_for_csrf(
        client, world, yesterday, csrf_on):
    resp = client.post(f"/api/v1/sessions/{yesterday.id}/turnout", json=_log_body(yesterday.date),
                       headers={"X-CSRFToken": "a-token-of-the-old-sign-in", "Idempotency-Key": "k-401-1"})
    assert resp.status_code == 401
    assert resp.json["login_url"] == "/login"
    assert "masuk" in resp.json["message"].lower()


def test_a_signed_in_post_without_a_token_is_still_refused_for_csrf(app, client, login_as, world, monkeypatch):
    from outreach.extensions import db

    s = b.make_session(world.site1, world.team, [world.kit])
    db.session.commit()
    login_as("field")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post(f"/api/v1/sessions/{s.id}/turnout", json={}, headers={"Idempotency-Key": "k-csrf-1"})
    assert resp.status_code == 400


def test_a_field_team_stays_signed_in_across_networks_and_browser_signatures(client, world):
    user = world.users["field"]
    resp = client.post("/login", data={"username": user.username, "password": b.PASSWORD, "remember": "y"},
                       environ_base={"REMOTE_ADDR": "10.1.2.3"}, headers={"User-Agent": "Chrome/120 Android"})
    assert resp.status_code == 302
    assert client.get_cookie("remember_token") is not None  # "Ingat saya" covers field users
    for addr, agent in (("100.64.9.9", "Chrome/120 Android"), ("192.168.1.5", "Chrome/121 X11 Linux")):
        resp = client.get("/jadwal-saya", environ_base={"REMOTE_ADDR": addr}, headers={"User-Agent": agent})
        assert resp.status_code == 200, (addr, agent)
    client.delete_cookie("session")  # the phone's browser dropped its session cookie: remember-me signs in
    resp = client.get("/jadwal-saya", environ_base={"REMOTE_ADDR": "172.16.0.1"}, headers={"User-Agent": "Chrome/122"})
    assert resp.status_code == 200


def test_the_phone_gets_its_timeouts_from_the_settings(app, client, login_as, world):
    login_as("field")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    assert 'data-send-timeout="60"' in html and 'data-retry="5"' in html
    sw = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r"NETWORK_TIMEOUT_MS = 3000;", sw)
