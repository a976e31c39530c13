"""POST /api/v1/plans and /plans/<id>/accept: proposals stored, nothing saved until accepted, accepted items
pass the same conflict rules as hand-made sessions."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import RecordingSession
from outreach.models.plans import PlanProposal
from tests import builders
from tests.conftest import WIB

# Planned on Monday 2 November 2026: the week three weeks ahead (23–27 Nov) has no public holiday.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)


def _monday(weeks_ahead: int = 3) -> date:
    today = NOW.date()
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_ahead)


def _range(days: int = 5):
    first = _monday()
    return first.isoformat(), (first + timedelta(days=days - 1)).isoformat()


def _sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession))


def _proposals() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PlanProposal))


@pytest.fixture()
def pw(world):
    """World plus a second kit, an RT/RW site sharing desa1's pool, and a school with pemilih pemula."""
    kit2 = builders.make_kit(world.team, "KIT-B")
    rt = builders.make_site(world.desa1.kode, "RT 03 RW 05 Satu A", type="rt_rw", lat=-7.002, lng=110.401)
    school = builders.make_site(world.desa2.kode, "SMA Negeri Uji", type="sekolah", lat=-7.01, lng=110.41,
                                pemilih_pemula=120, pemilih_pemula_recorded=40)
    site3 = builders.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()
    world.kit2, world.rt, world.school, world.site3 = kit2, rt, school, site3
    return world


def _post(client, body):
    return client.post("/api/v1/plans", json=body)


def test_coordinator_gets_a_stored_proposal_and_nothing_is_booked(client, login_as, pw):
    login_as("coordinator")
    first, last = _range()
    before = _sessions()
    resp = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["id"] and resp.headers["Location"].endswith(f"/api/v1/plans/{body['id']}")
    assert body["items"], body
    for item in body["items"]:
        assert {"site_id", "site_nama", "date", "start", "end", "team_id", "kit_ids", "expected_yield",
                "reason"} <= set(item)
        assert first <= item["date"] <= last
        assert item["team_id"] == pw.team.id
        assert set(item["kit_ids"]) <= {pw.kit.id, pw.kit2.id}
        assert item["reason"]
    assert body["total_expected_yield"] == sum(i["expected_yield"] for i in body["items"])
    # desa1 (reachable 100) is served by two sites: its pool is counted once.
    desa1_sites = {pw.site1.id, pw.rt.id}
    assert sum(i["expected_yield"] for i in body["items"] if i["site_id"] in desa1_sites) <= 100
    # the school's pemilih pemula (80 left) are a target of their own.
    school_items = [i for i in body["items"] if i["site_id"] == pw.school.id]
    assert school_items and sum(i["pemilih_pemula_yield"] for i in school_items) == 80
    assert body["total_expected_yield"] == 100 + 50 + 80
    assert isinstance(body["left_out"], list)
    assert _sessions() == before
    assert _proposals() == 1
    stored = client.get(f"/api/v1/plans/{body['id']}").get_json()
    assert stored["items"] == body["items"]


def test_accept_creates_sessions_through_the_conflict_rules(client, login_as, pw):
    login_as("coordinator")
    first, last = _range()
    body = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last}).get_json()
    n = len(body["items"])
    resp = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": list(range(n))})
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert len(out["created_session_ids"]) == n and out["refused"] == []
    sessions = db.session.scalars(sa.select(RecordingSession).order_by(RecordingSession.id)).all()
    assert [s.id for s in sessions] == sorted(out["created_session_ids"])
    for s, item in zip(sessions, body["items"]):
        assert s.status == "rencana" and s.site_id == item["site_id"] and s.date.isoformat() == item["date"]
        assert s.kit_ids == sorted(item["kit_ids"])
    proposal = db.session.get(PlanProposal, body["id"])
    assert proposal.accepted_at is not None and sorted(proposal.accepted_session_ids) == sorted(out["created_session_ids"])
    # A proposal is accepted once: a second accept answers 409 and adds nothing.
    again = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": [0]})
    assert again.status_code == 409 and "sudah diterima" in again.get_json()["message"]
    assert _sessions() == n


