"""Every route, every role: the server's answers match tests/access_matrix.py."""
import pytest

from outreach import create_app
from tests.access_matrix import EXPECTED, PUBLIC, URL_SAMPLES

ROLES = ("anonymous", "admin", "manager", "coordinator", "field")


def _rules():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        out.append((rule.endpoint, rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(out)


RULES = _rules()


def test_every_route_is_in_the_matrix(app):
    missing = sorted({e for e, *_ in RULES} - set(EXPECTED))
    assert not missing, f"routes without an entry in tests/access_matrix.py: {missing}"


def test_every_view_declares_access(app):
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        declared = getattr(view, "access_roles", None)
        assert declared is not None, f"{endpoint} has no access decorator"
        expected = EXPECTED.get(endpoint)
        if expected == PUBLIC:
            assert declared == frozenset({"public"}), endpoint
        elif expected is not None:
            assert set(declared) == set(expected), f"{endpoint}: declared {set(declared)}, expected {expected}"


def _url(app, world, endpoint, arguments):
    from flask import url_for
    values = {}
    for arg in arguments:
        assert arg in URL_SAMPLES, f"add a sample value for URL parameter '{arg}' in tests/access_matrix.py"
        sample = URL_SAMPLES[arg]
        values[arg] = sample(world) if callable(sample) else sample
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint,rule,method,arguments", RULES, ids=[r[1] + " " + r[2] for r in RULES])
def test_route_answers_by_role(app, client, world, login_as, role, endpoint, rule, method, arguments):
    expected = EXPECTED[endpoint]
    if role != "anonymous":
        login_as(role)
    url = _url(app, world, endpoint, arguments)
    resp = client.open(url, method=method)
    is_api = rule.startswith("/api/")
    if expected == PUBLIC:
        assert resp.status_code not in (401, 403), f"{url} should be public, got {resp.status_code}"
    elif role == "anonymous":
        if is_api:
            assert resp.status_code == 401, f"{url}: anonymous should get 401, got {resp.status_code}"
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], \
                f"{url}: anonymous should be sent to login, got {resp.status_code}"
    elif role in expected:
        assert resp.status_code not in (401, 403), f"{url}: {role} should be allowed, got {resp.status_code}"
        assert resp.status_code < 500, f"{url}: {role} got a server error"
    else:
        assert resp.status_code == 403, f"{url}: {role} should be refused with 403, got {resp.status_code}"


def test_route_without_access_declaration_is_refused(app, client, world, login_as):
    """Deny by default: a view registered without a decorator answers 403 even to an admin."""
    app.view_functions["main.home"], original = (lambda: "leak"), app.view_functions["main.home"]
    try:
        login_as("admin")
        assert client.get("/").status_code == 403
    finally:
        app.view_functions["main.home"] = original
