"""The area calendar feed of a coordinator, manager or admin: a secret link per user to the open sessions of
the user's area (every team's), with the team feed's data protection, shown on the Kalender page with a
button that replaces it; a link of a deactivated or field user, a wrong secret, a replaced secret and a
secret from before "keluar dari semua perangkat" all answer 404."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from outreach import create_app
from outreach.extensions import db as _db
from outreach.models import AuditEntry, User
from tests import builders
from tests.conftest import WIB

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=WIB)  # a Monday
TODAY = NOW.date()
MONDAY = date(2026, 5, 11)

pytestmark = pytest.mark.at(NOW)


@pytest.fixture()
def pw(world):
    return builders.make_planning_world(world)


def area_url(user, secret=None):
    return f"/kalender/wilayah/{user.id}/{secret or user.calendar_secret}.ics"


def events(resp) -> dict:
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == "text/calendar"
    return {str(e["uid"]): e for e in Calendar.from_ical(resp.data).walk("VEVENT")}


def uid(session) -> str:
    return f"sesi-{session.id}.wilayah@jemput-bola"


def unfolded(resp) -> str:
    """The feed's text with RFC 5545 line folding undone, so a value is searched whole."""
    return resp.get_data(as_text=True).replace("\r\n ", "")


def test_coordinator_feed_holds_exactly_its_kecamatan_s_open_sessions(client, pw):
    coordinator = pw.users["coordinator"]  # Kecamatan Satu (33.74.01)
    inside = [
        builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY, status="terkonfirmasi"),
        builders.make_session(pw.site3, pw.team2, [pw.team2_kit], day=MONDAY),  # another team, same kecamatan
        builders.make_session(pw.school, pw.team, [pw.kit2], day=date(2026, 5, 12), status="ditunda"),
        builders.make_session(pw.site1, pw.team, [pw.kit], day=TODAY - timedelta(days=30)),  # first day kept
        builders.make_session(pw.site1, pw.team, [pw.kit], day=TODAY + timedelta(days=180)),  # last day kept
        # began before the window, still running inside it
        builders.make_session(pw.site3, pw.team, [pw.kit], day=TODAY - timedelta(days=32),
                              end_date=TODAY - timedelta(days=29)),
    ]
    outside = [
        builders.make_session(pw.site2, pw.team, [pw.kit], day=MONDAY),  # Kecamatan Dua
        builders.make_session(pw.other_site, pw.other_team, [pw.other_kit], day=MONDAY),  # another kabupaten
        builders.make_session(pw.site1, pw.team, [pw.kit], day=date(2026, 5, 13), status="dibatalkan"),
        builders.make_session(pw.site1, pw.team, [pw.kit], day=TODAY - timedelta(days=3), status="selesai"),
        builders.make_session(pw.site1, pw.team, [pw.kit], day=TODAY - timedelta(days=31)),
        builders.make_session(pw.site1, pw.team, [pw.kit], day=TODAY + timedelta(days=181)),
    ]
    _db.session.commit()
    resp = client.get(area_url(coordinator))  # no login: the secret is the key
    assert resp.headers["Cache-Control"] == "private, max-age=300"  # no shared cache keeps a revoked link
    found = events(resp)
    assert set(found) == {uid(s) for s in inside}
    assert not {uid(s) for s in outside} & set(found)

    confirmed = found[uid(inside[0])]
    assert confirmed["dtstart"].dt == datetime(2026, 5, 11, 8, 0, tzinfo=JAKARTA)
    assert confirmed["dtend"].dt == datetime(2026, 5, 11, 12, 0, tzinfo=JAKARTA)
    assert confirmed["dtstart"].params["TZID"] == "Asia/Jakarta"
    assert str(confirmed["status"]) == "CONFIRMED"
    assert str(confirmed["summary"]) == "Perekaman: Balai Kelurahan Satu A (Tim Keliling 1, Terkonfirmasi)"
    location = str(confirmed["location"])
    assert "Balai Kelurahan Satu A" in location and "Kecamatan Satu" in location
    assert "Tim: Tim Keliling 1 · Status: Terkonfirmasi" in str(confirmed["description"])
    assert f"/sesi/{inside[0].id}" in str(confirmed["url"])

    other_team = found[uid(inside[1])]
    assert "Tim Keliling 2" in str(other_team["summary"]) and "Rencana" in str(other_team["summary"])
    assert "Desa Satu B" in str(other_team["location"])
    postponed = found[uid(inside[2])]
    assert str(postponed["status"]) == "TENTATIVE" and "Ditunda" in str(postponed["summary"])
    cal = Calendar.from_ical(client.get(area_url(coordinator)).data)
    assert str(cal["x-wr-calname"]) == "Jemput Bola — Kecamatan Satu"


