"""/api/v1/sites: list, read, create, partial update; scope, roles, bad input (never a 500)."""
import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import AuditEntry, Site
from tests import builders
from tests.builders import make_api_token

GOOD = {"type": "rt_rw", "nama": "Pos RT 03 RW 05", "desa_kode": "33.74.01.2002", "lat": -7.001, "lng": 110.402,
        "rt": 3, "rw": 5, "contact_name": "Pak RT", "contact_phone": "0812-3456-7890"}


class Api:
    """A test client speaking as one user through a bearer token."""

    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {make_api_token(user)}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url, **kw):
        return self.client.patch(url, headers=self.headers, **kw)


@pytest.fixture()
def api(client, world):
    return lambda role: Api(client, world.users[role])


def names(resp):
    assert resp.status_code == 200, resp.get_json()
    return [item["nama"] for item in resp.get_json()["items"]]


def site_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Site))


# ---------------------------------------------------------------- reading

def test_list_is_scoped(api):
    assert names(api("coordinator").get("/api/v1/sites")) == ["Balai Kelurahan Satu A"]
    assert names(api("manager").get("/api/v1/sites")) == ["Balai Kelurahan Dua A", "Balai Kelurahan Satu A"]
    assert names(api("field").get("/api/v1/sites")) == []  # only the sites of its team's sessions
    assert names(api("admin").get("/api/v1/sites")) == ["Balai Desa Lain", "Balai Kelurahan Dua A",
                                                        "Balai Kelurahan Satu A"]


def test_coordinator_cannot_read_another_kecamatans_site(api, world):
    coordinator = api("coordinator")
    for site in (world.site2, world.other_site):
        resp = coordinator.get(f"/api/v1/sites/{site.id}")
        assert resp.status_code == 404
        assert resp.mimetype == "application/json" and "nama" not in resp.get_json()
    assert names(coordinator.get("/api/v1/sites?kecamatan=33.74.02")) == []
    assert names(coordinator.get(f"/api/v1/sites?desa={world.desa3.kode}")) == []
    assert names(coordinator.get("/api/v1/sites?q=dua")) == []
    assert coordinator.get("/api/v1/sites/999999").status_code == 404


def test_detail_has_the_site_fields(api, world):
    resp = api("manager").get(f"/api/v1/sites/{world.site1.id}")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert {k: body[k] for k in ("id", "nama", "type", "desa_kode", "lat", "lng")} == {
        "id": world.site1.id, "nama": "Balai Kelurahan Satu A", "type": "balai_desa",
        "desa_kode": "33.74.01.1001", "lat": -7.0, "lng": 110.4}
    assert body["kecamatan_kode"] == "33.74.01"


def test_filters_and_search(api, world):
    builders.make_site(world.desa2.kode, "SMA Negeri 1 Uji", type="sekolah", npsn="20301234", jenjang="SMA")
    builders.make_site(world.desa2.kode, "Pos RT 01", type="rt_rw", rt=1, rw=2)
    db.session.commit()
    admin = api("admin")
    assert names(admin.get("/api/v1/sites?type=sekolah")) == ["SMA Negeri 1 Uji"]
    assert names(admin.get(f"/api/v1/sites?desa={world.desa2.kode}")) == ["Pos RT 01", "SMA Negeri 1 Uji"]
    assert names(admin.get("/api/v1/sites?kecamatan=33.74.01")) == ["Balai Kelurahan Satu A", "Pos RT 01",
                                                                    "SMA Negeri 1 Uji"]
    assert names(admin.get("/api/v1/sites?q=sma%20NEGERI")) == ["SMA Negeri 1 Uji"]
    assert names(admin.get("/api/v1/sites?q=20301234")) == ["SMA Negeri 1 Uji"]
    assert names(admin.get("/api/v1/sites?q=balai&kecamatan=33.74.02")) == ["Balai Kelurahan Dua A"]
    assert names(admin.get("/api/v1/sites?q=%25")) == []


def test_pagination(api, world):
    for n in range(7):
        builders.make_site(world.desa1.kode, f"Pos {n}")
    db.session.commit()
    coordinator = api("coordinator")
    everything = names(coordinator.get("/api/v1/sites?per_page=500"))
    assert len(everything) == 8
    pages = [coordinator.get(f"/api/v1/sites?per_page=3&page={n}").get_json() for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 3, 2]
    assert all(p["total"] == 8 for p in pages)
    assert [i["nama"] for p in pages for i in p["items"]] == everything


@pytest.mark.parametrize("query,word", [
    ("per_page=1000", "per_page"), ("page=x", "page"), ("type=masjid", "type"), ("desa=33.74.01", "desa"),
    ("kecamatan=33.74", "kecamatan"), ("kecamatan=abc", "kecamatan"),
])
def test_bad_list_parameters_answer_400(api, query, word):
    resp = api("admin").get(f"/api/v1/sites?{query}")
    assert resp.status_code == 400
    assert f"Parameter {word} " in resp.get_json()["message"]


