"""The API's schema plumbing: marshmallow fields and base schemas, the `operation` decorator, and openapi.json.

Each view declares its operation once with `@operation(...)`: its query schema and body schema are loaded
(validated) before the view runs and handed to it as `args` and `body`, and the same declaration, with the
response schemas, becomes the view's entry in /api/v1/openapi.json (apispec's MarshmallowPlugin). Messages
stay in Bahasa Indonesia: the fields here raise already-translated messages, and a schema turns the first
error (in the order its fields are declared, which is the order the API always checked them in) into the
JSON error body every API error has.
"""
from __future__ import annotations

import math
import re
from functools import wraps
from typing import Optional

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate

from outreach.api.errors import ApiError, json_object
from outreach.input_limits import MAX_PAGE

API_PREFIX = "/api/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_PER_PAGE = 500


class Refusal(str):
    """A field's message that answers with another status than 400 (an area outside the user's scope: 404)."""

    def __new__(cls, message: str, status: int):
        obj = super().__new__(cls, message)
        obj.status = status
        return obj


def first_error(schema: Schema, messages: dict) -> tuple[str, str]:
    """(key, message) of the first error in the order the schema declares its fields."""
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key in messages:
            found = messages[key]
            while isinstance(found, (list, dict)):
                found = found[0] if isinstance(found, list) else next(iter(found.values()))
            return key, found
    key = next(iter(messages))
    found = messages[key]
    return key, found[0] if isinstance(found, list) else str(found)


# ---------------------------------------------------------------- query-string fields

class Arg(fields.Field):
    """A query parameter; absent means None. Its own checks word the message; `validate` only describes it."""

    def _validate(self, value):
        if value is not None:
            super()._validate(value)


class Text(Arg, fields.String):
    """Free text up to `max_len` characters."""

    def __init__(self, max_len: int = 100, **kwargs):
        super().__init__(validate=validate.Length(max=max_len), **kwargs)
        self.max_len = max_len

    def _deserialize(self, value, attr, data, **kwargs):
        raw = str(value).strip()
        if len(raw) > self.max_len:
            raise ValidationError(_("Parameter %(name)s terlalu panjang (maksimal %(max)s karakter).",
                                    name=attr, max=self.max_len))
        return self.check(raw, attr) if raw else None

    def _validate(self, value):
        if isinstance(value, str):  # `check` may turn the text into a date, a tuple...
            super()._validate(value)

    def check(self, raw: str, name: str) -> str:
        """The value a non-blank parameter stands for; subclasses raise ValidationError for a bad shape."""
        return raw


