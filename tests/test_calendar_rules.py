"""The planning calendar's pure rules: combining the holidays package with the admin's entries, what applies
at a site, checking an entry, and the calendar and length warnings a session gets (no app, no database)."""
from datetime import date, time, timedelta

from outreach.planning import calendar_rules as rules
from outreach.planning.conflicts import (CUTI_BERSAMA, ELECTION_DAY, EXAM_WEEK, HOLIDAY, KINDS, REGIONAL_HOLIDAY,
                                         SESSION_TOO_LONG, SESSION_TOO_SHORT, SITE_UNAVAILABLE, WARNING, WEEKEND, Place,
                                         Proposal, Slot, blocked_days, calendar_conflicts, find_conflicts,
                                         is_open_day, length_conflicts)

KOTA = "33.74"  # Kota Semarang
KAB_LAIN = "33.01"
CHRISTMAS_EVE = date(2026, 12, 24)  # cuti bersama Natal 2026 (SKB 3 Menteri)


def entry(kind, first, last=None, name="Uji", region="", replaces=None, id=1):
    return rules.Entry(id, kind, first, last or first, name, region, f"Wilayah {region}" if region else "", replaces)


def test_the_package_knows_cuti_bersama_2026_and_2027():
    days = {(d, k): n for d, k, n in rules.package_between(date(2026, 1, 1), date(2027, 12, 31), "ID")}
    assert (CHRISTMAS_EVE, rules.CUTI_BERSAMA) in days
    assert (date(2026, 3, 20), rules.CUTI_BERSAMA) in days  # the Friday before Idul Fitri 1447 H
    assert (date(2026, 3, 21), rules.NATIONAL_HOLIDAY) in days  # Idul Fitri 1447 H
    assert (date(2027, 12, 24), rules.CUTI_BERSAMA) in days
    assert rules.package_between(date(2026, 1, 1), date(2026, 12, 31), "") == []


def test_combine_keeps_package_days_and_adds_entries_per_region():
    package = [(date(2027, 5, 17), rules.NATIONAL_HOLIDAY, "Hari Raya Idul Adha (perkiraan)"),
               (CHRISTMAS_EVE, rules.CUTI_BERSAMA, "Cuti Bersama Hari Raya Natal")]
    entries = [entry(rules.REGIONAL_HOLIDAY, date(2027, 4, 2), name="Hari jadi Kota", region=KOTA),
               entry(rules.EXAM_WEEK, date(2027, 3, 1), date(2027, 3, 5), name="Ujian sekolah", region=KOTA, id=2)]
    days = rules.combine(date(2026, 12, 1), date(2027, 12, 31), package, entries)
    assert days[CHRISTMAS_EVE] == (rules.DayOff(rules.CUTI_BERSAMA, "Cuti Bersama Hari Raya Natal"),)
    assert days[date(2027, 4, 2)][0].region_kode == KOTA and days[date(2027, 4, 2)][0].entry_id == 1
    assert [d for d in days if days[d][0].kind == rules.EXAM_WEEK] == [date(2027, 3, d) for d in range(1, 6)]
    # What applies at a site: a school of the kota gets the exam week, a balai does not, another kabupaten neither.
    school = rules.for_place(days, "33.74.01.1001", school=True)
    balai = rules.for_place(days, "33.74.01.1001", school=False)
    elsewhere = rules.for_place(days, "33.01.01.2001", school=True)
    assert date(2027, 3, 2) in school and date(2027, 3, 2) not in balai and date(2027, 3, 2) not in elsewhere
    assert date(2027, 4, 2) in balai and date(2027, 4, 2) not in elsewhere
    assert CHRISTMAS_EVE in school and CHRISTMAS_EVE in balai and CHRISTMAS_EVE in elsewhere
    assert rules.national_names(days) == {date(2027, 5, 17): "Hari Raya Idul Adha (perkiraan)",
                                          CHRISTMAS_EVE: "Cuti Bersama Hari Raya Natal"}


