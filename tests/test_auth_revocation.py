"""Logins can be ended: a password reset, a deactivation or "keluar dari semua perangkat" end every login of
the user (session cookies copied elsewhere and remember-me cookies included) and a reset revokes its API
tokens; the password rule refuses short, common and demo passwords, and asks more of admins."""
import pytest
import sqlalchemy as sa

from outreach.admin import service
from outreach.auth.passwords import password_problem
from outreach.extensions import db
from outreach.models import ApiToken, User
from tests import builders

NEW_PASSWORD = "sandi-baru-yang-panjang-9"


def signed_in(client) -> bool:
    """Does the client's cookie still open a signed-in page?"""
    return client.get("/jadwal-saya").status_code == 200


def login(client, username: str, remember: bool = False):
    data = {"username": username, "password": builders.PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def copy_of(app, client, names=None):
    """A second browser holding a copy of `client`'s login cookies (a stolen or forgotten session); `names`
    picks which (default: the session cookie and the remember-me cookie)."""
    other = app.test_client()
    names = names or (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def remembered_only(app, client):
    """A new browser session holding only `client`'s remember-me cookie."""
    return copy_of(app, client, (app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),))


def test_a_password_reset_ends_every_login_and_revokes_tokens(app, client, world):
    field = world.users["field"]
    login(client, field.username, remember=True)
    stolen = copy_of(app, client)
    token, raw = service.issue_token(field, "ponsel", "30", None)
    assert signed_in(client) and signed_in(stolen)
    assert app.test_client().get("/api/v1/my/sessions",
                                 headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    service.reset_password(db.session.get(User, field.id), NEW_PASSWORD, world.users["admin"].id)

    assert not signed_in(client) and not signed_in(stolen)
    # The remember-me cookie alone (a new browser session) no longer signs in either.
    assert not signed_in(remembered_only(app, client))
    assert app.test_client().get("/api/v1/my/sessions",
                                 headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.post("/login", data={"username": field.username, "password": NEW_PASSWORD}).status_code == 302
    # The admin knows that password: the user chooses their own first, then the pages open.
    assert not signed_in(client)
    assert client.post("/kata-sandi", data={"current_password": NEW_PASSWORD, "password": "pilihan-sendiri-77",
                                            "password_confirm": "pilihan-sendiri-77"}).status_code == 302
    assert signed_in(client)


def test_a_remember_me_cookie_works_until_then(app, client, world):
    login(client, world.users["field"].username, remember=True)
    assert signed_in(remembered_only(app, client))


def test_logout_everywhere_ends_the_copies_too(app, client, world):
    login(client, world.users["coordinator"].username)
    copy = copy_of(app, client)
    assert copy.get("/sesi").status_code == 200
    resp = client.post("/keluar-semua")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert copy.get("/sesi").status_code == 302  # sent to the login page
    login(client, world.users["coordinator"].username)
    assert client.get("/sesi").status_code == 200


def test_plain_logout_leaves_other_devices_signed_in(app, client, world):
    login(client, world.users["coordinator"].username)
    other = app.test_client()
    login(other, world.users["coordinator"].username)
    client.post("/logout")
    assert other.get("/sesi").status_code == 200


def test_deactivation_ends_the_logins(app, client, world):
    coordinator = world.users["coordinator"]
    login(client, coordinator.username)
    data = service.UserData(username=coordinator.username, name=coordinator.name, role="coordinator",
                            scope_kode=coordinator.scope_kode, active=False)
    service.update_user(db.session.get(User, coordinator.id), data, world.users["admin"].id)
    db.session.get(User, coordinator.id).active = True  # even switched back on, the old login stays ended
    db.session.commit()
    assert client.get("/sesi").status_code == 302


def test_a_cookie_of_the_old_form_is_refused(app, client, world):
    with client.session_transaction() as session:
        session["_user_id"] = str(world.users["admin"].id)  # no version: made before versions existed
        session["_fresh"] = True
    assert client.get("/admin").status_code == 302


@pytest.mark.parametrize("password,role,username,expected", [
    ("pendek", "coordinator", "x", "minimal 8"),
    ("sebelas-chr", "admin", "x", "admin minimal 12"),
    ("12345678", "field", "x", "terlalu mudah"),
    ("Password-123", "coordinator", "x", "terlalu mudah"),
    ("jemputbola", "coordinator", "x", "terlalu mudah"),  # the demo's password
    ("koordinator_kota", "coordinator", "koordinator.kota", "terlalu mudah"),
    ("aaaaaaaaaaab", "manager", "x", "terlalu mudah"),
    ("x" * 201, "manager", "y", "paling banyak 200"),
    ("merah-putih-2045", "admin", "x", None),
])
def test_password_rule(password, role, username, expected):
    problem = password_problem(password, role, username)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem[0] % problem[1]


def test_admin_page_refuses_a_short_admin_password(client, world, login_as):
    login_as("admin")
    resp = client.post(f"/admin/pengguna/{world.users['admin'].id}/kata-sandi",
                       data={"password": "sebelas-chr", "password_confirm": "sebelas-chr"})
    assert resp.status_code == 422 and "admin minimal 12" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.users["admin"].id).check_password(builders.PASSWORD)


def test_cli_refuses_a_common_password(app, world):
    result = app.test_cli_runner().invoke(args=["create-user", "koord_cli", "--role", "coordinator", "--scope",
                                                "33.74.01", "--password", "password123"])
    assert result.exit_code != 0 and "terlalu mudah" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "koord_cli")) is None


def test_another_user_agent_does_not_sign_a_field_team_out(app, client, world):
    """The offline worker or Chrome's "desktop site" send another User-Agent: the login stays."""
    client.post("/login", data={"username": world.users["field"].username, "password": builders.PASSWORD},
                headers={"User-Agent": "Mozilla/5.0 (Linux; Android 12) Mobile"})
    resp = client.get("/jadwal-saya", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Desktop"})
    assert resp.status_code == 200
