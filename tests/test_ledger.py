"""The ledger: one account of the backlog that every figure, forecast and proposal reads.

- the identities of the figures hold exactly at every level, and each term sums from desa to province
  (on the world, the demo, and a real Jawa Tengah import with generated figures);
- the pages agree with each other (home page and dashboard), say what they leave out ("di atas sasaran")
  and which SIAK dates they hold;
- the open sessions of a pool share it out, never expecting more than is left there, whoever plans them
  (by hand, by the planner) and whatever moves the pool (a log, an import, a cancellation, a follow-up);
- the planner never proposes what is already planned, and a proposal is accepted once;
- trend and forecast read the official history; obstacles (known away by reason, refusers) stand apart.
"""
from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.coverage.queries.figures import coverage
from outreach.extensions import db
from outreach.ledger import operations as ledger
from outreach.ledger.rules import Claim, DesaTerms, allocate
from outreach.models import RecordingSession, Region
from outreach.vocab import AWAY_REASONS, LEVELS
from outreach.planning import operations as planning
from outreach.regions.queries import level_figures
from tests import builders
from tests.conftest import WIB

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
# A Monday: official figures of the world are as of 15 Sep 2026.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)

SUMMED = ("wajib_ktp", "sudah_rekam_official", "recorded_since", "recorded_over_target", "sudah_rekam_estimated",
          "backlog", "known_away_in_backlog", "menolak_in_backlog", "reachable_backlog")


# ---------------------------------------------------------------- the identities

def check_identities(levels=LEVELS, within=None) -> int:
    """Every area with official figures satisfies the identities exactly, its terms sum from the level
    below, and the in-backlog parts stay within their wholes; returns how many areas were checked."""
    figures = {level: level_figures(level, within) for level in levels}
    checked = 0
    for level in levels:
        for f in figures[level].values():
            if f.wajib_ktp is None:
                continue
            checked += 1
            assert f.sudah_rekam_estimated == f.sudah_rekam_official + f.recorded_since - f.recorded_over_target, f.kode
            assert f.backlog == f.wajib_ktp - f.sudah_rekam_estimated, f.kode
            assert f.reachable_backlog == f.backlog - f.known_away_in_backlog - f.menolak_in_backlog, f.kode
            assert 0 <= f.known_away_in_backlog <= f.known_away, f.kode
            assert 0 <= f.menolak_in_backlog <= f.menolak, f.kode
            assert min(f.backlog, f.reachable_backlog, f.recorded_over_target) >= 0, f.kode
    for up_level, down_level in zip(levels, levels[1:]):
        children: dict[str, list] = {}
        for d in figures[down_level].values():
            if d.wajib_ktp is not None:
                children.setdefault(d.parent_kode, []).append(d)
        for up in figures[up_level].values():
            below = children.get(up.kode, [])
            if not below:
                continue
            for name in SUMMED:
                assert getattr(up, name) == sum(getattr(d, name) for d in below), (up.kode, name)
            assert up.known_away_by_reason == {
                r: sum(d.known_away_by_reason.get(r, 0) for d in figures[down_level].values()
                       if d.parent_kode == up.kode) for r in AWAY_REASONS
                if any(d.known_away_by_reason.get(r) for d in figures[down_level].values()
                       if d.parent_kode == up.kode)}, up.kode
    return checked


def test_the_rules_of_one_desa():
    t = DesaTerms(wajib_ktp=1000, official=950, recorded_since=80, known_away=10, menolak=5)
    assert (t.recorded_over_target, t.sudah_rekam_estimated, t.backlog, t.reachable_backlog) == (30, 1000, 0, 0)
    t = DesaTerms(wajib_ktp=1000, official=900, recorded_since=40, known_away=45, menolak=30)
    # 60 left: 45 away inside it, then only 15 of the 30 refusers.
    assert (t.backlog, t.known_away_in_backlog, t.menolak_in_backlog, t.reachable_backlog) == (60, 45, 15, 0)
    assert allocate(45, [Claim(21, 96), Claim(23, 96), Claim(None, 96)]) == [45, 0, 0]
    assert allocate(60, [Claim(1, 48), Claim(2, 48), Claim(3, 48)]) == [48, 12, 0]
    assert allocate(None, [Claim(1, 48), Claim(2, 0)]) == [48, 0]


