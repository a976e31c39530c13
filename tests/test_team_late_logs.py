"""Late logs in the team figures: a log first sent more than LATE_LOG_HOURS after its session ended counts
as late; the on-time rate is on-time logs ÷ logs due (logs sent + sessions still without a log that long
after they ended). On the team page, its ranking, the dashboard's short list, the exports and the JSON."""
import csv
import io
import re
from datetime import date, datetime, timezone
from types import SimpleNamespace

import openpyxl
import pytest

from outreach.field import rules
from tests import builders
from tests.conftest import WIB
from tests.test_coverage_teams_page import order, team_rows

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)   # a Monday morning
pytestmark = pytest.mark.at(NOW)
PERIOD = "from=2026-11-23&to=2026-12-07"


def at(day: int, hh: int, mm: int = 0, month: int = 12) -> datetime:
    """A moment in WIB, as UTC (SQLite keeps no offset: every stored time must be UTC)."""
    return datetime(2026, month, day, hh, mm, tzinfo=WIB).astimezone(timezone.utc)


@pytest.fixture()
def late(world, db):
    """Tim Keliling 1 (A), sessions 08.00–12.00:
      s1  30 Nov, log sent 5 Dec 12.00: five days late
      s2   1 Dec, log sent the same day 14.00: on time
      s3   2 Dec, log sent 3 Dec 12.00: exactly 24 hours after the end, on time
      s4   3 Dec, log sent 4 Dec 12.01: a minute over 24 hours, late
      s5   4 Dec, still terkonfirmasi without a log (ended 70 hours ago): due, missing, overdue
      s6   6 Dec 13.00–15.00, no log yet (ended 19 hours ago): not due yet
      s7   2 Dec, cancelled: never due
    -> sent 4, late 2, due 5, on time 2 of 5 = 40,0 %.
    Tim Keliling 2 (B): a three-day session 1–3 Dec, log sent 3 Dec 18.00 (on time from its last day)
    -> sent 1, late 0, due 1 = 100,0 %.   Tim Cadangan (C): no session -> nothing due (–).
    Ranking: A (an overdue log), then C (nothing due counts as on time) and B by their share reached."""
    w = world
    a = w.team
    b = builders.make_team("33.74", "Tim Keliling 2")
    c = builders.make_team("33.74.01", "Tim Cadangan")
    kit_b = builders.make_kit(b, "KIT-B1")
    logs = []
    for day, sent in ((date(2026, 11, 30), at(5, 12)), (date(2026, 12, 1), at(1, 14)),
                      (date(2026, 12, 2), at(3, 12)), (date(2026, 12, 3), at(4, 12, 1))):
        s = builders.make_session(w.site1, a, [w.kit], day=day, expected_turnout=20)
        logs.append(builders.make_turnout_log(s, recorded={"umum": 10}, created_at=sent))
    builders.make_session(w.site1, a, [w.kit], day=date(2026, 12, 4), status="terkonfirmasi", expected_turnout=20)
    builders.make_session(w.site1, a, [w.kit], day=date(2026, 12, 6), start="13:00", end="15:00",
                          status="terkonfirmasi")
    builders.make_session(w.site1, a, [w.kit], day=date(2026, 12, 2), status="dibatalkan", cancel_reason="hujan")
    multi = builders.make_session(w.site2, b, [kit_b], day=date(2026, 12, 1), end_date=date(2026, 12, 3),
                                  expected_turnout=30)
    logs.append(builders.make_turnout_log(multi, recorded={"umum": 30}, created_at=at(3, 18)))
    db.session.commit()
    return SimpleNamespace(**vars(w), a=a, b=b, c=c, logs=logs)


def api_teams(client, query=PERIOD) -> dict:
    resp = client.get(f"/api/v1/coverage/teams?region=33.74&{query}")
    assert resp.status_code == 200
    return {t["nama"]: t for t in resp.get_json()["items"]}


