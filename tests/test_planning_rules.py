"""Expected turnout and the status workflow, without Flask or a database."""
from datetime import date, time

import pytest

from outreach.planning import capacity, workflow


def test_capacity_limits_when_backlog_is_large():
    backlog = capacity.desa_backlog("Kelurahan Satu A", 1000, 600, 40)
    est = capacity.expected_turnout(kind="perekaman", kits=2, hours=4, records_per_kit_hour=12, backlog=backlog)
    assert backlog.count == 360
    assert (est.expected, est.capacity, est.backlog, est.limited_by) == (96, 96, 360, "capacity")
    assert "2 alat × 4 jam × 12 orang per alat per jam = 96" in est.reasoning
    assert "1.000 wajib KTP − 600 sudah rekam = 400" in est.reasoning
    assert "400 − 40 diketahui berada di luar daerah − 0 menolak = 360" in est.reasoning
    assert "dibatasi kapasitas" in est.reasoning


def test_refusers_and_known_away_count_inside_the_backlog_only():
    # 100 left: 70 known away and 50 refusers cannot both be inside it: 70 away + 30 refusers.
    backlog = capacity.desa_backlog("Kelurahan X", 1000, 900, known_away=70, menolak=50)
    assert (backlog.backlog, backlog.known_away, backlog.menolak, backlog.reachable, backlog.count) == (
        100, 70, 30, 0, 0)


def test_sessions_planned_before_take_their_share_first():
    planned = ((21, 30), (23, 10))
    backlog = capacity.desa_backlog("Meteseh", 1000, 940, known_away=15, planned=planned)
    assert (backlog.reachable, backlog.count) == (45, 5)
    est = capacity.expected_turnout(kind="perekaman", kits=2, hours=4, records_per_kit_hour=12, backlog=backlog)
    assert (est.expected, est.limited_by) == (5, "backlog")
    assert "Sudah direncanakan untuk sesi #21 (30), sesi #23 (10); belum direncanakan: 5." in est.reasoning
    assert "dibatasi sisa yang belum direncanakan" in est.reasoning


def test_backlog_limits_when_few_are_left():
    est = capacity.expected_turnout(kind="keduanya", kits=2, hours=4, records_per_kit_hour=12,
                                    backlog=capacity.desa_backlog("Desa Satu B", 500, 450, 20))
    assert (est.expected, est.limited_by) == (30, "backlog")
    assert "dibatasi sisa" in est.reasoning


def test_known_away_never_makes_backlog_negative():
    assert capacity.desa_backlog("X", 100, 90, 50).count == 0


def test_school_uses_pemilih_pemula_backlog():
    backlog = capacity.site_backlog(site_type="sekolah", site_name="SMA N 1", pemilih_pemula=180,
                                    pemilih_pemula_recorded=150, desa_name="Desa", wajib_ktp=5000,
                                    sudah_rekam=1000, known_away=0)
    est = capacity.expected_turnout(kind="perekaman", kits=1, hours=5, records_per_kit_hour=12, backlog=backlog)
    assert (backlog.source, est.expected) == ("sekolah", 30)
    assert "Pemilih pemula SMA N 1" in est.reasoning


def test_school_without_count_falls_back_to_desa():
    backlog = capacity.site_backlog(site_type="sekolah", site_name="SMA N 1", pemilih_pemula=None,
                                    pemilih_pemula_recorded=None, desa_name="Desa A", wajib_ktp=100,
                                    sudah_rekam=40, known_away=0)
    assert (backlog.source, backlog.count) == ("desa", 60)


def test_unknown_backlog_uses_capacity_and_says_so():
    est = capacity.expected_turnout(kind="perekaman", kits=1, hours=2.5, records_per_kit_hour=10,
                                    backlog=capacity.desa_backlog("Desa Baru", None, None))
    assert (est.expected, est.backlog) == (25, None)
    assert "belum ada" in est.reasoning and "2,5 jam" in est.reasoning


def test_sosialisasi_expects_no_recordings():
    est = capacity.expected_turnout(kind="sosialisasi", kits=0, hours=3, records_per_kit_hour=12,
                                    backlog=capacity.desa_backlog("Desa", 100, 0))
    assert (est.expected, est.limited_by) == (0, "no_recording")


def test_absentee_backlog_for_mop_up():
    est = capacity.expected_turnout(kind="perekaman", kits=1, hours=2, records_per_kit_hour=12,
                                    backlog=capacity.absentee_backlog("Balai RW 05", 15))
    assert est.expected == 15 and "belum hadir" in est.reasoning


def test_session_hours_over_several_days():
    assert capacity.session_hours(time(8, 0), time(12, 30)) == 4.5
    assert capacity.session_hours(time(8, 0), time(12, 0), days=2) == 8


# ---------------------------------------------------------------- workflow

@pytest.mark.parametrize("current,target", [
    ("rencana", "terkonfirmasi"), ("rencana", "dibatalkan"), ("rencana", "ditunda"),
    ("terkonfirmasi", "dibatalkan"), ("terkonfirmasi", "ditunda"),
    ("ditunda", "terkonfirmasi"), ("ditunda", "ditunda"), ("ditunda", "dibatalkan"),
])
def test_allowed_manual_transitions(current, target):
    errors = workflow.check_transition(current, target, reason="hujan", confirmed_with="Pak Lurah",
                                       new_date=date(2030, 1, 7), today=date(2030, 1, 1))
    assert errors == {}


@pytest.mark.parametrize("current,target", [
    ("rencana", "rencana"), ("terkonfirmasi", "rencana"), ("selesai", "dibatalkan"), ("dibatalkan", "rencana"),
    ("dibatalkan", "terkonfirmasi"), ("selesai", "ditunda"), ("ditunda", "rencana"),
])
def test_impossible_transitions_are_refused(current, target):
    errors = workflow.check_transition(current, target, reason="x", confirmed_with="x", new_date=date(2030, 1, 7))
    assert "status" in errors


def test_selesai_only_from_the_turnout_log():
    assert "laporan hasil" in workflow.check_transition("terkonfirmasi", "selesai")["status"]
    assert workflow.check_transition("terkonfirmasi", "selesai", manual=False) == {}
    assert "status" in workflow.check_transition("rencana", "selesai", manual=False)


def test_required_details_per_target():
    assert "reason" in workflow.check_transition("rencana", "dibatalkan", reason="  ")
    assert "confirmed_with" in workflow.check_transition("rencana", "terkonfirmasi")
    assert "new_date" in workflow.check_transition("rencana", "ditunda")
    past = workflow.check_transition("rencana", "ditunda", new_date=date(2026, 1, 1), today=date(2026, 2, 1))
    assert "masa lalu" in past["new_date"]


def test_unknown_status_and_final_states_have_clear_messages():
    assert "tidak dikenal" in workflow.check_transition("rencana", "hilang")["status"]
    msg = workflow.check_transition("dibatalkan", "rencana", labels={"dibatalkan": "Dibatalkan"})["status"]
    assert msg == "Sesi berstatus Dibatalkan tidak dapat diubah lagi."


def test_allowed_targets_for_buttons():
    assert workflow.allowed_targets("rencana") == ["terkonfirmasi", "ditunda", "dibatalkan"]
    assert workflow.allowed_targets("terkonfirmasi") == ["ditunda", "dibatalkan"]
    assert workflow.allowed_targets("terkonfirmasi", manual=False) == ["selesai", "ditunda", "dibatalkan"]
    assert workflow.allowed_targets("selesai") == []