def test_identities_hold_with_logs_over_target_refusers_and_away(world, db):
    t = world.team
    # desa1 1000/900: 120 logged since (20 over target); 40 away; 10 refused.
    s = builders.make_session(world.site1, t, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 120}, not_recorded={"tidak_bersedia": 10})
    builders.make_known_away(world.desa1.kode, "luar_negeri", 40)
    # desa3 800/790: 4 logged, 3 away, 2 refused: 10 left = 3 + 2 + 5 reachable.
    s = builders.make_session(world.site2, t, day=date(2026, 10, 6), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 4}, not_recorded={"tidak_bersedia": 2})
    builders.make_known_away(world.desa3.kode, "sekolah_luar_daerah", 3)
    db.session.commit()
    assert check_identities() >= 7
    admin = world.users["admin"]
    desa1 = {f.kode: f for f in coverage(admin, "33.74.01")["children"]}[world.desa1.kode]
    assert (desa1.recorded_since, desa1.recorded_over_target, desa1.sudah_rekam_estimated, desa1.backlog,
            desa1.menolak, desa1.menolak_in_backlog, desa1.reachable_backlog) == (120, 20, 1000, 0, 10, 0, 0)
    kab = coverage(admin, "33.74")["region"]
    assert (kab.sudah_rekam_official, kab.recorded_since, kab.recorded_over_target, kab.sudah_rekam_estimated) == (
        2140, 124, 20, 2244)
    assert (kab.backlog, kab.known_away, kab.known_away_in_backlog, kab.menolak, kab.menolak_in_backlog,
            kab.reachable_backlog) == (56, 43, 3, 12, 2, 51)


def test_coverage_api_carries_every_term_for_the_area_and_each_child(client, login_as, world, db):
    s = builders.make_session(world.site1, world.team, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 30}, not_recorded={"tidak_bersedia": 4})
    builders.make_known_away(world.desa1.kode, "bekerja_luar_daerah", 6)
    db.session.commit()
    login_as("manager")
    body = client.get("/api/v1/coverage?region=33.74").get_json()
    for item in [body["region"], *body["children"]]:
        for name in (*SUMMED, "known_away", "menolak", "planned", "known_away_by_reason"):
            assert name in item, (item["kode"], name)
        assert item["sudah_rekam_estimated"] == (item["sudah_rekam_official"] + item["recorded_since"]
                                                 - item["recorded_over_target"])
        assert item["backlog"] == item["wajib_ktp"] - item["sudah_rekam_estimated"]
        assert item["reachable_backlog"] == (item["backlog"] - item["known_away_in_backlog"]
                                             - item["menolak_in_backlog"])
    assert body["region"]["menolak"] == 4 and body["region"]["known_away_by_reason"] == {"bekerja_luar_daerah": 6}
    for name in SUMMED:
        assert body["region"][name] == sum(c[name] for c in body["children"]), name


# The demo is seeded and read on a Wednesday morning in December: its logs of the weeks before came after
# its newest SIAK export (31 Oct).
DEMO_NOW = datetime(2026, 12, 9, 9, 30, tzinfo=WIB)


@pytest.fixture()
def demo_seeded(db):
    from outreach import demo

    result = demo.seed_demo()
    if result is None:
        pytest.skip("seed-demo skipped (real data in the way)")
    return result


@pytest.mark.at(DEMO_NOW)
def test_identities_hold_on_every_area_of_the_demo(demo_seeded, client):
    assert check_identities() == 1 + 1 + 16 + len(demo_seeded.desa_codes)
    from outreach import demo_data

    client.post("/login", data={"username": "manajer", "password": demo_data.PASSWORD})
    body = client.get("/api/v1/coverage?region=33.74").get_json()
    for item in [body["region"], *body["children"]]:
        assert item["reachable_backlog"] == (item["wajib_ktp"] - item["sudah_rekam_official"] - item["recorded_since"]
                                             + item["recorded_over_target"] - item["known_away_in_backlog"]
                                             - item["menolak_in_backlog"])
    # The demo tells the seed's obstacles apart: students and workers outside the region, and refusers.
    reasons = body["region"]["known_away_by_reason"]
    assert reasons["sekolah_luar_daerah"] > 0 and reasons["bekerja_luar_daerah"] > 0
    assert body["region"]["menolak"] > 0


@pytest.mark.at(DEMO_NOW)
def test_no_open_session_of_the_demo_expects_more_than_its_pool_holds(demo_seeded):
    assert ledger.overplanned() == []
    planned = db.session.scalar(sa.select(sa.func.sum(RecordingSession.expected_turnout)).where(
        RecordingSession.status.in_(("rencana", "terkonfirmasi", "ditunda")), RecordingSession.pool == "desa"))
    figures = coverage(demo_seeded.users["admin"], "33.74")["region"]
    assert figures.planned == planned and figures.planned <= figures.reachable_backlog


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "jateng_wilayah.csv").exists(),
                    reason=f"real Jawa Tengah data not found in {DATA.resolve()}")
