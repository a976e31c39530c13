"""The team iCal link: a forwarded link shows no contacts or home-visit health notes, and it is replaced
whenever a member joins or leaves the team (the old link answers 404, the members are told)."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from outreach.extensions import db
from outreach.models import AuditEntry, Notification, Team, User
from outreach.planning import announce
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 5, 4, 8, 0, tzinfo=WIB))
MONDAY = date(2026, 5, 11)
HOME_NAME = "Rumah Ibu S., RT 03/RW 05 (lansia 76 th, sulit berjalan)"


def feed_url(team, secret=None):
    return f"/kalender/tim/{team.id}/{secret or team.calendar_secret}.ics"


def unfolded(resp) -> str:
    """The feed's text with RFC 5545 line folding undone and text escapes removed."""
    return resp.data.decode().replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def secret_of(team_id: int) -> str:
    return db.session.scalar(sa.select(Team.calendar_secret).where(Team.id == team_id))


@pytest.fixture()
def feed_world(world):
    world.team.phone = "0811-2222-3333"
    world.site1.contact_name = "Pak Lurah Harjono"
    world.site1.contact_phone = "0812-4444-5555"
    world.site1.address = "Jl. Mawar 1"
    home = builders.make_site(world.desa2.kode, HOME_NAME, type="rumah", rt=3, rw=5, lat=-7.0123, lng=110.4567,
                              address="Gang Melati 7, rumah cat hijau", contact_name="Dewi (anak)",
                              contact_phone="0813-6666-7777")
    hall = builders.make_session(world.site1, world.team, [world.kit], day=MONDAY, status="terkonfirmasi",
                                 confirmed_with="Bu Carik Sumarni")
    visit = builders.make_session(home, world.team, [world.kit], day=date(2026, 5, 12), start="09:00", end="10:00",
                                  target_groups=["lansia_disabilitas"])
    db.session.commit()
    world.home, world.hall, world.visit = home, hall, visit
    return world


# ---------------------------------------------------------------- what a forwarded link shows

def test_feed_leaves_out_phones_contact_names_and_health_notes(client, feed_world):
    resp = client.get(feed_url(feed_world.team))
    assert resp.status_code == 200
    text = unfolded(resp)
    for secret in ("0811-2222-3333", "0812-4444-5555", "0813-6666-7777", "Harjono", "Sumarni", "Dewi",
                   "lansia 76", "sulit berjalan", "Ibu S.", "Gang Melati", "cat hijau", "-7.0123", "110.4567"):
        assert secret not in text, secret
    events = {str(e["uid"]): e for e in Calendar.from_ical(resp.data).walk("VEVENT")}
    hall = events[f"sesi-{feed_world.hall.id}@jemput-bola"]
    # The place, the day and hours, the desa, who should come and what to bring stay.
    assert "Balai Kelurahan Satu A" in str(hall["location"]) and "Jl. Mawar 1" in str(hall["location"])
    assert "Senin, 11 Mei 2026" in str(hall["description"]) and "08.00–12.00 WIB" in str(hall["description"])
    assert "Kartu Keluarga" in str(hall["description"]) and "Warga wajib KTP" in str(hall["description"])
    assert hall["geo"].latitude == -7.0  # a public hall keeps its position
    visit = events[f"sesi-{feed_world.visit.id}@jemput-bola"]
    assert str(visit["summary"]) == "Perekaman: Rumah warga RT 003/RW 005"
    assert str(visit["location"]) == "Rumah warga RT 003/RW 005, Desa Satu B, Kecamatan Satu"
    assert "petugas datang ke rumah" in str(visit["description"])
    assert "geo" not in visit
    assert f"/sesi/{feed_world.visit.id}" in str(visit["url"])  # the details stay behind the login


def test_signed_in_session_page_still_shows_the_contact(client, login_as, feed_world):
    login_as("field")
    html = client.get(f"/sesi/{feed_world.visit.id}").get_data(as_text=True)
    assert "0813-6666-7777" in html and "lansia 76 th" in html


def test_for_calendar_without_flask():
    a = announce.AnnouncementInput(site_name=HOME_NAME, site_type="rumah", date=MONDAY,
                                   start=datetime(2026, 5, 11, 9).time(), end=datetime(2026, 5, 11, 10).time(),
                                   address="Gang Melati 7", rt=3, rw=5, desa_name="Meteseh", contact_name="Dewi",
                                   contact_phone="0813", team_name="Tim 1", team_phone="0811", status="dibatalkan",
                                   cancel_reason="Ibu S. dirawat di rumah sakit", target_groups=("lansia_disabilitas",))
    text = announce.announcement_text(announce.for_calendar(a))
    assert "Rumah warga RT 003/RW 005" in text and "Desa Meteseh" in text and "DIBATALKAN" in text
    for secret in ("Ibu S.", "lansia", "Gang Melati", "Dewi", "0813", "0811", "rumah sakit", "Info:"):
        assert secret not in text, secret
    # Outside the calendar the announcement is unchanged (the coordinator's WhatsApp text keeps the contact).
    assert "Dewi (0813)" in announce.announcement_text(a)


