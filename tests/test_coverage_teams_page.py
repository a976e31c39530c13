"""The team figures page (/dasbor/<kode>/tim) and the dashboard's short team list: figures against
hand-computed sums, sorting, the period form and its bad input, the ranking chart, scoping, exports."""
import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace

import openpyxl
import pytest

from tests import builders
from tests.conftest import WIB

# The instant the team figures are read at (a Monday morning).
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
TODAY = NOW.date()
pytestmark = pytest.mark.at(NOW)
SVG = "{http://www.w3.org/2000/svg}"
EVIL = "=cmd|' /C calc'!A0"


def svg(html: str, testid: str) -> ET.Element:
    found = re.findall(r'<svg [^>]*class="jb-chart".*?</svg>', html, flags=re.S)
    charts = [ET.fromstring(s) for s in found]
    return next(c for c in charts if c.get("data-testid") == testid)


def team_rows(html: str, testid: str = "teams-table") -> dict:
    """{team id: [cell texts]} of a team table, in page order (dicts keep insertion order)."""
    table = re.search(r'data-testid="%s">(.*?)</table>' % testid, html, flags=re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, flags=re.S).group(1)
    rows = {}
    for team_id, cells in re.findall(r'<tr data-team-id="(\d+)"[^>]*>(.*?)</tr>', body, flags=re.S):
        rows[int(team_id)] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells,
                                                                                    flags=re.S)]
    return rows


def order(html: str, testid: str = "teams-table") -> list[int]:
    return list(team_rows(html, testid))


@pytest.fixture()
def tw(world, db):
    """Three teams of Kota Uji (and one of Kabupaten Lain), sessions over the last weeks.

    Tim Keliling 1 (A, the world's team, one kit):
      a1  10 days ago, Kec. Satu,  expected 50, log 40 (08–12: 1 kit × 4 h), sent at 14.00 that day: on time
      a2  12 days ago, Kec. Dua,   expected 20, log  8 (1 kit × 4 h), sent now: late
      a3  today 13–16, Kec. Satu,  terkonfirmasi (open, not overdue)
      a4  3 days ago,  Kec. Satu,  dibatalkan
      old 40 days ago, Kec. Satu,  log 26 (outside the default 28 days)
      far 2 days ago,  Kabupaten Lain, log 100 (outside Kota Uji)
    Tim Keliling 2 (B, two kits):
      b1  5 days ago,  Kec. Satu,  terkonfirmasi, no log: overdue
      b2  8 days ago,  Kec. Satu,  expected 20, log 30 (08–11: 2 kits × 3 h = 6 kit-hours), sent now: late
    Tim Cadangan (C, office Kec. Satu): no session.
    Tim Kabupaten Lain (D, office 33.01): one session there.

    Hand-computed, Kota Uji, last 28 days (A, B, C):
      sessions 4 / 2 / 0; open 1 / 1 / 0; done 2 / 1 / 0; cancelled 1 / 0 / 0; overdue 0 / 1 / 0
      logs sent late 1 / 1 / 0; logs due 2 / 2 (b2 and the missing b1) / 0 -> on time 50,0% / 0,0% / –
      recorded 48 / 30 / 0; kit-hours 8 / 6 / 0 -> per kit-hour 6,0 / 5,0 / –
      expected of logged sessions 70 / 20 / 0 -> reached 68,6% (48/70) / 150,0% / –
      totals: 6 sessions, 2 open, 3 done, 1 cancelled, 1 overdue, 2 sent late, 1 of 4 on time (25,0%),
              78 recorded, 78/14 = 5,6 per kit-hour, 78/90 = 86,7%
    Who is behind: B (an overdue log), A (half its logs on time), C (nothing due).
    """
    w = world
    a = w.team
    b = builders.make_team("33.74", "Tim Keliling 2")
    c = builders.make_team("33.74.01", "Tim Cadangan")
    d = builders.make_team("33.01", "Tim Kabupaten Lain")
    kit_b1, kit_b2 = builders.make_kit(b, "KIT-B1"), builders.make_kit(b, "KIT-B2")
    kit_d = builders.make_kit(d, "KIT-D")
    site_b = builders.make_site(w.desa2.kode, "Balai Desa Satu B")

    a1 = builders.make_session(w.site1, a, [w.kit], day=TODAY - timedelta(days=10), expected_turnout=50)
    builders.make_turnout_log(a1, recorded={"pemilih_pemula": 10, "umum": 30},
                              created_at=datetime.combine(a1.date, time(14, 0), tzinfo=WIB).astimezone(timezone.utc))
    a2 = builders.make_session(w.site2, a, [w.kit], day=TODAY - timedelta(days=12), expected_turnout=20)
    builders.make_turnout_log(a2, recorded={"umum": 8})
    builders.make_session(site_b, a, [w.kit], day=TODAY, start="13:00", end="16:00", status="terkonfirmasi",
                          expected_turnout=60)
    builders.make_session(w.site1, a, [w.kit], day=TODAY - timedelta(days=3), status="dibatalkan",
                          cancel_reason="hujan")
    old = builders.make_session(w.site1, a, [w.kit], day=TODAY - timedelta(days=40))
    builders.make_turnout_log(old, recorded={"umum": 26})
    far = builders.make_session(w.other_site, a, [w.kit], day=TODAY - timedelta(days=2), expected_turnout=10)
    builders.make_turnout_log(far, recorded={"umum": 100})

    b1 = builders.make_session(site_b, b, [kit_b1], day=TODAY - timedelta(days=5), status="terkonfirmasi",
                               expected_turnout=30)
    b2 = builders.make_session(w.site1, b, [kit_b1, kit_b2], day=TODAY - timedelta(days=8), end="11:00",
                               expected_turnout=20)
    builders.make_turnout_log(b2, recorded={"umum": 30})

    d1 = builders.make_session(w.other_site, d, [kit_d], day=TODAY - timedelta(days=6), expected_turnout=10)
    builders.make_turnout_log(d1, recorded={"umum": 9})
    db.session.commit()
    return SimpleNamespace(**vars(w), a=a, b=b, c=c, d=d, b1=b1, site_b=site_b)


