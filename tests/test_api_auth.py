"""API authentication: bearer tokens (no cookie, no CSRF), browser sessions (CSRF on unsafe methods)."""
from datetime import timedelta

import pytest
from flask import g
from itsdangerous import URLSafeTimedSerializer

from outreach.extensions import db
from outreach.models.base import utcnow
from tests.builders import make_api_token

NEW_SITE = {"type": "balai_desa", "nama": "Balai Baru", "desa_kode": "33.74.01.2002", "lat": -7.0, "lng": 110.4}


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def forget_cached_user():
    """The test fixtures keep one app context for the whole test, so Flask-Login's per-request cache of
    the user (on `g`) would outlive the request; in a server every request starts without it."""
    g.pop("_login_user", None)


def test_bearer_token_authenticates_without_setting_a_cookie(client, world):
    raw = make_api_token(world.users["coordinator"])
    resp = client.get("/api/v1/regions", headers=bearer(raw))
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert "Set-Cookie" not in resp.headers
    assert {item["kode"] for item in resp.get_json()["items"]} == {"33.74.01", "33.74.01.1001", "33.74.01.2002"}
    # The token authenticated this request only: the next one without it is anonymous.
    forget_cached_user()
    assert client.get("/api/v1/regions").status_code == 401


def test_bearer_token_use_is_recorded(client, world):
    from outreach.models import ApiToken

    raw = make_api_token(world.users["manager"])
    client.get("/api/v1/regions", headers=bearer(raw))
    token = db.session.scalars(db.select(ApiToken)).one()
    db.session.refresh(token)
    assert token.last_used_at is not None


@pytest.mark.parametrize("kind", ["revoked", "expired", "unknown", "inactive_user"])
def test_bad_tokens_answer_401_json(client, world, kind):
    user = world.users["admin"]
    if kind == "revoked":
        raw = make_api_token(user, revoked=True)
    elif kind == "expired":
        raw = make_api_token(user, days=-1)
    elif kind == "unknown":
        raw = "jb_" + "x" * 43
    else:
        raw = make_api_token(user)
        user.active = False
        db.session.commit()
    resp = client.get("/api/v1/sites", headers=bearer(raw))
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["error"] == 401 and "Token API" in body["message"]
    assert "Set-Cookie" not in resp.headers


def test_token_revoked_after_use_stops_working(client, world):
    from outreach.models import ApiToken

    raw = make_api_token(world.users["admin"])
    assert client.get("/api/v1/sites", headers=bearer(raw)).status_code == 200
    token = db.session.scalars(db.select(ApiToken)).one()
    token.revoked_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/sites", headers=bearer(raw)).status_code == 401


def test_anonymous_gets_401_json(client, world):
    resp = client.get("/api/v1/regions")
    assert resp.status_code == 401
    assert resp.mimetype == "application/json"
    assert resp.get_json()["message"]


def test_browser_session_authenticates(client, login_as):
    login_as("manager")
    resp = client.get("/api/v1/regions?level=kecamatan")
    assert resp.status_code == 200
    assert {item["kode"] for item in resp.get_json()["items"]} == {"33.74.01", "33.74.02"}


def _csrf_token(app, client) -> str:
    """A valid X-CSRFToken for the client's session, made the way Flask-WTF makes one."""
    with client.session_transaction() as sess:
        raw = sess.setdefault("csrf_token", "a" * 40)
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_session_post_needs_csrf_header(app, client, world, login_as, request):
    login_as("coordinator")
    request.getfixturevalue("csrf_on")
    refused = client.post("/api/v1/sites", json=NEW_SITE)
    assert refused.status_code == 400
    assert "CSRF" in refused.get_json()["message"]
    accepted = client.post("/api/v1/sites", json=NEW_SITE, headers={"X-CSRFToken": _csrf_token(app, client)})
    assert accepted.status_code == 201, accepted.get_json()


def test_session_patch_needs_csrf_header(app, client, world, login_as, request):
    login_as("coordinator")
    request.getfixturevalue("csrf_on")
    url = f"/api/v1/sites/{world.site1.id}"
    assert client.patch(url, json={"nama": "Baru"}).status_code == 400
    ok = client.patch(url, json={"nama": "Baru"}, headers={"X-CSRFToken": _csrf_token(app, client)})
    assert ok.status_code == 200 and ok.get_json()["nama"] == "Baru"


def test_bearer_post_is_csrf_exempt(client, world, csrf_on):
    raw = make_api_token(world.users["coordinator"])
    resp = client.post("/api/v1/sites", json=NEW_SITE, headers=bearer(raw))
    assert resp.status_code == 201, resp.get_json()
    assert "Set-Cookie" not in resp.headers
    patched = client.patch(resp.headers["Location"], json={"nama": "Balai Baru 2"}, headers=bearer(raw))
    assert patched.status_code == 200 and patched.get_json()["nama"] == "Balai Baru 2"


def test_bearer_token_keeps_an_existing_browser_session(client, world, login_as):
    """A token call from a signed-in browser neither rewrites its cookie nor changes who it is signed in as."""
    login_as("manager")
    raw = make_api_token(world.users["coordinator"])
    resp = client.get("/api/v1/regions?level=kecamatan", headers=bearer(raw))
    assert [i["kode"] for i in resp.get_json()["items"]] == ["33.74.01"]
    assert "Set-Cookie" not in resp.headers
    forget_cached_user()
    after = client.get("/api/v1/regions?level=kecamatan")
    assert [i["kode"] for i in after.get_json()["items"]] == ["33.74.01", "33.74.02"]