def test_an_entry_moves_or_cancels_a_package_day():
    package = [(date(2027, 5, 17), rules.NATIONAL_HOLIDAY, "Idul Adha (perkiraan)"),
               (CHRISTMAS_EVE, rules.CUTI_BERSAMA, "Cuti Bersama Natal")]
    moved = entry(rules.NATIONAL_HOLIDAY, date(2027, 5, 16), name="Idul Adha 1448 H", replaces=date(2027, 5, 17))
    cancelled = entry(rules.NOT_A_HOLIDAY, CHRISTMAS_EVE, name="Cuti bersama dibatalkan", id=2)
    days = rules.combine(date(2026, 12, 1), date(2027, 12, 31), package, [moved, cancelled])
    assert date(2027, 5, 17) not in days and CHRISTMAS_EVE not in days
    assert days[date(2027, 5, 16)] == (rules.DayOff(rules.NATIONAL_HOLIDAY, "Idul Adha 1448 H", entry_id=1),)
    assert set(rules.dropped_package_days([moved, cancelled])) == {date(2027, 5, 17), CHRISTMAS_EVE}


def _check(raw, region=None, scope=None, package=None, corrected=None, taken=None):
    values, problems = rules.check_entry(raw, region=region, scope_kode=scope, package=package or {},
                                         corrected=corrected or {}, taken=taken)
    return values, {p.field: p.text for p in problems}


KOTA_FACT = rules.RegionFact(KOTA, "Kota Semarang", "kabupaten")


def test_check_entry_accepts_a_regional_holiday_and_cleans_it():
    values, problems = _check({"kind": "libur_daerah", "first": "2027-04-02", "name": "  Hari jadi   Kota ",
                               "region_kode": KOTA}, region=KOTA_FACT, scope=KOTA)
    assert problems == {}
    assert values == {"kind": "libur_daerah", "first_date": date(2027, 4, 2), "last_date": date(2027, 4, 2),
                      "name": "Hari jadi Kota", "region_kode": KOTA, "replaces_date": None}


def test_check_entry_messages_for_bad_input():
    _, p = _check({"kind": "libur", "first": "2027-13-01", "name": ""})
    assert "Jenis hari tidak dikenal" in p["kind"] and "tidak dikenali" in p["first"] and "Nama wajib" in p["name"]
    _, p = _check({"kind": "ujian_sekolah", "first": "2027-03-05", "last": "2027-03-01", "name": "Ujian",
                   "region_kode": KOTA}, region=KOTA_FACT)
    assert p == {"last": "Rentang terbalik: tanggal akhir 2027-03-01 sebelum tanggal mulai 2027-03-05."}
    _, p = _check({"kind": "ujian_sekolah", "first": "2027-03-01", "last": "2027-04-30", "name": "Ujian",
                   "region_kode": KOTA}, region=KOTA_FACT)
    assert "paling lama 31 hari" in p["last"]
    _, p = _check({"kind": "libur_daerah", "first": "2027-04-02", "name": "Hari jadi", "region_kode": "33.99"})
    assert p == {"region_kode": "Kabupaten/kota 33.99 tidak dikenal."}
    _, p = _check({"kind": "libur_daerah", "first": "2027-04-02", "name": "Hari jadi"})
    assert "berlaku per kabupaten/kota" in p["region_kode"]
    _, p = _check({"kind": "cuti_bersama", "first": "2027-04-02", "name": "Cuti", "region_kode": KOTA},
                  region=KOTA_FACT)
    assert "berlaku nasional" in p["region_kode"]
    _, p = _check({"kind": "libur_daerah", "first": "2027-04-02", "name": "Hari jadi", "region_kode": "33.74.01"},
                  region=rules.RegionFact("33.74.01", "Kecamatan", "kecamatan"))
    assert "bukan kabupaten/kota" in p["region_kode"]
    _, p = _check({"kind": "libur_daerah", "first": "1999-04-02", "name": "Lama", "region_kode": KOTA},
                  region=KOTA_FACT)
    assert "antara tahun 2000 dan 2100" in p["first"]


