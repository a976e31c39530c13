"""/api/v1/openapi.json: a valid OpenAPI 3.0 document that names every API route with its methods."""
import re

import pytest

from outreach.api.schema import HTTP_METHODS, build_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    """'/api/v1/sites/<int:site_id>' -> '/api/v1/sites/{site_id}'."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture()
def document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def test_every_api_route_is_documented_with_its_methods(app, document):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.rule != "/api/v1/openapi.json":
            routes.setdefault(openapi_path(rule.rule), set()).update(rule.methods - IGNORED_METHODS)
    assert routes, "no API routes found"
    missing = []
    for path, methods in sorted(routes.items()):
        documented = {m.upper() for m in document["paths"].get(path, {}) if m in HTTP_METHODS}
        for method in sorted(methods - documented):
            missing.append(f"{method} {path}")
    assert not missing, f"API routes missing from openapi.json: {missing}"


def test_documented_paths_exist(app, document):
    """The document promises nothing the server does not answer."""
    rules = {}
    for r in app.url_map.iter_rules():
        rules.setdefault(openapi_path(r.rule), set()).update(r.methods)
    for path, item in document["paths"].items():
        assert path in rules, f"{path} documented but not routed"
        for method in item:
            if method in HTTP_METHODS:
                assert method.upper() in rules[path], f"{method.upper()} {path} documented but not routed"


def test_document_is_valid_openapi_3(document):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)
    assert document["openapi"].startswith("3.0")


def test_security_and_schemas(document):
    components = document["components"]
    assert components["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": components["securitySchemes"]["bearerAuth"]["description"]}
    for name in ("Region", "Site", "Error", "SiteInput"):
        assert name in components["schemas"], name
    assert {"id", "nama", "type", "desa_kode", "lat", "lng"} <= set(components["schemas"]["Site"]["required"])
    assert {"kode", "nama", "level", "parent_kode", "lat", "lng", "wajib_ktp", "sudah_rekam", "known_away",
            "reachable_backlog"} <= set(components["schemas"]["Region"]["required"])
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_every_operation_has_responses_and_a_unique_id(document):
    ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue  # path-level "parameters", "summary"...
            assert op.get("responses"), f"{method} {path}"
            if "operationId" in op:
                ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), sorted(ids)


def test_responses_match_the_documented_required_fields(client, world, document):
    from tests.builders import make_api_token

    headers = {"Authorization": f"Bearer {make_api_token(world.users['admin'])}"}
    schemas = document["components"]["schemas"]
    region = client.get("/api/v1/regions", headers=headers).get_json()["items"][0]
    assert set(schemas["Region"]["required"]) <= set(region)
    assert set(region) <= set(schemas["Region"]["properties"])
    site = client.get(f"/api/v1/sites/{world.site1.id}", headers=headers).get_json()
    assert set(schemas["Site"]["required"]) <= set(site)
    assert set(site) <= set(schemas["Site"]["properties"])


def test_the_document_comes_from_the_schemas_that_check_requests(client, world, document):
    """A parameter or body field documented is the one the same schema checks (and words in Indonesian)."""
    from tests.builders import make_api_token

    listed = {p["name"]: p for p in document["paths"]["/api/v1/regions"]["get"]["parameters"]}
    assert set(listed) == {"level", "parent", "q", "page", "per_page"}
    assert listed["per_page"]["schema"]["maximum"] == 500 and listed["q"]["schema"]["maxLength"] == 100
    assert listed["level"]["schema"]["enum"] == ["provinsi", "kabupaten", "kecamatan", "desa"]
    site_input = document["components"]["schemas"]["SiteInput"]
    assert site_input["additionalProperties"] is False and site_input["properties"]["lat"]["type"] == "number"
    headers = {"Authorization": f"Bearer {make_api_token(world.users['admin'])}"}
    resp = client.get("/api/v1/regions?per_page=501", headers=headers)
    assert resp.status_code == 400 and "antara 1 dan 500" in resp.get_json()["message"]
    resp = client.post("/api/v1/sites", json={"lat": "x", "bogus": 1}, headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"lat": "Harus berupa angka.",
                                         "bogus": "Kolom tidak dikenal atau tidak dapat diubah."}


def test_a_route_without_a_declared_operation_is_refused():
    from flask import Blueprint, Flask

    from outreach.api import bp

    bare = Flask(__name__)
    bare.register_blueprint(bp)
    extra = Blueprint("undeclared", __name__, url_prefix="/api/v1/undeclared")
    extra.add_url_rule("/", "x", lambda: "")
    bare.register_blueprint(extra)
    with pytest.raises(ValueError, match="declares no operation"):
        build_document(bare)
