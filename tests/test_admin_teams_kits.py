"""Admin: teams (with the calendar link rotation) and recording kits."""
import html

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import AuditEntry, Kit, Team
from tests import builders


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def team_form(**overrides) -> dict:
    data = {"nama": "Tim Keliling 2", "office_kode": "33.74", "office_lat": "-6,9932", "office_lng": "110.4203",
            "members": "  Budi  \n\nSiti\nAgus \n", "phone": "0812-3456-7890", "active": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def kit_form(**overrides) -> dict:
    data = {"code": "KIT-B", "status": "ok", "office_kode": "33.74", "team_id": "", "notes": "Baru dari pusat"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_rows(entity: str, entity_id=None, action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- teams

def test_team_list(client, world, login_as):
    builders.make_user("field", "lapangan_dua", team=world.team)
    db.session.commit()
    login_as("admin")
    resp = client.get("/admin/tim")
    assert resp.status_code == 200
    page = text(resp)
    assert "Tim Keliling 1" in page and "33.74 · Kota Uji" in page
    row = page.split("Tim Keliling 1", 1)[1].split("</tr>", 1)[0]
    assert '<td class="text-end">2</td>' in row  # two field users
    assert '<td class="text-end">1</td>' in row  # one kit


def test_create_team(client, world, login_as):
    admin = login_as("admin")
    page = client.get("/admin/tim/baru").get_data(as_text=True)
    assert 'value="33.74"' in page and "33.74 — Kota Uji" in page
    resp = client.post("/admin/tim/baru", data=team_form())
    assert resp.status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.nama == "Tim Keliling 2"))
    assert team.office_kode == "33.74" and team.office_lat == pytest.approx(-6.9932)
    assert team.office_lng == pytest.approx(110.4203)
    assert team.members == "Budi\nSiti\nAgus" and team.member_list == ["Budi", "Siti", "Agus"]
    assert team.phone == "0812-3456-7890" and team.active and len(team.calendar_secret) >= 24
    [row] = audit_rows("team", team.id)
    assert row.action == "create" and row.user_id == admin.id
    assert row.changes["nama"] == [None, "Tim Keliling 2"] and "calendar_secret" not in row.changes
    assert "Tim Tim Keliling 2 dibuat." in text(client.get("/admin/tim"))


def test_team_without_coordinates_is_fine(client, world, login_as):
    login_as("admin")
    assert client.post("/admin/tim/baru", data=team_form(office_lat="", office_lng="", phone="")).status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.nama == "Tim Keliling 2"))
    assert team.office_lat is None and team.office_lng is None


@pytest.mark.parametrize("overrides,message", [
    ({"nama": ""}, "Nama tim wajib diisi."),
    ({"nama": "tim keliling 1"}, "Nama tim tim keliling 1 sudah dipakai."),
    ({"nama": "x" * 121}, "Nama paling banyak 120 karakter."),
    ({"office_kode": ""}, "Kantor (kabupaten/kota) wajib dipilih."),
    ({"office_kode": "33.74.01"}, "Kantor harus sebuah kabupaten/kota (kode seperti 33.74)."),
    ({"office_kode": "33.99"}, "Kode wilayah 33.99 tidak ditemukan."),
    ({"office_lat": "", "office_lng": "110.42"}, "Isi lintang dan bujur bersama-sama, atau kosongkan keduanya."),
    ({"office_lat": "selatan"}, "Lintang harus berupa angka, mis. -6.9932."),
    ({"office_lng": "1e999"}, "Bujur harus berupa angka, mis. 110.4203."),
    ({"office_lat": "110.42", "office_lng": "-6.99"}, "Lintang dan bujur tampaknya tertukar"),
    ({"office_lat": "-95"}, "Lintang harus di antara -90 dan 90."),
    ({"office_lng": "181"}, "Bujur harus di antara -180 dan 180."),
    ({"phone": "telepon saya"}, "Nomor telepon hanya boleh berisi angka"),
])
def test_create_team_refuses_bad_input(client, world, login_as, overrides, message):
    login_as("admin")
    before = count(Team)
    resp = client.post("/admin/tim/baru", data=team_form(**overrides))
    assert resp.status_code == 422
    assert message in text(resp)
    assert count(Team) == before
    assert audit_rows("team") == []