def test_identities_hold_on_a_real_jawa_tengah_import_with_generated_figures(runner, db, tmp_path):
    """All 8,563 desa of Jawa Tengah, with generated SIAK counts at two dates, logs (some over target),
    refusers and known away: every kabupaten, kecamatan and desa satisfies the identities."""
    assert runner.invoke(args=["import-regions", str(DATA / "jateng_wilayah.csv")]).exit_code == 0
    desa = db.session.scalars(sa.select(Region.kode).where(Region.level == "desa").order_by(Region.kode)).all()
    assert len(desa) == 8563
    rng = random.Random(33)
    rows = ["kode,wajib_ktp,sudah_rekam,as_of"]
    latest = {}
    for kode in desa:
        wajib = rng.randint(800, 9000)
        rows.append(f"{kode},{wajib - 40},{wajib - 40 - rng.randint(30, 400)},2026-06-30")
        latest[kode] = (wajib, wajib - rng.randint(0, 150))
        rows.append(f"{kode},{wajib},{latest[kode][1]},2026-09-30")
    path = tmp_path / "siak.csv"
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(args=["import-targets", str(path)])
    assert result.exit_code == 0, result.output[-2000:]
    team = builders.make_team("33.74", "Tim Uji")
    for kode in rng.sample(desa, 300):
        site = builders.make_site(kode, lat=-7.0, lng=110.4)
        wajib, sudah = latest[kode]
        session = builders.make_session(site, team, day=date(2026, 10, rng.randint(1, 28)), status="terkonfirmasi")
        builders.make_turnout_log(session, recorded={"umum": rng.randint(0, wajib - sudah + 30)},
                                  not_recorded={"tidak_bersedia": rng.randint(0, 5)})
        builders.make_known_away(kode, rng.choice(AWAY_REASONS), rng.randint(1, 60))
    db.session.commit()
    # The province row is not in the file: kabupaten, kecamatan and desa.
    assert check_identities(levels=("kabupaten", "kecamatan", "desa")) == 35 + 576 + 8563
    over = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(Region.level == "desa"))
    assert over == 8563


# ---------------------------------------------------------------- the pages agree and explain themselves

def test_home_page_and_dashboard_give_the_same_backlog(client, login_as, world, db):
    s = builders.make_session(world.site1, world.team, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 40})
    db.session.commit()
    login_as("coordinator")
    home = client.get("/").get_data(as_text=True)
    dashboard = client.get("/dasbor").get_data(as_text=True)
    import re

    def fig(html, key):
        return re.search(r'data-figure="%s"[^>]*>([^<]*)<' % key, html).group(1).strip()

    # kec1: 1500 wajib, 1350 official + 40 in the field: 110 belum rekam on both pages.
    assert fig(home, "backlog") == fig(dashboard, "backlog") == "110"
    assert fig(home, "sudah_rekam_estimated") == fig(dashboard, "sudah_rekam_estimated") == "1.390"


def test_dashboard_says_what_lies_over_target_and_which_siak_dates_it_holds(client, login_as, world, db):
    s = builders.make_session(world.site2, world.team, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 25})  # desa3: 10 left, 25 logged: 15 over target
    csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1000,910,2026-10-31\n"
    from outreach.imports.apply import ImportOptions, run_import

    report = run_import("targets", csv.encode(), ImportOptions(filename="siak.csv", today=date(2026, 11, 2)),
                        commit=True)
    assert report.committed
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    assert "resmi 2.150 + lapangan 25 − 15 di atas sasaran" in html
    assert 'data-testid="over-target"' in html and "15 di atas sasaran" in html
    dates = html.split('data-testid="official-dates">', 1)[1].split("</span>", 1)[0]
    assert "15 September 2026 sampai 31 Oktober 2026" in dates
    assert "2 desa per 15 Sep 2026" in dates and "1 desa per 31 Okt 2026" in dates
    # The reachable card spells out its subtraction with the terms it uses.
    assert "160 belum rekam − 0 di luar daerah − 0 menolak" not in html
    figures = coverage(world.users["manager"])["region"]
    assert f"{figures.backlog} belum rekam − 0 di luar daerah − 0 menolak" in html


def test_dashboard_splits_the_backlog_by_obstacle(client, login_as, world, db):
    builders.make_known_away(world.desa1.kode, "luar_negeri", 30)
    builders.make_known_away(world.desa1.kode, "sekolah_luar_daerah", 10)
    s = builders.make_session(world.site1, world.team, day=date(2026, 10, 5), status="terkonfirmasi")
    builders.make_turnout_log(s, recorded={"umum": 10}, not_recorded={"tidak_bersedia": 7})
    db.session.commit()
    login_as("manager")
    html = client.get("/dasbor/33.74.01").get_data(as_text=True)
    section = html.split('data-testid="obstacles"', 1)[1].split("</section>", 1)[0]
    import re

    parts = dict(re.findall(r'data-figure="part-(\w+)">([^<]*)<', section))
    # kec1: 140 belum rekam = 40 away + 7 refusers + 93 reachable (nothing planned yet).
    assert parts == {"reachable_unplanned": "93", "planned": "0", "known_away_in_backlog": "40",
                     "menolak_in_backlog": "7"}
    assert "Sekolah/kuliah di luar daerah 10" in section and "Di luar negeri / pekerja migran (TKI/PMI) 30" in section