def test_a_log_sent_five_days_late_counts_late_and_lowers_the_on_time_rate(client, login_as, late):
    login_as("manager")
    teams = api_teams(client, "from=2026-11-30&to=2026-11-30")  # only the session of 30 November
    a = teams["Tim Keliling 1"]
    assert (a["logs_sent"], a["logs_late"], a["logs_on_time"], a["logs_due"], a["on_time_rate"]) == (1, 1, 0, 1, 0.0)
    assert a["logs_overdue"] == 0  # it was sent: not missing
    teams = api_teams(client)
    a, b, c = teams["Tim Keliling 1"], teams["Tim Keliling 2"], teams["Tim Cadangan"]
    assert (a["logs_sent"], a["logs_late"], a["logs_due"], a["logs_overdue"], a["on_time_rate"]) == (4, 2, 5, 1, 0.4)
    assert (b["logs_sent"], b["logs_late"], b["logs_due"], b["on_time_rate"]) == (1, 0, 1, 1.0)
    assert (c["logs_due"], c["on_time_rate"]) == (0, None)


def test_the_database_counts_late_logs_as_the_rule_says(client, login_as, late):
    """The SQL of the team figures and field.rules.sent_late agree, at the minute around the limit too."""
    login_as("admin")
    expected = {}
    for log in late.logs:
        s = log.session
        is_late = rules.sent_late(log.created_at, s.end_date or s.date, s.end_time, WIB, 24)
        expected[s.team_id] = expected.get(s.team_id, 0) + is_late
    assert expected == {late.a.id: 2, late.b.id: 0}
    teams = api_teams(client)
    assert {late.a.id: teams["Tim Keliling 1"]["logs_late"], late.b.id: teams["Tim Keliling 2"]["logs_late"]} == \
        expected


def test_late_log_hours_is_a_setting(client, login_as, late, app, monkeypatch):
    login_as("manager")
    # Five days and an hour: every log on time; the session missing for 70 hours is not due yet.
    monkeypatch.setitem(app.config, "LATE_LOG_HOURS", 121)
    a = api_teams(client)["Tim Keliling 1"]
    assert (a["logs_late"], a["logs_due"], a["on_time_rate"]) == (0, 4, 1.0)
    # Twelve hours: s1, s3 and s4 late; s5 and s6 (ended 19 hours ago) due and missing.
    monkeypatch.setitem(app.config, "LATE_LOG_HOURS", 12)
    a = api_teams(client)["Tim Keliling 1"]
    assert (a["logs_late"], a["logs_due"], a["on_time_rate"]) == (3, 6, round(1 / 6, 4))
    assert api_teams(client)["Tim Keliling 2"]["on_time_rate"] == 1.0  # 6 hours after its last day


def test_team_page_shows_late_logs_and_the_on_time_rate(client, login_as, late):
    login_as("manager")
    html = client.get(f"/dasbor/33.74/tim?{PERIOD}").get_data(as_text=True)
    rows = team_rows(html)
    #        sessions, open, done, cancelled, overdue, sent late, on time
    assert rows[late.a.id][2:9] == ["7", "2", "4", "1", "1", "2", "40,0%"]
    assert rows[late.b.id][2:9] == ["1", "0", "1", "0", "0", "0", "100,0%"]
    assert rows[late.c.id][2:9] == ["0", "0", "0", "0", "0", "0", "–"]
    total = re.search(r'data-testid="teams-total">(.*?)</tr>', html, flags=re.S).group(1)
    cells = dict(re.findall(r'data-col="(\w+)">([^<]*)<', total))
    assert (cells["logs_late"], cells["on_time_rate"]) == ("2", "50,0%")  # (5 − 2) of 6 due
    head = re.search(r"<thead.*?</thead>", html, flags=re.S).group(0)
    assert "Dikirim terlambat" in head and "Tepat waktu" in head
    assert "lebih dari 24 jam setelah sesinya berakhir" in html
    # sortable, and part of who is behind
    assert order(client.get(f"/dasbor/33.74/tim?{PERIOD}&sort=on_time_rate").get_data(as_text=True)) == \
        [late.a.id, late.b.id, late.c.id]
    assert order(client.get(f"/dasbor/33.74/tim?{PERIOD}&sort=-logs_late").get_data(as_text=True))[0] == late.a.id


