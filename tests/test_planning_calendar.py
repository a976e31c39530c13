"""The planning calendar's rules on every path that plans: a session made by hand (API and form check),
postponing, a mop-up proposal, the planner, the demo seeding, and the calendar page.

Each finding here was accepted silently before the calendar existed: a site's unavailable date, an 8-hour or
1-hour session, cuti bersama, a regional holiday, an election day, a school's exam week."""
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach.models import RecordingSession
from outreach.planner import loader
from outreach.planner.solve import plan
from outreach.planning import calendar as planning_calendar
from outreach.planning import demo as planning_demo
from outreach.planning import checks
from tests import builders
from tests.conftest import WIB

# Planned on Monday 7 December 2026, for the weeks around the turn of the year.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)

MONDAY = date(2027, 1, 11)  # a plain working week: 11–15 January 2027
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=i) for i in range(1, 5))
CHRISTMAS_EVE = date(2026, 12, 24)  # cuti bersama Natal (SKB 3 Menteri, in the holidays package)


@pytest.fixture()
def pw(world):
    return builders.make_planning_world(world)


@pytest.fixture()
def api(client, pw):
    """api(role, method, url, json=None): a request with that role's bearer token."""
    tokens = {}

    def call(role, method, url, json=None):
        if role not in tokens:
            tokens[role] = builders.make_api_token(pw.users[role])
        return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[role]}"})
    return call


def body(pw, day=MONDAY, **kw):
    out = {"site_id": pw.site1.id, "date": day.isoformat(), "start": "08:00", "end": "12:00",
           "team_id": pw.team.id, "kit_ids": [pw.kit.id], "kind": "perekaman"}
    out.update(kw)
    return out


def add_entry(kind, first, name, region="", last=None, replaces=None):
    """An entry made through the operation the admin page uses (as the unscoped admin)."""
    return planning_calendar.create_entry(None, {"kind": kind, "first": first.isoformat(),
                                                 "last": last.isoformat() if last else "", "name": name,
                                                 "region_kode": region,
                                                 "replaces_date": replaces.isoformat() if replaces else ""}, None)


def kinds(resp):
    return [c["kind"] for c in resp.get_json()["conflicts"]]


# ---------------------------------------------------------------- sessions made by hand

def test_site_unavailable_date_is_a_warning_overridable_with_a_reason(api, pw, db):
    resp = api("coordinator", "PATCH", f"/api/v1/sites/{pw.site1.id}", {"unavailable_dates": "2027-02-01"})
    assert resp.status_code == 200, resp.get_json()
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, date(2027, 2, 1)))
    assert resp.status_code == 409 and resp.get_json()["overridable"] is True
    [conflict] = resp.get_json()["conflicts"]
    assert conflict["kind"] == "site_unavailable" and conflict["severity"] == "warning"
    assert "Balai Kelurahan Satu A" in conflict["message"] and "Senin, 1 Februari 2027" in conflict["message"]
    resp = api("coordinator", "POST", "/api/v1/sessions",
               body(pw, date(2027, 2, 1), override_reason="Lurah membuka balai khusus untuk perekaman"))
    assert resp.status_code == 201 and resp.get_json()["override_reason"].startswith("Lurah membuka")
    # The day before is free: no warning at all.
    assert api("coordinator", "POST", "/api/v1/sessions", body(pw, date(2027, 1, 29))).status_code == 201


@pytest.mark.parametrize("start,end,kind,text", [
    ("07:00", "15:00", "session_too_long", "8 jam, lebih dari lama maksimal 6 jam (pengaturan SESSION_MAX_HOURS)"),
    ("13:00", "14:00", "session_too_short", "1 jam, kurang dari lama minimal 2 jam (pengaturan SESSION_MIN_HOURS)"),
])
def test_session_length_outside_the_settings_is_warned(api, pw, db, start, end, kind, text):
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, start=start, end=end))
    assert resp.status_code == 409 and kinds(resp) == [kind]
    assert text in resp.get_json()["conflicts"][0]["message"]
    resp = api("coordinator", "POST", "/api/v1/sessions",
               body(pw, start=start, end=end, override_reason="Rapat RW hanya sejam" if kind.endswith("short")
                    else "Pasar malam: warga datang sepanjang hari"))
    assert resp.status_code == 201


def test_a_short_sosialisasi_meeting_needs_no_reason(api, pw, db):
    """The session length is about recording with kits; an awareness meeting at an RT may take an hour."""
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, start="19:00", end="20:00", kind="sosialisasi",
                                                               kit_ids=[]))
    assert resp.status_code == 201, resp.get_json()


