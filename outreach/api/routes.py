from flask import jsonify

from outreach.api import bp
from outreach.security import public


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify({"openapi": "3.0.3", "info": {"title": "Jemput Bola API", "version": "1"}, "paths": {}})