def test_accept_moved_item_refused_on_conflict_and_others_kept(client, login_as, pw):
    login_as("coordinator")
    first, last = _range()
    body = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last}).get_json()
    assert len(body["items"]) >= 2
    # Someone books the team on a day after the proposal was made.
    clash_day = date.fromisoformat(last) + timedelta(days=3)
    builders.make_session(pw.site2, pw.team, [pw.kit], day=clash_day, start="08:00", end="15:00")
    db.session.commit()
    before = _sessions()
    resp = client.post(f"/api/v1/plans/{body['id']}/accept",
                       json={"items": [{"index": 0, "date": clash_day.isoformat()}, 1]})
    out = resp.get_json()
    assert resp.status_code == 200, out
    assert len(out["created_session_ids"]) == 1
    assert [r["index"] for r in out["refused"]] == [0]
    assert out["refused"][0]["item"]["date"] == clash_day.isoformat()
    assert any("Tim" in m or "tim" in m for m in out["refused"][0]["messages"]), out["refused"]
    assert _sessions() == before + 1


def test_accept_bad_items(client, login_as, pw):
    login_as("coordinator")
    first, last = _range()
    body = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last}).get_json()
    url = f"/api/v1/plans/{body['id']}/accept"
    for items in ([], None, [99], ["x"], [{"index": 0, "warna": "merah"}]):
        resp = client.post(url, json={"items": items})
        assert resp.status_code == 422, items
        assert resp.get_json()["message"]
    assert _sessions() == 0


@pytest.mark.parametrize("change, fragment", [
    (lambda b: b.update(date_to=b["date_from"], date_from=b["date_to"]), "Rentang tanggal kosong"),
    (lambda b: b.update(team_ids=[]), "Tidak ada tim"),
    (lambda b: b.update(settings={"travel_speed_kmh": 0}), "Kecepatan perjalanan"),
    (lambda b: b.update(settings={"records_per_kit_hour": -5}), "perekaman per alat per jam"),
    (lambda b: b.update(date_from="kemarin"), "bukan tanggal yang sah"),
    (lambda b: b.update(region="33"), "harus kode kecamatan"),
])
def test_bad_input_is_422_in_indonesian_and_saves_nothing(client, login_as, pw, change, fragment):
    login_as("coordinator")
    first, last = _range()
    body = {"region": pw.kec1.kode, "date_from": first, "date_to": last}
    change(body)
    resp = _post(client, body)
    assert resp.status_code == 422, resp.get_json()
    assert fragment in resp.get_json()["message"]
    assert _proposals() == 0 and _sessions() == 0


def test_no_kit_message_names_the_kits_under_repair(client, login_as, pw):
    pw.kit.status = "rusak"
    pw.kit2.status = "servis"
    db.session.commit()
    login_as("coordinator")
    first, last = _range()
    resp = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 422
    message = resp.get_json()["message"]
    assert "Tidak ada alat" in message and "KIT-A" in message and "KIT-B" in message
    assert "alat" in resp.get_json()["errors"]