def test_a_short_home_visit_needs_no_reason_but_a_long_one_does(api, pw, db):
    """A home visit records one household (the planner gives it PLANNER_HOME_VISIT_MINUTES): an hour at a
    `rumah` site is no reason for a warning; the maximum still holds."""
    home = builders.make_site(pw.desa1.kode, "Rumah warga RT 03/RW 05", type="rumah")
    db.session.commit()
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, site_id=home.id, start="10:00", end="11:00"))
    assert resp.status_code == 201, resp.get_json()
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, TUESDAY, site_id=home.id, start="07:00", end="15:00"))
    assert resp.status_code == 409 and kinds(resp) == ["session_too_long"]


def test_a_new_session_at_a_home_is_for_the_elderly_and_disabled(pw, client, login_as, db):
    """The form for a session at a `rumah` site (from a home-visit request) starts with that target group."""
    home = builders.make_site(pw.desa1.kode, "Rumah warga RT 03/RW 05", type="rumah")
    db.session.commit()
    login_as("coordinator")
    html = client.get(f"/sesi/baru?site={home.id}").get_data(as_text=True)
    checked = {m for m in ("pemilih_pemula", "umum", "lansia_disabilitas")
               if re.search(rf'<input[^>]*value="{m}"[^>]*checked', html)}
    assert checked == {"lansia_disabilitas"}
    html = client.get(f"/sesi/baru?site={pw.site1.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*value="umum"[^>]*checked', html)


def test_session_length_follows_the_settings(app, api, pw, db):
    app.config["SESSION_MAX_HOURS"] = 8
    try:
        assert api("coordinator", "POST", "/api/v1/sessions", body(pw, start="07:00", end="15:00")).status_code == 201
    finally:
        app.config["SESSION_MAX_HOURS"] = 6


def test_cuti_bersama_is_warned(api, pw, db):
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, CHRISTMAS_EVE))
    assert resp.status_code == 409 and kinds(resp) == ["cuti_bersama"]
    assert resp.get_json()["conflicts"][0]["message"] == (
        "Kamis, 24 Desember 2026 adalah cuti bersama (Cuti Bersama Hari Raya Natal).")


def test_regional_holiday_warns_its_kabupaten_only(api, pw, db):
    add_entry("libur_daerah", TUESDAY, "Hari jadi Kabupaten Lain", region=pw.other_kab.kode)
    add_entry("libur_daerah", WEDNESDAY, "Hari jadi Kota Uji", region=pw.kab.kode)
    # Kota Uji's site: its own holiday warns, the other kabupaten's does not.
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, WEDNESDAY))
    assert resp.status_code == 409 and kinds(resp) == ["regional_holiday"]
    assert "libur daerah di Kota Uji (Hari jadi Kota Uji)" in resp.get_json()["conflicts"][0]["message"]
    assert api("coordinator", "POST", "/api/v1/sessions", body(pw, TUESDAY)).status_code == 201
    # Kabupaten Lain's site: the other way round.
    other = body(pw, TUESDAY, site_id=pw.other_site.id, team_id=pw.other_team.id, kit_ids=[pw.other_kit.id])
    resp = api("admin", "POST", "/api/v1/sessions", other)
    assert resp.status_code == 409 and kinds(resp) == ["regional_holiday"]
    assert api("admin", "POST", "/api/v1/sessions", {**other, "date": WEDNESDAY.isoformat()}).status_code == 201


def test_exam_week_warns_school_sites_only(api, pw, db):
    add_entry("ujian_sekolah", WEDNESDAY, "Penilaian akhir semester SMA/SMK", region=pw.kab.kode, last=FRIDAY)
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, THURSDAY, site_id=pw.school.id))
    assert resp.status_code == 409 and kinds(resp) == ["exam_week"]
    assert "masa ujian sekolah di Kota Uji" in resp.get_json()["conflicts"][0]["message"]
    assert api("coordinator", "POST", "/api/v1/sessions", body(pw, THURSDAY)).status_code == 201


def test_election_day_national_and_pilkada(api, pw, db):
    add_entry("hari_pemilu", MONDAY, "Pemungutan suara ulang")
    add_entry("hari_pemilu", TUESDAY, "Pilkada Kota Uji", region=pw.kab.kode)
    for day in (MONDAY, TUESDAY):
        resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, day))
        assert resp.status_code == 409 and kinds(resp) == ["election_day"]
    other = body(pw, TUESDAY, site_id=pw.other_site.id, team_id=pw.other_team.id, kit_ids=[pw.other_kit.id])
    assert api("admin", "POST", "/api/v1/sessions", other).status_code == 201


