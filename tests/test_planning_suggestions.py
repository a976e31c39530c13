"""When a team or kit is taken, the session form offers the free teams and kits of that slot and the
nearest day the chosen team is free; the pure rules first, then the form."""
import re
from datetime import date, datetime, time, timedelta

import pytest

from outreach.extensions import db as _db
from outreach.planning.conflicts import Booking, Slot
from outreach.planning.suggestions import free_resources, nearest_free_slot
from tests import builders
from tests.conftest import WIB

HOUR = timedelta(hours=1)
MON = date(2026, 12, 14)


def booking(id, day, team, kits=(), start=8, end=12):
    return Booking(id=id, slot=Slot(day, time(start), time(end)), site_id=id, site_name=f"Lokasi {id}",
                   team_id=team, team_name=f"Tim {team}", kit_ids=frozenset(kits))


def test_free_teams_and_kits_leave_out_those_booked_at_the_slot_or_too_near_it():
    slot = Slot(MON, time(9), time(11))
    bookings = [booking(1, MON, team=1, kits=[10]),                      # overlaps
                booking(2, MON, team=2, kits=[11], start=11, end=12),    # touches: no time to travel
                booking(3, MON, team=3, kits=[12], start=13, end=15),    # two hours later: free
                booking(4, MON + timedelta(days=1), team=4, kits=[13])]  # another day
    teams, kits = free_resources(slot, bookings, [1, 2, 3, 4, 5], [10, 11, 12, 13, 14], HOUR)
    assert teams == (3, 4, 5)
    assert kits == (12, 13, 14)


def test_nearest_free_slot_skips_busy_and_closed_days_and_the_past():
    slot = Slot(MON, time(8), time(12))
    bookings = [booking(1, MON, team=1), booking(2, MON + timedelta(days=1), team=1),
                booking(3, MON - timedelta(days=1), team=9, kits=[10])]
    open_weekdays = lambda d: d.weekday() < 5  # noqa: E731
    # Tuesday is taken, Sunday is closed; Friday before (-3) loses to Wednesday after (+2).
    found = nearest_free_slot(slot, 1, [10], bookings, HOUR, open_weekdays, earliest=MON - timedelta(days=7))
    assert found == Slot(MON + timedelta(days=2), time(8), time(12))
    # A kit booked on Wednesday pushes the slot on; the past is never offered.
    bookings.append(booking(4, MON + timedelta(days=2), team=5, kits=[10]))
    found = nearest_free_slot(slot, 1, [10], bookings, HOUR, open_weekdays, earliest=MON)
    assert found.date == MON + timedelta(days=3)
    assert nearest_free_slot(slot, 1, [], bookings, HOUR, lambda d: False, earliest=MON) is None


def test_a_multi_day_slot_moves_whole():
    slot = Slot(MON, time(8), time(12), MON + timedelta(days=1))
    busy = [booking(1, MON, team=1), booking(2, MON + timedelta(days=2), team=1)]
    # Tue-Wed and Wed-Thu hold Wednesday's session, Sun-Mon a Sunday: Thu-Fri.
    found = nearest_free_slot(slot, 1, [], busy, HOUR, lambda d: d.weekday() < 5, earliest=MON)
    assert found == Slot(MON + timedelta(days=3), time(8), time(12), MON + timedelta(days=4))


@pytest.mark.at(datetime(2026, 12, 7, 9, 0, tzinfo=WIB))
def test_the_form_offers_free_teams_kits_and_the_nearest_free_day(client, login_as, world):
    pw = builders.make_planning_world(world)
    taken = builders.make_session(pw.site3, pw.team, [pw.kit], day=MON, start="08:00", end="12:00")
    builders.make_session(pw.site3, pw.team, [pw.kit2], day=MON + timedelta(days=1), start="08:00", end="12:00")
    _db.session.commit()
    login_as("coordinator")
    data = {"site_id": str(pw.site1.id), "date": MON.isoformat(), "start": "09:00", "end": "11:00",
            "team_id": str(pw.team.id), "kit_ids": [str(pw.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "", "override_reason": "", "submit": "Simpan"}
    resp = client.post("/sesi/baru", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and f"sesi #{taken.id}" in html
    box = re.search(r'data-testid="alternatives">(.*?)</div>', html, re.S).group(1)
    assert "Tim yang bebas pada waktu ini: Tim Keliling 2." in box
    # KIT-B and KIT-T2 are free; KIT-A is taken, KIT-RUSAK broken, KIT-LAIN another kabupaten's.
    assert "Alat yang bebas pada waktu ini: KIT-B, KIT-SERVIS, KIT-T2." in box
    # Tuesday holds the team (with KIT-B); Wednesday is free.
    assert "Tim Keliling 1 dengan alat yang dipilih bebas paling dekat pada Rab, 16 Des pukul 09.00–11.00." in box


@pytest.mark.at(datetime(2026, 12, 7, 9, 0, tzinfo=WIB))
def test_no_alternatives_without_a_team_or_kit_conflict(client, login_as, world):
    pw = builders.make_planning_world(world)
    builders.make_session(pw.site1, pw.team2, [pw.team2_kit], day=MON, start="13:00", end="15:00")
    _db.session.commit()
    login_as("coordinator")
    data = {"site_id": str(pw.site1.id), "date": MON.isoformat(), "start": "08:00", "end": "10:00",
            "team_id": str(pw.team.id), "kit_ids": [str(pw.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "", "override_reason": "", "submit": "Simpan"}
    html = client.post("/sesi/baru", data=data).get_data(as_text=True)
    assert 'data-kind="site_same_day"' in html  # a warning, but no team or kit is taken
    assert 'data-testid="alternatives"' not in html
