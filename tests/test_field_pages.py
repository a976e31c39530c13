"""Field pages: "Jadwal saya", the log form, the service worker and manifest; who sees what;
missing logs flagged; bounded queries; the page weight budget; the demo's logs."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from outreach.extensions import db as _db
from outreach.field.schedule import Timing, cache_ids, classify, tel_href
from tests import builders as b

WIB = ZoneInfo("Asia/Jakarta")
# A Wednesday at 13.00 WIB: sessions earlier that day have started, later ones not yet.
NOW = datetime(2026, 12, 9, 13, 0, tzinfo=WIB)
TODAY = NOW.date()
# The demo is seeded and read at a stated instant: while the demo's morning session of the day runs,
# and after it has ended (it then waits for its log too).
DEMO_MORNING = datetime(2026, 12, 9, 9, 30, tzinfo=WIB)
DEMO_AFTERNOON = datetime(2026, 12, 9, 15, 0, tzinfo=WIB)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _log_data(day: date, umum: int = 5, away: int = 0) -> dict:
    return {"recorded": {"pemilih_pemula": 0, "umum": umum, "lansia_disabilitas": 0},
            "recorded_by_sex": {"L": umum - umum // 2, "P": umum // 2},
            "away": {"luar_negeri": away},
            "started_at": f"{day.isoformat()}T08:00:00+07:00", "ended_at": f"{day.isoformat()}T11:30:00+07:00"}


@pytest.fixture()
def sched(world, frozen):
    """Sessions around today for the world's team (and one of another team), one of them logged."""
    from outreach.field import operations

    world.site1.contact_name, world.site1.contact_phone = "Pak Lurah", "0812-3456-7890"
    world.site1.address = "Jl. Uji No. 1"
    team2 = b.make_team("33.74", "Tim Keliling 2")
    kit = world.kit
    s = SimpleNamespace(
        waiting_old=b.make_session(world.site1, world.team, [kit], day=TODAY - timedelta(days=3),
                                   status="terkonfirmasi"),
        waiting_new=b.make_session(world.site2, world.team, [kit], day=TODAY - timedelta(days=1), status="rencana"),
        logged=b.make_session(world.site1, world.team, [kit], day=TODAY - timedelta(days=2), status="terkonfirmasi"),
        running=b.make_session(world.site1, world.team, [kit], day=TODAY, start="08:00", end="16:00",
                               status="terkonfirmasi"),
        later=b.make_session(world.site2, world.team, [kit], day=TODAY, start="14:00", end="16:00"),
        coming=b.make_session(world.site1, world.team, [kit], day=TODAY + timedelta(days=2)),
        far=b.make_session(world.site1, world.team, [kit], day=TODAY + timedelta(days=20)),
        cancelled=b.make_session(world.site1, world.team, [kit], day=TODAY + timedelta(days=1), status="dibatalkan",
                                 cancel_reason="Hujan"),
        other_team=b.make_session(world.site1, team2, [], day=TODAY + timedelta(days=1)),
        team2=team2,
    )
    _db.session.commit()
    operations.save_log(world.users["field"], s.logged.id, _log_data(s.logged.date), "uji-logged-1")
    return s


def section(html: str, name: str) -> str:
    m = re.search(rf'<section[^>]*data-testid="{name}"[^>]*>(.*?)</section>', html, re.S)
    return m.group(1) if m else ""


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="session-(\d+)"', html)]


def log_link_visible(html: str, sid: int) -> bool:
    m = re.search(rf'<a [^>]*data-log-link="{sid}"[^>]*>', html)
    assert m, f"no log link for session {sid}"
    return " hidden" not in m.group(0)


# ------------------------------------------------------------------ pure parts

def _t(i, first, start="08:00", end="12:00", last=None, status="terkonfirmasi", has_log=False):
    return Timing(id=i, first_day=first, last_day=last or first, start=time.fromisoformat(start),
                  end=time.fromisoformat(end), status=status, has_log=has_log)


