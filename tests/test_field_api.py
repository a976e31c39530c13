"""Field logging API: /api/v1/my/sessions and /api/v1/sessions/<id>/turnout."""
import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from outreach.models import AuditEntry, KnownAway, RecordingSession, Site, TurnoutLog
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture()
def fa(world):
    """Sessions relative to today (Asia/Jakarta): yesterday's (loggable), a school's two days ago,
    tomorrow's (not started), a cancelled one and another team's; one API token per role."""
    w = builders.make_planning_world(world)
    today = datetime.now(WIB).date()
    builders.make_known_away(world.desa1.kode, "luar_negeri", 10)
    s = SimpleNamespace(**vars(w), today=today)
    s.yesterday = builders.make_session(w.site1, w.team, [w.kit, w.kit2], today - timedelta(days=1),
                                        status="terkonfirmasi")
    s.school_session = builders.make_session(w.school, w.team, [w.kit], today - timedelta(days=2),
                                             status="rencana", target_groups=["pemilih_pemula"])
    s.tomorrow = builders.make_session(w.site1, w.team, [w.kit], today + timedelta(days=1), status="terkonfirmasi")
    s.cancelled = builders.make_session(w.site3, w.team, [w.kit], today - timedelta(days=3), status="dibatalkan")
    s.other_team = builders.make_session(w.site3, w.team2, [w.team2_kit], today - timedelta(days=1),
                                         status="terkonfirmasi")
    builders.db.session.commit()
    s.tokens = {role: builders.make_api_token(u) for role, u in w.users.items()}
    return s


def body(**over):
    data = {"recorded": {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3},
            "recorded_by_sex": {"L": 13, "P": 15},
            "not_recorded": {"tidak_ditemukan_siak": 2, "sudah_rekam": 1, "belum_cukup_umur": 0,
                             "gangguan_alat_jaringan": 1, "tidak_bersedia": 0},
            "away": {"luar_negeri": 4, "bekerja_luar_daerah": 2, "pindah_meninggal": 0, "lainnya": 0},
            "started_at": "08:05", "ended_at": "11:50", "notes": "Lancar."}
    data.update(over)
    return data


def call(client, fa, role, method, url, payload=None, key=None, headers=None, raw=None):
    h = {"Authorization": f"Bearer {fa.tokens[role]}"}
    if key:
        h["Idempotency-Key"] = key
    h.update(headers or {})
    if raw is not None:
        return client.open(url, method=method, data=raw, headers=h, content_type="application/json")
    return client.open(url, method=method, json=payload, headers=h)


def turnout_url(session_id):
    return f"/api/v1/sessions/{session_id}/turnout"


def known_away(db, desa):
    return dict(db.session.execute(sa.select(KnownAway.reason, KnownAway.count)
                                   .where(KnownAway.desa_kode == desa)).all())


def n_logs(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog))


