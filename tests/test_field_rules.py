"""Rules of a turnout log (outreach.field.rules): plain Python, no app, no database."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outreach.field import rules
from outreach.planning import workflow

WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 5, 4)
FACTS = rules.SessionFacts(first_day=DAY, last_day=DAY, start=time(8), end=time(12), status="terkonfirmasi",
                           booked_kit_ids=(3, 1))
SETTINGS = rules.Settings(records_per_kit_hour=12, tolerance=1.25, tz=WIB)
NOW = datetime(2026, 5, 4, 13, 0, tzinfo=WIB)


def body(**over):
    data = {"recorded": {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3},
            "recorded_by_sex": {"L": 13, "P": 15},
            "not_recorded": {"tidak_ditemukan_siak": 2, "gangguan_alat_jaringan": 1},
            "away": {"luar_negeri": 4},
            "started_at": "08:10", "ended_at": "11:50", "notes": "Sinyal lemah."}
    data.update(over)
    return data


def errors_of(data, facts=FACTS, now=NOW, base=None):
    with pytest.raises(rules.LogInvalid) as exc:
        rules.validate_log(data, facts, SETTINGS, now, base=base)
    return exc.value.errors


def test_a_good_log_parses_to_plain_values():
    v = rules.validate_log(body(), FACTS, SETTINGS, NOW)
    assert v.recorded == {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3}
    assert v.recorded_total == 28
    assert v.not_recorded == {"tidak_ditemukan_siak": 2, "sudah_rekam": 0, "belum_cukup_umur": 0,
                              "gangguan_alat_jaringan": 1, "tidak_bersedia": 0}
    assert v.away == {"luar_negeri": 4, "sekolah_luar_daerah": 0, "bekerja_luar_daerah": 0, "pindah_meninggal": 0, "lainnya": 0}
    # "HH:MM" is local time (WIB) on the session's first day, stored as UTC.
    assert v.started_at == datetime(2026, 5, 4, 1, 10, tzinfo=timezone.utc)
    assert v.kit_ids == (1, 3)  # defaults to the booked kits
    cols = v.columns()
    assert cols["recorded_umum"] == 20 and cols["recorded_l"] == 13 and cols["away_luar_negeri"] == 4
    assert cols["recorded_total"] == 28 and cols["notes"] == "Sinyal lemah."


def test_iso_times_with_and_without_offset():
    v = rules.validate_log(body(started_at="2026-05-04T08:00:00", ended_at="2026-05-04T04:30:00Z"),
                           FACTS, SETTINGS, NOW)
    assert v.started_at == datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc)
    assert v.ended_at == datetime(2026, 5, 4, 4, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("value,fragment", [
    (-1, "negatif"), ("-3", "negatif"), ("abc", "bilangan bulat"), (1.5, "bilangan bulat"), (True, "true/false"),
    ([1], "bilangan bulat"), ({"a": 1}, "bilangan bulat"), (10**12, "besar"), ("1e3", "bilangan bulat"),
    (rules.MAX_COUNT + 1, "besar"),
])
def test_bad_counts_have_one_message_per_field(value, fragment):
    errors = errors_of(body(recorded={"pemilih_pemula": 5, "umum": value, "lansia_disabilitas": 3}))
    assert fragment in errors["recorded.umum"]
    assert set(errors) == {"recorded.umum"}


def test_counts_from_a_form_are_accepted():
    v = rules.validate_log(body(recorded={"pemilih_pemula": "5", "umum": " 20 ", "lansia_disabilitas": ""},
                                recorded_by_sex={"L": "10", "P": 15}), FACTS, SETTINGS, NOW)
    assert v.recorded == {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 0}


def test_several_bad_fields_are_reported_together():
    errors = errors_of(body(away={"luar_negeri": -2, "mars": 1}, not_recorded="x", notes=5, extra=1))
    assert set(errors) == {"away.luar_negeri", "away.mars", "not_recorded", "notes", "extra"}


def test_totals_must_add_up():
    errors = errors_of(body(recorded_by_sex={"L": 10, "P": 10}))
    assert "20" in errors["recorded_by_sex"] and "28" in errors["recorded_by_sex"]
    errors = errors_of(body(recorded_total=30))
    assert "30" in errors["recorded_total"]
    assert rules.validate_log(body(recorded_total=28), FACTS, SETTINGS, NOW).recorded_total == 28


def test_required_fields_on_a_first_log():
    errors = errors_of({})
    assert set(errors) == {"recorded", "recorded_by_sex", "started_at", "ended_at"}
    errors = errors_of(body(started_at="", ended_at=None))
    assert "wajib" in errors["started_at"] and "wajib" in errors["ended_at"]


@pytest.mark.parametrize("start,end,key,fragment", [
    ("11:00", "10:00", "ended_at", "setelah jam mulai"),
    ("2026-05-05T08:00", "2026-05-05T10:00", "started_at", "hari sesi"),
    ("08:00", "2026-05-07T10:00", "ended_at", "terlalu jauh"),
    ("08:00", "25:99", "ended_at", "bukan waktu yang sah"),
    ("08:00", "kemarin", "ended_at", "bukan waktu yang sah"),
])
def test_bad_times(start, end, key, fragment):
    errors = errors_of(body(started_at=start, ended_at=end))
    assert fragment in errors[key]


def test_end_time_in_the_future_is_refused_but_clock_skew_is_tolerated():
    early = datetime(2026, 5, 4, 11, 0, tzinfo=WIB)
    assert "masa depan" in errors_of(body(), now=early)["ended_at"]
    assert rules.validate_log(body(), FACTS, SETTINGS, datetime(2026, 5, 4, 11, 40, tzinfo=WIB))


def test_recording_needs_a_kit():
    assert "alat" in errors_of(body(kit_ids=[]))["kit_ids"]
    nobody = body(recorded={}, recorded_by_sex={}, kit_ids=[])
    assert rules.validate_log(nobody, FACTS, SETTINGS, NOW).recorded_total == 0
    assert "daftar" in errors_of(body(kit_ids="a,b"))["kit_ids"] or "tidak valid" in errors_of(
        body(kit_ids="a,b"))["kit_ids"]
    assert "tidak valid" in errors_of(body(kit_ids=[0]))["kit_ids"]


def test_capacity_needs_an_explicit_confirmation():
    # 1 kit × 4 h × 12/h × 1.25 = 60
    at_limit = body(recorded={"umum": 60}, recorded_by_sex={"L": 30, "P": 30}, kit_ids=[1],
                    started_at="08:00", ended_at="12:00")
    assert rules.validate_log(at_limit, FACTS, SETTINGS, NOW).recorded_total == 60
    over = dict(at_limit, recorded={"umum": 61}, recorded_by_sex={"L": 31, "P": 30})
    message = errors_of(over)["confirm_over_capacity"]
    assert "61" in message and "1 alat" in message and "4 jam" in message and "60" in message
    assert rules.validate_log(dict(over, confirm_over_capacity=True), FACTS, SETTINGS, NOW).recorded_total == 61
    assert "true atau false" in errors_of(dict(over, confirm_over_capacity="mungkin"))["confirm_over_capacity"]


def test_capacity_follows_the_settings():
    strict = rules.Settings(records_per_kit_hour=10, tolerance=1.0, tz=WIB)
    data = body(recorded={"umum": 41}, recorded_by_sex={"L": 20, "P": 21}, kit_ids=[1],
                started_at="08:00", ended_at="12:00")
    with pytest.raises(rules.LogInvalid):
        rules.validate_log(data, FACTS, strict, NOW)
    assert rules.validate_log(data, FACTS, SETTINGS, NOW)


def test_hours_worked_on_several_days_counts_daily_hours_only():
    start = datetime(2026, 5, 4, 8, 0, tzinfo=WIB)
    assert rules.hours_worked(start, start + timedelta(hours=3, minutes=30)) == 3.5
    assert rules.hours_worked(start, datetime(2026, 5, 6, 12, 0, tzinfo=WIB)) == 12.0  # 3 days × 4 h
    assert rules.kit_capacity(2, 4, 12, 1.25) == 120
    assert rules.kit_capacity(0, 4, 12, 1.25) == 0


def test_a_correction_changes_only_what_it_sends():
    base = rules.validate_log(body(), FACTS, SETTINGS, NOW)
    v = rules.validate_log({"recorded": {"umum": 22}, "recorded_by_sex": {"L": 15}}, FACTS, SETTINGS, NOW,
                           base=base)
    assert v.recorded == {"pemilih_pemula": 5, "umum": 22, "lansia_disabilitas": 3}
    assert v.recorded_by_sex == {"L": 15, "P": 15}
    assert v.away == base.away and v.notes == base.notes and v.started_at == base.started_at
    # A correction that breaks the sums is refused like a first log.
    assert "recorded_by_sex" in errors_of({"recorded": {"umum": 25}}, base=base)


def test_a_correction_keeps_a_confirmation_unless_the_total_rises():
    base = rules.LogValues(recorded={"pemilih_pemula": 0, "umum": 70, "lansia_disabilitas": 0},
                           recorded_by_sex={"L": 35, "P": 35}, not_recorded={}, away={},
                           started_at=datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc),
                           ended_at=datetime(2026, 5, 4, 5, 0, tzinfo=timezone.utc), kit_ids=(1,),
                           confirm_over_capacity=True)
    assert rules.validate_log({"notes": "ok"}, FACTS, SETTINGS, NOW, base=base).confirm_over_capacity
    more = {"recorded": {"umum": 75}, "recorded_by_sex": {"L": 40}}
    assert "confirm_over_capacity" in errors_of(more, base=base)


def test_read_only_fields_may_be_sent_back():
    v = rules.validate_log(body(id=5, session_id=9, created_at="x", version=2, recorded_total=28), FACTS,
                           SETTINGS, NOW)
    assert v.recorded_total == 28


def test_check_can_log_refuses_cancelled_and_not_started_sessions():
    cancelled = rules.SessionFacts(DAY, DAY, time(8), time(12), status="dibatalkan")
    assert "dibatalkan" in rules.check_can_log(cancelled, SETTINGS, NOW)["session"]
    before = datetime(2026, 5, 4, 7, 59, tzinfo=WIB)
    message = rules.check_can_log(FACTS, SETTINGS, before)["session"]
    assert "belum dimulai" in message and "08.00 WIB" in message
    assert rules.check_can_log(FACTS, SETTINGS, datetime(2026, 5, 4, 8, 0, tzinfo=WIB)) == {}
    # 08:00 WIB is 01:00 UTC: the check is made in Asia/Jakarta, whatever the caller's zone.
    assert rules.check_can_log(FACTS, SETTINGS, datetime(2026, 5, 4, 0, 59, tzinfo=timezone.utc))


def test_fingerprint_is_canonical():
    a = rules.request_fingerprint(1, {"b": 1, "a": {"y": 2, "x": 1}})
    assert a == rules.request_fingerprint(1, {"a": {"x": 1, "y": 2}, "b": 1})
    assert a != rules.request_fingerprint(2, {"b": 1, "a": {"y": 2, "x": 1}})
    assert a != rules.request_fingerprint(1, {"b": 2, "a": {"y": 2, "x": 1}})


@pytest.mark.parametrize("key,ok", [("0f8fad5b-d9cb-469f-a165-70867728950e", True), ("k1", True),
                                    ("", False), (None, False), ("a b", False), ("x" * 101, False),
                                    ("ключ", False)])
def test_idempotency_key_shape(key, ok):
    assert rules.valid_idempotency_key(key) is ok


def test_changed_columns_compares_times_across_zones():
    t = datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc)
    assert rules.changed_columns({"started_at": t.replace(tzinfo=None), "recorded_umum": 1},
                                 {"started_at": t.astimezone(WIB), "recorded_umum": 1}) == {}
    assert rules.changed_columns({"recorded_umum": 1}, {"recorded_umum": 2}) == {"recorded_umum": [1, 2]}


def test_correction_deadline():
    created = datetime(2026, 5, 4, 5, 0)  # naive from SQLite: UTC
    assert rules.correction_deadline(created, 48) == datetime(2026, 5, 6, 5, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("status,ok", [("rencana", True), ("terkonfirmasi", True), ("ditunda", True),
                                       ("selesai", False), ("dibatalkan", False)])
def test_a_log_finishes_any_open_session(status, ok):
    errors = workflow.check_transition(status, "selesai", manual=False, by_log=True)
    assert (errors == {}) is ok
    # The planner's path is unchanged: selesai by hand is refused, and without a log only after confirmation.
    assert "laporan hasil" in workflow.check_transition(status, "selesai").get("status", "laporan hasil")
    assert bool(workflow.check_transition(status, "selesai", manual=False)) is (status != "terkonfirmasi")