def test_classify_sorts_waiting_today_coming_and_logged():
    now = datetime(2026, 5, 6, 13, 0)
    d = date(2026, 5, 6)
    items = [
        _t(1, d - timedelta(days=1)),                              # ended yesterday, no log
        _t(2, d - timedelta(days=5)),                              # ended earlier, no log: first
        _t(3, d - timedelta(days=2), has_log=True),                # logged
        _t(4, d, "08:00", "12:00"),                                # ended this morning, no log
        _t(5, d, "09:00", "16:00"),                                # running
        _t(6, d, "14:00", "16:00"),                                # later today
        _t(7, d + timedelta(days=1)),                              # tomorrow
        _t(8, d - timedelta(days=1), last=d + timedelta(days=1)),  # multi-day, runs today
        _t(9, d - timedelta(days=1), status="dibatalkan"),         # cancelled: nowhere
        _t(10, d - timedelta(days=30), has_log=True),              # logged long ago: off the page
    ]
    out = classify(items, now)
    assert out.waiting == [2, 1]
    assert out.today == [8, 4, 5, 6]  # the morning session stays under "today" once it has ended
    assert out.awaiting == [4]        # ... marked as waiting for its log
    assert out.coming == [7]
    assert out.logged == [3]


def test_classify_keeps_a_logged_session_of_today_under_today():
    d = date(2026, 5, 6)
    out = classify([_t(1, d, "08:00", "12:00", has_log=True)], datetime(2026, 5, 6, 23, 0))
    assert (out.today, out.awaiting, out.logged, out.waiting) == ([1], [], [], [])
    out = classify([_t(1, d, "08:00", "12:00")], datetime(2026, 5, 7, 0, 5))  # the day after
    assert (out.today, out.waiting) == ([], [1])


def test_cache_ids_cover_waiting_today_logged_and_the_next_days():
    d = date(2026, 5, 6)
    timings = {i: _t(i, d + timedelta(days=n)) for i, n in ((1, -1), (2, 0), (3, 2), (4, 10))}
    out = classify(timings.values(), datetime(2026, 5, 6, 9, 0))
    assert cache_ids(out, timings, d) == [1, 2, 3]


@pytest.mark.parametrize("raw,href", [
    ("0812-3456-7890", "tel:081234567890"), ("+62 812 3456 7890", "tel:+6281234567890"),
    ("(024) 765 4321", "tel:0247654321"), ("", None), (None, None), ("-", None),
])
def test_tel_href(raw, href):
    assert tel_href(raw) == href


# ------------------------------------------------------------------ Jadwal saya

def test_schedule_flags_missing_logs_first_and_shows_each_session(client, login_as, world, sched):
    login_as("field")
    resp = client.get("/jadwal-saya")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    waiting = section(html, "waiting")
    assert "Menunggu log (2)" in waiting
    assert card_ids(waiting) == [sched.waiting_old.id, sched.waiting_new.id]  # longest overdue first
    assert "menunggu log" not in section(html, "today")  # 13.00: nothing of today has ended yet
    assert html.index('data-testid="waiting"') < html.index('data-testid="today"')
    assert card_ids(section(html, "today")) == [sched.running.id, sched.later.id]
    assert log_link_visible(html, sched.running.id)       # started: the log may be written
    assert not log_link_visible(html, sched.later.id)     # starts at 14.00 (revealed by the script then)
    assert card_ids(section(html, "coming")) == [sched.coming.id, sched.far.id]
    assert card_ids(section(html, "logged")) == [sched.logged.id]
    assert 'data-state-for="%d" data-server-state="sent"' % sched.logged.id in html
    shown = set(card_ids(html))
    assert sched.cancelled.id not in shown and sched.other_team.id not in shown

    running = html[html.index(f'data-testid="session-{sched.running.id}"'):]
    running = running[:running.index("</article>")]
    assert "Balai Kelurahan Satu A" in running and "Jl. Uji No. 1" in running
    assert 'href="tel:081234567890"' in running and "Pak Lurah" in running
    assert 'href="geo:-7.0,110.4?q=-7.0,110.4(Balai%20Kelurahan%20Satu%20A)"' in running
    assert "https://www.openstreetmap.org/?mlat=-7.0&amp;mlon=110.4" in running
    assert "PEREKAMAN E-KTP KELILING" in running and "Yang perlu dibawa" in running  # the announcement


def test_schedule_is_light_and_ready_for_the_offline_client(client, login_as, world, sched):
    login_as("field")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    assert "bootstrap" not in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert 'data-sw="/sw.js"' in html
    assert re.search(r'href="/static/css/field\.css\?v=[0-9a-f]{12}"', html)
    assert re.search(r'src="/static/js/field\.js\?v=[0-9a-f]{12}"', html)
    cached = json.loads(re.search(r'id="fb-cache"[^>]*>(.*?)</script>', html).group(1))
    expected = [f"/jadwal-saya/sesi/{s.id}/log" for s in
                (sched.waiting_old, sched.waiting_new, sched.running, sched.later, sched.coming, sched.logged)]
    assert cached == expected  # the far session (in 20 days) is not kept yet
    messages = json.loads(re.search(r'id="fb-messages"[^>]*>(.*?)</script>', html).group(1))
    assert messages["statePending"] == "belum terkirim" and messages["stateSent"] == "terkirim"
    assert "Kirim sekarang" in html


