"""Errors while the database is down or restarting: answered without it, in the API's JSON shape or as a
plain page, with 503 and Retry-After; a connection the database dropped is replaced (pool_pre_ping)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from outreach import create_app
from outreach.extensions import db as _db

UNREACHABLE = "postgresql://jb@127.0.0.1:1/nowhere"  # nothing listens on port 1: connection refused


@pytest.fixture()
def down_app(app):
    """An app like the test app (same secret key) whose database cannot be reached."""
    return create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": UNREACHABLE, "SECRET_KEY": "test-secret",
                       "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})


def _signed_in(app, user_id: int = 1):
    """A client whose cookie says a user is signed in (loading that user needs the database)."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user_id}.1"
        sess["_fresh"] = True
    return client


def test_api_answers_json_503_with_retry_after_when_the_database_is_unreachable(down_app):
    resp = _signed_in(down_app).get("/api/v1/sessions")
    assert resp.status_code == 503
    assert resp.is_json
    body = resp.get_json()
    assert body["error"] == 503 and "Basis data" in body["message"]
    assert int(resp.headers["Retry-After"]) > 0


def test_api_token_call_answers_json_503_when_the_database_is_unreachable(down_app):
    resp = down_app.test_client().get("/api/v1/sessions", headers={"Authorization": "Bearer abc"})
    assert resp.status_code == 503 and resp.is_json
    assert resp.get_json()["error"] == 503


def test_page_answers_plain_503_page_in_indonesian_when_the_database_is_unreachable(down_app):
    resp = _signed_in(down_app).get("/sesi")
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    text = resp.get_data(as_text=True)
    assert "Basis data sedang tidak dapat dihubungi" in text
    assert "Traceback" not in text and "Internal Server Error" not in text
    assert "Retry-After" in resp.headers


def test_post_of_a_form_answers_503_when_the_database_is_unreachable(down_app):
    resp = _signed_in(down_app).post("/sesi/baru", data={"site_id": "1", "notes": "x"})
    assert resp.status_code == 503
    assert "Basis data" in resp.get_data(as_text=True)


def test_health_check_reports_the_database_unreachable(down_app):
    resp = down_app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["database"] == "unreachable"


def test_database_error_inside_a_view_is_503_for_a_signed_in_user(app, client, login_as, monkeypatch):
    login_as("coordinator")
    from outreach.planning import queries

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(queries, "list_sessions", down)
    resp = client.get("/sesi")
    assert resp.status_code == 503 and "Basis data" in resp.get_data(as_text=True)

    resp = client.get("/api/v1/sessions")
    assert resp.status_code == 503 and resp.is_json and resp.get_json()["error"] == 503
    assert "Retry-After" in resp.headers

def test_other_server_error_is_a_plain_500_json_on_the_api(app, client, login_as, monkeypatch):
    login_as("admin")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "api.teams_list", broken)
    monkeypatch.setitem(app.view_functions, "regions.index", broken)
    broken.access_roles = frozenset({"admin"})
    resp = client.get("/api/v1/teams")
    assert resp.status_code == 500 and resp.is_json
    assert resp.get_json() == {"error": 500, "message": "Terjadi kesalahan pada server. Data yang sudah tersimpan "
                                                        "tetap aman."}
    resp = client.get("/wilayah")
    assert resp.status_code == 500 and "Terjadi kesalahan pada server" in resp.get_data(as_text=True)


def test_locale_falls_back_to_indonesian_when_the_user_cannot_be_loaded(down_app):
    from outreach import i18n

    with down_app.test_request_context("/"):
        from flask import session

        session["_user_id"] = "1.1"
        assert i18n.select_locale() == "id"


def test_pool_pre_ping_is_on_and_keeps_other_engine_options(app):
    with app.app_context():
        assert _db.engine.pool._pre_ping is True
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x",
                        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 300}})
    assert other.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "pool_recycle": 300}
    with other.app_context():
        assert _db.engine.pool._pre_ping is True and _db.engine.pool._recycle == 300


def test_first_request_after_a_database_restart_succeeds(app, client, login_as):
    """The server ends every connection (as a restart does); the next request gets a fresh one."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    login_as("coordinator")
    assert client.get("/sesi").status_code == 200
    assert client.get("/api/v1/sessions").status_code == 200
    _db.session.rollback()  # the test's own connection goes back to the pool too, and is ended with the others
    killer = sa.create_engine(_db.engine.url, poolclass=sa.pool.NullPool)
    with killer.connect() as conn:
        ended = conn.scalar(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
    killer.dispose()
    assert ended >= 1
    assert client.get("/sesi").status_code == 200
    assert client.get("/api/v1/sessions").status_code == 200
