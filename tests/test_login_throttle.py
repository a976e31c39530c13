"""Login throttling: per address, per (name, address) and per name from unknown browsers, counted before the
password check (so parallel attempts cannot run more checks than the limit), never a lock of the account;
an unknown name and a wrong password give the same message, status and password-check cost."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from outreach import ratelimits
from outreach.extensions import db
from outreach.models import User
from outreach.models import accounts
from tests import builders

WRONG = "bukan-sandinya-123"


@pytest.fixture()
def limits(app):
    """Rate limits on (the suite runs with them off), with fresh counters."""
    app.config["RATE_LIMITS"] = True
    ratelimits.reset_all()
    yield app.config
    app.config["RATE_LIMITS"] = None
    ratelimits.reset_all()


@pytest.fixture()
def hash_checks(monkeypatch):
    """Counts the password-hash checks the app runs (real users and the dummy check alike)."""
    calls = []
    real = accounts.check_password_hash

    def counting(pwhash, password):
        calls.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


def attempt(client, username, password=WRONG, address="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_unknown_name_and_wrong_password_look_the_same(client, world, hash_checks):
    existing = attempt(client, world.users["coordinator"].username)
    after_existing = len(hash_checks)
    unknown = attempt(client, "tidak_ada_orangnya")
    assert existing.status_code == unknown.status_code == 200
    message = "Nama pengguna atau kata sandi salah"
    assert message in existing.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    # The unknown name costs one hash check too (a dummy one), so its answer takes as long.
    assert after_existing == 1 and len(hash_checks) == 2


def test_the_old_account_lock_no_longer_blocks_the_owner(client, world):
    user = db.session.get(User, world.users["coordinator"].id)
    user.failed_logins, user.locked_until = 5, datetime.now(timezone.utc) + timedelta(minutes=15)
    db.session.commit()
    assert attempt(client, user.username, builders.PASSWORD).status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(app, client, world, limits, hash_checks):
    owner = world.users["coordinator"].username
    answers = [attempt(client, owner, address="10.0.0.66") for _ in range(7)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) > 0
    assert "Terlalu banyak percobaan masuk" in refused.get_data(as_text=True)
    assert len(hash_checks) == 5  # the refused attempts never reached the password check
    # The owner, from another address, signs in at once.
    owner_client = app.test_client()
    assert attempt(owner_client, owner, builders.PASSWORD, address="10.0.0.7").status_code == 302


def test_an_unknown_name_is_throttled_exactly_like_a_real_one(client, world, limits):
    real = [attempt(client, world.users["manager"].username, address="10.0.1.1").status_code for _ in range(6)]
    ghost = [attempt(client, "hantu_tidak_ada", address="10.0.1.2").status_code for _ in range(6)]
    assert real == ghost == [200] * 5 + [429]


def test_parallel_wrong_attempts_run_no_more_checks_than_the_limit(app, world, limits, hash_checks):
    username = world.users["admin"].username
    statuses = []

    def guess():
        with app.app_context():
            statuses.append(attempt(app.test_client(), username, address="10.0.2.2").status_code)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(hash_checks) == 5
    assert sorted(statuses) == [200] * 5 + [429] * 11


def test_one_address_may_not_try_many_names(client, world, limits, hash_checks):
    answers = [attempt(client, f"nama_{n}", address="10.0.3.3") for n in range(11)]
    assert [r.status_code for r in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429 and int(answers[10].headers["Retry-After"]) > 0
    assert "Terlalu banyak percobaan masuk dari alamat ini" in answers[10].get_data(as_text=True)
    assert len(hash_checks) == 10


def test_an_office_behind_one_address_can_sign_in_together(app, world, limits):
    office = "10.4.4.4"
    own = app.test_client()
    assert attempt(own, world.users["manager"].username, builders.PASSWORD, address=office).status_code == 302
    own.post("/logout")
    # Ten sign-ins of others fill the address's minute...
    for n in range(10):
        attempt(app.test_client(), f"rekan_{n}", address=office)
    assert attempt(app.test_client(), "rekan_baru", address=office).status_code == 429
    # ...but a browser signing in to its own name again is not counted against the address.
    for _ in range(2):
        assert attempt(own, world.users["manager"].username, builders.PASSWORD, address=office).status_code == 302
        own.post("/logout")


def test_a_spread_out_guesser_stops_but_the_owners_own_browser_still_signs_in(app, client, world, limits):
    limits["LOGIN_ACCOUNT_LIMIT"] = "6 per hour"
    owner = world.users["field"].username
    own_phone = app.test_client()
    assert attempt(own_phone, owner, builders.PASSWORD, address="10.9.9.9").status_code == 302
    own_phone.post("/logout")
    # Six addresses, one guess each: with the owner's own first login that makes six attempts from new
    # browsers, so the sixth guess is refused, and so is this name from any other new browser...
    statuses = [attempt(app.test_client(), owner, address=f"10.0.4.{n}").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert attempt(app.test_client(), owner, builders.PASSWORD, address="10.0.5.5").status_code == 429
    # ...but the owner's phone, which signed in before, still does (from any address).
    assert attempt(own_phone, owner, builders.PASSWORD, address="10.0.6.6").status_code == 302
    limits["LOGIN_ACCOUNT_LIMIT"] = "30 per hour"


def test_a_stranger_behind_the_same_office_address_does_not_block_the_owners_computer(app, world, limits):
    owner = world.users["coordinator"].username
    office = "10.1.1.1"
    own = app.test_client()
    assert attempt(own, owner, builders.PASSWORD, address=office).status_code == 302
    own.post("/logout")
    stranger = app.test_client()
    assert [attempt(stranger, owner, address=office).status_code for _ in range(6)][-1] == 429
    assert attempt(own, owner, builders.PASSWORD, address=office).status_code == 302


def test_a_forged_device_cookie_is_ignored(app, world, limits):
    owner = world.users["coordinator"].username
    stranger = app.test_client()
    stranger.set_cookie("jb_device", "eyJkIjoieCIsIm4iOlsia29vcmRpbmF0b3JfdWppIl19.forged", path="/login")
    assert [attempt(stranger, owner, address="10.2.2.2").status_code for _ in range(6)][-1] == 429


def test_limits_are_off_in_the_test_suite_by_default(client, world):
    assert all(attempt(client, "siapa_saja", address="10.3.3.3").status_code == 200 for _ in range(12))