def test_edit_team_is_audited(client, world, login_as):
    admin = login_as("admin")
    team = world.team
    page = client.get(f"/admin/tim/{team.id}").get_data(as_text=True)
    assert 'value="Tim Keliling 1"' in page and "Ganti tautan kalender" in page
    resp = client.post(f"/admin/tim/{team.id}", data=team_form(nama="Tim Keliling 1", office_lat="-6.99",
                                                               office_lng="110.42", members="Ani\nBudi",
                                                               phone="", active=None))
    assert resp.status_code == 302
    team = fresh(Team, team.id)
    assert team.member_list == ["Ani", "Budi"] and team.active is False
    [row] = audit_rows("team", team.id, "update")
    assert row.user_id == admin.id
    assert row.changes == {"members": ["", "Ani\nBudi"], "active": [True, False]}
    # saving the same values again changes nothing
    client.post(f"/admin/tim/{team.id}", data=team_form(nama="Tim Keliling 1", office_lat="-6.99", office_lng="110.42",
                                                        members="Ani\nBudi", phone="", active=None))
    assert len(audit_rows("team", team.id, "update")) == 1


def test_edit_team_refused_keeps_saved_values(client, world, login_as):
    login_as("admin")
    other = builders.make_team("33.74", "Tim Lain")
    db.session.commit()
    resp = client.post(f"/admin/tim/{other.id}", data=team_form(nama="Tim Keliling 1"))
    assert resp.status_code == 422 and "Nama tim Tim Keliling 1 sudah dipakai." in text(resp)
    assert fresh(Team, other.id).nama == "Tim Lain"


def test_rotate_calendar_link(client, world, login_as):
    admin = login_as("admin")
    old_secret = world.team.calendar_secret
    assert client.get(f"/admin/tim/{world.team.id}/kalender").status_code == 405
    resp = client.post(f"/admin/tim/{world.team.id}/kalender")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/tim/{world.team.id}")
    team = fresh(Team, world.team.id)
    assert team.calendar_secret != old_secret and len(team.calendar_secret) >= 24
    [row] = audit_rows("team", team.id, "rotate_calendar_link")
    assert row.user_id == admin.id
    assert old_secret not in str(row.changes) and team.calendar_secret not in str(row.changes)
    assert "tautan lama tidak berlaku lagi" in text(client.get(f"/admin/tim/{team.id}"))


@pytest.mark.parametrize("role", ["manager", "coordinator", "field"])
def test_non_admins_cannot_rotate_or_edit_teams(client, world, login_as, role):
    login_as(role)
    old_secret = world.team.calendar_secret
    assert client.post(f"/admin/tim/{world.team.id}/kalender").status_code == 403
    assert client.post(f"/admin/tim/{world.team.id}", data=team_form(nama="Diambil alih")).status_code == 403
    team = fresh(Team, world.team.id)
    assert team.calendar_secret == old_secret and team.nama == "Tim Keliling 1"


def test_team_pages_escape_html(client, world, login_as):
    login_as("admin")
    evil = "<script>alert(1)</script>"
    assert client.post("/admin/tim/baru", data=team_form(nama=evil, members=evil)).status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.nama == evil))
    for url in ("/admin/tim", f"/admin/tim/{team.id}", "/admin/kit/baru", "/admin/pengguna/baru"):
        page = client.get(url).get_data(as_text=True)
        assert evil not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    resp = client.post(f"/admin/tim/{team.id}/kalender", follow_redirects=True)
    assert evil not in resp.get_data(as_text=True)


def test_team_forms_refuse_a_missing_csrf_token(client, world, login_as, request):
    login_as("admin")
    request.getfixturevalue("csrf_on")
    old_secret = world.team.calendar_secret
    assert client.post(f"/admin/tim/{world.team.id}/kalender").status_code == 400
    assert fresh(Team, world.team.id).calendar_secret == old_secret
    assert client.post("/admin/tim/baru", data=team_form()).status_code == 400
    assert client.post("/admin/kit/baru", data=kit_form()).status_code == 400
    assert count(Team) == 1 and count(Kit) == 1


# ---------------------------------------------------------------- kits