# ---------------------------------------------------------------- the page's figures

def test_team_page_figures_match_the_hand_computed_sums(client, login_as, tw):
    login_as("manager")
    resp = client.get("/dasbor/33.74/tim")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    rows = team_rows(html)
    assert set(rows) == {tw.a.id, tw.b.id, tw.c.id}  # not the team of Kabupaten Lain
    #   name, office, sessions, open, done, cancelled, overdue, sent late, on time, recorded, per kit-h, reached
    assert rows[tw.a.id] == ["Tim Keliling 1", "Kota Uji", "4", "1", "2", "1", "0", "1", "50,0%", "48", "6,0",
                             "68,6%"]
    assert rows[tw.b.id] == ["Tim Keliling 2", "Kota Uji", "2", "1", "1", "0", "1", "1", "0,0%", "30", "5,0",
                             "150,0%"]
    assert rows[tw.c.id] == ["Tim Cadangan", "Kecamatan Satu", "0", "0", "0", "0", "0", "0", "–", "0", "–", "–"]
    total = re.search(r'data-testid="teams-total">(.*?)</tr>', html, flags=re.S).group(1)
    cells = dict(re.findall(r'data-col="(\w+)">([^<]*)<', total))
    assert cells == {"sessions_planned": "6", "sessions_open": "2", "sessions_done": "3", "sessions_cancelled": "1",
                     "logs_overdue": "1", "logs_late": "2", "on_time_rate": "25,0%", "recorded": "78",
                     "recorded_per_kit_hour": "5,6",
                     "expected_reached_share": "86,7%"}
    summary = re.search(r'data-testid="teams-summary">(.*?)</p>', html, flags=re.S).group(1)
    period = f"{TODAY - timedelta(days=28):%Y-%m-%d}"
    assert "3 tim, sesi tanggal" in summary
    assert "1 tim punya laporan terlambat (1 laporan)" in summary
    assert "Terekam 78 dari perkiraan hadir 90 (86,7%)" in summary
    assert "Laporan tepat waktu: 25,0% dari 4 laporan yang wajib masuk (2 dikirim terlambat)" in summary
    # the form shows the period it used (the last 28 days)
    assert f'name="from" value="{period}"' in html and f'name="to" value="{TODAY:%Y-%m-%d}"' in html
    # a team's name opens its sessions over the period
    assert f'href="/sesi?team_id={tw.b.id}&amp;from={period}&amp;to={TODAY:%Y-%m-%d}"' in html
    # the default order: who is behind first
    assert order(html) == [tw.b.id, tw.a.id, tw.c.id]


