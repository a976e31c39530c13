from flask import render_template

from outreach.security import any_role
from outreach.sites import bp


@bp.route("/lokasi")
@any_role
def index():
    return render_template("placeholder.html", title="Lokasi")
