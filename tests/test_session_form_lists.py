"""The session form's lists at national scale (outreach/planning/session_lists.py): sites by desa when a
kecamatan holds more than SESSION_SITE_SELECT_MAX, the area lists first for an admin's large area, and teams
and kits of the site's kabupaten/kota office when the user sees teams of several offices."""
import re
from datetime import date, datetime, timezone

import pytest
import time_machine

from outreach.extensions import db
from outreach.models import RecordingSession
from outreach.planning import session_lists
from tests import builders as b

MONDAY = date(2026, 5, 11)  # "today" is frozen at Monday 2026-05-04


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture()
def big(world, frozen, app, monkeypatch):
    """The planning world (teams and kits of 33.74 and 33.01) plus four schools in Desa Satu B, so
    Kecamatan Satu holds 7 sites; lists of at most 3 sites and 300 regions."""
    monkeypatch.setitem(app.config, "SESSION_SITE_SELECT_MAX", 3)
    pw = b.make_planning_world(world)
    pw.schools = [b.make_site(world.desa2.kode, f"SD Negeri {i}", type="sekolah") for i in range(1, 5)]
    db.session.commit()
    return pw


def options(page: str, name: str) -> list[str]:
    match = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), page, re.S)
    assert match, f"no select {name}"
    return [v for v in re.findall(r'<option[^>]*value="([^"]*)"', match.group(1)) if v]


def kit_boxes(page: str) -> list[str]:
    return re.findall(r'name="kit_ids" value="([^"]*)"', page)


def ids(*things) -> list[str]:
    return sorted(str(t.id) for t in things)


# ---------------------------------------------------------------- the rules

def test_a_small_kecamatan_keeps_one_list(world, frozen):
    coordinator = world.users["coordinator"]
    plan = session_lists.plan_site_list(coordinator, None, 300, 300)
    assert not plan.stepwise and plan.region == "33.74.01"


def test_a_large_kecamatan_asks_for_the_desa_first(big):
    coordinator = big.users["coordinator"]
    plan = session_lists.plan_site_list(coordinator, None, 3, 300)
    assert plan.stepwise and [s.level for s in plan.area.steps] == ["desa"]
    assert not plan.region_set and plan.waiting_for == "desa" and plan.too_many == 7
    chosen = session_lists.plan_site_list(coordinator, None, 3, 300,
                                          form={"lokasi_bertahap": "1", "pilih_desa": big.desa2.kode})
    assert chosen.region == big.desa2.kode
    editing = session_lists.plan_site_list(coordinator, big.schools[0], 3, 300)  # opens at the site's desa
    assert editing.stepwise and editing.region == big.desa2.kode


