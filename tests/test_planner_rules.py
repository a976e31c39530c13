"""The planner on small hand-checked cases (plain Python: no app, no database)."""
from datetime import date, datetime, time

import pytest

from tests.conftest import WIB

from outreach.planner import (BusySlot, Kit, PlanRequest, PriorityWeights, Site, Team, plan, working_days)
from outreach.planner.instance import Instance
from bench.yardsticks.planner_instances import small_instance

MON = date(2026, 2, 2)  # a Monday; 2026-02-17 is Tahun Baru Imlek
LAT, LNG = -7.40, 109.00
KM_LAT = 1 / 111.195  # degrees of latitude per km
PLAIN = PriorityWeights(pemilih_pemula=1.0, lagging=0.0, per_30_days_since_visit=0.0)


def north(km: float) -> float:
    return LAT + km * KM_LAT


def request(sites, *, first=MON, last=MON, teams=None, kits=None, busy=(), desa_backlog=None, **settings):
    """Office at (LAT, LNG), 08:00-15:00, 10 records per kit-hour, 30 km/h, straight roads."""
    values = dict(work_start=time(8), work_end=time(15), records_per_kit_hour=10, travel_speed_kmh=30,
                  road_factor=1.0, min_session_hours=2, max_session_hours=6, weights=PLAIN)
    values.update(settings)
    return PlanRequest(first_day=first, last_day=last, teams=tuple(teams or [Team(1, LAT, LNG, name="Tim A")]),
                       kits=tuple(kits or [Kit(1, "K-01")]), sites=tuple(sites), desa_backlog=desa_backlog or {},
                       busy=tuple(busy), **values)


def test_two_sites_one_team_picks_the_larger_yield_after_travel():
    # A: at the office, backlog 50 -> 50. B: 45 km away, backlog 500, but 3 hours on the road
    # leave 4 hours -> at most 40 with one kit. The naive "largest backlog" choice would be B.
    near = Site("A", LAT, LNG, name="RT 01 Dekat", backlog=50)
    far = Site("B", north(45), LNG, name="Balai Jauh", backlog=500)
    result = plan(request([near, far]))
    assert [(s.site_id, s.expected_yield) for s in result.items] == [("A", 50)]
    assert result.total_expected_yield == 50
    assert result.items[0].reason.startswith("backlog 50, 0 km")
    assert [lo.site_id for lo in result.left_out] == ["B"]

    # Bring B to 15 km: 30 minutes each way still leave the full 6 hours -> 60 > 50.
    closer = Site("B", north(15), LNG, name="Balai Jauh", backlog=500)
    result = plan(request([near, closer]))
    item, = result.items
    assert (item.site_id, item.expected_yield, item.start, item.end) == ("B", 60, time(8, 30), time(14, 30))
    assert item.reason.startswith("backlog 500, 15 km")


def test_sites_of_one_desa_share_its_backlog():
    balai = Site(1, LAT, LNG, name="Balai Desa Sukamaju", desa="33.01.01.2001", backlog=100)
    rw = Site(2, north(0.5), LNG, name="RW 02 Sukamaju", desa="33.01.01.2001", backlog=80)
    # Three days, one kit of 60 a day: without the shared pool the plan would count 180.
    result = plan(request([balai, rw], last=date(2026, 2, 4), desa_backlog={"33.01.01.2001": 100}))
    assert result.total_expected_yield == 100
    assert len(result.items) == 2  # the third day would record no one
    assert sum(s.expected_yield for s in result.items) == 100
    # The second session's reason shows what is left of the desa, not the site's own figure.
    assert result.items[1].reason.startswith("backlog 40,")


def test_desa_pool_defaults_to_the_largest_site_backlog():
    a = Site(1, LAT, LNG, desa="D", backlog=70)
    b = Site(2, LAT, LNG, desa="D", backlog=50)
    result = plan(request([a, b], last=date(2026, 2, 4)))
    assert result.total_expected_yield == 70


@pytest.mark.at(datetime(2026, 1, 20, 9, 0, tzinfo=WIB))
def test_school_after_its_cutoff_gets_no_pemilih_pemula_weight():
    def school(cutoff):
        return Site("S", LAT, LNG, name="SMA N 1", pemilih_pemula=50, cutoff=cutoff, days_since_visit=0)

    before = plan(request([school(date(2026, 2, 14))])).items[0]
    after = plan(request([school(date(2026, 1, 31))])).items[0]
    assert (before.expected_yield, before.pemilih_pemula_yield, before.weighted_value) == (50, 50, 100.0)
    assert (after.expected_yield, after.pemilih_pemula_yield, after.weighted_value) == (50, 50, 50.0)
    assert "pemilih pemula 50 sebelum 14 Feb" in before.reason
    assert "pemilih pemula 50 (lewat batas 31 Jan)" in after.reason