def test_the_ranking_puts_a_team_that_logs_late_behind_one_that_logs_on_time(client, login_as, late, db):
    """Two teams without overdue logs and with the same share reached: the one that logs late is behind."""
    d = builders.make_team("33.74", "Tim Disiplin")
    e = builders.make_team("33.74", "Tim Lambat")
    for team, sent in ((d, at(24, 13, month=11)), (e, at(27, 13, month=11))):
        kit = builders.make_kit(team)
        s = builders.make_session(late.site1, team, [kit], day=date(2026, 11, 24), expected_turnout=10)
        builders.make_turnout_log(s, recorded={"umum": 10}, created_at=sent)
    db.session.commit()
    login_as("manager")
    ids = order(client.get(f"/dasbor/33.74/tim?{PERIOD}").get_data(as_text=True))
    assert ids.index(e.id) < ids.index(d.id)


def test_dashboard_short_list_carries_the_new_figures(client, login_as, late):
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    teams_section = re.search(r'data-testid="teams-section">(.*?)</section>', html, flags=re.S).group(1)
    head = re.search(r"<thead.*?</thead>", teams_section, flags=re.S).group(0)
    assert "Dikirim terlambat" in head and "Tepat waktu" in head
    rows = team_rows(teams_section, "teams")
    # name, sessions, done, overdue, sent late, on time, ... (the dashboard's last 28 days hold them all)
    assert rows[late.a.id][3:6] == ["1", "2", "40,0%"]
    assert rows[late.b.id][3:6] == ["0", "0", "100,0%"]


def test_exports_carry_late_logs_and_the_on_time_rate(client, login_as, late):
    login_as("manager")
    resp = client.get(f"/dasbor/33.74/ekspor/tim.csv?{PERIOD}&sort=nama")
    rows = {r["Tim"]: r for r in csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig")))}
    a = rows["Tim Keliling 1"]
    assert (a["Laporan masuk"], a["Laporan dikirim terlambat"], a["Laporan wajib masuk"],
            a["Persen laporan tepat waktu"]) == ("4", "2", "5", "40.0")
    assert rows["Tim Cadangan"]["Persen laporan tepat waktu"] == ""
    resp = client.get(f"/dasbor/33.74/ekspor/tim.xlsx?{PERIOD}")
    ws = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    values = list(ws.iter_rows(values_only=True))
    by_name = {r[1]: dict(zip(values[0], r)) for r in values[1:] if r and r[1]}
    assert by_name["Tim Keliling 2"]["Laporan dikirim terlambat"] == 0
    assert by_name["Tim Keliling 2"]["Persen laporan tepat waktu"] == 100.0
    assert by_name["Tim Keliling 1"]["Laporan wajib masuk"] == 5


def test_each_log_keeps_its_hours_after_the_end_and_the_migration_backfills_them(app, db, late):
    """The team figures count late logs from the log's own hours after the session's end (an index entry);
    the migration that added the column computes the same hours for the logs already there."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from outreach.models import TurnoutLog

    def hours():
        db.session.expire_all()
        return {row.id: row.hours_after_end for row in db.session.scalars(sa.select(TurnoutLog))}

    stored = hours()
    ids = [log.id for log in late.logs]
    # 30 Nov 12.00 → 5 Dec 12.00; 1 Dec 12.00 → 14.00; 2 Dec 12.00 → 3 Dec 12.00; 3 Dec → 4 Dec 12.01; the
    # three-day session ends 3 Dec 12.00 → 18.00.
    assert [stored[i] for i in ids] == pytest.approx([120.0, 2.0, 24.0, 24 + 1 / 60, 6.0])
    db.session.commit()
    db.session.remove()
    downgrade(revision="0013")
    upgrade()
    assert hours() == pytest.approx(stored)
