"""The sessions API: contract, bad input (each case a test), roles and scope."""
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine

from outreach.models import RecordingSession
from tests import builders

NEXT_MONDAY = "2026-05-11"


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture()
def pw(world, frozen):
    return builders.make_planning_world(world)


@pytest.fixture()
def api(client, pw):
    """api(role, method, url, json=None): a request with that role's bearer token."""
    tokens = {}

    def call(role, method, url, json=None, **kw):
        if role not in tokens:
            tokens[role] = builders.make_api_token(pw.users[role])
        return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[role]}"}, **kw)
    return call


def body(pw, **kw):
    out = {"site_id": pw.site1.id, "date": NEXT_MONDAY, "start": "08:00", "end": "12:00", "team_id": pw.team.id,
           "kit_ids": [pw.kit.id], "kind": "perekaman", "target_groups": ["umum", "lansia_disabilitas"]}
    out.update(kw)
    return out


def saved(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession))


def create(api, pw, role="coordinator", **kw):
    resp = api(role, "POST", "/api/v1/sessions", body(pw, **kw))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


# ---------------------------------------------------------------- contract

def test_post_creates_and_answers_the_session(api, pw, db):
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, end_date="2026-05-12", notes="Bawa fotokopi KK"))
    assert resp.status_code == 201
    s = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/sessions/{s['id']}")
    assert {k: s[k] for k in ("site_id", "date", "end_date", "start", "end", "team_id", "kit_ids", "kind",
                              "status")} == {
        "site_id": pw.site1.id, "date": "2026-05-11", "end_date": "2026-05-12", "start": "08:00", "end": "12:00",
        "team_id": pw.team.id, "kit_ids": [pw.kit.id], "kind": "perekaman", "status": "rencana"}
    assert s["expected_turnout"] == 96 and "1 alat × 8 jam" in s["turnout_reasoning"]  # two days of 4 h
    assert s["target_groups"] == ["umum", "lansia_disabilitas"] and s["notes"] == "Bawa fotokopi KK"
    assert s["history"][0]["action"] == "create" and s["version"] == 1
    assert s["allowed_status"] == ["terkonfirmasi", "ditunda", "dibatalkan"]


def test_browser_session_works_too(client, login_as, pw, db):
    login_as("coordinator")
    resp = client.post("/api/v1/sessions", json=body(pw))
    assert resp.status_code == 201
    assert client.get(f"/api/v1/sessions/{resp.get_json()['id']}").status_code == 200


def test_anonymous_gets_401(client, pw):
    assert client.get("/api/v1/sessions").status_code == 401
    assert client.post("/api/v1/sessions", json=body(pw)).status_code == 401


def test_conflict_answers_409_naming_the_other_session(api, pw, db):
    other = builders.make_session(pw.site3, pw.team2, [pw.kit], date(2026, 5, 11), "10:00", "14:00")
    db.session.commit()
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw))
    assert resp.status_code == 409
    payload = resp.get_json()
    [conflict] = payload["conflicts"]
    assert {"kind", "message", "session_id"} <= set(conflict)
    assert conflict["kind"] == "kit_overlap" and conflict["session_id"] == other.id
    assert "Balai Desa Satu B" in conflict["message"] and "Senin, 11 Mei 2026" in conflict["message"]
    assert "10.00–14.00" in conflict["message"]
    assert payload["overridable"] is False
    # An override reason does not lift an error.
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, override_reason="Darurat"))
    assert resp.status_code == 409 and saved(db) == 1


def test_warnings_are_overridden_with_a_reason(api, pw, db):
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, date="2026-05-09"))
    assert resp.status_code == 409
    assert resp.get_json()["overridable"] is True
    assert [c["kind"] for c in resp.get_json()["conflicts"]] == ["weekend"]
    assert resp.get_json()["conflicts"][0]["session_id"] is None
    s = create(api, pw, date="2026-05-09", override_reason="Warga bekerja pada hari kerja")
    assert s["override_reason"] == "Warga bekerja pada hari kerja"


