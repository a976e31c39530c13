"""GET /api/v1/regions and /api/v1/regions/<kode>: figures, scope, filters, pagination, bad parameters."""
import pytest

from outreach.extensions import db
from tests import builders
from tests.builders import make_api_token

REQUIRED = {"kode", "nama", "level", "parent_kode", "lat", "lng", "wajib_ktp", "sudah_rekam", "known_away",
            "reachable_backlog"}


@pytest.fixture()
def away(world):
    """Known-away counts: desa1 50 (30 abroad, 20 elsewhere), desa2 5, other_desa 7."""
    builders.make_known_away(world.desa1.kode, "luar_negeri", 30)
    builders.make_known_away(world.desa1.kode, "bekerja_luar_daerah", 20)
    builders.make_known_away(world.desa2.kode, "lainnya", 5)
    builders.make_known_away(world.other_desa.kode, "luar_negeri", 7)
    db.session.commit()


def as_role(client, world, role):
    raw = make_api_token(world.users[role])
    return lambda url: client.get(url, headers={"Authorization": f"Bearer {raw}"})


def kodes(resp):
    assert resp.status_code == 200, resp.get_json()
    return [item["kode"] for item in resp.get_json()["items"]]


def test_figures_match_hand_computed_numbers(client, world, away):
    get = as_role(client, world, "admin")
    items = {i["kode"]: i for i in get("/api/v1/regions?per_page=500").get_json()["items"]}
    for item in items.values():
        assert REQUIRED <= set(item), item
    desa1 = items["33.74.01.1001"]  # 1000 wajib, 900 rekam, 50 away
    assert (desa1["wajib_ktp"], desa1["sudah_rekam"], desa1["backlog"], desa1["known_away"],
            desa1["reachable_backlog"]) == (1000, 900, 100, 50, 50)
    assert desa1["percent_recorded"] == 90.0
    kec1 = items["33.74.01"]  # desa1 + desa2: 1500 wajib, 1350 rekam, 150 backlog, 55 away
    assert (kec1["wajib_ktp"], kec1["sudah_rekam"], kec1["known_away"], kec1["reachable_backlog"]) == \
        (1500, 1350, 55, 95)
    kab = items["33.74"]  # + desa3 (800/790, nobody away): 2300 wajib, 2140 rekam, 160 backlog
    assert (kab["wajib_ktp"], kab["sudah_rekam"], kab["backlog"], kab["known_away"], kab["reachable_backlog"]) == \
        (2300, 2140, 160, 55, 105)
    assert kab["level"] == "kabupaten" and kab["kind"] == "kota" and kab["parent_kode"] == "33"
    prov = items["33"]  # + other_desa (300/100, 7 away)
    assert (prov["wajib_ktp"], prov["sudah_rekam"], prov["known_away"], prov["reachable_backlog"]) == \
        (2600, 2240, 62, 298)
    assert items["33.74.02.1001"]["known_away"] == 0 and items["33.74.02.1001"]["reachable_backlog"] == 10


def test_reachable_backlog_never_negative(client, world):
    builders.make_known_away(world.desa3.kode, "luar_negeri", 25)  # backlog there is only 10
    db.session.commit()
    body = as_role(client, world, "admin")("/api/v1/regions/33.74.02.1001").get_json()
    assert body["backlog"] == 10 and body["known_away"] == 25 and body["reachable_backlog"] == 0


def test_region_without_targets_has_null_figures(client, world):
    builders.make_region("33.74.02.2009", "Desa Tanpa Data")
    db.session.commit()
    body = as_role(client, world, "admin")("/api/v1/regions/33.74.02.2009").get_json()
    assert body["wajib_ktp"] is None and body["reachable_backlog"] is None and body["known_away"] == 0


def test_detail_has_reasons_and_children(client, world, away):
    get = as_role(client, world, "coordinator")
    resp = get("/api/v1/regions/33.74.01")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["known_away_by_reason"] == {"luar_negeri": 30, "bekerja_luar_daerah": 20, "lainnya": 5}
    assert body["children_count"] == 2
    assert body["reachable_backlog"] == 95
    assert get("/api/v1/regions/33.74.01.1001").get_json()["children_count"] == 0


def test_coordinator_sees_only_its_kecamatan_and_desa(client, world):
    get = as_role(client, world, "coordinator")
    assert kodes(get("/api/v1/regions")) == ["33.74.01", "33.74.01.1001", "33.74.01.2002"]
    assert get("/api/v1/regions").get_json()["total"] == 3
    assert kodes(get("/api/v1/regions?q=dua")) == []
    assert kodes(get("/api/v1/regions?parent=33.74")) == ["33.74.01"]
    for kode in ("33.74.02", "33.74.02.1001", "33.74", "33", "33.01.01.2001", "99.99"):
        resp = get(f"/api/v1/regions/{kode}")
        assert resp.status_code == 404, kode
        body = resp.get_json()
        assert body["error"] == 404 and "tidak ditemukan" in body["message"]
        assert "wajib_ktp" not in body