def test_check_entry_scope_of_the_admin():
    _, p = _check({"kind": "libur_daerah", "first": "2027-04-02", "name": "Hari jadi", "region_kode": KOTA},
                  region=KOTA_FACT, scope=KAB_LAIN)
    assert "di luar wilayah Anda" in p["region_kode"] and "Kota Semarang" in p["region_kode"]
    _, p = _check({"kind": "hari_pemilu", "first": "2029-02-14", "name": "Pemilu"}, scope=KOTA)
    assert "admin tanpa batas wilayah" in p["region_kode"]
    _, p = _check({"kind": "hari_pemilu", "first": "2029-02-14", "name": "Pemilu"}, scope=None)
    assert p == {}
    assert rules.may_manage(KOTA, KOTA) and not rules.may_manage("", KOTA) and not rules.may_manage(KAB_LAIN, KOTA)
    assert rules.may_manage("", None)


def test_check_entry_corrections_of_the_package():
    package = {date(2027, 5, 17): "Idul Adha (perkiraan)"}
    raw = {"kind": "libur_nasional", "first": "2027-05-16", "name": "Idul Adha", "replaces_date": "2027-05-17"}
    assert _check(raw, package=package)[1] == {}
    assert "bukan hari libur dalam data paket" in _check({**raw, "replaces_date": "2027-05-18"}, package=package)[1][
        "replaces_date"]
    assert "sudah dikoreksi" in _check(raw, package=package, corrected={date(2027, 5, 17): "Koreksi lain"})[1][
        "replaces_date"]
    assert "Hanya libur nasional atau cuti bersama" in _check(
        {**raw, "kind": "libur_daerah", "region_kode": KOTA}, region=KOTA_FACT, package=package)[1]["replaces_date"]
    assert "tidak ada yang dibatalkan" in _check({"kind": "bukan_libur", "first": "2027-05-18", "name": "Batal"},
                                                 package=package)[1]["first"]
    assert "Sudah ada entri" in _check(raw, package=package, taken="Idul Adha")[1]["first"]


# ---------------------------------------------------------------- the warnings a session gets

def place(days_off=None, unavailable=(), name="Balai Uji"):
    return Place(name, days_off or {}, frozenset(unavailable))


def test_every_kind_of_day_off_is_a_named_warning():
    offs = {date(2026, 12, 24): (rules.DayOff(rules.CUTI_BERSAMA, "Cuti Bersama Natal"),),
            date(2027, 4, 2): (rules.DayOff(rules.REGIONAL_HOLIDAY, "Hari jadi", KOTA, "Kota Semarang"),),
            date(2029, 2, 14): (rules.DayOff(rules.ELECTION_DAY, "Pemilu 2029"),),
            date(2027, 3, 2): (rules.DayOff(rules.EXAM_WEEK, "Ujian SMA", KOTA, "Kota Semarang"),),
            date(2027, 5, 6): (rules.DayOff(rules.NATIONAL_HOLIDAY, "Kenaikan Yesus Kristus"),)}
    expected = {date(2026, 12, 24): (CUTI_BERSAMA, "Kamis, 24 Desember 2026 adalah cuti bersama (Cuti Bersama Natal)."),
                date(2027, 4, 2): (REGIONAL_HOLIDAY, "libur daerah di Kota Semarang (Hari jadi)"),
                date(2029, 2, 14): (ELECTION_DAY, "hari pemungutan suara (Pemilu 2029)"),
                date(2027, 3, 2): (EXAM_WEEK, "masa ujian sekolah di Kota Semarang (Ujian SMA)"),
                date(2027, 5, 6): (HOLIDAY, "hari libur nasional (Kenaikan Yesus Kristus)")}
    for day, (kind, text) in expected.items():
        [c] = calendar_conflicts(Slot(day, time(8), time(12)), place(offs))
        assert (c.kind, c.severity, c.day) == (kind, WARNING, day) and text in c.message, c


