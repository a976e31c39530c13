"""Bad query strings on every GET route, as an admin, a coordinator and a field user: never a 500.

Each route gets query strings carrying a NUL byte, absurd page numbers, dates at the ends of the calendar
(0001-01-01, 9999-12-31) and garbage, and ids past PostgreSQL's INTEGER. Path parameters are filled with
the world's rows (tests/access_matrix.py) or, in a second pass, with an id past INTEGER.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import pytest

from outreach import create_app
from tests.access_matrix import URL_SAMPLES
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))

ROLES = ("admin", "coordinator", "field")

TEXT_PARAMS = ("q", "desa", "kecamatan", "kabupaten", "parent", "region", "area", "level", "sort", "status",
               "kind", "site_type", "type", "metric", "jenis", "peran", "lang", "next", "view", "bbox",
               "absentees", "team", "team_id", "site", "site_id", "format", "dir", "order", "search")
DATE_PARAMS = ("from", "to", "date", "tanggal", "start", "end", "month", "bulan", "cutoff", "deadline",
               "menggantikan", "tahun", "year", "since", "until", "day")
NUMBER_PARAMS = ("page", "per_page", "halaman", "site", "site_id", "team", "team_id", "mop_up_of", "kit", "zoom",
                 "weeks", "tahun", "limit", "offset", "session", "session_id", "user", "id")

HUGE = 2**31  # one past PostgreSQL's INTEGER
HUGER = 10**30


def _qs(pairs) -> str:
    return urlencode(list(pairs))


QUERIES = {
    "nul": _qs((name, "ab\x00c") for name in TEXT_PARAMS + DATE_PARAMS + NUMBER_PARAMS),
    "page-1e40": _qs([("page", "1e40"), ("halaman", "1e40"), ("per_page", "1e40")]),
    "page-huge": _qs([("page", str(HUGER)), ("halaman", str(HUGER)), ("per_page", str(HUGE))]),
    "page-only-huge": _qs([("page", str(HUGER))]),
    "page-negative": _qs([("page", "-5"), ("halaman", "-5"), ("per_page", "-5")]),
    "ids-huge": _qs((name, str(HUGE)) for name in NUMBER_PARAMS if name not in ("page", "halaman", "per_page")),
    "ids-huger": _qs((name, str(HUGER)) for name in NUMBER_PARAMS if name not in ("page", "halaman", "per_page")),
    "date-min": _qs((name, "0001-01-01") for name in DATE_PARAMS),
    "date-max": _qs((name, "9999-12-31") for name in DATE_PARAMS),
    "month-ends": _qs([("month", "0001-01"), ("bulan", "9999-12"), ("tahun", "9999"), ("year", "1")]),
    "date-min-to-max": _qs([("from", "0001-01-01"), ("to", "9999-12-31"), ("start", "0001-01-01"),
                            ("end", "9999-12-31"), ("cutoff", "0001-01-01"), ("deadline", "9999-12-31")]),
    "date-garbage": _qs((name, "2026-13-45") for name in DATE_PARAMS),
    "week-view-ends": _qs([("view", "week"), ("start", "9999-12-31")]),
    "week-view-start": _qs([("view", "week"), ("start", "0001-01-01")]),
    "weeks-huge": _qs([("weeks", str(HUGER)), ("deadline", "9999-12-31")]),
    "zoom-bbox": _qs([("zoom", "1e40"), ("bbox", "1e400,-1e400,nan,inf")]),
}


def _rules(method: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("vendor.") or method not in rule.methods:
            continue
        out.append((rule.endpoint, rule.rule, tuple(sorted(rule.arguments))))
    return sorted(out)


GET_RULES = _rules("GET")
WRITE_RULES = sorted({(m, *r) for m in ("POST", "PATCH") for r in _rules(m)})


_RESOLVED: dict = {}


@pytest.fixture(autouse=True)
def _fresh_samples():
    _RESOLVED.clear()
    yield
    _RESOLVED.clear()


def _sample(world, arg):
    """A URL parameter's sample value, made once per test (some samples create rows)."""
    if arg not in _RESOLVED:
        sample = URL_SAMPLES[arg]
        _RESOLVED[arg] = sample(world) if callable(sample) else sample
    return _RESOLVED[arg]


def _url(app, world, endpoint, arguments, huge_ids=False):
    from flask import url_for

    values = {}
    for arg in arguments:
        values[arg] = _sample(world, arg)
        if huge_ids and isinstance(values[arg], int):
            values[arg] = HUGE
    with app.test_request_context():
        return url_for(endpoint, **values)


