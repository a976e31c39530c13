"""Coverage pages: the dashboard's numbers against hand-computed sums, drill-down, scoping, live logs,
the area table, trend and forecast pages, exports, bad input, and a bounded number of queries."""
import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import openpyxl
import pytest

from outreach.field import operations
from outreach.models.jobs import CoverageSnapshot
from tests import builders
from tests.conftest import WIB

# The instant these pages are read at: a Monday morning, official figures as of 15 Sep 2026.
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
TODAY = NOW.date()
pytestmark = pytest.mark.at(NOW)
EVIL = "=cmd|' /C calc'!A0"


def svgs(html: str) -> list[ET.Element]:
    """Every inline chart of a page, parsed as XML (fails on invalid SVG)."""
    found = re.findall(r'<svg [^>]*class="jb-chart".*?</svg>', html, flags=re.S)
    return [ET.fromstring(s) for s in found]


def figure(html: str, key: str) -> str:
    m = re.search(r'data-figure="%s"[^>]*>([^<]*)<' % key, html)
    assert m, f"figure {key} not on the page"
    return m.group(1).strip()


def row_cells(html: str, kode: str) -> dict:
    m = re.search(r'<tr data-kode="%s">(.*?)</tr>' % re.escape(kode), html, flags=re.S)
    assert m, f"row {kode} not on the page"
    return {k: v.strip() for k, v in re.findall(r'data-col="(\w+)"[^>]*>([^<]*)<', m.group(1))}


@pytest.fixture()
def cw(world, db):
    """The world (official figures as of 15 Sep 2026) with field logs and known away:

    desa1 33.74.01.1001  1000 / 900: log 1 Sep 2026 (25, before the SIAK date: not counted) and
                         a log 10 days ago (40: 10 pemilih pemula + 30 umum); away 30 luar_negeri
    desa2 33.74.01.2002   500 / 450: away 5 bekerja_luar_daerah
    desa3 33.74.02.1001   800 / 790: a log 12 days ago (8)

    Hand-computed:
      kec1: wajib 1500, official 1350, since 40, estimated 1390, backlog 110, away 35, reachable 75, 92,7%
      kec2: wajib  800, official  790, since  8, estimated  798, backlog   2, away  0, reachable  2
      kab : wajib 2300, official 2140, since 48, estimated 2188, backlog 112, away 35, reachable 77, 95,1%
    """
    t = world.team
    old = builders.make_session(world.site1, t, [world.kit], day=date(2026, 9, 1))
    builders.make_turnout_log(old, recorded={"umum": 25})
    s1 = builders.make_session(world.site1, t, [world.kit], day=TODAY - timedelta(days=10), expected_turnout=50)
    builders.make_turnout_log(s1, recorded={"pemilih_pemula": 10, "umum": 30})
    s3 = builders.make_session(world.site2, t, [world.kit], day=TODAY - timedelta(days=12))
    builders.make_turnout_log(s3, recorded={"umum": 8})
    builders.make_known_away(world.desa1.kode, "luar_negeri", 30)
    builders.make_known_away(world.desa2.kode, "bekerja_luar_daerah", 5)
    site_b = builders.make_site(world.desa2.kode, "Balai Desa Satu B")
    upcoming = builders.make_session(site_b, t, [world.kit], day=TODAY + timedelta(days=3), status="terkonfirmasi",
                                     expected_turnout=60, notes="@SUM(1+1)")
    overdue = builders.make_session(site_b, t, [world.kit], day=TODAY - timedelta(days=5), status="terkonfirmasi")
    other = builders.make_session(world.other_site, t, [world.kit], day=TODAY + timedelta(days=2))
    db.session.commit()
    return SimpleNamespace(**vars(world), site_b=site_b, upcoming=upcoming, overdue=overdue, other=other, s1=s1,
                           old=old)


# ---------------------------------------------------------------- dashboard

def test_manager_dashboard_shows_hand_computed_headline_numbers(client, login_as, cw):
    login_as("manager")
    resp = client.get("/dasbor")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Dasbor Kota Uji" in html
    assert figure(html, "wajib_ktp") == "2.300"
    assert figure(html, "sudah_rekam_estimated") == "2.188"  # 2.140 official + 48 in the field since
    assert "resmi 2.140 + lapangan 48" in html
    assert figure(html, "backlog") == "112"
    assert figure(html, "known_away") == "35"
    assert figure(html, "reachable_backlog") == "77"  # 112 − 35
    assert figure(html, "percent_recorded") == "95,1%"
    # data per: the SIAK date and the newest log
    as_of = re.search(r'data-testid="data-as-of">(.*?)</p>', html, flags=re.S).group(1)
    assert "resmi SIAK 15 September 2026" in as_of and "laporan lapangan terakhir" in as_of