@pytest.mark.parametrize("role", ["manager", "field"])
def test_manager_and_field_see_their_kabupaten(client, world, role):
    get = as_role(client, world, role)
    assert kodes(get("/api/v1/regions")) == ["33.74", "33.74.01", "33.74.01.1001", "33.74.01.2002",
                                              "33.74.02", "33.74.02.1001"]
    assert get("/api/v1/regions/33.01").status_code == 404
    assert get("/api/v1/regions/33.74.02.1001").status_code == 200


def test_province_manager_sees_the_province(client, world):
    manager = builders.make_user("manager", "manajer_provinsi", scope="33")
    db.session.commit()
    raw = make_api_token(manager)
    resp = client.get("/api/v1/regions?level=kabupaten", headers={"Authorization": f"Bearer {raw}"})
    assert kodes(resp) == ["33.01", "33.74"]


def test_user_without_scope_sees_nothing(client, world):
    stray = builders.make_user("coordinator", "tanpa_wilayah")
    db.session.commit()
    raw = make_api_token(stray)
    resp = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {raw}"})
    assert resp.get_json() == {"total": 0, "page": 1, "per_page": 50, "items": []}


def test_filters_level_parent_and_search(client, world):
    get = as_role(client, world, "admin")
    assert kodes(get("/api/v1/regions?level=desa")) == ["33.01.01.2001", "33.74.01.1001", "33.74.01.2002",
                                                        "33.74.02.1001"]
    assert kodes(get("/api/v1/regions?parent=33.74.01")) == ["33.74.01.1001", "33.74.01.2002"]
    assert kodes(get("/api/v1/regions?level=desa&parent=33.74.02")) == ["33.74.02.1001"]
    # Name search is case-insensitive and matches inside the name; code search matches a prefix.
    assert kodes(get("/api/v1/regions?q=SATU%20a")) == ["33.74.01.1001"]
    assert kodes(get("/api/v1/regions?q=kelurahan")) == ["33.74.01.1001", "33.74.02.1001"]
    assert kodes(get("/api/v1/regions?q=33.74.02")) == ["33.74.02", "33.74.02.1001"]
    assert kodes(get("/api/v1/regions?q=74.02")) == []  # not a prefix of any code, not in any name
    assert kodes(get("/api/v1/regions?q=%25")) == []  # a literal %, not a wildcard
    assert kodes(get("/api/v1/regions?q=_")) == []
    assert kodes(get("/api/v1/regions?q=%20%20")) == kodes(get("/api/v1/regions"))  # blank search: no filter


def test_search_handles_names_with_wildcard_characters(client, world):
    builders.make_region("33.74.02.2005", "Desa 100% Rekam_Baru")
    db.session.commit()
    get = as_role(client, world, "admin")
    assert kodes(get("/api/v1/regions?q=100%25%20rekam_")) == ["33.74.02.2005"]


def test_pagination(client, world):
    get = as_role(client, world, "admin")
    everything = kodes(get("/api/v1/regions"))
    assert len(everything) == 10
    pages = [get(f"/api/v1/regions?per_page=4&page={n}").get_json() for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [4, 4, 2, 0]
    assert all(p["total"] == 10 and p["per_page"] == 4 for p in pages)
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert [i["kode"] for p in pages for i in p["items"]] == everything
    assert get("/api/v1/regions?per_page=500").status_code == 200


@pytest.mark.parametrize("query,word", [
    ("per_page=501", "per_page"), ("per_page=0", "per_page"), ("per_page=abc", "per_page"),
    ("page=0", "page"), ("page=-1", "page"), ("page=1.5", "page"), ("page=%00", "page"),
    ("level=rt", "level"), ("level=DESA", "level"), ("parent=abc", "parent"), ("parent=33.7", "parent"),
    ("q=" + "x" * 101, "q"),
])
def test_bad_parameters_answer_400_in_indonesian(client, world, query, word):
    resp = as_role(client, world, "admin")(f"/api/v1/regions?{query}")
    assert resp.status_code == 400
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["error"] == 400 and f"Parameter {word} " in body["message"]


def test_html_in_a_name_is_returned_verbatim_as_json(client, world):
    name = '<script>alert("x")</script> & <b>Desa</b>'
    builders.make_region("33.74.01.2003", name)
    db.session.commit()
    get = as_role(client, world, "coordinator")
    resp = get("/api/v1/regions/33.74.01.2003")
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.get_json()["nama"] == name
    listed = get("/api/v1/regions?q=script")
    assert listed.mimetype == "application/json"
    assert [i["nama"] for i in listed.get_json()["items"]] == [name]


def test_list_stays_within_a_few_queries(app, client, world, away):
    """Figures come from grouped queries, not one query per region."""
    import sqlalchemy as sa

    get = as_role(client, world, "admin")
    for n in range(30):
        builders.make_region(f"33.74.02.2{n:03d}", f"Desa Tambahan {n}", wajib_ktp=100, sudah_rekam=50)
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = get("/api/v1/regions?per_page=500")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert resp.get_json()["total"] == 40
    assert len(statements) <= 15, statements