# ---------------------------------------------------------------- creating

def test_coordinator_creates_a_site(api, world):
    resp = api("coordinator").post("/api/v1/sites", json=GOOD)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["warnings"] == []
    assert resp.headers["Location"].endswith(f"/api/v1/sites/{body['id']}")
    site = db.session.get(Site, body["id"])
    assert (site.nama, site.type, site.rt, site.rw, site.kecamatan_kode) == ("Pos RT 03 RW 05", "rt_rw", 3, 5,
                                                                             "33.74.01")
    fetched = api("coordinator").get(resp.headers["Location"])
    assert fetched.status_code == 200 and fetched.get_json()["nama"] == "Pos RT 03 RW 05"
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.entity == "site")) == "create"


def test_school_with_pemilih_pemula(api):
    school = {"type": "sekolah", "nama": "SMK Uji", "desa_kode": "33.74.01.1001", "lat": -7.0, "lng": 110.4,
              "npsn": "20309999", "jenjang": "SMK", "school_status": "swasta", "pemilih_pemula": 120,
              "coords_approximate": True}
    resp = api("admin").post("/api/v1/sites", json=school)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["npsn"], body["jenjang"], body["pemilih_pemula"], body["coords_approximate"]) == \
        ("20309999", "SMK", 120, True)
    again = api("admin").post("/api/v1/sites", json={**school, "nama": "SMK Kembar"})
    assert again.status_code == 422 and "npsn" in again.get_json()["errors"]


def test_warnings_are_returned_and_do_not_block(api):
    far = {**GOOD, "lat": -7.3}  # about 33 km from the desa's centre (-7.0, 110.4), no boundary known
    resp = api("coordinator").post("/api/v1/sites", json=far)
    assert resp.status_code == 201
    warnings = resp.get_json()["warnings"]
    assert len(warnings) == 1 and "km" in warnings[0]


@pytest.mark.parametrize("role", ["manager", "field"])
def test_readers_cannot_create_or_update(api, world, role):
    before = site_count()
    resp = api(role).post("/api/v1/sites", json=GOOD)
    assert resp.status_code == 403 and resp.get_json()["error"] == 403
    patched = api(role).patch(f"/api/v1/sites/{world.site1.id}", json={"nama": "Diubah"})
    assert patched.status_code == 403
    assert site_count() == before
    db.session.refresh(world.site1)
    assert world.site1.nama == "Balai Kelurahan Satu A"


def test_anonymous_cannot_write(client, world):
    assert client.post("/api/v1/sites", json=GOOD).status_code == 401
    assert client.patch(f"/api/v1/sites/{world.site1.id}", json={"nama": "x"}).status_code == 401


def test_coordinator_cannot_create_in_another_kecamatan(api, world):
    resp = api("coordinator").post("/api/v1/sites", json={**GOOD, "desa_kode": world.desa3.kode})
    assert resp.status_code == 422
    assert "di luar wilayah tugas" in resp.get_json()["errors"]["desa_kode"]


