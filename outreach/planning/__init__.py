from flask import Blueprint

bp = Blueprint("planning", __name__)

from outreach.planning import routes  # noqa: E402,F401