def test_get_list_filters_and_paginates(api, pw, db):
    for day in range(11, 16):
        builders.make_session(pw.site1, pw.team, [pw.kit], date(2026, 5, day),
                              status="terkonfirmasi" if day % 2 else "rencana")
    builders.make_session(pw.site3, pw.team2, [pw.team2_kit], date(2026, 5, 12))
    db.session.commit()
    resp = api("coordinator", "GET", "/api/v1/sessions?per_page=2&page=2")
    payload = resp.get_json()
    assert payload["total"] == 6 and len(payload["items"]) == 2 and payload["page"] == 2
    assert [i["date"] for i in payload["items"]] == ["2026-05-12", "2026-05-13"]
    got = api("coordinator", "GET", f"/api/v1/sessions?from=2026-05-12&to=2026-05-13&team_id={pw.team.id}").get_json()
    assert [i["date"] for i in got["items"]] == ["2026-05-12", "2026-05-13"]
    got = api("coordinator", "GET", "/api/v1/sessions?status=terkonfirmasi").get_json()
    assert got["total"] == 3
    got = api("admin", "GET", "/api/v1/sessions?kecamatan=33.74.02").get_json()
    assert got["total"] == 0
    resp = api("coordinator", "GET", "/api/v1/sessions?from=besok&page=0")
    assert resp.status_code == 422 and "from" in resp.get_json()["errors"]


def test_patch_changes_fields_and_keeps_an_audit(api, pw, db):
    s = create(api, pw)
    resp = api("coordinator", "PATCH", f"/api/v1/sessions/{s['id']}", {"start": "09:00", "version": 1})
    assert resp.status_code == 200
    assert resp.get_json()["start"] == "09:00" and resp.get_json()["version"] == 2
    history = resp.get_json()["history"]
    assert history[0]["action"] == "update" and history[0]["changes"]["start"] == ["08:00", "09:00"]
    assert history[0]["user_id"] == pw.users["coordinator"].id
    stale = api("coordinator", "PATCH", f"/api/v1/sessions/{s['id']}", {"notes": "x", "version": 1})
    assert stale.status_code == 409 and "pengguna lain" in stale.get_json()["message"]
    status = api("coordinator", "PATCH", f"/api/v1/sessions/{s['id']}", {"status": "selesai"})
    assert status.status_code == 422 and "/status" in status.get_json()["errors"]["status"]


