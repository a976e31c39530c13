"""Who may see and do what, object by object: outreach.permissions asked directly, and every route that
names an object (a session, its turnout log, a site, a region) asked over HTTP with an object outside
the user's area or team. The role matrix (tests/test_access.py) checks roles; this file checks objects."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.models import RecordingSession, Site, Team
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 8, 10, 9, 0, tzinfo=WIB))


def _user(role, scope=None, team=None):
    return SimpleNamespace(role=role, scope_kode=scope, team=team, team_id=team.id if team else None)


def test_scope_of_each_role():
    team = SimpleNamespace(id=7, office_kode="33.74")
    assert permissions.scope_of(_user("admin")) is None
    assert permissions.scope_of(_user("admin", "33.74")) == "33.74"
    assert permissions.scope_of(_user("manager", "33.74")) == "33.74"
    assert permissions.scope_of(_user("field", team=team)) == "33.74"
    # A user without an area sees nothing rather than everything.
    assert permissions.scope_of(_user("manager")) == permissions.NOWHERE
    assert permissions.scope_of(_user("coordinator")) == permissions.NOWHERE
    assert permissions.scope_of(_user("field")) == permissions.NOWHERE


def test_in_scope_is_by_code_segment_not_by_prefix():
    coordinator = _user("coordinator", "33.74.01")
    assert permissions.in_scope(coordinator, "33.74.01")
    assert permissions.in_scope(coordinator, "33.74.01.1001")
    assert not permissions.in_scope(coordinator, "33.74.011")  # a string prefix, not a child
    assert not permissions.in_scope(coordinator, "33.74.02.1001")
    assert not permissions.in_scope(coordinator, "33.74")
    assert not permissions.in_scope(coordinator, None)
    # The kabupaten above is visible (breadcrumbs), its other kecamatan are not.
    assert permissions.visible_kode(coordinator, "33.74")
    assert not permissions.visible_kode(coordinator, "33.74.02")
    assert not permissions.in_scope(_user("manager"), "33.74")


def test_who_plans_logs_and_corrects():
    team = SimpleNamespace(id=7, office_kode="33.74")
    admin, manager = _user("admin"), _user("manager", "33.74")
    coordinator, field = _user("coordinator", "33.74.01"), _user("field", team=team)
    assert [permissions.can_plan(u) for u in (admin, manager, coordinator, field)] == [True, False, True, False]
    assert [permissions.can_write_logs(u) for u in (admin, manager, coordinator, field)] == [True, False, True, True]
    session = SimpleNamespace(desa_kode="33.74.01.1001", team_id=7)
    other_team = SimpleNamespace(desa_kode="33.74.01.1001", team_id=8)
    assert permissions.can_see_session(field, session) and not permissions.can_see_session(field, other_team)
    assert permissions.can_see_session(manager, other_team) and not permissions.can_edit_session(manager, session)
    assert permissions.can_edit_session(coordinator, session)
    assert not permissions.can_edit_session(coordinator, SimpleNamespace(desa_kode="33.74.02.1001", team_id=7))
    created = datetime(2026, 8, 10, 9, tzinfo=timezone.utc)
    deadline = created + timedelta(hours=48)
    log = SimpleNamespace(id=1)
    late = deadline + timedelta(minutes=1)
    assert permissions.can_correct_log(field, log, deadline, deadline)
    assert not permissions.can_correct_log(field, log, late, deadline)
    assert permissions.can_correct_log(coordinator, log, late, deadline)
    assert not permissions.can_correct_log(manager, log, created, deadline)
    assert not permissions.can_correct_log(field, None, created, deadline)
    assert permissions.can_see_team_calendar(field, team)
    assert not permissions.can_see_team_calendar(field, SimpleNamespace(id=8))
    assert not permissions.can_see_team_calendar(admin, None)


def test_sql_clauses_match_the_object_rules(world):
    """sessions_clause / teams_clause select exactly the sessions and teams can_see_session admits."""
    other_team = builders.make_team("33.74", "Tim Keliling 2")
    far_team = builders.make_team("33.01", "Tim Kabupaten Lain")
    day = builders.working_day(datetime(2026, 8, 17).date())
    sessions = [builders.make_session(world.site1, world.team, day=day),
                builders.make_session(world.site2, other_team, day=day),
                builders.make_session(world.other_site, far_team, day=day)]
    db.session.commit()
    for role, user in world.users.items():
        listed = set(db.session.scalars(sa.select(RecordingSession.id).where(permissions.sessions_clause(user))))
        assert listed == {s.id for s in sessions if permissions.can_see_session(user, s)}, role
        teams = set(db.session.scalars(sa.select(Team.id).where(permissions.teams_clause(user))))
        if role == "field":
            assert teams == {world.team.id}
        elif role == "admin":
            assert {world.team.id, other_team.id, far_team.id} <= teams
        else:  # the kabupaten's teams serve its kecamatan; another kabupaten's do not
            assert world.team.id in teams and other_team.id in teams and far_team.id not in teams, role
        sites = set(db.session.scalars(sa.select(Site.id).where(permissions.scope_clause(user, Site))))
        assert (world.other_site.id in sites) == (role == "admin"), role


@pytest.fixture()
def outside(world):
    """For each role, objects it must not reach: a session (with a log) and a site outside its area or team,
    and a region outside its area."""
    other_team = builders.make_team("33.74", "Tim Keliling 2")
    far_team = builders.make_team("33.01", "Tim Kabupaten Lain")
    past = builders.working_day(datetime(2026, 8, 3).date())

    def session_at(site, team):
        session = builders.make_session(site, team, day=past)
        session.status = "selesai"
        builders.make_turnout_log(session, user=world.users["admin"])
        return session

    objects = {
        "coordinator": SimpleNamespace(session=session_at(world.site2, world.team), site=world.site2,
                                       kode=world.desa3.kode),
        "manager": SimpleNamespace(session=session_at(world.other_site, far_team), site=world.other_site,
                                   kode=world.other_desa.kode),
        "field": SimpleNamespace(session=session_at(world.site1, other_team), site=world.other_site,
                                 kode=world.other_desa.kode),
    }
    db.session.commit()
    return objects


# (method, address, what it names). Every route of the app that takes a session, site or region code.
OBJECT_ROUTES = [
    ("GET", "/sesi/{session}", "session"),
    ("GET", "/sesi/{session}/ubah", "session"),
    ("POST", "/sesi/{session}/ubah", "session"),
    ("POST", "/sesi/{session}/status", "session"),
    ("GET", "/jadwal-saya/sesi/{session}/log", "session"),
    ("GET", "/api/v1/sessions/{session}", "session"),
    ("PATCH", "/api/v1/sessions/{session}", "session"),
    ("POST", "/api/v1/sessions/{session}/status", "session"),
    ("GET", "/api/v1/sessions/{session}/mop-up", "session"),
    ("GET", "/api/v1/sessions/{session}/turnout", "session"),
    ("POST", "/api/v1/sessions/{session}/turnout", "session"),
    ("PATCH", "/api/v1/sessions/{session}/turnout", "session"),
    ("GET", "/lokasi/{site}", "site"),
    ("GET", "/lokasi/{site}/ubah", "site"),
    ("POST", "/lokasi/{site}/ubah", "site"),
    ("GET", "/api/v1/sites/{site}", "site"),
    ("PATCH", "/api/v1/sites/{site}", "site"),
    ("GET", "/wilayah/{kode}", "kode"),
    ("GET", "/wilayah/{kode}/batas.json", "kode"),
    ("POST", "/wilayah/{kode}/penolak", "kode"),
    ("GET", "/api/v1/regions/{kode}", "kode"),
    ("GET", "/dasbor/{kode}", "kode"),
    ("GET", "/dasbor/{kode}/tren", "kode"),
    ("GET", "/dasbor/{kode}/prakiraan", "kode"),
    ("GET", "/dasbor/{kode}/tim", "kode"),
    ("GET", "/dasbor/{kode}/ekspor/sesi.csv", "kode"),
    ("GET", "/dasbor/{kode}/ekspor/tim.csv", "kode"),
    ("GET", "/peta/kecamatan/{kode}", "kode"),
]


def _address(template, objects):
    return template.format(session=objects.session.id, site=objects.site.id, kode=objects.kode)


@pytest.mark.parametrize("role", ["coordinator", "manager", "field"])
@pytest.mark.parametrize("method,template,kind", OBJECT_ROUTES)
def test_objects_outside_the_area_or_team_are_refused(client, login_as, world, outside, role, method, template,
                                                      kind):
    objects = outside[role]
    if template.startswith("/peta/kecamatan/"):
        objects = SimpleNamespace(**{**vars(objects), "kode": objects.kode.rsplit(".", 1)[0]})
    before = (objects.session.status, objects.session.date, objects.site.nama,
              db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("turnout_log"))))
    login_as(role)
    # A well-formed request (the checks that come before the object is looked up must pass).
    body = {"nama": "Diubah", "reason": "uji", "recorded": {"rt_rw": 1}, "start": "09:00"}
    if template.endswith("/status"):
        body["status"] = "dibatalkan"
    resp = client.open(_address(template, objects), method=method, headers={"Idempotency-Key": "uji-objek-1"},
                       **({"json": body} if template.startswith("/api/") and method != "GET" else
                          {"data": body} if method != "GET" else {}))
    assert resp.status_code in (403, 404), (role, method, template, resp.status_code)
    text = resp.get_data(as_text=True)
    assert objects.site.nama not in text
    db.session.expire_all()
    assert before == (objects.session.status, objects.session.date, objects.site.nama,
                      db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("turnout_log"))))


@pytest.mark.parametrize("method,template,kind", [r for r in OBJECT_ROUTES if r[0] == "GET"])
def test_the_same_objects_reach_a_user_whose_area_holds_them(client, login_as, world, outside, method, template,
                                                            kind):
    """The refusals above are about the object, not the route: the admin reaches the same addresses."""
    objects = outside["coordinator"]
    if template.startswith("/peta/kecamatan/"):
        objects = SimpleNamespace(**{**vars(objects), "kode": objects.kode.rsplit(".", 1)[0]})
    login_as("admin")
    resp = client.get(_address(template, objects))
    # 200; a finished session's edit form sends back to its page, its mop-up answers why there is none.
    assert resp.status_code in (200, 302, 422), (template, resp.status_code)
    if resp.status_code == 302:
        assert resp.headers["Location"].endswith(f"/sesi/{objects.session.id}")
    if resp.status_code == 422:
        assert resp.is_json and resp.get_json()["message"]
