"""Fuzzing the API with schemathesis against the WSGI app: no input may cause a server error (5xx).

The cases come from /api/v1/openapi.json itself, so every described operation is fuzzed (one test per
operation), with data that fits the schema (positive) and, where an operation takes a body, query or
header, data that does not (negative). Requests carry the bearer token of a field user whose team has a
session waiting for its log, and session_id points at that session, so the turnout operations reach
their deepest code (validation, idempotency, locking, figures). The field operations are fuzzed again as
a coordinator. Bounded: MAX_EXAMPLES per operation and mode, no deadline, derandomized (the same cases
on every run), no example database.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from flask import Flask  # noqa: E402

from outreach.api import bp as api_bp  # noqa: E402
from outreach.api.schema import HTTP_METHODS, build_document  # noqa: E402
from tests import builders  # noqa: E402

pytestmark = pytest.mark.clock_free  # see tests/conftest.py

MAX_EXAMPLES = 30
OTHER_MAX_EXAMPLES = 10
FIELD_PATHS = ("/api/v1/my/sessions", "/api/v1/sessions/{session_id}/turnout")
WIB = ZoneInfo("Asia/Jakarta")
# Server errors found in operations of other modules (not fixed here): reported, expected to fail until fixed.
# Remove an entry once its module is fixed (strict=False: they pass when the cases miss the bug).
KNOWN_SERVER_ERRORS: dict = {}  # label -> reason, for a 500 found and not fixed yet


def _labels(field: bool) -> list[str]:
    bare = Flask(__name__)  # the operations are known before any test app exists (parametrize)
    bare.register_blueprint(api_bp)
    doc = build_document(bare)
    return sorted(f"{method.upper()} {path}" for path, item in doc["paths"].items() for method in item
                  if method in HTTP_METHODS and (path in FIELD_PATHS) is field)


def _operation(app, label: str):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label == label:
            return operation
    return None


def _fuzz(app, operation, mode, headers, path_parameters, max_examples):
    strategy = operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=path_parameters)

    @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case):
        response = case.call(app=app)
        case.validate_response(response, checks=[not_a_server_error])

    fuzz()


def _fuzz_operation(app, label, token, session_id, max_examples, negative=True):
    operation = _operation(app, label)
    if operation is None:  # operations without security (openapi.json itself) are not offered for fuzzing
        pytest.skip(f"schemathesis offers no cases for {label}")
    headers = {"Authorization": f"Bearer {token}"}
    params = {"session_id": session_id} if "{session_id}" in operation.path and session_id else None
    _fuzz(app, operation, GenerationMode.POSITIVE, headers, params, max_examples)
    if negative and (len(operation.body) or len(operation.query) or len(operation.headers)):
        try:
            _fuzz(app, operation, GenerationMode.NEGATIVE, headers, params, max_examples)
        except Unsatisfiable:
            pass  # nothing in this operation can be made invalid


@pytest.fixture()
def fuzz_world(world):
    """A field user's team with sessions yesterday (waiting for a log), two days ago (a school) and later."""
    w = builders.make_planning_world(world)
    today = datetime.now(WIB).date()
    session = builders.make_session(w.site1, w.team, [w.kit, w.kit2], today - timedelta(days=1),
                                     status="terkonfirmasi")
    school = builders.make_session(w.school, w.team, [w.kit], today - timedelta(days=2), status="rencana")
    builders.make_session(w.site1, w.team, [w.kit], today + timedelta(days=2))
    builders.make_known_away(world.desa1.kode, "luar_negeri", 3)
    builders.db.session.commit()
    tokens = {role: builders.make_api_token(w.users[role]) for role in ("field", "coordinator")}
    return {"session": session.id, "school": school.id, "tokens": tokens}


@pytest.mark.parametrize("label", _labels(field=True))
def test_field_operation_survives_fuzzing(app, db, fuzz_world, label):
    _fuzz_operation(app, label, fuzz_world["tokens"]["field"], fuzz_world["session"], MAX_EXAMPLES)
    # A coordinator may correct at any time: PATCH reaches further with the school session's log.
    _fuzz_operation(app, label, fuzz_world["tokens"]["coordinator"], fuzz_world["school"], MAX_EXAMPLES,
                    negative=False)
    # Any session id at all (another team's, none, beyond the database's integer range).
    _fuzz_operation(app, label, fuzz_world["tokens"]["field"], None, OTHER_MAX_EXAMPLES, negative=False)


@pytest.mark.parametrize("label", [
    pytest.param(label, marks=pytest.mark.xfail(reason=KNOWN_SERVER_ERRORS[label], strict=False))
    if label in KNOWN_SERVER_ERRORS else label
    for label in _labels(field=False)])
def test_other_api_operation_survives_fuzzing(app, db, fuzz_world, label):
    _fuzz_operation(app, label, fuzz_world["tokens"]["field"], fuzz_world["session"], OTHER_MAX_EXAMPLES)
