from flask import Blueprint

bp = Blueprint("admin", __name__)

from outreach.admin import routes, imports, import_tasks, calendar  # noqa: E402,F401
