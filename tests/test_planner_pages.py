"""The coordinator's planner pages: ask for a proposal, review it (map, per day, left out), accept in one step."""
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


def _monday() -> date:
    today = NOW.date()
    return today + timedelta(days=(7 - today.weekday()) % 7 + 21)


def _propose(client, world, **extra):
    first = _monday()
    data = {"region": world.kec1.kode, "date_from": first.isoformat(),
            "date_to": (first + timedelta(days=4)).isoformat(), **extra}
    return client.post("/usulan-jadwal", data=data)


def _setup(world):
    builders.make_kit(world.team, "KIT-B")
    builders.make_site(world.desa2.kode, "Balai Desa Satu B", lat=-7.005, lng=110.405)
    db.session.commit()


def test_form_shows_regions_teams_and_kits(client, login_as, world):
    login_as("coordinator")
    resp = client.get("/usulan-jadwal")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Usulkan jadwal" in html and world.kec1.kode in html
    assert world.kec2.kode not in html  # another kecamatan is not offered
    assert "Tim Keliling 1" in html and "KIT-A" in html


def test_propose_review_and_accept(client, login_as, world):
    _setup(world)
    login_as("coordinator")
    resp = _propose(client, world)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    proposal = db.session.scalars(sa.select(PlanProposal)).one()
    assert resp.headers["Location"].endswith(f"/usulan-jadwal/{proposal.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)) == 0

    page = client.get(f"/usulan-jadwal/{proposal.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    items = proposal.result["items"]
    assert items
    for item in items:
        assert item["site_nama"] in html and item["reason"] in html
    assert 'id="plan-map"' in html and "circleMarker" in html and "leaflet.js" in html
    assert "Per hari" in html and "Tidak diusulkan" in html and "Terima" in html
    assert str(proposal.result["total_expected_yield"]) in html

    # Keep the first item only, moved one day later; drop the others.
    moved = (date.fromisoformat(items[0]["date"]) + timedelta(days=1))
    while moved.weekday() >= 5:
        moved += timedelta(days=1)
    resp = client.post(f"/usulan-jadwal/{proposal.id}/terima",
                       data={"keep_0": "1", "date_0": moved.isoformat()})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    sessions = db.session.scalars(sa.select(RecordingSession)).all()
    assert len(sessions) == 1
    assert sessions[0].site_id == items[0]["site_id"] and sessions[0].date == moved
    assert "Sesi dibuat" in html


def test_accept_reports_refused_items_with_conflicts(client, login_as, world):
    _setup(world)
    login_as("coordinator")
    _propose(client, world)
    proposal = db.session.scalars(sa.select(PlanProposal)).one()
    item = proposal.result["items"][0]
    builders.make_session(world.site2, world.team, [world.kit], day=date.fromisoformat(item["date"]),
                          start="08:00", end="15:00")
    db.session.commit()
    resp = client.post(f"/usulan-jadwal/{proposal.id}/terima", data={"keep_0": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-testid="refused"' in html and "Ditolak" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession)) == 1


def test_accept_nothing_kept_is_422(client, login_as, world):
    _setup(world)
    login_as("coordinator")
    _propose(client, world)
    proposal = db.session.scalars(sa.select(PlanProposal)).one()
    resp = client.post(f"/usulan-jadwal/{proposal.id}/terima", data={})
    assert resp.status_code == 422
    assert "Pilih minimal satu" in resp.get_data(as_text=True)


def test_bad_range_shows_indonesian_message(client, login_as, world):
    login_as("coordinator")
    first = _monday()
    resp = client.post("/usulan-jadwal", data={"region": world.kec1.kode, "date_from": first.isoformat(),
                                               "date_to": (first - timedelta(days=3)).isoformat()})
    assert resp.status_code == 422
    assert "Rentang tanggal kosong" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanProposal)) == 0


def test_other_kecamatan_proposal_is_404(client, login_as, world):
    p = PlanProposal(user_id=world.users["admin"].id, region_kode=world.kec2.kode,
                     request={"date_from": "2026-03-02", "date_to": "2026-03-06"},
                     result={"items": [], "total_expected_yield": 0, "left_out": []}, accepted_session_ids=[])
    db.session.add(p)
    db.session.commit()
    login_as("coordinator")
    assert client.get(f"/usulan-jadwal/{p.id}").status_code == 404
    assert client.post(f"/usulan-jadwal/{p.id}/terima", data={"keep_0": "1"}).status_code == 404


def test_accept_needs_csrf_token(app, client, login_as, world):
    _setup(world)
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    p = PlanProposal(user_id=world.users["admin"].id, region_kode=world.kec1.kode, request={},
                     result={"items": [], "total_expected_yield": 0, "left_out": []}, accepted_session_ids=[])
    db.session.add(p)
    db.session.commit()
    try:
        resp = client.post(f"/usulan-jadwal/{p.id}/terima", data={"keep_0": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert resp.status_code in (400, 403)