def test_team_page_chart_ranks_who_is_behind(client, login_as, tw):
    login_as("manager")
    html = client.get("/dasbor/33.74/tim").get_data(as_text=True)
    chart = svg(html, "teams-chart")
    bars = chart.findall(f".//{SVG}g")
    bars = [g for g in bars if (g.get("class") or "").startswith("bar")]
    assert [g.get("data-label") for g in bars] == ["Tim Keliling 2", "Tim Keliling 1", "Tim Cadangan"]
    assert [g.get("class") for g in bars] == ["bar flagged", "bar", "bar"]  # B has an overdue log
    texts = ["".join(g.findall(f"{SVG}text")[-1].itertext()) for g in bars]
    assert texts == ["150,0% · 1 laporan terlambat", "68,6%", "tanpa sesi"]
    # bar lengths follow the share: 150 % is longer than 68,6 %; no bar for a team with nothing logged
    widths = [float(g.find(f"{SVG}rect").get("width")) if g.find(f"{SVG}rect") is not None else 0 for g in bars]
    assert widths[0] > widths[1] > 0 and widths[2] == 0
    assert abs(widths[0] / widths[1] - 150 / (48 / 70 * 100)) < 0.02
    assert chart.find(f".//{SVG}g[@class='reference']") is not None  # the line at 100 %


def test_a_period_of_the_users_choice(client, login_as, tw):
    login_as("manager")
    start, end = TODAY - timedelta(days=45), TODAY - timedelta(days=30)
    html = client.get(f"/dasbor/33.74/tim?from={start}&to={end}").get_data(as_text=True)
    rows = team_rows(html)
    # only the session 40 days ago: A 1 session done, 26 recorded, 1 kit × 4 h (6,5), no expected turnout given
    assert rows[tw.a.id][2:] == ["1", "0", "1", "0", "0", "1", "0,0%", "26", "6,5", "–"]  # logged now: late
    assert rows[tw.b.id][2:] == ["0", "0", "0", "0", "0", "0", "–", "0", "–", "–"]
    assert f'name="from" value="{start}"' in html and f'name="to" value="{end}"' in html
    # sort links keep the period
    assert f"from={start}" in re.search(r'<th[^>]*>\s*<a [^>]*href="([^"]*sort=recorded[^"]*)"', html).group(1)


