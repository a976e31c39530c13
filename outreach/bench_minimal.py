"""A yardstick for bench/load.py, registered only when the environment says JB_BENCH_MINIMAL=1 (never by
default): POST /api/bench/minimal stores one audit row and commits, on the same stack as a turnout log
(gunicorn, the app's request hooks, the session login or API token, CSRF, a JSON body, PostgreSQL), so the
load bench can say how far the turnout POST is from the cheapest comparable write."""
from __future__ import annotations

import os

from flask import Blueprint, Flask, jsonify, request
from flask_login import current_user

from outreach import permissions
from outreach.extensions import db
from outreach.models.audit import record_change
from outreach.security import roles_required

ENV_FLAG = "JB_BENCH_MINIMAL"

bp = Blueprint("bench_minimal", __name__)


@bp.post("/api/bench/minimal")
@roles_required(*permissions.LOGGERS)
def minimal():
    """One insert and one commit: the least a logged write can cost here."""
    body = request.get_json(silent=True) or {}
    entry = record_change("bench", 0, "minimal", current_user.id, {"n": [None, body.get("n")]})
    db.session.flush()
    entry_id = entry.id  # read before the commit expires it: one transaction, as the turnout POST
    db.session.commit()
    return jsonify({"id": entry_id}), 201


def register_if_asked(app: Flask) -> bool:
    """Register the yardstick when JB_BENCH_MINIMAL=1 is set in the environment; True when it was."""
    if os.environ.get(ENV_FLAG) != "1":
        return False
    app.register_blueprint(bp)
    return True
