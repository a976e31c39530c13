import sqlalchemy as sa
from flask import current_app, jsonify, render_template, send_from_directory
from flask_login import current_user

from outreach.extensions import db
from outreach.main import bp
from outreach.security import any_role, public
from outreach import permissions


@bp.route("/")
@any_role
def home():
    """Each role lands on its own home page (a field user's is its schedule, "Jadwal saya")."""
    if permissions.is_field(current_user):
        from outreach.field.views import schedule_page
        return schedule_page(home=True)
    from outreach.main.home import home_context
    return render_template(f"home/{current_user.role}.html", **home_context(current_user))


@bp.route("/favicon.ico")
@public
def favicon():
    """The tab icon browsers ask for on their own (126 bytes; kept a week)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 24 * 3600,
                               mimetype="image/x-icon")


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        ok = True
    except Exception:  # the health check reports, it does not raise
        db.session.rollback()
        ok = False
    return jsonify({"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable"}), (200 if ok else 503)