def test_a_corrected_package_holiday_moves_the_warning(api, pw, db):
    # 25 December 2026 is Christmas in the package; suppose it moved to Monday 28 December.
    add_entry("libur_nasional", date(2026, 12, 28), "Hari Raya Natal (dipindah)", replaces=date(2026, 12, 25))
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, date(2026, 12, 28)))
    assert resp.status_code == 409 and kinds(resp) == ["holiday"]
    assert api("coordinator", "POST", "/api/v1/sessions", body(pw, date(2026, 12, 25))).status_code == 201


def test_form_check_shows_the_same_warnings(pw, db):
    pw.site1.unavailable_dates = MONDAY.isoformat()
    db.session.commit()
    result = checks.check_session(pw.users["coordinator"], body(pw, start="07:00", end="15:00"))
    assert [c.kind for c in result.conflicts] == ["session_too_long", "site_unavailable"]


def test_postponing_onto_a_day_off_is_warned(api, pw, db):
    add_entry("libur_daerah", WEDNESDAY, "Hari jadi Kota Uji", region=pw.kab.kode)
    s = api("coordinator", "POST", "/api/v1/sessions", body(pw)).get_json()
    url = f"/api/v1/sessions/{s['id']}/status"
    resp = api("coordinator", "POST", url, {"status": "ditunda", "new_date": WEDNESDAY.isoformat(), "reason": "Hujan"})
    assert resp.status_code == 409 and kinds(resp) == ["regional_holiday"]
    resp = api("coordinator", "POST", url, {"status": "ditunda", "new_date": WEDNESDAY.isoformat(), "reason": "Hujan",
                                            "override_reason": "Kelurahan tetap buka"})
    assert resp.status_code == 200 and resp.get_json()["date"] == WEDNESDAY.isoformat()


def test_mop_up_skips_the_days_the_calendar_closes(pw, db):
    done = builders.make_session(pw.site1, pw.team, [pw.kit], day=date(2026, 12, 1), status="selesai")
    pw.site1.unavailable_dates = "2026-12-08..2026-12-09"
    db.session.commit()
    add_entry("libur_daerah", date(2026, 12, 10), "Hari jadi Kota Uji", region=pw.kab.kode)
    proposal = checks.propose_mop_up(done, 30)
    assert proposal["date"] == "2026-12-11" and proposal["conflicts"] == []


# ---------------------------------------------------------------- the planner

def _plan(pw, first, last):
    inputs = loader.parse_inputs({"region": pw.kec1.kode, "date_from": first.isoformat(),
                                  "date_to": last.isoformat()})
    req, _context = loader.load_request(pw.users["coordinator"], inputs)
    return req, plan(req)


def test_planner_reads_the_calendar_like_a_hand_made_session(pw, db):
    add_entry("libur_daerah", WEDNESDAY, "Hari jadi Kota Uji", region=pw.kab.kode)
    add_entry("libur_daerah", TUESDAY, "Hari jadi Kabupaten Lain", region=pw.other_kab.kode)
    add_entry("ujian_sekolah", THURSDAY, "Ujian SMA", region=pw.kab.kode, last=FRIDAY)
    pw.site3.unavailable_dates = MONDAY.isoformat()
    db.session.commit()
    req, result = _plan(pw, MONDAY, FRIDAY)
    sites = {s.id: s for s in req.sites}
    assert WEDNESDAY in req.extra_holidays and TUESDAY not in req.extra_holidays
    assert req.working_days() == (MONDAY, TUESDAY, THURSDAY, FRIDAY)
    assert {THURSDAY, FRIDAY} <= sites[pw.school.id].blocked_dates
    assert not {THURSDAY, FRIDAY} & sites[pw.site1.id].blocked_dates
    assert MONDAY in sites[pw.site3.id].blocked_dates and MONDAY not in sites[pw.site1.id].blocked_dates
    assert result.items
    for item in result.items:
        assert item.date != WEDNESDAY
        assert not (item.site_id == pw.school.id and item.date in (THURSDAY, FRIDAY)), item
        assert not (item.site_id == pw.site3.id and item.date == MONDAY), item


