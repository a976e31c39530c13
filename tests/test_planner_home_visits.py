"""The planner includes home visits of verified requests: rounds of houses with their own short duration and
travel, the request each visit serves in the proposal (no personal data), accept links the request, a request
rejected meanwhile is refused, and a proposal never schedules a request twice."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import RecordingSession
from outreach.models.audit import AuditEntry
from outreach.models.requests import VisitRequest
from outreach.planner import Kit, PlanInputError, PlanRequest, Site, Team, plan
from outreach.planner.home_visits import build_rounds, route_for, travel_minutes, road_km
from outreach.planner.model import HomeVisit
from outreach.planner.validate import twice_issues
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)
MONDAY = date(2026, 11, 23)  # a week without public holidays, three weeks ahead
OFFICE = (-7.0, 110.4)


def _visit(n: int, lat: float, lng: float, people: int = 1, desa="33.74.01.1001", kind="rumah_lansia") -> HomeVisit:
    return HomeVisit(request_id=n, request_code=f"JB-{n:06d}", site_id=1000 + n, lat=lat, lng=lng, people=people,
                     kind=kind, desa=desa, desa_name="Kelurahan Satu A")


def _request(visits, sites=(), days: int = 1, **kw) -> PlanRequest:
    return PlanRequest(first_day=MONDAY, last_day=MONDAY + timedelta(days=days - 1),
                       teams=(Team(1, *OFFICE, name="Tim 1"),), kits=(Kit(1, "K-01"), Kit(2, "K-02")),
                       sites=tuple(sites), desa_backlog={"33.74.01.1001": 100}, home_visits=tuple(visits),
                       holiday_country="", **kw)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# ---------------------------------------------------------------- the pure planner

def test_one_home_visit_is_short_and_starts_after_the_travel():
    visit = _visit(1, -7.05, 110.45)
    result = plan(_request([visit]))
    assert len(result.items) == 1
    item = result.items[0]
    assert (item.request_id, item.request_code, item.site_id, item.people) == (1, "JB-000001", 1001, 1)
    assert item.expected_yield == 1 and item.pemilih_pemula_yield == 0
    assert _minutes(item.end) - _minutes(item.start) == 30  # PlanRequest.home_visit_minutes
    req = _request([visit])
    travel = travel_minutes(req, road_km(req, *OFFICE, visit.lat, visit.lng))
    assert travel > 0 and _minutes(item.start) >= 8 * 60 + travel
    assert len(item.kit_ids) == 1  # a round needs one kit
    assert "kunjungan rumah untuk permohonan JB-000001 (lansia, 1 orang)" in item.reason
    assert "30 menit" in item.reason


def test_houses_of_one_desa_are_chained_by_one_team_with_travel_between_them():
    visits = [_visit(1, -7.050, 110.450), _visit(2, -7.050, 110.480), _visit(3, -7.051, 110.451)]
    req = _request(visits)
    result = plan(req)
    items = sorted(result.items, key=lambda i: i.start)
    assert [i.request_id for i in items] and sorted(i.request_id for i in items) == [1, 2, 3]
    assert {i.date for i in items} == {MONDAY} and {i.team_id for i in items} == {1}
    assert len({i.kit_ids for i in items}) == 1
    # Each house 30 minutes; the next starts after the way there, never before the last one ends.
    for a, b in zip(items, items[1:]):
        assert _minutes(b.start) >= _minutes(a.end)
        gap = travel_minutes(req, road_km(req, visits[a.request_id - 1].lat, visits[a.request_id - 1].lng,
                                          visits[b.request_id - 1].lat, visits[b.request_id - 1].lng))
        assert _minutes(b.start) - _minutes(a.end) == gap
    # Least travel: the two close houses (1 and 3) are visited one after the other.
    order = [i.request_id for i in items]
    assert abs(order.index(1) - order.index(3)) == 1
    assert "rumah 1 dari 3" in items[0].reason


def test_rounds_hold_at_most_home_visits_per_day_and_stay_in_their_desa():
    visits = [_visit(n, -7.05 + n * 0.001, 110.45) for n in range(1, 7)] + [_visit(9, -7.05, 110.46, desa="33.74.01.2002")]
    rounds = build_rounds(_request(visits, home_visits_per_day=4))
    sizes = sorted(len(r.visits) for r in rounds)
    assert sizes == [1, 2, 4]
    for r in rounds:
        assert len({v.desa for v in r.visits}) == 1
    # The oldest requests start the first round of their desa.
    first = next(r for r in rounds if r.desa == "33.74.01.1001" and len(r.visits) == 4)
    assert first.visits[0].request_id == 1


def test_a_house_with_many_people_takes_longer_and_a_far_house_is_out_of_reach():
    many = _visit(1, -7.05, 110.45, people=10)
    item = plan(_request([many])).items[0]
    assert _minutes(item.end) - _minutes(item.start) == 50  # 10 people at 12 an hour
    assert item.expected_yield == 10
    far = _visit(2, -8.9, 112.9)
    req = _request([far])
    assert route_for(req, build_rounds(req)[0], *OFFICE) is None
    result = plan(req)
    assert result.items == () and [lo.site_id for lo in result.left_out] == [1002]
    assert "JB-000002" in result.left_out[0].reason and "terlalu jauh" in result.left_out[0].reason


def test_home_visits_draw_on_their_desa_pool_first():
    balai = Site(10, -7.01, 110.41, name="Balai", desa="33.74.01.1001", backlog=100)
    visits = [_visit(1, -7.05, 110.45, people=2)]
    result = plan(_request(visits, sites=[balai], days=1))
    # One team, one day: the verified home visit wins the day over the balai desa.
    assert [i.request_id for i in result.items] == [1]
    # A desa whose pool is used up has nothing left for a home visit either (outreach.ledger: one pool).
    req = PlanRequest(first_day=MONDAY, last_day=MONDAY, teams=(Team(1, *OFFICE),), kits=(Kit(1, "K"),),
                      sites=(balai,), desa_backlog={"33.74.01.1001": 0}, home_visits=tuple(visits),
                      holiday_country="")
    assert plan(req).items == ()


def test_a_request_loaded_twice_is_refused_and_twice_in_items_is_an_issue():
    visit = _visit(1, -7.05, 110.45)
    with pytest.raises(PlanInputError) as err:
        plan(_request([visit, visit]))
    assert any("JB-000001" in i.message and "lebih dari sekali" in i.message for i in err.value.issues)
    items = [{"request_id": 1, "request_code": "JB-000001"}, {"site_id": 5}, {"request_id": 1}]
    assert [i.field for i in twice_issues(items)] == ["permohonan"]
    assert twice_issues(items[:2]) == []


def test_only_home_visits_is_a_plannable_request():
    result = plan(_request([_visit(1, -7.05, 110.45)], sites=()))
    assert result.total_expected_yield == 1


# ---------------------------------------------------------------- through the database and the API

REQUESTER = {"requester_name": "Siti Rahayu Wulandari", "phone": "081234567890",
             "address": "Jl. Melati Gang 7 No. 12", "description": "stroke sejak 2024, terbaring"}


def _home_request(world, n: int, lat: float, lng: float, status: str = "diverifikasi", people: int = 1):
    site = builders.make_site(world.desa1.kode, f"Rumah {REQUESTER['requester_name']} {n}", type="rumah",
                              lat=lat, lng=lng)
    req = VisitRequest(code=f"JB-HV{n:04d}", kind="rumah_lansia", desa_kode=world.desa1.kode,
                       kecamatan_kode=world.kec1.kode, kabupaten_kode=world.kab.kode, provinsi_kode="33",
                       people=people, status=status, site_id=site.id, phone_last4="7890", **REQUESTER)
    db.session.add(req)
    db.session.flush()
    return req, site


def _range(days: int = 5):
    return MONDAY.isoformat(), (MONDAY + timedelta(days=days - 1)).isoformat()


def _propose(client, world):
    first, last = _range()
    resp = client.post("/api/v1/plans", json={"region": world.kec1.kode, "date_from": first, "date_to": last})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_proposal_names_the_request_and_keeps_personal_data_out(client, login_as, world):
    req, site = _home_request(world, 1, -7.03, 110.43)
    waiting, _s = _home_request(world, 2, -7.031, 110.431, status="baru")  # not verified yet: not planned
    db.session.commit()
    login_as("coordinator")
    body = _propose(client, world)
    visits = [i for i in body["items"] if i.get("request_id") is not None]
    assert [(i["request_id"], i["request_code"], i["site_id"]) for i in visits] == [(req.id, "JB-HV0001", site.id)]
    assert visits[0]["expected_yield"] == 1 and visits[0]["request_kind"] == "rumah_lansia"
    assert visits[0]["site_nama"] == "Kunjungan rumah JB-HV0001"
    text = json.dumps(body)
    for value in (*REQUESTER.values(), "Siti", "7890"):
        assert value not in text
    assert "JB-HV0002" not in text
    # The page says which request the visit serves, without the requester.
    page = client.get(f"/usulan-jadwal/{body['id']}").get_data(as_text=True)
    assert "Kunjungan rumah untuk permohonan JB-HV0001 (lansia, 1 orang)" in page
    assert "Siti" not in page and "081234567890" not in page
    # The openapi document describes the new fields.
    spec = client.get("/api/v1/openapi.json").get_json()
    item_schema = json.dumps(spec)
    assert "request_code" in item_schema and "weight_home_visit" in item_schema


def test_accept_links_the_request_to_its_session(client, login_as, world):
    req, site = _home_request(world, 1, -7.03, 110.43)
    req2, site2 = _home_request(world, 2, -7.032, 110.432)
    db.session.commit()
    user = login_as("coordinator")
    body = _propose(client, world)
    n = len(body["items"])
    resp = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": list(range(n))})
    out = resp.get_json()
    assert resp.status_code == 200 and out["refused"] == [], out
    for r, s in ((req, site), (req2, site2)):
        db.session.refresh(r)
        assert r.status == "dijadwalkan" and r.session_id is not None
        session = db.session.get(RecordingSession, r.session_id)
        assert session.site_id == s.id and session.status == "rencana"
        assert list(session.target_groups) == ["lansia_disabilitas"]
        audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "visit_request",
                                                               AuditEntry.entity_id == str(r.id))).all()
        assert audit and audit[-1].user_id == user.id and audit[-1].changes["status"] == ["diverifikasi", "dijadwalkan"]
    # Both houses on one day by one team, one after the other.
    s1, s2 = (db.session.get(RecordingSession, r.session_id) for r in (req, req2))
    assert s1.date == s2.date and s1.team_id == s2.team_id


def test_a_request_rejected_meanwhile_is_refused_and_the_rest_is_kept(client, login_as, world):
    req, site = _home_request(world, 1, -7.03, 110.43)
    db.session.commit()
    login_as("coordinator")
    body = _propose(client, world)
    assert any(i.get("request_id") == req.id for i in body["items"])
    req.status = "ditolak"
    req.reason = "bukan wilayah kami"
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession))
    n = len(body["items"])
    resp = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": list(range(n))})
    out = resp.get_json()
    assert resp.status_code == 200, out
    assert len(out["refused"]) == 1 and out["refused"][0]["item"]["request_id"] == req.id
    assert "JB-HV0001 sudah ditolak" in out["refused"][0]["messages"][0]
    assert len(out["created_session_ids"]) == n - 1 >= 1
    after = db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession))
    assert after == before + n - 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)
                             .where(RecordingSession.site_id == site.id)) == 0
    db.session.refresh(req)
    assert req.status == "ditolak" and req.session_id is None


def test_a_request_scheduled_elsewhere_meanwhile_is_refused(client, login_as, world):
    req, site = _home_request(world, 1, -7.03, 110.43)
    db.session.commit()
    login_as("coordinator")
    body = _propose(client, world)
    index = next(k for k, i in enumerate(body["items"]) if i.get("request_id") == req.id)
    other = builders.make_session(site, world.team, [world.kit], day=MONDAY + timedelta(days=14))
    req.status, req.session_id = "dijadwalkan", other.id
    db.session.commit()
    out = client.post(f"/api/v1/plans/{body['id']}/accept", json={"items": [index]}).get_json()
    assert out["created_session_ids"] == [] and f"sesi #{other.id}" in out["refused"][0]["messages"][0]


def test_accepting_one_request_twice_is_422(client, login_as, world):
    req, _site = _home_request(world, 1, -7.03, 110.43)
    db.session.commit()
    login_as("coordinator")
    body = _propose(client, world)
    index = next(k for k, i in enumerate(body["items"]) if i.get("request_id") == req.id)
    resp = client.post(f"/api/v1/plans/{body['id']}/accept",
                       json={"items": [index, {"index": index, "date": (MONDAY + timedelta(days=1)).isoformat()}]})
    assert resp.status_code == 422
    assert "lebih dari sekali" in resp.get_json()["errors"]["items"]
    db.session.refresh(req)
    assert req.status == "diverifikasi" and req.session_id is None
