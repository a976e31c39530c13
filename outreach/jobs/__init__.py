"""Background jobs (run by `flask --app app run-scheduler`, never inside the web app) and notifications.

The blueprint serves the admin jobs page and the notification pages; it also supplies the job
settings' defaults to the app it is registered on.
"""
from flask import Blueprint

from outreach.jobs.settings import DEFAULTS

bp = Blueprint("jobs", __name__)


@bp.record_once
def _apply_defaults(state):
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


from outreach.jobs import routes  # noqa: E402,F401
