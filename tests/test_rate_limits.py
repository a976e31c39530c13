"""API and map rate limits: per user (session or token), per address, shared by the three map endpoints;
429 in the API's JSON error shape with Retry-After; memory storage unless configured; off in the suite."""
from __future__ import annotations

import pytest
from tests.conftest import real_clock_only

from outreach import ratelimits
from outreach.admin import service

pytestmark = pytest.mark.clock_free  # see tests/conftest.py

MAP_SITES = "/api/v1/map/sites?bbox=110.3,-7.1,110.5,-6.9&zoom=12"
MAP_SESSIONS = "/api/v1/map/sessions?bbox=110.3,-7.1,110.5,-6.9&zoom=12"
MY_SESSIONS = "/api/v1/my/sessions"


@pytest.fixture()
def limits(app):
    """Rate limits on (the suite runs with them off), with fresh counters."""
    app.config["RATE_LIMITS"] = True
    ratelimits.reset_all()
    yield app.config
    app.config["RATE_LIMITS"] = None
    ratelimits.reset_all()


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def assert_json_429(resp):
    assert resp.status_code == 429
    body = resp.get_json()
    assert body["error"] == 429 and "Terlalu banyak permintaan" in body["message"]
    assert int(resp.headers["Retry-After"]) > 0


def test_the_api_is_limited_per_token_user_in_json(app, client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "RATELIMIT_API", "3 per minute")
    _, field_token = service.issue_token(world.users["field"], "ponsel", "30", None)
    _, other_token = service.issue_token(world.users["coordinator"], "laptop", "30", None)
    answers = [client.get(MY_SESSIONS, headers=bearer(field_token)) for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [200] * 3
    assert_json_429(answers[3])
    # Another user from the same address has a budget of its own.
    assert client.get("/api/v1/sessions", headers=bearer(other_token)).status_code == 200


def test_the_api_is_limited_per_address_below_the_tokens(app, client, world, limits, monkeypatch):
    monkeypatch.setitem(limits, "RATELIMIT_API_PER_ADDRESS", "2 per minute")
    tokens = [service.issue_token(world.users[role], "t", "30", None)[1] for role in ("field", "coordinator")]
    assert client.get(MY_SESSIONS, headers=bearer(tokens[0])).status_code == 200
    assert client.get("/api/v1/sessions", headers=bearer(tokens[1])).status_code == 200
    assert_json_429(client.get("/api/v1/sessions", headers=bearer(tokens[1])))
    elsewhere = {"REMOTE_ADDR": "10.7.7.7"}
    assert client.get("/api/v1/sessions", headers=bearer(tokens[1]), environ_base=elsewhere).status_code == 200


def test_the_map_endpoints_share_one_lower_budget_per_session_user(app, client, world, login_as, limits,
                                                                    monkeypatch):
    monkeypatch.setitem(limits, "RATELIMIT_MAP", "2 per minute")
    login_as("manager")
    assert client.get(MAP_SITES).status_code == 200
    assert client.get(MAP_SESSIONS).status_code == 200
    assert_json_429(client.get(MAP_SITES))
    # The rest of the API is still open to the same user.
    assert client.get("/api/v1/sessions").status_code == 200


def test_the_limits_are_off_in_the_suite_unless_switched_on(client, world, login_as, monkeypatch, app):
    monkeypatch.setitem(app.config, "RATELIMIT_MAP", "1 per minute")
    login_as("manager")
    assert all(client.get(MAP_SITES).status_code == 200 for _ in range(3))


def test_memory_storage_is_the_default_and_limits_are_on_outside_testing(app):
    from limits.storage import MemoryStorage

    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(ratelimits.limiter.storage, MemoryStorage)
    assert app.config["RATE_LIMITS"] is None
    with app.test_request_context("/"):
        assert ratelimits.limits_on() is False
        app.testing = False
        try:
            assert ratelimits.limits_on() is True
        finally:
            app.testing = True


WORKER = r"""
import sys
from outreach import create_app
from outreach.extensions import db

app = create_app({"TESTING": True, "RATE_LIMITS": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "RATELIMIT_STORAGE_URI": sys.argv[2],
                  "RATELIMIT_KEY_PREFIX": sys.argv[3], "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
with app.app_context():
    db.create_all()
client = app.test_client()
codes = [client.post("/login", data={"username": f"u{n}", "password": "salah-sekali-1"},
                     environ_base={"REMOTE_ADDR": "10.8.8.8"}).status_code for n in range(6)]
print(",".join(map(str, codes)))
"""


@real_clock_only
def test_workers_share_the_counts_in_redis(tmp_path):
    """Two processes (two gunicorn workers) on one Redis: the address's 10 logins a minute are 10 in all."""
    import secrets
    import subprocess
    import sys

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = "jbtest" + secrets.token_hex(4)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / f"{name}.sqlite"), url, prefix],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in "ab"]
    answers = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err[-2000:]
        answers += out.strip().splitlines()[-1].split(",")
    assert sorted(answers) == ["200"] * 10 + ["429"] * 2
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_the_api_document_names_the_429_and_its_retry_after(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    answers = document["paths"]["/api/v1/map/sites"]["get"]["responses"]
    assert "Retry-After" in answers["429"]["headers"]


def test_flask_limiters_own_switch_off_counts_nothing_and_login_still_works(app, client, world, monkeypatch):
    """RATELIMIT_ENABLED=False (Flask-Limiter's own setting) sets up no storage: the login throttle's
    counters then count nothing instead of failing the sign-in with a 500."""
    monkeypatch.setitem(app.config, "RATE_LIMITS", True)
    monkeypatch.setattr(ratelimits.limiter, "enabled", False)
    with app.test_request_context("/"):
        assert [ratelimits.hit("1 per minute", "uji") for _ in range(3)] == [None, None, None]
        ratelimits.clear("1 per minute", "uji")
    resp = client.post("/login", data={"username": world.users["admin"].username, "password": "salah"})
    assert resp.status_code == 200
    from tests import builders

    resp = client.post("/login", data={"username": world.users["admin"].username, "password": builders.PASSWORD})
    assert resp.status_code == 302