def test_status_confirm_postpone_cancel(api, pw, db):
    s = create(api, pw)
    url = f"/api/v1/sessions/{s['id']}/status"
    resp = api("coordinator", "POST", url, {"status": "terkonfirmasi", "confirmed_with": "Pak Lurah Budi"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "terkonfirmasi"
    assert resp.get_json()["confirmed_with"] == "Pak Lurah Budi" and resp.get_json()["confirmed_at"]
    resp = api("coordinator", "POST", url, {"status": "ditunda", "new_date": "2026-05-18", "reason": "Hujan"})
    assert resp.status_code == 200
    s = resp.get_json()
    assert (s["status"], s["date"]) == ("ditunda", "2026-05-18")
    assert s["postponements"][0]["old_date"] == "2026-05-11" and s["postponements"][0]["reason"] == "Hujan"
    resp = api("coordinator", "POST", url, {"status": "dibatalkan"})
    assert resp.status_code == 422 and resp.get_json()["errors"]["reason"] == "Alasan pembatalan wajib diisi."
    resp = api("coordinator", "POST", url, {"status": "dibatalkan", "reason": "Desa menolak"})
    assert resp.status_code == 200 and resp.get_json()["cancel_reason"] == "Desa menolak"


def test_teams_and_kits(api, pw):
    teams = api("coordinator", "GET", "/api/v1/teams").get_json()
    assert {t["nama"] for t in teams["items"]} == {"Tim Keliling 1", "Tim Keliling 2"}
    assert [t["nama"] for t in api("field", "GET", "/api/v1/teams").get_json()["items"]] == ["Tim Keliling 1"]
    kits = api("coordinator", "GET", "/api/v1/kits").get_json()
    assert "KIT-LAIN" not in {k["code"] for k in kits["items"]} and kits["total"] == len(kits["items"])
    broken = api("manager", "GET", "/api/v1/kits?status=rusak").get_json()
    assert [k["code"] for k in broken["items"]] == ["KIT-RUSAK"]
    assert api("admin", "GET", f"/api/v1/kits?team_id={pw.team2.id}").get_json()["items"][0]["code"] == "KIT-T2"


# ---------------------------------------------------------------- roles and scope

def test_manager_reads_but_cannot_write(api, pw, db):
    s = create(api, pw)
    assert api("manager", "GET", f"/api/v1/sessions/{s['id']}").status_code == 200
    assert api("manager", "GET", "/api/v1/sessions").get_json()["total"] == 1
    assert api("manager", "POST", "/api/v1/sessions", body(pw)).status_code == 403
    assert api("manager", "PATCH", f"/api/v1/sessions/{s['id']}", {"notes": "x"}).status_code == 403
    assert api("manager", "POST", f"/api/v1/sessions/{s['id']}/status",
               {"status": "dibatalkan", "reason": "x"}).status_code == 403
    assert saved(db) == 1


def test_field_reads_only_its_own_teams_sessions(api, pw, db):
    mine = create(api, pw)
    other = create(api, pw, team_id=pw.team2.id, kit_ids=[pw.team2_kit.id], site_id=pw.site3.id, start="13:00",
                   end="16:00")
    listed = api("field", "GET", "/api/v1/sessions").get_json()
    assert [i["id"] for i in listed["items"]] == [mine["id"]]
    assert api("field", "GET", f"/api/v1/sessions/{other['id']}").status_code == 404
    detail = api("field", "GET", f"/api/v1/sessions/{mine['id']}").get_json()
    assert detail["can_edit"] is False and detail["allowed_status"] == []
    assert api("field", "POST", "/api/v1/sessions", body(pw)).status_code == 403


def test_another_kecamatans_session_is_invisible_to_the_coordinator(api, pw, db):
    theirs = builders.make_session(pw.site2, pw.team2, [pw.team2_kit], date(2026, 5, 11))
    db.session.commit()
    assert api("coordinator", "GET", f"/api/v1/sessions/{theirs.id}").status_code == 404
    assert api("coordinator", "PATCH", f"/api/v1/sessions/{theirs.id}", {"notes": "x"}).status_code == 404
    assert api("coordinator", "POST", f"/api/v1/sessions/{theirs.id}/status",
               {"status": "dibatalkan", "reason": "x"}).status_code == 404
    assert api("admin", "GET", f"/api/v1/sessions/{theirs.id}").status_code == 200


# ---------------------------------------------------------------- bad input, each case

def refused(api, db, pw, payload, field, role="coordinator"):
    before = saved(db)
    resp = api(role, "POST", "/api/v1/sessions", payload)
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    assert field in errors, errors
    assert saved(db) == before
    return errors[field]


def test_end_before_start(api, pw, db):
    assert refused(api, db, pw, body(pw, start="12:00", end="08:00"), "end") == \
        "Jam selesai harus setelah jam mulai."


def test_end_date_before_date(api, pw, db):
    assert "sebelum tanggal mulai" in refused(api, db, pw, body(pw, end_date="2026-05-10"), "end_date")


def test_new_session_in_the_past(api, pw, db):
    assert "sudah lewat" in refused(api, db, pw, body(pw, date="2026-05-01"), "date")


def test_zero_kits(api, pw, db):
    assert "minimal satu alat" in refused(api, db, pw, body(pw, kit_ids=[]), "kit_ids")


def test_unknown_kit(api, pw, db):
    assert "9999 tidak ditemukan" in refused(api, db, pw, body(pw, kit_ids=[9999]), "kit_ids")


def test_broken_kit(api, pw, db):
    assert "KIT-RUSAK rusak" in refused(api, db, pw, body(pw, kit_ids=[pw.kit_broken.id]), "kit_ids")


def test_kit_ids_not_numbers(api, pw, db):
    assert "tidak valid" in refused(api, db, pw, body(pw, kit_ids=["satu"]), "kit_ids")


def test_team_outside_the_coordinators_reach(api, pw, db):
    message = refused(api, db, pw, body(pw, team_id=pw.other_team.id, kit_ids=[pw.other_kit.id]), "team_id")
    assert "Tim Kabupaten Lain" in message and "tidak dapat ditugaskan" in message


def test_site_of_another_kecamatan(api, pw, db):
    message = refused(api, db, pw, body(pw, site_id=pw.site2.id), "site_id")
    assert message.startswith("Lokasi Balai Kelurahan Dua A berada di luar kecamatan Anda")


def test_unknown_site(api, pw, db):
    assert refused(api, db, pw, body(pw, site_id=424242), "site_id") == "Lokasi tidak ditemukan."


def test_impossible_status_change(api, pw, db):
    s = create(api, pw)
    url = f"/api/v1/sessions/{s['id']}/status"
    resp = api("coordinator", "POST", url, {"status": "selesai"})
    assert resp.status_code == 422 and "laporan hasil" in resp.get_json()["errors"]["status"]
    resp = api("coordinator", "POST", url, {"status": "rencana"})
    assert resp.get_json()["errors"]["status"] == "Status tidak dapat diubah dari Rencana menjadi Rencana."
    resp = api("coordinator", "POST", url, {"status": "hilang"})
    assert resp.status_code == 422 and "tidak dikenal" in resp.get_json()["errors"]["status"]
    resp = api("coordinator", "POST", url, {})
    assert resp.status_code == 422 and "wajib" in resp.get_json()["errors"]["status"]
    assert api("coordinator", "GET", f"/api/v1/sessions/{s['id']}").get_json()["status"] == "rencana"


def test_date_that_is_not_a_date(api, pw, db):
    message = refused(api, db, pw, body(pw, date="2026-02-30"), "date")
    assert "bukan tanggal yang sah" in message and "2026-02-30" in message
    assert "bukan tanggal" in refused(api, db, pw, body(pw, date="Senin depan"), "date")
    assert "bukan jam" in refused(api, db, pw, body(pw, start="jam 8"), "start")


def test_ten_thousand_character_note(api, pw, db):
    message = refused(api, db, pw, body(pw, notes="x" * 10_000), "notes")
    assert message.startswith("Catatan terlalu panjang: 10.000 karakter, paling banyak 2.000.")


def test_long_note_on_patch_keeps_the_saved_note(api, pw, db):
    s = create(api, pw, notes="catatan asli")
    resp = api("coordinator", "PATCH", f"/api/v1/sessions/{s['id']}", {"notes": "y" * 10_000})
    assert resp.status_code == 422 and "notes" in resp.get_json()["errors"]
    assert api("coordinator", "GET", f"/api/v1/sessions/{s['id']}").get_json()["notes"] == "catatan asli"


def test_missing_fields_and_bad_json(api, pw, client, db):
    resp = api("coordinator", "POST", "/api/v1/sessions", {})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) >= {"site_id", "date", "start", "end", "team_id"}
    token = builders.make_api_token(pw.users["coordinator"])
    resp = client.post("/api/v1/sessions", data="{bukan json", content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 400 and "JSON" in resp.get_json()["message"]
    resp = api("coordinator", "POST", "/api/v1/sessions", [1, 2])
    assert resp.status_code == 422


def test_english_locale_still_answers_conflicts(api, pw, db):
    pw.users["coordinator"].locale = "en"
    db.session.commit()
    resp = api("coordinator", "POST", "/api/v1/sessions", body(pw, date="2026-05-09"))
    assert resp.status_code == 409 and "2026" in resp.get_json()["conflicts"][0]["message"]


# ---------------------------------------------------------------- OpenAPI fragment

def test_openapi_describes_every_sessions_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in doc["paths"].items() for method in item if method != "parameters"}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {"api.sessions_list", "api.session_create", "api.session_detail", "api.session_update",
                             "api.session_status", "api.session_mop_up", "api.teams_list", "api.kits_list"}:
            path = rule.rule.replace("<int:session_id>", "{session_id}")
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes <= documented

    def refs(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    yield v
                else:
                    yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)
    for ref in set(refs(doc)):
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref
    listed = {p["name"] for p in doc["paths"]["/api/v1/sessions"]["get"]["parameters"]}
    assert {"from", "to", "status", "team_id", "kind", "page", "per_page"} <= listed


def test_openapi_document_lists_the_sessions_api(client, pw):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}", "/api/v1/sessions/{session_id}/status",
            "/api/v1/teams", "/api/v1/kits"} <= set(doc["paths"])
    assert {"Session", "Conflict", "ConflictError", "Error"} <= set(doc["components"]["schemas"])
