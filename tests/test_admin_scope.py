"""A scoped admin (a kabupaten's Dukcapil office) administers only inside its area: it can never reach a
national account, widen a scope or make a national admin, and the installation's shared data (imports,
jobs) is for national admins only. (The holiday calendar has its own scoped rules: tests/test_admin_calendar.py.)"""
import html

import pytest
import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.models import ApiToken, User
from tests import builders

NEW_PASSWORD = "sandi-baru-123"


@pytest.fixture()
def kab_admin(world):
    """An admin of Kota Uji (33.74), and accounts inside and outside it."""
    admin = builders.make_user("admin", "admin_kota", scope="33.74")
    outside = builders.make_user("coordinator", "koord_lain", scope="33.01.01")
    other_team = builders.make_team("33.01", "Tim Kabupaten Lain")
    other_kit = builders.make_kit(other_team, "KIT-LAIN")
    db.session.commit()
    return admin, outside, other_team, other_kit


@pytest.fixture()
def as_kab_admin(client, kab_admin):
    client.post("/logout")
    resp = client.post("/login", data={"username": "admin_kota", "password": builders.PASSWORD})
    assert resp.status_code == 302
    return kab_admin


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def user_form(user, **overrides) -> dict:
    data = {"username": user.username, "name": user.name or "", "email": user.email or "", "role": user.role,
            "scope_kode": user.scope_kode or "", "team_id": str(user.team_id or ""), "active": "y"}
    data.update(overrides)
    return data


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# ---------------------------------------------------------------- rules

def test_rules_of_administration(world, kab_admin):
    admin, outside, other_team, _kit = kab_admin
    national = world.users["admin"]
    assert permissions.is_national_admin(national) and not permissions.is_national_admin(admin)
    assert permissions.can_manage_user(national, admin) and permissions.can_manage_user(national, outside)
    assert permissions.can_manage_user(admin, admin)  # its own account
    assert permissions.can_manage_user(admin, world.users["coordinator"])  # 33.74.01
    assert permissions.can_manage_user(admin, world.users["field"])  # team office 33.74
    assert not permissions.can_manage_user(admin, national)  # no area: national
    assert not permissions.can_manage_user(admin, outside)
    assert permissions.can_manage_area(admin, "33.74.02") and not permissions.can_manage_area(admin, None)
    assert not permissions.can_manage_area(admin, "33") and not permissions.can_manage_area(admin, "33.01")
    assert not permissions.can_manage_area(world.users["manager"], "33.74")  # only admins administer


# ---------------------------------------------------------------- the escalations

def test_scoped_admin_cannot_issue_a_token_for_the_national_admin(client, world, as_kab_admin):
    national = world.users["admin"]
    assert client.get(f"/admin/pengguna/{national.id}/token").status_code == 404
    resp = client.post(f"/admin/pengguna/{national.id}/token", data={"name": "curian", "days": "30"})
    assert resp.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_scoped_admin_cannot_reset_the_national_admin_password(client, world, as_kab_admin):
    national = world.users["admin"]
    resp = client.post(f"/admin/pengguna/{national.id}/kata-sandi",
                       data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert resp.status_code == 404
    assert reload(national.id).check_password(builders.PASSWORD)
    assert not reload(national.id).check_password(NEW_PASSWORD)


def test_scoped_admin_cannot_edit_an_account_outside_its_area(client, world, as_kab_admin):
    _admin, outside, _team, _kit = as_kab_admin
    resp = client.post(f"/admin/pengguna/{outside.id}", data=user_form(outside, scope_kode="33.74.02"))
    assert resp.status_code == 404
    assert reload(outside.id).scope_kode == "33.01.01"


def test_scoped_admin_cannot_empty_or_widen_its_own_scope(client, as_kab_admin):
    admin = as_kab_admin[0]
    for scope in ("", "33", "33.01"):
        resp = client.post(f"/admin/pengguna/{admin.id}", data=user_form(admin, scope_kode=scope))
        assert resp.status_code == 422, scope
        assert "Anda hanya mengelola wilayah 33.74" in text(resp)
        assert reload(admin.id).scope_kode == "33.74"


def test_scoped_admin_cannot_create_a_national_admin_or_one_outside(client, as_kab_admin):
    for role, scope in (("admin", ""), ("admin", "33"), ("coordinator", "33.01.01"), ("manager", "33")):
        resp = client.post("/admin/pengguna/baru", data={
            "username": "baru_" + role, "name": "Baru", "email": "", "role": role, "scope_kode": scope,
            "team_id": "", "active": "y", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        assert resp.status_code == 422, (role, scope)
        assert "Anda hanya mengelola wilayah 33.74" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username.like("baru_%"))) == 0


def test_scoped_admin_creates_and_resets_inside_its_area(client, world, as_kab_admin):
    resp = client.post("/admin/pengguna/baru", data={
        "username": "koord_dua", "name": "Koordinator Dua", "email": "", "role": "coordinator",
        "scope_kode": "33.74.02", "team_id": "", "active": "y", "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    coordinator = world.users["coordinator"]
    resp = client.post(f"/admin/pengguna/{coordinator.id}/kata-sandi",
                       data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert resp.status_code == 302 and reload(coordinator.id).check_password(NEW_PASSWORD)


def test_scoped_admin_lists_only_its_area(client, world, as_kab_admin):
    _admin, outside, other_team, other_kit = as_kab_admin
    users = text(client.get("/admin/pengguna"))
    assert "koordinator_uji" in users and "lapangan_uji" in users and "admin_kota" in users
    assert "koord_lain" not in users and "admin_uji" not in users
    teams = text(client.get("/admin/tim"))
    assert world.team.nama in teams and other_team.nama not in teams
    kits = text(client.get("/admin/kit"))
    assert "KIT-A" in kits and "KIT-LAIN" not in kits


def test_scoped_admin_cannot_touch_teams_and_kits_outside(client, world, as_kab_admin):
    _admin, _outside, other_team, other_kit = as_kab_admin
    assert client.get(f"/admin/tim/{other_team.id}").status_code == 404
    assert client.post(f"/admin/tim/{other_team.id}/kalender").status_code == 404
    assert client.get(f"/admin/kit/{other_kit.id}").status_code == 404
    resp = client.post("/admin/tim/baru", data={"nama": "Tim Curian", "office_kode": "33.01", "office_lat": "",
                                                "office_lng": "", "members": "", "phone": "", "active": "y"})
    assert resp.status_code == 422
    assert client.get(f"/admin/tim/{world.team.id}").status_code == 200


@pytest.mark.parametrize("url", ["/admin/impor", "/admin/jobs"])
def test_shared_data_pages_are_for_national_admins(client, login_as, kab_admin, url):
    client.post("/logout")
    client.post("/login", data={"username": "admin_kota", "password": builders.PASSWORD})
    assert client.get(url).status_code == 403
    login_as("admin")
    assert client.get(url).status_code == 200


def test_scoped_admin_cannot_revoke_a_token_outside(client, world, kab_admin, login_as):
    from outreach.admin import service

    _admin, outside, _team, _kit = kab_admin
    token, _raw = service.issue_token(outside, "ponsel", "30", None)
    client.post("/logout")
    client.post("/login", data={"username": "admin_kota", "password": builders.PASSWORD})
    assert client.post(f"/admin/token/{token.id}/cabut").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