# ---------------------------------------------------------------- the planned share

def _session_data(site, team, day, kits, start="08:00", end="12:00"):
    return {"site_id": site.id, "date": day.isoformat(), "start": start, "end": end, "team_id": team.id,
            "kit_ids": [k.id for k in kits], "kind": "perekaman"}


@pytest.fixture()
def pool(world, db):
    """desa2 (500 / 450 official): 50 left, 10 known away: 40 reachable; three teams with a kit each."""
    builders.make_known_away(world.desa2.kode, "luar_negeri", 10)
    balai = builders.make_site(world.desa2.kode, "Balai Desa Satu B")
    rt = builders.make_site(world.desa2.kode, "RT 02/RW 01 Satu B", type="rt_rw")
    teams = [world.team, builders.make_team("33.74", "Tim Dua"), builders.make_team("33.74", "Tim Tiga")]
    kits = [world.kit, builders.make_kit(teams[1], "KIT-D"), builders.make_kit(teams[2], "KIT-T")]
    db.session.commit()
    return world, balai, rt, teams, kits


def test_sessions_planned_by_hand_share_the_desa_instead_of_each_taking_all_of_it(pool):
    world, balai, rt, teams, kits = pool
    coordinator = world.users["coordinator"]
    days = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
    made = [planning.create_session(coordinator, _session_data(site, team, day, [kit]))
            for site, team, kit, day in zip((balai, rt, balai), teams, kits, days)]
    db.session.expire_all()
    # 40 reachable, 48 a session's capacity: the first expects 40, the others what is left, nothing.
    assert [s.expected_turnout for s in made] == [40, 0, 0]
    assert "Sudah direncanakan untuk sesi #%d (40); belum direncanakan: 0." % made[0].id in made[1].turnout_reasoning
    assert ledger.overplanned() == []
    # Cancelling the first gives its share to the next one planned.
    planning.cancel_session(coordinator, made[0], "Balai dipakai acara desa")
    db.session.expire_all()
    assert [db.session.get(RecordingSession, s.id).expected_turnout for s in made] == [40, 40, 0]
    figures = {f.kode: f for f in coverage(coordinator, "33.74.01")["children"]}[world.desa2.kode]
    assert (figures.reachable_backlog, figures.planned, figures.reachable_unplanned) == (40, 40, 0)


def test_a_log_moves_the_shares_of_the_open_sessions_on_its_pool(pool):
    world, balai, rt, teams, kits = pool
    coordinator = world.users["coordinator"]
    first = planning.create_session(coordinator, _session_data(balai, teams[0], date(2026, 11, 3), [kits[0]],
                                                               end="10:00"))  # 24 of 40
    second = planning.create_session(coordinator, _session_data(rt, teams[1], date(2026, 11, 20), [kits[1]]))
    db.session.expire_all()
    assert (first.expected_turnout, second.expected_turnout) == (24, 16)
    # Another team recorded 30 at the balai on an earlier, unplanned visit: 10 left, all to the first.
    done = builders.make_session(balai, teams[2], [kits[2]], day=date(2026, 10, 20), status="terkonfirmasi")
    db.session.commit()
    from outreach.field import operations

    operations.save_log(world.users["admin"], done.id, {
        "recorded": {"umum": 30}, "recorded_by_sex": {"L": 15, "P": 15},
        "started_at": "2026-10-20T08:00:00+07:00", "ended_at": "2026-10-20T12:00:00+07:00"}, "uji-ledger-1")
    db.session.expire_all()
    assert (db.session.get(RecordingSession, first.id).expected_turnout,
            db.session.get(RecordingSession, second.id).expected_turnout) == (10, 0)
    assert ledger.overplanned() == []


