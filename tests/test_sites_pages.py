"""Site pages: list with filters, detail, create/edit form with server-side validation, escaping, scoping."""
import html as htmllib
import json
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import AuditEntry, Site
from tests import builders as b

SQUARE = {"type": "Polygon", "coordinates": [[[110.3, -7.1], [110.5, -7.1], [110.5, -6.9], [110.3, -6.9], [110.3, -7.1]]]}
XSS = "<script>alert(1)</script>"


@contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def listed_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-site-id="(\d+)"', html)]


def valid_form(desa_kode="33.74.01.1001", **kw):
    data = {"type": "balai_desa", "nama": "Balai Kelurahan Baru", "desa_kode": desa_kode, "lat": "-7.0",
            "lng": "110.4", "rt": "", "rw": "", "address": "Jl. Pemuda 1", "contact_name": "Pak Lurah",
            "contact_phone": "0812-3456-7890", "npsn": "", "jenjang": "", "school_status": "",
            "pemilih_pemula": "", "notes": ""}
    data.update(kw)
    return data


def error_next_to(html: str, field_id: str) -> str:
    """The invalid-feedback message rendered right after the input/select with this id."""
    match = re.search(r'id="%s"[^>]*>(?:.*?</select>)?\s*<div class="invalid-feedback[^"]*">([^<]*)</div>'
                      % re.escape(field_id), html, re.S)
    assert match, f"no error message next to {field_id}"
    return htmllib.unescape(match.group(1))


def input_value(html: str, field_id: str) -> str:
    match = re.search(r'<input[^>]*id="%s"[^>]*>' % re.escape(field_id), html)
    assert match, field_id
    value = re.search(r'value="([^"]*)"', match.group(0))
    return htmllib.unescape(value.group(1)) if value else ""


def selected_value(html: str, field_id: str) -> str:
    select = re.search(r'<select[^>]*id="%s"[^>]*>(.*?)</select>' % re.escape(field_id), html, re.S).group(1)
    match = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select)
    if not match:
        return ""
    return match.group(1) if match.group(1) is not None else match.group(2)


# ---------------------------------------------------------------- list

def test_list_is_scoped_by_role(client, world, login_as):
    login_as("admin")
    assert set(listed_ids(client.get("/lokasi").get_data(as_text=True))) == {
        world.site1.id, world.site2.id, world.other_site.id}
    login_as("manager")
    assert set(listed_ids(client.get("/lokasi").get_data(as_text=True))) == {world.site1.id, world.site2.id}
    b.make_session(world.site2, world.team)
    db.session.commit()
    login_as("field")  # only the sites of its team's sessions
    assert set(listed_ids(client.get("/lokasi").get_data(as_text=True))) == {world.site2.id}
    login_as("coordinator")
    html = client.get("/lokasi").get_data(as_text=True)
    assert listed_ids(html) == [world.site1.id]
    assert "Balai Kelurahan Dua A" not in html and "Kecamatan Dua" not in html
    # Filtering by another kecamatan or searching for its site finds nothing.
    assert listed_ids(client.get("/lokasi?kecamatan=33.74.02").get_data(as_text=True)) == []
    assert listed_ids(client.get("/lokasi?q=Dua").get_data(as_text=True)) == []


def test_list_shows_type_desa_rt_rw_contact_and_approximate_badge(client, world, login_as):
    site = b.make_site(world.desa2.kode, "Pos RT 3", type="rt_rw", rt=3, rw=5, contact_name="Pak RT",
                       contact_phone="0812 111 222", coords_approximate=True)
    db.session.commit()
    login_as("coordinator")
    html = client.get("/lokasi").get_data(as_text=True)
    row = re.search(r'<tr data-site-id="%d">(.*?)</tr>' % site.id, html, re.S).group(1)
    assert "Pos RT 3" in row and "RT/RW" in row and "Desa Satu B" in row and "Kecamatan Satu" in row
    assert "003 / 005" in row and "Pak RT" in row and 'href="tel:0812111222"' in row
    assert ">perkiraan<" in row
    site1_row = re.search(r'<tr data-site-id="%d">(.*?)</tr>' % world.site1.id, html, re.S).group(1)
    assert "perkiraan" not in site1_row and "Balai desa/kelurahan" in site1_row


