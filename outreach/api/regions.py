"""API: regions."""
from outreach.api import bp  # noqa: F401

OPENAPI_PATHS: dict = {}
OPENAPI_SCHEMAS: dict = {}
