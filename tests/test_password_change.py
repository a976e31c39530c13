"""A password an admin set must be changed at the next login: every page leads to "Ganti kata sandi", the API
with a session login answers 403 JSON; the change follows the password rule, ends the user's other logins
and keeps the current one. Any user can change their own password from the menu."""
from __future__ import annotations

import pytest

from outreach.admin import service
from outreach.auth.operations import PasswordNotChanged, change_own_password
from outreach.extensions import db
from outreach.models import AuditEntry, User
from tests import builders

ADMIN_SET = "dari-admin-sementara-1"
OWN = "pilihan-saya-sendiri-8"


def reset_by_admin(world, role: str = "coordinator") -> User:
    user = db.session.get(User, world.users[role].id)
    service.reset_password(user, ADMIN_SET, world.users["admin"].id)
    return user


def change(client, current, new, confirm=None):
    return client.post("/kata-sandi", data={"current_password": current, "password": new,
                                            "password_confirm": new if confirm is None else confirm})


def test_after_an_admin_reset_the_next_login_lands_on_the_change_page(client, world):
    user = reset_by_admin(world)
    assert db.session.get(User, user.id).must_change_password is True
    resp = client.post("/login", data={"username": user.username, "password": ADMIN_SET})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/kata-sandi")
    page = client.get("/kata-sandi")
    assert page.status_code == 200 and 'data-testid="password-change-required"' in page.get_data(as_text=True)


def test_every_other_page_and_the_api_wait_for_the_change(client, world):
    user = reset_by_admin(world)
    client.post("/login", data={"username": user.username, "password": ADMIN_SET})
    for path in ("/", "/sesi", "/peta"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/kata-sandi"), path
    api = client.get("/api/v1/sessions")
    assert api.status_code == 403 and api.get_json()["error"] == 403
    assert "Ganti kata sandi" in api.get_json()["message"]
    assert api.get_json()["password_change_required"] is True  # the phone keeps its queued logs for later
    # Public pages and signing out still work.
    assert client.get("/healthz").status_code == 200
    assert client.post("/logout").status_code == 302


def test_the_change_follows_the_rule_and_then_everything_opens(app, client, world):
    user = reset_by_admin(world)
    client.post("/login", data={"username": user.username, "password": ADMIN_SET})
    other_device = app.test_client()
    other_device.post("/login", data={"username": user.username, "password": ADMIN_SET})

    wrong_current = change(client, "bukan-itu-123", OWN)
    assert wrong_current.status_code == 422 and "Kata sandi saat ini salah" in wrong_current.get_data(as_text=True)
    weak = change(client, ADMIN_SET, "12345678")
    assert weak.status_code == 422 and "terlalu mudah ditebak" in weak.get_data(as_text=True)
    mismatch = change(client, ADMIN_SET, OWN, confirm=OWN + "x")
    assert mismatch.status_code == 422 and "Kedua kata sandi tidak sama" in mismatch.get_data(as_text=True)
    same = change(client, ADMIN_SET, ADMIN_SET)
    assert same.status_code == 422 and "harus berbeda" in same.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is True

    done = change(client, ADMIN_SET, OWN)
    assert done.status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert changed.must_change_password is False and changed.check_password(OWN)
    assert client.get("/sesi").status_code == 200  # this login goes on
    assert other_device.get("/sesi").status_code == 302  # the others ended
    assert client.get("/api/v1/sessions").status_code == 200
    assert db.session.query(AuditEntry).filter_by(entity="user", entity_id=str(user.id),
                                                  action="change_password").count() == 1


def test_any_user_can_change_their_own_password_from_the_menu(app, client, world, login_as):
    user = login_as("field")
    assert 'data-testid="change-password-link"' in client.get("/jadwal-saya").get_data(as_text=True)
    assert 'data-testid="change-password-link"' in client.get("/kata-sandi").get_data(as_text=True)
    remembered = app.test_client()
    remembered.post("/login", data={"username": user.username, "password": builders.PASSWORD, "remember": "y"})
    assert change(client, builders.PASSWORD, OWN).status_code == 302
    assert client.get("/jadwal-saya").status_code == 200
    assert remembered.get("/jadwal-saya").status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": OWN}).status_code == 302


def test_the_change_form_needs_its_csrf_token(client, world, login_as, request):
    login_as("coordinator")
    request.getfixturevalue("csrf_on")
    resp = change(client, builders.PASSWORD, OWN)
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world.users["coordinator"].id).check_password(builders.PASSWORD)


def test_anonymous_visitors_are_sent_to_the_login(client, world):
    resp = client.get("/kata-sandi")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_an_admin_changing_their_own_password_needs_the_admin_length(world):
    admin = db.session.get(User, world.users["admin"].id)
    with pytest.raises(PasswordNotChanged) as exc:
        change_own_password(admin, builders.PASSWORD, "sebelas-chr", "sebelas-chr")
    assert "password" in exc.value.errors