def test_dashboard_children_rows_and_drill_down_links(client, login_as, cw):
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    kec1 = row_cells(html, "33.74.01")
    assert kec1 == {"wajib_ktp": "1.500", "sudah_rekam_official": "1.350", "recorded_since": "40",
                    "recorded_over_target": "0", "sudah_rekam_estimated": "1.390", "backlog": "110",
                    "known_away_in_backlog": "35", "menolak_in_backlog": "0", "reachable_backlog": "75",
                    "planned": "60", "percent_recorded": "92,7%"}
    kec2 = row_cells(html, "33.74.02")
    assert (kec2["recorded_since"], kec2["backlog"], kec2["reachable_backlog"]) == ("8", "2", "2")
    assert 'href="/dasbor/33.74.01"' in html and 'href="/dasbor/33.74.02"' in html
    # every headline figure leads to the level below, sorted by that figure
    assert 'href="/dasbor/tabel?level=kecamatan&amp;parent=33.74&amp;sort=-reachable_backlog"' in html

    down = client.get("/dasbor/33.74.01").get_data(as_text=True)
    assert figure(down, "reachable_backlog") == "75"
    assert row_cells(down, "33.74.01.1001")["reachable_backlog"] == "30"  # 1000 − 940 − 30
    assert row_cells(down, "33.74.01.2002")["reachable_backlog"] == "45"  # 500 − 450 − 5
    assert 'href="/dasbor/33.74.01.1001"' in down
    desa = client.get("/dasbor/33.74.01.1001").get_data(as_text=True)
    assert figure(desa, "sudah_rekam_estimated") == "940"
    assert "data-figure" in desa and 'data-testid="children"' not in desa  # no level below a desa


def test_dashboard_sections_sessions_overdue_teams_and_charts(client, login_as, cw):
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    upcoming = re.search(r'data-testid="upcoming">(.*?)</table>', html, flags=re.S).group(1)
    assert f'data-session-id="{cw.upcoming.id}"' in upcoming
    assert f'data-session-id="{cw.other.id}"' not in html  # another kabupaten's session
    assert re.search(r'data-testid="overdue-count">1<', html)
    assert f'data-session-id="{cw.overdue.id}"' in re.search(r'data-testid="overdue">(.*?)</table>', html,
                                                              flags=re.S).group(1)
    assert "Tim Keliling 1" in re.search(r'data-testid="teams">(.*?)</table>', html, flags=re.S).group(1)
    charts = svgs(html)
    assert {c.get("data-testid") for c in charts} >= {"trend-chart", "slowest-chart"}
    slowest = re.search(r'data-testid="slowest">(.*?)</table>', html, flags=re.S).group(1)
    assert "Kecamatan Satu" in slowest


def test_a_turnout_log_shows_on_the_dashboard_at_once(client, login_as, cw, db):
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    assert figure(html, "reachable_backlog") == "77"
    session = builders.make_session(cw.site_b, cw.team, [cw.kit], day=TODAY - timedelta(days=1),
                                    status="terkonfirmasi")
    db.session.commit()
    body = {"recorded": {"pemilih_pemula": 0, "umum": 5, "lansia_disabilitas": 0},
            "recorded_by_sex": {"L": 2, "P": 3}, "away": {"luar_negeri": 2},
            "started_at": "08:00", "ended_at": "11:00"}
    operations.save_log(cw.users["coordinator"], session.id, body, "uji-dasbor-1")
    html = client.get("/dasbor").get_data(as_text=True)
    assert figure(html, "sudah_rekam_estimated") == "2.193"   # 2.188 + 5
    assert figure(html, "backlog") == "107"                   # 112 − 5
    assert figure(html, "known_away") == "37"                 # 35 + 2 learned in the field
    assert figure(html, "reachable_backlog") == "70"          # 107 − 37
    assert row_cells(html, "33.74.01")["recorded_since"] == "45"


