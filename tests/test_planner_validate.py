"""Bad planner input gets a clear message in Bahasa Indonesia, and nothing is planned."""
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from tests.conftest import WIB

from outreach.planner import (BusySlot, Kit, PlanInputError, PlanRequest, PriorityWeights, Site, Team, plan,
                              validate)

MON = date(2026, 2, 2)


def good(**changes) -> PlanRequest:
    req = PlanRequest(first_day=MON, last_day=date(2026, 2, 6), teams=(Team(1, -7.4, 109.0, name="Tim A"),),
                      kits=(Kit(1, "K-01"), Kit(2, "K-02")), sites=(Site(1, -7.41, 109.0, name="RT 01", backlog=50),))
    return replace(req, **changes)


def messages(req: PlanRequest) -> list[str]:
    return [i.message for i in validate(req)]


def test_a_good_request_has_no_issue():
    assert validate(good()) == []


@pytest.mark.at(datetime(2026, 1, 20, 9, 0, tzinfo=WIB))
def test_empty_date_range():
    msgs = messages(good(first_day=date(2026, 2, 6), last_day=MON))
    assert msgs == ["Rentang tanggal kosong: tanggal akhir Sen, 2 Feb sebelum tanggal mulai Jum, 6 Feb."]


@pytest.mark.at(datetime(2025, 12, 20, 9, 0, tzinfo=WIB))
def test_dates_of_another_year_name_their_year():
    msgs = messages(good(first_day=date(2026, 2, 6), last_day=MON))
    assert msgs == ["Rentang tanggal kosong: tanggal akhir Sen, 2 Feb 2026 sebelum tanggal mulai Jum, 6 Feb 2026."]


@pytest.mark.at(datetime(2026, 1, 20, 9, 0, tzinfo=WIB))
def test_range_without_working_days():
    msgs = messages(good(first_day=date(2026, 2, 14), last_day=date(2026, 2, 15)))  # Saturday and Sunday
    assert msgs == ["Tidak ada hari kerja antara Sab, 14 Feb dan Min, 15 Feb "
                    "(akhir pekan dan hari libur nasional tidak dihitung)."]


def test_no_team():
    assert messages(good(teams=())) == ["Tidak ada tim yang tersedia: tambahkan tim perekaman terlebih dahulu."]


def test_every_team_already_booked_says_which():
    busy = tuple(BusySlot(date(2026, 2, d), team_id=1) for d in range(2, 7))
    assert messages(good(busy=busy)) == [
        "Tidak ada tim yang tersedia: semua tim (Tim A) sudah terjadwal pada semua hari kerja dalam rentang ini."]


def test_no_kit():
    assert messages(good(kits=())) == ["Tidak ada alat perekaman yang tersedia: tambahkan alat terlebih dahulu."]


def test_every_kit_under_repair_or_booked_says_which():
    kits = (Kit(1, "K-01", under_repair=True), Kit(2, "K-02"))
    busy = tuple(BusySlot(date(2026, 2, d), kit_ids=(2,)) for d in range(2, 7))
    assert messages(good(kits=kits, busy=busy)) == [
        "Tidak ada alat yang tersedia: K-01 sedang diperbaiki; K-02 sudah terpakai atau tidak tersedia "
        "pada semua hari kerja."]


def test_team_whose_kits_are_all_out():
    teams = (Team(1, -7.4, 109.0, name="Tim A"), Team(2, -7.4, 109.0, name="Tim B", kit_ids=(1,)))
    kits = (Kit(1, "K-01", under_repair=True), Kit(2, "K-02"))
    assert messages(good(teams=teams, kits=kits)) == ["Tim B tidak punya alat yang tersedia dalam rentang ini."]
    nameless = (Team(7, -7.4, 109.0, kit_ids=(1, 9)),)
    assert messages(good(teams=nameless, kits=kits)) == [
        "Tim 7 memakai alat yang tidak dikenal: 9.", "Tim 7 tidak punya alat yang tersedia dalam rentang ini."]


@pytest.mark.parametrize("changes, expected", [
    ({"travel_speed_kmh": 0}, "Kecepatan perjalanan harus lebih dari 0 km/jam (sekarang 0)."),
    ({"records_per_kit_hour": -5}, "Jumlah perekaman per alat per jam harus lebih dari 0 (sekarang -5)."),
    ({"road_factor": 0.8}, "Faktor jalan harus minimal 1 (jarak jalan tidak lebih pendek dari garis lurus; "
                           "sekarang 0.8)."),
    ({"work_start": time(15), "work_end": time(8)}, "Jam kerja selesai (08.00) harus setelah jam mulai (15.00)."),
    ({"min_session_hours": -1}, "Lama sesi minimal tidak boleh negatif (sekarang -1)."),
    ({"max_session_hours": 1}, "Lama sesi maksimal (1 jam) lebih kecil dari lama sesi minimal (2.0 jam)."),
    ({"min_session_hours": 8, "max_session_hours": 9}, "Lama sesi minimal (8 jam) lebih panjang dari jam kerja."),
    ({"weights": PriorityWeights(lagging=-1)}, "Bobot prioritas wilayah tertinggal tidak boleh negatif (sekarang -1)."),
])
def test_settings_out_of_range(changes, expected):
    assert messages(good(**changes)) == [expected]


def test_region_without_targets():
    assert messages(good(sites=())) == [
        "Wilayah ini tidak punya sasaran: belum ada lokasi (RT/RW, balai desa, sekolah) untuk dikunjungi."]
    empty = (Site(1, -7.41, 109.0, desa="D1", backlog=40), Site(2, -7.41, 109.0, pemilih_pemula=0))
    assert messages(good(sites=empty, desa_backlog={"D1": 0})) == [
        "Wilayah ini tidak punya sasaran: tidak ada lokasi dengan backlog yang bisa dijangkau atau pemilih pemula "
        "yang belum direkam."]


def test_bad_sites():
    sites = (Site(1, 200.0, 109.0, name="RT salah", backlog=5), Site(2, -7.4, 109.0, name="RT minus", backlog=-3))
    assert messages(good(sites=sites, desa_backlog={"D9": -1})) == [
        "Koordinat lokasi RT salah tidak valid (200.0, 109.0).",
        "Backlog atau pemilih pemula lokasi RT minus tidak boleh negatif.",
        "Backlog desa tidak boleh negatif: D9."]


def test_plan_refuses_bad_input_with_every_issue():
    with pytest.raises(PlanInputError) as err:
        plan(good(teams=(), travel_speed_kmh=0))
    assert [i.field for i in err.value.issues] == ["pengaturan", "tim"]
    assert "Kecepatan perjalanan" in str(err.value) and "Tidak ada tim" in str(err.value)
