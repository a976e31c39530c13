"""The load bench's yardstick endpoint exists only when the environment asks for it (JB_BENCH_MINIMAL=1)."""
import sqlalchemy as sa

from outreach import create_app
from outreach.extensions import db
from outreach.models import AuditEntry


def _minimal_rules(app) -> list[str]:
    return [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("bench_minimal.")]


def test_absent_by_default(app, client, monkeypatch):
    monkeypatch.delenv("JB_BENCH_MINIMAL", raising=False)
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})
    assert _minimal_rules(fresh) == [] and _minimal_rules(app) == []
    assert client.post("/api/bench/minimal", json={}).status_code == 404
    monkeypatch.setenv("JB_BENCH_MINIMAL", "0")
    assert _minimal_rules(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})) == []


def test_with_the_flag_it_stores_one_row_for_a_signed_in_logger(app, world, monkeypatch):
    monkeypatch.setenv("JB_BENCH_MINIMAL", "1")
    bench = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PASSWORD_HASH_METHOD")},
                        "TESTING": True, "WTF_CSRF_ENABLED": False})
    assert _minimal_rules(bench) == ["/api/bench/minimal"]
    client = bench.test_client()
    assert client.post("/api/bench/minimal", json={"n": 1}).status_code == 401
    from tests.builders import PASSWORD

    assert client.post("/login", data={"username": "lapangan_uji", "password": PASSWORD}).status_code == 302
    resp = client.post("/api/bench/minimal", json={"n": 1})
    assert resp.status_code == 201
    with bench.app_context():
        rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "bench")).all()
        assert [r.id for r in rows] == [resp.get_json()["id"]]
