"""The office field of the team and kit forms at national scale: above AREA_SELECT_MAX kabupaten/kota in the
admin's scope the admin chooses a provinsi, then its kabupaten/kota (the stepwise area picker); below it the
single select stays. The service checks the office either way."""
import html

import pytest

from outreach.extensions import db
from outreach.models import Kit, Team
from tests import builders as b
from tests.test_area_picker import select_options as options
from tests.test_area_picker import selected as chosen


@pytest.fixture()
def country(world, app, monkeypatch):
    """Besides the world's two kabupaten of province 33: five more in 33 and four in 34; a list limit of 5
    options, so a national admin (11 kabupaten) steps and a province admin (7 of 33) does too, while an
    admin of 34 (4) keeps the single select."""
    monkeypatch.setitem(app.config, "AREA_SELECT_MAX", 5)
    b.make_region("34", "DI Yogyakarta")
    for k in range(81, 86):
        b.make_region(f"33.{k}", f"Kabupaten Uji {k}")
    for k in range(1, 5):
        b.make_region(f"34.{k:02d}", f"Kabupaten Yogya {k}")
    b.make_user("admin", "admin_diy", scope="34")
    db.session.commit()


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def login(client, username):
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": b.PASSWORD}).status_code == 302


def team_form(**overrides) -> dict:
    data = {"nama": "Tim Nasional Uji", "office_kode": "34.02", "members": "Budi", "active": "y"}
    data.update(overrides)
    return data


def test_national_admin_chooses_a_province_then_its_kabupaten(client, country, login_as):
    login_as("admin")
    page = text(client.get("/admin/tim/baru"))
    assert sorted(options(page, "pilih_provinsi")) == ["33", "34"]
    assert options(page, "office_kode") == [] and "js/area_picker.js" in page
    assert "Kantor (kabupaten/kota)" in page and "Kabupaten Uji 81" not in page
    # Without JavaScript, "Tampilkan" brings the province's kabupaten and keeps what was typed; saves nothing.
    page = text(client.post("/admin/tim/baru", data={"nama": "Tim Ketik", "pilih_provinsi": "34", "office_kode": "",
                                                     "area_step": "provinsi"}))
    assert options(page, "office_kode") == ["34.01", "34.02", "34.03", "34.04"]
    assert 'value="Tim Ketik"' in page and db.session.query(Team).filter_by(nama="Tim Ketik").count() == 0


def test_national_admin_saves_the_office_chosen_stepwise(client, country, login_as):
    login_as("admin")
    resp = client.post("/admin/tim/baru", data=team_form(pilih_provinsi="34"))
    assert resp.status_code == 302
    team = db.session.query(Team).filter_by(nama="Tim Nasional Uji").one()
    assert team.office_kode == "34.02"


def test_editing_keeps_the_current_office_shown(client, country, world, login_as):
    login_as("admin")
    page = text(client.get(f"/admin/tim/{world.team.id}"))
    assert chosen(page, "pilih_provinsi") == "33" and chosen(page, "office_kode") == "33.74"
    assert "33.81" in options(page, "office_kode") and "34.01" not in options(page, "office_kode")
    page = text(client.get(f"/admin/kit/{world.kit.id}"))
    assert chosen(page, "pilih_provinsi") == "33" and chosen(page, "office_kode") == "33.74"


def test_a_changed_province_drops_the_old_kabupaten(client, country, world, login_as):
    login_as("admin")
    page = text(client.post(f"/admin/kit/{world.kit.id}", data={"code": "KIT-A", "status": "ok",
                                                              "pilih_provinsi": "34", "office_kode": "33.74",
                                                              "area_step": "provinsi"}))
    assert chosen(page, "pilih_provinsi") == "34" and chosen(page, "office_kode") == ""
    assert db.session.get(Kit, world.kit.id).office_kode == "33.74"


def test_province_admin_outside_its_scope_is_refused_in_indonesian(client, country, world):
    login(client, "admin_diy")
    page = text(client.get("/admin/tim/baru"))
    assert "pilih_provinsi" not in page and "area_picker.js" not in page  # 4 kabupaten: one select
    assert options(page, "office_kode") == ["34.01", "34.02", "34.03", "34.04"]
    resp = client.post("/admin/tim/baru", data=team_form(office_kode="33.74"))
    assert resp.status_code == 422
    assert "Anda hanya mengelola wilayah" in text(resp)
    assert db.session.query(Team).filter_by(nama="Tim Nasional Uji").count() == 0


def test_stepwise_refusal_shows_its_message_on_the_kabupaten_list(client, country, login_as):
    login_as("admin")
    resp = client.post("/admin/tim/baru", data=team_form(office_kode="", pilih_provinsi="34"))
    assert resp.status_code == 422
    page = text(resp)
    assert "Kantor (kabupaten/kota) wajib dipilih." in page and 'value="Tim Nasional Uji"' in page
    assert chosen(page, "pilih_provinsi") == "34"


def test_small_scope_keeps_the_single_select(client, world, login_as):
    login_as("admin")  # the world: two kabupaten, under the default limit
    page = text(client.get("/admin/kit/baru"))
    assert "pilih_provinsi" not in page and options(page, "office_kode") == ["33.01", "33.74"]


def test_kit_team_list_holds_the_teams_of_the_chosen_office(client, country, world, login_as):
    far = b.make_team("34.02", "Tim Yogya Dua")
    db.session.commit()
    login_as("admin")
    page = text(client.get("/admin/kit/baru"))
    assert options(page, "team_id") == []  # no office yet: no team list of the whole country
    page = text(client.post("/admin/kit/baru", data={"code": "KIT-Z", "status": "ok", "pilih_provinsi": "34",
                                                     "office_kode": "34.02", "area_step": "tim"}))
    assert options(page, "team_id") == [str(far.id)] and 'value="KIT-Z"' in page
    assert db.session.query(Kit).filter_by(code="KIT-Z").count() == 0
    page = text(client.get(f"/admin/kit/{world.kit.id}"))  # editing: the office's teams, its own team kept
    assert str(world.team.id) in options(page, "team_id") and str(far.id) not in options(page, "team_id")


def test_user_form_team_list_follows_the_office_chosen_stepwise(client, country, world, login_as):
    far = b.make_team("34.02", "Tim Yogya Dua")
    db.session.commit()
    login_as("admin")
    page = text(client.get("/admin/pengguna/baru"))
    assert options(page, "team_id") == [] and "Kantor tim (kabupaten/kota)" in page
    assert "js/area_picker.js" in page
    page = text(client.post("/admin/pengguna/baru", data={"username": "lapangan_yogya", "role": "field",
                                                         "pilih_provinsi": "34", "pilih_kabupaten": "34.02",
                                                         "area_step": "tim"}))
    assert options(page, "team_id") == [str(far.id)] and 'value="lapangan_yogya"' in page
    field_user = world.users["field"]
    page = text(client.get(f"/admin/pengguna/{field_user.id}"))
    assert chosen(page, "pilih_kabupaten") == "33.74" and chosen(page, "team_id") == str(world.team.id)


def test_small_scope_user_form_keeps_every_team(client, world, login_as):
    login_as("admin")
    page = text(client.get("/admin/pengguna/baru"))
    assert "pilih_kabupaten" not in page and str(world.team.id) in options(page, "team_id")
