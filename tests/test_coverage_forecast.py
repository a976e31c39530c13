"""Forecast (pure): at the pace of the last N weeks, when does each area's reachable backlog reach zero,
which miss the deadline and by how many sessions. Hand-computed cases; no app, no database."""
from datetime import date

import pytest

from outreach.coverage.forecast import (DONE, LATE, ON_TRACK, STALLED, PaceInput, forecast, forecast_area,
                                        overall_per_session, summary)

TODAY = date(2026, 10, 1)
DEADLINE = date(2026, 11, 26)  # 8 weeks (56 days) after TODAY


def test_on_track_area_finishes_before_the_deadline():
    # 80 recorded in 4 weeks = 20 a week, 8 sessions = 10 a session; 100 left = 5 weeks = 35 days.
    f = forecast_area(PaceInput("33.74.01", "Satu", 100, 80, 8), TODAY, 4, DEADLINE)
    assert (f.weekly_pace, f.per_session, f.weeks_to_zero, f.finish_date) == (20.0, 10.0, 5.0, date(2026, 11, 5))
    assert (f.status, f.misses_deadline, f.shortfall_at_deadline, f.extra_sessions) == (ON_TRACK, False, 0, 0)


def test_late_area_is_flagged_with_the_sessions_it_lacks():
    # 300 left at 20 a week: 15 weeks (105 days). By the deadline (8 weeks) 160 are reached: 140 short,
    # at 10 a session that is 14 more sessions.
    f = forecast_area(PaceInput("33.74.02", "Dua", 300, 80, 8), TODAY, 4, DEADLINE)
    assert (f.weeks_to_zero, f.finish_date) == (15.0, date(2027, 1, 14))
    assert (f.status, f.misses_deadline, f.shortfall_at_deadline, f.extra_sessions) == (LATE, True, 140, 14)


def test_fractions_round_up_to_whole_days_people_and_sessions():
    # 101 left at 20 a week: 5.05 weeks = 35.35 days -> 36 days.
    f = forecast_area(PaceInput("a", "A", 101, 80, 8), TODAY, 4, date(2026, 11, 5))
    assert f.finish_date == date(2026, 11, 6)
    # By 5 Nov (35 days = 5 weeks) 100 are reached: 1 short, one more session.
    assert (f.status, f.shortfall_at_deadline, f.extra_sessions) == (LATE, 1, 1)
    # 7 recorded in 3 sessions (2.33 a session): 10 short needs ceil(10 / 2.33) = 5 sessions.
    g = forecast_area(PaceInput("b", "B", 17, 7, 3), TODAY, 1, date(2026, 10, 8))
    assert (g.shortfall_at_deadline, g.extra_sessions) == (10, 5)


def test_zero_pace_never_finishes_and_uses_the_overall_average_per_session():
    rows = [PaceInput("a", "A", 100, 80, 8), PaceInput("b", "B", 300, 80, 8), PaceInput("c", "C", 50, 0, 0)]
    assert overall_per_session(rows) == 10.0
    by_kode = {f.kode: f for f in forecast(rows, TODAY, 4, DEADLINE)}
    c = by_kode["c"]
    assert (c.weekly_pace, c.weeks_to_zero, c.finish_date, c.status) == (0.0, None, None, STALLED)
    assert (c.misses_deadline, c.shortfall_at_deadline, c.per_session, c.extra_sessions) == (True, 50, 10.0, 5)


def test_zero_pace_everywhere_leaves_the_sessions_unknown():
    (f,) = forecast([PaceInput("a", "A", 40)], TODAY, 8, DEADLINE)
    assert (f.status, f.shortfall_at_deadline, f.per_session, f.extra_sessions) == (STALLED, 40, None, None)
    assert summary([f]) == {"areas": 1, "missing_deadline": 1, "stalled": 1, "shortfall_at_deadline": 40,
                            "extra_sessions": 0, "extra_sessions_unknown": 1, "last_finish": None}


def test_nothing_left_is_done_today_even_without_pace():
    f = forecast_area(PaceInput("a", "A", 0), TODAY, 8, DEADLINE)
    assert (f.status, f.finish_date, f.weeks_to_zero, f.misses_deadline, f.extra_sessions) == (
        DONE, TODAY, 0.0, False, 0)


def test_without_a_deadline_nothing_is_flagged():
    f = forecast_area(PaceInput("a", "A", 300, 80, 8), TODAY, 4, None)
    assert (f.status, f.finish_date, f.misses_deadline, f.shortfall_at_deadline) == (
        ON_TRACK, date(2027, 1, 14), False, 0)
    stalled = forecast_area(PaceInput("b", "B", 30), TODAY, 4, None)
    assert (stalled.status, stalled.misses_deadline) == (STALLED, False)


def test_deadline_today_counts_everything_left_as_short():
    f = forecast_area(PaceInput("a", "A", 30, 80, 8), TODAY, 4, TODAY)
    assert (f.status, f.shortfall_at_deadline, f.extra_sessions) == (LATE, 30, 3)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="past"):
        forecast_area(PaceInput("a", "A", 10), TODAY, 4, date(2026, 9, 30))
    with pytest.raises(ValueError, match="weeks"):
        forecast_area(PaceInput("a", "A", 10), TODAY, 0, DEADLINE)


def test_order_and_summary():
    rows = [PaceInput("ok", "Ok", 100, 80, 8), PaceInput("late", "Late", 300, 80, 8),
            PaceInput("stalled", "Stalled", 50), PaceInput("done", "Done", 0, 10, 1)]
    items = forecast(rows, TODAY, 4, DEADLINE)
    # missing the deadline first, the biggest shortfall first; then by finish date
    assert [f.kode for f in items] == ["late", "stalled", "done", "ok"]
    s = summary(items)
    assert s == {"areas": 4, "missing_deadline": 2, "stalled": 1, "shortfall_at_deadline": 190,
                 "extra_sessions": 14 + 5, "extra_sessions_unknown": 0, "last_finish": None}
    # the average per session over all areas: (80 + 80 + 10) / (8 + 8 + 1) = 10
    assert {f.kode: f.extra_sessions for f in items}["stalled"] == 5
    d = items[0].as_dict()
    assert d["finish_date"] == "2027-01-14" and d["status"] == LATE and d["weekly_pace"] == 20.0