def _walk(app, client, world, login_as, role, queries):
    login_as(role)
    failures = []
    for endpoint, rule, arguments in GET_RULES:
        base = _url(app, world, endpoint, arguments)
        for name, query in queries.items():
            url = f"{base}?{query}"
            resp = client.get(url)
            resp.get_data()
            resp.close()
            if resp.status_code >= 500:
                failures.append(f"{resp.status_code} {name}: {rule}")
            elif rule.startswith("/api/") and resp.status_code >= 400:
                assert resp.is_json and "message" in resp.get_json(), f"{url}: not the API's error shape"
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_500_to_bad_query_strings(app, client, world, login_as, role):
    failures = _walk(app, client, world, login_as, role, QUERIES)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_500_to_ids_past_integer(app, client, world, login_as, role):
    with_ids = [(e, r, a) for e, r, a in GET_RULES if any(isinstance(_sample(world, arg), int) for arg in a)]
    assert with_ids
    login_as(role)
    for endpoint, rule, arguments in with_ids:
        url = _url(app, world, endpoint, arguments, huge_ids=True)
        resp = client.get(url)
        resp.close()
        assert resp.status_code == 404, f"{url}: {resp.status_code}"


NUL_FIELDS = {name: "a\x00b" for name in ("notes", "nama", "name", "username", "q", "reason", "alamat", "kode",
                                          "date", "site_id", "aksi", "next", "version", "region")}


# A body with no NUL but dates at the ends of the calendar and ids past INTEGER (as JSON and as a form).
EDGE_FIELDS = {"date": "0001-01-01", "end_date": "9999-12-31", "date_from": "0001-01-01", "date_to": "9999-12-31",
               "followed_on": "9999-12-31", "first": "0001-01-01", "last": "9999-12-31", "start": "08:00",
               "end": "12:00", "site_id": HUGE, "team_id": HUGE, "kit_ids": [HUGE], "mop_up_of_id": HUGE,
               "version": HUGE, "absentees": HUGER, "items": [HUGE, {"index": HUGE, "date": "9999-12-31"}],
               "region": "33.74", "kind": "perekaman", "target_groups": ["umum"]}
EDGE_FORM = {k: (str(v) if not isinstance(v, list) else [str(x) for x in v if not isinstance(x, dict)])
             for k, v in EDGE_FIELDS.items()}


@pytest.mark.parametrize("role", ROLES)
def test_no_write_route_answers_500_to_edge_dates_and_ids(app, client, world, login_as, role):
    login_as(role)
    failures = []
    for method, endpoint, rule, arguments in WRITE_RULES:
        if endpoint in ("auth.logout", "auth.logout_everywhere", "auth.login"):
            continue
        url = _url(app, world, endpoint, arguments)
        for kwargs in ({"data": EDGE_FORM}, {"json": EDGE_FIELDS}):
            resp = client.open(url, method=method, headers={"Idempotency-Key": "walk-2"}, **kwargs)
            resp.close()
            if resp.status_code >= 500:
                failures.append(f"{resp.status_code} {method} {rule} {list(kwargs)[0]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_write_route_answers_500_to_nul_in_a_form_or_json_body(app, client, world, login_as, role):
    """Every POST and PATCH route, with a NUL in form fields and in JSON string values: 400, never a 500."""
    login_as(role)
    failures = []
    for method, endpoint, rule, arguments in WRITE_RULES:
        if endpoint in ("auth.logout", "auth.logout_everywhere"):
            continue  # they would sign the walker out; they read no field
        url = _url(app, world, endpoint, arguments)
        for kwargs in ({"data": NUL_FIELDS}, {"json": NUL_FIELDS}, {"json": {"items": [{"notes": "\x00"}]}}):
            resp = client.open(url, method=method, headers={"Idempotency-Key": "walk-1"}, **kwargs)
            resp.close()
            if resp.status_code >= 500:
                failures.append(f"{resp.status_code} {method} {rule} {list(kwargs)[0]}")
            elif "data" in kwargs and resp.status_code not in (400, 403, 404, 405):
                failures.append(f"{resp.status_code} {method} {rule}: a NUL in a form field was not refused")
            elif rule.startswith("/api/") and resp.status_code >= 400:
                assert resp.is_json, f"{method} {url}: not the API's error shape"
    assert not failures, "\n".join(failures)
