"""The scheduling rules, without Flask or a database."""
from datetime import date, time, timedelta

from outreach.planning.conflicts import (ERROR, HOLIDAY, KIT_IN_SERVICE, KIT_OVERLAP, KIT_TRAVEL, SITE_SAME_DAY,
                                         TEAM_OVERLAP, TEAM_TRAVEL, WARNING, WEEKEND, Booking, KitInfo, Proposal,
                                         Slot, describe_slot, find_conflicts, gap, is_working_day, refusals, window)

MONDAY = date(2026, 5, 4)
BUFFER = timedelta(minutes=60)
KITS = {1: KitInfo(1, "KIT-A"), 2: KitInfo(2, "KIT-B"), 3: KitInfo(3, "KIT-C", "servis")}


def slot(day=MONDAY, start="08:00", end="12:00", end_date=None):
    return Slot(day, time.fromisoformat(start), time.fromisoformat(end), end_date)


def booking(id, s, team_id=10, kit_ids=(1,), site_id=100, site_name="Balai Desa Sukamaju", team_name="Tim 1"):
    return Booking(id=id, slot=s, site_id=site_id, site_name=site_name, team_id=team_id, team_name=team_name,
                   kit_ids=frozenset(kit_ids))


def proposal(s, team_id=10, kit_ids=(1,), site_id=200, session_id=None):
    return Proposal(slot=s, site_id=site_id, team_id=team_id, kit_ids=frozenset(kit_ids), session_id=session_id)


def check(p, bookings=(), holidays=None):
    return find_conflicts(p, bookings, KITS, travel_buffer=BUFFER, holidays=holidays or {})


def kinds(verdict):
    return sorted(c.kind for c in verdict.conflicts)


def test_free_weekday_has_no_conflicts():
    verdict = check(proposal(slot()), [booking(1, slot(MONDAY + timedelta(days=1)))])
    assert verdict.conflicts == []
    assert verdict.allows(None)


def test_team_and_kit_overlap_are_errors_naming_the_other_session():
    verdict = check(proposal(slot(start="10:00", end="14:00")), [booking(7, slot())])
    assert kinds(verdict) == [KIT_OVERLAP, TEAM_OVERLAP]
    assert all(c.severity == ERROR and c.session_id == 7 for c in verdict.conflicts)
    team_msg = next(c.message for c in verdict.conflicts if c.kind == TEAM_OVERLAP)
    assert "Tim 1" in team_msg and "Balai Desa Sukamaju" in team_msg
    assert "Senin, 4 Mei 2026" in team_msg and "08.00–12.00" in team_msg and "#7" in team_msg
    kit_msg = next(c.message for c in verdict.conflicts if c.kind == KIT_OVERLAP)
    assert kit_msg.startswith("Alat KIT-A sudah dipakai")
    assert not verdict.allows("alasan apa pun"), "errors cannot be overridden"


def test_kit_booked_by_another_team_is_still_an_error():
    verdict = check(proposal(slot(), team_id=11, kit_ids=(1, 2)), [booking(3, slot(), team_id=10, kit_ids=(2,))])
    assert kinds(verdict) == [KIT_OVERLAP]
    assert "KIT-B" in verdict.conflicts[0].message


def test_other_team_other_kits_same_time_is_fine():
    assert check(proposal(slot(), team_id=11, kit_ids=(2,)), [booking(3, slot())]).conflicts == []


def test_travel_buffer_makes_close_sessions_a_warning():
    # Other session ends 12:00; this one starts 12:30: overlap-free but under the 60-minute buffer.
    verdict = check(proposal(slot(start="12:30", end="15:00")), [booking(4, slot())])
    assert kinds(verdict) == [KIT_TRAVEL, TEAM_TRAVEL]
    assert all(c.severity == WARNING for c in verdict.conflicts)
    assert "60 menit" in verdict.conflicts[0].message
    assert not verdict.allows(None) and not verdict.allows("   ")
    assert verdict.allows("Lokasi bersebelahan, jalan kaki 5 menit")


def test_touching_sessions_are_not_an_overlap_but_need_travel_time():
    verdict = check(proposal(slot(start="12:00", end="14:00")), [booking(4, slot())])
    assert TEAM_OVERLAP not in kinds(verdict) and TEAM_TRAVEL in kinds(verdict)


def test_exactly_the_buffer_apart_is_fine():
    assert check(proposal(slot(start="13:00", end="15:00")), [booking(4, slot())]).conflicts == []


def test_buffer_is_configurable():
    p, b = proposal(slot(start="13:00", end="15:00")), [booking(4, slot())]
    verdict = find_conflicts(p, b, KITS, travel_buffer=timedelta(minutes=90), holidays={})
    assert TEAM_TRAVEL in kinds(verdict)


def test_multi_day_session_clashes_on_its_second_day():
    two_days = slot(MONDAY, "08:00", "12:00", MONDAY + timedelta(days=1))
    verdict = check(proposal(slot(MONDAY + timedelta(days=1), "09:00", "10:00")), [booking(5, two_days)])
    assert TEAM_OVERLAP in kinds(verdict)
    assert "s.d. Selasa, 5 Mei 2026" in verdict.conflicts[0].message
    # ...but not in the afternoon of the second day (each day runs 08:00-12:00 only).
    assert check(proposal(slot(MONDAY + timedelta(days=1), "14:00", "16:00")), [booking(5, two_days)]).conflicts == []


