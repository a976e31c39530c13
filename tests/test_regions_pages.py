"""Region browser pages: drill-down, scoping, figures, sorting, search, boundary JSON."""
import json
import re

import pytest

from outreach.extensions import db
from tests import builders as b

SQUARE = {"type": "Polygon", "coordinates": [[[110.0, -7.1], [110.2, -7.1], [110.2, -6.9], [110.0, -6.9], [110.0, -7.1]]]}


def row_codes(html: str) -> list[str]:
    """The region codes of the children/search table, in page order."""
    return re.findall(r'<tr data-kode="([^"]+)"', html)


def row_of(html: str, kode: str) -> str:
    match = re.search(r'<tr data-kode="%s">(.*?)</tr>' % re.escape(kode), html, re.S)
    assert match, f"no row for {kode}"
    return match.group(1)


def cell(row: str, col: str) -> str:
    match = re.search(r'data-col="%s"[^>]*>\s*([^<\s][^<]*?)\s*<' % col, row)
    assert match, f"no cell {col}"
    return match.group(1)


def figure(html: str, key: str) -> str:
    match = re.search(r'data-figure="%s">([^<]*)<' % key, html)
    assert match, f"no figure {key}"
    return match.group(1).strip()


def test_admin_starts_at_the_province_with_its_kabupaten_and_kota(client, world, login_as):
    login_as("admin")
    html = client.get("/wilayah").get_data(as_text=True)
    assert row_codes(html) == ["33.01", "33.74"]
    # Label from Region.kind: 33.74 is a kota, 33.01 a kabupaten.
    assert ">Kota Uji<" in row_of(html, "33.74") and ">Kabupaten Lain<" in row_of(html, "33.01")
    # 1000 + 500 + 800 wajib, 900 + 450 + 790 sudah rekam -> backlog 160.
    kota = row_of(html, "33.74")
    assert cell(kota, "wajib_ktp") == "2.300" and cell(kota, "sudah_rekam_estimated") == "2.140"
    assert cell(kota, "backlog") == "160"


def test_kind_labels_come_from_the_region_kind(client, world, login_as):
    b.make_region("33.02", "Banyumas")
    b.make_region("33.72", "Surakarta")
    b.make_region("33.74.01.1005", "Miroto")
    b.make_region("33.74.01.2006", "Tambakreja")
    db.session.commit()
    login_as("admin")
    html = client.get("/wilayah").get_data(as_text=True)
    assert ">Kabupaten Banyumas<" in row_of(html, "33.02") and ">Kota Surakarta<" in row_of(html, "33.72")
    html = client.get("/wilayah/33.74.01").get_data(as_text=True)
    assert ">Kelurahan Miroto<" in row_of(html, "33.74.01.1005")
    assert ">Desa Tambakreja<" in row_of(html, "33.74.01.2006")
    assert "Kelurahan Miroto" in client.get("/wilayah/33.74.01.1005").get_data(as_text=True)


def test_manager_sees_hand_computed_figures_of_its_kecamatan(client, world, login_as):
    b.make_known_away(world.desa1.kode, "luar_negeri", 20)
    b.make_known_away(world.desa1.kode, "bekerja_luar_daerah", 5)
    b.make_known_away(world.desa3.kode, "lainnya", 4)
    db.session.commit()
    login_as("manager")
    html = client.get("/wilayah").get_data(as_text=True)
    assert row_codes(html) == ["33.74.01", "33.74.02"]
    kec1 = row_of(html, "33.74.01")
    # kec1: wajib 1500, sudah 1350, backlog 150, known away 25, reachable 125, 90.0 %.
    assert [cell(kec1, c) for c in ("wajib_ktp", "sudah_rekam_estimated", "backlog", "known_away_in_backlog",
                                    "reachable_backlog", "percent_recorded")] == ["1.500", "1.350", "150", "25", "125",
                                                                                  "90,0%"]
    assert "per 15/9/26" in kec1  # as-of date shown with sudah rekam
    kec2 = row_of(html, "33.74.02")
    assert [cell(kec2, c) for c in ("backlog", "known_away_in_backlog", "reachable_backlog")] == ["10", "4", "6"]
    # The kota's own cards: 2300 wajib, 160 backlog, 29 away, 131 reachable.
    assert figure(html, "wajib_ktp") == "2.300" and figure(html, "backlog") == "160"
    assert figure(html, "known_away") == "29" and figure(html, "reachable_backlog") == "131"