class Choice(Arg, fields.String):
    """One of `choices`; the message names the allowed values."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(validate=validate.OneOf(self.choices), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = str(value).strip()
        if raw and raw not in self.choices:
            raise ValidationError(_("Parameter %(name)s tidak dikenal: '%(raw)s'. Pilihan: %(choices)s.",
                                    name=attr, raw=raw[:40], choices=", ".join(self.choices)))
        return raw or None


class PositiveInt(Arg, fields.Integer):
    """A whole number from 1 (up to `high`): page, per_page."""

    def __init__(self, high: Optional[int] = None, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=high), **kwargs)
        self.high = high

    def _deserialize(self, value, attr, data, **kwargs):
        raw = str(value)
        if raw.strip() == "":
            return self.load_default() if callable(self.load_default) else self.load_default
        try:
            number = int(raw.strip())
        except ValueError:
            number = 0
        if number < 1 or (self.high is not None and number > self.high):
            if self.high is None:
                raise ValidationError(_("Parameter %(name)s harus bilangan bulat 1 atau lebih (diterima: '%(raw)s').",
                                        name=attr, raw=raw[:40]))
            raise ValidationError(_("Parameter %(name)s harus bilangan bulat antara 1 dan %(high)s (diterima: "
                                    "'%(raw)s').", name=attr, high=self.high, raw=raw[:40]))
        return number


class PageNumber(PositiveInt):
    """A page: a whole number from 1 (else 400); past MAX_PAGE it is MAX_PAGE, an empty page like any page past
    the end (a list never reaches it, and the database's OFFSET must stay in range)."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        return number if number is None else min(number, MAX_PAGE)  # None: an empty page= with no default


def per_page_default() -> int:
    return min(int(current_app.config.get("PER_PAGE", 50)), MAX_PER_PAGE)


class Passed(fields.Raw):
    """A value handed as sent to the service that checks it and words its errors; `metadata` describes it."""



# ---------------------------------------------------------------- JSON body fields

class JsonField(fields.Field):
    """A body field of one exact JSON type; null is accepted for every field (it clears it).

    Nothing is converted: the service receives the values as sent. Limits the service enforces (and words its
    own messages for) are described in `metadata`, not checked twice here.
    """

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None:
            return None
        return super().deserialize(value, attr, data, **kwargs)


class JsonString(JsonField, fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(_("Harus berupa teks."))
        return value


class JsonBool(JsonField, fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError(_("Harus berupa true atau false."))
        return value


class JsonInt(JsonField, fields.Integer):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("Harus berupa bilangan bulat."))
        return value


class JsonNumber(JsonField, fields.Float):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError(_("Harus berupa angka."))
        return value


# ---------------------------------------------------------------- base schemas

class Query(Schema):
    """Query parameters; unknown ones are ignored. The first bad parameter answers 400 with its message."""

    class Meta:
        unknown = EXCLUDE

    @post_load
    def _absent_is_none(self, data: dict, **kwargs) -> dict:
        return {**{name: None for name in self.load_fields}, **data}

    def handle_error(self, error: ValidationError, data, **kwargs):
        _key, message = first_error(self, error.messages)
        raise ApiError(getattr(message, "status", 400), str(message))

    @classmethod
    def from_request(cls) -> dict:
        return cls().load(request.args)


def page_field():
    return PageNumber(load_default=1, metadata={"description": "Halaman, mulai 1.", "default": 1})


def per_page_field():
    return PositiveInt(MAX_PER_PAGE, load_default=per_page_default,
                       metadata={"description": "Baris per halaman (maksimal 500).", "default": 50})


class PageQuery(Query):
    """Only page and per_page (400 when either is not a whole number in range)."""

    page = page_field()
    per_page = per_page_field()


class Body(Schema):
    """A JSON object whose fields this schema checks: 422 with a message per field (unknown keys refused).

    Presence is left to the service (it words "wajib diisi" for each field itself), so bodies load as partial;
    `required` documents what the service will ask for.
    """

    class Meta:
        unknown = RAISE

    def invalid(self) -> str:
        """The top-level message of a 422 (each body schema names what it holds)."""
        raise NotImplementedError

    def handle_error(self, error: ValidationError, data: dict, **kwargs):
        known = {field.data_key or name for name, field in self.fields.items()}
        errors = {str(key): (first_error(self, {key: error.messages[key]})[1] if key in known
                             else _("Kolom tidak dikenal atau tidak dapat diubah."))
                  for key in data if key in error.messages}  # in the order the client sent them
        raise ApiError(422, self.invalid(), errors)

    @classmethod
    def from_request(cls) -> dict:
        return cls().load(json_object(), partial=True)


class Out(Schema):
    """A response shape: documents what the view sends (views build their bodies from the services)."""

    class Meta:
        unknown = EXCLUDE


class ErrorSchema(Out):
    error = fields.Integer(required=True, metadata={"description": "Kode status HTTP"})
    message = fields.String(required=True, metadata={"description": "Pesan dalam Bahasa Indonesia"})
    errors = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "Pesan per kolom (pada 422)"})


class PageOut(Out):
    total = fields.Integer(required=True, validate=validate.Range(min=0))
    page = fields.Integer(validate=validate.Range(min=1))
    per_page = fields.Integer(validate=validate.Range(min=1, max=MAX_PER_PAGE))


# ---------------------------------------------------------------- operations

def response(description: str, schema=None, headers: Optional[dict] = None) -> dict:
    out = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    if headers:
        out["headers"] = headers
    return out


def error_response(description: str) -> dict:
    return response(description, ErrorSchema)


