"""A field team's API token (and its pages) reaches what the team's sessions need: its own sessions, the
sites of those sessions with their contacts, and its own team's figures; never another team's session,
the kabupaten's other sites and contacts, or another team's figures. Coordinators and managers keep
what they had."""
from datetime import datetime

import pytest

from outreach.extensions import db
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))
WORLD_BBOX = "108.0,-8.5,112.0,-5.5"


class Api:
    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {builders.make_api_token(user)}"}

    def get(self, url, **params):
        return self.client.get(url, headers=self.headers, query_string=params)


@pytest.fixture()
def two_teams(world):
    """The world's team has a session at site1; a second team of the same office has one at site2."""
    other = builders.make_team("33.74", "Tim Keliling 2")
    world.site1.contact_name, world.site1.contact_phone = "Pak Lurah Satu", "0812-1111-1111"
    world.site2.contact_name, world.site2.contact_phone = "Bu Lurah Dua", "0812-2222-2222"
    mine = builders.make_session(world.site1, world.team, [world.kit])
    theirs = builders.make_session(world.site2, other, [builders.make_kit(other, "KIT-LAIN")])
    db.session.commit()
    world.other_team, world.mine, world.theirs = other, mine, theirs
    return world


@pytest.fixture()
def api(client, two_teams):
    return lambda role: Api(client, two_teams.users[role])


def items(resp) -> list:
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_field_token_lists_only_the_sites_of_its_team_sessions(api, two_teams):
    field = api("field")
    [site] = items(field.get("/api/v1/sites"))
    assert site["id"] == two_teams.site1.id and site["contact_phone"] == "0812-1111-1111"
    assert items(field.get("/api/v1/sites", q="Dua")) == []
    assert items(field.get("/api/v1/sites", desa=two_teams.desa3.kode)) == []
    assert field.get(f"/api/v1/sites/{two_teams.site1.id}").status_code == 200
    resp = field.get(f"/api/v1/sites/{two_teams.site2.id}")
    assert resp.status_code == 404 and "0812-2222-2222" not in resp.get_data(as_text=True)


def test_field_token_reads_only_its_team_sessions_and_logs(api, two_teams):
    field = api("field")
    assert [s["id"] for s in items(field.get("/api/v1/sessions"))] == [two_teams.mine.id]
    assert field.get(f"/api/v1/sessions/{two_teams.theirs.id}").status_code == 404
    assert field.get(f"/api/v1/sessions/{two_teams.theirs.id}/turnout").status_code == 404
    assert [t["id"] for t in items(field.get("/api/v1/teams"))] == [two_teams.team.id]


def test_field_token_reads_only_its_own_team_figures(api, two_teams):
    got = items(api("field").get("/api/v1/coverage/teams", **{"from": "2026-12-01", "to": "2026-12-31"}))
    assert [t["team_id"] for t in got] == [two_teams.team.id]
    assert got[0]["sessions_planned"] == 1


def test_field_token_map_shows_only_its_team_sites(api, two_teams):
    resp = api("field").get("/api/v1/map/sites", bbox=WORLD_BBOX, zoom=12)
    assert resp.status_code == 200
    assert [f["properties"]["id"] for f in resp.get_json()["features"]] == [two_teams.site1.id]


def test_staff_answers_are_unchanged(api, two_teams):
    manager, coordinator = api("manager"), api("coordinator")
    assert {s["id"] for s in items(manager.get("/api/v1/sites"))} == {two_teams.site1.id, two_teams.site2.id}
    assert [s["id"] for s in items(coordinator.get("/api/v1/sites"))] == [two_teams.site1.id]
    teams = items(manager.get("/api/v1/coverage/teams", **{"from": "2026-12-01", "to": "2026-12-31"}))
    assert {t["team_id"] for t in teams} == {two_teams.team.id, two_teams.other_team.id}
    assert {s["id"] for s in items(manager.get("/api/v1/sessions"))} == {two_teams.mine.id, two_teams.theirs.id}
    features = manager.get("/api/v1/map/sites", bbox=WORLD_BBOX, zoom=12).get_json()["features"]
    assert {f["properties"]["id"] for f in features} == {two_teams.site1.id, two_teams.site2.id}


def test_field_pages_show_no_other_site_or_contact(client, login_as, two_teams):
    login_as("field")
    listing = client.get("/lokasi").get_data(as_text=True)
    assert "Balai Kelurahan Satu A" in listing and "Balai Kelurahan Dua A" not in listing
    assert client.get(f"/lokasi/{two_teams.site2.id}").status_code == 404
    desa = client.get(f"/wilayah/{two_teams.desa3.kode}")
    assert desa.status_code == 200  # the region's figures stay readable, its sites' contacts do not
    text = desa.get_data(as_text=True)
    assert "Bu Lurah Dua" not in text and "0812-2222-2222" not in text
    assert "0812-1111-1111" in client.get(f"/wilayah/{two_teams.desa1.kode}").get_data(as_text=True)
    login_as("manager")
    assert "0812-2222-2222" in client.get(f"/wilayah/{two_teams.desa3.kode}").get_data(as_text=True)