def test_coordinator_sees_only_their_kecamatan(client, login_as, cw):
    login_as("coordinator")
    html = client.get("/dasbor").get_data(as_text=True)
    assert "Dasbor Kecamatan Satu" in html
    assert figure(html, "reachable_backlog") == "75"
    assert 'data-kode="33.74.02' not in html
    for url in ("/dasbor/33.74.02", "/dasbor/33.74", "/dasbor/33.74.02.1001", "/dasbor/33.74.02/tren",
                "/dasbor/33.74.02/prakiraan", "/dasbor/33.74.02/ekspor/wilayah.csv",
                "/dasbor/33.74.02/ekspor/sesi.xlsx", "/dasbor/33.74.02/ekspor/log.csv",
                "/dasbor/tabel?level=desa&parent=33.74.02"):
        assert client.get(url).status_code == 404, url
    assert client.get("/dasbor/33.74.01.1001").status_code == 200


def test_manager_cannot_open_another_kabupaten_and_unknown_codes_are_404(client, login_as, cw):
    login_as("manager")
    for url in ("/dasbor/33.01", "/dasbor/33.01.01.2001", "/dasbor/33.74.99", "/dasbor/bukan-kode",
                "/dasbor/33.01/ekspor/log.xlsx", "/dasbor/33.74/ekspor/rahasia.csv", "/dasbor/33.74/ekspor/log.pdf"):
        resp = client.get(url)
        assert resp.status_code == 404, url
    assert "tidak ditemukan" in client.get("/dasbor/33.74.99").get_data(as_text=True)


def test_field_users_are_refused(client, login_as, cw):
    login_as("field")
    assert client.get("/dasbor").status_code == 403


def test_admin_sees_the_province(client, login_as, cw):
    login_as("admin")
    html = client.get("/dasbor").get_data(as_text=True)
    # 2.300 of Kota Uji + 300 of Kabupaten Lain
    assert figure(html, "wajib_ktp") == "2.600"
    assert 'href="/dasbor/33.01"' in html and 'href="/dasbor/33.74"' in html


