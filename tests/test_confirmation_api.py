"""POST /api/v1/sessions/<id>/confirmation-request and the confirmation in the session's JSON."""
from datetime import date, datetime
from urllib.parse import quote

import pytest

from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)


@pytest.fixture()
def pw(world):
    w = builders.make_planning_world(world)
    w.school.contact_phone = "+62 812-1111-2222"
    w.session = builders.make_session(w.school, w.team, [w.kit], day=date(2026, 12, 14))
    w.other = builders.make_session(w.site2, w.team, [w.kit], day=date(2026, 12, 15))
    w.other_coordinator = builders.make_user("coordinator", "koordinator_dua", scope="33.74.02")
    builders.db.session.commit()
    return w


@pytest.fixture()
def api(client, pw):
    tokens = {}

    def call(who, method, url, **kw):
        user = pw.users[who] if isinstance(who, str) else who
        if user.id not in tokens:
            tokens[user.id] = builders.make_api_token(user)
        return client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[user.id]}"}, **kw)
    return call


def test_request_answers_201_with_the_links_and_the_session_json_carries_the_state(api, pw, client):
    resp = api("coordinator", "POST", f"/api/v1/sessions/{pw.session.id}/confirmation-request")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["confirmation_status"] == "diminta" and body["emailed"] is False
    assert body["url"].startswith("http://localhost/konfirmasi/")
    assert body["whatsapp_url"].startswith("https://wa.me/6281211112222?text=")
    assert quote(body["url"], safe="") in body["whatsapp_url"]

    detail = api("coordinator", "GET", f"/api/v1/sessions/{pw.session.id}").get_json()
    assert detail["confirmation_status"] == "diminta"
    assert detail["confirmation"]["requested_at"] and detail["confirmation"]["answered_at"] is None
    assert "confirmation_nonce" not in detail

    # The contact answers on the public page; the JSON follows.
    path = body["url"][body["url"].index("/konfirmasi/"):]
    assert client.post(path, data={"answer": "jadwal_ulang", "proposed_date": "2026-12-18",
                                   "note": "Ujian"}).status_code == 200
    listed = api("manager", "GET", "/api/v1/sessions?from=2026-12-14&to=2026-12-14").get_json()["items"]
    mine = next(item for item in listed if item["id"] == pw.session.id)
    assert mine["confirmation_status"] == "jadwal_ulang" and mine["status"] == "rencana"
    assert mine["confirmation"]["proposed_date"] == "2026-12-18" and mine["confirmation"]["note"] == "Ujian"


def test_never_asked_session_has_null_state(api, pw):
    detail = api("coordinator", "GET", f"/api/v1/sessions/{pw.session.id}").get_json()
    assert detail["confirmation_status"] is None
    assert detail["confirmation"] == {"requested_at": None, "answered_at": None, "proposed_date": None, "note": ""}


def test_scope_and_roles(api, pw):
    url = f"/api/v1/sessions/{pw.session.id}/confirmation-request"
    assert api(pw.other_coordinator, "POST", url).status_code == 404
    assert api("manager", "POST", url).status_code == 403
    assert api("field", "POST", url).status_code == 403
    assert api("admin", "POST", url).status_code == 201
    assert api("coordinator", "POST", "/api/v1/sessions/999999/confirmation-request").status_code == 404


@pytest.mark.parametrize("kwargs, status, key", [
    ({"json": {"email": "bukan"}}, 422, "email"),
    ({"json": {"email": 5}}, 422, "email"),
    ({"json": {"email": "a@" + "b" * 260 + ".id"}}, 422, "email"),
    ({"json": ["x"]}, 422, None),
    ({"data": "{bukan json", "content_type": "application/json"}, 400, None),
])
def test_bad_bodies(api, pw, kwargs, status, key):
    resp = api("coordinator", "POST", f"/api/v1/sessions/{pw.session.id}/confirmation-request", **kwargs)
    assert resp.status_code == status
    body = resp.get_json()
    assert body["error"] == status and body["message"]
    if key:
        assert key in body["errors"]


def test_cancelled_session_is_refused(api, pw, db):
    pw.session.status, pw.session.cancel_reason = "dibatalkan", "banjir"
    db.session.commit()
    resp = api("coordinator", "POST", f"/api/v1/sessions/{pw.session.id}/confirmation-request")
    assert resp.status_code == 422 and "status" in resp.get_json()["errors"]


def test_asking_again_by_api_kills_the_first_link(api, pw, client, app):
    first = api("coordinator", "POST", f"/api/v1/sessions/{pw.session.id}/confirmation-request").get_json()["url"]
    second = api("coordinator", "POST", f"/api/v1/sessions/{pw.session.id}/confirmation-request").get_json()["url"]
    assert client.get(first[first.index("/konfirmasi/"):]).status_code == 404
    assert client.get(second[second.index("/konfirmasi/"):]).status_code == 200


def test_openapi_documents_the_endpoint_and_the_session_fields(client, db):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/sessions/{session_id}/confirmation-request"]["post"]
    assert op["operationId"] == "requestSiteConfirmation"
    assert set(op["responses"]) >= {"201", "404", "422", "401", "403"}
    link = op["responses"]["201"]["content"]["application/json"]["schema"]
    name = link["$ref"].rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][name]["properties"]) >= {"url", "whatsapp_url", "confirmation_status"}
    assert op["requestBody"]["required"] is False
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "email" in doc["components"]["schemas"][body]["properties"]
    session = doc["components"]["schemas"]["Session"]["properties"]
    assert session["confirmation_status"]["enum"] == ["diminta", "menunggu", "terkonfirmasi", "jadwal_ulang",
                                                      "ditolak"]
    assert "confirmation" in session