def test_a_siak_import_and_a_refuser_follow_up_move_the_shares(pool, client, login_as, app):
    world, balai, rt, teams, kits = pool
    coordinator = world.users["coordinator"]
    session = planning.create_session(coordinator, _session_data(balai, teams[0], date(2026, 11, 20), [kits[0]]))
    assert session.expected_turnout == 40
    from outreach.imports.apply import ImportOptions, run_import

    csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.2002,500,480,2026-10-31\n".encode()
    assert run_import("targets", csv, ImportOptions(filename="s.csv", today=date(2026, 11, 2)), commit=True).committed
    db.session.expire_all()
    assert db.session.get(RecordingSession, session.id).expected_turnout == 10  # 20 left − 10 away
    # A log of refusers (after the new as-of date) takes them out of the reachable backlog ...
    done = builders.make_session(rt, teams[1], [kits[1]], day=date(2026, 11, 1), status="terkonfirmasi")
    builders.make_turnout_log(done, recorded={"umum": 0}, by_sex={"L": 0, "P": 0},
                              not_recorded={"tidak_bersedia": 6})
    db.session.commit()
    ledger.reallocate(desa_kodes=[world.desa2.kode])
    db.session.commit()
    assert db.session.get(RecordingSession, session.id).expected_turnout == 4
    # ... and the coordinator's follow-up brings them back (the desa page's form, CSRF on).
    login_as("coordinator")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        _follow_up_through_the_page(client, world)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(RecordingSession, session.id).expected_turnout == 10
    figures = {f.kode: f for f in coverage(coordinator, "33.74.01")["children"]}[world.desa2.kode]
    assert (figures.menolak, figures.reachable_backlog) == (0, 10)


def _follow_up_through_the_page(client, world):
    page = client.get(f"/wilayah/{world.desa2.kode}").get_data(as_text=True)
    assert 'data-testid="followup-form"' in page and "6 warga tercatat menolak" in page
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    bad = client.post(f"/wilayah/{world.desa2.kode}/penolak",
                      data={"csrf_token": token, "count": "9", "followed_on": "2026-11-02", "note": ""})
    assert bad.status_code == 422 and "Hanya 6 warga" in bad.get_data(as_text=True)
    ok = client.post(f"/wilayah/{world.desa2.kode}/penolak",
                     data={"csrf_token": token, "count": "6", "followed_on": "2026-11-02", "note": "dibujuk ketua RT"})
    assert ok.status_code == 302
    no_token = client.post(f"/wilayah/{world.desa2.kode}/penolak", data={"count": "1", "followed_on": "2026-11-02"})
    assert no_token.status_code == 400


def test_a_field_user_cannot_follow_up_refusers(client, login_as, world, db):
    login_as("field")
    assert client.post(f"/wilayah/{world.desa1.kode}/penolak", data={"count": "1"}).status_code == 403


def test_an_old_log_form_queued_on_a_phone_still_sends_luar_daerah(client, world, db):
    """A phone may hold a log made before the away reasons were split: its "luar_daerah" is kept as
    bekerja_luar_daerah instead of being refused."""
    from outreach.field import operations

    s = builders.make_session(world.site1, world.team, [world.kit], day=date(2026, 10, 30), status="terkonfirmasi")
    db.session.commit()
    result = operations.save_log(world.users["field"], s.id, {
        "recorded": {"umum": 5}, "recorded_by_sex": {"L": 2, "P": 3}, "away": {"luar_daerah": 3},
        "started_at": "2026-10-30T08:00:00+07:00", "ended_at": "2026-10-30T11:00:00+07:00"}, "uji-lama-1")
    assert result.log.away["bekerja_luar_daerah"] == 3
    figures = coverage(world.users["admin"], world.desa1.kode)["region"]
    assert figures.known_away_by_reason == {"bekerja_luar_daerah": 3}


# ---------------------------------------------------------------- the planner respects plans

@pytest.fixture()
def planned(world, db):
    """A school with 120 pemilih pemula to record and a session planned for all of them; desa2 with a
    session taking its whole reachable backlog; desa1 with a session taking part of it."""
    builders.make_kit(world.team, "KIT-B")
    school = builders.make_site(world.desa1.kode, "SMK Muhammadiyah 2", type="sekolah", pemilih_pemula=120,
                                pemilih_pemula_recorded=0, lat=-7.001, lng=110.401)
    balai_b = builders.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()
    coordinator = world.users["coordinator"]
    team2 = builders.make_team("33.74", "Tim Sekolah")
    kit2 = builders.make_kit(team2, "KIT-S")
    db.session.commit()
    at_school = planning.create_session(coordinator, dict(_session_data(school, team2, date(2026, 11, 24), [kit2],
                                                                        "08:00", "14:00"), target_groups=["pemilih_pemula"]))
    at_b = planning.create_session(coordinator, _session_data(balai_b, team2, date(2026, 11, 25), [kit2],
                                                               "08:00", "13:00"))  # 60: more than desa2's 50
    at_a = planning.create_session(coordinator, _session_data(world.site1, team2, date(2026, 11, 26), [kit2]))
    db.session.expire_all()
    assert (at_school.pool, at_school.expected_turnout) == ("sekolah", 72)  # 6 h × 12: capacity, not the 120
    return world, school, balai_b, at_school, at_b, at_a