def test_home_of_a_field_user_is_the_schedule(client, login_as, world, sched):
    user = login_as("field")
    html = client.get("/").get_data(as_text=True)
    assert f"Selamat datang, {user.name}" in html
    assert "Wajib KTP" in html and "Belum rekam" in html and "Kota Uji" in html
    assert "Menunggu log (2)" in html and "Jadwal saya" in html


def test_coordinator_sees_its_kecamatan_sessions_of_every_team(client, login_as, world, sched):
    login_as("coordinator")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    shown = set(card_ids(html))
    assert {sched.waiting_old.id, sched.running.id, sched.coming.id, sched.other_team.id} <= shown
    assert sched.waiting_new.id not in shown and sched.later.id not in shown  # Kecamatan Dua
    assert "Tim Keliling 2" in html  # the team is named for non-field users


def test_admin_sees_all_and_manager_is_refused(client, login_as, world, sched):
    login_as("admin")
    shown = set(card_ids(client.get("/jadwal-saya").get_data(as_text=True)))
    assert {sched.waiting_old.id, sched.waiting_new.id, sched.other_team.id} <= shown
    login_as("manager")
    assert client.get("/jadwal-saya").status_code == 403
    assert client.get(f"/jadwal-saya/sesi/{sched.running.id}/log").status_code == 403


def test_field_user_without_a_team_sees_an_empty_schedule(client, world, frozen):
    user = b.make_user("field", "tanpa_tim")
    _db.session.commit()
    client.post("/login", data={"username": user.username, "password": b.PASSWORD})
    html = client.get("/jadwal-saya").get_data(as_text=True)
    assert "Anda belum tergabung dalam tim" in html
    assert card_ids(html) == []


def test_schedule_queries_do_not_grow_with_the_sessions(app, client, login_as, world, frozen):
    from sqlalchemy import event

    login_as("field")

    def count_queries() -> int:
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        engine = _db.engines[None] if hasattr(_db, "engines") else _db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/jadwal-saya").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    for n in range(3):
        b.make_session(world.site1, world.team, [world.kit], day=TODAY + timedelta(days=n + 1))
    _db.session.commit()
    count_queries()  # the first page of a process also reads what it then remembers (the demo banner's check)
    few = count_queries()
    for n in range(12):
        site = b.make_site(world.desa1.kode, f"Lokasi tambahan {n}")
        b.make_session(site, world.team, [world.kit], day=TODAY - timedelta(days=n + 1), status="terkonfirmasi")
        b.make_session(site, world.team, [world.kit], day=TODAY + timedelta(days=n + 5))
    _db.session.commit()
    assert count_queries() == few


# ------------------------------------------------------------------ the log form

COUNT_NAMES = ["recorded.pemilih_pemula", "recorded.umum", "recorded.lansia_disabilitas", "recorded_by_sex.L",
               "recorded_by_sex.P", "not_recorded.tidak_ditemukan_siak", "not_recorded.sudah_rekam",
               "not_recorded.belum_cukup_umur", "not_recorded.gangguan_alat_jaringan",
               "not_recorded.tidak_bersedia", "away.luar_negeri", "away.sekolah_luar_daerah", "away.bekerja_luar_daerah",
               "away.pindah_meninggal", "away.lainnya"]


