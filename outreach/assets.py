"""Third-party front-end assets served from installed XStatic packages: no CDN, nothing copied."""
from __future__ import annotations

import importlib

from flask import Blueprint, abort, send_from_directory, url_for

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

# name in URLs -> XStatic module
PACKAGES = {
    "bootstrap": "xstatic.pkg.bootstrap",
    "leaflet": "xstatic.pkg.leaflet",
}


def package_dir(name: str) -> str:
    module = PACKAGES.get(name)
    if module is None:
        abort(404)
    return importlib.import_module(module).BASE_DIR


@bp.route("/<name>/<path:filename>")
def asset(name: str, filename: str):
    return send_from_directory(package_dir(name), filename, max_age=7 * 24 * 3600)


asset.access_roles = frozenset({"public"})


def vendor_url(name: str, filename: str) -> str:
    return url_for("vendor.asset", name=name, filename=filename)