def test_the_planner_never_proposes_what_is_already_planned(client, login_as, planned):
    world, school, balai_b, at_school, at_b, at_a = planned
    login_as("coordinator")
    body = client.post("/api/v1/plans", json={"region": world.kec1.kode, "date_from": "2026-11-23",
                                              "date_to": "2026-11-27"}).get_json()
    proposed = {i["site_id"]: i for i in body["items"]}
    left = {lo["site_id"]: lo["reason"] for lo in body["left_out"]}
    # desa2's 50 are all planned (at_b): its balai is left out, naming the session.
    assert balai_b.id not in proposed and left[balai_b.id] == f"sudah direncanakan, #{at_b.id}"
    # The school: 120 − 72 planned = 48 still to propose, said so.
    assert proposed[school.id]["pemilih_pemula_yield"] <= 48
    assert f"sesi #{at_school.id}: 72" in proposed[school.id]["reason"]
    # desa1: 100 reachable, 48 planned at the balai: at most 52 more.
    desa1_yield = sum(i["expected_yield"] for i in body["items"] if i["site_id"] == world.site1.id)
    assert desa1_yield <= 100 - at_a.expected_turnout


def test_a_proposal_is_accepted_once_and_the_page_keeps_what_happened(client, login_as, world, db):
    builders.make_kit(world.team, "KIT-B")
    builders.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()
    login_as("coordinator")
    body = client.post("/api/v1/plans", json={"region": world.kec1.kode, "date_from": "2026-11-23",
                                              "date_to": "2026-11-27"}).get_json()
    assert len(body["items"]) >= 2
    # Keep all but the last item, through the page.
    keep = {f"keep_{i}": "1" for i in range(len(body["items"]) - 1)}
    first = client.post(f"/usulan-jadwal/{body['id']}/terima", data=keep)
    assert first.status_code == 200
    created = db.session.scalars(sa.select(RecordingSession.id)).all()
    assert len(created) == len(body["items"]) - 1
    again = client.post(f"/usulan-jadwal/{body['id']}/terima", data={"keep_0": "1",
                                                                     f"keep_{len(body['items']) - 1}": "1"})
    assert again.status_code == 409 and "sudah diterima" in again.get_data(as_text=True)
    assert sorted(db.session.scalars(sa.select(RecordingSession.id)).all()) == sorted(created)
    api_again = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": [len(body["items"]) - 1]})
    assert api_again.status_code == 409
    # A reload shows what was created and what was left out; Terima is gone and the boxes say what was kept.
    page = client.get(f"/usulan-jadwal/{body['id']}").get_data(as_text=True)
    created_box = page.split('data-testid="created"', 1)[1].split("</div>", 1)[0]
    assert all(f"#{sid} " in created_box for sid in created)
    assert body["items"][-1]["site_nama"] in page.split('data-testid="not-kept"', 1)[1].split("</div>", 1)[0]
    assert 'data-testid="accept"' not in page and 'data-testid="accepted-note"' in page
    last = len(body["items"]) - 1
    assert f'name="keep_{last}" value="1" disabled' in page and 'name="keep_0" value="1" checked disabled' in page


# ---------------------------------------------------------------- trend and forecast from the official history

SIAK_HISTORY = ("kode,wajib_ktp,sudah_rekam,as_of\n"
                "33.74.01.1001,1000,700,2026-03-31\n33.74.01.2002,500,300,2026-03-31\n33.74.02.1001,800,600,2026-03-31\n"
                "33.74.01.1001,1000,800,2026-06-30\n33.74.01.2002,500,400,2026-06-30\n33.74.02.1001,800,700,2026-06-30\n")


def _import_history():
    from outreach.imports.apply import ImportOptions, run_import

    report = run_import("targets", SIAK_HISTORY.encode(), ImportOptions(filename="riwayat.csv",
                                                                        today=date(2026, 11, 2)), commit=True)
    assert report.committed, [str(e) for e in report.errors]


def test_every_siak_as_of_date_is_a_trend_point_and_the_default_window_is_the_whole_history(client, login_as,
                                                                                            world, db):
    _import_history()  # the world's own counts are of 15 Sep: backlog 600, 300, 160 on the three dates
    login_as("manager")
    points = client.get("/api/v1/coverage/trend?region=33.74").get_json()["points"]
    assert [(p["date"], p["source"], p["backlog"]) for p in points] == [
        ("2026-03-31", "siak", 700), ("2026-06-30", "siak", 400), ("2026-09-15", "siak", 160),
        ("2026-11-02", "live", 160)]
    assert points[0]["wajib_ktp"] == 2300 and points[0]["reachable_backlog"] is None
    narrow = client.get("/api/v1/coverage/trend?region=33.74&from=2026-06-01&to=2026-09-30").get_json()["points"]
    assert [p["date"] for p in narrow] == ["2026-06-30", "2026-09-15"]
    page = client.get("/dasbor/33.74").get_data(as_text=True)
    assert "Tren belum rekam sejak 31 Mar 2026" in page


