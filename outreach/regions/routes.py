from flask import render_template

from outreach.regions import bp
from outreach.security import any_role


@bp.route("/wilayah")
@any_role
def index():
    return render_template("placeholder.html", title="Wilayah")
