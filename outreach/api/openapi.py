"""Builds /api/v1/openapi.json from the OPENAPI_PATHS and OPENAPI_SCHEMAS each API module declares."""
from __future__ import annotations

import copy
import importlib
from typing import Iterable, Optional

API_PREFIX = "/api/v1"
# The module whose schemas (Error, ...) every other module shares; its definitions win over a redeclaration.
SHARED_MODULE = "routes"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _full_path(path: str) -> str:
    """Modules may key paths as '/regions' or '/api/v1/regions'; the document uses the full path."""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path
    return API_PREFIX + ("" if path.startswith("/") else "/") + path


def merge(parts: Iterable[tuple[str, dict, dict]]) -> tuple[dict, dict]:
    """Merge (module name, paths, schemas) triples; a path's operations may come from several modules.

    A schema the shared module declares keeps the shared definition. Otherwise raises ValueError when two
    modules declare the same operation or the same schema differently.
    """
    paths: dict = {}
    schemas: dict = {}
    owners: dict = {}
    for name, module_paths, module_schemas in parts:
        for raw_path, item in module_paths.items():
            path = _full_path(raw_path)
            target = paths.setdefault(path, {})
            for key, value in item.items():
                if key in target and target[key] != value:
                    raise ValueError(f"OpenAPI: {path} {key} declared by {owners[(path, key)]} and {name}")
                target[key] = copy.deepcopy(value)
                owners[(path, key)] = name
        for schema_name, schema in module_schemas.items():
            if owners.get(schema_name) == SHARED_MODULE and name != SHARED_MODULE:
                continue
            if name == SHARED_MODULE:
                owners[schema_name] = name
                schemas[schema_name] = copy.deepcopy(schema)
                continue
            if schema_name in schemas and schemas[schema_name] != schema:
                raise ValueError(f"OpenAPI: schema {schema_name} declared by {owners[schema_name]} and {name}")
            schemas[schema_name] = copy.deepcopy(schema)
            owners[schema_name] = name
    return paths, schemas


def build_document(module_names: Optional[Iterable[str]] = None) -> dict:
    """The OpenAPI 3.0 document for the modules listed in outreach.api.API_MODULES."""
    if module_names is None:
        from outreach.api import API_MODULES

        module_names = API_MODULES
    parts = []
    for name in module_names:
        module = importlib.import_module(f"outreach.api.{name}")
        parts.append((name, getattr(module, "OPENAPI_PATHS", {}), getattr(module, "OPENAPI_SCHEMAS", {})))
    paths, schemas = merge(parts)
    tags = sorted({tag for item in paths.values() for method, op in item.items()
                   if method in HTTP_METHODS for tag in op.get("tags", [])})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Jemput Bola API",
            "version": "1",
            "description": (
                "API JSON untuk integrasi dan klien lapangan: wilayah dengan target perekaman E-KTP, "
                "lokasi, dan jadwal. Autentikasi: header `Authorization: Bearer <token>` (token dari "
                "`flask create-token`, tanpa cookie dan tanpa CSRF) atau sesi peramban (permintaan yang "
                "mengubah data memerlukan header `X-CSRFToken`). Aturan peran dan wilayah sama dengan "
                "halaman web: data di luar wilayah tugas dijawab 404. Semua galat berupa JSON "
                "`{\"error\": status, \"message\": \"...\"}`."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in tags],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Token API (dibuat admin dengan `flask create-token USERNAME`)."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "Sesi peramban setelah masuk; POST/PATCH memerlukan X-CSRFToken."},
            },
            "schemas": dict(sorted(schemas.items())),
        },
    }
