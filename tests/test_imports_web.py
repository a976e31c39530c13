"""Admin web imports: upload -> preview (nothing written) -> Simpan (commit)."""
import io
import re

import pytest
import sqlalchemy as sa

from outreach.models import ImportBatch, Region, TargetCount

REGIONS = """kode,nama,level,parent_kode,lat,lng
33.74,Kota Uji,kabupaten,,-7.0,110.4
33.74.03,Kecamatan Tiga,kecamatan,33.74,-6.98,110.42
33.74.03.2001,<script>alert('x')</script> Desa,desa,33.74.03,-6.985,110.405
"""


@pytest.fixture()
def uploads(app, tmp_path):
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config.pop("IMPORT_UPLOAD_DIR", None)


def upload(client, kind, content, filename="data.csv", **extra):
    data = {"kind": kind, "upload": (io.BytesIO(content.encode() if isinstance(content, str) else content), filename)}
    data.update(extra)
    return client.post("/admin/impor/pratinjau", data=data, content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_index_lists_recent_batches(client, db, world, login_as, uploads):
    db.session.add(ImportBatch(kind="regions", filename="wilayah<1>.csv", added=9174))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/impor").get_data(as_text=True)
    assert "Impor data" in html and 'enctype="multipart/form-data"' in html
    assert "wilayah&lt;1&gt;.csv" in html and "9.174" in html


def test_preview_writes_nothing_then_simpan_commits(client, db, world, login_as, uploads):
    login_as("admin")
    before = count(db, Region)
    resp = upload(client, "regions", REGIONS, "wilayah.csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-testid="count-added">2<' in html and 'data-testid="count-unchanged">1<' in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Desa" in html and "<script>alert" not in html
    assert count(db, Region) == before  # the preview wrote nothing
    token = token_of(html)
    assert (uploads / f"{token}.upload").read_bytes() == REGIONS.encode()

    resp = client.post("/admin/impor/simpan", data={"token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/impor")
    assert count(db, Region) == before + 2
    assert db.session.get(Region, "33.74.03.2001").nama == "<script>alert('x')</script> Desa"
    assert not any(uploads.iterdir())  # the kept file is gone after the commit
    batch = db.session.scalar(sa.select(ImportBatch))
    assert (batch.kind, batch.filename, batch.added, batch.unchanged, batch.user_id) == \
        ("regions", "wilayah.csv", 2, 1, world.users["admin"].id)
    html = client.get("/admin/impor").get_data(as_text=True)
    assert "Impor tersimpan: 2 ditambah, 0 diperbarui, 1 tidak berubah." in html
    # the same token cannot be committed twice
    again = client.post("/admin/impor/simpan", data={"token": token}, follow_redirects=True)
    assert "Pratinjau tidak ditemukan" in again.get_data(as_text=True)
    assert count(db, ImportBatch) == 1


def test_preview_lists_every_bad_row_and_offers_no_commit(client, db, world, login_as, uploads):
    login_as("admin")
    bad = REGIONS + ("33.74.03,Lagi,kecamatan,33.74,-6.98,110.42\n"
                     "33.74.04,<b>Tertukar</b>,kecamatan,33.74,110.4,-7.0\n"
                     "33.79.01,Yatim,kecamatan,33.79,-7.0,110.4\n")
    html = upload(client, "regions", bad).get_data(as_text=True)
    assert "Berkas ditolak" in html
    rows = re.findall(r"<tr><td class=\"text-nowrap\">(\d+)</td><td>(.*?)</td></tr>", html)
    assert [line for line, _ in rows] == ["5", "6", "7"]
    assert "ganda" in rows[0][1] and "tertukar" in rows[1][1] and "Induk 33.79" in rows[2][1]
    assert "admin/impor/simpan" not in html
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.parametrize("content,message", [
    (b"", "Berkas kosong."),
    ("kode,nama\n33.74,Kota Caf\xe9\n".encode("latin-1"), "bukan teks UTF-8"),
    (b"kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,-5,0,2026-01-01\n", "tidak boleh negatif"),
    (b"kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,10,50,2026-01-01\n", "melebihi wajib_ktp"),
])
def test_bad_target_files_in_the_browser(client, db, world, login_as, uploads, content, message):
    login_as("admin")
    before = count(db, TargetCount)
    html = upload(client, "targets", content).get_data(as_text=True)
    assert message in html and "Berkas ditolak" in html
    assert count(db, TargetCount) == before
    assert db.session.get(Region, "33.74.01.1001").sudah_rekam == 900


def test_jenjang_option_is_validated(client, db, world, login_as, uploads):
    login_as("admin")
    html = upload(client, "sites", "npsn,nama\n", jenjang="SMA,KULIAH").get_data(as_text=True)
    assert "Jenjang \"KULIAH\" tidak dikenal" in html.replace("&#34;", '"')


def test_missing_file_rerenders_the_form(client, db, world, login_as, uploads):
    login_as("admin")
    resp = client.post("/admin/impor/pratinjau", data={"kind": "regions"}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "Pilih berkas untuk diunggah." in resp.get_data(as_text=True)


def test_cancel_deletes_the_kept_file(client, db, world, login_as, uploads):
    login_as("admin")
    token = token_of(upload(client, "regions", REGIONS).get_data(as_text=True))
    resp = client.post("/admin/impor/batal", data={"token": token}, follow_redirects=True)
    assert "Impor dibatalkan" in resp.get_data(as_text=True)
    assert not any(uploads.iterdir())
    assert count(db, ImportBatch) == 0


def test_another_admin_cannot_commit_someone_elses_upload(client, db, world, login_as, uploads):
    from tests import builders
    login_as("admin")
    token = token_of(upload(client, "regions", REGIONS).get_data(as_text=True))
    builders.make_user("admin", "admin_dua")
    db.session.commit()
    client.post("/logout")
    client.post("/login", data={"username": "admin_dua", "password": builders.PASSWORD})
    resp = client.post("/admin/impor/simpan", data={"token": token}, follow_redirects=True)
    assert "Pratinjau tidak ditemukan" in resp.get_data(as_text=True)
    assert count(db, ImportBatch) == 0


def test_upload_over_the_limit_gets_a_friendly_413(app, client, db, world, login_as, uploads):
    login_as("admin")
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        resp = upload(client, "regions", "x" * 5000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    assert resp.status_code == 413
    html = resp.get_data(as_text=True)
    assert "Berkas terlalu besar" in html and "0" in html and "/admin/impor" in html
    assert count(db, ImportBatch) == 0


def test_forms_need_csrf(app, client, db, world, login_as, uploads):
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = upload(client, "regions", REGIONS)
        assert resp.status_code == 400
        page = client.get("/admin/impor").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = upload(client, "regions", REGIONS, csrf_token=csrf)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        token = token_of(html)
        assert html.count('name="csrf_token"') >= 3  # Simpan, Batal (and the logout button)
        assert client.post("/admin/impor/simpan", data={"token": token}).status_code == 400
        assert count(db, ImportBatch) == 0
        resp = client.post("/admin/impor/simpan", data={"token": token, "csrf_token": csrf})
        assert resp.status_code == 302 and count(db, ImportBatch) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("role", ["manager", "coordinator", "field"])
def test_only_admins_import(client, db, world, login_as, uploads, role):
    login_as(role)
    assert client.get("/admin/impor").status_code == 403
    assert upload(client, "regions", REGIONS).status_code == 403
    assert count(db, Region, Region.kode == "33.74.03") == 0


def test_boundaries_and_schools_through_the_browser(client, db, world, login_as, uploads):
    import json
    login_as("admin")
    square = [[[110.40, -7.01], [110.42, -7.01], [110.42, -6.99], [110.40, -6.99], [110.40, -7.01]]]
    geo = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": world.desa1.kode}, "geometry": {"type": "Polygon", "coordinates": square}}]})
    html = upload(client, "boundaries", geo, "desa.geojson").get_data(as_text=True)
    assert 'data-testid="count-added">1<' in html
    assert client.post("/admin/impor/simpan", data={"token": token_of(html)}).status_code == 302
    assert db.session.get(Region, world.desa1.kode).has_boundary

    schools = ("npsn,nama,jenjang,status,kode_kecamatan,nama_kecamatan,kode_kabupaten,kode_kecamatan_kemdikbud,"
               "kode_kecamatan_titik,lat,lng\n"
               "20399001,SMA UJI,SMA,negeri,33.74.01,Satu,33.74,036001,33.74.01,-7.0,110.41\n"
               "20399002,SD UJI,SD,negeri,33.74.01,Satu,33.74,036001,33.74.01,-7.0,110.41\n")
    html = upload(client, "sites", schools, "sekolah.csv", jenjang="SMA").get_data(as_text=True)
    assert 'data-testid="count-added">1<' in html and "1 sekolah dilewati" in html
    assert client.post("/admin/impor/simpan", data={"token": token_of(html)}).status_code == 302
    from outreach.models import Site
    school = db.session.scalar(sa.select(Site).where(Site.npsn == "20399001"))
    assert school.desa_kode == world.desa1.kode and school.type == "sekolah"
    assert db.session.scalar(sa.select(Site).where(Site.npsn == "20399002")) is None


def test_preview_in_english_shows_translated_row_messages(client, db, world, login_as, uploads):
    login_as("admin")
    with client.session_transaction() as session:
        session["locale"] = "en"
    html = upload(client, "regions", "kode,nama,level,parent_kode,lat,lng\n33.74.09,X,kecamatan,33.74,110.4,-7\n") \
        .get_data(as_text=True)
    assert 'lang="en"' in html
    assert "tertukar" not in html and "swapped" in html.lower()


def test_stale_uploads_are_purged(tmp_path):
    import os
    from outreach.admin.imports import load_upload, purge_stale_uploads, store_upload
    old = store_upload(tmp_path, b"lama", {"kind": "regions"})
    os.utime(tmp_path / f"{old}.upload", (0, 0))
    new = store_upload(tmp_path, b"baru", {"kind": "regions"})
    assert load_upload(tmp_path, old) is None  # purged when the new one was stored
    assert load_upload(tmp_path, new) == ({"kind": "regions"}, b"baru")
    assert load_upload(tmp_path, "../etc/passwd") is None
    import time
    hour_ago = time.time() - 3600  # on the process's clock, which a test run may have moved (make AT=...)
    for path in tmp_path.iterdir():
        os.utime(path, (hour_ago, hour_ago))
    purge_stale_uploads(tmp_path, max_age=60)
    assert not list(tmp_path.iterdir())


def test_a_file_of_the_wrong_type_is_named_in_one_short_line(client, db, world, login_as, uploads):
    login_as("admin")
    geojson = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"33.74"},'
               '"geometry":{"type":"Polygon","coordinates":[[' + ",".join(["[110.4,-7.0]"] * 5000) + ']]}}]}')
    html = upload(client, "regions", geojson, filename="desa.geojson").get_data(as_text=True)
    rows = re.findall(r"<tr><td class=\"text-nowrap\">[^<]*</td><td>(.*?)</td></tr>", html)
    assert rows == ["Berkas ini GeoJSON, bukan CSV. Impor batas wilayah memakai GeoJSON; impor ini memakai CSV."]
    assert len(html) < 20_000
    csv_as_boundaries = upload(client, "boundaries", REGIONS, filename="wilayah.csv").get_data(as_text=True)
    assert "Berkas ini bukan GeoJSON" in csv_as_boundaries
    xlsx = upload(client, "targets", b"PK\x03\x04" + b"\x00" * 300, filename="siak.xlsx").get_data(as_text=True)
    assert "Berkas ini Excel (XLSX) atau ZIP, bukan CSV" in html_unescape(xlsx)


def test_many_bad_rows_list_the_first_fifty_and_count_the_rest(client, db, world, login_as, uploads):
    login_as("admin")
    bad = REGIONS + "".join(f"33.79.{i:02d},Yatim {i},kecamatan,33.79,-7.0,110.4\n" for i in range(1, 81))
    html = upload(client, "regions", bad).get_data(as_text=True)
    rows = re.findall(r"<tr><td class=\"text-nowrap\">(\d+)</td>", html)
    assert len(rows) == 50 and rows[0] == "5"
    assert re.search(r'data-testid="count-errors">80<', html)
    assert "dan 30 masalah lain" in html


def test_a_long_value_is_cut_in_the_message(client, db, world, login_as, uploads):
    login_as("admin")
    html = upload(client, "regions", REGIONS + "33.74.09," + "x" * 5000 + ",kecamatan,33.74,-7,110.4\n")
    text = html.get_data(as_text=True)
    assert "x" * 200 not in text and "Berkas ditolak" in text


def html_unescape(text):
    import html as html_mod
    return html_mod.unescape(text)


def test_valid_rows_only_stores_them_and_offers_the_refused_rows(client, db, world, login_as, uploads):
    login_as("admin")
    bad = REGIONS + "33.74.04,Tertukar,kecamatan,33.74,110.4,-7.0\n"
    html = upload(client, "regions", bad, "wilayah.csv", valid_only="y").get_data(as_text=True)
    assert "Berkas ditolak" not in html
    assert "Hanya baris yang sah yang akan disimpan: 1 baris ditolak" in html
    preview_link = re.search(r'href="(/admin/impor/ditolak/[0-9a-f]{32})" data-testid="rejects-download"', html).group(1)
    preview_rejects = client.get(preview_link)
    assert preview_rejects.status_code == 200 and "wilayah.ditolak.csv" in preview_rejects.headers["Content-Disposition"]
    assert count(db, Region, Region.kode == "33.74.03") == 0  # the preview wrote nothing

    resp = client.post("/admin/impor/simpan", data={"token": token_of(html)}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "2 ditambah, 0 diperbarui, 1 tidak berubah, 1 baris ditolak" in page
    assert count(db, Region, Region.kode.in_(["33.74.03", "33.74.03.2001"])) == 2
    assert count(db, Region, Region.kode == "33.74.04") == 0
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.refused == 1 and batch.rejects_token
    link = re.search(r'href="(/admin/impor/ditolak/[0-9a-f]{32})" data-testid="rejects-link"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    lines = download.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "kode,nama,level,parent_kode,lat,lng,alasan"
    assert lines[1].startswith("33.74.04,Tertukar,kecamatan,33.74,110.4,-7.0,") and "tertukar" in lines[1]


def test_refused_rows_expire_with_a_message(client, db, world, login_as, uploads):
    login_as("admin")
    resp = client.get("/admin/impor/ditolak/" + "a" * 32, follow_redirects=True)
    assert "sudah tidak tersedia" in resp.get_data(as_text=True)


def test_refused_rows_are_for_national_admins_only(client, db, world, login_as, uploads):
    login_as("coordinator")
    assert client.get("/admin/impor/ditolak/" + "a" * 32).status_code == 403