def test_invalid_site_answers_422_with_field_messages(api):
    before = site_count()
    resp = api("coordinator").post("/api/v1/sites", json={"type": "rt_rw", "desa_kode": "33.74.01.9999"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == 422 and body["message"]
    errors = body["errors"]
    assert set(errors) >= {"nama", "desa_kode", "lat", "lng", "rt", "rw"}
    assert "wajib diisi" in errors["nama"] and "tidak ditemukan" in errors["desa_kode"]
    swapped = api("coordinator").post("/api/v1/sites", json={**GOOD, "lat": 110.4, "lng": -7.0})
    assert swapped.status_code == 422 and "tertukar" in swapped.get_json()["errors"]["lat"]
    assert site_count() == before


@pytest.mark.parametrize("field,value", [
    ("nama", 123), ("nama", ["a"]), ("nama", {"x": 1}), ("type", 1), ("desa_kode", 33.74),
    ("lat", "-7.0"), ("lat", True), ("lng", [110]), ("rt", "3"), ("rt", 3.5), ("rw", False),
    ("coords_approximate", "yes"), ("pemilih_pemula", "banyak"), ("npsn", 20301234), ("warna", "merah"),
    ("id", 5),
])
def test_wrong_json_types_answer_422(api, field, value):
    before = site_count()
    resp = api("admin").post("/api/v1/sites", json={**GOOD, field: value})
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert field in body["errors"] and body["message"]
    assert site_count() == before


@pytest.mark.parametrize("data,content_type", [
    ("nama=Balai&type=balai_desa", "application/x-www-form-urlencoded"),
    ('{"nama": "Balai"', "application/json"),
    ('[{"nama": "Balai"}]', "application/json"),
    ('"Balai"', "application/json"),
    ("null", "application/json"),
    ("42", "application/json"),
    ("", "application/json"),
    ('{"nama": "Balai", "lat": NaN}', "application/json"),
    ('{"lat": Infinity}', "application/json"),
    (b'{"nama": "\xff\xfe"}', "application/json"),
    ("[" * 100000 + "]" * 100000, "application/json"),
    ('{"nama": "Balai"}', "text/plain"),
    ('{"nama": "Balai"}', None),
])
def test_bodies_that_are_not_a_json_object_answer_400(api, world, data, content_type):
    for method, url in (("post", "/api/v1/sites"), ("patch", f"/api/v1/sites/{world.site1.id}")):
        resp = getattr(api("coordinator"), method)(url, data=data, content_type=content_type)
        assert resp.status_code == 400, (method, resp.status_code, resp.get_data()[:200])
        assert resp.mimetype == "application/json"
        assert resp.get_json()["message"]


# ---------------------------------------------------------------- updating

def test_patch_changes_only_the_fields_sent(api, world):
    site = builders.make_site(world.desa1.kode, "Pos Lama", type="rt_rw", rt=1, rw=2, contact_name="Bu RT",
                              lat=-7.01, lng=110.41)
    db.session.commit()
    resp = api("coordinator").patch(f"/api/v1/sites/{site.id}", json={"nama": "Pos Baru", "rt": 4})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["nama"], body["rt"], body["rw"], body["contact_name"], body["lat"], body["lng"]) == \
        ("Pos Baru", 4, 2, "Bu RT", -7.01, 110.41)
    assert body["warnings"] == []
    db.session.expire_all()
    stored = db.session.get(Site, site.id)
    assert (stored.nama, stored.rt, stored.rw, stored.contact_name) == ("Pos Baru", 4, 2, "Bu RT")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.changes == {"nama": ["Pos Lama", "Pos Baru"], "rt": [1, 4]}


def test_patch_with_bad_values_changes_nothing(api, world):
    url = f"/api/v1/sites/{world.site1.id}"
    coordinator = api("coordinator")
    resp = coordinator.patch(url, json={"nama": "Nama Baru", "lat": 95.0})
    assert resp.status_code == 422 and "lat" in resp.get_json()["errors"]
    cleared = coordinator.patch(url, json={"nama": None})
    assert cleared.status_code == 422 and "wajib diisi" in cleared.get_json()["errors"]["nama"]
    moved = coordinator.patch(url, json={"desa_kode": world.desa3.kode})
    assert moved.status_code == 422 and "di luar wilayah tugas" in moved.get_json()["errors"]["desa_kode"]
    db.session.expire_all()
    site = db.session.get(Site, world.site1.id)
    assert (site.nama, site.lat, site.desa_kode) == ("Balai Kelurahan Satu A", -7.0, "33.74.01.1001")
    assert coordinator.get(url).get_json()["nama"] == "Balai Kelurahan Satu A"


def test_patch_out_of_scope_answers_404(api, world):
    coordinator = api("coordinator")
    for site in (world.site2, world.other_site):
        resp = coordinator.patch(f"/api/v1/sites/{site.id}", json={"nama": "Diambil alih"})
        assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Site, world.site2.id).nama == "Balai Kelurahan Dua A"


def test_admin_may_move_a_site_to_another_desa(api, world):
    resp = api("admin").patch(f"/api/v1/sites/{world.site1.id}", json={"desa_kode": world.desa3.kode})
    assert resp.status_code == 200
    assert resp.get_json()["desa_kode"] == world.desa3.kode
    assert resp.get_json()["kecamatan_kode"] == "33.74.02"


def test_unknown_routes_and_methods_answer_json(api, world):
    admin = api("admin")
    missing = admin.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/json"
    assert missing.get_json()["error"] == 404
    assert admin.get("/api/v1/sites/abc").status_code == 404
    wrong = admin.client.delete(f"/api/v1/sites/{world.site1.id}", headers=admin.headers)
    assert wrong.status_code == 405 and wrong.get_json()["error"] == 405


def test_html_in_a_site_name_is_returned_verbatim(api):
    name = '<img src=x onerror="alert(1)"> Balai & Co'
    resp = api("coordinator").post("/api/v1/sites", json={**GOOD, "nama": name})
    assert resp.status_code == 201
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.get_json()["nama"] == name
    listed = api("coordinator").get("/api/v1/sites?q=onerror")
    assert [i["nama"] for i in listed.get_json()["items"]] == [name]
