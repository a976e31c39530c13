"""Admin: API tokens per user: issued and shown once, stored hashed, revocable."""
import hashlib
import html
import re

import pytest
import sqlalchemy as sa
from flask import g

from outreach.extensions import db
from outreach.models import ApiToken, AuditEntry
from outreach.security import PUBLIC, user_from_token


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def issue(client, user, name="aplikasi lapangan", days="30"):
    resp = client.post(f"/admin/pengguna/{user.id}/token", data={"name": name, "days": days})
    assert resp.status_code == 200, resp.status_code
    match = re.search(r"<code[^>]*>(jb_[A-Za-z0-9_\-]+)</code>", resp.get_data(as_text=True))
    assert match, "the new token is shown on the page"
    return resp, match.group(1)


def protected_api_url(app, role: str):
    """A non-public API GET route without parameters that `role` may use (None while the API has none).

    /api/v1/regions (the foundation's, open to every role) is preferred when it exists."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule != "/api/v1/regions", r.rule)):
        if not rule.rule.startswith("/api/") or "GET" not in rule.methods or rule.arguments:
            continue
        roles = getattr(app.view_functions[rule.endpoint], "access_roles", None)
        if roles and roles != PUBLIC and role in roles:
            return rule.rule
    return None


def bearer_get(app, url: str, raw: str):
    """GET with only a bearer token (no session cookie)."""
    # The db fixture keeps one app context pushed, so requests share `g` and Flask-Login's cached
    # g._login_user; drop it around this request as a fresh request would.
    g.pop("_login_user", None)
    try:
        return app.test_client().get(url, headers={"Authorization": f"Bearer {raw}"})
    finally:
        g.pop("_login_user", None)


def test_token_page_lists_tokens(client, world, login_as):
    login_as("admin")
    field_user = world.users["field"]
    token, _raw = ApiToken.issue(field_user, name="<i>lama</i>", days=None)
    db.session.add(token)
    db.session.commit()
    resp = client.get(f"/admin/pengguna/{field_user.id}/token")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert token.prefix in page and "tanpa batas" in page and "Aktif" in page
    assert "&lt;i&gt;lama&lt;/i&gt;" in page and "<i>lama</i>" not in page
    assert 'value="365"' in page  # default validity from API_TOKEN_DAYS
    assert 'data-testid="new-token"' not in page


def test_issued_token_is_shown_once_and_stored_hashed(app, client, world, login_as):
    admin = login_as("admin")
    field_user = world.users["field"]
    resp, raw = issue(client, field_user)
    assert "tidak akan ditampilkan lagi" in text(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    [token] = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == field_user.id)).all()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix) and len(raw) > len(token.prefix) + 20
    assert token.name == "aplikasi lapangan" and token.expires_at is not None
    # the raw token is nowhere in the database: not in the token row, not in the audit trail
    with db.engine.connect() as conn:
        for table in ("api_token", "audit_entry"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                assert raw not in " ".join(str(v) for v in row), table
    [audit] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "api_token")).all()
    assert audit.action == "issue" and audit.user_id == admin.id and audit.changes["prefix"] == [None, token.prefix]
    # the page never shows it again, nor does the user list
    again = client.get(f"/admin/pengguna/{field_user.id}/token").get_data(as_text=True)
    assert raw not in again and token.prefix in again
    assert raw not in client.get("/admin/pengguna").get_data(as_text=True)
    # and it works for the API as its user
    assert user_from_token(raw).id == field_user.id


def test_token_without_expiry(client, world, login_as):
    login_as("admin")
    _resp, raw = issue(client, world.users["field"], days="0")
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.expires_at is None and user_from_token(raw) is not None


@pytest.mark.parametrize("data,message", [
    ({"name": "x", "days": "abc"}, "Masa berlaku harus bilangan bulat 0–3650 hari"),
    ({"name": "x", "days": "-5"}, "Masa berlaku harus bilangan bulat 0–3650 hari"),
    ({"name": "x", "days": "99999"}, "Masa berlaku harus bilangan bulat 0–3650 hari"),
    ({"name": "x" * 121, "days": "30"}, "Keterangan paling banyak 120 karakter."),
])
def test_issue_token_refuses_bad_input(client, world, login_as, data, message):
    login_as("admin")
    resp = client.post(f"/admin/pengguna/{world.users['field'].id}/token", data=data)
    assert resp.status_code == 422 and message in text(resp)
    assert 'data-testid="new-token"' not in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoked_token_is_refused(app, client, world, login_as):
    admin = login_as("admin")
    field_user = world.users["field"]
    _resp, raw = issue(client, field_user)
    api_url = protected_api_url(app, "field")
    if api_url:
        assert bearer_get(app, api_url, raw).status_code not in (401, 403)
    token = db.session.scalar(sa.select(ApiToken))
    resp = client.post(f"/admin/token/{token.id}/cabut")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/pengguna/{field_user.id}/token")
    db.session.expire_all()
    token = db.session.get(ApiToken, token.id)
    assert token.revoked_at is not None
    assert user_from_token(raw) is None
    if api_url:
        resp = bearer_get(app, api_url, raw)
        assert resp.status_code == 401 and resp.is_json
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "revoke")).one()
    assert audit.entity == "api_token" and audit.entity_id == str(token.id) and audit.user_id == admin.id
    page = text(client.get(f"/admin/pengguna/{field_user.id}/token"))
    assert "dicabut" in page and "Dicabut" in page
    # revoking twice is harmless and says so
    resp = client.post(f"/admin/token/{token.id}/cabut", follow_redirects=True)
    assert "Token itu sudah dicabut sebelumnya." in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "revoke")) == 1


def test_revoke_is_post_only_and_unknown_token_is_404(client, world, login_as):
    login_as("admin")
    _resp, raw = issue(client, world.users["field"])
    token = db.session.scalar(sa.select(ApiToken))
    assert client.get(f"/admin/token/{token.id}/cabut").status_code == 405
    assert client.post("/admin/token/99999/cabut").status_code == 404
    assert user_from_token(raw) is not None


@pytest.mark.parametrize("role", ["manager", "coordinator", "field"])
def test_non_admins_cannot_issue_or_revoke(client, world, login_as, role):
    field_user = world.users["field"]
    token, raw = ApiToken.issue(field_user, name="milik lapangan")
    db.session.add(token)
    db.session.commit()
    login_as(role)
    assert client.get(f"/admin/pengguna/{field_user.id}/token").status_code == 403
    assert client.post(f"/admin/pengguna/{field_user.id}/token", data={"name": "x", "days": "1"}).status_code == 403
    assert client.post(f"/admin/token/{token.id}/cabut").status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
    assert user_from_token(raw) is not None


def test_token_forms_refuse_a_missing_csrf_token(client, world, login_as, request):
    login_as("admin")
    field_user = world.users["field"]
    token, raw = ApiToken.issue(field_user)
    db.session.add(token)
    db.session.commit()
    request.getfixturevalue("csrf_on")
    assert client.post(f"/admin/token/{token.id}/cabut").status_code == 400
    assert client.post(f"/admin/pengguna/{field_user.id}/token", data={"name": "x", "days": "1"}).status_code == 400
    assert user_from_token(raw) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
    # the page's own revoke button carries the token and works
    page = client.get(f"/admin/pengguna/{field_user.id}/token").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/token/{token.id}/cabut", data={"csrf_token": csrf}).status_code == 302
    assert user_from_token(raw) is None
