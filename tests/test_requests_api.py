"""/api/v1/requests: the queue as JSON (scoped like sessions, paged, personal data audited) and PATCH with the
queue's rules (422 / 409 / 404 in the API's error shape)."""
from datetime import datetime

import pytest

from tests import builders
from tests.builders import make_api_token
from tests.conftest import WIB
from tests.test_requests_queue import audit_of, make_request

pytestmark = pytest.mark.at(datetime(2026, 9, 15, 9, 0, tzinfo=WIB))


class Api:
    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {make_api_token(user)}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def patch(self, url, **kw):
        return self.client.patch(url, headers=self.headers, **kw)


@pytest.fixture()
def api(client, world):
    return lambda role: Api(client, world.users[role])


def test_list_is_scoped_paged_and_audited(api, world, db):
    old = make_request(code="JB-OLD001", days_old=4)
    young = make_request(code="JB-YNG001", days_old=1)
    make_request(code="JB-DONE01", status="ditolak", reason="dobel")
    make_request(code="JB-KEC201", desa_kode="33.74.02.1001")
    make_request(code="JB-LAIN01", desa_kode="33.01.01.2001")
    db.session.commit()
    resp = api("coordinator").get("/api/v1/requests?per_page=2")
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    assert [i["code"] for i in body["items"]] == ["JB-OLD001", "JB-YNG001"]
    item = body["items"][0]
    assert item["age_days"] == 4 and item["status"] == "baru" and item["desa_kode"] == "33.74.01.1001"
    assert item["rt"] == 3 and item["rw"] == 5 and item["people"] == 2 and item["session_id"] is None
    assert item["phone"] == "081234567890" and item["requester_name"] == "Siti Aminah"
    assert item["allowed_status"] == ["diverifikasi", "ditolak"]
    assert len(audit_of(db, old, "lihat")) == 1 and len(audit_of(db, young, "lihat")) == 1
    waiting = api("coordinator").get("/api/v1/requests?status=ditolak").get_json()
    assert [i["code"] for i in waiting["items"]] == ["JB-DONE01"]
    manager = api("manager").get("/api/v1/requests").get_json()
    assert manager["total"] == 4 and all(i["allowed_status"] == [] for i in manager["items"])
    assert api("admin").get("/api/v1/requests").get_json()["total"] == 5
    assert api("field").get("/api/v1/requests").status_code == 403
    bad = api("coordinator").get("/api/v1/requests?status=hilang")
    assert bad.status_code == 400 and "status" in bad.get_json()["message"]


def test_patch_moves_and_refuses_with_the_api_shape(api, world, db):
    w = world
    req = make_request(kind="rumah_lansia")
    session = builders.make_session(w.site1, w.team, [w.kit])
    db.session.commit()
    coordinator = api("coordinator")
    url = f"/api/v1/requests/{req.id}"
    resp = coordinator.patch(url, json={"status": "dijadwalkan", "session_id": session.id})
    assert resp.status_code == 422
    assert resp.get_json()["error"] == 422 and "Verifikasi" in resp.get_json()["errors"]["status"]
    resp = coordinator.patch(url, json={"status": "diverifikasi", "version": req.version})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "diverifikasi" and body["site_id"] and body["version"] == 2
    stale = coordinator.patch(url, json={"status": "dijadwalkan", "session_id": session.id, "version": 1})
    assert stale.status_code == 409 and stale.get_json()["error"] == 409 and "pengguna lain" in stale.get_json()["message"]
    ok = coordinator.patch(url, json={"status": "dijadwalkan", "session_id": session.id, "version": 2}).get_json()
    assert ok["status"] == "dijadwalkan" and ok["session_id"] == session.id
    rejected = coordinator.patch(url, json={"status": "ditolak"})
    assert rejected.status_code == 422 and "reason" in rejected.get_json()["errors"]
    assert coordinator.patch(url, json={"status": 5}).status_code == 422
    assert coordinator.patch(url, json={"status": "selesai", "extra": 1}).status_code == 422
    assert coordinator.patch(url, data="{", content_type="application/json").status_code == 400
    done = coordinator.patch(url, json={"status": "selesai"}).get_json()
    assert done["status"] == "selesai" and done["closed_at"]


def test_patch_scope_and_roles(api, world, db):
    other = make_request(desa_kode="33.74.02.1001")
    mine = make_request()
    db.session.commit()
    assert api("coordinator").patch(f"/api/v1/requests/{other.id}", json={"status": "diverifikasi"}).status_code == 404
    assert api("coordinator").patch("/api/v1/requests/99999999999", json={"status": "diverifikasi"}).status_code == 404
    assert api("manager").patch(f"/api/v1/requests/{mine.id}", json={"status": "diverifikasi"}).status_code == 403
    assert api("field").patch(f"/api/v1/requests/{mine.id}", json={"status": "diverifikasi"}).status_code == 403
    assert not audit_of(db, other)


def test_documented_in_openapi(client, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["paths"]["/api/v1/requests"]["get"]["operationId"] == "listVisitRequests"
    patch = doc["paths"]["/api/v1/requests/{request_id}"]["patch"]
    assert set(patch["responses"]) >= {"200", "404", "409", "422"}
    assert {"VisitRequest", "RequestPatchBody", "RequestPage"} <= set(doc["components"]["schemas"])
