"""The planner opens with the area of the link that led to it; the planner, its history and its messages
write days, times and regions as the rest of the pages do; the change log speaks in words; the head of
office's one-page summary; the WhatsApp share link."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models.audit import record_change
from outreach.models.plans import PlanProposal
from outreach.planning.conflicts import team_word
from outreach.templating import clock_text, region_with_code, short_day
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)  # a Monday
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")
COLON_TIME = re.compile(r"\b\d\d:\d\d\b")


def visible_text(page: str) -> str:
    """What a person reads: the body without scripts, styles, tags and attributes."""
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


# ---------------------------------------------------------------- the formats

@pytest.mark.at(NOW)
def test_days_times_and_regions_as_the_pages_write_them():
    assert short_day(date(2026, 12, 14)) == "Sen, 14 Des"
    assert short_day(date(2027, 2, 14)) == "Min, 14 Feb 2027"
    assert short_day("2026-12-15", weekday=False) == "15 Des"
    assert clock_text(time(8, 25)) == "08.25" and clock_text("08:25") == "08.25"
    assert region_with_code("Sukamaju", "33.74.10.1005") == "Sukamaju (33.74.10.1005)"
    assert region_with_code(None, "33.74.10") == "33.74.10"  # the bare code only when the name is unknown


def test_team_names_are_not_doubled_after_tim():
    assert team_word("Tim Keliling 1") == "Keliling 1"
    assert team_word("Keliling Utara") == "Keliling Utara"
    assert team_word("Tim") == "Tim"


@pytest.mark.at(NOW)
def test_a_past_date_is_named_as_a_day(client, login_as, world):
    login_as("coordinator")
    data = {"site_id": str(world.site1.id), "date": "2026-10-26", "start": "08:00", "end": "12:00",
            "team_id": str(world.team.id), "kit_ids": [str(world.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "", "override_reason": "", "submit": "Simpan"}
    page = client.post("/sesi/baru", data=data).get_data(as_text=True)
    assert "Tanggal Sen, 26 Okt sudah lewat" in page
    assert "2026-10-26 sudah lewat" not in page


@pytest.mark.at(NOW)
def test_a_clash_names_the_team_once(client, login_as, world):
    other = builders.make_session(world.site2, world.team, [], day=date(2026, 11, 9), start="08:00", end="12:00")
    db.session.commit()
    login_as("coordinator")
    data = {"site_id": str(world.site1.id), "date": "2026-11-09", "start": "09:00", "end": "11:00",
            "team_id": str(world.team.id), "kit_ids": [str(world.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "", "override_reason": "", "submit": "Simpan"}
    page = visible_text(client.post("/sesi/baru", data=data).get_data(as_text=True))
    assert "Tim Keliling 1 sudah bertugas pada waktu yang sama" in page and f"sesi #{other.id}" in page
    assert "Tim Tim" not in page


# ---------------------------------------------------------------- the planner's entry and pages

@pytest.mark.at(NOW)
def test_the_planner_opens_with_the_desa_kecamatan_and_dates_of_its_link(client, login_as, world):
    login_as("coordinator")
    page = client.get(f"/usulan-jadwal?desa={world.desa2.kode}").get_data(as_text=True)
    assert re.search(r'<option selected value="33\.74\.01">Kecamatan Satu \(33\.74\.01\)</option>', page)
    assert 'data-testid="plan-desa"' in page and "Desa Satu B (33.74.01.2002)" in page
    assert 'value="2026-11-03"' in page and 'value="2026-11-16"' in page  # tomorrow, two weeks
    page = client.get("/usulan-jadwal?kecamatan=33.74.01&date_from=2026-11-23&date_to=2026-11-27").get_data(as_text=True)
    assert 'value="2026-11-23"' in page and 'value="2026-11-27"' in page
    # A desa outside the coordinator's kecamatan preselects nothing and is not named.
    page = client.get(f"/usulan-jadwal?desa={world.desa3.kode}").get_data(as_text=True)
    assert 'data-testid="plan-desa"' not in page and "Kelurahan Dua A" not in page


@pytest.mark.at(NOW)
def test_plan_here_links_on_desa_rows_for_planners_with_unplanned_backlog(client, login_as, world):
    login_as("coordinator")
    page = client.get(f"/wilayah/{world.kec1.kode}").get_data(as_text=True)
    assert page.count('data-testid="plan-here"') == 2
    assert f'href="/usulan-jadwal?desa={world.desa1.kode}"' in page
    page = client.get(f"/wilayah/{world.desa1.kode}").get_data(as_text=True)
    assert f'href="/usulan-jadwal?desa={world.desa1.kode}"' in page
    login_as("manager")
    assert 'data-testid="plan-here"' not in client.get(f"/wilayah/{world.kec1.kode}").get_data(as_text=True)


@pytest.mark.at(NOW)
def test_planner_pages_show_no_iso_dates_colon_times_or_bare_codes(client, login_as, world):
    builders.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()
    login_as("coordinator")
    resp = client.post("/usulan-jadwal", data={"region": world.kec1.kode, "date_from": "2026-11-23",
                                                "date_to": "2026-11-27"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    proposal = db.session.scalars(sa.select(PlanProposal)).one()
    page = client.get(f"/usulan-jadwal/{proposal.id}").get_data(as_text=True)
    assert '"day_label": "Sen, 23 Nov"' in page  # the map's tooltips
    text = visible_text(page)
    assert "Wilayah Kecamatan Satu (33.74.01)" in " ".join(text.split())
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)
    assert not COLON_TIME.search(text), COLON_TIME.findall(text)
    assert "Sen, 23 Nov" in text
    for item in proposal.result["items"]:
        assert item["start"][3:] in ("00", "15", "30", "45")  # starts on the quarter hour
    form_text = visible_text(client.get("/usulan-jadwal").get_data(as_text=True))
    assert not ISO_DAY.search(form_text.split("Usulan terakhir", 1)[1])


# ---------------------------------------------------------------- the change log

def test_admin_change_log_speaks_in_words(client, login_as, world):
    record_change("turnout_log", 14, "update", world.users["coordinator"].id,
                  {"recorded_umum": [10, 12], "not_recorded_tidak_bersedia": [0, 2]})
    record_change("recording_session", 3, "status:terkonfirmasi", world.users["coordinator"].id,
                  {"status": ["rencana", "terkonfirmasi"], "confirmed_with": [None, "Pak Lurah"]})
    db.session.commit()
    login_as("admin")
    page = client.get("/admin").get_data(as_text=True)
    table = visible_text(page.split('data-testid="recent-changes"', 1)[1].split("</table>", 1)[0])
    assert "Laporan hasil sesi #14" in table and "Terekam: Umum" in table
    assert "Sesi #3" in table and "dikonfirmasi" in table and "Dikonfirmasi dengan" in table
    for raw in ("turnout_log", "recorded_umum", "recording_session", "confirmed_with", "status:terkonfirmasi"):
        assert raw not in table


# ---------------------------------------------------------------- sharing and the summary

@pytest.mark.at(NOW)
def test_session_page_shares_its_announcement_on_whatsapp(client, login_as, world):
    s = builders.make_session(world.site1, world.team, [world.kit], day=date(2026, 11, 9))
    db.session.commit()
    login_as("coordinator")
    page = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    link = re.search(r'<a [^>]*href="(https://wa\.me/\?text=[^"]+)"[^>]*data-testid="share-whatsapp"', page)
    assert link, "no WhatsApp link"
    assert quote("Balai Kelurahan Satu A") in html_lib.unescape(link.group(1))


@pytest.mark.at(NOW)
def test_office_summary_is_one_page_scoped_to_the_viewer(client, login_as, world):
    next_week = date(2026, 11, 11)  # Wednesday of next week
    ours = builders.make_session(world.site1, world.team, [world.kit], day=next_week)
    later = builders.make_session(world.site1, world.team, [world.kit], day=next_week + timedelta(days=7))
    other_team = builders.make_team("33.01", "Tim Kabupaten Lain")
    theirs = builders.make_session(world.other_site, other_team, [], day=next_week)
    db.session.commit()

    login_as("manager")
    resp = client.get("/dasbor/ringkasan")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-testid="office-summary"' in page
    assert "css/print.css" in page
    figures = page.split('data-testid="summary-figures"', 1)[1].split("</table>", 1)[0]
    assert 'data-figure="wajib_ktp">2.300<' in figures  # the three desa of Kota Uji
    laggards = page.split('data-testid="summary-laggards"', 1)[1].split("</table>", 1)[0]
    assert "Kecamatan Satu" in laggards
    sessions = page.split('data-testid="summary-sessions"', 1)[1].split("</table>", 1)[0]
    assert f'data-session-id="{ours.id}"' in sessions
    assert f'data-session-id="{later.id}"' not in sessions and f'data-session-id="{theirs.id}"' not in page
    assert "Sesi minggu depan, Sen, 9 Nov – Min, 15 Nov" in visible_text(page)
    dashboard = client.get("/dasbor").get_data(as_text=True)
    assert 'href="/dasbor/33.74/ringkasan"' in dashboard

    assert client.get("/dasbor/33.01/ringkasan").status_code == 404  # another kabupaten
    login_as("coordinator")
    page = client.get("/dasbor/ringkasan").get_data(as_text=True)
    assert 'data-figure="wajib_ktp">1.500<' in page  # its own kecamatan only
    login_as("field")
    assert client.get("/dasbor/ringkasan").status_code == 403


def test_the_plan_here_rule_is_plain_python():
    from types import SimpleNamespace

    from outreach.planner.entry import desa_to_plan

    coordinator = SimpleNamespace(role="coordinator", scope_kode="33.74.01", team=None, national=False)
    manager = SimpleNamespace(role="manager", scope_kode="33.74", team=None, national=False)
    desa = SimpleNamespace(kode="33.74.01.1001", reachable_unplanned=12)
    assert desa_to_plan(coordinator, desa) == "33.74.01.1001"
    assert desa_to_plan(coordinator, SimpleNamespace(kode="33.74.02.1001", reachable_unplanned=12)) is None
    assert desa_to_plan(coordinator, SimpleNamespace(kode="33.74.01.1001", reachable_unplanned=0)) is None
    assert desa_to_plan(coordinator, SimpleNamespace(kode="33.74.01", reachable_unplanned=40)) is None  # a kecamatan
    assert desa_to_plan(manager, desa) is None  # managers read, they do not plan
    ranking_row = SimpleNamespace(kode="33.74.01.1002", reachable_backlog=30, planned=10)  # the slowest-desa list
    assert desa_to_plan(coordinator, ranking_row) == "33.74.01.1002"
    assert desa_to_plan(coordinator, SimpleNamespace(kode="33.74.01.1002", reachable_backlog=30, planned=30)) is None