def test_an_area_whose_official_backlog_fell_is_not_stalled_and_levels_agree(client, login_as, world, db):
    _import_history()
    login_as("manager")
    body = client.get("/api/v1/coverage/forecast?region=33.74&weeks=8&deadline=2026-12-31").get_json()
    region = body["region"]
    assert region["kode"] == "33.74" and region["pace_source"] == "riwayat" and region["status"] != "macet"
    # 8 weeks before 2 Nov is 7 Sep: the newest point then is 30 Jun (backlog 400); 160 now.
    assert (region["pace_since"], region["backlog_then"], region["backlog_now"]) == ("2026-06-30", 400, 160)
    assert region["weekly_pace"] == pytest.approx(240 / ((date(2026, 11, 2) - date(2026, 6, 30)).days / 7), abs=0.01)
    assert region["finish_date"] is not None and {"finish_date", "status", "weekly_pace"} <= set(region)
    for item in body["items"]:
        own = client.get(f"/api/v1/coverage/forecast?region={item['kode']}&weeks=8&deadline=2026-12-31").get_json()
        child = {k: v for k, v in own["region"].items() if k in item}
        assert child == item, item["kode"]
        assert item["status"] != "macet"
    page = client.get("/dasbor/33.74/prakiraan?weeks=8&deadline=2026-12-31").get_data(as_text=True)
    formula = page.split('data-testid="pace-formula">', 1)[1].split("</span>", 1)[0]
    assert "belum rekam 30 Jun 2026 400" in formula and "belum rekam sekarang 160" in formula


# ---------------------------------------------------------------- the migration carries the rows over

def test_the_migration_carries_earlier_known_away_rows_and_log_columns_over(app, tmp_path):
    """From the schema before the ledger: a "luar_daerah" row and log column become "bekerja_luar_daerah"
    (merged with a row of that reason), the tally has them, and school sessions draw on their school."""
    from flask_migrate import downgrade, upgrade

    from outreach import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with other.app_context():
        upgrade(revision="0011")
        conn = db.session.connection()
        now = "2026-10-01 00:00:00"
        for kode, level in (("33", "provinsi"), ("33.74", "kabupaten"), ("33.74.01", "kecamatan"),
                            ("33.74.01.1001", "desa")):
            conn.execute(sa.text(
                "INSERT INTO region (kode, nama, level, kind, provinsi_kode, kabupaten_kode, kecamatan_kode, "
                "has_boundary, wajib_ktp, sudah_rekam, target_as_of, updated_at) VALUES (:k, :k, :l, :l, '33', "
                ":kab, :kec, 0, :w, :s, :a, :now)"),
                {"k": kode, "l": level, "kab": kode[:5] if len(kode) >= 5 else None,
                 "kec": kode[:8] if len(kode) >= 8 else None, "w": 1000 if level == "desa" else None,
                 "s": 900 if level == "desa" else None, "a": "2026-09-15" if level == "desa" else None,
                 "now": now})
        conn.execute(sa.text("INSERT INTO known_away (desa_kode, reason, count, updated_at) VALUES "
                             "('33.74.01.1001', 'luar_daerah', 7, :now), ('33.74.01.1001', 'luar_negeri', 3, :now)"),
                     {"now": now})
        db.session.commit()
        upgrade(revision="0012")
        rows = dict(db.session.execute(sa.text("SELECT reason, count FROM known_away")).all())
        assert rows == {"bekerja_luar_daerah": 7, "luar_negeri": 3}
        tally = db.session.execute(sa.text("SELECT known_away, away_bekerja_luar_daerah, away_luar_negeri, menolak, "
                                           "planned FROM desa_tally")).one()
        assert tuple(tally) == (10, 7, 3, 0, 0)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("turnout_log")}
        assert {"away_bekerja_luar_daerah", "away_sekolah_luar_daerah"} <= columns and "away_luar_daerah" not in columns
        downgrade(revision="0011")
        assert dict(db.session.execute(sa.text("SELECT reason, count FROM known_away")).all()) == {
            "luar_daerah": 7, "luar_negeri": 3}
        db.session.remove()
        db.engine.dispose()


