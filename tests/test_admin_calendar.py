"""The admin's planning calendar pages: a year's list, add, change, delete, bad input, correcting the package,
and the scope of an admin limited to one kabupaten/kota."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from outreach.models import AuditEntry, CalendarEntry
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 9, 0, tzinfo=WIB))


def entries(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(CalendarEntry).order_by(CalendarEntry.id)).all()


def form(**kw):
    out = {"kind": "libur_daerah", "first": "2027-04-02", "last": "", "name": "Hari jadi Kota Uji",
           "region_kode": "33.74", "replaces_date": ""}
    out.update(kw)
    return out


@pytest.fixture()
def kota_admin(client, world):
    """Signs in an admin whose scope is Kota Uji (33.74)."""
    builders.make_user("admin", "admin_kota", scope="33.74")
    from outreach.extensions import db
    db.session.commit()
    client.post("/logout")
    assert client.post("/login", data={"username": "admin_kota", "password": builders.PASSWORD}).status_code == 302


def test_year_list_shows_package_days_and_entries(client, login_as, db):
    login_as("admin")
    client.post("/admin/kalender/baru", data=form())
    html = client.get("/admin/kalender?tahun=2026").get_data(as_text=True)
    assert "Cuti Bersama Hari Raya Natal" in html and "Tahun Baru Masehi" in html and "Paket holidays" in html
    html = client.get("/admin/kalender?tahun=2027").get_data(as_text=True)
    assert "Hari jadi Kota Uji" in html and "33.74 · Kota Uji" in html and "Pengguna admin" in html  # the name
    html = client.get("/admin/kalender?tahun=2027&jenis=libur_daerah").get_data(as_text=True)
    assert "Hari jadi Kota Uji" in html and "Tahun Baru Masehi" not in html


def test_admin_adds_changes_and_deletes_an_entry_with_audit(client, login_as, db):
    admin = login_as("admin")
    resp = client.post("/admin/kalender/baru", data=form(kind="ujian_sekolah", name="Ujian SMA", last="2027-03-05",
                                                         first="2027-03-01"))
    assert resp.status_code == 302 and "tahun=2027" in resp.headers["Location"]
    [e] = entries(db)
    assert (e.kind, e.first_date, e.last_date, e.region_kode, e.created_by_id) == (
        "ujian_sekolah", date(2027, 3, 1), date(2027, 3, 5), "33.74", admin.id)
    assert client.get(f"/admin/kalender/{e.id}").status_code == 200
    resp = client.post(f"/admin/kalender/{e.id}", data=form(kind="ujian_sekolah", name="Ujian akhir SMA",
                                                            first="2027-03-01", last="2027-03-06"))
    assert resp.status_code == 302
    [e] = entries(db)
    assert (e.name, e.last_date, e.updated_by_id) == ("Ujian akhir SMA", date(2027, 3, 6), admin.id)
    assert client.post(f"/admin/kalender/{e.id}/hapus").status_code == 302
    assert entries(db) == []
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity == "calendar_entry")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("data,fld,message", [
    (form(first="2027-04-05", last="2027-04-02"), "last",
     "Rentang terbalik: tanggal akhir 2027-04-02 sebelum tanggal mulai 2027-04-05."),
    (form(region_kode="33.99"), "region_kode", "Kabupaten/kota 33.99 tidak dikenal."),
    (form(region_kode=""), "region_kode", "Libur daerah berlaku per kabupaten/kota; pilih kabupaten/kotanya."),
    (form(first="2 April 2027"), "first", "Tanggal \"2 April 2027\" tidak dikenali; tulis TTTT-BB-HH"),
    (form(name=""), "name", "Nama wajib diisi"),
    (form(kind="libur_nasional", region_kode="", replaces_date="2027-05-21"), "replaces_date",
     "Tanggal 2027-05-21 bukan hari libur dalam data paket holidays"),
])
def test_bad_input_is_refused_in_indonesian_and_keeps_what_was_typed(client, login_as, db, data, fld, message):
    login_as("admin")
    resp = client.post("/admin/kalender/baru", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and entries(db) == []
    assert message.replace('"', "&#34;") in html or message in html, html
    if data["name"]:
        assert f'value="{data["name"]}"' in html


def test_bad_edit_loses_nothing_already_saved(client, login_as, db):
    login_as("admin")
    client.post("/admin/kalender/baru", data=form())
    [e] = entries(db)
    resp = client.post(f"/admin/kalender/{e.id}", data=form(name="Nama baru", last="2027-03-01"))
    assert resp.status_code == 422 and "Rentang terbalik" in resp.get_data(as_text=True)
    assert "Nama baru" in resp.get_data(as_text=True)
    [e] = entries(db)
    assert (e.name, e.last_date) == ("Hari jadi Kota Uji", date(2027, 4, 2))


def test_the_same_entry_twice_is_refused(client, login_as, db):
    login_as("admin")
    assert client.post("/admin/kalender/baru", data=form()).status_code == 302
    resp = client.post("/admin/kalender/baru", data=form(name="Lagi"))
    assert resp.status_code == 422 and "Sudah ada entri Libur daerah mulai 2027-04-02" in resp.get_data(as_text=True)
    assert len(entries(db)) == 1


def test_correcting_a_package_date(client, login_as, db):
    login_as("admin")
    page = client.get("/admin/kalender/baru?menggantikan=2026-12-25").get_data(as_text=True)
    assert 'value="Hari Raya Natal"' in page and 'value="2026-12-25"' in page
    resp = client.post("/admin/kalender/baru", data=form(kind="libur_nasional", region_kode="", first="2026-12-28",
                                                         name="Hari Raya Natal", replaces_date="2026-12-25"))
    assert resp.status_code == 302
    html = client.get("/admin/kalender?tahun=2026").get_data(as_text=True)
    assert "<s>Hari Raya Natal</s>" in html and "menggantikan tanggal paket" in html
    resp = client.post("/admin/kalender/baru", data=form(kind="libur_nasional", region_kode="", first="2026-12-29",
                                                         name="Natal lagi", replaces_date="2026-12-25"))
    assert resp.status_code == 422 and "sudah dikoreksi oleh entri lain" in resp.get_data(as_text=True)


def test_scoped_admin_manages_its_own_kabupaten_only(client, world, db, kota_admin):
    from outreach.models import CalendarEntry as E
    from outreach.extensions import db as _db

    national = E(kind="hari_pemilu", first_date=date(2029, 2, 14), last_date=date(2029, 2, 14), name="Pemilu 2029")
    elsewhere = E(kind="libur_daerah", first_date=date(2027, 5, 3), last_date=date(2027, 5, 3), name="Hari jadi Lain",
                  region_kode=world.other_kab.kode)
    _db.session.add_all([national, elsewhere])
    _db.session.commit()
    assert client.post("/admin/kalender/baru", data=form()).status_code == 302
    resp = client.post("/admin/kalender/baru", data=form(region_kode=world.other_kab.kode, name="Bukan wilayah saya"))
    assert resp.status_code == 422 and "di luar wilayah Anda" in resp.get_data(as_text=True)
    resp = client.post("/admin/kalender/baru", data=form(kind="hari_pemilu", region_kode="", name="Pemilu"))
    assert resp.status_code == 422 and "hanya dapat dikelola admin tanpa batas wilayah" in resp.get_data(as_text=True)
    # The national entry is shown but not editable; another kabupaten's is not shown at all.
    html = client.get("/admin/kalender?tahun=2029").get_data(as_text=True)
    assert "Pemilu 2029" in html and f"/admin/kalender/{national.id}" not in html
    assert "Hari jadi Lain" not in client.get("/admin/kalender?tahun=2027").get_data(as_text=True)
    assert client.get(f"/admin/kalender/{national.id}").status_code == 403
    assert client.post(f"/admin/kalender/{national.id}/hapus").status_code == 403
    assert client.get(f"/admin/kalender/{elsewhere.id}").status_code == 404
    assert client.post(f"/admin/kalender/{elsewhere.id}/hapus").status_code == 404
    assert {e.name for e in entries(db)} == {"Pemilu 2029", "Hari jadi Lain", "Hari jadi Kota Uji"}


def test_forms_carry_a_csrf_token(app, client, login_as, db):
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/admin/kalender/baru", data=form()).status_code == 400  # no token
        page = client.get("/admin/kalender/baru").get_data(as_text=True)
        assert 'name="csrf_token"' in page
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert entries(db) == []
