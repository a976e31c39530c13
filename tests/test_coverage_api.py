"""GET /api/v1/coverage and friends: the contract's fields, scoping (404 outside), bad input (400/404),
Indonesian messages."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from outreach.jobs.snapshot import take_snapshot
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
CONTRACT = {"kode", "nama", "wajib_ktp", "sudah_rekam_official", "official_as_of", "recorded_since",
            "sudah_rekam_estimated", "backlog", "known_away", "reachable_backlog", "percent_recorded"}


def _log(world, db, n=40, day=date(2026, 9, 20)):
    session = builders.make_session(world.site1, world.team, day=day, status="terkonfirmasi")
    builders.make_turnout_log(session, recorded={"umum": n})
    builders.make_known_away(world.desa1.kode, "luar_negeri", 30)
    db.session.commit()


def test_coverage_of_a_kabupaten(client, world, db, login_as):
    _log(world, db)
    login_as("manager")
    resp = client.get("/api/v1/coverage?region=33.74")
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) >= {"region", "children", "data_as_of"}
    region = body["region"]
    assert CONTRACT <= set(region)
    assert {k: region[k] for k in CONTRACT} == {
        "kode": "33.74", "nama": "Kota Uji", "wajib_ktp": 2300, "sudah_rekam_official": 2140,
        "official_as_of": "2026-09-15", "recorded_since": 40, "sudah_rekam_estimated": 2180, "backlog": 120,
        "known_away": 30, "reachable_backlog": 90, "percent_recorded": round(100 * 2180 / 2300, 2)}
    assert [c["kode"] for c in body["children"]] == ["33.74.01", "33.74.02"]
    assert all(CONTRACT <= set(c) for c in body["children"])
    assert body["children"][0]["reachable_backlog"] == 80  # 150 − 40 − 30
    assert datetime.fromisoformat(body["data_as_of"]).tzinfo is not None
    assert body["latest_log_at"] is not None


def test_default_region_is_the_scope(client, world, db, login_as):
    login_as("coordinator")
    assert client.get("/api/v1/coverage").get_json()["region"]["kode"] == "33.74.01"
    login_as("admin")
    body = client.get("/api/v1/coverage").get_json()
    assert body["region"]["kode"] == "33" and body["region"]["wajib_ktp"] == 2600
    assert [c["kode"] for c in body["children"]] == ["33.01", "33.74"]


def test_unknown_and_out_of_scope_regions_answer_404_in_indonesian(client, world, db, login_as):
    login_as("coordinator")
    for url in ("/api/v1/coverage?region=33.74.02", "/api/v1/coverage?region=33.99.99",
                "/api/v1/coverage?region=xyz", "/api/v1/coverage/trend?region=33.01",
                "/api/v1/coverage/forecast?region=33.74.02", "/api/v1/coverage/areas?parent=33.01"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert "tidak ditemukan" in resp.get_json()["message"], url


def test_trend(client, world, db, login_as):
    take_snapshot(date(2026, 9, 19))
    db.session.commit()
    _log(world, db)
    with time_machine.travel(datetime(2026, 9, 21, 9, 0, tzinfo=WIB), tick=False):
        login_as("manager")  # signed in at the travelled time: the session cookie is not from the future
        resp = client.get("/api/v1/coverage/trend?region=33.74&from=2026-09-01&to=2026-09-30")
        backwards = client.get("/api/v1/coverage/trend?region=33.74&from=2026-09-30&to=2026-09-01")
        garbage = client.get("/api/v1/coverage/trend?region=33.74&from=kemarin")
    assert resp.status_code == 200
    points = resp.get_json()["points"]
    # The SIAK export of 15 Sep (official count only: known away unknown then), the snapshot, today live.
    assert [(p["date"], p["source"], p["backlog"], p["reachable_backlog"], p["sudah_rekam_estimated"])
            for p in points] == [("2026-09-15", "siak", 160, None, 2140), ("2026-09-19", "snapshot", 160, 160, 2140),
                                 ("2026-09-21", "live", 120, 90, 2180)]
    assert backwards.status_code == 400 and "terbalik" in backwards.get_json()["message"]
    assert garbage.status_code == 400 and "bukan tanggal" in garbage.get_json()["message"]


def test_forecast_refuses_a_past_deadline(client, world, db, login_as):
    _log(world, db)
    with time_machine.travel(datetime(2026, 10, 1, 9, 0, tzinfo=WIB), tick=False):
        login_as("manager")
        past = client.get("/api/v1/coverage/forecast?deadline=2026-09-30")
        ok = client.get("/api/v1/coverage/forecast?deadline=2026-12-31&weeks=4")
        bad_weeks = client.get("/api/v1/coverage/forecast?weeks=-2")
    assert past.status_code == 400 and "sudah lewat" in past.get_json()["message"]
    assert bad_weeks.status_code == 400
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["deadline"] == "2026-12-31" and body["weeks"] == 4 and body["level"] == "kecamatan"
    assert {i["kode"] for i in body["items"]} == {"33.74.01", "33.74.02"}
    assert {"status", "finish_date", "misses_deadline", "extra_sessions"} <= set(body["items"][0])


def test_area_table_teams_and_pemilih_pemula(client, world, db, login_as):
    _log(world, db)
    builders.make_site(world.desa3.kode, "MA Uji", type="sekolah", pemilih_pemula=50, pemilih_pemula_recorded=10)
    db.session.commit()
    login_as("manager")
    areas = client.get("/api/v1/coverage/areas?level=kecamatan&sort=-reachable_backlog").get_json()
    assert [(i["kode"], i["reachable_backlog"]) for i in areas["items"]] == [("33.74.01", 80), ("33.74.02", 10)]
    assert client.get("/api/v1/coverage/areas?sort=zzz").status_code == 400
    assert client.get("/api/v1/coverage/areas?level=rt").status_code == 400
    teams = client.get("/api/v1/coverage/teams?from=2026-09-01&to=2026-09-30").get_json()
    assert [(t["nama"], t["sessions_done"], t["recorded"]) for t in teams["items"]] == [("Tim Keliling 1", 1, 40)]
    assert client.get("/api/v1/coverage/teams?from=2026-09-30&to=2026-09-01").status_code == 400
    with time_machine.travel(datetime(2026, 10, 1, 9, 0, tzinfo=WIB), tick=False):
        login_as("manager")
        pp = client.get("/api/v1/coverage/pemilih-pemula?cutoff=2029-02-14").get_json()
        past = client.get("/api/v1/coverage/pemilih-pemula?cutoff=2026-01-01")
    assert pp["cutoff"] == "2029-02-14" and pp["total"]["still_to_record"] == 40
    assert pp["schools"][0]["nama"] == "MA Uji"
    assert past.status_code == 400 and "sudah lewat" in past.get_json()["message"]


def test_bearer_token_and_anonymous(client, world, db):
    assert client.get("/api/v1/coverage").status_code == 401
    token = builders.make_api_token(world.users["manager"])
    resp = client.get("/api/v1/coverage?region=33.74.02", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.get_json()["region"]["wajib_ktp"] == 800


def test_a_large_area_table_is_paged(client, world, db, login_as, monkeypatch):
    from outreach.api import coverage as api_coverage

    for i in range(5):
        builders.make_region(f"33.74.01.{3001 + i}", f"Desa Tambahan {i}", wajib_ktp=10, sudah_rekam=5)
    db.session.commit()
    login_as("manager")
    whole = client.get("/api/v1/coverage/areas?level=desa").get_json()
    assert "page" not in whole and len(whole["items"]) == whole["total"]
    monkeypatch.setattr(api_coverage, "AREAS_PER_PAGE_MAX", 3)
    first = client.get("/api/v1/coverage/areas?level=desa&sort=kode").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 3, whole["total"])
    assert first["pages"] == -(-whole["total"] // 3) and len(first["items"]) == 3
    codes = []
    for page in range(1, first["pages"] + 1):
        codes += [a["kode"] for a in client.get(f"/api/v1/coverage/areas?level=desa&sort=kode&page={page}")
                  .get_json()["items"]]
    assert codes == sorted(a["kode"] for a in whole["items"])
    asked = client.get("/api/v1/coverage/areas?level=desa&per_page=2&page=2").get_json()
    assert (asked["page"], asked["per_page"], len(asked["items"])) == (2, 2, 2)
    assert client.get("/api/v1/coverage/areas?level=desa&per_page=0").status_code == 400
    # An empty page is no page at all (the fuzzer found it answered 500).
    assert client.get("/api/v1/coverage/areas?level=desa&page=").get_json()["total"] == whole["total"]