@pytest.mark.parametrize("query,message", [
    ("from=2026-10-10&to=2026-10-01", "Rentang tanggal terbalik"),
    ("from=kemarin", "bukan tanggal"),
    ("to=2026-13-45", "bukan tanggal"),
    ("sort=warna", "tidak dikenal"),
    ("sort=--nama", "tidak dikenal"),
])
def test_bad_input_keeps_the_form_and_says_why(client, login_as, tw, query, message):
    login_as("manager")
    resp = client.get(f"/dasbor/33.74/tim?{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and 'data-testid="input-error"' in html
    assert 'data-testid="teams-form"' in html  # the form is still there to correct the input
    assert 'data-testid="teams-table"' not in html
    raw = dict(p.split("=") for p in query.split("&"))
    if "from" in raw:
        assert f'name="from" value="{raw["from"]}"' in html  # what was typed stays in the form


# ---------------------------------------------------------------- sorting

@pytest.mark.parametrize("sort,expected", [
    ("nama", "CAB"),
    ("-nama", "BAC"),
    ("-recorded", "ABC"),
    ("recorded", "CBA"),
    ("logs_overdue", "CAB"),               # equal values in name order
    ("-logs_overdue", "BCA"),
    ("-logs_late", "ABC"),                 # A and B one each: name order; C none
    ("on_time_rate", "BAC"),               # 0 %, 50 %, none due: last
    ("expected_reached_share", "ABC"),     # no share: last either way
    ("-expected_reached_share", "BAC"),
    ("-recorded_per_kit_hour", "ABC"),
    ("sessions_cancelled", "CBA"),
    ("-sessions_planned", "ABC"),
    ("office", "CAB"),                     # "Kecamatan Satu" before "Kota Uji", then by name
    ("behind", "BAC"),
    ("-behind", "CAB"),
])
def test_sorting(client, login_as, tw, sort, expected):
    login_as("manager")
    ids = {"A": tw.a.id, "B": tw.b.id, "C": tw.c.id}
    html = client.get(f"/dasbor/33.74/tim?sort={sort}").get_data(as_text=True)
    assert order(html) == [ids[k] for k in expected], sort


def test_sort_links_on_the_columns(client, login_as, tw):
    login_as("manager")
    html = client.get("/dasbor/33.74/tim?sort=recorded").get_data(as_text=True)
    head = re.search(r"<thead.*?</thead>", html, flags=re.S).group(0)
    links = re.findall(r'href="([^"]+)"', head)
    keys = [re.search(r"sort=([-\w]+)", h).group(1) for h in links]
    assert keys == ["nama", "office", "sessions_planned", "sessions_open", "sessions_done", "sessions_cancelled",
                    "logs_overdue", "logs_late", "on_time_rate", "-recorded", "recorded_per_kit_hour",
                    "expected_reached_share"]
    assert 'aria-sort="ascending"' in head and head.count("aria-sort") == 1
    # and back to the default order
    assert 'data-testid="sort-behind"' in html
    assert 'data-testid="sort-behind"' not in client.get("/dasbor/33.74/tim").get_data(as_text=True)


# ---------------------------------------------------------------- scoping

def test_coordinator_sees_their_kecamatan_only(client, login_as, tw):
    login_as("coordinator")
    html = client.get("/dasbor/33.74.01/tim").get_data(as_text=True)
    rows = team_rows(html)
    # Kec. Satu only: A's a1 (done, 40 of 50), a3 (open), a4 (cancelled); B's b1 and b2; C by its office
    assert set(rows) == {tw.a.id, tw.b.id, tw.c.id}
    assert rows[tw.a.id][2:] == ["3", "1", "1", "1", "0", "0", "100,0%", "40", "10,0", "80,0%"]
    assert rows[tw.b.id][2:] == ["2", "1", "1", "0", "1", "1", "0,0%", "30", "5,0", "150,0%"]
    for url in ("/dasbor/33.74.02/tim", "/dasbor/33.74/tim", "/dasbor/33.01/tim", "/dasbor/33.74/ekspor/tim.csv",
                "/dasbor/33.74.02/ekspor/tim.xlsx"):
        assert client.get(url).status_code == 404, url


def test_manager_of_another_kabupaten_gets_404_and_field_users_are_refused(client, login_as, tw, db):
    other = builders.make_user("manager", "manajer_lain", scope="33.01")
    db.session.commit()
    client.post("/logout")
    assert client.post("/login", data={"username": other.username, "password": builders.PASSWORD}).status_code == 302
    for url in ("/dasbor/33.74/tim", "/dasbor/33.74.01/tim", "/dasbor/33.74/ekspor/tim.csv"):
        assert client.get(url).status_code == 404, url
    rows = team_rows(client.get("/dasbor/33.01/tim").get_data(as_text=True))
    # D's session there, and A's session there (a team works where it is sent)
    assert set(rows) == {tw.a.id, tw.d.id}
    assert rows[tw.a.id][9] == "100" and rows[tw.d.id][9] == "9"

    login_as("manager")
    for url in ("/dasbor/33.01/tim", "/dasbor/99/tim", "/dasbor/bukan-kode/tim"):
        assert client.get(url).status_code == 404, url
    login_as("field")
    assert client.get("/dasbor/33.74/tim").status_code == 403
    assert client.get("/dasbor/33.74/ekspor/tim.csv").status_code == 403


def test_admin_sees_every_team_of_the_province(client, login_as, tw):
    login_as("admin")
    rows = team_rows(client.get("/dasbor/33/tim").get_data(as_text=True))
    assert set(rows) == {tw.a.id, tw.b.id, tw.c.id, tw.d.id}
    assert rows[tw.a.id][9] == "148"  # 48 in Kota Uji + 100 in Kabupaten Lain


# ---------------------------------------------------------------- the dashboard's short list

def test_dashboard_shows_the_ten_teams_most_behind_and_links_to_all(client, login_as, tw, db):
    extra = [builders.make_team("33.74", f"Tim Tambahan {k:02d}") for k in range(1, 13)]
    db.session.commit()
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    section = re.search(r'data-testid="teams-section">(.*?)</section>', html, flags=re.S).group(1)
    shown = order(section, "teams")
    # 3 + 12 teams; the ten most behind: B (overdue), A (68,6%), then those with nothing logged by name
    assert len(shown) == 10
    assert shown == [tw.b.id, tw.a.id, tw.c.id] + [t.id for t in extra[:7]]
    assert re.search(r'data-testid="teams-total">15<', section)
    assert "10 dari 15 tim yang paling tertinggal" in section
    link = re.search(r'<a [^>]*data-testid="teams-all" href="([^"]+)">([^<]*)<', section)
    assert link.group(1) == "/dasbor/33.74/tim" and link.group(2).startswith("Semua 15 tim")
    chart = svg(html, "teams-chart")
    labels = [g.get("data-label") for g in chart.iter(f"{SVG}g") if (g.get("class") or "").startswith("bar")]
    assert labels[:2] == ["Tim Keliling 2", "Tim Keliling 1"] and len(labels) == 10
    # the area tabs lead to the team page too
    assert 'data-testid="tab-teams" href="/dasbor/33.74/tim"' in html
    # the full page lists them all
    assert len(team_rows(client.get("/dasbor/33.74/tim").get_data(as_text=True))) == 15


def test_dashboard_with_few_teams_lists_them_all(client, login_as, tw):
    login_as("coordinator")
    html = client.get("/dasbor").get_data(as_text=True)
    section = re.search(r'data-testid="teams-section">(.*?)</section>', html, flags=re.S).group(1)
    assert order(section, "teams") == [tw.b.id, tw.a.id, tw.c.id]
    assert re.search(r'data-testid="teams-total">3<', section) and "dari 3 tim" not in section
    assert 'href="/dasbor/33.74.01/tim"' in section


# ---------------------------------------------------------------- exports, escaping, language, queries

def read_csv(resp) -> list[dict]:
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_of_the_team_table(client, login_as, tw, db):
    builders.make_team("33.74", EVIL)
    db.session.commit()
    login_as("manager")
    resp = client.get("/dasbor/33.74/ekspor/tim.csv?sort=nama")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert f'attachment; filename="tim-33.74-{TODAY}.csv"' == resp.headers["Content-Disposition"]
    rows = read_csv(resp)
    assert [r["Tim"] for r in rows] == ["'" + EVIL, "Tim Cadangan", "Tim Keliling 1", "Tim Keliling 2"]
    b = rows[3]
    assert (b["Sesi"], b["Selesai"], b["Laporan terlambat"], b["Terekam"], b["Alat-jam"], b["Terekam per alat-jam"],
            b["Perkiraan hadir (sesi yang dilaporkan)"], b["Persen dari perkiraan hadir"]) == \
        ("2", "1", "1", "30", "6.0", "5.0", "20", "150.0")
    assert b["Dari tanggal"] == str(TODAY - timedelta(days=28)) and b["Sampai tanggal"] == str(TODAY)

    start, end = TODAY - timedelta(days=45), TODAY - timedelta(days=30)
    resp = client.get(f"/dasbor/33.74/ekspor/tim.xlsx?from={start}&to={end}")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    by_name = {r[1]: dict(zip(header, r)) for r in values[1:] if r and r[1]}
    assert by_name["Tim Keliling 1"]["Terekam"] == 26
    assert by_name["'" + EVIL]["Sesi"] == 0
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    bad = client.get("/dasbor/33.74/ekspor/tim.csv?from=2026-10-10&to=2026-10-01")
    assert bad.status_code == 400 and "terbalik" in bad.get_data(as_text=True)


def test_team_names_are_escaped(client, login_as, tw, db):
    builders.make_team("33.74", "<script>alert(1)</script>")
    db.session.commit()
    login_as("manager")
    html = client.get("/dasbor/33.74/tim").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    chart = svg(html, "teams-chart")
    assert "<script>alert(1)</script>" in [g.get("data-label") for g in chart.iter(f"{SVG}g")]


def test_the_page_in_english(client, login_as, tw):
    login_as("manager")
    client.post("/bahasa/en")
    html = client.get("/dasbor/33.74/tim").get_data(as_text=True)
    client.post("/bahasa/id")
    assert team_rows(html)[tw.a.id][-2:] == ["6.0", "68.6%"]
    assert "Sesi" not in re.search(r"<thead.*?</thead>", html, flags=re.S).group(0)


def test_query_count_does_not_grow_with_the_number_of_teams(client, login_as, tw, db):
    login_as("manager")
    client.get("/dasbor/33.74/tim")
    small = builders.statements_of(lambda: client.get("/dasbor/33.74/tim"))[1]
    for k in range(8):
        team = builders.make_team(f"33.74.0{k % 2 + 1}", f"Tim Baru {k}")
        kit = builders.make_kit(team)
        s = builders.make_session(tw.site1, team, [kit], day=TODAY - timedelta(days=k + 1), expected_turnout=10)
        builders.make_turnout_log(s, recorded={"umum": k})
    db.session.commit()
    large = builders.statements_of(lambda: client.get("/dasbor/33.74/tim"))[1]
    assert len(large) == len(small) and len(small) < 15, (len(small), len(large))


def test_team_export_for_indonesian_excel_totals_the_teams(client, login_as, tw):
    login_as("manager")
    raw = client.get("/dasbor/33.74/ekspor/tim.csv?sort=nama&dialect=id").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw), delimiter=";"))
    total, teams = rows[-1], rows[:-1]
    assert total["Tim"] == "Jumlah" and len(teams) == 3
    assert total["Terekam"] == str(sum(int(r["Terekam"]) for r in teams))
    recorded, kit_hours = int(total["Terekam"]), sum(float(r["Alat-jam"].replace(",", ".")) for r in teams)
    assert float(total["Terekam per alat-jam"].replace(",", ".")) == round(recorded / kit_hours, 2)
    due = int(total["Laporan wajib masuk"])
    on_time = int(total["Laporan masuk"]) - int(total["Laporan dikirim terlambat"])
    assert float(total["Persen laporan tepat waktu"].replace(",", ".")) == round(100 * on_time / due, 1)
