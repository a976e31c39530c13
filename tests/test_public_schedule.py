"""The public schedule (/jadwal/<kode>) and its iCal feed: levels, what is listed, no personal data, caching."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from outreach import public_schedule as rules
from outreach.extensions import db as _db
from outreach.models import SessionPostponement
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=WIB)  # Monday 14 December 2026, 09.00 WIB
TODAY = NOW.date()
pytestmark = pytest.mark.at(NOW)

SECRETS = ("Ibu Sumiyati", "Bapak Darto", "0812-3456-7890", "628123456789", "Catatan rahasia tim",
           "Jl. Kenanga Gg. 3 No. 7", "Mbah Karto (stroke)", "Tim Keliling 1", "KIT-A", "Pak RT Slamet",
           "Kuota 150 orang", "hujan deras")


@pytest.fixture()
def sched(world):
    """Sessions in and around the coordinator's kecamatan, each carrying personal data that must not show."""
    w = world
    b = builders
    w.site1.contact_name, w.site1.contact_phone, w.site1.notes = "Bapak Darto", "0812-3456-7890", "Catatan rahasia tim"
    w.site1.address = "Jl. Balai No. 1"
    home = b.make_site(w.desa2.kode, "Mbah Karto (stroke)", type="rumah", address="Jl. Kenanga Gg. 3 No. 7",
                       rt=3, rw=5, contact_name="Ibu Sumiyati", contact_phone="628123456789", lat=-7.123, lng=110.456)
    school = b.make_site(w.desa1.kode, "SMA Negeri Uji", type="sekolah", contact_name="Pak RT Slamet")
    s = {
        "confirmed": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 16), status="terkonfirmasi",
                                    confirmed_with="Pak RT Slamet", notes="Kuota 150 orang", expected_turnout=4321,
                                    target_groups=["umum", "lansia_disabilitas"]),
        "planned": b.make_session(school, w.team, [w.kit], day=date(2026, 12, 17), start="09:00", end="13:00",
                                  target_groups=["pemilih_pemula"]),
        "today": b.make_session(w.site1, w.team, [w.kit], day=TODAY, start="13:00", end="15:00"),
        "home": b.make_session(home, w.team, [w.kit], day=date(2026, 12, 18), start="10:00", end="11:00",
                               target_groups=["lansia_disabilitas"], notes="hujan deras"),
        "sosialisasi": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 21), kind="sosialisasi"),
        "moved": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 22), status="ditunda"),
        "kec2": b.make_session(w.site2, w.team, [w.kit], day=date(2026, 12, 16)),
        "past": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 11), status="terkonfirmasi"),
        "done": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 15), status="selesai"),
        "cancelled": b.make_session(w.site1, w.team, [w.kit], day=date(2026, 12, 15), status="dibatalkan",
                                    cancel_reason="hujan deras"),
        "far": b.make_session(w.site1, w.team, [w.kit], day=TODAY + timedelta(days=61)),
        "other_kab": b.make_session(w.other_site, w.team, [w.kit], day=date(2026, 12, 16)),
    }
    _db.session.add(SessionPostponement(session_id=s["moved"].id, old_date=date(2026, 12, 15), old_start_time=time(8),
                                        old_end_time=time(12), new_date=date(2026, 12, 22), new_start_time=time(8),
                                        new_end_time=time(12), reason="Pak RT Slamet berhalangan"))
    _db.session.commit()
    return {k: v.id for k, v in s.items()}


def listed(resp) -> set[int]:
    html = resp.get_data(as_text=True)
    import re

    return {int(m) for m in re.findall(r'data-session="(\d+)"', html)}