def test_list_filters(client, world, login_as):
    school = b.make_site(world.desa2.kode, "SMA Negeri 1 Uji", type="sekolah", npsn="20300001", jenjang="SMA",
                         contact_name="Bu Kepala")
    rt = b.make_site(world.desa1.kode, "Pos RT 1", type="rt_rw", rt=1, rw=1)
    db.session.commit()
    login_as("manager")
    get = lambda qs: listed_ids(client.get("/lokasi?" + qs).get_data(as_text=True))  # noqa: E731
    assert set(get("kecamatan=33.74.01")) == {world.site1.id, school.id, rt.id}
    assert get("kecamatan=33.74.02") == [world.site2.id]
    assert set(get("kecamatan=33.74.01&desa=33.74.01.1001")) == {world.site1.id, rt.id}
    assert get("type=sekolah") == [school.id]
    assert get("q=sma negeri") == [school.id]
    assert get("q=20300001") == [school.id]
    assert get("q=bu kepala") == [school.id]
    assert get("type=rt_rw&q=pos") == [rt.id]
    assert get("q=%25") == []
    # The desa filter lists the chosen kecamatan's desa only.
    html = client.get("/lokasi?kecamatan=33.74.02").get_data(as_text=True)
    desa_select = re.search(r'<select[^>]*id="desa"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert "Kelurahan Dua A" in desa_select and "Kelurahan Satu A" not in desa_select


def test_list_is_paginated_and_query_count_is_bounded(client, world, login_as):
    kodes = [world.desa1.kode, world.desa2.kode] + [b.make_region(f"33.74.01.20{i:02d}", f"Desa Ke {i}").kode
                                                     for i in range(10, 20)]
    for i in range(60):
        b.make_site(kodes[i % len(kodes)], f"Lokasi {i:02d}", contact_name=f"Narahubung {i}")
    db.session.commit()
    login_as("coordinator")
    with count_queries() as statements:
        resp = client.get("/lokasi")
    html = resp.get_data(as_text=True)
    assert len(listed_ids(html)) == 50
    assert len(statements) <= 9, "\n".join(statements)  # 9: with the menu's badge of waiting requests
    assert "61 lokasi" in html and "page=2" in html
    second = client.get("/lokasi?page=2").get_data(as_text=True)
    assert len(listed_ids(second)) == 11
    assert not set(listed_ids(html)) & set(listed_ids(second))


# ---------------------------------------------------------------- detail

def test_detail_shows_contact_school_fields_map_and_audit(client, world, login_as):
    world.desa2.boundary = json.dumps(SQUARE)
    world.desa2.has_boundary = True
    db.session.commit()
    login_as("coordinator")
    resp = client.post("/lokasi/baru", data=valid_form(
        desa_kode=world.desa2.kode, type="sekolah", nama="SMK Uji", npsn="20312345", jenjang="SMK",
        school_status="negeri", pemilih_pemula="120", contact_name="Bu Kepala Sekolah", coords_approximate="y"))
    assert resp.status_code == 302
    site = db.session.scalar(sa.select(Site).where(Site.nama == "SMK Uji"))
    html = client.get(f"/lokasi/{site.id}").get_data(as_text=True)
    assert "20312345" in html and "SMK" in html and "Negeri" in html
    assert re.search(r'data-testid="pemilih-pemula">\s*120 siswa', html)
    assert "Bu Kepala Sekolah" in html and 'href="tel:0812-3456-7890"' in html
    assert 'data-testid="approx-badge"' in html and "koordinat perkiraan" in html
    # Map: Leaflet from the app's own vendor path, data (incl. the desa boundary) embedded as JSON.
    assert "/vendor/leaflet/leaflet.js" in html and "/vendor/leaflet/leaflet.css" in html
    map_data = json.loads(htmllib.unescape(re.search(
        r'<script type="application/json" id="site-map-data"[^>]*>(.*?)</script>', html, re.S).group(1)))
    assert map_data["boundary"] == SQUARE and map_data["lat"] == -7.0 and map_data["approximate"] is True
    assert map_data["tileUrl"] and "OpenStreetMap" in map_data["attribution"]
    # Audit trail.
    trail = re.search(r'data-testid="audit-trail">(.*?)</table>', html, re.S).group(1)
    assert "Dibuat" in trail and "Pengguna coordinator" in trail and "SMK Uji" in trail


def test_detail_and_edit_are_404_outside_scope(client, world, login_as):
    login_as("coordinator")
    for url in (f"/lokasi/{world.site2.id}", f"/lokasi/{world.site2.id}/ubah", f"/lokasi/{world.other_site.id}",
                "/lokasi/999999"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert "Balai Kelurahan Dua A" not in resp.get_data(as_text=True)
    assert client.post(f"/lokasi/{world.site2.id}/ubah", data=valid_form(world.desa3.kode)).status_code == 404
    assert db.session.get(Site, world.site2.id).nama == "Balai Kelurahan Dua A"
    b.make_session(world.site2, world.team)
    db.session.commit()
    login_as("field")
    assert client.get(f"/lokasi/{world.other_site.id}").status_code == 404
    assert client.get(f"/lokasi/{world.site1.id}").status_code == 404  # no session of its team there
    assert client.get(f"/lokasi/{world.site2.id}").status_code == 200


# ---------------------------------------------------------------- form

@pytest.mark.parametrize("role", ["manager", "field"])
def test_managers_and_field_users_cannot_open_the_form(client, world, login_as, role):
    login_as(role)
    assert client.get("/lokasi/baru").status_code == 403
    assert client.post("/lokasi/baru", data=valid_form()).status_code == 403
    assert client.get(f"/lokasi/{world.site1.id}/ubah").status_code == 403
    assert client.post(f"/lokasi/{world.site1.id}/ubah", data=valid_form(nama="Diubah")).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 3
    assert "Tambah lokasi" not in client.get("/lokasi").get_data(as_text=True)


def test_form_offers_only_desa_in_scope_grouped_by_kecamatan(client, world, login_as):
    login_as("coordinator")
    html = client.get("/lokasi/baru").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="desa_kode"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert '<optgroup label="Kec. Kecamatan Satu">' in select
    assert "33.74.01.1001" in select and "33.74.01.2002" in select
    assert "33.74.02.1001" not in select and "33.01.01.2001" not in select
    login_as("admin")
    select = re.search(r'<select[^>]*id="desa_kode"[^>]*>(.*?)</select>', client.get("/lokasi/baru").get_data(
        as_text=True), re.S).group(1)
    assert select.count("<optgroup") == 3 and "Kota Uji" in select  # several kabupaten: named in the group


def test_form_has_the_map_picker(client, world, login_as):
    login_as("coordinator")
    html = client.get("/lokasi/baru?desa=33.74.01.2002").get_data(as_text=True)
    assert selected_value(html, "desa_kode") == "33.74.01.2002"
    assert 'id="site-picker"' in html and "/static/js/site_picker.js" in html
    assert "/vendor/leaflet/leaflet.js" in html
    data = json.loads(htmllib.unescape(re.search(
        r'<script type="application/json" id="site-picker-data"[^>]*>(.*?)</script>', html, re.S).group(1)))
    assert data["boundaryUrl"] == "/wilayah/KODE/batas.json" and data["start"]["lat"] == -7.0
    # A desa outside the scope is not preselected.
    assert selected_value(client.get("/lokasi/baru?desa=33.74.02.1001").get_data(as_text=True), "desa_kode") == ""


def test_create_site_happy_path(client, world, login_as):
    login_as("coordinator")
    resp = client.post("/lokasi/baru", data=valid_form(type="rt_rw", nama="Pos RT 02/RW 04", rt="2", rw="4",
                                                       desa_kode=world.desa2.kode), follow_redirects=True)
    html = resp.get_data(as_text=True)
    site = db.session.scalar(sa.select(Site).where(Site.nama == "Pos RT 02/RW 04"))
    assert site is not None and resp.request.path == f"/lokasi/{site.id}"
    assert (site.rt, site.rw, site.desa_kode, site.kecamatan_kode, site.kabupaten_kode) == (
        2, 4, "33.74.01.2002", "33.74.01", "33.74")
    assert site.lat == -7.0 and site.lng == 110.4 and site.contact_phone == "0812-3456-7890"
    assert "tersimpan" in html and "alert-warning" not in html
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "site",
                                                          AuditEntry.entity_id == str(site.id)))
    assert entry.action == "create" and entry.user_id == world.users["coordinator"].id
    assert site.id in listed_ids(client.get("/lokasi").get_data(as_text=True))


