"""No double booking under concurrency: N planners post the same kit (or team) at the same moment to a
real threaded HTTP server; exactly one gets 201, every other one 409.

Runs on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (SELECT ... FOR UPDATE) alike. The operations'
candidate look-up is slowed down so that every request has read the bookings before any of them
commits: without the lock all of them would succeed, which the control test shows.
"""
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from outreach.extensions import db as _db
from outreach.models import RecordingSession
from outreach import clock
from outreach.planning import calendar as planning_calendar
from outreach.planning import operations, queries
from tests import builders

N = 6
RACE_WINDOW_SECONDS = 0.3


@pytest.fixture()
def server(app, db):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)
    srv.server_close()


@pytest.fixture()
def slow_check(monkeypatch):
    """Hold every request between reading the bookings and saving, to make the race certain."""
    original = queries.load_bookings

    def slow(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return found
    monkeypatch.setattr(queries, "load_bookings", slow)


def _working_day(app):
    with app.test_request_context():
        day = clock.local_today() + timedelta(days=7)
        holidays = planning_calendar.national_holidays(day, day + timedelta(days=14))
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def _contenders(world, shared: str):
    """N coordinators of the same kecamatan, each with a token and its own site; they share the kit
    (shared="kit", each with its own team) or the team (shared="team", each with its own kit)."""
    kit = builders.make_kit(world.team, "KIT-REBUTAN")
    out = []
    for i in range(N):
        user = builders.make_user("coordinator", f"koordinator_{i}", scope="33.74.01")
        site = builders.make_site(world.desa1.kode if i % 2 else world.desa2.kode, f"Lokasi Rebutan {i}")
        if shared == "kit":
            team, kits = builders.make_team("33.74", f"Tim Rebutan {i}"), [kit.id]
        else:
            team, kits = world.team, [builders.make_kit(world.team, f"KIT-SENDIRI-{i}").id]
        out.append((user, site.id, team.id, kits))
    _db.session.commit()
    return [(builders.make_api_token(user), site_id, team_id, kits) for user, site_id, team_id, kits in out]


def _fire(base_url, requests_):
    barrier = threading.Barrier(len(requests_))
    results = [None] * len(requests_)

    def post(i, token, payload):
        req = urllib.request.Request(f"{base_url}/api/v1/sessions", data=json.dumps(payload).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": "application/json"})
        barrier.wait()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                results[i] = (resp.status, json.loads(resp.read()))
        except urllib.error.HTTPError as err:
            results[i] = (err.code, json.loads(err.read()))

    threads = [threading.Thread(target=post, args=(i, token, payload)) for i, (token, payload) in enumerate(requests_)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _requests(contenders, day):
    return [(token, {"site_id": site_id, "date": day.isoformat(), "start": "09:00", "end": "12:00",
                     "team_id": team_id, "kit_ids": kits}) for token, site_id, team_id, kits in contenders]


@pytest.mark.parametrize("shared,kind", [("kit", "kit_overlap"), ("team", "team_overlap")])
def test_concurrent_bookings_of_one_resource_let_exactly_one_through(app, world, server, slow_check, shared, kind):
    day = _working_day(app)
    results = _fire(server, _requests(_contenders(world, shared), day))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (N - 1), results
    winner = next(body for status, body in results if status == 201)
    for status, body in results:
        if status == 409:
            assert {c["kind"] for c in body["conflicts"]} == {kind}, body
            assert all(c["session_id"] == winner["id"] for c in body["conflicts"])
    _db.session.expire_all()
    assert _db.session.query(RecordingSession).count() == 1


def test_without_the_lock_the_race_is_real(app, world, server, slow_check, monkeypatch):
    """Control: with locking switched off the same burst double-books, so the test above means something."""
    def no_lock(team_id, kit_ids):
        from outreach.models import Kit, Team
        return _db.session.get(Team, team_id), [_db.session.get(Kit, k) for k in sorted(set(kit_ids))]
    monkeypatch.setattr(operations, "lock_resources", no_lock)
    day = _working_day(app)
    results = _fire(server, _requests(_contenders(world, "kit"), day))
    assert sum(1 for status, _ in results if status == 201) >= 2, results