def test_an_admins_area_steps_down_to_a_kecamatan_that_fits(big):
    admin = big.users["admin"]
    plan = session_lists.plan_site_list(admin, None, 3, 300)
    assert [s.level for s in plan.area.steps] == ["provinsi", "kabupaten", "kecamatan", "desa"]
    assert plan.waiting_for == "kecamatan"
    picked = session_lists.plan_site_list(admin, None, 3, 300, form={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.02"})
    assert picked.region == "33.74.02"  # one site: listed without a desa
    via_link = session_lists.plan_site_list(admin, None, 3, 300, kecamatan_arg="33.74.01")
    assert via_link.area.chosen("kecamatan") == "33.74.01" and via_link.waiting_for == "desa"


def test_teams_and_kits_follow_the_office_when_several_are_seen(big):
    admin = big.users["admin"]
    offered = session_lists.teams_and_kits(admin, "33.74", stepwise=True)
    assert big.other_team not in offered.teams and big.team in offered.teams and offered.office == "33.74"
    assert big.other_kit not in offered.kits and big.kit in offered.kits
    kept = session_lists.teams_and_kits(admin, "33.74", True, chosen_team=big.other_team.id,
                                        chosen_kits=[str(big.other_kit.id)])
    assert big.other_team in kept.teams and big.other_kit in kept.kits
    waiting = session_lists.teams_and_kits(admin, None, stepwise=True)
    assert waiting.waiting and waiting.teams == [] and waiting.kits == []
    small = session_lists.teams_and_kits(admin, None, stepwise=False)  # a short site list: as before
    assert big.other_team in small.teams and not small.waiting
    coordinator = session_lists.teams_and_kits(big.users["coordinator"], "33.74", stepwise=False)
    assert coordinator.office is None  # one office seen: nothing to narrow


# ---------------------------------------------------------------- the form

def test_admin_form_starts_with_the_area_lists_and_no_long_lists(client, login_as, big):
    login_as("admin")
    page = client.get("/sesi/baru").get_data(as_text=True)
    assert options(page, "pilih_provinsi") == ["33"] and options(page, "site_id") == []
    # The only province there is stands chosen, and its kabupaten are listed.
    assert re.search(r'<option value="33" selected', page) and "33.74" in options(page, "pilih_kabupaten")
    assert options(page, "team_id") == [] and kit_boxes(page) == []
    assert "Pilih lokasi dulu" in page and "js/area_picker.js" in page and 'name="lokasi_bertahap"' in page


def test_tampilkan_lists_the_sites_teams_and_kits_of_the_chosen_area_and_saves_nothing(client, login_as, big):
    login_as("admin")
    before = db.session.query(RecordingSession).count()
    page = client.post("/sesi/baru", data={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.02",
        "pilih_desa": "", "area_step": "lokasi", "notes": "Undangan lewat RT", "date": MONDAY.isoformat(),
        "start": "08:00", "end": "12:00"}).get_data(as_text=True)
    assert options(page, "site_id") == [str(big.site2.id)]
    assert sorted(options(page, "team_id")) == ids(big.team, big.team2)  # not the team of Kabupaten Lain
    assert str(big.other_kit.id) not in kit_boxes(page) and str(big.kit.id) in kit_boxes(page)
    assert "Undangan lewat RT" in page and "Tim dan alat kantor Kota Uji" in page
    assert db.session.query(RecordingSession).count() == before
    # A kecamatan with more sites than the list holds waits for its desa.
    page = client.post("/sesi/baru", data={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.01",
        "area_step": "lokasi"}).get_data(as_text=True)
    assert options(page, "site_id") == [] and "Kecamatan ini punya 7 lokasi" in page
    page = client.post("/sesi/baru", data={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.01",
        "pilih_desa": big.desa2.kode, "area_step": "lokasi"}).get_data(as_text=True)
    assert sorted(options(page, "site_id")) == ids(big.site3, *big.schools)


def test_saving_from_the_stepwise_form(client, login_as, big):
    login_as("admin")
    resp = client.post("/sesi/baru", data={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.01",
        "pilih_desa": big.desa2.kode, "site_id": str(big.schools[0].id), "date": MONDAY.isoformat(),
        "start": "08:00", "end": "12:00", "team_id": str(big.team.id), "kit_ids": [str(big.kit.id)],
        "kind": "perekaman", "target_groups": ["umum"], "submit": "Simpan"})
    assert resp.status_code == 302
    assert db.session.query(RecordingSession).filter_by(site_id=big.schools[0].id).count() == 1


def test_edit_keeps_a_team_and_kit_of_another_office(client, login_as, big):
    session = b.make_session(big.schools[0], big.other_team, [big.other_kit], day=MONDAY)
    db.session.commit()
    login_as("admin")
    page = client.get(f"/sesi/{session.id}/ubah").get_data(as_text=True)
    assert options(page, "pilih_desa") and str(big.schools[0].id) in options(page, "site_id")
    assert sorted(options(page, "site_id")) == ids(big.site3, *big.schools)  # the desa's sites, not the kecamatan's 7
    assert set(options(page, "team_id")) == set(ids(big.team, big.team2, big.other_team))
    assert str(big.other_kit.id) in kit_boxes(page) and str(big.kit.id) in kit_boxes(page)


def test_coordinator_of_a_large_kecamatan_chooses_the_desa(client, login_as, big):
    login_as("coordinator")
    page = client.get("/sesi/baru").get_data(as_text=True)
    assert "pilih_provinsi" not in page and len(options(page, "pilih_desa")) == 2
    assert options(page, "site_id") == [] and "Kecamatan ini punya 7 lokasi" in page
    assert sorted(options(page, "team_id")) == ids(big.team, big.team2)  # one office seen: every team, as before
    page = client.post("/sesi/baru", data={"lokasi_bertahap": "1", "pilih_desa": big.desa1.kode,
                                           "area_step": "lokasi"}).get_data(as_text=True)
    assert sorted(options(page, "site_id")) == ids(big.site1, big.school)


def test_small_scope_form_is_unchanged(client, login_as, world, frozen):
    b.make_planning_world(world)
    login_as("coordinator")
    page = client.get("/sesi/baru").get_data(as_text=True)
    assert "pilih_desa" not in page and "area_picker.js" not in page and "lokasi_bertahap" not in page
    assert str(world.site1.id) in options(page, "site_id")


def test_ids_past_the_database_integer_are_no_choice_not_an_error(client, login_as, big):
    """A team or kit id no row can have (PostgreSQL INTEGER) is left out of the kept choices: the form answers
    with its lists, never 500."""
    login_as("admin")
    resp = client.post("/sesi/baru", data={
        "lokasi_bertahap": "1", "pilih_provinsi": "33", "pilih_kabupaten": "33.74", "pilih_kecamatan": "33.74.02",
        "area_step": "lokasi", "team_id": "99999999999", "kit_ids": ["99999999999", str(big.kit.id)]})
    assert resp.status_code == 200
    assert options(resp.get_data(as_text=True), "site_id") == [str(big.site2.id)]