def test_first_post_201_then_repeat_200_with_the_same_body(client, db, fa):
    url = turnout_url(fa.school_session.id)
    first = call(client, fa, "field", "POST", url, body(), key="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert first.status_code == 201, first.get_json()
    log = first.get_json()
    assert first.headers["Location"].endswith(url)
    assert log["recorded"] == {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3}
    assert log["recorded_by_sex"] == {"L": 13, "P": 15} and log["recorded_total"] == 28
    assert log["not_recorded"]["tidak_ditemukan_siak"] == 2 and log["away"]["luar_negeri"] == 4
    assert log["version"] == 1 and log["session_id"] == fa.school_session.id
    assert log["started_at"].endswith("08:05:00+07:00") and log["notes"] == "Lancar."
    assert db.session.get(RecordingSession, fa.school_session.id).status == "selesai"  # from rencana
    figures = (known_away(db, fa.desa1.kode), db.session.get(Site, fa.school.id).pemilih_pemula_recorded)
    assert figures == ({"luar_negeri": 14, "bekerja_luar_daerah": 2}, 105)

    again = call(client, fa, "field", "POST", url, body(), key="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert again.status_code == 200 and again.get_json() == log
    assert again.headers["Idempotent-Replayed"] == "true"
    db.session.expire_all()
    assert (known_away(db, fa.desa1.kode), db.session.get(Site, fa.school.id).pemilih_pemula_recorded) == figures
    assert n_logs(db) == 1
    got = call(client, fa, "manager", "GET", url)
    assert got.status_code == 200
    read = got.get_json()
    assert [h["action"] for h in read.pop("history")] == ["create"]  # GET adds the log's history
    assert read == log


def test_replayed_key_with_another_body_is_refused_and_not_stored(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    assert call(client, fa, "field", "POST", url, body(), key="kunci-1").status_code == 201
    resp = call(client, fa, "field", "POST", url, body(notes="beda"), key="kunci-1")
    assert resp.status_code == 422
    assert resp.get_json()["reason"] == "idempotency_key_reused" and "Idempotency-Key" in resp.get_json()["errors"]
    assert call(client, fa, "field", "GET", url).get_json()["notes"] == "Lancar."
    # The same key for another session: refused too, that session stays without a log.
    other = call(client, fa, "field", "POST", turnout_url(fa.school_session.id), body(), key="kunci-1")
    assert other.status_code == 422 and n_logs(db) == 1


def test_second_post_with_a_new_key_gets_409_with_the_current_log(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    stored = call(client, fa, "field", "POST", url, body(), key="hp-1").get_json()
    resp = call(client, fa, "field", "POST", url, body(notes="HP dua"), key="hp-2")
    assert resp.status_code == 409
    data = resp.get_json()
    assert data["reason"] == "log_exists" and "PATCH" in data["message"] and data["current"] == stored
    assert known_away(db, fa.desa1.kode)["luar_negeri"] == 14


def test_patch_with_the_version_read_moves_the_difference(client, db, fa):
    url = turnout_url(fa.school_session.id)
    call(client, fa, "field", "POST", url, body(), key="p-1")
    resp = call(client, fa, "field", "PATCH", url, {"version": 1, "recorded": {"pemilih_pemula": 9},
                                                     "recorded_by_sex": {"P": 19}, "away": {"luar_negeri": 1}})
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert data["version"] == 2 and data["recorded_total"] == 32 and data["recorded_by_sex"] == {"L": 13, "P": 19}
    db.session.expire_all()
    assert known_away(db, fa.desa1.kode)["luar_negeri"] == 11  # 10 + 4, then − 3
    assert db.session.get(Site, fa.school.id).pemilih_pemula_recorded == 109
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "turnout_log",
                                                           AuditEntry.action == "update")).one()
    assert entry.changes["recorded_pemilih_pemula"] == [5, 9] and entry.changes["away_luar_negeri"] == [4, 1]
    # The version may come in If-Match too.
    resp = call(client, fa, "coordinator", "PATCH", url, {"notes": "koordinator"}, headers={"If-Match": '"2"'})
    assert resp.status_code == 200 and resp.get_json()["version"] == 3


def test_two_phones_stale_version_409_with_the_other_values(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    call(client, fa, "field", "POST", url, body(), key="two-1")
    a = call(client, fa, "field", "PATCH", url, {"version": 1, "recorded": {"umum": 21}, "recorded_by_sex": {"L": 14}})
    assert a.status_code == 200
    b = call(client, fa, "field", "PATCH", url, {"version": 1, "recorded": {"umum": 25},
                                                  "recorded_by_sex": {"L": 18}})
    assert b.status_code == 409
    data = b.get_json()
    assert data["reason"] == "stale_version" and data["current"]["recorded"]["umum"] == 21
    assert data["current"]["version"] == 2
    assert call(client, fa, "field", "GET", url).get_json()["recorded"]["umum"] == 21  # never overwritten


def test_invalid_counts_422_one_message_per_field(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    resp = call(client, fa, "field", "POST", url,
                body(recorded={"pemilih_pemula": -1, "umum": "dua puluh", "lansia_disabilitas": 3.5}), key="bad-1")
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert set(errors) == {"recorded.pemilih_pemula", "recorded.umum", "recorded.lansia_disabilitas"}
    assert "negatif" in errors["recorded.pemilih_pemula"]
    resp = call(client, fa, "field", "POST", url, body(recorded_by_sex={"L": 1, "P": 2}), key="bad-2")
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"recorded_by_sex"}
    resp = call(client, fa, "field", "POST", url, body(recorded_total=99), key="bad-3")
    assert resp.status_code == 422 and "recorded_total" in resp.get_json()["errors"]
    resp = call(client, fa, "field", "POST", url, {}, key="bad-4")
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"recorded", "recorded_by_sex", "started_at", "ended_at"}
    assert n_logs(db) == 0 and known_away(db, fa.desa1.kode) == {"luar_negeri": 10}


def test_over_capacity_needs_confirmation(client, db, fa):
    url = turnout_url(fa.yesterday.id)  # 2 kits × ~3.75 h × 12 × 1.25 ≈ 112
    big = body(recorded={"umum": 150}, recorded_by_sex={"L": 70, "P": 80})
    resp = call(client, fa, "field", "POST", url, big, key="cap-1")
    assert resp.status_code == 422 and "confirm_over_capacity" in resp.get_json()["errors"]
    resp = call(client, fa, "field", "POST", url, dict(big, confirm_over_capacity=True), key="cap-2")
    assert resp.status_code == 201 and resp.get_json()["over_capacity_confirmed"] is True


def test_refusals_by_session_and_role(client, db, fa):
    b = body()
    assert call(client, fa, "field", "POST", turnout_url(fa.other_team.id), b, key="r-1").status_code == 404
    assert call(client, fa, "field", "GET", turnout_url(fa.other_team.id)).status_code == 404
    assert call(client, fa, "field", "POST", turnout_url(999999), b, key="r-2").status_code == 404
    assert call(client, fa, "field", "GET", turnout_url(2**31)).status_code == 404  # beyond PostgreSQL INTEGER
    # an id beyond the database range matches no route: a client error, never a 500
    assert call(client, fa, "admin", "PATCH", turnout_url(2**63), {"version": 1}).status_code in (404, 405)
    assert call(client, fa, "manager", "POST", turnout_url(fa.yesterday.id), b, key="r-3").status_code == 403
    assert call(client, fa, "manager", "PATCH", turnout_url(fa.yesterday.id), b).status_code == 403
    resp = call(client, fa, "field", "POST", turnout_url(fa.cancelled.id), b, key="r-4")
    assert resp.status_code == 422 and "dibatalkan" in resp.get_json()["errors"]["session"]
    resp = call(client, fa, "field", "POST", turnout_url(fa.tomorrow.id), b, key="r-5")
    assert resp.status_code == 422 and "belum dimulai" in resp.get_json()["errors"]["session"]
    resp = call(client, fa, "field", "GET", turnout_url(fa.yesterday.id))
    assert resp.status_code == 404 and resp.get_json()["reason"] == "no_log"
    assert call(client, fa, "field", "PATCH", turnout_url(fa.yesterday.id), {"version": 1}).status_code == 404
    assert n_logs(db) == 0


def test_idempotency_key_and_body_shape(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    resp = call(client, fa, "field", "POST", url, body())
    assert resp.status_code == 400 and "Idempotency-Key" in resp.get_json()["message"]
    assert call(client, fa, "field", "POST", url, body(), key="spasi tidak boleh").status_code == 400
    assert call(client, fa, "field", "POST", url, raw="{bukan json", key="j-1").status_code == 400
    assert call(client, fa, "field", "POST", url, raw="[1, 2]", key="j-2").status_code == 400
    assert call(client, fa, "field", "PATCH", url, raw="", key="j-3").status_code == 400
    assert n_logs(db) == 0


def test_a_1mb_json_body_is_refused_with_413_json(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    huge = json.dumps(body(notes="x" * (1024 * 1024)))
    resp = call(client, fa, "field", "POST", url, raw=huge, key="big-1")
    assert resp.status_code == 413 and resp.mimetype == "application/json"
    assert "terlalu besar" in resp.get_json()["message"]
    resp = call(client, fa, "field", "PATCH", url, raw=huge)
    assert resp.status_code == 413
    # Under the API limit but over 2,000 characters of notes: a clear 422.
    resp = call(client, fa, "field", "POST", url, body(notes="x" * 3000), key="big-2")
    assert resp.status_code == 422 and "Catatan" in resp.get_json()["errors"]["notes"]
    assert n_logs(db) == 0


def test_corrections_window_through_the_api(client, db, fa):
    url = turnout_url(fa.yesterday.id)
    call(client, fa, "field", "POST", url, body(), key="w-1")
    with time_machine.travel(datetime.now(WIB) + timedelta(hours=49)):
        resp = call(client, fa, "field", "PATCH", url, {"version": 1, "notes": "terlambat"})
        assert resp.status_code == 403 and "koordinator" in resp.get_json()["message"]
        resp = call(client, fa, "coordinator", "PATCH", url, {"version": 1, "notes": "oleh koordinator"})
        assert resp.status_code == 200 and resp.get_json()["updated_by"] == fa.users["coordinator"].id


def test_my_sessions(client, db, fa):
    call(client, fa, "coordinator", "POST", turnout_url(fa.school_session.id), body(), key="m-1")
    resp = call(client, fa, "field", "GET", "/api/v1/my/sessions")
    assert resp.status_code == 200
    data = resp.get_json()
    items = {i["id"]: i for i in data["items"]}
    # Yesterday's (waiting for its log, flagged) and tomorrow's; not the logged, cancelled or other team's.
    assert set(items) == {fa.yesterday.id, fa.tomorrow.id} and data["total"] == 2
    assert items[fa.yesterday.id]["awaiting_log"] and items[fa.yesterday.id]["overdue"]
    assert items[fa.yesterday.id]["can_log"] and not items[fa.tomorrow.id]["can_log"]
    site = items[fa.tomorrow.id]["site"]
    assert site["nama"] == fa.site1.nama and "map_url" in site and items[fa.tomorrow.id]["announcement"]
    assert call(client, fa, "field", "GET", "/api/v1/my/sessions?per_page=0").status_code == 400
    far = call(client, fa, "field", "GET", f"/api/v1/my/sessions?page={10**20}")  # found by fuzzing
    assert far.status_code == 200 and far.get_json()["items"] == [] and far.get_json()["total"] == 2
    admin = call(client, fa, "admin", "GET", "/api/v1/my/sessions?per_page=500").get_json()
    assert {fa.yesterday.id, fa.tomorrow.id, fa.other_team.id} <= {i["id"] for i in admin["items"]}


def test_cookie_session_needs_csrf_but_a_token_does_not(app, client, db, fa, login_as):
    login_as("field")
    url = turnout_url(fa.yesterday.id)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post(url, json=body(), headers={"Idempotency-Key": "c-1"})
        assert resp.status_code == 400 and "CSRF" in resp.get_json()["message"] and n_logs(db) == 0
        resp = client.post(url, json=body(), headers={"Idempotency-Key": "c-1",
                                                     "Authorization": f"Bearer {fa.tokens['field']}"})
        assert resp.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# ---------------------------------------------------------------- two (or more) phones at the same moment

N_PHONES = 4


@pytest.fixture()
def server(app, db):
    import threading

    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)
    srv.server_close()


@pytest.fixture()
def slow_validation(monkeypatch):
    """Hold every request after its checks and before its write, so all of them race for the lock."""
    import time

    from outreach.field import operations

    original = operations._validate

    def slow(*args, **kwargs):
        values = original(*args, **kwargs)
        time.sleep(0.3)
        return values
    monkeypatch.setattr(operations, "_validate", slow)


def _fire(base_url, token, method, path, payloads_and_keys):
    import threading
    import urllib.error
    import urllib.request

    barrier = threading.Barrier(len(payloads_and_keys))
    results = [None] * len(payloads_and_keys)

    def send(i, payload, key):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        req = urllib.request.Request(base_url + path, data=json.dumps(payload).encode(), method=method,
                                     headers=headers)
        barrier.wait()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                results[i] = (resp.status, json.loads(resp.read()))
        except urllib.error.HTTPError as err:
            results[i] = (err.code, json.loads(err.read()))

    threads = [threading.Thread(target=send, args=(i, p, k)) for i, (p, k) in enumerate(payloads_and_keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_phones_posting_at_once_store_one_log(fa, db, server, slow_validation):
    token = fa.tokens["field"]
    path = turnout_url(fa.yesterday.id)
    results = _fire(server, token, "POST", path, [(body(notes=f"HP {i}"), f"hp-{i}") for i in range(N_PHONES)])
    statuses = sorted(s for s, _ in results)
    assert statuses == [201] + [409] * (N_PHONES - 1), results
    winner = next(b for s, b in results if s == 201)
    assert all(b["reason"] == "log_exists" and b["current"]["id"] == winner["id"] for s, b in results if s == 409)
    db.session.expire_all()
    assert n_logs(db) == 1 and known_away(db, fa.desa1.kode) == {"luar_negeri": 14, "bekerja_luar_daerah": 2}


def test_the_same_send_retried_at_once_is_stored_once(fa, db, server, slow_validation):
    results = _fire(server, fa.tokens["field"], "POST", turnout_url(fa.school_session.id),
                    [(body(), "sama-1")] * N_PHONES)
    assert sorted(s for s, _ in results) == [200] * (N_PHONES - 1) + [201], results
    assert len({b["id"] for _, b in results}) == 1
    db.session.expire_all()
    assert n_logs(db) == 1 and db.session.get(Site, fa.school.id).pemilih_pemula_recorded == 105
    assert known_away(db, fa.desa1.kode)["luar_negeri"] == 14


def test_corrections_from_phones_at_once_one_wins_the_others_see_it(fa, db, server, slow_validation):
    path = turnout_url(fa.yesterday.id)
    assert call_http_free_post(fa, db, path)
    payloads = [({"version": 1, "recorded": {"umum": 20 + i}, "recorded_by_sex": {"L": 13 + i}}, None)
                for i in range(1, N_PHONES + 1)]
    results = _fire(server, fa.tokens["field"], "PATCH", path, payloads)
    assert sorted(s for s, _ in results) == [200] + [409] * (N_PHONES - 1), results
    winner = next(b for s, b in results if s == 200)
    assert winner["version"] == 2
    for status, data in results:
        if status == 409:
            assert data["reason"] == "stale_version" and data["current"]["recorded"] == winner["recorded"]


def call_http_free_post(fa, db, path):
    """Store the first log through the service (no HTTP): the race is about the corrections."""
    from outreach.field import operations

    return operations.save_log(fa.users["field"], fa.yesterday.id, body(), "awal").created