COMMON_ERRORS = {
    "400": error_response("Parameter atau isi permintaan tidak valid."),
    "401": error_response("Belum masuk, atau token API tidak sah/kedaluwarsa/dicabut."),
    "403": error_response("Peran pengguna tidak berwenang, atau (login sesi) kata sandi yang diatur admin belum "
                          "diganti: password_change_required = true."),
    "429": response("Terlalu banyak permintaan dari pengguna atau alamat ini (RATELIMIT_API, RATELIMIT_MAP); "
                    "ulangi setelah Retry-After detik.", ErrorSchema,
                    headers={"Retry-After": {"schema": {"type": "integer"},
                                             "description": "Detik sampai batas permintaan dibuka lagi."}}),
}


def operation(operation_id: str, tag: str, summary: str, responses: dict, *, description: str = "",
              query: Optional[type] = None, body: Optional[type] = None, headers: tuple = (), **extra):
    """Declare a view's operation: `query` and `body` schemas are loaded and passed as `args` and `body`.

    `responses` maps status codes to `response(...)` dicts; `headers` lists header parameters (documented only);
    `extra` goes into the document as is (e.g. security=[] for a public operation).
    """
    doc = {"operationId": operation_id, "tags": [tag], "summary": summary, **extra}
    if description:
        doc["description"] = description
    parameters = list(headers)
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    if parameters:
        doc["parameters"] = parameters
    if body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    doc["responses"] = {str(status): spec for status, spec in responses.items()}

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if query is not None:
                kwargs["args"] = query.from_request()
            if body is not None:
                kwargs["body"] = body.from_request()
            return view(*args, **kwargs)

        wrapper.openapi = doc
        return wrapper

    return decorate


# ---------------------------------------------------------------- the document

_CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def _openapi_path(rule) -> tuple[str, list]:
    """'/api/v1/sites/<int:site_id>' -> ('/api/v1/sites/{site_id}', [its path parameters])."""
    parameters = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": dict(_CONVERTER_TYPES.get(converter, {"type": "string"}))})
        return "{" + name + "}"

    return re.sub(r"<(?:([^<>:]+):)?([^<>]+)>", replace, rule.rule), parameters


DESCRIPTION = (
    "API JSON untuk integrasi dan klien lapangan: wilayah dengan target perekaman E-KTP, "
    "lokasi, dan jadwal. Autentikasi: header `Authorization: Bearer <token>` (token dari "
    "`flask create-token`, tanpa cookie dan tanpa CSRF) atau sesi peramban (permintaan yang "
    "mengubah data memerlukan header `X-CSRFToken`). Aturan peran dan wilayah sama dengan "
    "halaman web: data di luar wilayah tugas dijawab 404. Semua galat berupa JSON "
    "`{\"error\": status, \"message\": \"...\"}`."
)


def build_document(app) -> dict:
    """The OpenAPI 3.0 document of every /api/v1 route of `app`, from the operations the views declare."""
    spec = APISpec(
        title="Jemput Bola API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION}, servers=[{"url": "/"}],
        security=[{"bearerAuth": []}, {"cookieAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "Token API (dibuat admin dengan `flask create-token USERNAME`)."})
    spec.components.security_scheme("cookieAuth", {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "Sesi peramban setelah masuk; POST/PATCH memerlukan X-CSRFToken."})
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        doc = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if doc is None:
            raise ValueError(f"API route {rule.rule} declares no operation")
        path, parameters = _openapi_path(rule)
        item = paths.setdefault(path, {"parameters": parameters} if parameters else {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            item[method.lower()] = doc
    tags = set()
    for path in sorted(paths):
        item = paths[path]
        tags |= {tag for method, op in item.items() if method in HTTP_METHODS for tag in op["tags"]}
        spec.path(path=path, parameters=item.pop("parameters", None),
                  operations={method: _copy(op) for method, op in item.items()})
    for tag in sorted(tags):
        spec.tag({"name": tag})
    document = spec.to_dict()
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def _copy(node):
    """A copy of an operation declaration (apispec rewrites what it is given)."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node
