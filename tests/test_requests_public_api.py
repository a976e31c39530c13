"""The public visit-request API (no login, no CSRF): 201 with a code, 4xx in the API's error shape, the status
by code + last 4 digits (404 alike for a wrong code and wrong digits, no personal data), the OpenAPI document,
and the per-address rate limits shared with the form (a burst from one address never blocks another)."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach import ratelimits
from outreach.extensions import db as _db
from outreach.models import VisitRequest
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))
URL = "/api/v1/public/requests"


def body(**changes) -> dict:
    data = {"kind": "sekolah", "desa_kode": "33.74.01.2002", "address": "SMA Negeri 9, Jl. Pemuda 1",
            "rt": 2, "rw": 1, "people": 40, "description": "Siswa kelas XII yang berusia 17",
            "requester_name": "Bu Wulan", "relation": "Guru BK", "phone": "+62 857-1234-5678"}
    data.update(changes)
    return data


def count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(VisitRequest))


def test_create_answers_201_with_a_code_without_login_or_csrf(client, world, csrf_on):
    resp = client.post(URL, json=body(lat=-7.0, lng=110.4))
    assert resp.status_code == 201, resp.get_json()
    payload = resp.get_json()
    assert payload["status"] == "baru" and payload["code"].startswith("JB-") and set(payload) == {"code", "status"}
    row = _db.session.scalar(sa.select(VisitRequest))
    assert (row.source, row.phone, row.people, row.lat) == ("api", "6285712345678", 40, -7.0)


def test_bad_fields_answer_422_with_a_message_per_field(client, world):
    resp = client.post(URL, json=body(phone="12345", people=0, kind="pesta", address=None))
    assert resp.status_code == 422
    payload = resp.get_json()
    assert payload["error"] == 422 and "Permohonan tidak valid" in payload["message"]
    assert set(payload["errors"]) == {"kind", "address", "people", "phone"}
    assert "Alamat wajib diisi" in payload["errors"]["address"]
    assert count() == 0


def test_wrong_json_types_and_unknown_fields_are_422_too(client, world):
    resp = client.post(URL, json=body(people="banyak", nik="3374010101010001"))
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["people"] == "Harus berupa bilangan bulat." and "nik" in errors
    assert client.post(URL, json=body(lat="x")).status_code == 422
    assert count() == 0


def test_a_body_that_is_not_a_json_object_is_400(client, world):
    assert client.post(URL, data="kind=sekolah").status_code == 400
    assert client.post(URL, json=[body()]).status_code == 400
    resp = client.post(URL, data="{", content_type="application/json")
    assert resp.status_code == 400 and "message" in resp.get_json()
    resp = client.post(URL, data='{"address": "' + "x" * 20000 + '"}', content_type="application/json")
    assert resp.status_code == 413


def test_the_honeypot_field_is_not_part_of_the_api(client, world):
    resp = client.post(URL, json=body(website="x"))
    assert resp.status_code == 422 and "website" in resp.get_json()["errors"]


def test_the_open_cap_per_phone_applies_to_the_api(client, world):
    for _ in range(3):
        assert client.post(URL, json=body()).status_code == 201
    resp = client.post(URL, json=body(phone="085712345678"))
    assert resp.status_code == 422 and "masih berjalan" in resp.get_json()["errors"]["phone"]


def test_status_by_code_and_last_digits_without_personal_data(client, world):
    code = client.post(URL, json=body()).get_json()["code"]
    resp = client.get(f"{URL}/{code}?phone_last4=5678")
    assert resp.status_code == 200
    payload = resp.get_json()
    assert payload["code"] == code and payload["status"] == "baru" and payload["kind_label"] == "Sekolah"
    assert payload["desa"] == "Desa Satu B" and payload["session"] is None
    text = resp.get_data(as_text=True)
    for private in ("Wulan", "Pemuda", "Guru", "kelas XII", "85712345678", "requester", "phone\""):
        assert private not in text


def test_a_wrong_code_and_wrong_digits_answer_the_same_404(client, world):
    code = client.post(URL, json=body()).get_json()["code"]
    wrong_digits = client.get(f"{URL}/{code}?phone_last4=0000")
    wrong_code = client.get(f"{URL}/JB-ZZZZZZ?phone_last4=5678")
    no_digits = client.get(f"{URL}/{code}")
    assert wrong_digits.status_code == wrong_code.status_code == no_digits.status_code == 404
    assert wrong_digits.get_json() == wrong_code.get_json() == no_digits.get_json()
    assert client.get(f"{URL}/{'x' * 300}?phone_last4={'9' * 9}").status_code == 404
    assert client.get(f"{URL}/{code}?phone_last4={'9' * 11}").status_code == 400


def test_the_openapi_document_describes_both_operations(client, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    create = doc["paths"]["/api/v1/public/requests"]["post"]
    status = doc["paths"]["/api/v1/public/requests/{code}"]["get"]
    assert create["security"] == [] and status["security"] == []
    assert {"201", "422", "429"} <= set(create["responses"]) and {"200", "404"} <= set(status["responses"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["PublicRequestInput"]["properties"]) == {
        "kind", "desa_kode", "address", "rt", "rw", "people", "description", "requester_name", "relation", "phone",
        "lat", "lng"}
    assert "phone_last4" in {p["name"] for p in status["parameters"]}


# ---------------------------------------------------------------- rate limits

@pytest.fixture()
def limits(app):
    app.config["RATE_LIMITS"] = True
    ratelimits.reset_all()
    yield app.config
    app.config["RATE_LIMITS"] = None
    ratelimits.reset_all()


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_a_burst_from_one_address_never_blocks_another(client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "REQUEST_FORM_LIMIT", "2 per hour")
    monkeypatch.setitem(limits, "REQUEST_OPEN_PER_PHONE", 100)
    spam = [client.post(URL, json=body(), **_from("10.0.0.66")) for _ in range(3)]
    assert [r.status_code for r in spam] == [201, 201, 429]
    assert spam[2].get_json()["error"] == 429 and int(spam[2].headers["Retry-After"]) > 0
    # The HTML form shares the budget of that address...
    assert client.post("/permohonan", data={**body(), "people": "3"}, **_from("10.0.0.66")).status_code == 429
    # ...and another address still gets through, by the API and by the form.
    assert client.post(URL, json=body(), **_from("10.0.0.7")).status_code == 201
    assert client.post("/permohonan", data={**body(), "people": "3"}, **_from("10.0.0.8")).status_code == 303


def test_only_accepted_requests_count_against_the_creation_limit(client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "REQUEST_FORM_LIMIT", "1 per hour")
    here = _from("10.0.0.9")
    for _ in range(3):  # someone correcting typos is not locked out
        assert client.post(URL, json=body(phone="1"), **here).status_code == 422
    assert client.post(URL, json=body(), **here).status_code == 201
    assert client.post(URL, json=body(), **here).status_code == 429


def test_every_attempt_counts_against_the_attempt_limit(client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "REQUEST_FORM_ATTEMPT_LIMIT", "2 per hour")
    here = _from("10.0.0.10")
    assert [client.post(URL, json=body(phone="1"), **here).status_code for _ in range(3)] == [422, 422, 429]
    assert client.get("/permohonan", **here).status_code == 200  # reading the form is never limited


def test_status_look_ups_are_limited_per_address(client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "REQUEST_STATUS_LIMIT", "2 per minute")
    here = _from("10.0.0.11")
    answers = [client.get(f"{URL}/JB-ZZZZZZ?phone_last4=1234", **here) for _ in range(2)]
    answers.append(client.post("/permohonan/status", data={"kode": "JB-ZZZZZZ", "hp4": "1234"}, **here))
    assert [r.status_code for r in answers] == [404, 404, 429]
    assert client.get(f"{URL}/JB-ZZZZZZ?phone_last4=1234", **_from("10.0.0.12")).status_code == 404


def test_a_new_request_is_announced_to_the_coordinators_of_its_kecamatan_only(client, world):
    """The coordinator hears of a request when it arrives (in-app), without the requester's name or phone."""
    from outreach.models import Notification

    resp = client.post(URL, json=body())
    assert resp.status_code == 201
    code = resp.get_json()["code"]
    from tests import builders

    elsewhere = builders.make_user("coordinator", "koordinator_kec2", scope=world.kec2.kode)
    _db.session.commit()
    assert client.post(URL, json=body(phone="081299990000")).status_code == 201
    notes = _db.session.scalars(sa.select(Notification)).all()
    mine = [n for n in notes if n.user_id == world.users["coordinator"].id]
    assert len(mine) == 2 and code in mine[0].title + mine[1].title
    assert all("Bu Wulan" not in n.title + n.body and "5678" not in n.title + n.body for n in mine)
    assert not [n for n in notes if n.user_id == elsewhere.id]
