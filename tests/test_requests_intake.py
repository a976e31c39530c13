"""Public visit requests: the intake service (each field's checks, phone numbers, the honeypot, the open cap per
phone, codes, the public status) and the pages at /permohonan (form with ?desa, CSRF, errors keeping what was
typed, the "terkirim" page, the status page, the chooser's data, the A4 poster with its QR code, page weight)."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.extensions import db as _db
from outreach.models import VisitRequest
from outreach.requests import intake
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))


def good(**changes) -> dict:
    data = {"kind": "rumah_lansia", "desa_kode": "33.74.01.1001", "address": "Jl. Melati 4, dekat masjid",
            "rt": "3", "rw": "5", "people": "1", "description": "Nenek tidak bisa berjalan",
            "requester_name": "Siti Aminah", "relation": "Anak", "phone": "0812-3456-7890"}
    data.update(changes)
    return data


def stored() -> list:
    return _db.session.scalars(sa.select(VisitRequest).order_by(VisitRequest.id)).all()


# ---------------------------------------------------------------- the service

@pytest.mark.parametrize("raw,expected", [
    ("0812-3456-7890", "6281234567890"),
    ("0812 3456 789", "628123456789"),
    ("+62 812 3456 7890", "6281234567890"),
    ("6281234567890", "6281234567890"),
    ("(0857) 1234.5678", "6285712345678"),
    ("081234567", None),          # too short
    ("08123456789012", None),     # too long
    ("021 555 1234", None),       # a landline
    ("+1 202 555 0100", None),
    ("0812abc45678", None),
    ("", None),
])
def test_phone_numbers_are_normalised_to_628(raw, expected):
    assert intake.normalise_phone(raw) == expected


def test_a_good_request_is_cleaned_with_its_region_codes(app, world):
    cleaned, errors = intake.validate(good(lat="-7,01", lng="110.41"))
    assert errors == {}
    assert cleaned["phone"] == "6281234567890" and (cleaned["rt"], cleaned["rw"], cleaned["people"]) == (3, 5, 1)
    assert (cleaned["kecamatan_kode"], cleaned["kabupaten_kode"], cleaned["provinsi_kode"]) == ("33.74.01", "33.74", "33")
    assert (cleaned["lat"], cleaned["lng"]) == (-7.01, 110.41)


@pytest.mark.parametrize("changes,field,words", [
    ({"kind": ""}, "kind", "Jenis permohonan wajib dipilih"),
    ({"kind": "pesta"}, "kind", "tidak dikenal"),
    ({"desa_kode": ""}, "desa_kode", "wajib dipilih"),
    ({"desa_kode": "33.74.01"}, "desa_kode", "kode desa/kelurahan bertitik"),
    ({"desa_kode": "33.74.09.9999"}, "desa_kode", "tidak ditemukan"),
    ({"address": "  "}, "address", "Alamat wajib diisi"),
    ({"address": "x" * 301}, "address", "Alamat terlalu panjang (301 karakter, maksimal 300)"),
    ({"rt": "abc"}, "rt", "RT harus bilangan bulat"),
    ({"rw": "1000"}, "rw", "RW harus antara 0 dan 999"),
    ({"people": ""}, "people", "Jumlah orang wajib diisi"),
    ({"people": "0"}, "people", "Jumlah orang harus antara 1 dan 2000"),
    ({"people": "2001"}, "people", "antara 1 dan 2000"),
    ({"people": "-3"}, "people", "antara 1 dan 2000"),
    ({"description": "y" * 501}, "description", "Keterangan terlalu panjang"),
    ({"requester_name": ""}, "requester_name", "Nama pemohon wajib diisi"),
    ({"requester_name": "n" * 121}, "requester_name", "Nama pemohon terlalu panjang"),
    ({"requester_name": "Siti\x07"}, "requester_name", "karakter yang tidak diizinkan"),
    ({"relation": ""}, "relation", "Hubungan dengan yang direkam wajib diisi"),
    ({"relation": "r" * 61}, "relation", "terlalu panjang"),
    ({"phone": ""}, "phone", "Nomor WhatsApp wajib diisi"),
    ({"phone": "021 555 1234"}, "phone", "harus nomor ponsel Indonesia"),
    ({"lat": "-7.0"}, "lat", "lintang dan bujur sekaligus"),
    ({"lat": "abc", "lng": "110.4"}, "lat", "harus berupa angka"),
    ({"lat": "40.7", "lng": "-74.0"}, "lat", "di luar Indonesia"),
    ({"lat": "-6.2", "lng": "106.8"}, "lat", "jauh dari Kota Uji"),
])
def test_each_field_has_its_own_message_in_indonesian(app, world, changes, field, words):
    cleaned, errors = intake.validate(good(**changes))
    assert cleaned == {}
    assert words in errors[field], errors


def test_json_types_are_checked_too(app, world):
    _cleaned, errors = intake.validate(good(rt=True, people=2.5, address=7, lat=float("nan"), lng=1.0))
    assert set(errors) == {"rt", "people", "address", "lat"}
    cleaned, errors = intake.validate(good(rt=3, rw=None, people=4, lat=-7.0, lng=110.4))
    assert errors == {} and cleaned["rw"] is None and cleaned["people"] == 4


def test_create_stores_a_request_with_a_readable_unique_code(app, world):
    codes = set()
    for n in range(3):
        cleaned, _ = intake.validate(good(phone=f"0812345678{n}{n}"))
        row = intake.create(cleaned, "form")
        codes.add(row.code)
        assert re.fullmatch(r"JB-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", row.code)
        assert (row.status, row.source, row.phone_last4) == ("baru", "form", f"78{n}{n}")
    assert len(codes) == 3
    assert all(not set(c[3:]) & set("01OI") for c in (intake.new_code() for _ in range(300)))


def test_a_code_already_taken_is_not_reused(app, world, monkeypatch):
    cleaned, _ = intake.validate(good())
    first = intake.create(cleaned, "form")
    made = iter([first.code, first.code, "JB-ZZZZZZ"])
    monkeypatch.setattr(intake, "new_code", lambda: next(made))
    cleaned, _ = intake.validate(good(phone="081299998888"))
    assert intake.create(cleaned, "api").code == "JB-ZZZZZZ"


def test_the_honeypot_answers_with_a_code_and_stores_nothing(app, world):
    outcome = intake.submit(good(), "form", honeypot="http://spam.example")
    assert outcome.code and outcome.code.startswith("JB-") and not outcome.stored and not outcome.errors
    assert stored() == []
    assert intake.submit(good(), "form", honeypot="").stored


def test_open_requests_per_phone_are_capped(app, world, monkeypatch):
    for _ in range(3):
        assert intake.submit(good(phone="+62 812 3456 7890"), "form").stored
    outcome = intake.submit(good(phone="0812-3456-7890"), "api")
    assert "sudah punya 3 permohonan yang masih berjalan" in outcome.errors["phone"]
    # A closed request frees a place; the cap is a setting.
    row = stored()[0]
    row.status = "selesai"
    _db.session.commit()
    assert intake.submit(good(), "form").stored
    monkeypatch.setitem(app.config, "REQUEST_OPEN_PER_PHONE", 5)
    assert intake.submit(good(), "form").stored
    assert intake.submit(good(phone="085700001111"), "form").stored  # another number is not affected


def test_public_status_needs_the_right_digits_and_holds_no_personal_data(app, world):
    code = intake.submit(good(), "form").code
    assert intake.public_status(code, "0000") is None
    assert intake.public_status("JB-ZZZZZZ", "7890") is None
    assert intake.public_status(code, "78901") is None
    found = intake.public_status(code.lower().replace("-", " "), "7890")
    assert found["code"] == code and found["status"] == "baru" and found["status_label"] == "Baru"
    assert found["kind_label"] == "Kunjungan rumah: lansia" and found["desa"] == "Kelurahan Satu A"
    assert found["submitted_on"] == "2026-12-14" and found["session"] is None
    text = repr(found)
    for private in ("Siti", "Melati", "Nenek", "Anak", "81234567890", "6281234567890"):
        assert private not in text


def test_public_status_shows_the_linked_session_and_a_refusal_reason(app, world):
    code = intake.submit(good(kind="sekolah", people="40"), "api").code
    row = stored()[0]
    session = builders.make_session(world.site1, world.team, day=datetime(2026, 12, 21).date(), start="09:00",
                                    end="11:30")
    row.session_id, row.status = session.id, "dijadwalkan"
    _db.session.commit()
    found = intake.public_status(code, "7890")
    assert found["session"] == {"date": "2026-12-21", "end_date": None, "start_time": "09:00", "end_time": "11:30",
                                "at_home": False, "place": "Balai Kelurahan Satu A", "status": "rencana",
                                "status_label": found["session"]["status_label"]}
    row.session_id, row.status, row.reason = None, "ditolak", "Sudah terekam semua"
    _db.session.commit()
    found = intake.public_status(code, "7890")
    assert found["status"] == "ditolak" and found["reason"] == "Sudah terekam semua" and found["session"] is None


def test_a_home_visit_session_does_not_name_the_place(app, world):
    code = intake.submit(good(), "form").code
    session = builders.make_session(world.site1, world.team)
    stored()[0].session_id = session.id
    _db.session.commit()
    found = intake.public_status(code, "7890")
    assert found["session"]["at_home"] is True and found["session"]["place"] is None


def test_region_children_for_the_chooser(app, world):
    kabupaten = intake.region_children("")
    assert {"kode": "33.74", "nama": "Kota Uji"} in kabupaten
    assert [r["kode"] for r in intake.region_children("33.74")] == ["33.74.02", "33.74.01"]  # by name
    assert [r["kode"] for r in intake.region_children("33.74.01")] == ["33.74.01.2002", "33.74.01.1001"]
    assert intake.region_children("33.74.01.1001") is None and intake.region_children("x" * 50) is None
    assert intake.region_children("33.99") is None


# ---------------------------------------------------------------- the pages

def test_the_form_preselects_the_desa_of_the_qr_link(client, world):
    resp = client.get("/permohonan?desa=33.74.01.1001")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<option value="33.74" selected>' in html
    assert '<option value="33.74.01" selected>' in html
    assert '<option value="33.74.01.1001" selected>' in html
    assert "Tidak perlu NIK, foto, atau dokumen" in html and "Kartu Keluarga (KK)" in html
    assert "UU No. 27 Tahun 2022" in html and "dihapus 90 hari setelah" in html
    assert 'name="website"' in html and "bootstrap" not in html.lower()
    assert "Pakai lokasi saya sekarang" in html
    # An unknown or malformed desa leaves the chooser empty instead of failing.
    for bad in ("33.74.09.9999", "x" * 300, "33.74.01"):
        assert client.get(f"/permohonan?desa={bad}").status_code == 200


def test_the_retention_days_follow_the_setting(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUEST_RETENTION_DAYS", 30)
    assert "dihapus 30 hari setelah" in client.get("/permohonan").get_data(as_text=True)


def test_posting_the_form_needs_csrf_and_creates_a_request(client, world, csrf_on):
    assert client.post("/permohonan", data=good()).status_code == 400
    assert stored() == []
    html = client.get("/permohonan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/permohonan", data={**good(), "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/permohonan/terkirim")
    [row] = stored()
    assert row.source == "form" and row.phone == "6281234567890" and row.kecamatan_kode == "33.74.01"
    page = client.get("/permohonan/terkirim").get_data(as_text=True)
    assert row.code in page and f"/permohonan/status?kode={row.code}" in page


def test_bad_input_keeps_what_was_typed_with_a_message_per_field(client, world):
    resp = client.post("/permohonan", data=good(phone="12345", people="0", requester_name="Budi <b>"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-testid="error-phone"' in html and 'data-testid="error-people"' in html
    assert 'value="12345"' in html and 'value="Budi &lt;b&gt;"' in html and "Jl. Melati 4" in html
    assert '<option value="33.74.01.1001" selected>' in html and '<option value="rumah_lansia" selected>' in html
    assert stored() == []


def test_the_no_js_chooser_fills_the_next_list_without_sending(client, world):
    resp = client.post("/permohonan", data={"kabupaten": "33.74", "pilih": "kabupaten", "address": "Jl. Mawar"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Kecamatan Satu" in html and "Jl. Mawar" in html
    assert 'data-testid="form-errors"' not in html and stored() == []


def test_the_form_honeypot_looks_accepted(client, world):
    resp = client.post("/permohonan", data={**good(), "website": "spam"})
    assert resp.status_code == 303 and stored() == []
    assert re.search(r"JB-[A-Z2-9]{6}", client.get("/permohonan/terkirim").get_data(as_text=True))


def test_the_sent_page_without_a_request_goes_back_to_the_form(client, world):
    resp = client.get("/permohonan/terkirim")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/permohonan")


def test_the_status_page(client, world):
    code = intake.submit(good(), "form").code
    assert f'value="{code}"' in client.get(f"/permohonan/status?kode={code}").get_data(as_text=True)
    resp = client.post("/permohonan/status", data={"kode": code, "hp4": "7890"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Baru" in html and "Kelurahan Satu A" in html
    assert "Siti" not in html and "Melati" not in html
    wrong = client.post("/permohonan/status", data={"kode": code, "hp4": "1111"})
    unknown = client.post("/permohonan/status", data={"kode": "JB-ZZZZZZ", "hp4": "7890"})
    assert wrong.status_code == unknown.status_code == 404
    assert "Permohonan tidak ditemukan" in wrong.get_data(as_text=True)
    assert client.post("/permohonan/status", data={"kode": "x" * 5000, "hp4": "y" * 5000}).status_code == 404


def test_the_chooser_data_is_public_and_cached(client, world):
    resp = client.get("/permohonan/wilayah?induk=33.74.01")
    assert resp.status_code == 200 and "public" in resp.headers["Cache-Control"]
    assert {"kode": "33.74.01.1001", "nama": "Kelurahan Satu A"} in resp.get_json()
    assert client.get("/permohonan/wilayah").get_json()[0]["kode"] in ("33.74", "33.01")
    bad = client.get("/permohonan/wilayah?induk=abc")
    assert bad.status_code == 404 and "Wilayah tidak ditemukan" in bad.get_json()["message"]


def test_the_poster_has_a_qr_code_to_the_form_of_its_desa(client, world):
    resp = client.get("/permohonan/poster/33.74.01.1001")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "http://localhost/permohonan?desa=33.74.01.1001" in html
    assert re.search(r'<div class="pb-qr"[^>]*><svg[^>]*>.*<path', html, re.S)
    assert "Kelurahan Satu A" in html and "Kecamatan Satu" in html and "Kota Uji" in html
    assert client.get("/permohonan/poster/33.74.01").status_code == 404
    assert client.get("/permohonan/poster/33.74.09.9999").status_code == 404


def test_the_poster_prints_on_a4(app):
    css = (app.static_folder + "/css/public.css")
    text = open(css, encoding="utf-8").read()
    assert "@page { size: A4" in text and "@media print" in text


def test_the_form_page_first_visit_is_under_100_kb(app, world):
    from bench.request_form_weight import BUDGET_BYTES, measure

    weight = measure(app.test_client(), "/permohonan?desa=33.74.01.1001")
    assert weight.total_bytes < BUDGET_BYTES, weight.lines()
    assert any(f.path.startswith("/static/js/request_form.js") for f in weight.files)
    assert any(f.path.startswith("/static/css/public.css") for f in weight.files)


@pytest.mark.parametrize("stored,shown", [("6285712349876", "0857-1234-9876"), ("628123456789", "0812-3456-789"),
                                          ("(024) 7601234", "(024) 7601234"), ("", "")])
def test_a_stored_number_is_shown_as_people_write_it(stored, shown):
    from outreach.phones import readable

    assert readable(stored) == shown
