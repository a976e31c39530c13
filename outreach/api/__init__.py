"""JSON API under /api/v1. Each module adds its routes and its OPENAPI_PATHS / OPENAPI_SCHEMAS."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Modules that carry API routes; openapi.json merges their OPENAPI_PATHS and OPENAPI_SCHEMAS.
API_MODULES = ("routes", "regions", "sites", "sessions", "field", "maps", "coverage", "plans")

from outreach.api import routes, regions, sites, sessions, field, maps, coverage, plans  # noqa: E402,F401