def test_drill_down_to_a_desa_page(client, world, login_as):
    b.make_known_away(world.desa1.kode, "luar_negeri", 20)
    b.make_site(world.desa1.kode, "Posyandu Mawar", type="lainnya", contact_name="Bu Sri", coords_approximate=True)
    db.session.commit()
    login_as("manager")
    kab = client.get("/wilayah/33.74").get_data(as_text=True)
    assert 'href="/wilayah/33.74.01"' in kab
    kec = client.get("/wilayah/33.74.01").get_data(as_text=True)
    assert row_codes(kec) == ["33.74.01.1001", "33.74.01.2002"]
    assert ">Kelurahan Satu A<" in row_of(kec, "33.74.01.1001")
    assert ">Desa Satu B<" in row_of(kec, "33.74.01.2002")
    assert ">Desa/Kelurahan <" in kec  # heading of the children table
    assert "Persen rekam" in kec and "{}" not in kec  # no mangled labels
    desa = client.get("/wilayah/33.74.01.1001").get_data(as_text=True)
    assert figure(desa, "wajib_ktp") == "1.000" and figure(desa, "sudah_rekam_estimated") == "900"
    assert figure(desa, "backlog") == "100" and figure(desa, "reachable_backlog") == "80"
    assert figure(desa, "percent_recorded") == "90,0%"
    away = re.search(r'<tr data-reason="luar_negeri"><td>([^<]+)</td><td>([^<]+)</td>', desa)
    assert away.group(1) == "Di luar negeri / pekerja migran (TKI/PMI)" and away.group(2) == "20"
    assert "Balai Kelurahan Satu A" in desa and "Posyandu Mawar" in desa and "koordinat perkiraan" in desa
    assert "Tambah lokasi" not in desa  # managers do not edit sites
    assert "Bu Sri" in desa and "{}" not in desa
    # Breadcrumbs: provinsi, kota, kecamatan.
    crumbs = re.search(r'data-testid="breadcrumbs">(.*?)</ol>', desa, re.S).group(1)
    assert 'href="/wilayah/33.74"' in crumbs and 'href="/wilayah/33.74.01"' in crumbs


def test_coordinator_starts_at_its_kecamatan_and_may_add_a_site(client, world, login_as):
    login_as("coordinator")
    html = client.get("/wilayah").get_data(as_text=True)
    assert row_codes(html) == ["33.74.01.1001", "33.74.01.2002"]
    assert "Kelurahan Dua A" not in html
    desa = client.get("/wilayah/33.74.01.2002").get_data(as_text=True)
    assert 'href="/lokasi/baru?desa=33.74.01.2002"' in desa and "Tambah lokasi" in desa


def test_coordinator_gets_404_outside_its_kecamatan(client, world, login_as):
    login_as("coordinator")
    for kode in ("33.74.02", "33.74.02.1001", "33.74", "33", "33.01", "33.01.01.2001", "99.99"):
        resp = client.get(f"/wilayah/{kode}")
        assert resp.status_code == 404, kode
        assert "Kelurahan Dua A" not in resp.get_data(as_text=True)
    assert client.get("/wilayah/33.74.02.1001/batas.json").status_code == 404


def test_breadcrumb_ancestors_above_the_scope_are_shown_but_not_linked(client, world, login_as):
    login_as("coordinator")
    html = client.get("/wilayah/33.74.01.1001").get_data(as_text=True)
    crumbs = re.search(r'data-testid="breadcrumbs">(.*?)</ol>', html, re.S).group(1)
    assert "Kota Uji" in crumbs and 'href="/wilayah/33.74"' not in crumbs
    assert 'href="/wilayah/33.74.01"' in crumbs


def test_field_user_browses_its_team_kabupaten_read_only(client, world, login_as):
    login_as("field")
    html = client.get("/wilayah").get_data(as_text=True)
    assert row_codes(html) == ["33.74.01", "33.74.02"]
    assert client.get("/wilayah/33.74.02.1001").status_code == 200
    assert "Tambah lokasi" not in client.get("/wilayah/33.74.02.1001").get_data(as_text=True)
    assert client.get("/wilayah/33.01").status_code == 404


@pytest.mark.parametrize("sort,expected", [
    ("backlog", ["33.74.02", "33.74.01"]),
    ("-backlog", ["33.74.01", "33.74.02"]),
    ("-percent_recorded", ["33.74.02", "33.74.01"]),
    ("nama", ["33.74.02", "33.74.01"]),  # "Kecamatan Dua" < "Kecamatan Satu"
    ("-kode", ["33.74.02", "33.74.01"]),
    ("bogus", ["33.74.01", "33.74.02"]),
])
def test_children_sort_on_the_server(client, world, login_as, sort, expected):
    login_as("manager")
    assert row_codes(client.get(f"/wilayah?sort={sort}").get_data(as_text=True)) == expected