def test_manager_and_admin_feeds_cover_their_areas(client, pw):
    kec1 = builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    kec2 = builders.make_session(pw.site2, pw.team2, [pw.team2_kit], day=MONDAY)
    elsewhere = builders.make_session(pw.other_site, pw.other_team, [pw.other_kit], day=MONDAY)
    _db.session.commit()
    manager_feed = events(client.get(area_url(pw.users["manager"])))  # Kota Uji (33.74)
    assert set(manager_feed) == {uid(kec1), uid(kec2)}
    admin_feed = events(client.get(area_url(pw.users["admin"])))  # no scope: the whole installation
    assert set(admin_feed) == {uid(kec1), uid(kec2), uid(elsewhere)}
    scoped_admin = builders.make_user("admin", "admin_kab_lain", scope="33.01")
    _db.session.commit()
    assert set(events(client.get(area_url(scoped_admin)))) == {uid(elsewhere)}


def test_feed_carries_no_personal_data(client, pw):
    pw.site1.contact_name, pw.site1.contact_phone = "Pak Lurah Hartono", "0812-1111-2222"
    pw.site1.notes = "Kunci balai dipegang Bu Yati"
    pw.team.phone = "0247-333-444"
    home = builders.make_site(pw.desa2.kode, "Rumah Mbah Sarinah (stroke)", type="rumah", rt=3, rw=5,
                              address="Jl. Kenanga 7", contact_name="Joko (anak)", contact_phone="0857-5555-6666",
                              notes="Lumpuh sebelah, perlu kursi roda", lat=-7.05, lng=110.41)
    visit = builders.make_session(home, pw.team, [pw.kit], day=MONDAY, target_groups=["lansia_disabilitas"],
                                  notes="Pasien stroke, bicara dengan anaknya")
    balai = builders.make_session(pw.site1, pw.team, [pw.kit2], day=MONDAY, start="13:00", end="15:00",
                                  status="terkonfirmasi", confirmed_with="Bu Sekdes Wartini")
    _db.session.commit()
    resp = client.get(area_url(pw.users["coordinator"]))
    found = events(resp)
    text = unfolded(resp)
    for secret in ("Hartono", "0812-1111-2222", "Bu Yati", "0247-333-444", "Sarinah", "stroke", "Kenanga",
                   "Joko", "0857-5555-6666", "Lumpuh", "Wartini", "anaknya"):
        assert secret not in text, secret
    home_event = found[uid(visit)]
    assert "Rumah warga RT 003/RW 005" in str(home_event["summary"])
    assert "Desa Satu B" in str(home_event["location"])
    assert "geo" not in home_event  # a home's exact position says who lives there
    assert "Tim Keliling 1" in str(found[uid(balai)]["summary"])


def test_deactivated_field_and_tampered_links_answer_404(client, pw):
    builders.make_session(pw.site1, pw.team, [pw.kit], day=MONDAY)
    _db.session.commit()
    coordinator, manager, field = pw.users["coordinator"], pw.users["manager"], pw.users["field"]
    assert client.get(area_url(coordinator)).status_code == 200
    assert client.get(area_url(coordinator, "x" + coordinator.calendar_secret)).status_code == 404
    assert client.get(area_url(coordinator, coordinator.calendar_secret[:-1])).status_code == 404
    assert client.get(area_url(coordinator, manager.calendar_secret)).status_code == 404  # another user's secret
    assert client.get(f"/kalender/wilayah/999999/{coordinator.calendar_secret}.ics").status_code == 404
    assert field.calendar_secret and client.get(area_url(field)).status_code == 404  # a team has its own link
    manager.active = False
    _db.session.commit()
    assert client.get(area_url(manager)).status_code == 404
    nowhere = builders.make_user("manager", "manajer_tanpa_wilayah")  # neither a scope nor national: sees nothing
    _db.session.commit()
    assert client.get(area_url(nowhere)).status_code == 404


