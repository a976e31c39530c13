"""Admin: home page and user management (create, edit, reset password), with validation and audit."""
import html
import re

import pytest
import sqlalchemy as sa
from flask import g

from outreach.extensions import db
from outreach.models import AuditEntry, User
from tests import builders

NEW_PASSWORD = "sandi-baru-123"


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def user_form(**overrides) -> dict:
    data = {"username": "koord_baru", "name": "Koordinator Baru", "email": "koord@example.id",
            "role": "coordinator", "scope_kode": "33.74.01", "team_id": "", "active": "y",
            "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(user, **overrides) -> dict:
    data = {"username": user.username, "name": user.name, "email": user.email, "role": user.role,
            "scope_kode": user.scope_kode or "", "team_id": str(user.team_id or ""), "active": "y" if user.active else None}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_rows(entity: str, entity_id=None, action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def get_user(username: str):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


# ---------------------------------------------------------------- home

def test_admin_home_shows_counts_and_links(client, world, login_as):
    builders.make_kit(world.team, "KIT-RUSAK", status="rusak")
    db.session.commit()
    login_as("admin")
    resp = client.get("/admin")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)

    def count(testid):
        return re.search(rf'data-testid="{testid}">([^<]*)<', page).group(1).strip()

    assert count("count-users") == "4"
    assert count("count-role-coordinator") == "1"
    assert count("count-teams") == "1"
    assert count("count-kits") == "2"
    assert count("count-kit-ok") == "1" and count("count-kit-rusak") == "1" and count("count-kit-servis") == "0"
    assert count("count-level-provinsi") == "1"
    assert count("count-level-kabupaten") == "2"
    assert count("count-level-kecamatan") == "3"
    assert count("count-level-desa") == "4"
    assert count("count-sites") == "3"
    for href in ("/admin/pengguna", "/admin/tim", "/admin/kit"):
        assert f'href="{href}"' in page


def test_admin_home_links_imports_only_when_that_page_exists(app, client, world, login_as, monkeypatch):
    from outreach.admin.routes import IMPORTS_ENDPOINTS

    login_as("admin")
    page = client.get("/admin").get_data(as_text=True)
    if any(e in app.view_functions for e in IMPORTS_ENDPOINTS):
        assert 'href="/admin/impor"' in page and 'data-testid="imports-link"' in page
    if "jobs.admin_jobs" in app.view_functions:
        assert 'href="/admin/jobs"' in page
    for endpoint in IMPORTS_ENDPOINTS:
        monkeypatch.delitem(app.view_functions, endpoint, raising=False)
    page = client.get("/admin").get_data(as_text=True)
    assert "/admin/impor" not in page
    assert 'data-testid="imports-link"' not in page


def test_admin_home_lists_recent_changes(client, world, login_as):
    login_as("admin")
    client.post("/admin/pengguna/baru", data=user_form())
    page = client.get("/admin").get_data(as_text=True)
    assert 'data-testid="recent-changes"' in page
    row = page.split('data-testid="recent-changes"', 1)[1].split("</tr>", 2)[1]
    # the admin's name (not the username), the object in words, the act
    assert world.users["admin"].name in row and "Pengguna #" in row and "dibuat" in row


@pytest.mark.parametrize("role", ["manager", "coordinator", "field"])
def test_non_admins_are_refused(client, world, login_as, role):
    login_as(role)
    for url in ("/admin", "/admin/pengguna", "/admin/pengguna/baru", f"/admin/pengguna/{world.users['field'].id}",
                "/admin/tim", "/admin/kit", f"/admin/pengguna/{world.users['field'].id}/token"):
        assert client.get(url).status_code == 403, url
    resp = client.post("/admin/pengguna/baru", data=user_form())
    assert resp.status_code == 403
    assert get_user("koord_baru") is None
    resp = client.post(f"/admin/pengguna/{world.users['field'].id}", data=edit_form(world.users["field"], role="admin"))
    assert resp.status_code == 403
    assert get_user("lapangan_uji").role == "field"


# ---------------------------------------------------------------- list

def test_user_list_filters_by_role_and_search(client, world, login_as):
    login_as("admin")
    page = client.get("/admin/pengguna").get_data(as_text=True)
    for name in ("admin_uji", "manajer_uji", "koordinator_uji", "lapangan_uji"):
        assert name in page
    page = client.get("/admin/pengguna?peran=coordinator").get_data(as_text=True)
    assert "koordinator_uji" in page and "manajer_uji" not in page and "lapangan_uji" not in page
    assert "33.74.01 · Kecamatan Satu" in page
    page = client.get("/admin/pengguna?q=lapang").get_data(as_text=True)
    assert "lapangan_uji" in page and "koordinator_uji" not in page
    assert "Tim Keliling 1" in page


def test_user_list_pages(app, client, world, login_as):
    for i in range(5):
        builders.make_user("admin", f"admin_tambahan_{i}")
    db.session.commit()
    login_as("admin")
    app.config["PER_PAGE"] = 4
    try:
        first = client.get("/admin/pengguna").get_data(as_text=True)
        second = client.get("/admin/pengguna?halaman=2").get_data(as_text=True)
        third = client.get("/admin/pengguna?halaman=3").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = 50
    # sorted by username: admin_tambahan_0..3 | admin_tambahan_4, admin_uji, koordinator_uji, lapangan_uji | manajer_uji
    assert "Halaman 1 dari 3" in first and "admin_tambahan_3" in first and "admin_tambahan_4" not in first
    assert "admin_tambahan_4" in second and "lapangan_uji" in second and "manajer_uji" not in second
    assert "manajer_uji" in third and "admin_uji" not in third
    for bad in ("0", "-1", "abc", "9" * 30):  # nonsense page numbers never fail
        assert client.get(f"/admin/pengguna?halaman={bad}").status_code == 200


# ---------------------------------------------------------------- create

def test_create_coordinator(client, world, login_as):
    admin = login_as("admin")
    form_page = client.get("/admin/pengguna/baru")
    assert form_page.status_code == 200 and "Tambah pengguna" in text(form_page)
    resp = client.post("/admin/pengguna/baru", data=user_form())
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/pengguna")
    user = get_user("koord_baru")
    assert (user.role, user.scope_kode, user.team_id, user.active) == ("coordinator", "33.74.01", None, True)
    assert user.check_password(NEW_PASSWORD) and NEW_PASSWORD not in user.password_hash
    [row] = audit_rows("user", user.id)
    assert row.action == "create" and row.user_id == admin.id
    assert row.changes["role"] == [None, "coordinator"] and row.changes["scope_kode"] == [None, "33.74.01"]
    assert "password" not in str(row.changes) and "password_hash" not in row.changes
    assert "Pengguna koord_baru dibuat." in text(client.get("/admin/pengguna"))
    # the new user can sign in
    client.post("/logout")
    assert client.post("/login", data={"username": "koord_baru", "password": NEW_PASSWORD}).status_code == 302


def test_create_manager_for_province_and_field_user_with_team(client, world, login_as):
    login_as("admin")
    assert client.post("/admin/pengguna/baru", data=user_form(username="manajer_prov", role="manager",
                                                               scope_kode="33")).status_code == 302
    assert get_user("manajer_prov").scope_kode == "33"
    assert client.post("/admin/pengguna/baru", data=user_form(username="lapangan_2", role="field", scope_kode="",
                                                               team_id=str(world.team.id))).status_code == 302
    user = get_user("lapangan_2")
    assert user.team_id == world.team.id and user.scope_kode is None


@pytest.mark.parametrize("overrides,message", [
    ({"scope_kode": ""}, "Koordinator wajib memiliki cakupan satu kecamatan"),
    ({"scope_kode": "33.74"}, "Koordinator wajib memiliki cakupan satu kecamatan"),
    ({"scope_kode": "33.74.01.1001"}, "Koordinator wajib memiliki cakupan satu kecamatan"),
    ({"role": "manager", "scope_kode": "33.74.01"}, "Manajer wajib memiliki cakupan nasional, provinsi atau kabupaten/kota"),
    ({"role": "manager", "scope_kode": ""}, "Manajer wajib memiliki cakupan nasional, provinsi atau kabupaten/kota"),
    ({"role": "field", "scope_kode": ""}, "Pengguna tim lapangan wajib terdaftar pada satu tim."),
    ({"role": "field", "scope_kode": "", "team_id": "9999"}, "Tim tidak ditemukan."),
    ({"role": "field", "scope_kode": "", "team_id": "abc"}, "Tim tidak ditemukan."),
    ({"scope_kode": "33.99.99"}, "Kode wilayah 33.99.99 tidak ditemukan."),
    ({"role": "pengawas"}, "Pilih peran yang dikenal."),
    ({"username": ""}, "Nama pengguna wajib diisi."),
    ({"username": "dua kata"}, "Nama pengguna 3–64 karakter"),
    ({"username": "ab"}, "Nama pengguna 3–64 karakter"),
    ({"username": "Koordinator_Uji"}, "Nama pengguna Koordinator_Uji sudah dipakai."),
    ({"email": "bukan-email"}, "Alamat email tidak valid."),
    ({"password": "pendek", "password_confirm": "pendek"}, "Kata sandi minimal 8 karakter."),
    ({"password": "", "password_confirm": ""}, "Kata sandi wajib diisi."),
    ({"password_confirm": "lain-sekali-123"}, "Kedua kata sandi tidak sama."),
])
def test_create_user_refuses_bad_input(client, world, login_as, overrides, message):
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    resp = client.post("/admin/pengguna/baru", data=user_form(**overrides))
    assert resp.status_code == 422
    assert message in text(resp)
    assert 'data-testid="form-errors"' in resp.get_data(as_text=True)
    # what was typed is kept (except passwords), nothing is saved
    if overrides.get("username", "koord_baru"):
        assert 'value="%s"' % html.escape(overrides.get("username", "koord_baru")) in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
    assert audit_rows("user") == []


def test_inactive_team_is_refused_for_a_new_user(client, world, login_as):
    world.team.active = False
    db.session.commit()
    login_as("admin")
    resp = client.post("/admin/pengguna/baru", data=user_form(role="field", scope_kode="", team_id=str(world.team.id)))
    assert resp.status_code == 422 and "Tim Keliling 1 tidak aktif." in text(resp)


def test_html_in_names_is_escaped(client, world, login_as):
    login_as("admin")
    evil = "<script>alert(1)</script>"
    assert client.post("/admin/pengguna/baru", data=user_form(name=evil)).status_code == 302
    user = get_user("koord_baru")
    for url in ("/admin/pengguna", f"/admin/pengguna/{user.id}", f"/admin/pengguna/{user.id}/token",
                f"/admin/pengguna/{user.id}/kata-sandi"):
        page = client.get(url).get_data(as_text=True)
        assert evil not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    # a refused form echoes the input escaped too
    resp = client.post("/admin/pengguna/baru", data=user_form(username="x" + evil))
    assert evil not in resp.get_data(as_text=True)


# ---------------------------------------------------------------- edit

def test_edit_user_changes_role_scope_and_is_audited(client, world, login_as):
    admin = login_as("admin")
    manager = world.users["manager"]
    page = client.get(f"/admin/pengguna/{manager.id}")
    assert page.status_code == 200 and 'value="33.74"' in page.get_data(as_text=True)
    resp = client.post(f"/admin/pengguna/{manager.id}", data=edit_form(
        manager, role="coordinator", scope_kode="33.74.02", name="Bu Koordinator", email="bu@example.id"))
    assert resp.status_code == 302
    user = get_user("manajer_uji")
    assert (user.role, user.scope_kode, user.name, user.email) == ("coordinator", "33.74.02", "Bu Koordinator",
                                                                   "bu@example.id")
    [row] = audit_rows("user", manager.id, "update")
    assert row.user_id == admin.id
    assert row.changes["role"] == ["manager", "coordinator"]
    assert row.changes["scope_kode"] == ["33.74", "33.74.02"]
    assert row.changes["name"] == ["Pengguna manager", "Bu Koordinator"]
    assert "username" not in row.changes


def test_edit_without_changes_writes_no_audit_row(client, world, login_as):
    login_as("admin")
    field_user = world.users["field"]
    resp = client.post(f"/admin/pengguna/{field_user.id}", data=edit_form(field_user), follow_redirects=True)
    assert "Tidak ada perubahan." in text(resp)
    assert audit_rows("user") == []


def test_edit_user_validation_keeps_the_saved_values(client, world, login_as):
    login_as("admin")
    field_user = world.users["field"]
    resp = client.post(f"/admin/pengguna/{field_user.id}", data=edit_form(field_user, team_id="", name="Nama Baru"))
    assert resp.status_code == 422 and "Pengguna tim lapangan wajib terdaftar pada satu tim." in text(resp)
    user = get_user("lapangan_uji")
    assert user.team_id == world.team.id and user.name == "Pengguna field"
    resp = client.post(f"/admin/pengguna/{field_user.id}", data=edit_form(field_user, username="ADMIN_UJI"))
    assert resp.status_code == 422 and "Nama pengguna ADMIN_UJI sudah dipakai." in text(resp)
    assert audit_rows("user") == []


def test_admin_cannot_deactivate_or_demote_themself(client, world, login_as):
    admin = login_as("admin")
    resp = client.post(f"/admin/pengguna/{admin.id}", data=edit_form(admin, active=None))
    assert resp.status_code == 422 and "Anda tidak dapat menonaktifkan akun Anda sendiri." in text(resp)
    resp = client.post(f"/admin/pengguna/{admin.id}", data=edit_form(admin, role="manager", scope_kode="33"))
    assert resp.status_code == 422 and "Anda tidak dapat menurunkan peran akun Anda sendiri." in text(resp)
    user = get_user("admin_uji")
    assert user.active and user.role == "admin"
    # another admin may be demoted
    other = builders.make_user("admin", "admin_kedua")
    db.session.commit()
    assert client.post(f"/admin/pengguna/{other.id}", data=edit_form(other, role="manager",
                                                                     scope_kode="33")).status_code == 302
    assert get_user("admin_kedua").role == "manager"


def test_deactivated_user_cannot_sign_in(app, client, world, login_as):
    coordinator = world.users["coordinator"]
    other = app.test_client()  # the coordinator, already signed in elsewhere
    assert other.post("/login", data={"username": "koordinator_uji", "password": builders.PASSWORD}).status_code == 302
    assert other.get("/").status_code == 200
    login_as("admin")
    assert client.post(f"/admin/pengguna/{coordinator.id}", data=edit_form(coordinator, active=None)).status_code == 302
    assert get_user("koordinator_uji").active is False
    [row] = audit_rows("user", coordinator.id, "update")
    assert row.changes == {"active": [True, False]}
    assert "Nonaktif" in text(client.get("/admin/pengguna?peran=coordinator"))
    # The db fixture keeps one app context pushed, so requests share `g` and Flask-Login's cached
    # g._login_user (the admin's, from the last request); drop it as a fresh request would.
    g.pop("_login_user", None)
    resp = other.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    client.post("/logout")
    resp = client.post("/login", data={"username": "koordinator_uji", "password": builders.PASSWORD})
    assert resp.status_code == 200 and "Nama pengguna atau kata sandi salah." in text(resp)


def test_unknown_user_is_404(client, world, login_as):
    login_as("admin")
    assert client.get("/admin/pengguna/99999").status_code == 404
    assert client.get("/admin/pengguna/99999/kata-sandi").status_code == 404
    assert client.get("/admin/pengguna/99999/token").status_code == 404


# ---------------------------------------------------------------- reset password

def test_reset_password(client, world, login_as):
    admin = login_as("admin")
    field_user = world.users["field"]
    field_user.failed_logins = 5
    db.session.commit()
    assert client.get(f"/admin/pengguna/{field_user.id}/kata-sandi").status_code == 200
    resp = client.post(f"/admin/pengguna/{field_user.id}/kata-sandi",
                       data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    user = get_user("lapangan_uji")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(builders.PASSWORD)
    assert user.failed_logins == 0 and user.locked_until is None
    [row] = audit_rows("user", field_user.id, "reset_password")
    assert row.user_id == admin.id and row.changes == {}
    client.post("/logout")
    assert client.post("/login", data={"username": "lapangan_uji", "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("data,message", [
    ({"password": "pendek", "password_confirm": "pendek"}, "Kata sandi minimal 8 karakter."),
    ({"password": "", "password_confirm": ""}, "Kata sandi wajib diisi."),
    ({"password": NEW_PASSWORD, "password_confirm": "berbeda-123"}, "Kedua kata sandi tidak sama."),
])
def test_reset_password_refuses_bad_input(client, world, login_as, data, message):
    login_as("admin")
    field_user = world.users["field"]
    resp = client.post(f"/admin/pengguna/{field_user.id}/kata-sandi", data=data)
    assert resp.status_code == 422 and message in text(resp)
    assert get_user("lapangan_uji").check_password(builders.PASSWORD)
    assert audit_rows("user") == []


# ---------------------------------------------------------------- CSRF

def test_user_forms_refuse_a_missing_csrf_token(client, world, login_as, request):
    login_as("admin")
    request.getfixturevalue("csrf_on")
    resp = client.post("/admin/pengguna/baru", data=user_form())
    assert resp.status_code == 400 and "CSRF" in text(resp)
    assert get_user("koord_baru") is None
    field_user = world.users["field"]
    resp = client.post(f"/admin/pengguna/{field_user.id}/kata-sandi",
                       data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert resp.status_code == 400
    assert get_user("lapangan_uji").check_password(builders.PASSWORD)
    # with the token from the page the same form goes through
    page = client.get("/admin/pengguna/baru").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/admin/pengguna/baru", data=user_form(csrf_token=token))
    assert resp.status_code == 302 and get_user("koord_baru") is not None