def test_regions_without_targets_sort_last(client, world, login_as):
    b.make_region("33.74.03", "Kecamatan Kosong")
    db.session.commit()
    login_as("manager")
    assert row_codes(client.get("/wilayah/33.74?sort=-backlog").get_data(as_text=True))[-1] == "33.74.03"
    assert row_codes(client.get("/wilayah/33.74?sort=backlog").get_data(as_text=True))[-1] == "33.74.03"


def test_search_by_name_is_case_insensitive_and_scoped(client, world, login_as):
    login_as("coordinator")
    html = client.get("/wilayah?q=KELURAHAN satu").get_data(as_text=True)
    assert row_codes(html) == ["33.74.01.1001"]
    assert "Kecamatan Satu" in row_of(html, "33.74.01.1001")  # parent shown
    assert row_codes(client.get("/wilayah?q=kelurahan").get_data(as_text=True)) == ["33.74.01.1001"]
    assert row_codes(client.get("/wilayah?q=dua").get_data(as_text=True)) == []
    assert row_codes(client.get("/wilayah?q=33.74.02").get_data(as_text=True)) == []
    login_as("admin")
    assert row_codes(client.get("/wilayah?q=dua").get_data(as_text=True)) == ["33.74.02", "33.74.02.1001"]


def test_search_by_code_and_wildcards_are_literal(client, world, login_as):
    login_as("manager")
    assert row_codes(client.get("/wilayah?q=33.74.01").get_data(as_text=True)) == [
        "33.74.01", "33.74.01.1001", "33.74.01.2002"]
    assert row_codes(client.get("/wilayah?q=%25").get_data(as_text=True)) == []
    assert row_codes(client.get("/wilayah?q=_").get_data(as_text=True)) == []


def test_search_results_are_paginated(client, world, login_as):
    for i in range(30):
        b.make_region(f"33.74.01.2{i + 100:03d}", f"Desa Cari {i:02d}")
    db.session.commit()
    login_as("coordinator")
    first = client.get("/wilayah?q=cari").get_data(as_text=True)
    assert len(row_codes(first)) == 25 and "30 wilayah ditemukan" in first
    assert 'data-testid="pagination"' in first and "page=2" in first
    second = client.get("/wilayah?q=cari&page=2").get_data(as_text=True)
    assert len(row_codes(second)) == 5
    assert not set(row_codes(first)) & set(row_codes(second))


def test_figures_are_computed_once_per_page(client, world, login_as, monkeypatch):
    from outreach.regions import routes
    calls = []
    original = routes.figures_for

    def counting(regions):
        calls.append(1)
        return original(regions)

    monkeypatch.setattr(routes, "figures_for", counting)
    login_as("admin")
    for url in ("/wilayah", "/wilayah/33.74", "/wilayah/33.74.01", "/wilayah/33.74.01.1001", "/wilayah?q=satu"):
        calls.clear()
        assert client.get(url).status_code == 200
        assert len(calls) == 1, url


def test_boundary_json_for_the_site_picker(client, world, login_as):
    world.desa1.boundary = json.dumps(SQUARE)
    world.desa1.has_boundary = True
    db.session.commit()
    login_as("coordinator")
    data = client.get("/wilayah/33.74.01.1001/batas.json").get_json()
    assert data["nama"] == "Kelurahan Satu A" and data["boundary"] == SQUARE
    assert data["lat"] == -7.0 and data["lng"] == 110.4
    assert client.get("/wilayah/33.74.01.2002/batas.json").get_json()["boundary"] is None
    missing = client.get("/wilayah/33.74.01.9999/batas.json")
    assert missing.status_code == 404 and "tidak ditemukan" in missing.get_json()["message"]


def test_region_names_are_escaped(client, world, login_as):
    b.make_region("33.74.01.2003", "<script>alert(1)</script>", wajib_ktp=10, sudah_rekam=1)
    db.session.commit()
    login_as("coordinator")
    for url in ("/wilayah", "/wilayah/33.74.01.2003", "/wilayah?q=script"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_user_without_scope_sees_a_message_not_everything(client, world, login_as):
    user = b.make_user("manager", "manajer_tanpa_wilayah")
    db.session.commit()
    client.post("/login", data={"username": user.username, "password": b.PASSWORD})
    html = client.get("/wilayah").get_data(as_text=True)
    assert "belum memiliki wilayah tugas" in html and row_codes(html) == []
    assert row_codes(client.get("/wilayah?q=a").get_data(as_text=True)) == []