def test_unavailable_site_is_one_warning_naming_the_dates():
    slot = Slot(date(2027, 2, 1), time(8), time(12), date(2027, 2, 3))
    [c] = calendar_conflicts(slot, place(unavailable={date(2027, 2, 1), date(2027, 2, 3), date(2027, 2, 9)}))
    assert c.kind == SITE_UNAVAILABLE and c.overridable
    assert c.message == ("Lokasi Balai Uji tidak tersedia pada Senin, 1 Februari 2027, Rabu, 3 Februari 2027 "
                         "(tanggal tidak tersedia yang dicatat untuk lokasi ini).")


def test_weekend_only_when_no_holiday_closes_the_day_but_exam_weeks_do_not():
    saturday = date(2027, 3, 6)
    exam = {saturday: (rules.DayOff(rules.EXAM_WEEK, "Ujian", KOTA, "Kota"),)}
    assert sorted(c.kind for c in calendar_conflicts(Slot(saturday, time(8), time(12)), place(exam))) == [
        EXAM_WEEK, WEEKEND]
    holiday = {saturday: (rules.DayOff(rules.REGIONAL_HOLIDAY, "Hari jadi", KOTA, "Kota"),)}
    assert [c.kind for c in calendar_conflicts(Slot(saturday, time(8), time(12)), place(holiday))] == [
        REGIONAL_HOLIDAY]


def test_session_length_against_the_settings():
    limits = (2, 6)
    [long] = length_conflicts(Slot(date(2027, 1, 11), time(7), time(15)), limits)
    assert long.kind == SESSION_TOO_LONG and long.overridable
    assert long.message == ("Sesi berlangsung 8 jam, lebih dari lama maksimal 6 jam (pengaturan SESSION_MAX_HOURS).")
    [short] = length_conflicts(Slot(date(2027, 1, 11), time(13), time(14, 30)), limits)
    assert short.kind == SESSION_TOO_SHORT
    assert short.message == ("Sesi berlangsung 1,5 jam, kurang dari lama minimal 2 jam (pengaturan "
                             "SESSION_MIN_HOURS).")
    assert length_conflicts(Slot(date(2027, 1, 11), time(8), time(14)), limits) == []
    assert length_conflicts(Slot(date(2027, 1, 11), time(8), time(10)), limits) == []
    assert length_conflicts(Slot(date(2027, 1, 11), time(7), time(15)), None) == []


def test_find_conflicts_adds_length_and_calendar_to_the_booking_rules():
    day = date(2027, 4, 2)
    offs = {day: (rules.DayOff(rules.REGIONAL_HOLIDAY, "Hari jadi", KOTA, "Kota"),)}
    verdict = find_conflicts(Proposal(Slot(day, time(13), time(14)), 1, 1), [], {}, travel_buffer=timedelta(hours=1),
                             place=place(offs, {day}), session_hours=(2, 6))
    assert [c.kind for c in verdict.conflicts] == [SESSION_TOO_SHORT, REGIONAL_HOLIDAY, SITE_UNAVAILABLE]
    assert not verdict.allows(None) and verdict.allows("Disepakati dengan lurah")
    assert set(c.kind for c in verdict.conflicts) <= set(KINDS)


def test_blocked_days_are_the_days_the_calendar_warns_about():
    offs = {date(2027, 3, 2): (rules.DayOff(rules.EXAM_WEEK, "Ujian", KOTA, "Kota"),)}
    p = place(offs, {date(2027, 3, 4), date(2027, 5, 1)})
    assert blocked_days(date(2027, 3, 1), date(2027, 3, 31), p) == {date(2027, 3, 2), date(2027, 3, 4)}
    for day in (date(2027, 3, d) for d in range(1, 8)):
        warned = bool(calendar_conflicts(Slot(day, time(8), time(12)), p))
        assert is_open_day(day, p) == (not warned), day
