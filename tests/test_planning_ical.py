"""The iCalendar feed per team: secret link (constant-time check, rotation), contents, stable UIDs."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from outreach.extensions import db as _db
from outreach.planning import ical, operations
from tests import builders

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 5, 11)


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture()
def pw(world, frozen):
    return builders.make_planning_world(world)


def feed_url(team, secret=None):
    return f"/kalender/tim/{team.id}/{secret or team.calendar_secret}.ics"


def events(resp) -> dict:
    cal = Calendar.from_ical(resp.data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_feed_holds_the_team_s_sessions_in_jakarta_time(client, pw):
    pw.site1.address = "Jl. Mawar 1"
    one = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="terkonfirmasi")
    two_days = builders.make_session(pw.school, pw.team, [pw.kit2], day=date(2026, 5, 12), end_date=date(2026, 5, 13),
                                     start="09:00", end="13:00", target_groups=["pemilih_pemula"])
    cancelled = builders.make_session(pw.site3, pw.team, [pw.kit], day=date(2026, 5, 15), status="dibatalkan")
    other_team = builders.make_session(pw.site3, pw.team2, [pw.team2_kit], day=MONDAY)
    _db.session.commit()
    resp = client.get(feed_url(pw.team))  # no login: the secret is the key
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    found = events(resp)
    assert set(found) == {f"sesi-{one.id}@jemput-bola", f"sesi-{two_days.id}@jemput-bola"}
    assert f"sesi-{cancelled.id}@jemput-bola" not in found and f"sesi-{other_team.id}@jemput-bola" not in found
    e = found[f"sesi-{one.id}@jemput-bola"]
    assert e["dtstart"].dt == datetime(2026, 5, 11, 8, 0, tzinfo=JAKARTA)
    assert e["dtend"].dt == datetime(2026, 5, 11, 12, 0, tzinfo=JAKARTA)
    assert e["dtstart"].params["TZID"] == "Asia/Jakarta"
    assert str(e["status"]) == "CONFIRMED"
    assert "Balai Kelurahan Satu A" in str(e["location"]) and "Jl. Mawar 1" in str(e["location"])
    assert "Senin, 11 Mei 2026" in str(e["description"]) and "Kartu Keluarga" in str(e["description"])
    assert f"/sesi/{one.id}" in str(e["url"])
    multi = found[f"sesi-{two_days.id}@jemput-bola"]
    assert multi["rrule"]["FREQ"] == ["DAILY"] and multi["rrule"]["COUNT"] == [2]  # 12 and 13 May, 09.00–13.00
    assert multi["dtstart"].dt == datetime(2026, 5, 12, 9, 0, tzinfo=JAKARTA)
    assert str(multi["status"]) == "TENTATIVE"
    assert "kartu pelajar" in str(multi["description"])
    assert b"BEGIN:VTIMEZONE" in resp.data and b"TZID:Asia/Jakarta" in resp.data


def test_wrong_secret_or_team_answers_404(client, pw):
    assert client.get(feed_url(pw.team, "salah-" + pw.team.calendar_secret)).status_code == 404
    assert client.get(feed_url(pw.team, pw.team2.calendar_secret)).status_code == 404  # another team's secret
    assert client.get(f"/kalender/tim/999999/{pw.team.calendar_secret}.ics").status_code == 404
    assert client.get(feed_url(pw.team)).status_code == 200


def test_rotating_the_secret_invalidates_the_old_link(client, login_as, pw):
    old = pw.team.calendar_secret
    login_as("admin")
    assert client.post(f"/admin/tim/{pw.team.id}/kalender").status_code == 302
    _db.session.refresh(pw.team)
    assert pw.team.calendar_secret != old
    client.post("/logout")
    assert client.get(feed_url(pw.team, old)).status_code == 404
    assert client.get(feed_url(pw.team)).status_code == 200


def test_uid_stays_when_a_session_is_postponed(client, pw):
    s = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    before = events(client.get(feed_url(pw.team)))[f"sesi-{s.id}@jemput-bola"]
    operations.postpone_session(pw.users["coordinator"], s, "2026-05-18", reason="Lurah berhalangan")
    after = events(client.get(feed_url(pw.team)))[f"sesi-{s.id}@jemput-bola"]
    assert after["dtstart"].dt == datetime(2026, 5, 18, 8, 0, tzinfo=JAKARTA)
    assert int(after["sequence"]) > int(before["sequence"])
    assert "JADWAL BARU" in str(after["description"])


def test_feed_link_is_shown_to_the_team_s_field_user(client, login_as, pw):
    login_as("field")
    html = client.get("/kalender").get_data(as_text=True)
    assert feed_url(pw.team) in html and "webcal://" in html


def test_admin_team_page_shows_the_feed_link(client, login_as, pw):
    login_as("admin")
    html = client.get(f"/admin/tim/{pw.team.id}").get_data(as_text=True)
    assert feed_url(pw.team) in html


def test_build_feed_without_flask():
    body = ical.build_feed("Tim Uji", [
        ical.FeedEvent(uid="sesi-1@uji", summary="Perekaman: Balai", date=date(2026, 5, 11), start=time(8),
                       end=time(12), location="Balai", description="Baris 1\nBaris 2", status="dibatalkan",
                       sequence=3, lat=-7.0, lng=110.4, last_modified=datetime(2026, 5, 1, 3, 0)),
    ], now=datetime(2026, 5, 4, tzinfo=timezone.utc))
    cal = Calendar.from_ical(body)
    assert str(cal["x-wr-calname"]) == "Tim Uji"
    (e,) = cal.walk("VEVENT")
    assert str(e["status"]) == "CANCELLED" and int(e["sequence"]) == 3
    assert str(e["description"]) == "Baris 1\nBaris 2"
    assert e["geo"].latitude == -7.0 and e["geo"].longitude == 110.4
    assert e["last-modified"].dt == datetime(2026, 5, 1, 3, 0, tzinfo=timezone.utc)
    assert e["dtstart"].dt.utcoffset() == timedelta(hours=7)