def test_log_form_has_a_numeric_input_per_figure(client, login_as, world, sched):
    login_as("field")
    kit_b = b.make_kit(world.team, "KIT-B")
    _db.session.commit()
    resp = client.get(f"/jadwal-saya/sesi/{sched.waiting_old.id}/log")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    inputs = re.findall(r'<input [^>]*name="([a-z_]+\.[A-Za-z_]+)"[^>]*>', html)
    assert inputs == COUNT_NAMES
    for tag in re.findall(r'<input [^>]*data-count=[^>]*>', html):
        assert 'inputmode="numeric"' in tag and 'pattern="[0-9]*"' in tag
    day = sched.waiting_old.date.isoformat()
    assert f'name="started_at" type="datetime-local" value="{day}T08:00"' in html
    assert f'name="ended_at" type="datetime-local" value="{day}T12:00"' in html
    assert re.search(rf'name="kit_ids" value="{world.kit.id}" checked> KIT-A', html)  # booked
    assert re.search(rf'name="kit_ids" value="{kit_b.id}"> KIT-B', html)  # the team's other kit
    assert 'data-mode="POST"' in html and 'name="notes"' in html and 'id="f-confirm"' in html
    assert "Simpan log" in html and re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    data = json.loads(re.search(r'id="fb-log-data"[^>]*>(.*?)</script>', html).group(1))
    assert data["log"] is None and data["session_id"] == sched.waiting_old.id
    labels = dict((family, dict(pairs)) for family, pairs in data["labels"])
    assert [family for family, _pairs in data["labels"]] == ["recorded", "recorded_by_sex", "not_recorded", "away"]
    assert labels["away"]["luar_negeri"] == "Di luar negeri / pekerja migran (TKI/PMI)"


def test_log_form_of_a_logged_session_corrects_it_with_its_version(client, login_as, world, sched):
    login_as("field")
    html = client.get(f"/jadwal-saya/sesi/{sched.logged.id}/log").get_data(as_text=True)
    assert 'data-mode="PATCH"' in html and "Ubah log sesi" in html
    data = json.loads(re.search(r'id="fb-log-data"[^>]*>(.*?)</script>', html).group(1))
    log = data["log"]
    assert log["version"] == 1 and log["recorded"]["umum"] == 5 and log["recorded_by_sex"] == {"L": 3, "P": 2}
    day = sched.logged.date.isoformat()
    assert log["_local"] == {"started_at": f"{day}T08:00", "ended_at": f"{day}T11:30"}
    assert 'data-testid="read-only"' not in html


def test_log_form_is_read_only_for_the_team_after_the_correction_window(client, login_as, world, sched):
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):
        login_as("field")
        html = client.get(f"/jadwal-saya/sesi/{sched.logged.id}/log").get_data(as_text=True)
        assert 'data-testid="read-only"' in html and '<fieldset class="fb-plain" disabled>' in html
        login_as("coordinator")
        html = client.get(f"/jadwal-saya/sesi/{sched.logged.id}/log").get_data(as_text=True)
        assert 'data-testid="read-only"' not in html


def test_log_form_warns_before_the_session_starts_and_refuses_a_cancelled_one(client, login_as, world, sched):
    login_as("field")
    html = client.get(f"/jadwal-saya/sesi/{sched.later.id}/log").get_data(as_text=True)
    assert 'data-testid="not-started"' in html
    html = client.get(f"/jadwal-saya/sesi/{sched.running.id}/log").get_data(as_text=True)
    assert 'data-testid="not-started"' not in html
    html = client.get(f"/jadwal-saya/sesi/{sched.cancelled.id}/log").get_data(as_text=True)
    assert 'data-testid="cancelled"' in html and 'id="fb-log"' not in html


def test_log_page_of_another_teams_session_is_not_found(client, login_as, world, sched):
    other_kab = b.make_session(world.other_site, b.make_team("33.01", "Tim Lain"), [], day=TODAY)
    _db.session.commit()
    login_as("field")
    assert client.get(f"/jadwal-saya/sesi/{sched.other_team.id}/log").status_code == 404
    assert client.get(f"/jadwal-saya/sesi/{other_kab.id}/log").status_code == 404
    assert client.get("/jadwal-saya/sesi/999999/log").status_code == 404
    login_as("coordinator")
    assert client.get(f"/jadwal-saya/sesi/{sched.other_team.id}/log").status_code == 200
    assert client.get(f"/jadwal-saya/sesi/{sched.waiting_new.id}/log").status_code == 404  # Kecamatan Dua


# ------------------------------------------------------------------ service worker and manifest

def test_service_worker_is_served_from_the_root_with_versioned_assets(app, client, world):
    resp = client.get("/sw.js")  # anonymous: the worker holds code, never data
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    text = resp.get_data(as_text=True)
    for placeholder in ("__VERSION__", "__ASSETS__", "__PAGES__", "__OFFLINE_TEXT__"):
        assert placeholder not in text
    for name in ("css/field.css", "js/field.js"):
        digest = hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest()[:12]
        assert f'"/static/{name}?v={digest}"' in text
    assert 'var PAGES = ["/jadwal-saya"]' in text
    assert "Tidak ada sinyal" in text


