"""Production mode (JB_ENV=production): no demo data, no demo password, no weak secret key; and the
reverse proxy's X-Forwarded-* headers trusted only when configured (ProxyFix)."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import request

from outreach import create_app, demo_data
from outreach.deployment import UnsafeProductionConfig
from outreach.models import Region, User
from outreach.security import public
from tests import builders
from tests.conftest import WIB

STRONG_KEY = "3f9a1c0b7e5d4a2f8c6b0e1d9a7f5c3b2e4d6f8a0c1b3d5e7f9a2c4e6b8d0f1a"


@pytest.fixture()
def production(app):
    """The test app as a production server for one test."""
    app.config["PRODUCTION"] = True
    yield app
    app.config["PRODUCTION"] = False


def bare_app(tmp_path, **config):
    """A server as it would start (nothing else happens on the database at start)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}",
                       "SECRET_KEY_FILE": str(tmp_path / "secret_key"), **config})


# ------------------------------------------------------------------ the switch

def test_development_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("JB_ENV", raising=False)
    monkeypatch.delenv("FLASK_ENV", raising=False)
    assert bare_app(tmp_path).config["PRODUCTION"] is False


@pytest.mark.parametrize("variable", ["JB_ENV", "FLASK_ENV"])
def test_the_environment_switches_production_on(tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, "production")
    assert bare_app(tmp_path, SECRET_KEY=STRONG_KEY).config["PRODUCTION"] is True


def test_the_flask_settings_switch_production_on_too(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_PRODUCTION", "true")
    assert bare_app(tmp_path, SECRET_KEY=STRONG_KEY).config["PRODUCTION"] is True


@pytest.mark.parametrize("key", ["change-me-to-a-long-random-string", "test-secret", "kunci-pendek"])
def test_production_refuses_to_start_with_a_weak_or_example_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("JB_ENV", "production")
    with pytest.raises(UnsafeProductionConfig, match="Mode produksi .* tidak dijalankan: SECRET_KEY"):
        bare_app(tmp_path, SECRET_KEY=key)
    bare_app(tmp_path, SECRET_KEY=key, PRODUCTION=False)  # development still starts with it


def test_production_starts_with_a_strong_key_or_the_generated_instance_key(tmp_path, monkeypatch):
    monkeypatch.setenv("JB_ENV", "production")
    assert bare_app(tmp_path, SECRET_KEY=STRONG_KEY).config["SECRET_KEY"] == STRONG_KEY
    app = bare_app(tmp_path)  # no SECRET_KEY: a random one is made once in the key file
    assert len(app.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").read_text() == app.config["SECRET_KEY"]


# ------------------------------------------------------------------ the demo

def test_seed_demo_refuses_to_run_in_production(production, runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "mode produksi" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 0


@pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))
def test_the_demo_password_never_signs_in_on_a_production_server(production, client, db):
    user = builders.make_user("admin", "admin", password=demo_data.PASSWORD)  # left over from a demo
    db.session.commit()
    resp = client.post("/login", data={"username": "admin", "password": demo_data.PASSWORD})
    assert resp.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    db.session.refresh(user)
    assert user.failed_logins == 1  # counted as a wrong password

    production.config["PRODUCTION"] = False
    assert client.post("/login", data={"username": "admin", "password": demo_data.PASSWORD}).status_code == 302


def test_other_passwords_still_sign_in_on_a_production_server(production, client, db):
    builders.make_user("admin", "admin_uji")
    db.session.commit()
    resp = client.post("/login", data={"username": "admin_uji", "password": builders.PASSWORD})
    assert resp.status_code == 302


# ------------------------------------------------------------------ behind the reverse proxy

def client_address_app(tmp_path, **config):
    app = bare_app(tmp_path, SECRET_KEY=STRONG_KEY, **config)

    @app.route("/_alamat")
    @public
    def address():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "jemputbola.example.go.id"}


def test_forwarded_headers_are_ignored_unless_configured(tmp_path):
    seen = client_address_app(tmp_path).get("/_alamat", headers=FORWARDED).get_json()
    assert seen == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_proxy_fix_takes_the_client_address_and_scheme_from_the_proxy(tmp_path):
    client = client_address_app(tmp_path, PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1)
    seen = client.get("/_alamat", headers=FORWARDED).get_json()
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "jemputbola.example.go.id"}
    # One trusted proxy: of a forged chain only the address nginx appended counts.
    chained = client.get("/_alamat", headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.2"}).get_json()
    assert chained["addr"] == "198.51.100.2"
