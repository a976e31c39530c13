"""JSON API under /api/v1: one schema per request and response gives both the checks and openapi.json.

Each view declares its operation once (outreach.api.schema.operation): marshmallow schemas load and check its
query string and body, and apispec's MarshmallowPlugin turns the same schemas into /api/v1/openapi.json.
Why marshmallow + apispec rather than flask-smorest or pydantic: the API keeps its own blueprint, its role
decorators, its JSON error body and its Indonesian messages exactly as integrators know them. flask-smorest
would bring its own Blueprint, error handlers and 422 body (registered app-wide, where the web pages live
too), and pydantic/spectree their own error shapes; marshmallow lets a field raise our own translated
message and a schema choose the status, and apispec only writes the document. Both are maintained (the
marshmallow-code organisation) and are what flask-smorest itself is built on.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from outreach.api import routes, regions, sites, sessions, field, maps, coverage, plans, requests  # noqa: E402,F401
from outreach.api import public_requests, confirmation  # noqa: E402,F401