def test_chart_labels_are_escaped(client, login_as, cw, db):
    kec = builders.make_region("33.74.03", "<script>alert(1)</script>")
    builders.make_region("33.74.03.2001", "Desa <b>Tebal</b>", wajib_ktp=100, sudah_rekam=10)
    db.session.commit()
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>Tebal" not in html
    charts = svgs(html)
    slowest = next(c for c in charts if c.get("data-testid") == "slowest-chart")
    labels = ["".join(t.itertext()) for t in slowest.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>alert(1)</script>" in labels
    assert kec.kode in "".join(a.get("href") for a in slowest.iter("{http://www.w3.org/2000/svg}a"))


def test_dashboard_query_count_does_not_grow_with_the_number_of_areas(app, client, login_as, cw, db):
    login_as("manager")
    client.get("/dasbor")  # warm-up (first-request work, caches)
    small = builders.statements_of(lambda: client.get("/dasbor"))[1]
    for k in range(3, 9):
        desa = builders.make_region(f"33.74.{k:02d}.2001", f"Desa {k}", wajib_ktp=100 * k, sudah_rekam=50 * k)
        site = builders.make_site(desa.kode, f"Balai {k}")
        builders.make_known_away(desa.kode, "bekerja_luar_daerah", k)
        for d in (3, 9):
            s = builders.make_session(site, cw.team, [cw.kit], day=TODAY - timedelta(days=d))
            builders.make_turnout_log(s, recorded={"umum": k})
        builders.make_session(site, cw.team, [cw.kit], day=TODAY + timedelta(days=k))
    db.session.commit()
    large = builders.statements_of(lambda: client.get("/dasbor"))[1]
    print(f"dashboard statements: {len(small)}")
    assert len(large) == len(small), (len(small), len(large))
    assert len(small) < 40


# ---------------------------------------------------------------- area table

def test_area_table_sorts_filters_and_links(client, login_as, cw):
    login_as("manager")
    html = client.get("/dasbor/tabel").get_data(as_text=True)
    assert row_cells(html, "33.74.01")["reachable_backlog"] == "75"
    order = re.findall(r'<tr data-kode="([\d.]+)"', client.get("/dasbor/tabel?level=kecamatan&sort=-reachable_backlog")
                       .get_data(as_text=True))
    assert order == ["33.74.01", "33.74.02"]
    order = re.findall(r'<tr data-kode="([\d.]+)"', client.get("/dasbor/tabel?level=kecamatan&sort=reachable_backlog")
                       .get_data(as_text=True))
    assert order == ["33.74.02", "33.74.01"]
    desa = client.get("/dasbor/tabel?level=desa&parent=33.74.01&q=satu b").get_data(as_text=True)
    assert re.findall(r'<tr data-kode="([\d.]+)"', desa) == ["33.74.01.2002"]
    assert 'href="/dasbor/33.74.01.2002"' in desa
    assert "1 wilayah." in desa


def test_area_table_bad_input(client, login_as, cw):
    login_as("manager")
    resp = client.get("/dasbor/tabel?level=planet")
    assert resp.status_code == 400 and "Tingkat" in resp.get_data(as_text=True)
    resp = client.get("/dasbor/tabel?level=kecamatan&sort=warna")
    assert resp.status_code == 400 and "Urutan" in resp.get_data(as_text=True)
    login_as("admin")
    resp = client.get("/dasbor/tabel?level=desa")
    assert resp.status_code == 400 and "pilih dulu kabupaten/kota atau kecamatan" in resp.get_data(as_text=True)


def test_province_table_lists_every_kecamatan_on_one_page(client, login_as, world, db):
    for k in range(1, 60):
        builders.make_region(f"33.{10 + k // 20:02d}.{k % 20 + 1:02d}.2001", f"Desa {k}", wajib_ktp=10, sudah_rekam=1)
    db.session.commit()
    login_as("admin")
    html = client.get("/dasbor/tabel?level=kecamatan").get_data(as_text=True)
    rows = re.findall(r'<tr data-kode="(\d\d\.\d\d\.\d\d)"', html)
    assert len(rows) == 59 + 2 + 1  # the new ones, the world's two in Kota Uji and one in Kabupaten Lain


# ---------------------------------------------------------------- trend

def test_trend_page_chart_and_table(client, login_as, cw, db):
    for days, backlog, reachable in ((20, 300, 250), (10, 200, 150)):
        db.session.add(CoverageSnapshot(region_kode="33.74", date=TODAY - timedelta(days=days), wajib_ktp=2300,
                                        sudah_rekam_official=2140, official_as_of=date(2026, 9, 15), recorded_since=0,
                                        sudah_rekam_estimated=2300 - backlog, backlog=backlog, known_away=50,
                                        reachable_backlog=reachable))
    db.session.commit()
    login_as("manager")
    html = client.get(f"/dasbor/33.74/tren?from={TODAY - timedelta(days=30)}&to={TODAY}").get_data(as_text=True)
    chart = next(c for c in svgs(html) if c.get("data-testid") == "trend-chart")
    lines = chart.findall(".//{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 and len(lines[0].get("points").split()) == 3  # two snapshots and today's live point
    table = re.search(r'data-testid="trend-points">(.*?)</table>', html, flags=re.S).group(1)
    backlogs = re.findall(r'data-col="backlog">([^<]*)<', table)
    assert backlogs == ["112", "200", "300"]  # newest first; today live
    assert "sekarang" in table


@pytest.mark.parametrize("query,message", [
    ("from=2026-10-10&to=2026-10-01", "Rentang tanggal terbalik"),
    ("from=kemarin", "bukan tanggal"),
    ("to=2026-13-45", "bukan tanggal"),
])
def test_trend_bad_input(client, login_as, cw, query, message):
    login_as("manager")
    resp = client.get(f"/dasbor/33.74/tren?{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and 'data-testid="input-error"' in html
    assert 'data-testid="trend-form"' in html  # the form is still there to correct the input


# ---------------------------------------------------------------- forecast

def test_forecast_flags_kecamatan_missing_the_deadline(client, login_as, cw):
    login_as("manager")
    deadline = TODAY + timedelta(days=28)
    html = client.get(f"/dasbor/33.74/prakiraan?weeks=8&deadline={deadline}").get_data(as_text=True)
    items = re.search(r'data-testid="forecast-items">(.*?)</table>', html, flags=re.S).group(1)
    # kec1: backlog 150 at the SIAK export of 15 Sep (the newest point 8 weeks ago or earlier), 110 now:
    # 40 in 83 days = 3.37 a week; reachable 75 less 4 weeks of that leaves 62; 40 a session -> 2 sessions
    row = re.search(r'<tr data-kode="33.74.01" class="table-danger">(.*?)</tr>', items, flags=re.S).group(1)
    assert re.search(r'data-col="shortfall">62<', row) and re.search(r'data-col="extra_sessions"[^>]*>2<', row)
    assert 'data-status="terlambat"' in row
    row2 = re.search(r'<tr data-kode="33.74.02" class="">(.*?)</tr>', items, flags=re.S).group(1)
    assert 'data-status="sesuai"' in row2 and re.search(r'data-col="extra_sessions"[^>]*>0<', row2)
    headline = re.search(r'data-testid="forecast-headline">(.*?)</div>', html, flags=re.S).group(1)
    assert "1 dari 2 wilayah diperkirakan meleset" in headline
    assert "2 sesi tambahan" in headline
    ids = {c.get("data-testid") for c in svgs(html)}
    assert ids == {"forecast-chart", "projection-chart"}


@pytest.mark.parametrize("query,message", [
    ("deadline=2020-01-01", "sudah lewat"),
    ("deadline=pemilu", "bukan tanggal"),
    ("weeks=banyak", "bukan bilangan bulat"),
    ("weeks=0", "antara 1 dan 104"),
])
def test_forecast_bad_input(client, login_as, cw, query, message):
    login_as("manager")
    resp = client.get(f"/dasbor/33.74/prakiraan?{query}")
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_dashboard_lists_kecamatan_that_miss_the_configured_deadline(app, client, login_as, cw):
    saved = app.config.get("COVERAGE_DEADLINE")
    app.config["COVERAGE_DEADLINE"] = (TODAY + timedelta(days=28)).isoformat()
    try:
        login_as("manager")
        html = client.get("/dasbor").get_data(as_text=True)
    finally:
        app.config["COVERAGE_DEADLINE"] = saved
    late = re.search(r'data-testid="late">(.*?)</table>', html, flags=re.S).group(1)
    assert 'data-kode="33.74.01"' in late and 'data-kode="33.74.02"' not in late


# ---------------------------------------------------------------- exports

def read_csv(resp) -> list[dict]:
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_area_table_csv_and_xlsx(client, login_as, cw, db):
    builders.make_region("33.74.02.2009", EVIL, wajib_ktp=10, sudah_rekam=5)
    db.session.commit()
    login_as("manager")
    resp = client.get("/dasbor/33.74/ekspor/wilayah.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="wilayah-33.74-' in resp.headers["Content-Disposition"]
    rows = {r["Kode"]: r for r in read_csv(resp)}
    assert set(rows) == {"33.74.01", "33.74.02"}
    assert rows["33.74.01"]["Backlog terjangkau"] == "75"
    assert rows["33.74.01"]["Sudah rekam (perkiraan)"] == "1390"
    assert rows["33.74.01"]["Di luar daerah: Di luar negeri / pekerja migran (TKI/PMI)"] == "30"

    desa = {r["Kode"]: r for r in read_csv(client.get("/dasbor/33.74.02/ekspor/wilayah.csv"))}
    assert desa["33.74.02.2009"]["Nama"] == "'" + EVIL

    resp = client.get("/dasbor/33.74.02/ekspor/wilayah.xlsx")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    by_kode = {r[0]: dict(zip(header, r)) for r in values[1:] if r and r[0]}
    assert by_kode["33.74.02.2009"]["Nama"] == "'" + EVIL
    assert by_kode["33.74.02.1001"]["Backlog terjangkau"] == 2
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_export_sessions_and_logs(client, login_as, cw):
    login_as("coordinator")
    sessions = {r["No. sesi"]: r for r in read_csv(client.get("/dasbor/33.74.01/ekspor/sesi.csv"))}
    assert str(cw.upcoming.id) in sessions and str(cw.s1.id) in sessions
    assert str(cw.other.id) not in sessions
    up = sessions[str(cw.upcoming.id)]
    assert up["Catatan"] == "'@SUM(1+1)" and up["Alat"] == "KIT-A" and up["Desa/Kelurahan"] == "Desa Satu B"
    assert up["Status"] == "Terkonfirmasi"
    assert sessions[str(cw.s1.id)]["Terekam (laporan)"] == "40"

    logs = read_csv(client.get("/dasbor/33.74.01/ekspor/log.csv"))
    by_session = {r["No. sesi"]: r for r in logs}
    assert set(by_session) == {str(cw.s1.id), str(cw.old.id)}  # kecamatan Dua's log is not in it
    row = by_session[str(cw.s1.id)]
    assert row["Terekam"] == "40" and row["Terekam: Pemilih pemula"] == "10" and row["Terekam: Umum"] == "30"
    ranged = read_csv(client.get(f"/dasbor/33.74.01/ekspor/log.csv?from={TODAY - timedelta(days=11)}"))
    assert [r["No. sesi"] for r in ranged] == [str(cw.s1.id)]

    resp = client.get("/dasbor/33.74.01/ekspor/log.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    assert ws.cell(row=1, column=1).value == "No. sesi"

    resp = client.get("/dasbor/33.74.01/ekspor/sesi.csv?from=2026-10-10&to=2026-10-01")
    assert resp.status_code == 400 and "terbalik" in resp.get_data(as_text=True)


def test_numbers_follow_the_language(client, login_as, cw):
    login_as("manager")
    client.post("/bahasa/en")
    html = client.get("/dasbor").get_data(as_text=True)
    assert figure(html, "wajib_ktp") == "2,300"
    assert row_cells(html, "33.74.01")["percent_recorded"] == "92.7%"
    client.post("/bahasa/id")
    html = client.get("/dasbor").get_data(as_text=True)
    assert row_cells(html, "33.74.01")["percent_recorded"] == "92,7%"


def test_xlsx_refuses_more_rows_than_the_setting_and_points_to_csv(app, client, login_as, cw):
    login_as("coordinator")
    app.config["EXPORT_XLSX_MAX_ROWS"] = 2
    try:
        resp = client.get("/dasbor/33.74.01/ekspor/sesi.xlsx")
        assert resp.status_code == 400
        assert "terlalu banyak untuk XLSX" in resp.get_data(as_text=True)
        assert client.get("/dasbor/33.74.01/ekspor/sesi.csv").status_code == 200
        ok = client.get(f"/dasbor/33.74.01/ekspor/log.xlsx?from={TODAY - timedelta(days=30)}")
        assert ok.status_code == 200  # one log in the range
    finally:
        app.config.pop("EXPORT_XLSX_MAX_ROWS")


def read_id_csv(resp) -> list[dict]:
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_exports_for_indonesian_excel_have_a_total_row_and_names(client, login_as, cw, db):
    builders.make_turnout_log(cw.overdue, recorded={"umum": 7},
                              user=builders.make_user("field", username="tim.satu", team=cw.team))
    db.session.commit()
    login_as("manager")
    rows = read_id_csv(client.get("/dasbor/33.74/ekspor/wilayah.csv?dialect=id"))
    by_name = {r["Nama"]: r for r in rows}
    total = by_name["Jumlah"]
    assert rows[-1] is total and total["Kode"] == ""
    assert total["Wajib KTP"] == "2300" and total["Backlog terjangkau"] == str(
        sum(int(r["Backlog terjangkau"]) for r in rows[:-1]))
    assert total["Persen sudah rekam"] == format(round(100 * int(total["Sudah rekam (perkiraan)"]) / 2300, 2)) \
        .replace(".", ",")
    assert "," in by_name[cw.kec1.nama]["Persen sudah rekam"]

    logs = read_id_csv(client.get("/dasbor/33.74.01/ekspor/log.csv?dialect=id"))
    assert logs[-1]["Lokasi"] == "Jumlah"
    assert logs[-1]["Terekam"] == str(sum(int(r["Terekam"]) for r in logs[:-1]))
    by_session = {r["No. sesi"]: r for r in logs[:-1]}
    assert by_session[str(cw.overdue.id)]["Dilaporkan oleh"] == "Pengguna field"  # the name, not "tim.satu"

    plain = read_csv(client.get("/dasbor/33.74/ekspor/wilayah.csv"))
    assert "Jumlah" not in {r["Nama"] for r in plain}  # the international CSV is data only, for programs

    ws = openpyxl.load_workbook(io.BytesIO(client.get("/dasbor/33.74/ekspor/wilayah.xlsx").get_data())).active
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    totals = [dict(zip(header, r)) for r in values[1:] if r and r[1] == "Jumlah"]
    assert totals and totals[0]["Wajib KTP"] == 2300

    bad = client.get("/dasbor/33.74/ekspor/wilayah.csv?dialect=excel")
    assert bad.status_code == 400 and "tidak dikenal" in bad.get_data(as_text=True)


def test_export_links_offer_xlsx_first_and_the_csv_of_the_language(client, login_as, cw):
    login_as("manager")
    html = client.get("/dasbor/33.74").get_data(as_text=True)
    links = re.findall(r'data-testid="export-wilayah-(\w+)"[^>]*href="([^"]+)"', html)
    assert [kind for kind, _ in links] == ["xlsx", "csv"]
    assert "dialect=id" in dict(links)["csv"]
    client.post("/bahasa/en")
    html = client.get("/dasbor/33.74").get_data(as_text=True)
    assert "dialect=intl" in dict(re.findall(r'data-testid="export-wilayah-(\w+)"[^>]*href="([^"]+)"', html))["csv"]
