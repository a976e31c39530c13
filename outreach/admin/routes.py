from flask import render_template

from outreach.admin import bp
from outreach.security import roles_required


@bp.route("/admin")
@roles_required("admin")
def index():
    return render_template("placeholder.html", title="Admin")