@pytest.mark.at(datetime(2025, 11, 3, 9, 0, tzinfo=WIB))
def test_a_cutoff_in_another_year_names_its_year():
    school = Site("S", LAT, LNG, name="SMA N 1", pemilih_pemula=50, cutoff=date(2026, 2, 14), days_since_visit=0)
    assert "pemilih pemula 50 sebelum 14 Feb 2026" in plan(request([school])).items[0].reason


def test_start_times_fall_on_the_quarter_hour():
    # 12 km at 30 km/h: 25 minutes on the road; the session starts at 08.30, not 08.25, and still ends in
    # time to drive back before 15.00.
    site = Site("A", north(12), LNG, name="Balai", backlog=20)
    item, = plan(request([site])).items
    assert item.start == time(8, 30)
    assert item.start.minute % 15 == 0 and item.end.minute % 15 == 0
    # A long session that needs the whole day starts on the quarter hour before the arrival instead.
    big = Site("B", north(12), LNG, name="Balai Besar", backlog=500)
    item, = plan(request([big], max_session_hours=7)).items
    assert item.start == time(8, 15)
    assert item.end <= time(14, 35)


def test_school_before_its_cutoff_wins_over_one_after():
    late = Site(1, LAT, LNG, name="SMA lewat", pemilih_pemula=60, cutoff=date(2026, 1, 30))
    early = Site(2, LAT, LNG, name="SMA sebelum", pemilih_pemula=60, cutoff=date(2026, 2, 20))
    result = plan(request([late, early]))
    assert [s.site_id for s in result.items] == [2]


def test_school_is_visited_before_its_cutoff():
    # Two days; the school's cut-off is the first day, the desa site does not care.
    school = Site(1, LAT, LNG, pemilih_pemula=60, cutoff=MON)
    desa = Site(2, LAT, LNG, backlog=60)
    result = plan(request([desa, school], last=date(2026, 2, 3)))
    by_site = {s.site_id: s.date for s in result.items}
    assert by_site == {1: MON, 2: date(2026, 2, 3)}


def test_working_days_skip_weekends_and_public_holidays():
    # Fri 13 Feb, (Sat, Sun), Mon 16, Tue 17 = Tahun Baru Imlek, Wed 18.
    assert working_days(date(2026, 2, 13), date(2026, 2, 18)) == (
        date(2026, 2, 13), date(2026, 2, 16), date(2026, 2, 18))
    assert date(2026, 8, 17) not in working_days(date(2026, 8, 17), date(2026, 8, 21))  # Hari Kemerdekaan
    assert working_days(date(2026, 2, 13), date(2026, 2, 18), extra_holidays=frozenset({date(2026, 2, 16)})) == (
        date(2026, 2, 13), date(2026, 2, 18))
    sites = [Site(n, LAT, LNG, backlog=1000) for n in range(1, 4)]
    result = plan(request(sites, first=date(2026, 2, 13), last=date(2026, 2, 18)))
    assert sorted({s.date for s in result.items}) == [date(2026, 2, 13), date(2026, 2, 16), date(2026, 2, 18)]
    assert result.working_days == (date(2026, 2, 13), date(2026, 2, 16), date(2026, 2, 18))


def test_blocked_site_dates_are_respected():
    school = Site(1, LAT, LNG, name="SMA libur", pemilih_pemula=500, blocked_dates=frozenset({MON}))
    rt = Site(2, LAT, LNG, name="RT 01", backlog=100)
    result = plan(request([school, rt], last=date(2026, 2, 3)))
    assert {(s.site_id, s.date) for s in result.items} == {(2, MON), (1, date(2026, 2, 3))}

    always = Site(1, LAT, LNG, pemilih_pemula=500, blocked_dates=frozenset({MON, date(2026, 2, 3)}))
    result = plan(request([always, rt], last=date(2026, 2, 3)))
    assert all(s.site_id == 2 for s in result.items)
    assert dict(result.left_out)[1] == "tidak bisa menerima kunjungan pada semua hari kerja dalam rentang ini"


def test_kits_under_repair_or_booked_are_not_used():
    kits = [Kit(1, "K-01", under_repair=True), Kit(2, "K-02"), Kit(3, "K-03", unavailable_dates=frozenset({MON}))]
    sites = [Site(n, LAT, LNG, backlog=1000) for n in range(1, 4)]
    result = plan(request(sites, last=date(2026, 2, 3), kits=kits, busy=[BusySlot(MON, kit_ids=(2,))]))
    assert result.items, "day 2 still has kits 2 and 3"
    assert {s.date for s in result.items} == {date(2026, 2, 3)}
    used = [k for s in result.items for k in s.kit_ids]
    assert sorted(used) == [2, 3]