def test_session_never_clashes_with_itself():
    assert check(proposal(slot(), session_id=9), [booking(9, slot())]).conflicts == []


def test_site_with_another_session_the_same_day_is_a_warning():
    verdict = check(proposal(slot(start="14:00", end="16:00"), team_id=11, kit_ids=(2,), site_id=100),
                    [booking(6, slot())])
    assert kinds(verdict) == [SITE_SAME_DAY]
    assert verdict.conflicts[0].session_id == 6
    assert "Balai Desa Sukamaju" in verdict.conflicts[0].message


def test_kit_in_service_is_a_warning_without_session():
    verdict = check(proposal(slot(), kit_ids=(3,)))
    assert kinds(verdict) == [KIT_IN_SERVICE]
    assert verdict.conflicts[0].session_id is None and verdict.conflicts[0].overridable
    assert "KIT-C" in verdict.conflicts[0].message


def test_weekend_and_holiday_are_warnings():
    saturday = MONDAY + timedelta(days=5)
    verdict = check(proposal(slot(saturday)))
    assert kinds(verdict) == [WEEKEND]
    assert "Sabtu, 9 Mei 2026" in verdict.conflicts[0].message
    ascension = date(2026, 5, 14)
    verdict = check(proposal(slot(ascension)), holidays={ascension: "Kenaikan Yesus Kristus"})
    assert kinds(verdict) == [HOLIDAY]
    assert "Kenaikan Yesus Kristus" in verdict.conflicts[0].message and "libur" in verdict.conflicts[0].message


def test_multi_day_session_over_a_weekend_warns_per_day():
    friday = MONDAY + timedelta(days=4)
    verdict = check(proposal(slot(friday, end_date=friday + timedelta(days=2))))
    assert kinds(verdict) == [WEEKEND, WEEKEND]


def test_conflict_as_dict_has_the_api_fields():
    c = check(proposal(slot()), [booking(7, slot())]).conflicts[0]
    assert set(c.as_dict()) >= {"kind", "message", "session_id", "severity", "overridable"}


def test_gap_and_window():
    assert gap(slot(start="08:00", end="12:00"), slot(start="13:30", end="15:00")) == timedelta(minutes=90)
    assert gap(slot(), slot(start="10:00", end="11:00")) < timedelta(0)
    assert window(slot(MONDAY, end_date=MONDAY + timedelta(days=1)), 7) == (MONDAY - timedelta(days=7),
                                                                             MONDAY + timedelta(days=2))


def test_describe_slot_in_english_too():
    assert describe_slot(slot(), locale="en") == "Monday, 4 May 2026 pukul 08.00–12.00"


def test_is_working_day():
    assert is_working_day(MONDAY, {})
    assert not is_working_day(MONDAY, {MONDAY: "Libur"})
    assert not is_working_day(MONDAY + timedelta(days=6), {})


# ---------------------------------------------------------------- refusals

def refuse(**kw):
    args = dict(site_kode="33.74.01.1001", site_name="Balai Kelurahan Satu A", site_active=True,
                site_kabupaten="33.74", scope_kode="33.74.01",
                team={"nama": "Tim 1", "office_kode": "33.74", "active": True},
                kits=[KitInfo(1, "KIT-A", "ok", "33.74")], missing_kit_ids=())
    args.update(kw)
    return refusals(**args)


def test_request_inside_scope_is_not_refused():
    assert refuse() == {}
    assert refuse(scope_kode=None) == {}


def test_site_outside_the_coordinators_kecamatan_is_refused():
    errors = refuse(site_kode="33.74.02.1001", site_name="Balai Kelurahan Dua A")
    assert "luar kecamatan Anda" in errors["site_id"] and "Balai Kelurahan Dua A" in errors["site_id"]
    # a kecamatan whose code merely starts the same way is still another kecamatan
    assert "site_id" in refuse(site_kode="33.74.011.1001")


def test_team_of_another_kabupaten_is_refused():
    errors = refuse(team={"nama": "Tim Demak", "office_kode": "33.21", "active": True})
    assert "Tim Demak" in errors["team_id"]
    assert "tidak ditemukan" in refuse(team=None)["team_id"]
    assert "tidak aktif" in refuse(team={"nama": "Tim 1", "office_kode": "33.74", "active": False})["team_id"]


def test_broken_unknown_and_foreign_kits_are_refused():
    errors = refuse(kits=[KitInfo(1, "KIT-A", "rusak", "33.74"), KitInfo(2, "KIT-X", "ok", "33.01")],
                    missing_kit_ids=[99])
    assert "99 tidak ditemukan" in errors["kit_ids"]
    assert "KIT-A rusak" in errors["kit_ids"]
    assert "KIT-X milik kantor" in errors["kit_ids"]
    assert refuse(kits=[KitInfo(3, "KIT-C", "servis", "33.74")]) == {}, "in service: a warning, not a refusal"