def test_region_without_targets(client, login_as, pw):
    builders.make_region("33.74.01.2009", "Desa Tanpa Lokasi", wajib_ktp=100, sudah_rekam=100)
    empty = builders.make_region("33.74.03", "Kecamatan Kosong")
    db.session.commit()
    login_as("admin")
    first, last = _range()
    resp = _post(client, {"region": empty.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 422
    assert "tidak punya sasaran" in resp.get_json()["message"]
    assert _proposals() == 0


def test_existing_sessions_block_the_team(client, login_as, pw):
    """A team booked on every working day of the range is not available: 422 saying so."""
    login_as("coordinator")
    first = _monday()
    for d in range(5):
        builders.make_session(pw.site2, pw.team, [], day=first + timedelta(days=d))
    db.session.commit()
    resp = _post(client, {"region": pw.kec1.kode, "date_from": first.isoformat(),
                          "date_to": (first + timedelta(days=4)).isoformat()})
    assert resp.status_code == 422
    assert "sudah terjadwal" in resp.get_json()["message"]


@pytest.mark.parametrize("role", ["manager", "field"])
def test_managers_and_field_are_refused(client, login_as, pw, role):
    login_as(role)
    first, last = _range()
    resp = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 403
    assert _proposals() == 0


def test_coordinator_cannot_plan_or_accept_another_kecamatan(client, login_as, pw):
    first, last = _range()
    login_as("admin")
    other = _post(client, {"region": pw.kec2.kode, "date_from": first, "date_to": last})
    assert other.status_code == 201, other.get_json()
    login_as("coordinator")
    assert _post(client, {"region": pw.kec2.kode, "date_from": first, "date_to": last}).status_code == 404
    assert _post(client, {"region": pw.kab.kode, "date_from": first, "date_to": last}).status_code == 404
    pid = other.get_json()["id"]
    assert client.get(f"/api/v1/plans/{pid}").status_code == 404
    assert client.post(f"/api/v1/plans/{pid}/accept", json={"items": [0]}).status_code == 404
    assert _sessions() == 0


def test_admin_plans_a_kabupaten(client, login_as, pw):
    login_as("admin")
    first, last = _range()
    resp = _post(client, {"region": pw.kab.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 201, resp.get_json()
    sites = {i["site_id"] for i in resp.get_json()["items"]}
    assert pw.site2.id in sites  # kecamatan Dua is in the kabupaten
    assert pw.other_site.id not in sites


def test_openapi_documents_the_planner(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/api/v1/plans"]
    assert "post" in doc["paths"]["/api/v1/plans/{proposal_id}/accept"]
    assert "PlanProposal" in doc["components"]["schemas"]


def test_site_unavailable_dates_are_never_proposed(client, login_as, pw):
    login_as("coordinator")
    first, last = _range()
    blocked = [date.fromisoformat(first) + timedelta(days=d) for d in range(5)]
    pw.school.unavailable_dates = f"{blocked[0].isoformat()}..{blocked[-1].isoformat()}"
    db.session.commit()
    body = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last}).get_json()
    assert all(item["site_id"] != pw.school.id for item in body["items"]), body["items"]
    # with the school free again it is planned (the pemilih pemula pool is worth a day)
    pw.school.unavailable_dates = ""
    db.session.commit()
    body = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last}).get_json()
    assert any(item["site_id"] == pw.school.id for item in body["items"])


# ---------------------------------------------------------------- language

def _speak_english(client, user, how):
    if how == "profile":
        user.locale = "en"
        db.session.commit()
    else:
        client.post("/bahasa/en")


@pytest.mark.parametrize("how", ["profile", "session"])
def test_bad_input_follows_the_users_language(client, login_as, pw, how):
    """The same bad request: Indonesian by default, English for a user who chose English."""
    user = login_as("coordinator")
    first, last = _range()
    body = {"region": pw.kec1.kode, "date_from": first, "date_to": last,
            "settings": {"travel_speed_kmh": 0, "work_start": "15:00", "work_end": "08:00"}}
    resp = _post(client, body)
    assert resp.status_code == 422
    message = resp.get_json()["message"]
    assert "Kecepatan perjalanan harus lebih dari 0 km/jam (sekarang 0" in message
    assert "Jam kerja selesai (08.00) harus setelah jam mulai (15.00)." in message

    _speak_english(client, user, how)
    resp = _post(client, body)
    assert resp.status_code == 422
    message = resp.get_json()["message"]
    assert "Travel speed must be more than 0 km/h (now 0" in message
    assert "The working day's end (08.00) must be after its start (15.00)." in message
    assert "Kecepatan" not in message and "Jam kerja" not in message
    assert _proposals() == 0


def test_no_kit_message_in_english_names_the_kits(client, login_as, pw):
    pw.kit.status = "rusak"
    pw.kit2.status = "servis"
    pw.users["coordinator"].locale = "en"
    db.session.commit()
    login_as("coordinator")
    first, last = _range()
    resp = _post(client, {"region": pw.kec1.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "No kit is available: KIT-A, KIT-B under repair."


def test_reasons_follow_the_users_language(client, login_as, pw):
    """Per-item and left-out reasons: Indonesian by default, English for an English-speaking user."""
    login_as("coordinator")
    first, last = _range()
    pw.school.unavailable_dates = f"{first}..{last}"
    db.session.commit()
    request_body = {"region": pw.kec1.kode, "date_from": first, "date_to": last}
    body = _post(client, request_body).get_json()
    assert body["items"] and all("; perkiraan " in item["reason"] for item in body["items"])
    school = [lo["reason"] for lo in body["left_out"] if lo["site_id"] == pw.school.id]
    assert school == ["tidak bisa menerima kunjungan pada semua hari kerja dalam rentang ini"]

    client.post("/bahasa/en")
    body = _post(client, request_body).get_json()
    for item in body["items"]:
        assert "; about " in item["reason"] and " kits × " in item["reason"], item["reason"]
        assert "perkiraan" not in item["reason"] and "alat" not in item["reason"]
    school = [lo["reason"] for lo in body["left_out"] if lo["site_id"] == pw.school.id]
    assert school == ["cannot take visits on any working day in this range"]