def test_kit_list_filters_by_status(client, world, login_as):
    builders.make_kit(world.team, "KIT-RUSAK-1", status="rusak")
    builders.make_kit(None, "KIT-SERVIS-1", status="servis")
    db.session.commit()
    login_as("admin")
    page = text(client.get("/admin/kit"))
    assert "KIT-A" in page and "KIT-RUSAK-1" in page and "KIT-SERVIS-1" in page
    page = text(client.get("/admin/kit?status=rusak"))
    assert "KIT-RUSAK-1" in page and "KIT-A" not in page and "KIT-SERVIS-1" not in page
    assert "Rusak" in page and "33.74 · Kota Uji" in page and "Tim Keliling 1" in page
    # an unknown status filter shows everything rather than failing
    assert "KIT-SERVIS-1" in text(client.get("/admin/kit?status=hilang"))


def test_create_kit(client, world, login_as):
    admin = login_as("admin")
    assert client.get("/admin/kit/baru").status_code == 200
    resp = client.post("/admin/kit/baru", data=kit_form(team_id=str(world.team.id)))
    assert resp.status_code == 302
    kit = db.session.scalar(sa.select(Kit).where(Kit.code == "KIT-B"))
    assert (kit.status, kit.office_kode, kit.team_id, kit.notes) == ("ok", "33.74", world.team.id, "Baru dari pusat")
    [row] = audit_rows("kit", kit.id)
    assert row.action == "create" and row.user_id == admin.id and row.changes["code"] == [None, "KIT-B"]


@pytest.mark.parametrize("overrides,message", [
    ({"code": ""}, "Kode kit wajib diisi."),
    ({"code": "kit-a"}, "Kode kit kit-a sudah dipakai."),
    ({"code": "K" * 41}, "Kode kit paling banyak 40 karakter."),
    ({"status": "hilang"}, "Status kit harus salah satu dari: baik, rusak, servis."),
    ({"office_kode": ""}, "Kantor (kabupaten/kota) wajib dipilih."),
    ({"office_kode": "33.74.01.1001"}, "Kantor harus sebuah kabupaten/kota"),
    ({"team_id": "424242"}, "Tim tidak ditemukan."),
    ({"office_kode": "33.01", "team_id": "TEAM"}, "Tim asal harus berkantor di kabupaten/kota yang sama dengan kit."),
])
def test_create_kit_refuses_bad_input(client, world, login_as, overrides, message):
    login_as("admin")
    if overrides.get("team_id") == "TEAM":
        overrides["team_id"] = str(world.team.id)
    resp = client.post("/admin/kit/baru", data=kit_form(**overrides))
    assert resp.status_code == 422
    assert message in text(resp)
    assert count(Kit) == 1
    assert audit_rows("kit") == []


def test_edit_kit_status_is_audited(client, world, login_as):
    admin = login_as("admin")
    kit = world.kit
    page = client.get(f"/admin/kit/{kit.id}").get_data(as_text=True)
    assert 'value="KIT-A"' in page
    resp = client.post(f"/admin/kit/{kit.id}", data=kit_form(code="KIT-A", status="servis", team_id="",
                                                             notes="Sensor sidik jari diganti"))
    assert resp.status_code == 302
    kit = fresh(Kit, kit.id)
    assert kit.status == "servis" and kit.team_id is None
    [row] = audit_rows("kit", kit.id, "update")
    assert row.user_id == admin.id
    assert row.changes == {"status": ["ok", "servis"], "team_id": [world.team.id, None],
                           "notes": ["", "Sensor sidik jari diganti"]}
    other = builders.make_kit(None, "KIT-C")
    db.session.commit()
    resp = client.post(f"/admin/kit/{other.id}", data=kit_form(code="KIT-A"))
    assert resp.status_code == 422 and "Kode kit KIT-A sudah dipakai." in text(resp)
    assert fresh(Kit, other.id).code == "KIT-C"


def test_kit_pages_escape_html(client, world, login_as):
    login_as("admin")
    evil = "<script>alert(1)</script>"
    assert client.post("/admin/kit/baru", data=kit_form(code="<b>K1</b>", notes=evil)).status_code == 302
    kit = db.session.scalar(sa.select(Kit).where(Kit.code == "<b>K1</b>"))
    for url in ("/admin/kit", f"/admin/kit/{kit.id}"):
        page = client.get(url).get_data(as_text=True)
        assert evil not in page and "<b>K1</b>" not in page, url
        assert "&lt;b&gt;K1&lt;/b&gt;" in page, url


def test_unknown_team_or_kit_is_404(client, world, login_as):
    login_as("admin")
    assert client.get("/admin/tim/99999").status_code == 404
    assert client.post("/admin/tim/99999/kalender").status_code == 404
    assert client.get("/admin/kit/99999").status_code == 404