# ---------------------------------------------------------------- the link follows the membership

def _edit(user, **overrides) -> dict:
    data = {"username": user.username, "name": user.name, "email": user.email, "role": user.role,
            "scope_kode": user.scope_kode or "", "team_id": str(user.team_id or ""), "active": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _notified(user_id: int) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)))


def test_deactivating_a_member_rotates_the_link_and_tells_the_others(client, login_as, world):
    leaving = world.users["field"]
    staying = builders.make_user("field", "lapangan_tetap", team=world.team)
    db.session.commit()
    old = world.team.calendar_secret
    login_as("admin")
    resp = client.post(f"/admin/pengguna/{leaving.id}", data=_edit(leaving, active=None))
    assert resp.status_code == 302
    new = secret_of(world.team.id)
    assert new != old
    assert client.get(feed_url(world.team, old)).status_code == 404
    assert client.get(feed_url(world.team, new)).status_code == 200
    assert f"/kalender/tim/{world.team.id}/{new}.ics" in client.get(f"/admin/tim/{world.team.id}").get_data(
        as_text=True)
    [note] = _notified(staying.id)
    assert "Tim Keliling 1" in note.title and "Kalender" in note.body and new not in note.body
    assert _notified(leaving.id) == []
    rotations = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "team", AuditEntry.action == "rotate_calendar_link")).all()
    assert len(rotations) == 1 and new not in str(rotations[0].changes)


def test_moving_a_member_rotates_both_teams(client, login_as, world):
    other = builders.make_team("33.74", "Tim Keliling 2")
    db.session.commit()
    before = {world.team.id: world.team.calendar_secret, other.id: other.calendar_secret}
    mover = world.users["field"]
    login_as("admin")
    assert client.post(f"/admin/pengguna/{mover.id}", data=_edit(mover, team_id=str(other.id))).status_code == 302
    for team_id, secret in before.items():
        assert secret_of(team_id) != secret
        assert client.get(f"/kalender/tim/{team_id}/{secret}.ics").status_code == 404


def test_a_new_member_rotates_the_link(client, login_as, world):
    old = world.team.calendar_secret
    login_as("admin")
    resp = client.post("/admin/pengguna/baru", data={
        "username": "lapangan_baru", "name": "Lapangan Baru", "email": "", "role": "field", "scope_kode": "",
        "team_id": str(world.team.id), "active": "y", "password": "Kalender-Baru-2026!",
        "password_confirm": "Kalender-Baru-2026!"})
    assert resp.status_code == 302
    assert secret_of(world.team.id) != old
    [note] = _notified(world.users["field"].id)
    assert note.kind == "info"


def test_changing_the_member_names_rotates_the_link(client, login_as, world):
    old = world.team.calendar_secret
    login_as("admin")
    form = {"nama": "Tim Keliling 1", "office_kode": "33.74", "office_lat": "-6.99", "office_lng": "110.42",
            "members": "Ani\nBudi", "phone": "", "active": "y"}
    assert client.post(f"/admin/tim/{world.team.id}", data=form).status_code == 302
    rotated = secret_of(world.team.id)
    assert rotated != old
    form["phone"] = "0812-3456-7890"  # an edit that is not about the members keeps the link
    assert client.post(f"/admin/tim/{world.team.id}", data=form).status_code == 302
    assert secret_of(world.team.id) == rotated


def test_edits_that_do_not_touch_the_membership_keep_the_link(client, login_as, world):
    old = world.team.calendar_secret
    field_user = world.users["field"]
    coordinator = world.users["coordinator"]
    login_as("admin")
    assert client.post(f"/admin/pengguna/{field_user.id}", data=_edit(field_user, name="Nama Baru")).status_code == 302
    assert client.post(f"/admin/pengguna/{coordinator.id}", data=_edit(coordinator, active=None)).status_code == 302
    assert secret_of(world.team.id) == old
    assert _notified(field_user.id) == []


def test_cli_create_user_in_a_team_rotates_the_link(runner, world):
    old = world.team.calendar_secret
    result = runner.invoke(args=["create-user", "lapangan_cli", "--role", "field", "--team", "Tim Keliling 1",
                                 "--password", "Kalender-Baru-2026!"])
    assert result.exit_code == 0, result.output
    assert secret_of(world.team.id) != old
    assert db.session.scalar(sa.select(User).where(User.username == "lapangan_cli")).team_id == world.team.id
