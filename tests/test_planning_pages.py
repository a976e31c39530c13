"""Planning pages: calendar (month/week, kecamatan/team), session list, session page, create/edit form
with conflicts, status changes, printed schedule, "jadwalkan" links, and the demo on first start."""
import re
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from outreach.extensions import db as _db
from outreach.models import AuditEntry, RecordingSession, SessionPostponement
from tests import builders

MONDAY = date(2026, 5, 11)  # a plain working Monday; "today" is frozen at Monday 2026-05-04
SATURDAY = date(2026, 5, 16)
ASCENSION = date(2026, 5, 14)  # public holiday (Kenaikan Yesus Kristus)


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture()
def pw(world, frozen):
    return builders.make_planning_world(world)


def cell(html: str, day: date) -> str:
    """The calendar cell of `day` (its <td> ... </td>)."""
    m = re.search(r'<td[^>]*data-date="%s".*?</td>' % day.isoformat(), html, re.S)
    assert m, f"no calendar cell for {day}"
    return m.group(0)


def count(model=RecordingSession) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


@contextmanager
def statements():
    """Count the SQL statements sent to the database inside the block."""
    seen = []

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def form_data(pw, **kw):
    data = {"site_id": str(pw.site1.id), "date": MONDAY.isoformat(), "start": "08:00", "end": "12:00",
            "team_id": str(pw.team.id), "kit_ids": [str(pw.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "", "override_reason": "", "submit": "Simpan"}
    data.update(kw)
    return data


# ---------------------------------------------------------------- calendar

def test_month_calendar_shows_sessions_on_their_days(client, login_as, pw):
    one = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    two_days = builders.make_session(pw.school, pw.team2, [pw.team2_kit], day=date(2026, 5, 12),
                                     end_date=date(2026, 5, 13), start="09:00", end="13:00")
    elsewhere = builders.make_session(pw.site2, pw.team, [pw.kit2], day=MONDAY)  # kecamatan Dua
    _db.session.commit()
    login_as("coordinator")
    resp = client.get("/kalender?view=month&month=2026-05")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert re.search(r'data-testid="calendar-title">\s*Kalender Kecamatan Kecamatan Satu', html)
    assert f"/sesi/{one.id}" in cell(html, MONDAY)
    assert "08.00" in cell(html, MONDAY) and "Balai Kelurahan Satu A" in cell(html, MONDAY)
    for day in (date(2026, 5, 12), date(2026, 5, 13)):
        assert f"/sesi/{two_days.id}" in cell(html, day)
    assert f"/sesi/{two_days.id}" not in cell(html, date(2026, 5, 14))
    assert f"/sesi/{elsewhere.id}" not in html  # another kecamatan's session never shows
    assert 'jb-status-rencana' in cell(html, MONDAY)
    # the grid covers the whole month, Monday first
    assert 'data-date="2026-04-27"' in html and 'data-date="2026-05-31"' in html


def test_calendar_marks_holidays_and_weekends(client, login_as, pw):
    login_as("coordinator")
    html = client.get("/kalender?month=2026-05").get_data(as_text=True)
    holiday = cell(html, ASCENSION)
    assert "jb-holiday" in holiday and "Kenaikan" in holiday
    assert "jb-weekend" in cell(html, SATURDAY)
    assert "jb-weekend" not in cell(html, MONDAY)


def test_plus_in_each_day_opens_the_form_with_the_date_for_planners_only(client, login_as, pw):
    login_as("coordinator")
    html = client.get("/kalender?month=2026-05").get_data(as_text=True)
    assert '/sesi/baru?date=2026-05-20' in cell(html, date(2026, 5, 20))
    assert "/sesi/baru" not in cell(html, date(2026, 5, 1))  # the past cannot be planned
    form = client.get("/sesi/baru?date=2026-05-20").get_data(as_text=True)
    assert 'value="2026-05-20"' in form
    login_as("manager")
    html = client.get("/kalender?month=2026-05&kecamatan=33.74.01").get_data(as_text=True)
    assert "/sesi/baru" not in html


def test_week_view_shows_seven_days_from_monday(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    html = client.get("/kalender?view=week&start=2026-05-13").get_data(as_text=True)
    days = re.findall(r'<td[^>]*data-date="([0-9-]+)"', html)
    assert days == [(MONDAY + timedelta(days=i)).isoformat() for i in range(7)]
    assert f"/sesi/{s.id}" in cell(html, MONDAY) and "08.00–12.00" in cell(html, MONDAY)
    # The agenda (the phone's view) lists the days of that week that have sessions or days off.
    agenda_days = re.findall(r'<li class="jb-agenda-day[^"]*" data-date="([0-9-]+)"', html)
    assert agenda_days == [MONDAY.isoformat(), ASCENSION.isoformat(), (ASCENSION + timedelta(days=1)).isoformat()]  # + cuti bersama


def test_manager_chooses_a_kecamatan_in_scope(client, login_as, pw):
    mine = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    dua = builders.make_session(pw.site2, pw.team2, [pw.team2_kit], day=MONDAY)
    dua2 = builders.make_session(pw.site2, pw.team2, [pw.team2_kit], day=MONDAY + timedelta(days=1))
    _db.session.commit()
    login_as("manager")
    html = client.get("/kalender?month=2026-05").get_data(as_text=True)  # default: the busiest kecamatan
    assert f"/sesi/{dua.id}" in html and f"/sesi/{dua2.id}" in html and f"/sesi/{mine.id}" not in html
    html = client.get("/kalender?month=2026-05&kecamatan=33.74.01").get_data(as_text=True)
    assert f"/sesi/{mine.id}" in html and f"/sesi/{dua.id}" not in html
    html = client.get("/kalender?month=2026-05&kecamatan=").get_data(as_text=True)  # all of the kabupaten
    assert f"/sesi/{mine.id}" in html and f"/sesi/{dua.id}" in html
    assert client.get("/kalender?kecamatan=33.01.01").status_code == 404  # another kabupaten


def test_coordinator_sees_only_its_kecamatan(client, login_as, pw):
    login_as("coordinator")
    assert client.get("/kalender?kecamatan=33.74.02").status_code == 404


def test_field_user_sees_its_team_calendar_with_the_feed_link(client, login_as, pw):
    own = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    other = builders.make_session(pw.site3, pw.team2, [pw.team2_kit], day=MONDAY)
    _db.session.commit()
    login_as("field")
    resp = client.get("/kalender?month=2026-05")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Kalender Tim Keliling 1" in html
    assert f"/sesi/{own.id}" in html and f"/sesi/{other.id}" not in html
    assert f"/kalender/tim/{pw.team.id}/{pw.team.calendar_secret}.ics" in html
    assert "/sesi/baru" not in html
    # another team's calendar, or a session of another team: not found
    assert client.get(f"/kalender?team={pw.team2.id}").status_code == 404
    assert client.get(f"/sesi/{other.id}").status_code == 404
    assert client.get(f"/kalender?team={pw.team.id}").status_code == 200


def test_team_calendar_for_admin_shows_feed_link_coordinator_does_not(client, login_as, pw):
    builders.make_session(pw.site1, pw.team2, [pw.team2_kit], day=MONDAY)
    _db.session.commit()
    login_as("admin")
    html = client.get(f"/kalender?team={pw.team2.id}&month=2026-05").get_data(as_text=True)
    assert "Kalender Tim Keliling 2" in html
    assert f"/kalender/tim/{pw.team2.id}/{pw.team2.calendar_secret}.ics" in html
    login_as("coordinator")
    html = client.get(f"/kalender?team={pw.team2.id}&month=2026-05").get_data(as_text=True)
    assert "Kalender Tim Keliling 2" in html and pw.team2.calendar_secret not in html
    assert client.get("/kalender?team=999999").status_code == 404


def _busy_month(pw, n: int):
    sites = [pw.site1, pw.site3, pw.school]
    teams = [(pw.team, [pw.kit]), (pw.team2, [pw.team2_kit]), (pw.team, [pw.kit2])]
    for i in range(n):
        team, kits = teams[i % 3]
        builders.make_session(sites[i % 3], team, kits, day=date(2026, 5, 1) + timedelta(days=i % 31),
                              start=f"{7 + i % 8:02d}:00", end=f"{8 + i % 8:02d}:00",
                              status=("rencana", "terkonfirmasi", "selesai", "ditunda", "dibatalkan")[i % 5])
    _db.session.commit()


def test_calendar_month_page_uses_a_bounded_number_of_queries(client, login_as, pw):
    login_as("coordinator")
    _busy_month(pw, 10)
    client.get("/kalender")  # warm up what the app caches once (not per page)
    with statements() as few:
        assert client.get("/kalender?month=2026-05").status_code == 200
    _busy_month(pw, 100)
    with statements() as many:
        html = client.get("/kalender?month=2026-05").get_data(as_text=True)
    assert "110 sesi pada periode ini" in html
    print(f"calendar month queries: {len(few)} with 10 sessions, {len(many)} with 110")
    assert len(many) <= 10, many
    assert len(many) == len(few)
    login_as("manager")
    with statements() as manager:
        assert client.get("/kalender?month=2026-05").status_code == 200
    assert len(manager) <= 10, manager


# ---------------------------------------------------------------- session list

def test_session_list_filters_and_paginates(app, client, login_as, pw):
    a = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="terkonfirmasi")
    b = builders.make_session(pw.school, pw.team2, [pw.team2_kit], day=MONDAY + timedelta(days=1))
    c = builders.make_session(pw.site3, pw.team, [pw.kit], day=MONDAY + timedelta(days=8), status="dibatalkan")
    d = builders.make_session(pw.site2, pw.team, [pw.kit], day=MONDAY)  # kecamatan Dua: never listed
    _db.session.commit()
    login_as("coordinator")

    def ids(query=""):
        html = client.get("/sesi" + query).get_data(as_text=True)
        return {int(x) for x in re.findall(r'<tr data-session-id="(\d+)"', html)}

    assert ids() == {a.id, b.id, c.id}
    assert ids("?status=terkonfirmasi") == {a.id}
    assert ids(f"?team_id={pw.team2.id}") == {b.id}
    assert ids("?site_type=sekolah") == {b.id}
    assert ids(f"?desa={pw.desa2.kode}") == {c.id}
    assert ids("?from=2026-05-12&to=2026-05-13") == {b.id}
    assert d.id not in ids("?desa=" + pw.desa3.kode)
    bad = client.get("/sesi?from=kemarin").get_data(as_text=True)
    assert "bukan tanggal yang sah" in bad
    app.config["PER_PAGE"] = 2
    try:
        first, second = ids(), ids("?page=2")
    finally:
        app.config["PER_PAGE"] = 50
    assert len(first) == 2 and len(second) == 1 and not first & second


def test_session_list_is_for_staff(client, login_as, pw):
    login_as("field")
    assert client.get("/sesi").status_code == 403


# ---------------------------------------------------------------- session page

def test_session_page_shows_map_turnout_kits_team_status_and_announcement(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit, pw.kit2], day=MONDAY, expected_turnout=96,
                              turnout_reasoning="Kapasitas: 2 alat × 4 jam × 12 orang per alat per jam = 96.")
    _db.session.commit()
    login_as("coordinator")
    resp = client.get(f"/sesi/{s.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="site-map"' in html and "/vendor/leaflet/leaflet.js" in html and "site_map.js" in html
    assert '"lat": -7.0' in html or '"lat":-7.0' in html
    assert "96 orang" in html and "Kapasitas: 2 alat" in html
    assert "KIT-A" in html and "KIT-B" in html and "Tim Keliling 1" in html
    assert "Senin, 11 Mei 2026" in html
    for label in ("Konfirmasi", "Tunda", "Batalkan"):
        assert f">{label}</button>" in html
    assert 'id="announcement-text"' in html and "Kartu Keluarga (KK)" in html
    assert 'data-copy-target="announcement-text"' in html and "planning.js" in html


def test_session_page_for_manager_and_field_has_no_status_actions(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    for role in ("manager", "field"):
        login_as(role)
        html = client.get(f"/sesi/{s.id}").get_data(as_text=True)
        assert "Teks pengumuman" in html
        assert 'data-testid="status-actions"' not in html and "/ubah" not in html


def test_session_of_another_kecamatan_is_not_found(client, login_as, pw):
    s = builders.make_session(pw.site2, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    assert client.get(f"/sesi/{s.id}").status_code == 404
    assert client.get(f"/sesi/{s.id}/ubah").status_code == 404
    assert client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": "x"}).status_code == 404


# ---------------------------------------------------------------- create and edit

def test_create_from_the_form(client, login_as, pw):
    login_as("coordinator")
    resp = client.post("/sesi/baru", data=form_data(pw, end_date="2026-05-12", notes="Undangan lewat RT"))
    assert resp.status_code == 302
    s = _db.session.scalars(sa.select(RecordingSession)).one()
    assert resp.headers["Location"].endswith(f"/sesi/{s.id}")
    assert (s.date, s.end_date, s.start_time, s.site_id) == (MONDAY, date(2026, 5, 12), time(8), pw.site1.id)
    assert s.kit_ids == [pw.kit.id] and s.status == "rencana" and s.notes == "Undangan lewat RT"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Sesi direncanakan." in page


def test_kit_conflict_names_the_other_session_and_saves_nothing(client, login_as, pw):
    other = builders.make_session(pw.site3, pw.team2, [pw.kit], day=MONDAY, start="08:00", end="12:00")
    _db.session.commit()
    login_as("coordinator")
    resp = client.post("/sesi/baru", data=form_data(pw, start="09:00", end="11:00",
                                                   notes="Catatan yang diketik tidak hilang"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Alat KIT-A sudah dipakai pada waktu yang sama di Balai Desa Satu B" in html
    assert f"sesi #{other.id}" in html and f'href="/sesi/{other.id}"' in html
    assert "Catatan yang diketik tidak hilang" in html and 'value="09:00"' in html  # typed input kept
    assert count() == 1
    # resolved: another kit
    resp = client.post("/sesi/baru", data=form_data(pw, start="09:00", end="11:00", kit_ids=[str(pw.kit2.id)]))
    assert resp.status_code == 302 and count() == 2


def test_every_conflict_is_shown_errors_first(client, login_as, pw):
    other = builders.make_session(pw.site3, pw.team, [pw.kit], day=SATURDAY, start="08:00", end="12:00")
    _db.session.commit()
    login_as("coordinator")
    html = client.post("/sesi/baru", data=form_data(pw, date=SATURDAY.isoformat())).get_data(as_text=True)
    kinds = re.findall(r'<li data-kind="([a-z_]+)" data-severity="(\w+)"', html)
    assert ("team_overlap", "error") in kinds and ("kit_overlap", "error") in kinds and ("weekend", "warning") in kinds
    assert [sev for _, sev in kinds] == sorted((sev for _, sev in kinds), key=lambda x: x != "error")
    assert "jatuh pada akhir pekan" in html and f"sesi #{other.id}" in html
    assert count() == 1


def test_a_warning_is_overridden_with_a_reason(client, login_as, pw):
    login_as("coordinator")
    resp = client.post("/sesi/baru", data=form_data(pw, date=SATURDAY.isoformat()))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "isi alasan mengabaikan peringatan" in html and "akhir pekan" in html and count() == 0
    resp = client.post("/sesi/baru", data=form_data(pw, date=SATURDAY.isoformat(),
                                                   override_reason="Warga bekerja di pabrik pada hari kerja"))
    assert resp.status_code == 302
    s = _db.session.scalars(sa.select(RecordingSession)).one()
    assert s.date == SATURDAY and s.override_reason == "Warga bekerja di pabrik pada hari kerja"


def test_holiday_is_a_warning_that_can_be_overridden(client, login_as, pw):
    login_as("coordinator")
    html = client.post("/sesi/baru", data=form_data(pw, date=ASCENSION.isoformat())).get_data(as_text=True)
    assert "hari libur nasional" in html and count() == 0


def test_errors_cannot_be_overridden(client, login_as, pw):
    builders.make_session(pw.site3, pw.team2, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    resp = client.post("/sesi/baru", data=form_data(pw, override_reason="Saya yakin"))
    assert resp.status_code == 409 and count() == 1


def test_bad_input_gets_indonesian_messages_and_keeps_what_was_typed(client, login_as, pw):
    login_as("coordinator")
    resp = client.post("/sesi/baru", data=form_data(pw, date="bukan-tanggal", end="07:00", kit_ids=[],
                                                   notes="Jangan hilang"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "bukan tanggal yang sah" in html
    assert 'value="bukan-tanggal"' in html and "Jangan hilang" in html
    resp = client.post("/sesi/baru", data=form_data(pw, end="07:00", kit_ids=[]))
    html = resp.get_data(as_text=True)
    assert "Jam selesai harus setelah jam mulai" in html and "Pilih minimal satu alat" in html
    resp = client.post("/sesi/baru", data=form_data(pw, notes="x" * 10_000))
    assert "terlalu panjang" in resp.get_data(as_text=True)
    resp = client.post("/sesi/baru", data=form_data(pw, site_id=str(pw.site2.id)))  # another kecamatan
    assert "di luar kecamatan Anda" in resp.get_data(as_text=True)
    resp = client.post("/sesi/baru", data=form_data(pw, date="2026-05-01"))
    assert "sudah lewat" in resp.get_data(as_text=True)
    assert count() == 0


def test_check_button_shows_conflicts_and_estimate_without_saving(client, login_as, pw):
    login_as("coordinator")
    data = form_data(pw)
    data.pop("submit")
    data["check"] = "Periksa jadwal"
    resp = client.post("/sesi/baru", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Perkiraan hadir: 48 orang" in html
    assert "tidak ada bentrok" in html and count() == 0


def test_new_form_prefills_site_date_and_team(client, login_as, pw):
    login_as("coordinator")
    html = client.get(f"/sesi/baru?site={pw.school.id}&date=2026-05-20&team={pw.team2.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{pw.school.id}"|<option value="{pw.school.id}" selected', html)
    assert 'value="2026-05-20"' in html
    assert re.search(rf'<option selected value="{pw.team2.id}"|<option value="{pw.team2.id}" selected', html)
    assert re.search(r'value="pemilih_pemula" id="group-pemilih_pemula" checked', html)  # a school
    assert "Balai Kelurahan Dua A" not in html  # sites of another kecamatan are not offered
    # a site of another kecamatan is not prefilled
    html = client.get(f"/sesi/baru?site={pw.site2.id}").get_data(as_text=True)
    assert f'value="{pw.site2.id}" selected' not in html


def test_jadwalkan_from_desa_lists_that_desa_s_sites(client, login_as, pw):
    login_as("coordinator")
    html = client.get(f"/sesi/baru?desa={pw.desa2.kode}").get_data(as_text=True)
    assert "Balai Desa Satu B" in html and "Balai Kelurahan Satu A" not in html


def test_site_and_desa_pages_link_to_jadwalkan(client, login_as, pw):
    login_as("coordinator")
    html = client.get(f"/lokasi/{pw.site1.id}").get_data(as_text=True)
    assert f"/sesi/baru?site={pw.site1.id}" in html and "Jadwalkan" in html
    html = client.get(f"/wilayah/{pw.desa1.kode}").get_data(as_text=True)
    assert f"/sesi/baru?desa={pw.desa1.kode}" in html
    login_as("manager")
    assert "/sesi/baru" not in client.get(f"/lokasi/{pw.site1.id}").get_data(as_text=True)


def test_edit_a_session(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    html = client.get(f"/sesi/{s.id}/ubah").get_data(as_text=True)
    assert 'value="2026-05-11"' in html and 'value="08:00"' in html
    assert f'value="{pw.kit.id}" id="kit-{pw.kit.id}" checked' in html
    resp = client.post(f"/sesi/{s.id}/ubah", data=form_data(pw, start="09:00", end="13:00", version=str(s.version)))
    assert resp.status_code == 302
    _db.session.refresh(s)
    assert (s.start_time, s.end_time) == (time(9), time(13))
    html = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "Diubah" in html and "08.00 → 09.00" in html
    # a stale version is refused
    resp = client.post(f"/sesi/{s.id}/ubah", data=form_data(pw, start="10:00", end="13:00", version="1"))
    assert resp.status_code == 409 and "baru saja diubah" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- status changes

def test_confirm_needs_the_contact_then_records_who_and_when(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "konfirmasi", "konfirmasi-confirmed_with": " "})
    assert resp.status_code == 422 and "Isi nama kontak" in resp.get_data(as_text=True)
    resp = client.post(f"/sesi/{s.id}/status", data={
        "aksi": "konfirmasi", "konfirmasi-confirmed_with": "Pak Lurah Satu",
        "konfirmasi-confirmed_at": "2026-05-04T09:30"})
    assert resp.status_code == 302
    _db.session.refresh(s)
    assert s.status == "terkonfirmasi" and s.confirmed_with == "Pak Lurah Satu"
    at = s.confirmed_at if s.confirmed_at.tzinfo else s.confirmed_at.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
    assert at == datetime(2026, 5, 4, 2, 30, tzinfo=timezone.utc)  # typed as 09.30 WIB
    html = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "Sesi dikonfirmasi." in html and "Pak Lurah Satu" in html and "Rencana → Terkonfirmasi" in html


def test_cancel_without_a_reason_is_refused(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": ""})
    assert resp.status_code == 422 and "Alasan pembatalan wajib diisi" in resp.get_data(as_text=True)
    _db.session.refresh(s)
    assert s.status == "rencana"
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": "Balai dipakai hajatan"})
    assert resp.status_code == 302
    _db.session.refresh(s)
    assert s.status == "dibatalkan" and s.cancel_reason == "Balai dipakai hajatan"
    html = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "PENGUMUMAN PEMBATALAN" in html and 'data-testid="status-actions"' not in html


def test_postpone_keeps_the_old_date_in_the_history(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="terkonfirmasi")
    _db.session.commit()
    login_as("coordinator")
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "tunda", "tunda-new_date": "",
                                                     "tunda-reason": "Lurah berhalangan"})
    assert resp.status_code == 422 and "Tanggal baru wajib diisi" in resp.get_data(as_text=True)
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "tunda", "tunda-new_date": "2026-05-18",
                                                     "tunda-reason": "Lurah berhalangan"})
    assert resp.status_code == 302
    _db.session.refresh(s)
    assert s.status == "ditunda" and s.date == date(2026, 5, 18)
    p = _db.session.scalars(sa.select(SessionPostponement)).one()
    assert (p.old_date, p.new_date, p.reason) == (MONDAY, date(2026, 5, 18), "Lurah berhalangan")
    html = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert 'data-testid="postponements"' in html and "Sen, 11 Mei 2026" in html and "Sen, 18 Mei 2026" in html
    assert "JADWAL BARU" in html and "semula Senin, 11 Mei 2026" in html
    assert "Sen, 11 Mei → Sen, 18 Mei" in html  # audit trail: old → new, as the pages write days
    assert "2026-05-11" not in html.split('data-testid="audit-trail"', 1)[1]


def test_postpone_onto_a_clash_shows_the_conflict(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    other = builders.make_session(pw.site3, pw.team, [pw.kit2], day=date(2026, 5, 18))
    _db.session.commit()
    login_as("coordinator")
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "tunda", "tunda-new_date": "2026-05-18"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and f"sesi #{other.id}" in html and 'data-open-action="tunda"' in html
    _db.session.refresh(s)
    assert s.date == MONDAY and s.status == "rencana"


def test_unknown_action_and_impossible_change(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="selesai")
    _db.session.commit()
    login_as("coordinator")
    assert client.post(f"/sesi/{s.id}/status", data={"aksi": "hapus"}).status_code == 302
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": "x"})
    assert resp.status_code == 422 and "tidak dapat diubah lagi" in resp.get_data(as_text=True)
    assert client.get(f"/sesi/{s.id}/ubah").status_code == 302


def test_status_post_needs_the_csrf_token(client, login_as, pw, csrf_on):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as_csrf = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_as_csrf).group(1)
    resp = client.post("/login", data={"username": "koordinator_uji", "password": builders.PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": "Tanpa token"})
    assert resp.status_code == 400
    page = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/sesi/{s.id}/status", data={"aksi": "batal", "batal-reason": "Dengan token",
                                                     "csrf_token": token})
    assert resp.status_code == 302


def test_mop_up_of_a_finished_session_prefills_the_form(client, login_as, pw):
    done = builders.make_session(pw.site1, pw.team, [pw.kit], day=date(2026, 4, 28), status="selesai")
    _db.session.commit()
    login_as("coordinator")
    html = client.get(f"/sesi/{done.id}").get_data(as_text=True)
    assert 'data-testid="mop-up"' in html
    resp = client.get(f"/sesi/baru?mop_up_of={done.id}&absentees=30")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "30 warga belum hadir" in html
    assert re.search(rf'<input[^>]*name="mop_up_of_id"[^>]*value="{done.id}"', html)
    date_value = re.search(r'<input[^>]*name="date"[^>]*value="([0-9-]+)"', html).group(1)
    assert date_value >= "2026-05-05"  # a week after the session, and after today
    data = {k: v for k, v in form_data(pw, date=date_value, mop_up_of_id=str(done.id), absentees="30").items()}
    resp = client.post("/sesi/baru", data=data)
    assert resp.status_code == 302
    new = _db.session.scalars(sa.select(RecordingSession).where(RecordingSession.mop_up_of_id == done.id)).one()
    assert new.site_id == done.site_id
    bad = client.get(f"/sesi/baru?mop_up_of={done.id}&absentees=banyak")
    assert bad.status_code == 302


# ---------------------------------------------------------------- printed schedule

def test_print_schedule_lists_the_kecamatan_sessions_by_desa(client, login_as, pw):
    pw.site1.contact_name, pw.site1.contact_phone, pw.site1.address = "Bu Lurah Satu", "0812-1111-2222", "Jl. Mawar 1"
    a = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="terkonfirmasi",
                              confirmed_with="Bu Lurah Satu")
    b = builders.make_session(pw.site3, pw.team2, [pw.team2_kit], day=MONDAY + timedelta(days=2), start="09:00",
                              end="13:00")
    cancelled = builders.make_session(pw.site3, pw.team, [pw.kit], day=MONDAY + timedelta(days=3), status="dibatalkan")
    late = builders.make_session(pw.site1, pw.team, [pw.kit], day=date(2026, 7, 1))
    _db.session.commit()
    login_as("coordinator")
    resp = client.get("/jadwal/cetak?from=2026-05-04&to=2026-05-31")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "css/print.css" in html and "Jadwal Perekaman E-KTP Keliling" in html
    assert "Kecamatan Kecamatan Satu" in html  # the world's kecamatan is called "Kecamatan Satu"
    assert re.search(r"<h2[^>]*>Kelurahan Satu A</h2>", html)  # its name already says Kelurahan
    assert re.search(r"<h2[^>]*>Desa Satu B</h2>", html)
    for s in (a, b):
        assert f'data-session-id="{s.id}"' in html
    assert f'data-session-id="{cancelled.id}"' not in html and f'data-session-id="{late.id}"' not in html
    assert "Senin, 11 Mei 2026" in html and "08.00–12.00<br>WIB" in html and "Jl. Mawar 1" in html
    assert "Bu Lurah Satu" in html and "0812-1111-2222" in html and "Tim Keliling 2" in html
    assert "2 sesi" in html


def test_print_schedule_scope(client, login_as, pw):
    builders.make_session(pw.site2, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("manager")
    html = client.get("/jadwal/cetak?kecamatan=33.74.02&from=2026-05-04&to=2026-05-31").get_data(as_text=True)
    assert "Balai Kelurahan Dua A" in html
    assert client.get("/jadwal/cetak?kecamatan=33.01.01").status_code == 404
    login_as("coordinator")
    html = client.get("/jadwal/cetak?kecamatan=33.74.02&from=2026-05-04&to=2026-05-31")
    assert html.status_code == 404
    login_as("field")
    html = client.get("/jadwal/cetak?from=2026-05-04&to=2026-05-31").get_data(as_text=True)
    assert "Tim Keliling 1" in html and "Balai Kelurahan Dua A" in html  # its own team's schedule
    assert client.get(f"/jadwal/cetak?team={pw.team2.id}").status_code == 404  # not its team
    login_as("admin")
    other = builders.make_session(pw.site1, pw.team2, [pw.team2_kit], day=MONDAY)
    _db.session.commit()
    html = client.get(f"/jadwal/cetak?team={pw.team2.id}&from=2026-05-04&to=2026-05-31").get_data(as_text=True)
    assert f'data-session-id="{other.id}"' in html and "Balai Kelurahan Dua A" not in html
    bad = client.get("/jadwal/cetak?from=2026-05-31&to=2026-05-01")
    assert "tidak boleh sebelum" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- the demo on first start

def test_every_planning_page_shows_something_on_the_demo(client, db):
    from outreach import demo, demo_data
    from outreach.models import Team, User

    demo.seed_demo()
    _db.session.commit()
    some = _db.session.scalars(sa.select(RecordingSession).order_by(RecordingSession.date)).first()
    assert some is not None
    for username in ("koordinator", "manajer", "admin", "lapangan"):
        client.post("/logout")
        resp = client.post("/login", data={"username": username, "password": demo_data.PASSWORD})
        assert resp.status_code == 302, username
        html = client.get("/kalender").get_data(as_text=True)
        total = int(re.search(r"(\d+) sesi pada periode ini", html).group(1))
        assert total > 0, username
        assert client.get("/jadwal/cetak").status_code == 200
        if username != "lapangan":
            listing = client.get("/sesi").get_data(as_text=True)
            assert re.search(r'<tr data-session-id="\d+"', listing), username
            assert client.get(f"/sesi/{some.id}").status_code == 200
    lapangan = _db.session.scalars(sa.select(User).where(User.username == "lapangan")).one()
    team = _db.session.get(Team, lapangan.team_id)
    feed = client.get(f"/kalender/tim/{team.id}/{team.calendar_secret}.ics").get_data(as_text=True)
    assert feed.count("BEGIN:VEVENT") > 0
    coordinator_print = None
    client.post("/logout")
    client.post("/login", data={"username": "koordinator", "password": demo_data.PASSWORD})
    coordinator_print = client.get("/jadwal/cetak").get_data(as_text=True)
    assert "data-session-id" in coordinator_print
    statuses = {s.status for s in _db.session.scalars(sa.select(RecordingSession))}
    assert {"selesai", "terkonfirmasi", "rencana", "dibatalkan", "ditunda"} <= statuses
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > 0


def test_list_and_print_pages_do_not_query_per_session(client, login_as, pw):
    login_as("coordinator")
    _busy_month(pw, 6)
    client.get("/sesi")  # warm up what the app caches once (not per page)
    with statements() as few_list:
        client.get("/sesi?from=2026-05-01&to=2026-05-31")
    with statements() as few_print:
        client.get("/jadwal/cetak?from=2026-05-01&to=2026-05-31")
    _busy_month(pw, 40)
    with statements() as many_list:
        client.get("/sesi?from=2026-05-01&to=2026-05-31")
    with statements() as many_print:
        html = client.get("/jadwal/cetak?from=2026-05-01&to=2026-05-31").get_data(as_text=True)
    assert html.count("<tr data-session-id=") > 30
    assert len(many_list) == len(few_list) and len(many_print) == len(few_print)


def test_pages_render_in_english_too(client, login_as, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    login_as("coordinator")
    client.post("/bahasa/en")
    for url in ("/kalender", "/kalender?view=week", "/sesi", f"/sesi/{s.id}", "/sesi/baru", f"/sesi/{s.id}/ubah",
                "/jadwal/cetak"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert '<html lang="en">' in resp.get_data(as_text=True), url