def test_shared_kits_are_split_between_teams_and_busy_teams_rest():
    teams = [Team(1, LAT, LNG, name="Tim A"), Team(2, LAT, LNG, name="Tim B", kit_ids=(2,))]
    kits = [Kit(1, "K-01"), Kit(2, "K-02")]
    sites = [Site(n, LAT, LNG, backlog=1000) for n in range(1, 4)]
    result = plan(request(sites, last=date(2026, 2, 3), teams=teams, kits=kits,
                          busy=[BusySlot(date(2026, 2, 3), team_id=1)]))
    per_day: dict = {}
    for s in result.items:
        per_day.setdefault(s.date, []).extend(s.kit_ids)
        if s.team_id == 2:
            assert s.kit_ids == (2,)
    assert all(len(k) == len(set(k)) <= 2 for k in per_day.values())
    assert not any(s.team_id == 1 and s.date == date(2026, 2, 3) for s in result.items)
    assert result.total_expected_yield == 120 + 60  # day 1: both kits; day 2: only team B with kit 2


def test_priority_weights_order_equal_sites():
    plain = Site(1, LAT, LNG, backlog=60, days_since_visit=0)
    lagging = Site(2, LAT, LNG, backlog=60, days_since_visit=0, lagging=True)
    stale = Site(3, LAT, LNG, backlog=60, days_since_visit=170)
    weights = PriorityWeights(pemilih_pemula=1.0, lagging=0.5, per_30_days_since_visit=0.1)
    assert [s.site_id for s in plan(request([plain, lagging], weights=weights)).items] == [2]
    result = plan(request([plain, stale], weights=weights))
    assert [s.site_id for s in result.items] == [3]
    assert "170 hari sejak kunjungan terakhir" in result.items[0].reason


def test_same_input_gives_the_same_plan_whatever_the_order():
    req = small_instance(11)
    first = plan(req)
    again = plan(req)
    shuffled = plan(PlanRequest(**{**req.__dict__, "sites": tuple(reversed(req.sites)),
                                   "teams": tuple(reversed(req.teams)), "kits": tuple(reversed(req.kits))}))
    assert first.items == again.items == shuffled.items
    assert first.left_out == again.left_out == shuffled.left_out
    assert first.total_weighted_yield == again.total_weighted_yield == shuffled.total_weighted_yield


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_a_plan_keeps_every_rule(seed):
    req = small_instance(seed)
    result = plan(req)
    inst = Instance(req)
    days = set(req.working_days())
    sites = {s.id: s for s in req.sites}
    seen_team_days, kits_by_day = set(), {}
    busy_teams = {(b.date, b.team_id) for b in req.busy}
    busy_kits = {(b.date, k) for b in req.busy for k in b.kit_ids}
    kits = {k.id: k for k in req.kits}
    teams = {t.id: t for t in req.teams}
    for s in result.items:
        assert s.date in days and s.date not in sites[s.site_id].blocked_dates
        assert (s.team_id, s.date) not in seen_team_days and (s.date, s.team_id) not in busy_teams
        seen_team_days.add((s.team_id, s.date))
        for k in s.kit_ids:
            assert not kits[k].under_repair and s.date not in kits[k].unavailable_dates and (s.date, k) not in busy_kits
            assert teams[s.team_id].kit_ids is None or k in teams[s.team_id].kit_ids
            kits_by_day.setdefault(s.date, []).append(k)
        assert req.work_start <= s.start < s.end <= req.work_end
        assert 0 < s.expected_yield
    assert all(len(v) == len(set(v)) for v in kits_by_day.values())
    assert result.total_expected_yield == sum(s.expected_yield for s in result.items)
    assert result.total_weighted_yield == pytest.approx(sum(s.weighted_value for s in result.items))
    # No pool is overdrawn: per desa and per school.
    per_desa, per_school = {}, {}
    for s in result.items:
        site = sites[s.site_id]
        per_school[site.id] = per_school.get(site.id, 0) + s.pemilih_pemula_yield
        if site.desa:
            per_desa[site.desa] = per_desa.get(site.desa, 0) + s.expected_yield - s.pemilih_pemula_yield
    assert all(v <= req.desa_backlog[k] for k, v in per_desa.items())
    assert all(v <= sites[k].pemilih_pemula for k, v in per_school.items())
    visited = {s.site_id for s in result.items}
    assert visited | {lo.site_id for lo in result.left_out} == {inst.sites[i].id for i in range(len(inst.sites))}
