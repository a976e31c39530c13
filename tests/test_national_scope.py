"""Managers at the national office: scope "nasional" (all provinces), given only on purpose, never by
leaving the scope empty; their dashboard lists the provinces, each with its own name."""
import html
import re

import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.models import User
from tests import builders

PASSWORD = "sandi-pusat-2026"


def bali():
    builders.make_region("51", "Bali")
    builders.make_region("51.71.01.1001", "Sesetan", wajib_ktp=100, sudah_rekam=40)


def test_create_user_gives_a_national_scope_only_when_asked_and_only_to_managers(runner, world):
    empty = runner.invoke(args=["create-user", "pusat", "--role", "manager", "--password", PASSWORD])
    assert empty.exit_code != 0 and "Manajer wajib memiliki cakupan nasional, provinsi" in empty.output
    coordinator = runner.invoke(args=["create-user", "koord", "--role", "coordinator", "--scope", "nasional",
                                      "--password", PASSWORD])
    assert coordinator.exit_code != 0 and "Cakupan nasional hanya untuk manajer dan admin" in coordinator.output
    ok = runner.invoke(args=["create-user", "pusat", "--role", "manager", "--scope", "nasional",
                             "--password", PASSWORD])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(sa.select(User).where(User.username == "pusat"))
    assert user.scope_kode is None and user.national and permissions.scope_of(user) is None
    assert permissions.in_scope(user, "51.71.01.1001") and permissions.in_scope(user, "33.74")


def test_a_province_manager_is_created_once_the_province_is_imported(runner, world, db):
    bali()
    db.session.commit()
    result = runner.invoke(args=["create-user", "bali", "--role", "manager", "--scope", "51", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "bali"))
    assert not permissions.in_scope(user, "33.74") and permissions.in_scope(user, "51.71.01.1001")


def test_national_manager_sees_every_province_by_name(client, world, db):
    bali()
    manager = builders.make_user("manager", "pusat", scope=None)
    manager.national = True
    db.session.commit()
    assert client.post("/login", data={"username": manager.username, "password": builders.PASSWORD}).status_code == 302
    page = html.unescape(client.get("/dasbor").get_data(as_text=True))
    assert "Bali" in page
    for kode in ("33", "51"):
        assert re.search(rf'href="/dasbor/{re.escape(kode)}"', page), kode
        assert client.get(f"/dasbor/{kode}").status_code == 200
    areas = client.get("/api/v1/coverage/areas?level=provinsi").get_json()
    assert {a["kode"] for a in areas["items"]} >= {"33", "51"}


def test_the_admin_form_gives_a_national_scope_but_a_scoped_admin_cannot(client, world, db):
    client.post("/login", data={"username": world.users["admin"].username, "password": builders.PASSWORD})
    form = {"username": "pusat", "name": "Kantor Pusat", "email": "", "role": "manager", "scope_kode": "nasional",
            "team_id": "", "active": "y", "password": PASSWORD, "password_confirm": PASSWORD}
    assert client.post("/admin/pengguna/baru", data=form).status_code == 302
    pusat = db.session.scalar(sa.select(User).where(User.username == "pusat"))
    assert pusat.scope_kode is None and pusat.national
    assert "Nasional (semua provinsi)" in client.get("/admin/pengguna").get_data(as_text=True)
    edit = client.get(f"/admin/pengguna/{pusat.id}").get_data(as_text=True)
    assert 'value="nasional"' in edit
    builders.make_user("admin", "admin_kota", scope="33.74")
    db.session.commit()
    client.post("/logout")
    client.post("/login", data={"username": "admin_kota", "password": builders.PASSWORD})
    resp = client.post("/admin/pengguna/baru", data=dict(form, username="pusat2"))
    assert resp.status_code == 422 and "Anda hanya mengelola wilayah 33.74" in html.unescape(resp.get_data(as_text=True))
    assert db.session.scalar(sa.select(User.id).where(User.username == "pusat2")) is None


def test_a_manager_without_scope_or_national_flag_still_sees_nothing(client, world, db):
    lost = builders.make_user("manager", "tanpa_wilayah", scope=None)
    db.session.commit()
    assert not lost.national and permissions.scope_of(lost) == permissions.NOWHERE
    assert not permissions.in_scope(lost, "33.74")