def feed(resp) -> dict:
    cal = Calendar.from_ical(resp.data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


# ---------------------------------------------------------------- levels and what is listed

def test_kecamatan_lists_upcoming_active_sessions_only(client, sched, world):
    resp = client.get(f"/jadwal/{world.kec1.kode}")
    assert resp.status_code == 200
    assert listed(resp) == {sched[k] for k in ("confirmed", "planned", "today", "home", "sosialisasi", "moved")}
    html = resp.get_data(as_text=True)
    assert "Senin, 14 Desember 2026" in html and "Rabu, 16 Desember 2026" in html
    assert "08.00–12.00" in html and "13.00–15.00" in html
    # Grouped by day, in date order.
    assert html.index("Senin, 14 Desember 2026") < html.index("Rabu, 16 Desember 2026") < html.index(
        "Selasa, 22 Desember 2026")


def test_kabupaten_and_desa_levels(client, sched, world):
    kab = client.get(f"/jadwal/{world.kab.kode}")
    assert kab.status_code == 200
    assert listed(kab) == {sched[k] for k in ("confirmed", "planned", "today", "home", "sosialisasi", "moved",
                                              "kec2")}
    desa = client.get(f"/jadwal/{world.desa2.kode}")
    assert desa.status_code == 200 and listed(desa) == {sched["home"]}
    province = client.get("/jadwal/33")
    assert province.status_code == 200 and sched["other_kab"] in listed(province)


def test_breadcrumb_children_share_and_request_links(client, sched, world):
    html = client.get(f"/jadwal/{world.kec1.kode}").get_data(as_text=True)
    assert f'href="/jadwal/{world.kab.kode}"' in html  # breadcrumb up
    assert f'href="/jadwal/{world.desa1.kode}"' in html and f'href="/jadwal/{world.desa2.kode}"' in html
    assert 'href="https://wa.me/?text=' in html and f"jadwal%2F{world.kec1.kode}" in html
    assert 'href="/permohonan"' in html
    assert f'/jadwal/{world.kec1.kode}.ics"' in html
    desa = client.get(f"/jadwal/{world.desa1.kode}").get_data(as_text=True)
    assert f'href="/permohonan?desa={world.desa1.kode}"' in desa


def test_who_should_come_what_to_bring_and_confirmation(client, sched, world):
    html = client.get(f"/jadwal/{world.kec1.kode}").get_data(as_text=True)
    assert "Pemilih pemula: remaja yang sudah berusia 17 tahun" in html
    assert "Kartu Keluarga (KK) asli atau fotokopi" in html
    assert "Sosialisasi: belum ada perekaman, tidak perlu membawa dokumen." in html
    assert "Sudah dikonfirmasi" in html and "Belum dikonfirmasi" in html
    assert "Jadwal baru (semula Sel, 15 Des)" in html


def test_home_visit_shows_neither_name_nor_address(client, sched, world):
    html = client.get(f"/jadwal/{world.desa2.kode}").get_data(as_text=True)
    assert "Kunjungan rumah (terjadwal)" in html
    for secret in ("Mbah Karto", "Kenanga", "RT 003", "RW 005", "-7.123", "110.456", "Lansia, disabilitas"):
        assert secret not in html


@pytest.mark.parametrize("level", ["kab", "kec1", "desa1", "desa2"])
def test_no_personal_data_in_page_or_feed(client, sched, world, level):
    kode = getattr(world, level).kode
    for path in (f"/jadwal/{kode}", f"/jadwal/{kode}.ics"):
        body = client.get(path).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, (path, secret)
        assert "4321" not in body  # no expected turnout


# ---------------------------------------------------------------- the feed

def test_ical_feed_is_valid_with_stable_uids_in_jakarta_time(client, sched, world):
    resp = client.get(f"/jadwal/{world.kec1.kode}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert resp.headers["Content-Type"].startswith("text/calendar; charset=utf-8")
    events = feed(resp)
    expected = {f"jadwal-{sched[k]}@jemput-bola" for k in ("confirmed", "planned", "today", "home", "sosialisasi",
                                                          "moved")}
    assert set(events) == expected
    e = events[f"jadwal-{sched['confirmed']}@jemput-bola"]
    assert e["dtstart"].dt == datetime(2026, 12, 16, 8, 0, tzinfo=WIB)
    assert e["dtend"].dt == datetime(2026, 12, 16, 12, 0, tzinfo=WIB)
    assert e["dtstart"].params["TZID"] == "Asia/Jakarta"
    assert str(e["status"]) == "CONFIRMED"
    assert "Kartu Keluarga" in str(e["description"])
    home = events[f"jadwal-{sched['home']}@jemput-bola"]
    assert "Kunjungan rumah" in str(home["summary"]) and "geo" not in home
    assert str(events[f"jadwal-{sched['planned']}@jemput-bola"]["status"]) == "TENTATIVE"
    cal = Calendar.from_ical(resp.data)
    assert cal.walk("VTIMEZONE") and str(cal["x-wr-timezone"]) == "Asia/Jakarta"
    # The UID of a session survives a move.
    from outreach.models import RecordingSession

    row = _db.session.get(RecordingSession, sched["planned"])
    row.date = date(2026, 12, 29)
    _db.session.commit()
    again = feed(client.get(f"/jadwal/{world.kec1.kode}.ics"))
    assert again[f"jadwal-{sched['planned']}@jemput-bola"]["dtstart"].dt.date() == date(2026, 12, 29)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("path", ["/jadwal/99.99", "/jadwal/33.74.09", "/jadwal/33.74.01.9999", "/jadwal/abc",
                                  "/jadwal/33.7", "/jadwal/" + "3" * 5000, "/jadwal/33.74.01.1001.01",
                                  "/jadwal/99.99.ics", "/jadwal/" + "1." * 3000 + ".ics", "/jadwal/33..74"])
def test_unknown_or_malformed_code_is_a_plain_404(client, world, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert "Wilayah tidak ditemukan" in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("path", ["/jadwal/%00", "/jadwal/33.74%00", "/jadwal/33.74.01.ics%00",
                                  "/jadwal/33.74?lang=%00"])
def test_nul_bytes_are_refused(client, world, path):
    resp = client.get(path)
    assert 400 <= resp.status_code < 500


# ---------------------------------------------------------------- caching

def test_anonymous_page_is_public_cacheable_with_etag_and_304(client, sched, world):
    for path in (f"/jadwal/{world.kec1.kode}", f"/jadwal/{world.kec1.kode}.ics"):
        resp = client.get(path)
        assert resp.status_code == 200
        cc = resp.cache_control
        assert cc.public and cc.max_age == 300 and not cc.no_store and not cc.private
        assert "no-store" not in resp.headers["Cache-Control"]
        assert resp.headers.get("ETag")
        assert "Set-Cookie" not in resp.headers
        assert "Content-Security-Policy" in resp.headers and resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(path, headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304 and not again.data
        assert again.headers["ETag"] == resp.headers["ETag"]


def test_etag_changes_with_the_schedule(client, sched, world):
    path = f"/jadwal/{world.kec1.kode}"
    first = client.get(path).headers["ETag"]
    from outreach.models import RecordingSession

    _db.session.get(RecordingSession, sched["planned"]).status = "dibatalkan"
    _db.session.commit()
    resp = client.get(path, headers={"If-None-Match": first})
    assert resp.status_code == 200 and resp.headers["ETag"] != first
    assert sched["planned"] not in listed(resp)


def test_language_changes_the_etag(client, sched, world):
    path = f"/jadwal/{world.kec1.kode}"
    indonesian = client.get(path)
    english = client.get(path + "?lang=en")
    assert english.status_code == 200
    assert english.headers["ETag"] != indonesian.headers["ETag"]


def test_no_form_and_no_script_on_the_page(client, sched, world):
    html = client.get(f"/jadwal/{world.kec1.kode}").get_data(as_text=True)
    assert "<form" not in html and "csrf" not in html.lower() and "<script" not in html
    assert "bootstrap" not in html.lower()


def test_signed_in_viewer_gets_a_private_copy(client, sched, world, login_as):
    login_as("coordinator")
    resp = client.get(f"/jadwal/{world.kec1.kode}")
    assert resp.status_code == 200
    cc = resp.cache_control
    assert cc.private and not cc.public and cc.max_age == 300 and not cc.no_store
    assert listed(resp) == {sched[k] for k in ("confirmed", "planned", "today", "home", "sosialisasi", "moved")}
    assert "Pengguna coordinator" not in resp.get_data(as_text=True)


def test_server_side_cache_recomputes_when_sessions_change(app, sched, world):
    area = rules.load_area(world.kec1.kode)
    first = rules.schedule_for(area, TODAY)
    assert rules.schedule_for(area, TODAY) is first  # unchanged data: the remembered value
    from outreach.models import RecordingSession

    builders.make_session(world.site1, world.team, [world.kit], day=date(2026, 12, 23))
    _db.session.commit()
    second = rules.schedule_for(area, TODAY)
    assert second is not first and len(second.sessions) == len(first.sessions) + 1
    assert _db.session.get(RecordingSession, sched["confirmed"]) is not None


# ---------------------------------------------------------------- the pure shaping

def test_shape_drops_personal_data_and_groups_by_day():
    area = rules.Area(kode="33.74.01", nama="Satu", kind="kecamatan", level="kecamatan")
    base = dict(end_date=None, start_time=time(8), end_time=time(12), kind="perekaman", confirmation_status=None,
                kecamatan_kode="33.74.01", version=1, updated_at=None, lat=-7.0, lng=110.0)
    rows = [dict(base, id=1, date=date(2026, 12, 12), end_date=date(2026, 12, 15), status="rencana",
                 target_groups=["umum"], desa_kode="33.74.01.1001", nama="Balai", type="balai_desa"),
            dict(base, id=2, date=date(2026, 12, 16), status="terkonfirmasi", target_groups=["lansia_disabilitas"],
                 desa_kode="33.74.01.1001", nama="Mbah Karto", type="rumah")]
    schedule = rules.shape(area, TODAY, TODAY + timedelta(days=60), rows, {"33.74.01.1001": "Kelurahan A"})
    assert [d for d, _items in schedule.days] == [TODAY, date(2026, 12, 16)]  # a running session is listed today
    home = schedule.sessions[1]
    assert home.home_visit and home.place == "" and home.lat is None and home.groups == () and home.confirmed
    assert rules.place_text(home) == "Kunjungan rumah (terjadwal), Kelurahan A"
    assert rules.who_should_come(home) == [rules.HOME_VISIT_WHO]
    assert rules.what_to_bring(schedule.sessions[0])[0].startswith("Kartu Keluarga (KK)")


def test_staff_pages_link_to_the_public_schedule(client, sched, world, login_as):
    login_as("coordinator")
    detail = client.get(f"/sesi/{sched['confirmed']}").get_data(as_text=True)
    assert f'href="/jadwal/{world.desa1.kode}"' in detail and 'data-testid="public-schedule-link"' in detail
    kecamatan = client.get(f"/wilayah/{world.kec1.kode}").get_data(as_text=True)
    assert f'href="/jadwal/{world.kec1.kode}"' in kecamatan
    desa = client.get(f"/wilayah/{world.desa1.kode}").get_data(as_text=True)
    assert f'href="/jadwal/{world.desa1.kode}"' in desa