def test_warning_after_saving_a_point_outside_the_boundary(client, world, login_as):
    world.desa1.boundary = json.dumps(SQUARE)
    world.desa1.has_boundary = True
    db.session.commit()
    login_as("coordinator")
    resp = client.post("/lokasi/baru", data=valid_form(lat="-7.3", lng="110.45"), follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(Site).where(Site.nama == "Balai Kelurahan Baru")) is not None
    assert "alert-warning" in html and "luar batas Kelurahan Satu A" in html


def test_warning_when_far_from_the_centroid(client, world, login_as):
    login_as("coordinator")
    html = client.post("/lokasi/baru", data=valid_form(lat="-7.5", lng="110.9"),
                       follow_redirects=True).get_data(as_text=True)
    assert "alert-warning" in html and "km dari pusat Kelurahan Satu A" in html


@pytest.mark.parametrize("changes,field_id,message", [
    ({"nama": "  "}, "nama", "Nama lokasi wajib diisi."),
    ({"type": ""}, "type", "Jenis lokasi tidak dikenal."),
    ({"desa_kode": ""}, "desa_kode", "Desa/kelurahan wajib dipilih."),
    ({"desa_kode": "33.74.01.9999"}, "desa_kode", "Kode desa/kelurahan '33.74.01.9999' tidak ditemukan."),
    ({"desa_kode": "33.74.02.1001"}, "desa_kode", "Desa/kelurahan ini di luar wilayah tugas Anda."),
    ({"lat": ""}, "lat", "Lintang (lat) wajib diisi."),
    ({"lng": "timur"}, "lng", "Bujur (lng) harus berupa angka desimal, mis. -7.0051."),
    ({"lat": "110.4", "lng": "-7.0"}, "lat", "tertukar"),
    ({"lat": "-95", "lng": "300"}, "lat", "luar wilayah Indonesia"),
    ({"type": "rt_rw", "rt": "", "rw": "5"}, "rt", "Nomor RT wajib diisi untuk lokasi RT/RW."),
    ({"type": "rt_rw", "rt": "3", "rw": "lima"}, "rw", "RW harus berupa bilangan bulat."),
    ({"contact_phone": "telp: <b>123</b>"}, "contact_phone", "Nomor telepon hanya boleh berisi angka"),
    ({"type": "sekolah", "npsn": "123"}, "npsn", "NPSN terdiri dari 8 karakter (angka/huruf)."),
    ({"type": "sekolah", "pemilih_pemula": "-4"}, "pemilih_pemula", "Jumlah pemilih pemula harus antara 0"),
    ({"nama": "x" * 201}, "nama", "Maksimal 200 karakter (terisi 201)."),
])
def test_each_validation_message_is_shown_and_input_kept(client, world, login_as, changes, field_id, message):
    login_as("coordinator")
    data = valid_form(**changes)
    resp = client.post("/lokasi/baru", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert message in error_next_to(html, field_id)
    assert 'data-testid="form-errors"' in html and "Periksa kembali isian" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 3  # nothing written
    # Everything typed comes back.
    for name in ("nama", "lat", "lng", "rt", "rw", "address", "contact_name", "contact_phone", "npsn",
                 "pemilih_pemula"):
        if name in data:
            assert input_value(html, name) == data[name], name
    assert selected_value(html, "type") == data["type"]
    assert selected_value(html, "desa_kode") == data["desa_kode"]


def test_the_npsn_of_another_site_is_refused(client, world, login_as):
    b.make_site(world.desa2.kode, "SMA Lama", type="sekolah", npsn="20300001")
    db.session.commit()
    login_as("coordinator")
    html = client.post("/lokasi/baru", data=valid_form(type="sekolah", npsn="20300001")).get_data(as_text=True)
    assert "sudah dipakai lokasi lain" in error_next_to(html, "npsn")


def test_edit_site_happy_path_with_audit(client, world, login_as):
    login_as("coordinator")
    form = client.get(f"/lokasi/{world.site1.id}/ubah").get_data(as_text=True)
    assert input_value(form, "nama") == "Balai Kelurahan Satu A" and input_value(form, "lat") == "-7.0"
    assert selected_value(form, "type") == "balai_desa" and selected_value(form, "desa_kode") == "33.74.01.1001"
    resp = client.post(f"/lokasi/{world.site1.id}/ubah", data=valid_form(
        nama="Balai Kelurahan Satu A (baru)", desa_kode=world.desa2.kode, lat="-7.01", coords_approximate="y"),
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    site = db.session.get(Site, world.site1.id)
    db.session.refresh(site)
    assert site.nama == "Balai Kelurahan Satu A (baru)" and site.desa_kode == "33.74.01.2002"
    assert site.lat == -7.01 and site.coords_approximate is True
    trail = re.search(r'data-testid="audit-trail">(.*?)</table>', html, re.S).group(1)
    assert "Diubah" in trail and "Balai Kelurahan Satu A → Balai Kelurahan Satu A (baru)" in trail
    assert "-7.0 → -7.01" in trail


def test_edit_errors_keep_the_typed_values_and_the_saved_site(client, world, login_as):
    login_as("coordinator")
    html = client.post(f"/lokasi/{world.site1.id}/ubah", data=valid_form(nama="Nama baru", lat="abc")).get_data(
        as_text=True)
    assert "angka desimal" in error_next_to(html, "lat")
    assert input_value(html, "nama") == "Nama baru" and input_value(html, "lat") == "abc"
    db.session.expire_all()
    assert db.session.get(Site, world.site1.id).nama == "Balai Kelurahan Satu A"


def test_html_in_a_site_name_is_escaped_everywhere(client, world, login_as):
    login_as("coordinator")
    resp = client.post("/lokasi/baru", data=valid_form(nama=XSS, contact_name=XSS, address=XSS),
                       follow_redirects=True)
    site = db.session.scalar(sa.select(Site).where(Site.nama == XSS))
    assert site is not None
    pages = [resp.get_data(as_text=True)]  # detail page with the flash message
    for url in ("/lokasi", f"/lokasi/{site.id}", f"/lokasi/{site.id}/ubah", f"/wilayah/{site.desa_kode}",
                "/lokasi?q=script"):
        pages.append(client.get(url).get_data(as_text=True))
    for page in pages:
        assert XSS not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "\\u003cscript\\u003e" in page
    # The map label travels as JSON with < and > escaped.
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in pages[2]
    # A failed form shows it escaped too.
    failed = client.post("/lokasi/baru", data=valid_form(nama=XSS, lat="")).get_data(as_text=True)
    assert XSS not in failed and input_value(failed, "nama") == XSS


def test_form_with_csrf_on_needs_the_token(app, client, world, login_as):
    login_as("coordinator")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get("/lokasi/baru").get_data(as_text=True)
        token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        assert client.post("/lokasi/baru", data=valid_form()).status_code == 400
        assert client.post("/lokasi/baru", data=dict(valid_form(), csrf_token=token)).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