def test_manifest(client, world):
    resp = client.get("/jadwal-saya/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    body = json.loads(resp.get_data(as_text=True))
    assert body["start_url"] == "/jadwal-saya" and body["scope"] == "/" and body["lang"] == "id"


# ------------------------------------------------------------------ weight and demo

def _bench():
    spec = importlib.util.spec_from_file_location("field_page_weight", ROOT / "bench" / "field_page_weight.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def demo_world(db):
    """The demo, seeded at the instant the test states (its sessions are placed around that day)."""
    from outreach import demo

    result = demo.seed_demo()
    if result is None:
        pytest.skip("seed-demo skipped (real data in the way)")
    return result


@pytest.mark.at(DEMO_MORNING)
def test_schedule_and_log_form_stay_under_100_kb_on_a_first_visit(client, demo_world):
    bench = _bench()
    from outreach import demo_data

    assert client.post("/login", data={"username": "lapangan", "password": demo_data.PASSWORD}).status_code == 302
    weight = bench.measure(client)
    paths = [f.path.split("?")[0] for f in weight.pages + weight.assets]
    assert paths[0] == "/jadwal-saya" and re.fullmatch(r"/jadwal-saya/sesi/\d+/log", paths[1])
    assert {"/static/css/field.css", "/static/js/field.js", "/sw.js", "/jadwal-saya/manifest.webmanifest"} <= set(paths)
    assert all(f.encoding == "gzip" for f in weight.pages)
    assert weight.first_visit_bytes < bench.BUDGET_BYTES
    assert weight.repeat_visit_bytes < weight.first_visit_bytes


@pytest.mark.parametrize("moment", [pytest.param(DEMO_MORNING, marks=pytest.mark.at(DEMO_MORNING), id="pagi"),
                                    pytest.param(DEMO_AFTERNOON, marks=pytest.mark.at(DEMO_AFTERNOON), id="sore")])
def test_demo_gives_the_field_user_logged_and_waiting_sessions(client, demo_world, moment):
    from outreach import demo
    from outreach.field import queries
    from outreach.models import RecordingSession, TurnoutLog

    user = demo_world.users["lapangan"]
    RS = RecordingSession
    now = moment.astimezone(WIB).replace(tzinfo=None)
    ours = _db.session.scalars(sa.select(RS).where(RS.team_id == user.team_id, RS.status != "dibatalkan"))
    past = [s for s in ours if datetime.combine(s.end_date or s.date, s.end_time) <= now]  # ended by now
    logs = queries.logs_by_session(s.id for s in past)
    waiting = [s for s in past if s.id not in logs]
    assert len(logs) >= 3 and len(waiting) >= 2
    assert all(s.status in ("rencana", "terkonfirmasi", "ditunda") for s in waiting)
    assert all(_db.session.get(RS, sid).status == "selesai" for sid in logs)
    items = queries.my_sessions(user, with_announcement=False).items
    api_waiting = [i for i in items if i.awaiting_log and datetime.combine(i.session.last_date, i.session.end_time) <= now]
    assert {i.session.id for i in api_waiting} == {s.id for s in waiting}  # the API agrees with the page
    # "overdue" in the API: still without a log after the session's last day
    assert {i.session.id for i in items if i.overdue} == {s.id for s in waiting if s.last_date < now.date()}

    from outreach.models import KnownAway

    def figures():
        return (_db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog)),
                _db.session.scalar(sa.select(sa.func.sum(KnownAway.count))))

    before = figures()
    assert _db.session.scalar(sa.select(sa.func.sum(TurnoutLog.away_luar_negeri + TurnoutLog.away_bekerja_luar_daerah))) > 0
    demo.seed_demo()
    _db.session.expire_all()
    assert figures() == before  # idempotent: no second log, the known-away counts the logs moved are kept

    from outreach import demo_data
    client.post("/login", data={"username": "lapangan", "password": demo_data.PASSWORD})
    html = client.get("/").get_data(as_text=True)
    # Today's ended sessions stay under "Hari ini" (marked as waiting for their log), older ones on top.
    assert card_ids(section(html, "waiting")) == sorted(s.id for s in waiting if s.last_date < now.date())
    today_ids = set(card_ids(section(html, "today")))
    assert {s.id for s in waiting if s.last_date >= now.date()} <= today_ids