def test_planner_skips_cuti_bersama(pw, db):
    req, result = _plan(pw, date(2026, 12, 21), date(2026, 12, 25))
    assert req.working_days() == (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23))
    assert result.items and all(item.date not in (CHRISTMAS_EVE, date(2026, 12, 25)) for item in result.items)


def test_planner_follows_a_corrected_package_day(pw, db):
    add_entry("bukan_libur", CHRISTMAS_EVE, "Cuti bersama Natal dibatalkan")
    req, _result = _plan(pw, date(2026, 12, 21), date(2026, 12, 25))
    assert CHRISTMAS_EVE in req.working_days() and date(2026, 12, 25) not in req.working_days()


# ---------------------------------------------------------------- the demo and the calendar page

@pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))
def test_demo_seeding_follows_the_calendar(db, world):
    rt = builders.make_site(world.desa2.kode, "Balai RW 03")
    school = builders.make_site(world.desa1.kode, "SMA Negeri Demo", type="sekolah", pemilih_pemula=90)
    team2 = builders.make_team("33.74", "Tim Keliling Demo 2")
    kits = [world.kit, builders.make_kit(team2, "KIT-D2")]
    world.site1.unavailable_dates = "2026-11-01..2027-01-31"
    db.session.commit()
    add_entry("libur_daerah", date(2026, 12, 16), "Hari jadi Kota Uji", region=world.kab.kode)
    add_entry("ujian_sekolah", date(2026, 12, 14), "Ujian SMA", region=world.kab.kode, last=date(2027, 1, 8))
    demo = SimpleNamespace(kabupaten=world.kab, kecamatan_codes=["33.74.01"], coordinator_kecamatan=world.kec1,
                           sites=[world.site1, rt, school], teams=[world.team, team2], kits=kits,
                           users={u.username: u for u in world.users.values()})
    created = planning_demo.seed(demo)
    db.session.commit()
    sessions = db.session.scalars(sa.select(RecordingSession)).all()
    assert len(created) == len(sessions) >= 10
    days = {s.date for s in sessions} | {s.end_date for s in sessions if s.end_date}
    assert not days & {date(2026, 12, 16), CHRISTMAS_EVE, date(2026, 12, 25)}
    assert all(s.site_id == rt.id for s in sessions if date(2026, 12, 14) <= s.date <= date(2027, 1, 8))
    assert world.site1.id not in {s.site_id for s in sessions}


def _cell(html: str, day: date) -> str:
    import re

    m = re.search(r'<td[^>]*data-date="%s".*?</td>' % day.isoformat(), html, re.S)
    assert m, f"no calendar cell for {day}"
    return m.group(0)


def test_calendar_page_shows_the_calendar_days_of_the_viewer(client, login_as, pw, db):
    add_entry("libur_daerah", WEDNESDAY, "Hari jadi Kota Uji", region=pw.kab.kode)
    add_entry("libur_daerah", TUESDAY, "Hari jadi Kabupaten Lain", region=pw.other_kab.kode)
    add_entry("ujian_sekolah", THURSDAY, "Ujian SMA", region=pw.kab.kode, last=FRIDAY)
    add_entry("hari_pemilu", MONDAY, "Pemungutan suara ulang")
    login_as("coordinator")
    html = client.get("/kalender?month=2027-01").get_data(as_text=True)
    assert "jb-holiday" in _cell(html, WEDNESDAY) and "Hari jadi Kota Uji" in _cell(html, WEDNESDAY)
    assert "Hari jadi Kabupaten Lain" not in html and "jb-holiday" not in _cell(html, TUESDAY)
    assert "jb-exam" in _cell(html, THURSDAY) and "Ujian SMA" in _cell(html, FRIDAY)
    assert "jb-holiday" not in _cell(html, THURSDAY)
    assert "Pemungutan suara ulang" in _cell(html, MONDAY)
    html = client.get("/kalender?month=2026-12").get_data(as_text=True)
    assert "jb-holiday" in _cell(html, CHRISTMAS_EVE) and "Cuti Bersama Hari Raya Natal" in _cell(html, CHRISTMAS_EVE)
    # An unscoped admin looking at all kecamatan sees the national days only.
    login_as("admin")
    html = client.get("/kalender?month=2027-01&kecamatan=").get_data(as_text=True)
    assert "Pemungutan suara ulang" in html and "Hari jadi Kota Uji" not in html
    assert "Hari jadi Kota Uji" in client.get(f"/kalender?month=2027-01&kecamatan={pw.kec1.kode}").get_data(
        as_text=True)