def test_calendar_page_shows_the_area_link_with_copy_and_rotate(client, login_as, pw):
    coordinator = login_as("coordinator")
    html = client.get("/kalender").get_data(as_text=True)
    assert 'data-testid="area-feed-card"' in html
    assert area_url(coordinator) in html and "webcal://" in html
    assert 'data-copy-target="area-feed-url"' in html
    assert 'action="/kalender/wilayah/tautan-baru"' in html and "Buat tautan baru" in html
    assert "Jadwal Kecamatan Satu di kalender ponsel" in html
    manager = login_as("manager")
    html = client.get("/kalender").get_data(as_text=True)
    assert area_url(manager) in html and "Jadwal Kota Uji di kalender ponsel" in html
    field = login_as("field")
    html = client.get("/kalender").get_data(as_text=True)
    assert 'data-testid="area-feed-card"' not in html and field.calendar_secret not in html
    assert 'data-testid="feed-card"' in html  # the team's own link stays


def test_new_link_makes_the_old_one_404(client, login_as, pw):
    coordinator = login_as("coordinator")
    old = coordinator.calendar_secret
    resp = client.post("/kalender/wilayah/tautan-baru")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/kalender")
    _db.session.refresh(coordinator)
    assert coordinator.calendar_secret and coordinator.calendar_secret != old
    assert client.get(area_url(coordinator, old)).status_code == 404
    assert client.get(area_url(coordinator)).status_code == 200
    html = client.get("/kalender").get_data(as_text=True)
    assert area_url(coordinator) in html and old not in html
    entry = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "user",
                                                            AuditEntry.action == "rotate_calendar_link")).one()
    assert entry.entity_id == str(coordinator.id) and old not in str(entry.changes)
    # the rest of the user's logins are untouched: still signed in
    assert client.get("/kalender").status_code == 200


def test_new_link_needs_the_csrf_token(app, client, login_as, pw):
    coordinator = login_as("coordinator")
    old = coordinator.calendar_secret
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/kalender/wilayah/tautan-baru").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    _db.session.refresh(coordinator)
    assert coordinator.calendar_secret == old


def test_field_user_cannot_make_an_area_link(client, login_as, pw):
    field = login_as("field")
    old = field.calendar_secret
    assert client.post("/kalender/wilayah/tautan-baru").status_code == 403
    _db.session.refresh(field)
    assert field.calendar_secret == old


def test_logging_out_everywhere_revokes_the_link(client, login_as, pw):
    coordinator = login_as("coordinator")
    old = coordinator.calendar_secret
    assert client.post("/keluar-semua").status_code == 302
    _db.session.refresh(coordinator)
    assert client.get(area_url(coordinator, old)).status_code == 404
    assert client.get(area_url(coordinator)).status_code == 200  # a new link, shown after signing in again
    login_as("coordinator")
    assert area_url(coordinator) in client.get("/kalender").get_data(as_text=True)


def test_password_reset_and_deactivation_revoke_the_link(client, pw):
    from outreach.admin import service

    manager, coordinator = pw.users["manager"], pw.users["coordinator"]
    old_manager, old_coordinator = manager.calendar_secret, coordinator.calendar_secret
    service.reset_password(manager, "Sandi-baru-yang-panjang-1", pw.users["admin"].id, "Sandi-baru-yang-panjang-1")
    _db.session.commit()
    assert client.get(area_url(manager, old_manager)).status_code == 404
    coordinator.active = False
    coordinator.end_logins()  # what the admin's deactivation does (outreach.admin.service)
    _db.session.commit()
    coordinator.active = True  # reactivated: the link from before is still gone
    _db.session.commit()
    assert client.get(area_url(coordinator, old_coordinator)).status_code == 404
    assert client.get(area_url(coordinator)).status_code == 200


def test_upgrade_gives_every_existing_user_a_secret_of_its_own(tmp_path):
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
                      "SECRET_KEY": "test-secret"})
    with app.app_context():
        upgrade(revision="0019")
        with _db.engine.begin() as conn:
            for name in ("koordinator_lama", "manajer_lama"):
                conn.execute(sa.text("INSERT INTO app_user (username, name, email, password_hash, role, active, "
                                     "failed_logins, created_at) VALUES (:u, '', '', 'x', 'coordinator', true, 0, "
                                     "'2026-01-01 00:00:00')"), {"u": name})
        upgrade()
        with _db.engine.connect() as conn:
            secrets = conn.execute(sa.text("SELECT calendar_secret FROM app_user")).scalars().all()
        _db.engine.dispose()
    assert len(secrets) == 2 and all(s and len(s) >= 32 for s in secrets) and len(set(secrets)) == 2


def test_a_new_user_gets_a_secret(db):
    user = builders.make_user("coordinator", scope="33.74.01")
    _db.session.commit()
    assert user.calendar_secret and _db.session.get(User, user.id).calendar_secret == user.calendar_secret