def test_ledger_check_finds_an_overplanned_pool_and_repairs_it(runner, world, db):
    # Written straight to the database (a bulk load, say): 500 expected where 100 are reachable.
    s = builders.make_session(world.site1, world.team, [world.kit], day=date(2026, 11, 20), expected_turnout=500)
    db.session.commit()
    found = runner.invoke(args=["ledger-check"])
    assert found.exit_code == 1 and f"desa {world.desa1.kode}: direncanakan 500, sisa 100" in found.output
    repaired = runner.invoke(args=["ledger-check", "--repair"])
    assert repaired.exit_code == 0 and "1 sesi berubah" in repaired.output
    db.session.expire_all()
    assert db.session.get(RecordingSession, s.id).expected_turnout == 48  # 1 kit × 4 h × 12
    assert runner.invoke(args=["ledger-check"]).exit_code == 0


def test_migrating_sessions_down_and_up_keeps_their_logs_and_kits(tmp_path):
    """SQLite rebuilds a table to change it; the logs, kits and postponements of the sessions it rebuilds
    must survive (foreign keys are switched off for the migration, not cascaded)."""
    from flask_migrate import downgrade, upgrade

    from outreach import create_app
    from outreach.models import SessionKit, TurnoutLog

    url = f"sqlite:///{tmp_path / 'down-up.sqlite'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with other.app_context():
        upgrade()
        builders.make_region("33.74.01.1001", "Kelurahan Satu", wajib_ktp=1000, sudah_rekam=900)
        site = builders.make_site("33.74.01.1001", "SMA Uji", type="sekolah", pemilih_pemula=80)
        team = builders.make_team("33.74", "Tim")
        kit = builders.make_kit(team, "KIT-1")
        session = builders.make_session(site, team, [kit], day=date(2026, 10, 5), status="terkonfirmasi")
        builders.make_turnout_log(session, recorded={"pemilih_pemula": 12})
        db.session.commit()

        def counts():
            return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                         for m in (RecordingSession, TurnoutLog, SessionKit))

        assert counts() == (1, 1, 1)
        db.session.remove()
        downgrade(revision="0011")
        assert tuple(db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM recording_session), (SELECT count(*) FROM turnout_log), "
            "(SELECT count(*) FROM session_kit)")).one()) == (1, 1, 1)
        db.session.remove()
        upgrade()
        assert counts() == (1, 1, 1)
        assert db.session.scalar(sa.select(RecordingSession.pool)) == "sekolah"  # backfilled from its site
        db.session.remove()
        db.engine.dispose()


def test_a_home_visit_expects_the_people_its_request_names_and_leaves_the_rest_to_the_desa(pool):
    """A session at the `rumah` site of a home-visit request draws on its desa's pool, but never expects more
    than the people the request names (a 2-hour kit would otherwise expect 24 of the desa's 40)."""
    from outreach.models import VisitRequest

    world, balai, rt, teams, kits = pool
    home = builders.make_site(world.desa2.kode, "Rumah warga RT 02/RW 01", type="rumah")
    request = VisitRequest(code="JB-LEDG2R", kind="rumah_lansia", desa_kode=home.desa_kode,
                           kecamatan_kode=home.kecamatan_kode, kabupaten_kode=home.kabupaten_kode,
                           provinsi_kode=home.provinsi_kode, people=2, status="diverifikasi", site_id=home.id,
                           phone_last4="5678")
    db.session.add(request)
    db.session.commit()
    coordinator = world.users["coordinator"]
    visit = planning.create_session(coordinator, _session_data(home, teams[0], date(2026, 11, 16), [kits[0]],
                                                               "08:00", "10:00"))
    after = planning.create_session(coordinator, _session_data(balai, teams[1], date(2026, 11, 17), [kits[1]]))
    db.session.expire_all()
    assert visit.expected_turnout == 2 and "Kunjungan rumah: 2 orang sesuai permohonan." in visit.turnout_reasoning
    assert after.expected_turnout == 38
    assert ledger.overplanned() == []
    # A refused request no longer limits the visit: the next reallocation gives it its capacity's share.
    request.status = "ditolak"
    db.session.commit()
    ledger.reallocate(desa_kodes=[home.desa_kode])
    db.session.commit()
    db.session.expire_all()
    assert visit.expected_turnout == 24 and after.expected_turnout == 16


def test_sharing_out_every_desa_of_the_country_at_once_fits_the_database(world, db):
    """A national SIAK import shares out all 83,762 desa in one call: the pools are claimed and locked in
    chunks (one IN of every code passed PostgreSQL's 65,535 parameters)."""
    from outreach.ledger import queries

    codes = [world.desa1.kode, world.desa2.kode] + [f"99.{i // 10000:02d}.{i // 100 % 100:02d}.{i % 100:04d}"
                                                   for i in range(70_000)]
    queries.claim_pools_first(codes, [world.site1.id])
    queries.lock_pools(codes, list(range(1, 70_000)))
    assert ledger.reallocate(desa_kodes=codes) == 0
    db.session.rollback()
