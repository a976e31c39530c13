"""Area pickers that scale to a province and the whole country (outreach/regions/picker.py): a scope with
more regions than AREA_SELECT_MAX gets kabupaten → kecamatan → desa lists, each bounded by its parent."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from outreach.extensions import db
from outreach.models import Site
from outreach.regions import picker
from tests import builders as b

WIB = ZoneInfo("Asia/Jakarta")
pytestmark = pytest.mark.at(datetime(2026, 10, 5, 9, 0, tzinfo=WIB))


@pytest.fixture()
def province(world, app, monkeypatch):
    """3 kabupaten × 3 kecamatan × 4 desa in province 33 (beside the world's), a province admin, a list
    limit of 10 options; and one desa of another province."""
    monkeypatch.setitem(app.config, "AREA_SELECT_MAX", 10)
    for k in range(81, 84):
        b.make_region(f"33.{k}", f"Kabupaten Uji {k}")
        for c in range(1, 4):
            b.make_region(f"33.{k}.{c:02d}", f"Kecamatan {k}-{c}")
            for d in range(1, 5):
                b.make_region(f"33.{k}.{c:02d}.200{d}", f"Desa {k}-{c}-{d}")
    b.make_region("34.01.01.2001", "Desa Provinsi Lain")
    admin = b.make_user("admin", "admin_provinsi", scope="33")
    db.session.commit()
    return admin


def login(client, user):
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": b.PASSWORD}).status_code == 302


def select_options(html: str, name: str) -> list[str]:
    match = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), html, re.S)
    assert match, f"no select {name}"
    return [v for v in re.findall(r'<option[^>]*value="([^"]*)"', match.group(1)) if v]


def selected(html: str, name: str) -> str:
    body = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), html, re.S).group(1)
    found = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option selected value="([^"]*)"', body)
    return found.group(1) if found else ""


def site_form(**kw):
    data = {"type": "balai_desa", "nama": "Balai Desa Uji", "lat": "-7.0", "lng": "110.4", "address": "Jl. Uji 1"}
    data.update(kw)
    return data


# ---------------------------------------------------------------- the rules

def test_levels_follow_the_scope(province, world):
    assert picker.step_levels(province, "desa") == ["kabupaten", "kecamatan", "desa"]
    assert picker.step_levels(world.users["admin"], "desa") == ["provinsi", "kabupaten", "kecamatan", "desa"]
    assert picker.step_levels(world.users["coordinator"], "desa") == ["desa"]
    assert picker.is_stepwise(province, "desa", 10)
    assert not picker.is_stepwise(world.users["coordinator"], "desa", 10)


def test_picks_override_what_the_value_implies(province):
    fields = {"desa": "desa_kode"}
    shown = picker.build_picker(province, fields, {"desa": "33.81.02.2003"}, 10)
    assert [s.chosen for s in shown.steps] == ["33.81", "33.81.02", "33.81.02.2003"]
    assert len(shown.steps[2].options) == 4
    moved = picker.build_picker(province, fields, {"desa": "33.81.02.2003"}, 10, {"kabupaten": "33.82"})
    assert [s.chosen for s in moved.steps] == ["33.82", "", ""]
    assert [k for k, _ in moved.steps[1].options] == ["33.82.01", "33.82.02", "33.82.03"]
    assert moved.steps[2].options == []
    outside = picker.build_picker(province, fields, {"desa": "34.01.01.2001"}, 10)
    assert [s.chosen for s in outside.steps] == ["", "", ""]


def test_check_choice(province):
    assert picker.check_choice(province, "33.81.01.2001", "desa") is None
    assert "di luar wilayah" in picker.check_choice(province, "34.01.01.2001", "desa")
    assert "tidak ditemukan" in picker.check_choice(province, "33.81.01.9999", "desa")
    assert "tidak ditemukan" in picker.check_choice(province, "<x>", "desa")


# ---------------------------------------------------------------- the site form

def test_site_form_holds_no_desa_until_a_kecamatan_is_chosen(client, province, app):
    login(client, province)
    resp = client.get("/lokasi/baru")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert sorted(select_options(html, "pilih_kabupaten")) == ["33.01", "33.74", "33.81", "33.82", "33.83"]
    assert select_options(html, "pilih_kecamatan") == []
    assert select_options(html, "desa_kode") == []
    assert "Desa 81-1-1" not in html and "<optgroup" not in html
    assert 'js/area_picker.js' in html
    app.config["AREA_SELECT_MAX"] = 1000  # the same scope in one list: every desa on the page
    flat = client.get("/lokasi/baru").get_data(as_text=True)
    assert len(select_options(flat, "desa_kode")) == 36 + 4
    assert html.count("<option") <= flat.count("<option") - 40 + 5 + 2
    assert len(html) < len(flat) - 1000


def test_without_js_tampilkan_shows_the_next_list_and_keeps_what_was_typed(client, province):
    login(client, province)
    resp = client.post("/lokasi/baru", data=site_form(pilih_kabupaten="33.82", pilih_kecamatan="",
                                                      desa_kode="", area_step="kabupaten", nama="Pos Uji"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert select_options(html, "pilih_kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    assert select_options(html, "desa_kode") == []
    assert 'value="Pos Uji"' in html and "is-invalid" not in html
    resp = client.post("/lokasi/baru", data=site_form(pilih_kabupaten="33.82", pilih_kecamatan="33.82.03",
                                                      desa_kode="", area_step="kecamatan", nama="Pos Uji"))
    html = resp.get_data(as_text=True)
    assert select_options(html, "desa_kode") == [f"33.82.03.200{d}" for d in range(1, 5)]
    assert selected(html, "pilih_kecamatan") == "33.82.03"
    assert db.session.query(Site).filter_by(nama="Pos Uji").count() == 0


def test_link_with_a_desa_opens_its_lists(client, province):
    login(client, province)
    html = client.get("/lokasi/baru?desa=33.83.01.2004").get_data(as_text=True)
    assert selected(html, "pilih_kabupaten") == "33.83"
    assert selected(html, "pilih_kecamatan") == "33.83.01"
    assert selected(html, "desa_kode") == "33.83.01.2004"


def test_saving_a_desa_in_scope_works_and_one_outside_is_refused(client, province):
    login(client, province)
    resp = client.post("/lokasi/baru", data=site_form(pilih_kabupaten="33.81", pilih_kecamatan="33.81.02",
                                                      desa_kode="33.81.02.2001"))
    assert resp.status_code == 302
    site = db.session.query(Site).filter_by(nama="Balai Desa Uji").one()
    assert site.desa_kode == "33.81.02.2001" and site.kabupaten_kode == "33.81"
    resp = client.post("/lokasi/baru", data=site_form(nama="Balai Luar", desa_kode="34.01.01.2001"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "di luar wilayah tugas Anda" in html
    resp = client.post("/lokasi/baru", data=site_form(nama="Balai Hilang", desa_kode="33.81.02.9999"))
    assert "tidak ditemukan" in resp.get_data(as_text=True)
    assert db.session.query(Site).filter(Site.nama.in_(["Balai Luar", "Balai Hilang"])).count() == 0


def test_edit_form_opens_at_the_sites_desa(client, province):
    site = b.make_site("33.82.02.2003", "Balai Lama")
    db.session.commit()
    login(client, province)
    html = client.get(f"/lokasi/{site.id}/ubah").get_data(as_text=True)
    assert selected(html, "desa_kode") == "33.82.02.2003"
    assert len(select_options(html, "desa_kode")) == 4


def test_coordinator_keeps_the_single_select(client, province, login_as):
    login_as("coordinator")
    html = client.get("/lokasi/baru").get_data(as_text=True)
    assert "pilih_kabupaten" not in html and "area_picker.js" not in html
    assert set(select_options(html, "desa_kode")) == {"33.74.01.1001", "33.74.01.2002"}


# ---------------------------------------------------------------- the lists' JSON

def test_next_list_stays_in_scope(client, province, login_as):
    login(client, province)
    resp = client.get("/wilayah/pilihan?induk=33.81")
    assert resp.status_code == 200
    assert [r["kode"] for r in resp.get_json()] == ["33.81.01", "33.81.02", "33.81.03"]
    assert client.get("/wilayah/pilihan?induk=34.01").status_code == 404
    for bad in ("", "x" * 500, "33.81.01.2001", "<script>", "33.99"):
        resp = client.get("/wilayah/pilihan", query_string={"induk": bad})
        assert resp.status_code == 404 and resp.get_json()["message"]
    login_as("coordinator")  # the kabupaten above its kecamatan: only its own kecamatan
    assert [r["kode"] for r in client.get("/wilayah/pilihan?induk=33.74").get_json()] == ["33.74.01"]
    assert client.get("/wilayah/pilihan?induk=33.74.02").status_code == 404


# ---------------------------------------------------------------- list filters

def test_site_list_filter_steps_and_filters_by_the_chosen_level(client, province):
    inside = b.make_site("33.82.01.2001", "Balai 82-1-1")
    other = b.make_site("33.83.01.2001", "Balai 83-1-1")
    db.session.commit()
    login(client, province)
    html = client.get("/lokasi").get_data(as_text=True)
    assert select_options(html, "kecamatan") == [] and select_options(html, "desa") == []
    assert len(select_options(html, "pilih_kabupaten")) == 5
    html = client.get("/lokasi?pilih_kabupaten=33.82&area_step=kabupaten").get_data(as_text=True)
    assert select_options(html, "kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    assert f'data-site-id="{inside.id}"' in html and f'data-site-id="{other.id}"' not in html
    html = client.get("/lokasi?pilih_kabupaten=33.82&kecamatan=33.82.01&desa=").get_data(as_text=True)
    assert len(select_options(html, "desa")) == 4
    # a kecamatan of another kabupaten than the one now chosen drops out
    html = client.get("/lokasi?pilih_kabupaten=33.83&kecamatan=33.82.01").get_data(as_text=True)
    assert selected(html, "kecamatan") == "" and f'data-site-id="{other.id}"' in html
    assert f'data-site-id="{inside.id}"' not in html


def test_manager_of_one_kabupaten_keeps_the_plain_filters(client, province, login_as):
    login_as("manager")
    html = client.get("/lokasi").get_data(as_text=True)
    assert "pilih_kabupaten" not in html
    assert set(select_options(html, "kecamatan")) == {"33.74.01", "33.74.02"}


def session_82(client, province):
    """A session of Tim 82 at a site of kecamatan 33.82.01, and the province admin signed in."""
    session = b.make_session(b.make_site("33.82.01.2001", "Balai 82-1-1"), b.make_team("33.82", "Tim 82"))
    db.session.commit()
    login(client, province)
    return session


def test_session_list_filter_steps(client, province):
    session = session_82(client, province)
    html = client.get("/sesi").get_data(as_text=True)
    assert select_options(html, "kecamatan") == [] and len(select_options(html, "pilih_kabupaten")) == 5
    html = client.get("/sesi?pilih_kabupaten=33.82&area_step=kabupaten").get_data(as_text=True)
    assert select_options(html, "kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    assert f"/sesi/{session.id}" in html
    html = client.get("/sesi?pilih_kabupaten=33.83").get_data(as_text=True)
    assert f"/sesi/{session.id}\"" not in html and "Balai 82-1-1" not in html


# ---------------------------------------------------------------- calendar, printed schedule, planner, request queue

def test_calendar_kecamatan_steps(client, province):
    session = session_82(client, province)
    html = client.get("/kalender?kecamatan=").get_data(as_text=True)
    assert select_options(html, "kecamatan") == [] and len(select_options(html, "pilih_kabupaten")) == 5
    assert "Kecamatan 82-1" not in html and "js/area_picker.js" in html
    html = client.get("/kalender?pilih_kabupaten=33.82&kecamatan=&area_step=kabupaten").get_data(as_text=True)
    assert select_options(html, "kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    month = session.date.strftime("%Y-%m")
    html = client.get(f"/kalender?month={month}&pilih_kabupaten=33.82&kecamatan=33.82.01").get_data(as_text=True)
    assert selected(html, "kecamatan") == "33.82.01" and f"/sesi/{session.id}" in html
    html = client.get(f"/kalender?month={month}&kecamatan=33.82.02").get_data(as_text=True)
    assert selected(html, "pilih_kabupaten") == "33.82" and f"/sesi/{session.id}" not in html


def test_print_schedule_kecamatan_steps(client, province):
    session = session_82(client, province)
    period = {"from": session.date.isoformat(), "to": session.date.isoformat()}
    html = client.get("/jadwal/cetak", query_string={**period, "kecamatan": ""}).get_data(as_text=True)
    assert select_options(html, "kecamatan") == [] and len(select_options(html, "pilih_kabupaten")) == 5
    assert "Kecamatan 82-1" not in html
    html = client.get("/jadwal/cetak", query_string={**period, "pilih_kabupaten": "33.82", "kecamatan": "",
                                                     "area_step": "kabupaten"}).get_data(as_text=True)
    assert select_options(html, "kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    html = client.get("/jadwal/cetak", query_string={**period, "kecamatan": "33.82.01"}).get_data(as_text=True)
    assert selected(html, "pilih_kabupaten") == "33.82" and selected(html, "kecamatan") == "33.82.01"
    assert "Balai 82-1-1" in html


def test_planner_region_steps(client, province):
    from datetime import timedelta
    from outreach.planner.store import PlanProposal

    b.make_kit(b.make_team("33.82", "Tim 82"), "KIT-82")
    b.make_region("33.82.01.2005", "Desa Sasaran", wajib_ktp=900, sudah_rekam=100)
    b.make_site("33.82.01.2005", "Balai Sasaran")
    db.session.commit()
    login(client, province)
    html = client.get("/usulan-jadwal").get_data(as_text=True)
    assert select_options(html, "region") == [] and len(select_options(html, "pilih_kabupaten")) == 5
    assert "Kecamatan 82-1" not in html and "js/area_picker.js" in html
    first = datetime(2026, 10, 12).date()
    period = {"date_from": first.isoformat(), "date_to": (first + timedelta(days=4)).isoformat()}
    html = client.post("/usulan-jadwal", data={**period, "pilih_kabupaten": "33.82", "region": "",
                                                "area_step": "kabupaten"}).get_data(as_text=True)
    assert select_options(html, "region") == ["33.82.01", "33.82.02", "33.82.03"]
    assert "plan-issues" not in html and db.session.query(PlanProposal).count() == 0
    html = client.get("/usulan-jadwal?kecamatan=33.82.01").get_data(as_text=True)
    assert selected(html, "pilih_kabupaten") == "33.82" and selected(html, "region") == "33.82.01"
    resp = client.post("/usulan-jadwal", data={**period, "pilih_kabupaten": "33.82", "region": "33.82.01"})
    assert resp.status_code == 302, re.findall(r'(?:plan-issues|invalid-feedback)[^<]*<[^<]*<[^<]*', resp.get_data(as_text=True))
    assert db.session.query(PlanProposal).one().region_kode == "33.82.01"
    resp = client.post("/usulan-jadwal", data={**period, "pilih_kabupaten": "33.82", "region": ""})
    assert resp.status_code == 302
    assert {p.region_kode for p in db.session.query(PlanProposal)} == {"33.82.01", "33.82"}
    resp = client.post("/usulan-jadwal", data={**period, "region": "34.01.01"})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)
    assert db.session.query(PlanProposal).count() == 2


def test_request_queue_desa_filter_steps(client, province):
    from tests.test_requests_queue import make_request

    inside = make_request("33.82.01.2001", code="JB-UJI821")
    other = make_request("33.83.01.2001", code="JB-UJI831")
    db.session.commit()
    login(client, province)
    html = client.get("/permohonan-masuk").get_data(as_text=True)
    assert select_options(html, "desa") == [] and len(select_options(html, "pilih_kabupaten")) == 5
    assert "js/area_picker.js" in html and inside.code in html and other.code in html
    resp = client.get("/permohonan-masuk?status=&kind=&pilih_kabupaten=33.82&desa=&area_step=kabupaten")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert select_options(html, "pilih_kecamatan") == ["33.82.01", "33.82.02", "33.82.03"]
    assert inside.code in html and other.code not in html
    html = client.get("/permohonan-masuk?status=&kind=&pilih_kabupaten=33.82&pilih_kecamatan=33.82.01&desa="
                      "&area_step=kecamatan").get_data(as_text=True)
    assert select_options(html, "desa") == [f"33.82.01.200{d}" for d in range(1, 5)]
    resp = client.get("/permohonan-masuk?status=&kind=&desa=33.83.01.2001")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, re.findall(r"invalid-feedback[^<]*", html)
    assert selected(html, "desa") == "33.83.01.2001"
    assert selected(html, "pilih_kecamatan") == "33.83.01" and other.code in html and inside.code not in html
    assert client.get("/permohonan-masuk?status=&kind=&desa=34.01.01.2001").status_code == 400


def test_calendar_kabupaten_without_kecamatan_shows_that_kabupaten_only(client, province):
    team = b.make_team("33.82", "Tim 82")
    inside = b.make_session(b.make_site("33.82.02.2001", "Balai 82-2-1"), team)
    outside = b.make_session(b.make_site("33.83.01.2001", "Balai 83-1-1"), b.make_team("33.83", "Tim 83"),
                             day=inside.date)
    db.session.commit()
    login(client, province)
    month = inside.date.strftime("%Y-%m")
    html = client.get(f"/kalender?month={month}&kecamatan=").get_data(as_text=True)
    assert f"/sesi/{inside.id}" in html and f"/sesi/{outside.id}" in html  # no area chosen: all of them
    html = client.get(f"/kalender?month={month}&pilih_kabupaten=33.82&kecamatan=").get_data(as_text=True)
    assert f"/sesi/{inside.id}" in html and f"/sesi/{outside.id}" not in html
    assert "Kalender Kabupaten Uji 82" in html
    # The links to the next month and to the printed schedule keep the kabupaten.
    assert re.search(r'data-testid="next-period"', html)
    next_link = re.search(r'href="([^"]*)" data-testid="next-period"', html).group(1)
    assert "pilih_kabupaten=33.82" in next_link
    print_link = re.search(r'data-testid="print-link"\s+href="([^"]*)"', html).group(1)
    assert "pilih_kabupaten=33.82" in print_link and "kecamatan=&amp;" in print_link


def test_print_schedule_kabupaten_without_kecamatan_lists_that_kabupaten(client, province):
    team = b.make_team("33.82", "Tim 82")
    inside = b.make_session(b.make_site("33.82.02.2001", "Balai 82-2-1"), team)
    b.make_session(b.make_site("33.83.01.2001", "Balai 83-1-1"), b.make_team("33.83", "Tim 83"), day=inside.date)
    db.session.commit()
    login(client, province)
    period = {"from": inside.date.isoformat(), "to": inside.date.isoformat()}
    html = client.get("/jadwal/cetak", query_string={**period, "kecamatan": "", "pilih_kabupaten": "33.82"}
                      ).get_data(as_text=True)
    assert selected(html, "pilih_kabupaten") == "33.82"
    assert "Balai 82-2-1" in html and "Balai 83-1-1" not in html and "Kabupaten Uji 82" in html


def test_sessions_between_narrows_to_an_area(province, world):
    from outreach.planning import queries

    team = b.make_team("33.82", "Tim 82")
    inside = b.make_session(b.make_site("33.82.02.2001", "Balai 82-2-1"), team)
    outside = b.make_session(b.make_site("33.83.01.2001", "Balai 83-1-1"), team, day=inside.date, start="13:00",
                             end="15:00")
    db.session.commit()
    found = lambda **kw: {s.id for s in queries.sessions_between(province, inside.date, inside.date, **kw)}
    assert found() == {inside.id, outside.id}
    assert found(area_kode="33.82") == {inside.id}
    assert found(area_kode="33.82.02") == {inside.id}
    assert found(area_kode="33") == {inside.id, outside.id}
    assert found(area_kode="34") == set()


def test_calendar_team_filter_lists_the_teams_of_the_chosen_area(client, province):
    t82, t83 = b.make_team("33.82", "Tim 82"), b.make_team("33.83", "Tim 83")
    db.session.commit()
    login(client, province)
    html = client.get("/kalender?kecamatan=").get_data(as_text=True)
    assert select_options(html, "team") == []  # no area yet: not every team of the province
    html = client.get("/kalender?pilih_kabupaten=33.82&kecamatan=").get_data(as_text=True)
    assert select_options(html, "team") == [str(t82.id)]
    html = client.get("/kalender?kecamatan=33.82.01").get_data(as_text=True)  # a kecamatan: its kabupaten's
    assert select_options(html, "team") == [str(t82.id)]
    html = client.get(f"/kalender?kecamatan=33.82.01&team={t83.id}").get_data(as_text=True)
    assert sorted(select_options(html, "team")) == sorted([str(t82.id), str(t83.id)])  # the chosen one kept


def test_session_list_team_filter_and_province_follow_the_chosen_area(client, province, world):
    t82, t83 = b.make_team("33.82", "Tim 82"), b.make_team("33.83", "Tim 83")
    db.session.commit()
    login(client, province)
    html = client.get("/sesi").get_data(as_text=True)
    assert select_options(html, "team_id") == []
    html = client.get("/sesi?pilih_kabupaten=33.83").get_data(as_text=True)
    assert select_options(html, "team_id") == [str(t83.id)]
    html = client.get(f"/sesi?kecamatan=33.82.02&team_id={t83.id}").get_data(as_text=True)
    assert sorted(select_options(html, "team_id")) == sorted([str(t82.id), str(t83.id)])


def test_session_list_of_a_national_admin_narrows_to_a_province(client, province, world, login_as):
    inside = b.make_session(b.make_site("33.82.02.2001", "Balai 82-2-1"), b.make_team("33.82", "Tim 82"))
    outside = b.make_session(b.make_site("34.01.01.2001", "Balai Yogya"), b.make_team("34.01", "Tim Yogya"),
                             day=inside.date)
    db.session.commit()
    login_as("admin")
    html = client.get("/sesi?pilih_provinsi=34").get_data(as_text=True)
    assert f"/sesi/{outside.id}" in html and f"/sesi/{inside.id}" not in html


def test_planner_lists_the_teams_and_kits_of_the_chosen_kabupaten(client, province):
    k82 = b.make_kit(b.make_team("33.82", "Tim 82"), "KIT-82")
    k83 = b.make_kit(b.make_team("33.83", "Tim 83"), "KIT-83")
    db.session.commit()
    login(client, province)
    html = client.get("/usulan-jadwal").get_data(as_text=True)
    assert select_options(html, "team_ids") == [] and select_options(html, "kit_ids") == []
    html = client.get("/usulan-jadwal?kecamatan=33.82.01").get_data(as_text=True)
    assert select_options(html, "team_ids") == [str(k82.team_id)] and select_options(html, "kit_ids") == [str(k82.id)]
    # Teams chosen before the region changed stay listed; the planner then refuses them by name.
    html = client.post("/usulan-jadwal", data={"pilih_kabupaten": "33.82", "region": "33.82.01",
                                               "team_ids": [str(k83.team_id)], "date_from": "2026-10-12",
                                               "date_to": "2026-10-16"}).get_data(as_text=True)
    assert str(k83.team_id) in select_options(html, "team_ids")
    assert "bukan tim kabupaten/kota wilayah ini" in html
